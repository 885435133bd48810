//! Joins the crates into the running system: stores, queue, the
//! per-contact pipeline, simulation, HTTP service and the CLI.

pub mod channel_set;
pub mod cli;
pub mod events;
pub mod launch;
pub mod pipeline;
pub mod report;
pub mod sender;
pub mod simulation;
pub mod store;
pub mod testing;
