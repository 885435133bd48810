//! Provider quotas hold across processes: two independent `RedisQuota`
//! handles (as two worker processes would hold) on one private Redis
//! together never exceed the provider's rate.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cobro_channels::rate_limit::RateLimit;
use cobro_dispatcher::engine::quota::RedisQuota;
use cobro_testkit::RedisServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_share_one_provider_rate() {
    let server = RedisServer::start().expect("redis-server");
    let rate =
        RateLimit::per_second(NonZeroU32::new(20).expect("non-zero")).with_burst(NonZeroU32::MIN);
    let mut a = RedisQuota::connect(&server.url(), "t:")
        .await
        .expect("connect a");
    let mut b = RedisQuota::connect(&server.url(), "t:")
        .await
        .expect("connect b");
    a.set("twilio", rate);
    b.set("twilio", rate);
    let (a, b) = (Arc::new(a), Arc::new(b));

    // 41 tokens at 20/s with no burst: the first is free, the other 40 are
    // 50 ms apart, so it cannot take less than 2 s whoever asks.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..41 {
        let quota = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(
            async move { quota.until_ready("twilio").await },
        ));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1950),
        "41 tokens at 20/s across two handles took only {elapsed:?}"
    );

    // A provider without a limit never waits.
    assert_eq!(a.until_ready("vonage").await, Duration::ZERO);
}
