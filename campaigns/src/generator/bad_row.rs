//! Deliberately broken rows, each failing the importer for one known
//! reason in one known column, so tests can check the report.

use super::{COLUMNS, GeneratedRow};

/// How a deliberately bad row is broken, and which column the importer
/// will blame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadRow {
    BadPhone,
    UnknownZone,
    NegativeAmount,
    MissingId,
    DuplicatedId,
    BadDate,
    BadEmail,
    UnknownCountry,
}

impl BadRow {
    pub const ALL: [BadRow; 8] = [
        BadRow::BadPhone,
        BadRow::UnknownZone,
        BadRow::NegativeAmount,
        BadRow::MissingId,
        BadRow::DuplicatedId,
        BadRow::BadDate,
        BadRow::BadEmail,
        BadRow::UnknownCountry,
    ];

    /// The column the importer reports for this defect.
    pub fn field(self) -> &'static str {
        match self {
            BadRow::BadPhone => "phone",
            BadRow::UnknownZone => "timezone",
            BadRow::NegativeAmount => "amount_due",
            BadRow::MissingId | BadRow::DuplicatedId => "id",
            BadRow::BadDate => "due_date",
            BadRow::BadEmail => "email",
            BadRow::UnknownCountry => "country",
        }
    }
}

fn col(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap_or(0)
}

pub(super) fn break_row(row: &mut GeneratedRow, kind: BadRow) {
    let set = |row: &mut GeneratedRow, c: &str, v: &str| row.fields[col(c)] = v.to_string();
    match kind {
        BadRow::BadPhone => set(row, "phone", "12345"),
        BadRow::UnknownZone => set(row, "timezone", "America/Atlantis"),
        BadRow::NegativeAmount => {
            let a = format!("-{}", row.fields[col("amount_due")]);
            set(row, "amount_due", &a);
        }
        BadRow::MissingId => set(row, "id", ""),
        BadRow::DuplicatedId => set(row, "id", "EXP-0000001"),
        BadRow::BadDate => set(row, "due_date", "2026-02-30"),
        BadRow::BadEmail => set(row, "email", "no-es-un-correo"),
        BadRow::UnknownCountry => {
            set(row, "country", "XX");
            set(row, "subdivision", "");
        }
    }
    row.bad = Some(kind);
}
