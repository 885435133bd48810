//! Joins the crates into the running system: stores, queue, the
//! per-contact pipeline, simulation, HTTP service and the CLI.

pub mod account_explain;
pub mod account_list;
pub mod account_timeline;
pub mod account_view;
pub mod channel_set;
pub mod cli;
pub mod dispatch_metrics;
pub mod engine;
pub mod http;
pub mod launch;
pub mod prometheus;
pub mod queue;
pub mod queue_probe;
pub mod report;
pub mod rules_in_force;
pub mod simulate;
pub mod store;
pub mod suppression_list;
#[cfg(feature = "testkit")]
pub mod testing;
pub mod transports;
pub mod users;
pub mod work_queue;
