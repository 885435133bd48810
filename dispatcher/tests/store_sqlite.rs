//! The store conformance suite against the SQLite store, on a real file.

use cobro_dispatcher::store::sqlite::SqliteStore;

async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("cobro.db").display());
    let store = SqliteStore::connect(&url).await.expect("open sqlite store");
    (dir, store)
}

cobro_dispatcher::store_conformance_tests!(fresh);

#[tokio::test]
async fn rejects_foreign_urls() {
    assert!(matches!(
        SqliteStore::connect("redis://127.0.0.1:1/0").await,
        Err(cobro_dispatcher::store::StoreError::UnsupportedUrl(_))
    ));
}
