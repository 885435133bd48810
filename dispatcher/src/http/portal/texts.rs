//! Every string a debtor reads on the page, per language. Spanish is one
//! text for es-MX, es-CO, es-CL and es-PE except where usage differs
//! (instalments: "mensualidades" in Mexico, "cuotas" elsewhere).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKey {
    CheckoutTitle,
    ErrorDate,
    ErrorAmount,
    ErrorInstalments,
    ErrorReason,
    ErrorGeneric,
    TooManyRequests,
}

impl TextKey {
    pub const ALL: [TextKey; 7] = [
        TextKey::CheckoutTitle,
        TextKey::ErrorDate,
        TextKey::ErrorAmount,
        TextKey::ErrorInstalments,
        TextKey::ErrorReason,
        TextKey::ErrorGeneric,
        TextKey::TooManyRequests,
    ];
}

pub fn is_spanish(lang: &str) -> bool {
    !lang.to_ascii_lowercase().starts_with("en")
}

/// Short strings the handlers need outside the page.
pub fn text(lang: &str, key: TextKey) -> &'static str {
    if is_spanish(lang) {
        match key {
            TextKey::CheckoutTitle => "Pago de su cuenta con {creditor}",
            TextKey::ErrorDate => {
                "Revise la fecha: debe estar entre hoy y la fecha máxima indicada."
            }
            TextKey::ErrorAmount => {
                "Revise el monto: debe ser mayor que cero y no superar su saldo."
            }
            TextKey::ErrorInstalments => "Elija un número de pagos dentro del rango indicado.",
            TextKey::ErrorReason => "Indique el motivo de su aclaración.",
            TextKey::ErrorGeneric => "No pudimos registrar su solicitud. Intente de nuevo.",
            TextKey::TooManyRequests => {
                "El servicio no está disponible en este momento. Intente más tarde o llámenos."
            }
        }
    } else {
        match key {
            TextKey::CheckoutTitle => "Payment of your account with {creditor}",
            TextKey::ErrorDate => {
                "Please check the date: it must be between today and the latest date shown."
            }
            TextKey::ErrorAmount => {
                "Please check the amount: more than zero and no more than your balance."
            }
            TextKey::ErrorInstalments => {
                "Please choose a number of payments within the range shown."
            }
            TextKey::ErrorReason => "Please tell us why you dispute the debt.",
            TextKey::ErrorGeneric => "We could not record your request. Please try again.",
            TextKey::TooManyRequests => {
                "The service is not available right now. Please try later or call us."
            }
        }
    }
}

/// The page's own labels.
pub struct Labels {
    pub title: &'static str,
    pub collected_by: &'static str,
    pub on_behalf: &'static str,
    pub personal: &'static str,
    pub hello: &'static str,
    pub balance: &'static str,
    pub original: &'static str,
    pub due: &'static str,
    pub account: &'static str,
    pub paid_thanks: &'static str,
    pub pay: &'static str,
    pub pay_hint: &'static str,
    pub pay_button: &'static str,
    pub amount: &'static str,
    pub promise: &'static str,
    pub promise_hint: &'static str,
    pub promise_button: &'static str,
    pub date: &'static str,
    pub plan: &'static str,
    pub plan_hint: &'static str,
    pub instalments: &'static str,
    pub first_date: &'static str,
    pub plan_button: &'static str,
    pub dispute: &'static str,
    pub dispute_hint: &'static str,
    pub dispute_open: &'static str,
    pub reason: &'static str,
    pub reasons: [(&'static str, &'static str); 4],
    pub details: &'static str,
    pub dispute_button: &'static str,
    pub preferences: &'static str,
    pub preferences_hint: &'static str,
    pub optout: &'static str,
    pub prefer: &'static str,
    pub none: &'static str,
    pub avoid: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub save: &'static str,
    pub history: &'static str,
    pub payments: &'static str,
    pub promises: &'static str,
    pub nothing_yet: &'static str,
    pub open: &'static str,
    pub kept: &'static str,
    pub broken: &'static str,
    pub of: &'static str,
    pub channels: [(&'static str, &'static str); 3],
    pub ok_pay: &'static str,
    pub ok_promise: &'static str,
    pub ok_plan: &'static str,
    pub ok_dispute: &'static str,
    pub ok_preferences: &'static str,
    pub link_invalid: &'static str,
    pub link_expired: &'static str,
}

