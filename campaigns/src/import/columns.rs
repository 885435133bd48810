//! Header names into fields: the canonical column set, the Spanish and
//! English aliases operators write, and the numbered phone/email slots.

/// The account-level columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Core {
    Id,
    Creditor,
    DebtorName,
    TaxId,
    AmountDue,
    Currency,
    DueDate,
    Segment,
    Language,
    Country,
    Subdivision,
    Timezone,
    Flags,
}

pub(super) const CORE_N: usize = 13;

/// Canonical name and accepted aliases (already normalised: lower case,
/// no accents, `_` for spaces) of each account column.
pub(super) const CORE_COLUMNS: [(Core, &str, &[&str]); CORE_N] = [
    (
        Core::Id,
        "id",
        &["expediente", "account_id", "cuenta", "num_expediente"],
    ),
    (Core::Creditor, "creditor", &["empresa", "acreedor"]),
    (
        Core::DebtorName,
        "debtor_name",
        &["nombre", "name", "deudor", "nombre_deudor"],
    ),
    (
        Core::TaxId,
        "tax_id",
        &["nif", "rfc", "rut", "cif", "nit", "dni", "ruc"],
    ),
    (
        Core::AmountDue,
        "amount_due",
        &["importe", "monto", "saldo", "amount"],
    ),
    (Core::Currency, "currency", &["moneda", "divisa"]),
    (
        Core::DueDate,
        "due_date",
        &["fecha_vencimiento", "vencimiento"],
    ),
    (Core::Segment, "segment", &["segmento"]),
    (Core::Language, "language", &["idioma", "lang"]),
    (Core::Country, "country", &["pais"]),
    (
        Core::Subdivision,
        "subdivision",
        &["estado", "region", "provincia", "departamento"],
    ),
    (Core::Timezone, "timezone", &["zona_horaria", "tz"]),
    (Core::Flags, "flags", &["marcas"]),
];

pub(super) const REQUIRED: [Core; 7] = [
    Core::Id,
    Core::Creditor,
    Core::DebtorName,
    Core::AmountDue,
    Core::Currency,
    Core::DueDate,
    Core::Country,
];

/// Up to this many phones and emails per row (`phone`, `phone2`…`phone5`).
pub(super) const SLOTS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PhoneAttr {
    Number,
    Role,
    Provenance,
    Flags,
    ConsentSms,
    ConsentVoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EmailAttr {
    Address,
    Role,
    Provenance,
    Flags,
    Consent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Col {
    Core(Core),
    Phone(usize, PhoneAttr),
    Email(usize, EmailAttr),
    Attribute(String),
    Ignored,
}

pub(super) use crate::spreadsheet::header::normalize_key;

pub(super) fn resolve_column(raw: &str) -> Col {
    let key = normalize_key(raw);
    if key.is_empty() {
        return Col::Ignored;
    }
    for (core, name, aliases) in CORE_COLUMNS {
        if key == name || aliases.contains(&key.as_str()) {
            return Col::Core(core);
        }
    }
    match key.as_str() {
        "consent_sms" | "consentimiento_sms" => return Col::Phone(0, PhoneAttr::ConsentSms),
        "consent_voice" | "consentimiento_voz" => return Col::Phone(0, PhoneAttr::ConsentVoice),
        "consent_email" | "consentimiento_correo" | "consentimiento_email" => {
            return Col::Email(0, EmailAttr::Consent);
        }
        "enlace_pago" | "link_pago" => return Col::Attribute("payment_link".to_string()),
        _ => {}
    }
    for base in ["phone", "telefono", "celular", "movil"] {
        if let Some(rest) = key.strip_prefix(base)
            && let Some((slot, suffix)) = split_slot(rest)
        {
            let attr = match suffix {
                "" => Some(PhoneAttr::Number),
                "_role" | "_rol" => Some(PhoneAttr::Role),
                "_provenance" | "_origen" | "_procedencia" => Some(PhoneAttr::Provenance),
                "_flags" | "_marcas" => Some(PhoneAttr::Flags),
                "_consent_sms" | "_consentimiento_sms" => Some(PhoneAttr::ConsentSms),
                "_consent_voice" | "_consentimiento_voz" => Some(PhoneAttr::ConsentVoice),
                _ => None,
            };
            if let Some(attr) = attr {
                return Col::Phone(slot, attr);
            }
        }
    }
    for base in ["email", "correo", "e_mail"] {
        if let Some(rest) = key.strip_prefix(base)
            && let Some((slot, suffix)) = split_slot(rest)
        {
            let attr = match suffix {
                "" => Some(EmailAttr::Address),
                "_role" | "_rol" => Some(EmailAttr::Role),
                "_provenance" | "_origen" | "_procedencia" => Some(EmailAttr::Provenance),
                "_flags" | "_marcas" => Some(EmailAttr::Flags),
                "_consent" | "_consentimiento" => Some(EmailAttr::Consent),
                _ => None,
            };
            if let Some(attr) = attr {
                return Col::Email(slot, attr);
            }
        }
    }
    Col::Attribute(key)
}

/// `"2_role"` → slot 1 and `"_role"`; `"_role"` → slot 0. Slots are
/// numbered from 1 in files (`phone`, `phone2`…) and from 0 here.
fn split_slot(rest: &str) -> Option<(usize, &str)> {
    let trimmed = rest
        .strip_prefix('_')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    let r = trimmed.unwrap_or(rest);
    match r.as_bytes().first() {
        Some(d @ b'1'..=b'9') => {
            let n = (d - b'0') as usize;
            if n > SLOTS || r[1..].starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            Some((n - 1, &r[1..]))
        }
        _ => Some((0, rest)),
    }
}

/// Display names of every field, for error messages: the header as the
/// operator wrote it when there is one, else the canonical name.
#[derive(Debug, Clone)]
pub(super) struct FieldNames {
    pub(super) core: [String; CORE_N],
    pub(super) phone: [[String; 6]; SLOTS],
    pub(super) email: [[String; 5]; SLOTS],
}

impl Default for FieldNames {
    fn default() -> Self {
        let core = std::array::from_fn(|i| CORE_COLUMNS[i].1.to_string());
        let phone = std::array::from_fn(|s| {
            let n = if s == 0 {
                String::new()
            } else {
                (s + 1).to_string()
            };
            [
                format!("phone{n}"),
                format!("phone{n}_role"),
                format!("phone{n}_provenance"),
                format!("phone{n}_flags"),
                if s == 0 {
                    "consent_sms".into()
                } else {
                    format!("phone{n}_consent_sms")
                },
                if s == 0 {
                    "consent_voice".into()
                } else {
                    format!("phone{n}_consent_voice")
                },
            ]
        });
        let email = std::array::from_fn(|s| {
            let n = if s == 0 {
                String::new()
            } else {
                (s + 1).to_string()
            };
            [
                format!("email{n}"),
                format!("email{n}_role"),
                format!("email{n}_provenance"),
                format!("email{n}_flags"),
                if s == 0 {
                    "consent_email".into()
                } else {
                    format!("email{n}_consent")
                },
            ]
        });
        FieldNames { core, phone, email }
    }
}

impl FieldNames {
    pub(super) fn core(&self, c: Core) -> &str {
        &self.core[c as usize]
    }
    pub(super) fn phone(&self, slot: usize, a: PhoneAttr) -> &str {
        &self.phone[slot][a as usize]
    }
    pub(super) fn email(&self, slot: usize, a: EmailAttr) -> &str {
        &self.email[slot][a as usize]
    }
}
