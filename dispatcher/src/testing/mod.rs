//! Helpers for tests of this crate and of the end-to-end suite: real
//! services started privately by the test itself.

pub mod child_process;
pub mod open_campaign;
pub mod open_pack;
pub mod redis_server;

pub use child_process::ChildProcess;
pub use open_campaign::{OpenCampaign, write_open_campaign};
pub use open_pack::open_around_the_clock_pack;
pub use redis_server::{RedisServer, RedisServerError};
