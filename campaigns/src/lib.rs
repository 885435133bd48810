//! The collections domain: who owes what, how to reach them, and which
//! contacts a campaign plans. Pure data and pure functions: no I/O besides
//! reading the files handed to the importers (the CSV importer validates
//! rows on worker threads, with results identical to a sequential run).
//!
//! - [`import`]: portfolio files (CSV/JSONL/xlsx) into [`Account`]s, with
//!   per-row errors; columns documented in `campaigns/PORTFOLIO.md`.
//! - [`spreadsheet`]: what the importers share about spreadsheet exports:
//!   encodings, the decimal comma, workbooks.
//! - [`strategy`]: strategy files (TOML) into [`strategy::Strategy`].
//! - [`planning`]: (campaign, strategy, accounts) into [`PlannedContact`]s.
//! - [`generator`]: seeded sample portfolios for demos and benchmarks.

pub mod account;
pub mod account_status;
pub mod arms;
pub mod book;
pub mod campaign;
pub mod channel;
pub mod contact_point;
pub mod contact_state;
pub mod debtor;
pub mod generator;
pub mod import;
pub mod iso;
pub mod payments_import;
mod phone;
pub mod plan;
pub mod planning;
pub mod spreadsheet;
pub mod strategy;
pub mod template_element;
pub mod text_file;

pub use account::{Account, AccountFlag};
pub use account_status::AccountStatus;
pub use campaign::Campaign;
pub use channel::ChannelKind;
pub use contact_point::{AddressKind, Consent, ContactFlag, ContactPoint, ContactRole, Provenance};
pub use contact_state::{ContactState, StateMove};
pub use debtor::debtor_key;
pub use plan::{ContactId, PlannedContact};
pub use template_element::TemplateElement;
