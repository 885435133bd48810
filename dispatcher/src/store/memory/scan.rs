//! The expedientes scan in memory: walks the account ids after the cursor
//! in order (those of the scan's campaign, else of its creditor, else all),
//! examines at most the scan's window and keeps exactly the rows every
//! filter admits (the list checks them again anyway).

use std::collections::BTreeSet;
use std::ops::Bound;

use super::state::{AccountEntry, State};
use crate::store::{AccountRow, AccountScan, ScannedAccounts};

/// Whether `entry` passes every filter of `scan` but the campaign (which
/// the walk itself applies).
fn matches(entry: &AccountEntry, scan: &AccountScan) -> bool {
    let a = &entry.account;
    scan.creditor.as_ref().is_none_or(|c| &a.creditor == c)
        && scan.status.is_none_or(|s| entry.status == s)
        && scan
            .country
            .as_ref()
            .is_none_or(|c| a.country.eq_ignore_ascii_case(c))
        && scan.segment.as_ref().is_none_or(|s| {
            a.segment
                .as_ref()
                .is_some_and(|mine| mine.eq_ignore_ascii_case(s))
        })
        && scan.due_from.is_none_or(|d| a.due_date >= d)
        && scan.due_to.is_none_or(|d| a.due_date <= d)
        && scan.amount_due_min.is_none_or(|m| a.amount_due >= m)
        && scan
            .q
            .as_ref()
            .is_none_or(|q| entry.search.contains(q.as_str()))
}

impl State {
    pub(super) fn scan(&self, scan: &AccountScan) -> ScannedAccounts {
        let window = scan.window.max(1);
        let lower = scan
            .after
            .as_ref()
            .map_or(Bound::Unbounded, |a| Bound::Excluded(a.clone()));
        let range = (lower, Bound::Unbounded);
        let empty = BTreeSet::new();
        let ids: Box<dyn Iterator<Item = &String>> = if let Some(campaign) = &scan.campaign {
            let set = self
                .plan
                .campaigns
                .get(campaign)
                .map_or(&empty, |c| &c.accounts);
            Box::new(set.range(range))
        } else if let Some(creditor) = &scan.creditor {
            let set = self.by_creditor.get(creditor).unwrap_or(&empty);
            Box::new(set.range(range))
        } else {
            Box::new(self.accounts.range(range).map(|(id, _)| id))
        };
        let mut rows = Vec::new();
        let mut examined = 0;
        let mut last = None;
        for id in ids.take(window) {
            examined += 1;
            last = Some(id);
            if let Some(entry) = self.accounts.get(id)
                && matches(entry, scan)
            {
                rows.push(AccountRow::new(&entry.account, entry.status));
            }
        }
        ScannedAccounts {
            rows,
            next: (examined == window).then(|| last.cloned()).flatten(),
        }
    }
}
