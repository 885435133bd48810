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
