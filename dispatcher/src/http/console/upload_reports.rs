//! The results of console uploads, kept in memory for the page that shows
//! them and for the error-report download: each under a random id and
//! bound to the session that uploaded, so that another session (another
//! creditor's user among them) finds nothing there, exactly as for an id
//! that never existed. Results live an hour; the oldest go first when
//! there are too many. A restart forgets them: the rows themselves are in
//! the store, only the report of the refused ones is lost.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::http::portfolios::UploadOutcome;
use crate::users::new_secret;

/// How long a result can be opened again.
pub const KEEP_FOR: Duration = Duration::from_secs(3600);

/// Results kept at most.
const MAX_KEPT: usize = 200;

/// Refused rows kept at most over all results (some 100 MB): a 20 MB file
/// whose every row is bad has some 100,000.
const MAX_KEPT_ERRORS: usize = 500_000;

struct Kept {
    session: String,
    file_name: String,
    outcome: UploadOutcome,
    at: Instant,
}

/// A kept result, as its session reads it back.
#[derive(Debug, Clone)]
pub struct KeptReport {
    pub file_name: String,
    pub outcome: UploadOutcome,
}

#[derive(Default)]
pub struct UploadReports {
    kept: Mutex<HashMap<String, Kept>>,
}

impl UploadReports {
    /// Keeps `outcome` for the session whose id hash is `session`; returns
    /// the id that opens it.
    pub fn keep(&self, session: &str, file_name: &str, outcome: UploadOutcome) -> String {
        let id = new_secret("");
        let now = Instant::now();
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|_, k| now.duration_since(k.at) < KEEP_FOR);
        let errors = |kept: &HashMap<String, Kept>| -> usize {
            kept.values().map(|k| k.outcome.errors.len()).sum()
        };
        while kept.len() >= MAX_KEPT
            || (!kept.is_empty() && errors(&kept) + outcome.errors.len() > MAX_KEPT_ERRORS)
        {
            let Some(oldest) = kept
                .iter()
                .min_by_key(|(_, k)| k.at)
                .map(|(id, _)| id.clone())
            else {
                break;
            };
            kept.remove(&oldest);
        }
        kept.insert(
            id.clone(),
            Kept {
                session: session.to_string(),
                file_name: file_name.to_string(),
                outcome,
                at: now,
            },
        );
        id
    }

    /// The result `id` if `session` kept it and it has not expired.
    pub fn get(&self, id: &str, session: &str) -> Option<KeptReport> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.get(id)
            .filter(|k| k.session == session && k.at.elapsed() < KEEP_FOR)
            .map(|k| KeptReport {
                file_name: k.file_name.clone(),
                outcome: k.outcome.clone(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome() -> UploadOutcome {
        UploadOutcome {
            rows_read: 1,
            accepted: 1,
            rejected: 0,
            errors: Vec::new(),
        }
    }

    #[test]
    fn only_the_uploading_session_opens_a_result() {
        let reports = UploadReports::default();
        let id = reports.keep("session-a", "c.csv", outcome());
        assert_eq!(
            reports.get(&id, "session-a").map(|k| k.outcome),
            Some(outcome())
        );
        assert!(reports.get(&id, "session-b").is_none());
        assert!(reports.get("made-up", "session-a").is_none());
    }

    #[test]
    fn the_oldest_results_make_room() {
        let reports = UploadReports::default();
        let first = reports.keep("s", "c.csv", outcome());
        for _ in 0..MAX_KEPT {
            reports.keep("s", "c.csv", outcome());
        }
        assert!(reports.get(&first, "s").is_none());
        assert_eq!(reports.kept.lock().map(|k| k.len()).unwrap_or(0), MAX_KEPT);
    }
}
