//! Helpers for tests of this crate and of the end-to-end suite: real
//! services started privately by the test itself.

pub mod child_process;
pub mod redis_server;

pub use child_process::ChildProcess;
pub use redis_server::{RedisServer, RedisServerError};
