//! One row, whatever its format, into an [`Account`] or every problem
//! found in it: the readers fill a [`RowView`] with the row's text and
//! [`build_account`] applies the field rules.

use std::collections::{BTreeMap, BTreeSet};

use super::columns::{CORE_N, Core, EmailAttr, FieldNames, PhoneAttr, SLOTS};
use super::fields::{
    check_id, normalize_email, normalize_phone, parse_amount_with, parse_consent,
    parse_contact_flags, parse_country, parse_currency, parse_date, parse_language, parse_list,
    parse_provenance, parse_role, parse_subdivision, parse_timezone,
};
use super::{RowError, RowReason};
use crate::iso;
use crate::spreadsheet::AmountReading;
use crate::{Account, AccountFlag, AddressKind, Consent, ContactPoint};

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PhoneView<'a> {
    pub(super) vals: [Option<&'a str>; 6],
}

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct EmailView<'a> {
    pub(super) vals: [Option<&'a str>; 5],
}

/// The raw text of one row's fields, borrowed from the record.
#[derive(Debug, Default)]
pub(super) struct RowView<'a> {
    pub(super) core: [Option<&'a str>; CORE_N],
    pub(super) phones: [PhoneView<'a>; SLOTS],
    pub(super) emails: [EmailView<'a>; SLOTS],
    pub(super) attributes: Vec<(&'a str, &'a str)>,
    /// JSONL only: a full `contact_points` array.
    pub(super) contact_points: Option<&'a serde_json::Value>,
}

pub(super) fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// Parses a value `required` found; a parse failure becomes the row's
/// error for `field`.
fn parse_present<T>(
    value: Option<String>,
    line: usize,
    field: &str,
    errs: &mut Vec<RowError>,
    parse: impl FnOnce(&str) -> Result<T, RowReason>,
) -> Option<T> {
    parse(&value?)
        .map_err(|reason| errs.push(RowError::new(line, field, reason)))
        .ok()
}

/// Validates one row into an account, or every problem found in it.
/// `amounts` is how this file's amounts are read (its decimal separator).
pub(super) fn build_account(
    view: &RowView<'_>,
    names: &FieldNames,
    line: usize,
    amounts: &AmountReading,
) -> Result<Account, Vec<RowError>> {
    let mut errs = Vec::new();
    let get = |c: Core| nonempty(view.core[c as usize]);
    let required = |c: Core, errs: &mut Vec<RowError>| -> Option<String> {
        match get(c) {
            Some(v) => Some(v.to_string()),
            None => {
                errs.push(RowError::new(line, names.core(c), RowReason::Missing));
                None
            }
        }
    };

    let id = required(Core::Id, &mut errs);
    if let Some(id) = &id
        && let Err(reason) = check_id(id)
    {
        errs.push(RowError::new(line, names.core(Core::Id), reason));
    }
    let creditor = required(Core::Creditor, &mut errs);
    let debtor_name = required(Core::DebtorName, &mut errs);
    let tax_id = get(Core::TaxId).map(str::to_string);

    let country = parse_present(
        required(Core::Country, &mut errs),
        line,
        names.core(Core::Country),
        &mut errs,
        parse_country,
    );

    let currency = parse_present(
        required(Core::Currency, &mut errs),
        line,
        names.core(Core::Currency),
        &mut errs,
        parse_currency,
    );

    let amount_due = parse_present(
        required(Core::AmountDue, &mut errs),
        line,
        names.core(Core::AmountDue),
        &mut errs,
        |raw| parse_amount_with(raw, currency.as_ref().map(|(_, d)| *d), amounts),
    );

    let due_date = parse_present(
        required(Core::DueDate, &mut errs),
        line,
        names.core(Core::DueDate),
        &mut errs,
        parse_date,
    );

    let segment = get(Core::Segment).map(|s| s.to_lowercase());

    let subdivision = match (get(Core::Subdivision), &country) {
        (None, _) => None,
        (Some(raw), Some(country)) => match parse_subdivision(raw, country) {
            Ok(s) => Some(s),
            Err(r) => {
                errs.push(RowError::new(line, names.core(Core::Subdivision), r));
                None
            }
        },
        // Without a valid country the subdivision cannot be checked; the
        // country error already rejects the row.
        (Some(_), None) => None,
    };

    let timezone = match get(Core::Timezone) {
        None => None,
        Some(raw) => match parse_timezone(raw) {
            Ok(z) => Some(z),
            Err(r) => {
                errs.push(RowError::new(line, names.core(Core::Timezone), r));
                None
            }
        },
    };

    let language = match get(Core::Language) {
        Some(raw) => match parse_language(raw) {
            Ok(l) => Some(l),
            Err(r) => {
                errs.push(RowError::new(line, names.core(Core::Language), r));
                None
            }
        },
        None => country.as_deref().map(iso::default_language),
    };

    let flags = match get(Core::Flags) {
        None => BTreeSet::new(),
        Some(raw) => match parse_list(raw, AccountFlag::parse) {
            Ok(f) => f,
            Err(bad) => {
                errs.push(RowError::new(
                    line,
                    names.core(Core::Flags),
                    RowReason::UnknownAccountFlag { raw: bad },
                ));
                BTreeSet::new()
            }
        },
    };

    let mut contact_points = Vec::new();
    for (slot, p) in view.phones.iter().enumerate() {
        let number = nonempty(p.vals[PhoneAttr::Number as usize]);
        let field = |a: PhoneAttr| names.phone(slot, a);
        let Some(number) = number else {
            continue;
        };
        let address = match normalize_phone(number, country.as_deref()) {
            Ok(a) => Some(a),
            Err(r) => {
                errs.push(RowError::new(line, field(PhoneAttr::Number), r));
                None
            }
        };
        let role = parse_role(nonempty(p.vals[PhoneAttr::Role as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(PhoneAttr::Role), r)))
            .ok();
        let provenance = parse_provenance(nonempty(p.vals[PhoneAttr::Provenance as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(PhoneAttr::Provenance), r)))
            .ok();
        let cflags = parse_contact_flags(nonempty(p.vals[PhoneAttr::Flags as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(PhoneAttr::Flags), r)))
            .ok();
        let sms = parse_consent(nonempty(p.vals[PhoneAttr::ConsentSms as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(PhoneAttr::ConsentSms), r)))
            .ok();
        let voice = parse_consent(nonempty(p.vals[PhoneAttr::ConsentVoice as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(PhoneAttr::ConsentVoice), r)))
            .ok();
        if let (Some(address), Some(role), Some(provenance), Some(flags), Some(sms), Some(voice)) =
            (address, role, provenance, cflags, sms, voice)
        {
            contact_points.push(ContactPoint {
                kind: AddressKind::Phone,
                address,
                role,
                provenance,
                consent: Consent {
                    email: None,
                    sms,
                    voice,
                },
                flags,
            });
        }
    }
    for (slot, e) in view.emails.iter().enumerate() {
        let field = |a: EmailAttr| names.email(slot, a);
        let Some(raw) = nonempty(e.vals[EmailAttr::Address as usize]) else {
            continue;
        };
        let address = normalize_email(raw)
            .map_err(|r| errs.push(RowError::new(line, field(EmailAttr::Address), r)))
            .ok();
        let role = parse_role(nonempty(e.vals[EmailAttr::Role as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(EmailAttr::Role), r)))
            .ok();
        let provenance = parse_provenance(nonempty(e.vals[EmailAttr::Provenance as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(EmailAttr::Provenance), r)))
            .ok();
        let cflags = parse_contact_flags(nonempty(e.vals[EmailAttr::Flags as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(EmailAttr::Flags), r)))
            .ok();
        let consent = parse_consent(nonempty(e.vals[EmailAttr::Consent as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(EmailAttr::Consent), r)))
            .ok();
        if let (Some(address), Some(role), Some(provenance), Some(flags), Some(email)) =
            (address, role, provenance, cflags, consent)
        {
            contact_points.push(ContactPoint {
                kind: AddressKind::Email,
                address,
                role,
                provenance,
                consent: Consent {
                    email,
                    sms: None,
                    voice: None,
                },
                flags,
            });
        }
    }
    if let Some(value) = view.contact_points {
        match serde_json::from_value::<Vec<ContactPoint>>(value.clone()) {
            Err(e) => errs.push(RowError::new(
                line,
                "contact_points",
                RowReason::BadContactPoints {
                    error: e.to_string(),
                },
            )),
            Ok(points) => {
                for (i, mut cp) in points.into_iter().enumerate() {
                    let normalized = match cp.kind {
                        AddressKind::Phone => normalize_phone(&cp.address, country.as_deref()),
                        AddressKind::Email => normalize_email(&cp.address),
                    };
                    match normalized {
                        Ok(a) => {
                            cp.address = a;
                            contact_points.push(cp);
                        }
                        Err(r) => errs.push(RowError::new(
                            line,
                            format!("contact_points[{i}].address"),
                            r,
                        )),
                    }
                }
            }
        }
    }
    let any_address_given = view.phones.iter().any(|p| nonempty(p.vals[0]).is_some())
        || view.emails.iter().any(|e| nonempty(e.vals[0]).is_some())
        || view
            .contact_points
            .is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()));
    if !any_address_given {
        errs.push(RowError::new(
            line,
            names.phone(0, PhoneAttr::Number),
            RowReason::NoContactPoint,
        ));
    }

    let mut attributes = BTreeMap::new();
    for (k, v) in &view.attributes {
        let v = v.trim();
        if !v.is_empty() {
            attributes.insert((*k).to_string(), v.to_string());
        }
    }

    if !errs.is_empty() {
        return Err(errs);
    }
    // Every `None` above pushed an error, so all are present here; the
    // match keeps that explicit without unwrap.
    match (
        id,
        creditor,
        debtor_name,
        amount_due,
        currency,
        due_date,
        country,
        language,
    ) {
        (
            Some(id),
            Some(creditor),
            Some(debtor_name),
            Some(amount_due),
            Some((currency, _)),
            Some(due_date),
            Some(country),
            Some(language),
        ) => Ok(Account {
            id,
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
        }),
        _ => Err(vec![RowError::new(line, "row", RowReason::IncompleteRow)]),
    }
}
