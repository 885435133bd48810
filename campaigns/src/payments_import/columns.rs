//! Header names into fields: the five payment columns and the Spanish and
//! English aliases creditors' systems export them under.

/// The columns a payments file can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Account,
    Amount,
    Date,
    Reference,
    Currency,
}

pub(super) const FIELD_N: usize = 5;

/// Canonical name and accepted aliases (already normalised: lower case,
/// no accents, `_` for spaces, Spanish articles dropped) of each column,
/// in [`Field`] order.
pub(super) const FIELDS: [(Field, &str, &[&str]); FIELD_N] = [
    (
        Field::Account,
        "account",
        &["expediente", "cuenta", "account_id", "id", "num_expediente"],
    ),
    (
        Field::Amount,
        "amount",
        &["importe", "monto", "pago", "amount_paid", "importe_pagado"],
    ),
    (
        Field::Date,
        "date",
        &["fecha", "fecha_pago", "paid_at", "at", "payment_date"],
    ),
    (
        Field::Reference,
        "reference",
        &[
            "referencia",
            "ref",
            "folio",
            "operacion",
            "num_operacion",
            "numero_operacion",
        ],
    ),
    (Field::Currency, "currency", &["moneda", "divisa"]),
];

/// Without these a payment means nothing; the others may be absent.
pub(super) const REQUIRED: [Field; 3] = [Field::Account, Field::Amount, Field::Date];

pub(super) use crate::spreadsheet::header::normalize_key;

/// The field a header names, or `None` for a column the importer ignores
/// (creditors add debtor names, branch codes, remarks…).
pub(super) fn resolve_column(raw: &str) -> Option<Field> {
    let key = normalize_key(raw);
    FIELDS
        .iter()
        .find(|(_, name, aliases)| key == *name || aliases.contains(&key.as_str()))
        .map(|(field, _, _)| *field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_ignore_case_accents_and_articles() {
        assert_eq!(resolve_column("Operación"), Some(Field::Reference));
        assert_eq!(resolve_column("FECHA DE PAGO"), Some(Field::Date));
        assert_eq!(resolve_column("\u{feff}Expediente"), Some(Field::Account));
        assert_eq!(resolve_column(" Amount-Paid "), Some(Field::Amount));
        assert_eq!(resolve_column("Divisa"), Some(Field::Currency));
        assert_eq!(resolve_column("observaciones"), None);
    }

    #[test]
    fn fields_are_listed_in_enum_order() {
        for (i, (field, _, _)) in FIELDS.iter().enumerate() {
            assert_eq!(*field as usize, i);
        }
    }
}
