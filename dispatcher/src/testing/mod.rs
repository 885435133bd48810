//! cobro-specific fixtures for tests of this crate and of the end-to-end
//! suite (campaign files, rule packs), compiled only with the `testkit`
//! feature. The generic process helpers (free ports, a private Redis or
//! SMTP sink, a child-process guard) are in the `cobro-testkit` crate.

pub mod agent_campaign;
pub mod open_campaign;
pub mod open_pack;
pub mod redis_dump;

pub use agent_campaign::{AgentDebtor, SCRIPT_EN, SCRIPT_ES, write_agent_campaign};
pub use open_campaign::{OpenCampaign, write_open_campaign, write_wall_clock_campaign};
pub use open_pack::open_around_the_clock_pack;
pub use redis_dump::load_redis_dump;
