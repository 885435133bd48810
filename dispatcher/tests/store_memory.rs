//! The store conformance suite against the in-memory store: one test per
//! check, and the whole suite in sequence through `AnyStore`'s
//! `memory://` URL (each connect a new empty store).

use cobro_dispatcher::store::StoreError;
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::memory::MemoryStore;

async fn fresh() -> ((), MemoryStore) {
    ((), MemoryStore::new())
}

cobro_dispatcher::store_conformance_tests!(fresh);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_through_memory_urls() {
    let mut n = 0;
    cobro_dispatcher::store::conformance::run_all(|| {
        n += 1;
        let url = format!("memory://conformance-{n}");
        async move { AnyStore::connect(&url).await.expect("memory store") }
    })
    .await;
}

#[tokio::test]
async fn rejects_foreign_urls() {
    assert!(matches!(
        MemoryStore::connect("sqlite://x.db"),
        Err(StoreError::UnsupportedUrl(_))
    ));
    assert!(matches!(
        AnyStore::connect("memory://sim").await,
        Ok(AnyStore::Memory(_))
    ));
}
