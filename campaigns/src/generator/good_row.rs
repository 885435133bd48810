//! One plausible account row: a country by weight, a debtor, a debt, and
//! the phones and e-mails a creditor's file would carry.

use chrono::{Datelike, Duration};
use rand::Rng;
use rand::rngs::StdRng;

use super::fields::{ascii_fold, chance, consent, phone, pick, tax_id};
use super::tables::{COUNTRIES, HISPANIC_FIRST, HISPANIC_LAST, US_FIRST, US_LAST};
use super::{GeneratedRow, GeneratorOptions};

pub(super) fn good_row(rng: &mut StdRng, i: usize, opts: &GeneratorOptions) -> GeneratedRow {
    let roll = rng.random_range(0..100u8);
    let spec = &COUNTRIES[match roll {
        0..=39 => 0,
        40..=59 => 1,
        60..=71 => 2,
        72..=81 => 3,
        _ => 4,
    }];
    let region = pick(rng, spec.regions);
    let us = spec.code == "US";
    let (first, last1, last2) = if us {
        (*pick(rng, US_FIRST), *pick(rng, US_LAST), "")
    } else {
        (
            *pick(rng, HISPANIC_FIRST),
            *pick(rng, HISPANIC_LAST),
            *pick(rng, HISPANIC_LAST),
        )
    };
    let name = if us {
        format!("{first} {last1}")
    } else {
        format!("{first} {last1} {last2}")
    };
    let id = format!("EXP-{:07}", i + 1);

    let whole = rng.random_range(spec.amount.0..=spec.amount.1);
    let amount = if spec.decimals {
        format!("{whole}.{:02}", rng.random_range(0..100u8))
    } else {
        whole.to_string()
    };
    let dpd = rng.random_range(1..=120i64);
    let due = opts.reference_date - Duration::days(dpd);
    // Some creditors export DD/MM/YYYY.
    let due_text = if rng.random_range(0..10u8) == 0 {
        format!("{:02}/{:02}/{}", due.day(), due.month(), due.year())
    } else {
        due.format("%Y-%m-%d").to_string()
    };
    let segment = match dpd {
        0..=30 => "temprana",
        31..=90 => "media",
        _ => "tardia",
    };
    let timezone = if chance(rng, 0.05) {
        region.zone.to_string()
    } else {
        String::new()
    };

    let has_phone = !chance(rng, 0.05);
    let has_email = !has_phone || !chance(rng, 0.12);
    let (phone1, phone_role, phone_prov, phone_flags, c_sms, c_voice) = if has_phone {
        let p = phone(rng, spec.code, region);
        let prov = match rng.random_range(0..20u8) {
            0 => "skip_traced",
            1..=2 => "debtor_provided",
            _ => "creditor_file",
        };
        let flags = match rng.random_range(0..100u8) {
            0..=7 => "landline",
            8 => "reassigned",
            _ => "",
        };
        (
            p,
            "debtor".to_string(),
            prov.to_string(),
            flags.to_string(),
            consent(rng),
            consent(rng),
        )
    } else {
        Default::default()
    };
    let (email, email_role, email_prov, email_flags, c_email) = if has_email {
        let domain = *pick(rng, spec.email_domains);
        let n = rng.random_range(0..100u8);
        let local = format!(
            "{}.{}{}",
            ascii_fold(first),
            ascii_fold(last1),
            if n < 50 { n.to_string() } else { String::new() }
        );
        let employer = us && chance(rng, 0.03);
        (
            format!("{local}@{domain}"),
            "debtor".to_string(),
            "creditor_file".to_string(),
            if employer {
                "employer_email".to_string()
            } else {
                String::new()
            },
            consent(rng),
        )
    } else {
        Default::default()
    };
    let (phone2, phone2_role, phone2_prov) = if chance(rng, 0.15) {
        let role = match rng.random_range(0..20u8) {
            0..=11 => "guarantor",
            12..=16 => "third_party",
            _ => "reference",
        };
        let prov = if chance(rng, 0.3) {
            "skip_traced"
        } else {
            "creditor_file"
        };
        (
            phone(rng, spec.code, region),
            role.to_string(),
            prov.to_string(),
        )
    } else {
        Default::default()
    };
    let mut flags = Vec::new();
    let f = rng.random_range(0..1000u16);
    if f < 5 {
        flags.push("minor");
    } else if f < 15 {
        flags.push("cease_communication");
    } else if f < 35 {
        flags.push("sued");
    } else if f < 50 {
        flags.push("disputed");
    }
    let payment_link = format!(
        "https://pagos.cobranzas-andinas.example/p/{}",
        id.to_ascii_lowercase()
    );

    GeneratedRow {
        fields: [
            id,
            pick(rng, spec.creditors).to_string(),
            name,
            tax_id(
                rng,
                spec.code,
                first,
                last1,
                if last2.is_empty() { "X" } else { last2 },
            ),
            amount,
            spec.currency.to_string(),
            due_text,
            segment.to_string(),
            spec.language.to_string(),
            spec.code.to_string(),
            region.code.unwrap_or_default().to_string(),
            timezone,
            phone1,
            phone_role,
            phone_prov,
            phone_flags,
            c_sms,
            c_voice,
            email,
            email_role,
            email_prov,
            email_flags,
            c_email,
            phone2,
            phone2_role,
            phone2_prov,
            flags.join(";"),
            payment_link,
        ],
        bad: None,
    }
}
