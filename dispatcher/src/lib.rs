//! Joins the crates into the running system: stores, queue, the
//! per-contact pipeline, simulation, HTTP service and the CLI.

pub mod cli;
pub mod pipeline;
pub mod store;
