//! Routes each due contact to the dispatcher of its campaign: one worker
//! process serves every campaign it was given (each with its own rules,
//! templates and sender identity).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Dispatcher, PipelineError, ProcessOutcome};
use crate::queue::ContactProcessor;
use crate::store::{ContactRecord, Store};

pub struct CampaignRouter<S: Store> {
    dispatchers: HashMap<String, Arc<Dispatcher<S>>>,
}

impl<S: Store> CampaignRouter<S> {
    pub fn new() -> Self {
        CampaignRouter {
            dispatchers: HashMap::new(),
        }
    }

    pub fn add(&mut self, campaign: &str, dispatcher: Arc<Dispatcher<S>>) {
        self.dispatchers.insert(campaign.to_string(), dispatcher);
    }

    pub fn campaigns(&self) -> Vec<&str> {
        self.dispatchers.keys().map(String::as_str).collect()
    }
}

impl<S: Store> Default for CampaignRouter<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Store> ContactProcessor for CampaignRouter<S> {
    /// The driver hands contacts of other campaigns back to the plan
    /// instead of failing them: another worker may serve those.
    fn handles(&self, campaign: &str) -> bool {
        self.dispatchers.contains_key(campaign)
    }

    /// Each campaign's contacts go to its dispatcher's batch path.
    fn process_batch(
        &self,
        records: Vec<ContactRecord>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Vec<Result<ProcessOutcome, PipelineError>>> + Send {
        let total = records.len();
        let mut groups: HashMap<String, Vec<(usize, ContactRecord)>> = HashMap::new();
        for (i, record) in records.into_iter().enumerate() {
            groups
                .entry(record.contact.campaign.clone())
                .or_default()
                .push((i, record));
        }
        let groups: Vec<_> = groups
            .into_iter()
            .map(|(campaign, items)| (self.dispatchers.get(&campaign).cloned(), items))
            .collect();
        async move {
            let runs = groups.into_iter().map(|(dispatcher, items)| async move {
                let (indices, records): (Vec<usize>, Vec<ContactRecord>) =
                    items.into_iter().unzip();
                let results = match dispatcher {
                    Some(d) => d.process_batch(records, now).await,
                    None => records
                        .iter()
                        .map(|r| {
                            Err(PipelineError::Setup(format!(
                                "this worker was not given campaign '{}' (pass its file with --campaign)",
                                r.contact.campaign
                            )))
                        })
                        .collect(),
                };
                indices.into_iter().zip(results).collect::<Vec<_>>()
            });
            let mut out: Vec<Option<Result<ProcessOutcome, PipelineError>>> =
                (0..total).map(|_| None).collect();
            for group in futures::future::join_all(runs).await {
                for (i, result) in group {
                    out[i] = Some(result);
                }
            }
            out.into_iter()
                .map(|r| {
                    r.unwrap_or_else(|| Err(PipelineError::Setup("batch result missing".into())))
                })
                .collect()
        }
    }

    fn process(
        &self,
        record: ContactRecord,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ProcessOutcome, PipelineError>> + Send {
        let dispatcher = self.dispatchers.get(&record.contact.campaign).cloned();
        async move {
            match dispatcher {
                Some(d) => d.process(record, now).await,
                // Not reached when the driver asks `handles` first.
                None => Err(PipelineError::Setup(format!(
                    "this worker was not given campaign '{}' (pass its file with --campaign)",
                    record.contact.campaign
                ))),
            }
        }
    }
}
