//! The sequential step after validation: the duplicate-id check (which
//! needs file order) and the hand-off of each accepted account with its
//! line.

use std::collections::HashMap;

use super::{ImportSummary, RowError, RowReason};
use crate::Account;

/// Remembers ids in file order so the *second* occurrence is the bad row.
#[derive(Default)]
pub(super) struct SeenIds(HashMap<String, usize>);

impl SeenIds {
    fn check(&mut self, id: &str, line: usize, field: &str) -> Option<RowError> {
        match self.0.get(id) {
            Some(first) => Some(RowError::new(
                line,
                field,
                RowReason::DuplicateId {
                    id: id.to_string(),
                    first: *first,
                },
            )),
            None => {
                self.0.insert(id.to_string(), line);
                None
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn accept(
    summary: &mut ImportSummary,
    seen: &mut SeenIds,
    id_field: &str,
    id: Option<String>,
    result: Result<Account, Vec<RowError>>,
    line: usize,
    on_account: &mut impl FnMut(usize, Account),
) {
    let dup = match (&result, id.as_deref()) {
        (Ok(account), _) => seen.check(&account.id, line, id_field),
        (Err(_), Some(id)) => seen.check(id, line, id_field),
        (Err(_), None) => None,
    };
    match (result, dup) {
        (Ok(account), None) => {
            summary.accepted += 1;
            on_account(line, account);
        }
        (Ok(_), Some(d)) => summary.errors.push(d),
        (Err(errs), dup) => {
            summary.errors.extend(errs);
            summary.errors.extend(dup);
        }
    }
}
