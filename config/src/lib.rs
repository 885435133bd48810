//! Loading and validating cobro's settings files: typed,
//! `deny_unknown_fields`, validated once at load, with errors that name the
//! file, line and key. Secrets come from the environment (`${VAR}`), never
//! from the files themselves.

mod arms;
mod campaign;
mod channels;
mod costs;
mod env;
mod error;
mod house;
mod locate;
mod settings;
mod worker;

pub use arms::{ArmSection, LoadedArms};
pub use campaign::{
    CampaignFile, DEFAULT_ATTRIBUTION_DAYS, LoadedCampaign, RulesMap, SenderSection,
};
pub use channels::ChannelSection;
pub use costs::CostsSection;
pub use env::expand_env;
pub use error::ConfigError;
pub use house::{HouseSection, PaymentProviderKind, PaymentsSection};
pub use settings::{HttpSection, Settings};
pub use worker::WorkerSection;
