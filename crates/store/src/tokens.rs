//! API tokens (`api_tokens`): a Bearer token acts on `/api/v1` as its user, narrowed by its
//! scope. Only the SHA-256 of a token is kept: the token is 256 random bits, so a fast hash is
//! enough (no dictionary to guess from; docs/SECURITY.md, "API tokens"). Making and revoking a
//! token are audited; its use is written at most once a minute ([`Store::token_used`]).

use crate::audit::{record, Change};
use crate::db::{get, now_text, Store};
use crate::error::Context;
use crate::refusal::refuse;
use crate::users::User;
use crate::{RefusalKind, Result, StoreError};
use parindex_domain::access::{token_name_problem, TokenScope};
use serde::Serialize;
use sqlx::any::AnyRow;

/// A token as listed (never the token itself, which is not kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub user_id: i64,
    pub username: String,
    pub scope: TokenScope,
    pub created_at: String,
    pub created_by: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

impl ApiToken {
    /// Whether the token may be used at `now` (RFC 3339): not revoked, not expired.
    pub fn live_at(&self, now: &str) -> bool {
        self.revoked_at.is_none() && self.expires_at.as_deref().is_none_or(|e| e > now)
    }
}

/// A token to make: its name, user, scope and expiry, and the SHA-256 of the token the caller
/// drew (the caller shows the token once and forgets it).
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub username: &'a str,
    pub scope: TokenScope,
    pub expires_at: Option<&'a str>,
    pub token_hash: &'a str,
}

/// A token's use is written when the last one written is older than this.
pub const LAST_USED_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

const SELECT: &str = "SELECT t.id, t.name, t.user_id, u.username, t.scope, t.created_at, t.created_by, \
     t.expires_at, t.last_used_at, t.revoked_at, t.revoked_by FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn token_from_row(r: &AnyRow) -> Result<ApiToken> {
    let scope: String = get(r, "scope")?;
    Ok(ApiToken {
        id: get(r, "id")?,
        name: get(r, "name")?,
        user_id: get(r, "user_id")?,
        username: get(r, "username")?,
        scope: TokenScope::parse(&scope)
            .ok_or_else(|| StoreError::Corrupt(format!("token scope '{scope}'")))?,
        created_at: get(r, "created_at")?,
        created_by: get(r, "created_by")?,
        expires_at: get(r, "expires_at")?,
        last_used_at: get(r, "last_used_at")?,
        revoked_at: get(r, "revoked_at")?,
        revoked_by: get(r, "revoked_by")?,
    })
}

fn name_refusal(name: &str) -> Option<RefusalKind> {
    token_name_problem(name).map(|p| match p {
        "required" => RefusalKind::Required,
        "too_long" => RefusalKind::TooLong { max: 64 },
        _ => RefusalKind::Malformed {
            value: name.to_string(),
            expected: "a-z, 0-9, '.', '_', '-'",
        },
    })
}

