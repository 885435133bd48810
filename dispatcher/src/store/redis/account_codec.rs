//! How an account is stored in `P:accounts` (layout 2): a JSON array of its
//! fields in a fixed order, without the id (the hash field is the id) and
//! without the field names, which were a third of the bytes of an account
//! stored as a JSON object. A value that starts with `{` is the object of
//! layout 1 and still reads (a migration rewrites them, but a reader never
//! depends on that).
//!
//! The order is fixed by the destructuring below, which names every field
//! of `Account` and `ContactPoint`: a new field does not compile until it
//! has a place here (append it at the end, as an optional value, so that
//! stored arrays without it still read).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use cobro_campaigns::{
    Account, AccountFlag, AddressKind, Consent, ContactFlag, ContactPoint, ContactRole, Provenance,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::store::{StoreError, StoreResult};

/// A contact point: kind, address, role, provenance, consent, flags.
type PackedPoint = (
    AddressKind,
    String,
    ContactRole,
    Provenance,
    Consent,
    BTreeSet<ContactFlag>,
);

/// The account without its id, in the stored order.
#[derive(Deserialize)]
struct Packed(
    String,                   // creditor
    String,                   // debtor_name
    Option<String>,           // tax_id
    Decimal,                  // amount_due
    String,                   // currency
    NaiveDate,                // due_date
    Option<String>,           // segment
    String,                   // language
    String,                   // country
    Option<String>,           // subdivision
    Option<String>,           // timezone
    BTreeSet<AccountFlag>,    // flags
    Vec<PackedPoint>,         // contact_points
    BTreeMap<String, String>, // attributes
);

/// [`Packed`] borrowing from the account, for writing: the launch encodes
/// every account of a portfolio, and a clone of each was a copy of every
/// string for nothing. Serializes to exactly what `Packed` reads.
#[derive(Serialize)]
struct PackedRef<'a>(
    &'a str,
    &'a str,
    &'a Option<String>,
    &'a Decimal,
    &'a str,
    &'a NaiveDate,
    &'a Option<String>,
    &'a str,
    &'a str,
    &'a Option<String>,
    &'a Option<String>,
    &'a BTreeSet<AccountFlag>,
    Vec<PackedPointRef<'a>>,
    &'a BTreeMap<String, String>,
);

type PackedPointRef<'a> = (
    &'a AddressKind,
    &'a str,
    &'a ContactRole,
    &'a Provenance,
    &'a Consent,
    &'a BTreeSet<ContactFlag>,
);

/// The stored value of `account`.
pub(super) fn encode(account: &Account) -> StoreResult<String> {
    let Account {
        id: _,
        creditor,
        debtor_name,
        tax_id,
        amount_due,
        currency,
        due_date,
        segment,
        language,
        country,
        subdivision,
        timezone,
        flags,
        contact_points,
        attributes,
    } = account;
    let points = contact_points
        .iter()
        .map(|p| {
            let ContactPoint {
                kind,
                address,
                role,
                provenance,
                consent,
                flags,
            } = p;
            (kind, address.as_str(), role, provenance, consent, flags)
        })
        .collect();
    serde_json::to_string(&PackedRef(
        creditor,
        debtor_name,
        tax_id,
        amount_due,
        currency,
        due_date,
        segment,
        language,
        country,
        subdivision,
        timezone,
        flags,
        points,
        attributes,
    ))
    .map_err(|e| StoreError::json("account", e))
}

/// The account `id` stored as `value` (either layout's form).
pub(super) fn decode(id: &str, value: &str) -> StoreResult<Account> {
    if value.starts_with('{') {
        return serde_json::from_str(value).map_err(|e| StoreError::json("account", e));
    }
    let Packed(
        creditor,
        debtor_name,
        tax_id,
        amount_due,
        currency,
        due_date,
        segment,
        language,
        country,
        subdivision,
        timezone,
        flags,
        points,
        attributes,
    ) = serde_json::from_str(value).map_err(|e| StoreError::json("account", e))?;
    Ok(Account {
        id: id.to_string(),
        creditor,
        debtor_name,
        tax_id,
        amount_due,
        currency,
        due_date,
        segment,
        language,
        country,
        subdivision,
        timezone,
        flags,
        contact_points: points
            .into_iter()
            .map(
                |(kind, address, role, provenance, consent, flags)| ContactPoint {
                    kind,
                    address,
                    role,
                    provenance,
                    consent,
                    flags,
                },
            )
            .collect(),
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Account {
        let mut a: Account = serde_json::from_value(serde_json::json!({
            "id": "EXP-0000042",
            "creditor": "Banco Ejemplo",
            "debtor_name": "María López",
            "tax_id": "LOPM800101AB1",
            "amount_due": "12345.67",
            "currency": "MXN",
            "due_date": "2026-10-01",
            "segment": "media",
            "language": "es-MX",
            "country": "MX",
            "subdivision": "MX-CMX",
            "timezone": "America/Mexico_City",
            "contact_points": [],
            "attributes": {"link": "https://pagos.example/p/42"}
        }))
        .expect("account");
        a.flags.insert(AccountFlag::Disputed);
        a.contact_points = vec![ContactPoint {
            kind: AddressKind::Phone,
            address: "+5215512345678".into(),
            role: ContactRole::Debtor,
            provenance: Provenance::SkipTraced,
            consent: Consent {
                email: None,
                sms: Some(true),
                voice: Some(false),
            },
            flags: [ContactFlag::Landline].into_iter().collect(),
        }];
        a
    }

    #[test]
    fn an_account_round_trips_and_is_smaller_than_its_object() {
        let a = full();
        let packed = encode(&a).expect("encode");
        assert!(packed.starts_with('['), "{packed}");
        assert!(!packed.contains("EXP-0000042"), "the id is the hash field");
        assert_eq!(decode(&a.id, &packed).expect("decode"), a);
        let object = serde_json::to_string(&a).expect("json");
        assert!(
            packed.len() * 10 < object.len() * 8,
            "{} vs {} bytes",
            packed.len(),
            object.len()
        );
    }

    #[test]
    fn a_layout_1_object_still_reads() {
        let a = full();
        let object = serde_json::to_string(&a).expect("json");
        assert_eq!(decode(&a.id, &object).expect("decode"), a);
    }
}
