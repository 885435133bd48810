//! Process helpers shared by the tests (and benches) of every cobro crate:
//! real services started privately by the test itself, on ports nobody
//! else uses, and stopped when the test ends however it ends.
//!
//! Only dev-dependencies name this crate, so nothing here reaches a
//! release binary. It knows nothing of cobro itself; cobro-specific
//! fixtures (campaign files, rule packs) live in `cobro_dispatcher::testing`.

pub mod child_process;
pub mod port;
pub mod redis_server;
pub mod smtp_sink;

pub use child_process::ChildProcess;
pub use port::{free_port, try_free_port};
pub use redis_server::{RedisServer, RedisServerError};
pub use smtp_sink::{SmtpSink, smtp_sink_binary};
