//! A campaign's progress per debtor-local day and channel: how many ledger
//! rows of each outcome (sent, delivered, deferred, blocked, failed,
//! unknown…) each day had on each channel, read from the ledger a page at
//! a time and bounded, so a console page never reads a campaign of
//! millions of rows on every visit (the report and the export read all).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{LEDGER_PAGE, local_day};
use crate::store::{LedgerState, Store, StoreError};

/// The ledger states a day's row counts (decisions and outcomes; `allowed`
/// and `retry` are steps on the way, inbound rows are not attempts).
pub const COUNTED: [LedgerState; 8] = [
    LedgerState::Sent,
    LedgerState::Delivered,
    LedgerState::Undelivered,
    LedgerState::Deferred,
    LedgerState::Blocked,
    LedgerState::Failed,
    LedgerState::Cancelled,
    LedgerState::Unknown,
];

/// Counts of one day on one channel, by ledger state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DayCounts {
    pub day: NaiveDate,
    pub channel: String,
    /// Ledger state → rows (every state of [`COUNTED`], zeros included).
    pub counts: BTreeMap<&'static str, u64>,
}

/// The days of a campaign, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DailyProgress {
    pub rows: Vec<DayCounts>,
    /// Ledger rows read.
    pub rows_read: u64,
    /// True when the ledger had more than `max_rows` rows and the rest
    /// was not read (the export has them all).
    pub truncated: bool,
}

impl DailyProgress {
    /// The first `max_rows` ledger rows of `campaign` (at least one page),
    /// by day and channel.
    pub async fn from_store<S: Store>(
        store: &S,
        campaign: &str,
        max_rows: u64,
    ) -> Result<Self, StoreError> {
        let mut by_day: BTreeMap<(NaiveDate, String), BTreeMap<&'static str, u64>> =
            BTreeMap::new();
        let mut rows_read = 0u64;
        let mut cursor = 0;
        let truncated = loop {
            let (rows, next) = store
                .campaign_ledger_page(campaign, cursor, LEDGER_PAGE)
                .await?;
            rows_read += rows.len() as u64;
            for row in &rows {
                if !COUNTED.contains(&row.state) {
                    continue;
                }
                let counts = by_day
                    .entry((local_day(row), row.channel.as_str().to_string()))
                    .or_insert_with(|| COUNTED.iter().map(|s| (s.as_str(), 0)).collect());
                *counts.entry(row.state.as_str()).or_default() += 1;
            }
            match next {
                Some(_) if rows_read >= max_rows => break true,
                Some(n) => cursor = n,
                None => break false,
            }
        };
        Ok(DailyProgress {
            rows: by_day
                .into_iter()
                .map(|((day, channel), counts)| DayCounts {
                    day,
                    channel,
                    counts,
                })
                .collect(),
            rows_read,
            truncated,
        })
    }
}
