//! Routes each due contact to the dispatcher of its campaign: one worker
//! process serves every campaign it was given (each with its own rules,
//! templates and sender identity).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::pipeline::{Dispatcher, PipelineError, ProcessOutcome};
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
