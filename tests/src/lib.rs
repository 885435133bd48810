//! Helpers for the end-to-end tests in `tests/tests/*.rs`, which drive the
//! real `cobro` binary (built by `scripts/test.sh` before the tests run).
//!
//! One file per concept; everything is re-exported here so a test names
//! `cobro_tests::x` whatever file `x` lives in.

mod answer_dropping_link;
mod fault;
mod faulty_smtp;
mod faulty_twilio;
mod http;
mod ledger;
mod outbox;
mod rng;
mod run;
mod twilio_reports;

pub use answer_dropping_link::*;
pub use fault::*;
pub use faulty_smtp::*;
pub use faulty_twilio::*;
pub use http::*;
pub use ledger::*;
pub use outbox::*;
pub use rng::*;
pub use run::*;
pub use twilio_reports::*;
