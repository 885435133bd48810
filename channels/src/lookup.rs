//! Asking a provider what became of a message whose answer was lost
//! (`cobro reconcile`). Provider-neutral, like `callback.rs`: each
//! provider that offers a lookup answers it in its own folder
//! (`providers/<name>/lookup.rs`) and [`Channel::lookup`] exposes it;
//! the rest answer `None` (no one can tell, the contact stays `unknown`).
//!
//! [`Channel::lookup`]: crate::Channel::lookup

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::{ChannelKind, DeliveryStatus};

/// One contact whose send has no recorded answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupQuery {
    pub contact_id: String,
    pub channel: ChannelKind,
    /// The address the message went to (E.164 or email).
    pub to: String,
    /// The window the send happened in: from its reservation (a little
    /// before) to the row that recorded it lost (a little after).
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Provider ids already recorded for other contacts: a message with
    /// one of them is theirs, never this contact's.
    pub taken: BTreeSet<String>,
}

/// What the provider said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupAnswer {
    /// Exactly one message of ours matches: it went out.
    Found {
        provider_id: String,
        /// `Accepted` while its fate is not final.
        status: DeliveryStatus,
        /// The provider's status (and error), for the ledger row.
        detail: String,
    },
    /// The provider has no message for it: it never went out.
    NotFound,
    /// Several messages could be this contact's: nobody can tell which.
    Ambiguous { candidates: usize },
}

impl LookupAnswer {
    pub fn name(&self) -> &'static str {
        match self {
            LookupAnswer::Found { .. } => "found",
            LookupAnswer::NotFound => "not_found",
            LookupAnswer::Ambiguous { .. } => "ambiguous",
        }
    }
}

/// A candidate a provider listed: its id, when it was created, and the
/// status it is in.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub id: String,
    pub created: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub detail: String,
}

/// The answer for `query` from the messages a provider listed for its
/// recipient: those created inside the window and not taken by another
/// contact. One is found; none is not found; more are ambiguous.
pub(crate) fn pick(query: &LookupQuery, listed: Vec<Candidate>) -> LookupAnswer {
    let mut inside: Vec<Candidate> = listed
        .into_iter()
        .filter(|c| c.created >= query.since && c.created <= query.until)
        .filter(|c| !query.taken.contains(&c.id))
        .collect();
    match inside.len() {
        0 => LookupAnswer::NotFound,
        1 => {
            let c = inside.remove(0);
            LookupAnswer::Found {
                provider_id: c.id,
                status: c.status,
                detail: c.detail,
            }
        }
        n => LookupAnswer::Ambiguous { candidates: n },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0)
            .single()
            .expect("instant")
    }

    fn candidate(id: &str, s: i64) -> Candidate {
        Candidate {
            id: id.into(),
            created: at(s),
            status: DeliveryStatus::Accepted,
            detail: "queued".into(),
        }
    }

    #[test]
    fn one_untaken_message_inside_the_window_is_found() {
        let query = LookupQuery {
            contact_id: "c/a/s1".into(),
            channel: ChannelKind::Sms,
            to: "+5215512345678".into(),
            since: at(0),
            until: at(60),
            taken: ["SM-taken".to_string()].into(),
        };
        let listed = vec![
            candidate("SM-before", -10),
            candidate("SM-taken", 5),
            candidate("SM-ours", 10),
            candidate("SM-after", 61),
        ];
        assert_eq!(
            pick(&query, listed.clone()),
            LookupAnswer::Found {
                provider_id: "SM-ours".into(),
                status: DeliveryStatus::Accepted,
                detail: "queued".into()
            }
        );
        assert_eq!(pick(&query, listed[..2].to_vec()), LookupAnswer::NotFound);
        let mut two = listed;
        two.push(candidate("SM-other", 30));
        assert_eq!(pick(&query, two), LookupAnswer::Ambiguous { candidates: 2 });
    }
}
