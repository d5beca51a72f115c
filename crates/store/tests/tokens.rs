//! API tokens in the store, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: made for an
//! active user, found by their hash while live, refused once revoked or expired, named once
//! among the live ones, audited, and their use written at most once a minute.

use parindex_domain::access::{Role, TokenScope};
use parindex_store::{
    on_both_backends, timestamp_text, AuditFilter, NewToken, RefusalKind, Store, StoreError,
    UserInput,
};

on_both_backends!(
    tokens_are_made_found_and_revoked,
    bad_tokens_are_refused_and_store_nothing,
    use_is_written_once_a_minute
);

async fn user(s: &Store, name: &str, active: bool) -> i64 {
    s.create_user(
        &UserInput {
            username: name.into(),
            display_name: name.into(),
            role: Role::Coordinator,
            unit: None,
            lang: "vi".into(),
            active,
        },
        "hash",
        "seed",
    )
    .await
    .unwrap()
}

fn new<'a>(name: &'a str, username: &'a str, hash: &'a str) -> NewToken<'a> {
    NewToken {
        name,
        username,
        scope: TokenScope::Write,
        expires_at: None,
        token_hash: hash,
    }
}

fn now() -> String {
    timestamp_text(jiff::Timestamp::now())
}

async fn tokens_are_made_found_and_revoked(s: &Store) {
    let id = user(s, "sonoivu", true).await;
    let t = s
        .create_token(&new("mot-cua", "SoNoiVu", "h1"), "admin")
        .await
        .unwrap();
    assert_eq!((t.user_id, t.scope), (id, TokenScope::Write));
    assert_eq!(t.username, "sonoivu");
    let (found, u) = s.token_user("h1", &now()).await.unwrap().unwrap();
    assert_eq!((found.id, u.username.as_str()), (t.id, "sonoivu"));
    assert!(s.token_user("h2", &now()).await.unwrap().is_none());
    // The name is taken while the token is live.
    match s
        .create_token(&new("mot-cua", "sonoivu", "h2"), "admin")
        .await
    {
        Err(StoreError::Invalid(r)) => {
            assert_eq!(r.iter().next().unwrap().field, "name");
            assert!(matches!(
                r.iter().next().unwrap().kind,
                RefusalKind::Exists { .. }
            ));
        }
        other => panic!("{other:?}"),
    }
    let revoked = s.revoke_token("mot-cua", "admin").await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.revoked_by.as_deref(), Some("admin"));
    assert!(s.token_user("h1", &now()).await.unwrap().is_none());
    // Revoked again: answered as stored, not audited twice.
    let again = s.revoke_token(&t.id.to_string(), "admin").await.unwrap();
    assert_eq!(again.revoked_at, revoked.revoked_at);
    // The name is free again once revoked.
    let t2 = s
        .create_token(&new("mot-cua", "sonoivu", "h2"), "admin")
        .await
        .unwrap();
    assert_ne!(t2.id, t.id);
    let all = s.tokens().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, t2.id, "newest first");
    let log = s
        .audit_log(&AuditFilter {
            entity: Some("api_token".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "revoke", "create"]);
    assert!(log
        .iter()
        .all(|e| e.entity_id == "mot-cua" && e.actor == "admin"));
    // An expired token is not found; a user made inactive loses its tokens.
    let soon = timestamp_text(jiff::Timestamp::now() + jiff::SignedDuration::from_secs(60));
    s.create_token(
        &NewToken {
            expires_at: Some(&soon),
            ..new("kich-ban", "sonoivu", "h3")
        },
        "admin",
    )
    .await
    .unwrap();
    assert!(s.token_user("h3", &now()).await.unwrap().is_some());
    let later = timestamp_text(jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120));
    assert!(s.token_user("h3", &later).await.unwrap().is_none());
}

async fn bad_tokens_are_refused_and_store_nothing(s: &Store) {
    user(s, "sonoivu", true).await;
    user(s, "nghi-viec", false).await;
    let field = |e: StoreError| match e {
        StoreError::Invalid(r) => r.iter().next().unwrap().field.clone(),
        other => panic!("{other:?}"),
    };
    for (name, username, expected) in [
        ("", "sonoivu", "name"),
        ("Một cửa", "sonoivu", "name"),
        ("ok", "khong-co", "user"),
        ("ok", "nghi-viec", "user"),
    ] {
        let e = s
            .create_token(&new(name, username, "h"), "admin")
            .await
            .unwrap_err();
        assert_eq!(field(e), expected, "{name} {username}");
    }
    let past = "2000-01-01T00:00:00Z";
    let e = s
        .create_token(
            &NewToken {
                expires_at: Some(past),
                ..new("ok", "sonoivu", "h")
            },
            "admin",
        )
        .await
        .unwrap_err();
    assert_eq!(field(e), "expires");
    assert!(s.tokens().await.unwrap().is_empty(), "nothing stored");
    assert!(matches!(
        s.revoke_token("khong-co", "admin").await,
        Err(StoreError::NotFound(_))
    ));
}

async fn use_is_written_once_a_minute(s: &Store) {
    user(s, "sonoivu", true).await;
    s.create_token(&new("mot-cua", "sonoivu", "h1"), "admin")
        .await
        .unwrap();
    let t0 = jiff::Timestamp::now();
    let (t, _) = s.token_user("h1", &now()).await.unwrap().unwrap();
    assert!(t.last_used_at.is_none());
    assert!(s.token_used(&t, t0).await.unwrap(), "first use written");
    let (t, _) = s.token_user("h1", &now()).await.unwrap().unwrap();
    assert_eq!(t.last_used_at, Some(timestamp_text(t0)));
    let t30 = t0 + jiff::SignedDuration::from_secs(30);
    assert!(
        !s.token_used(&t, t30).await.unwrap(),
        "not again within the minute"
    );
    let t61 = t0 + jiff::SignedDuration::from_secs(61);
    assert!(
        s.token_used(&t, t61).await.unwrap(),
        "written again after it"
    );
    // No audit entry for a use.
    let log = s
        .audit_log(&AuditFilter {
            entity: Some("api_token".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
}
