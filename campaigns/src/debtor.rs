//! Debtor identity: who a person is across the accounts they owe.

use crate::Account;

/// The key frequency caps and cooldowns count against. One person may owe
/// several accounts (to one creditor or several), and the law caps how often
/// that *person* is contacted, not each debt: accounts with the same tax id
/// in the same country share one key. The tax id is compared trimmed and
/// upper-cased because portfolio files write RFC/RUT/NIF in either case. An
/// account without a tax id cannot be matched to others, so it stands for a
/// debtor of its own.
pub fn debtor_key(account: &Account) -> String {
    match account.tax_id.as_deref().map(str::trim) {
        Some(tax_id) if !tax_id.is_empty() => {
            format!("tax:{}:{}", account.country, tax_id.to_uppercase())
        }
        _ => format!("account:{}", account.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, country: &str, tax_id: Option<&str>) -> Account {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "creditor": "Banco",
            "debtor_name": "Ana",
            "tax_id": tax_id,
            "amount_due": "100.00",
            "currency": "MXN",
            "due_date": "2026-11-01",
            "language": "es-MX",
            "country": country,
        }))
        .expect("a valid account")
    }

    #[test]
    fn accounts_with_one_tax_id_share_a_debtor() {
        let a = account("A1", "MX", Some("gohm800101abc"));
        let b = account("A2", "MX", Some(" GOHM800101ABC "));
        assert_eq!(debtor_key(&a), "tax:MX:GOHM800101ABC");
        assert_eq!(debtor_key(&a), debtor_key(&b));
    }

    #[test]
    fn the_country_scopes_the_tax_id() {
        let mx = account("A1", "MX", Some("123"));
        let cl = account("A2", "CL", Some("123"));
        assert_ne!(debtor_key(&mx), debtor_key(&cl));
    }

    #[test]
    fn without_a_tax_id_the_account_is_the_debtor() {
        assert_eq!(debtor_key(&account("A1", "MX", None)), "account:A1");
        assert_eq!(debtor_key(&account("A2", "MX", Some("  "))), "account:A2");
    }
}
