//! One generated row and the CSV header it follows.

use super::BadRow;

/// The CSV header the generator writes, in column order.
pub const COLUMNS: [&str; 28] = [
    "id",
    "creditor",
    "debtor_name",
    "tax_id",
    "amount_due",
    "currency",
    "due_date",
    "segment",
    "language",
    "country",
    "subdivision",
    "timezone",
    "phone",
    "phone_role",
    "phone_provenance",
    "phone_flags",
    "consent_sms",
    "consent_voice",
    "email",
    "email_role",
    "email_provenance",
    "email_flags",
    "consent_email",
    "phone2",
    "phone2_role",
    "phone2_provenance",
    "flags",
    "payment_link",
];

/// One generated row, as the text of each column of [`COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRow {
    pub fields: [String; 28],
    /// `Some` when the row was broken on purpose.
    pub bad: Option<BadRow>,
}

impl GeneratedRow {
    /// The value of a column by its [`COLUMNS`] name.
    pub fn get(&self, column: &str) -> Option<&str> {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .map(|i| self.fields[i].as_str())
    }
}
