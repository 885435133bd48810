//! Every string of the console, in Spanish and English (the user's
//! choice: `?lang=en|es`, remembered in a cookie; else the browser's
//! Accept-Language; Spanish by default).

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
