//! Every string of the console, in Spanish and English (the user's
//! choice: `?lang=en|es`, remembered in a cookie; else the browser's
//! Accept-Language; Spanish by default).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    pub fn parse(raw: &str) -> Option<Lang> {
        let raw = raw.trim().to_ascii_lowercase();
        if raw.starts_with("en") {
            Some(Lang::En)
        } else if raw.starts_with("es") {
            Some(Lang::Es)
        } else {
            None
        }
    }
}

/// The words every page shares (header, navigation, errors) and those of
/// the login and expedientes pages. A page with many words of its own keeps
/// them beside its handler, in the same two languages.
#[derive(Serialize)]
pub struct Texts {
    pub login_title: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub wrong_credentials: &'static str,
    pub locked: &'static str,
    pub expired_form: &'static str,
    pub accounts_title: &'static str,
    pub search: &'static str,
    pub filter: &'static str,
    pub creditor: &'static str,
    pub status: &'static str,
    pub any: &'static str,
    pub country: &'static str,
    pub segment: &'static str,
    pub campaign: &'static str,
    pub dpd: &'static str,
    pub balance: &'static str,
    pub amount_min: &'static str,
    pub amount_max: &'static str,
    pub account: &'static str,
    pub debtor: &'static str,
    pub due_date: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    pub none_found: &'static str,
    pub signed_in_as: &'static str,
    pub other_language: &'static str,
    pub nav_accounts: &'static str,
    pub nav_collections: &'static str,
    pub nav_upload: &'static str,
    pub nav_campaigns: &'static str,
    pub nav_review: &'static str,
    pub nav_suppressions: &'static str,
    pub nav_rules: &'static str,
    pub nav_work: &'static str,
    pub nav_work_team: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub explain_now: &'static str,
}

const ES: Texts = Texts {
    login_title: "Iniciar sesión",
    email: "Correo electrónico",
    password: "Contraseña",
    sign_in: "Entrar",
    sign_out: "Salir",
    wrong_credentials: "Correo o contraseña incorrectos.",
    locked: "Demasiados intentos fallidos. Vuelva a intentarlo después de las {until} (UTC).",
    expired_form: "El formulario caducó. Vuelva a intentarlo.",
    accounts_title: "Expedientes",
    search: "Buscar (expediente, nombre, RFC/NIT/RUT)",
    filter: "Filtrar",
    creditor: "Acreedor",
    status: "Estado",
    any: "Todos",
    country: "País",
    segment: "Segmento",
    campaign: "Campaña",
    dpd: "Días de atraso",
    balance: "Saldo",
    amount_min: "Saldo desde",
    amount_max: "Saldo hasta",
    account: "Expediente",
    debtor: "Deudor",
    due_date: "Vencimiento",
    next_page: "Siguiente página",
    first_page: "Primera página",
    none_found: "No hay expedientes con estos filtros.",
    signed_in_as: "Sesión de",
    other_language: "English",
    nav_accounts: "Expedientes",
    nav_collections: "Parte de cobros",
    nav_upload: "Alta de expedientes",
    nav_campaigns: "Campañas",
    nav_review: "Revisión",
    nav_suppressions: "Exclusiones",
    nav_rules: "Reglas",
    nav_work: "Mi cola",
    nav_work_team: "Equipo",
    forbidden_title: "Acceso denegado",
    forbidden: "Su usuario no tiene permiso para esta página.",
    not_found_title: "No encontrado",
    not_found: "No existe o no está a su alcance.",
    explain_now: "¿Se le puede contactar ahora? Explicación de la guardia",
};

const EN: Texts = Texts {
    login_title: "Sign in",
    email: "Email",
    password: "Password",
    sign_in: "Sign in",
    sign_out: "Sign out",
    wrong_credentials: "Wrong email or password.",
    locked: "Too many failed attempts. Try again after {until} (UTC).",
    expired_form: "The form expired. Please try again.",
    accounts_title: "Accounts",
    search: "Search (account, name, tax id)",
    filter: "Filter",
    creditor: "Creditor",
    status: "Status",
    any: "All",
    country: "Country",
    segment: "Segment",
    campaign: "Campaign",
    dpd: "Days past due",
    balance: "Balance",
    amount_min: "Balance from",
    amount_max: "Balance up to",
    account: "Account",
    debtor: "Debtor",
    due_date: "Due date",
    next_page: "Next page",
    first_page: "First page",
    none_found: "No accounts match these filters.",
    signed_in_as: "Signed in as",
    other_language: "Español",
    nav_accounts: "Accounts",
    nav_collections: "Collections report",
    nav_upload: "Upload accounts",
    nav_campaigns: "Campaigns",
    nav_review: "Review queue",
    nav_suppressions: "Suppressions",
    nav_rules: "Rules",
    nav_work: "My queue",
    nav_work_team: "Team",
    forbidden_title: "Access denied",
    forbidden: "Your user may not open this page.",
    not_found_title: "Not found",
    not_found: "It does not exist or is not yours to see.",
    explain_now: "May they be contacted now? The guard explains",
};

pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

/// The account statuses as people read them.
pub fn status_label(lang: Lang, status: &str) -> &'static str {
    match (lang, status) {
        (Lang::Es, "active") => "Activo",
        (Lang::Es, "paid") => "Pagado",
        (Lang::Es, "promise_to_pay") => "Promesa de pago",
        (Lang::Es, "disputed") => "En disputa",
        (Lang::Es, "opted_out") => "Baja",
        (Lang::En, "active") => "Active",
        (Lang::En, "paid") => "Paid",
        (Lang::En, "promise_to_pay") => "Promise to pay",
        (Lang::En, "disputed") => "Disputed",
        (Lang::En, "opted_out") => "Opted out",
        _ => "—",
    }
}

/// A contact state or a ledger row's state (`pending`, `sent`,
/// `deferred`…) as the console shows it; the code itself when unknown.
pub fn state_label(lang: Lang, state: &str) -> String {
    let label = match (lang, state) {
        (Lang::Es, "pending") => "Pendiente",
        (Lang::Es, "queued") => "En cola",
        (Lang::Es, "sending") => "Enviando",
        (Lang::Es, "sent") => "Enviado",
        (Lang::Es, "delivered") => "Entregado",
        (Lang::Es, "undelivered") => "No entregado",
        (Lang::Es, "blocked") => "Bloqueado",
        (Lang::Es, "cancelled") => "Cancelado",
        (Lang::Es, "failed") => "Fallido",
        (Lang::Es, "unknown") => "Incierto",
        (Lang::Es, "deferred") => "Diferido",
        (Lang::Es, "allowed") => "Permitido",
        (Lang::Es, "retry") => "Reintento",
        (Lang::Es, "inbound") => "Entrante",
        (Lang::En, "pending") => "Pending",
        (Lang::En, "queued") => "Queued",
        (Lang::En, "sending") => "Sending",
        (Lang::En, "sent") => "Sent",
        (Lang::En, "delivered") => "Delivered",
        (Lang::En, "undelivered") => "Undelivered",
        (Lang::En, "blocked") => "Blocked",
        (Lang::En, "cancelled") => "Cancelled",
        (Lang::En, "failed") => "Failed",
        (Lang::En, "unknown") => "Unknown",
        (Lang::En, "deferred") => "Deferred",
        (Lang::En, "allowed") => "Allowed",
        (Lang::En, "retry") => "Retry",
        (Lang::En, "inbound") => "Inbound",
        _ => return state.to_string(),
    };
    label.to_string()
}
