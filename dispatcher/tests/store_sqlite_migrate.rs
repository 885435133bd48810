//! A database written by an earlier cobro opens in this one: the
//! expedientes list's columns are added and filled from each account, and
//! the plan's `team` column is added (every contact planned then was a
//! provider's), so the workers claim the old plan and the collectors' queue
//! is empty.

use std::str::FromStr;

use chrono::Utc;
use cobro_campaigns::ChannelKind;
use cobro_dispatcher::store::conformance::{sample_account, sample_contact};
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{AccountScan, ContactState};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

const OLD_SCHEMA: &str = include_str!("fixtures/sqlite_schema_before_lists.sql");

#[tokio::test]
async fn a_database_from_before_the_list_columns_and_teams_opens_and_works() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    let account = sample_account("OLD-1");
    let due = Utc::now() - chrono::Duration::hours(1);
    let contact = sample_contact("viejo", "OLD-1", "s", ChannelKind::Sms, due);
    {
        let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .expect("url")
            .create_if_missing(true)
            .connect()
            .await
            .expect("old database");
        for statement in OLD_SCHEMA
            .split(';')
            .map(|s| {
                s.lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .filter(|s| !s.trim().is_empty())
        {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await
                .expect("old schema");
        }
        sqlx::query("INSERT INTO accounts (id, data, status) VALUES (?, ?, 'active')")
            .bind(&account.id)
            .bind(serde_json::to_string(&account).expect("json"))
            .execute(&mut conn)
            .await
            .expect("old account");
        sqlx::query(
            "INSERT INTO contacts (id, campaign, account, step, channel, template, fallback, planned_at, due_at, state, attempt) \
             VALUES (?, 'viejo', 'OLD-1', 's', 'sms', 'aviso', NULL, ?, ?, 'pending', 0)",
        )
        .bind(&contact.id)
        .bind(due.timestamp_millis())
        .bind(due.timestamp_millis())
        .execute(&mut conn)
        .await
        .expect("old contact");
        conn.close().await.expect("close");
    }

    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("the old database opens");
    // The list columns were filled from the account's JSON.
    let scan = store
        .scan_accounts(&AccountScan {
            creditor: Some(account.creditor.clone()),
            window: 100,
            ..AccountScan::default()
        })
        .await
        .expect("scan");
    assert_eq!(scan.rows.len(), 1);
    assert_eq!(scan.rows[0].debtor_name, account.debtor_name);
    // The old plan has no team: the collectors' queue is empty, the
    // workers claim it.
    assert!(
        store
            .claim_work(&["general".to_string()], Utc::now(), 10)
            .await
            .expect("claim work")
            .is_empty()
    );
    let claimed = store.claim_due(Utc::now(), 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].contact.team, None);
    assert_eq!(claimed[0].state, ContactState::Queued);
    // New agent contacts plan and claim beside the old ones.
    let call = sample_contact("viejo", "OLD-1", "llamada", ChannelKind::AgentCall, due);
    assert_eq!(
        store
            .add_contacts(std::slice::from_ref(&call))
            .await
            .expect("add"),
        1
    );
    let work = store
        .claim_work(&["general".to_string()], Utc::now(), 10)
        .await
        .expect("claim work");
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].contact.id, call.id);
    // Opening it again changes nothing.
    drop(store);
    let again = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("opens twice");
    assert_eq!(again.account_count().await.expect("count"), 1);
}