pub fn labels(lang: &str) -> Labels {
    if is_spanish(lang) {
        let instalments = if lang.eq_ignore_ascii_case("es-MX") {
            "Número de mensualidades"
        } else {
            "Número de cuotas"
        };
        Labels {
            title: "Su cuenta",
            collected_by: "Cobranza realizada por",
            on_behalf: "en nombre de",
            personal: "Esta página es personal: no la comparta.",
            hello: "Hola",
            balance: "Saldo pendiente",
            original: "Monto original",
            due: "Vencimiento",
            account: "Cuenta",
            paid_thanks: "¡Gracias! Su cuenta está pagada. No recibirá más mensajes de cobranza por ella.",
            pay: "Pagar",
            pay_hint: "Puede pagar el total o una parte de su saldo.",
            pay_button: "Pagar ahora",
            amount: "Monto",
            promise: "Prometer un pago",
            promise_hint: "Pausaremos los recordatorios hasta esa fecha.",
            promise_button: "Registrar promesa",
            date: "Fecha de pago",
            plan: "Acordar un plan de pagos",
            plan_hint: "Dividimos su saldo en partes iguales, una por mes.",
            instalments,
            first_date: "Fecha del primer pago",
            plan_button: "Acordar plan",
            dispute: "¿No reconoce esta deuda o el monto?",
            dispute_hint: "Mientras revisamos su aclaración no le contactaremos.",
            dispute_open: "Su aclaración está en revisión. No le contactaremos mientras tanto.",
            reason: "Motivo",
            reasons: [
                ("not_mine", "No es mi deuda"),
                ("amount_wrong", "El monto no es correcto"),
                ("already_paid", "Ya pagué"),
                ("other", "Otro"),
            ],
            details: "Detalles",
            dispute_button: "Enviar aclaración",
            preferences: "Cómo y cuándo contactarle",
            preferences_hint: "No le contactaremos en el horario que nos indique.",
            optout: "No deseo recibir mensajes por",
            prefer: "Prefiero que me contacten por",
            none: "—",
            avoid: "Horario que no le conviene",
            from: "Desde",
            to: "Hasta",
            save: "Guardar preferencias",
            history: "Historial",
            payments: "Pagos recibidos",
            promises: "Promesas de pago",
            nothing_yet: "Aún no hay registros.",
            open: "Vigente",
            kept: "Cumplida",
            broken: "Incumplida",
            of: "de",
            channels: [
                ("email", "correo electrónico"),
                ("sms", "SMS"),
                ("voice", "llamada"),
            ],
            ok_pay: "Gracias: en cuanto se confirme su pago lo verá aquí.",
            ok_promise: "Registramos su promesa de pago. Gracias.",
            ok_plan: "Registramos su plan de pagos. Gracias.",
            ok_dispute: "Recibimos su aclaración. La revisaremos y le responderemos.",
            ok_preferences: "Guardamos sus preferencias.",
            link_invalid: "Este enlace no es válido. Use el enlace de su mensaje más reciente o llámenos.",
            link_expired: "Este enlace ha caducado. Use el enlace de su mensaje más reciente o llámenos.",
        }
    } else {
        Labels {
            title: "Your account",
            collected_by: "Collection by",
            on_behalf: "on behalf of",
            personal: "This page is personal: please do not share it.",
            hello: "Hello",
            balance: "Balance due",
            original: "Original amount",
            due: "Due date",
            account: "Account",
            paid_thanks: "Thank you! Your account is paid. You will receive no more collection messages about it.",
            pay: "Pay",
            pay_hint: "You can pay all or part of your balance.",
            pay_button: "Pay now",
            amount: "Amount",
            promise: "Promise to pay",
            promise_hint: "We will pause reminders until that date.",
            promise_button: "Record promise",
            date: "Payment date",
            plan: "Set up a payment plan",
            plan_hint: "We split your balance into equal monthly payments.",
            instalments: "Number of payments",
            first_date: "First payment date",
            plan_button: "Set up plan",
            dispute: "Don't recognise this debt or the amount?",
            dispute_hint: "We will not contact you while we review your dispute.",
            dispute_open: "Your dispute is under review. We will not contact you meanwhile.",
            reason: "Reason",
            reasons: [
                ("not_mine", "This is not my debt"),
                ("amount_wrong", "The amount is wrong"),
                ("already_paid", "I already paid"),
                ("other", "Other"),
            ],
            details: "Details",
            dispute_button: "Send dispute",
            preferences: "How and when to contact you",
            preferences_hint: "We will not contact you during the hours you tell us.",
            optout: "Stop messages by",
            prefer: "I prefer to be contacted by",
            none: "—",
            avoid: "Hours that are inconvenient",
            from: "From",
            to: "To",
            save: "Save preferences",
            history: "History",
            payments: "Payments received",
            promises: "Promises to pay",
            nothing_yet: "Nothing yet.",
            open: "Open",
            kept: "Kept",
            broken: "Broken",
            of: "of",
            channels: [
                ("email", "email"),
                ("sms", "text message"),
                ("voice", "phone call"),
            ],
            ok_pay: "Thank you: your payment will show here once confirmed.",
            ok_promise: "We recorded your promise to pay. Thank you.",
            ok_plan: "We recorded your payment plan. Thank you.",
            ok_dispute: "We received your dispute. We will review it and reply.",
            ok_preferences: "We saved your preferences.",
            link_invalid: "This link is not valid. Use the link in your latest message, or call us.",
            link_expired: "This link has expired. Use the link in your latest message, or call us.",
        }
    }
}
