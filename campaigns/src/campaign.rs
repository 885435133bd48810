use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One run of a strategy over a portfolio, starting on a given date.
/// Its id prefixes every contact id, so re-launching the same campaign
/// adds nothing twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub start_date: NaiveDate,
}
