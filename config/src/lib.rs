//! Loading and validating cobro's settings files (DESIGN.md §8): typed,
//! `deny_unknown_fields`, validated once at load, with errors that name the
//! file, line and key. Secrets come from the environment (`${VAR}`), never
//! from the files themselves.

mod campaign;
mod env;
mod error;
mod settings;

pub use campaign::{CampaignFile, LoadedCampaign, RulesMap, SenderSection};
pub use env::expand_env;
pub use error::ConfigError;
pub use settings::{ChannelSection, HttpSection, Settings, WorkerSection};
