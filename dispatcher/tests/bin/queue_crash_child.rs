//! The worker process that `tests/queue_crash.rs` starts and kills with
//! SIGKILL mid-campaign: `queue_crash_child REDIS_URL` runs the queue's
//! workers against that Redis until it is killed. A program of its own
//! (built only with the `testkit` feature, so never part of a release
//! build), not a test: it has nothing to assert and only the crash test
//! runs it.

#[path = "../queue_common/mod.rs"]
mod queue_common;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use cobro_dispatcher::queue::{QueueBackend, run_workers};
use cobro_dispatcher::store::redis::RedisStore;
use queue_common::{Behaviour, Recorder, crash_opts, never};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: queue_crash_child REDIS_URL");
        return ExitCode::from(2);
    };
    let store = match RedisStore::connect(&url).await {
        Ok(store) => Arc::new(store),
        Err(e) => {
            eprintln!("queue_crash_child: cannot open the store at {url}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let recorder = Arc::new(Recorder::new(
        store.clone(),
        Behaviour::Reserve(Duration::from_millis(50)),
    ));
    let mut options = crash_opts();
    options.stop_when_idle = false;
    match run_workers(store, recorder, &QueueBackend::Redis(url), options, never()).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("queue_crash_child: {e}");
            ExitCode::FAILURE
        }
    }
}