impl Store {
    /// Make a token for an active user. Refused: a bad or taken name (among live tokens), an
    /// unknown or inactive user, an expiry not after now. One transaction with its audit entry.
    pub async fn create_token(&self, t: &NewToken<'_>, actor: &str) -> Result<ApiToken> {
        let name = t.name.trim();
        if let Some(kind) = name_refusal(name) {
            return refuse("name", kind);
        }
        let user = match self.user_by_username(t.username).await? {
            Some((u, _)) if u.active => u,
            _ => {
                return refuse(
                    "user",
                    RefusalKind::Unknown {
                        value: t.username.trim().to_string(),
                    },
                )
            }
        };
        let now = now_text();
        if let Some(e) = t.expires_at {
            if e <= now.as_str() {
                return refuse(
                    "expires",
                    RefusalKind::Malformed {
                        value: e.to_string(),
                        expected: "a time after now",
                    },
                );
            }
        }
        if self.live_token_named(name).await?.is_some() {
            return refuse(
                "name",
                RefusalKind::Exists {
                    value: name.to_string(),
                },
            );
        }
        let mut tx = self
            .write_tx_for(crate::Tables::USERS)
            .await
            .ctx(|| "starting a transaction".into())?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (name, user_id, scope, token_hash, created_at, created_by, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(name)
        .bind(user.id)
        .bind(t.scope.as_str())
        .bind(t.token_hash)
        .bind(&now)
        .bind(actor)
        .bind(t.expires_at)
        .fetch_one(&mut *tx)
        .await
        .ctx(|| format!("making token {name}"))?;
        record(
            &mut tx,
            Change {
                actor,
                action: "create",
                entity: "api_token",
                entity_id: name,
                unit: user.unit.as_deref(),
                before: None,
                after: Some(serde_json::json!({
                    "id": id, "user": user.username, "scope": t.scope, "expires_at": t.expires_at
                })),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing the token".into())?;
        self.token(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("token {id}")))
    }

    /// One token by id, revoked or not.
    pub async fn token(&self, id: i64) -> Result<Option<ApiToken>> {
        sqlx::query(&format!("{SELECT} WHERE t.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading token {id}"))?
            .as_ref()
            .map(token_from_row)
            .transpose()
    }

    async fn live_token_named(&self, name: &str) -> Result<Option<ApiToken>> {
        sqlx::query(&format!(
            "{SELECT} WHERE t.name = $1 AND t.revoked_at IS NULL"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .ctx(|| format!("reading token {name}"))?
        .as_ref()
        .map(token_from_row)
        .transpose()
    }

    /// Every token, newest first (revoked ones too: the list is the record).
    pub async fn tokens(&self) -> Result<Vec<ApiToken>> {
        sqlx::query(&format!("{SELECT} ORDER BY t.id DESC"))
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading the tokens".into())?
            .iter()
            .map(token_from_row)
            .collect()
    }

    /// Revoke a token by its name (the live one of that name) or its id. Revoking a token
    /// already revoked changes nothing and answers it as stored. Audited.
    pub async fn revoke_token(&self, name_or_id: &str, actor: &str) -> Result<ApiToken> {
        let key = name_or_id.trim();
        let found = match self.live_token_named(key).await? {
            Some(t) => Some(t),
            None => match key.parse::<i64>() {
                Ok(id) => self.token(id).await?,
                Err(_) => None,
            },
        };
        let t = found.ok_or_else(|| StoreError::NotFound(format!("token '{key}'")))?;
        if t.revoked_at.is_some() {
            return Ok(t);
        }
        let now = now_text();
        let mut tx = self
            .write_tx_for(crate::Tables::USERS)
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(&now)
        .bind(actor)
        .bind(t.id)
        .execute(&mut *tx)
        .await
        .ctx(|| format!("revoking token {}", t.name))?;
        let unit: Option<String> = self.user(t.user_id).await?.and_then(|u| u.unit);
        record(
            &mut tx,
            Change {
                actor,
                action: "revoke",
                entity: "api_token",
                entity_id: &t.name,
                unit: unit.as_deref(),
                before: None,
                after: Some(serde_json::json!({"id": t.id, "user": t.username})),
            },
        )
        .await?;
        tx.commit()
            .await
            .ctx(|| "committing the revocation".into())?;
        self.token(t.id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("token {}", t.id)))
    }

    /// The token whose SHA-256 is `token_hash` and its user, when the token is live at `now`
    /// and its user active; `None` otherwise (unknown, revoked, expired, user deactivated).
    pub async fn token_user(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<(ApiToken, User)>> {
        let r = sqlx::query(&format!(
            "{SELECT} WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .ctx(|| "reading a token".into())?;
        let Some(token) = r.as_ref().map(token_from_row).transpose()? else {
            return Ok(None);
        };
        if !token.live_at(now) {
            return Ok(None);
        }
        let Some(user) = self.user(token.user_id).await? else {
            return Ok(None);
        };
        Ok(Some((token, user)))
    }

    /// Note that a token was used at `now`, when the last use written is older than
    /// [`LAST_USED_EVERY`] (so a busy integration writes once a minute, not per request).
    /// Whether it wrote.
    pub async fn token_used(&self, token: &ApiToken, now: jiff::Timestamp) -> Result<bool> {
        let before = crate::timestamp_text(now - LAST_USED_EVERY);
        if token
            .last_used_at
            .as_deref()
            .is_some_and(|l| l > before.as_str())
        {
            return Ok(false);
        }
        let r = sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(crate::timestamp_text(now))
        .bind(token.id)
        .bind(&before)
        .execute(&self.pool)
        .await
        .ctx(|| format!("noting the use of token {}", token.name))?;
        self.wrote_to(crate::Tables::SESSIONS);
        Ok(r.rows_affected() > 0)
    }
}
