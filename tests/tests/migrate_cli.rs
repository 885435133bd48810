//! `cobro migrate --store redis://…` on a store of the previous key layout
//! (`dispatcher/tests/fixtures/redis_v1`): before it, every command that
//! opens the store exits naming the fix; after it, they work and see the
//! same contacts.

use cobro_dispatcher::testing::load_redis_dump;
use cobro_testkit::RedisServer;
use cobro_tests::{cobro, repo_root, stderr, stdout};
use serde_json::Value;

fn load_fixture(server: &RedisServer) {
    let text =
        std::fs::read_to_string(repo_root().join("dispatcher/tests/fixtures/redis_v1/store.jsonl"))
            .expect("fixture");
    load_redis_dump(&server.url(), &text).expect("load the fixture");
}

#[test]
fn migrate_moves_a_previous_layout_store_and_the_commands_work_again() {
    let server = RedisServer::start().expect("redis-server");
    load_fixture(&server);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = server.url();

    let refused = cobro(dir.path(), &["status", "camp", "--json", "--store", &url]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let text = stderr(&refused);
    assert!(
        text.contains("key layout 1") && text.contains(&format!("cobro migrate --store {url}")),
        "{text}"
    );

    let migrated = cobro(dir.path(), &["migrate", "--store", &url]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let out = stdout(&migrated);
    assert!(out.contains("from key layout 1 to 2: 16 contacts"), "{out}");

    let status = cobro(dir.path(), &["status", "camp", "--json", "--store", &url]);
    assert!(status.status.success(), "{}", stderr(&status));
    let v: Value = serde_json::from_str(&stdout(&status)).expect("status JSON");
    let camp = &v["campaigns"]["camp"];
    assert_eq!(camp["total"], 14, "{v}");
    assert_eq!(camp["states"]["cancelled"], 3, "{v}");
    assert_eq!(camp["states"]["unknown"], 1, "{v}");

    let again = cobro(dir.path(), &["migrate", "--store", &url]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("nothing to do"),
        "{}",
        stdout(&again)
    );
}
