//! Users, token hashes and sessions round-trip by key; a replaced user is
//! replaced whole; unknown keys answer `None`; a deleted session is gone.

use chrono::Duration;

use crate::store::Store;
use crate::users::{Role, Session, User, secret_hash};

use super::fixtures::t0;

fn user(email: &str, role: Role, creditor: Option<&str>) -> User {
    User {
        email: email.into(),
        role,
        creditor: creditor.map(str::to_string),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        disabled: false,
        created_at: t0(),
        failed_logins: 0,
        locked_until: None,
        token_hash: None,
        teams: Vec::new(),
    }
}

pub async fn users_tokens_and_sessions<S: Store>(store: &S) {
    assert_eq!(store.user("ana@banco.mx").await.expect("user"), None);
    assert!(store.users().await.expect("users").is_empty());
    let ana = user("ana@banco.mx", Role::Creditor, Some("Banco del Sol"));
    let luis = user("luis@cobro.mx", Role::Operations, None);
    store.put_user(&luis).await.expect("put");
    store.put_user(&ana).await.expect("put");
    assert_eq!(
        store.user("ana@banco.mx").await.expect("user"),
        Some(ana.clone())
    );
    let emails: Vec<String> = store
        .users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails, ["ana@banco.mx", "luis@cobro.mx"], "sorted by email");

    let mut disabled = ana.clone();
    disabled.disabled = true;
    disabled.failed_logins = 3;
    disabled.locked_until = Some(t0() + Duration::minutes(1));
    disabled.token_hash = Some(secret_hash("t1"));
    store.put_user(&disabled).await.expect("replace");
    assert_eq!(
        store.user("ana@banco.mx").await.expect("user"),
        Some(disabled)
    );

    assert_eq!(
        store.token_email(&secret_hash("t1")).await.expect("token"),
        None
    );
    store
        .put_token(&secret_hash("t1"), "ana@banco.mx")
        .await
        .expect("token");
    assert_eq!(
        store
            .token_email(&secret_hash("t1"))
            .await
            .expect("token")
            .as_deref(),
        Some("ana@banco.mx")
    );
    assert_eq!(
        store.token_email(&secret_hash("t2")).await.expect("token"),
        None
    );

    let session = Session {
        id_hash: secret_hash("s1"),
        email: "luis@cobro.mx".into(),
        created_at: t0(),
        expires_at: t0() + Duration::hours(12),
    };
    store.put_session(&session).await.expect("session");
    assert_eq!(
        store.session(&session.id_hash).await.expect("session"),
        Some(session.clone())
    );
    assert_eq!(
        store.session(&secret_hash("s2")).await.expect("session"),
        None
    );
    store
        .delete_session(&session.id_hash)
        .await
        .expect("delete");
    assert_eq!(
        store.session(&session.id_hash).await.expect("session"),
        None
    );
}
