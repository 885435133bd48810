//! Helpers for tests of this crate and of the end-to-end suite: real
//! services started privately by the test itself.

pub mod redis_server;

pub use redis_server::{RedisServer, RedisServerError};
