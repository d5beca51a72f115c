//! Users and their sessions. Passwords arrive already hashed (argon2, in the web crate); session
//! tokens are stored only as their hash.

use crate::audit::{record, Change};
use crate::db::{get, now_text, Store};
use crate::error::{Context, StoreError};
use crate::refusal::{refuse, RefusalKind, Refusals};
use crate::Result;
use parindex_domain::access::Role;
use parindex_domain::text::{fold, nfc};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit: Option<String>,
    pub lang: String,
    pub active: bool,
    pub failed_attempts: i64,
    pub locked_until: Option<String>,
    pub created_at: String,
    /// Where the unit's reminders are e-mailed to this user; `None` when no address is set.
    pub email: Option<String>,
}

/// A user to create or the fields to update.
#[derive(Debug, Clone)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit: Option<String>,
    pub lang: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: String,
}

/// A session as kept in memory: the session, its user, when it was created.
type CachedSession = (Session, User, String);

fn session_key(token_hash: &str) -> String {
    format!("session\u{1f}{token_hash}")
}

fn user_from_row(r: &AnyRow) -> Result<User> {
    let role: String = get(r, "role")?;
    Ok(User {
        id: get(r, "id")?,
        username: get(r, "username")?,
        display_name: get(r, "display_name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role '{role}'")))?,
        unit: get(r, "unit")?,
        lang: get(r, "lang")?,
        active: get::<i64>(r, "active")? != 0,
        failed_attempts: get(r, "failed_attempts")?,
        locked_until: get(r, "locked_until")?,
        created_at: get(r, "created_at")?,
        email: get::<Option<String>>(r, "email")?.filter(|e| !e.is_empty()),
    })
}

/// Field-level problems with a user's input.
pub fn user_input_problems(u: &UserInput) -> Refusals {
    let mut out = Refusals::new();
    let name = u.username.trim();
    if name.len() < 3
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        out.push(
            "username",
            RefusalKind::Malformed {
                value: name.to_string(),
                expected: "a user name (3–64 characters: letters, digits, '.', '_' or '-')",
            },
        );
    }
    if u.display_name.trim().is_empty() {
        out.push("display_name", RefusalKind::Required);
    }
    if u.role.needs_unit() && u.unit.as_deref().is_none_or(|s| s.trim().is_empty()) {
        out.push("unit", RefusalKind::RoleNeedsUnit { role: u.role });
    }
    if u.lang != "vi" && u.lang != "en" {
        out.push(
            "lang",
            RefusalKind::Malformed {
                value: u.lang.clone(),
                expected: "vi or en",
            },
        );
    }
    out
}

/// An e-mail address as it is stored: trimmed, `None` when empty (no address). One that is not
/// of the form `name@domain.tld` is refused (`email`, [`RefusalKind::Malformed`]).
pub fn normalise_email(email: &str) -> Result<Option<String>> {
    let e = email.trim();
    if e.is_empty() {
        return Ok(None);
    }
    if email_ok(e) {
        Ok(Some(e.to_string()))
    } else {
        refuse(
            "email",
            RefusalKind::Malformed {
                value: e.to_string(),
                expected: "an e-mail address (name@domain)",
            },
        )
    }
}

/// `local@domain`: a dot-atom local part (no spaces, quotes, brackets or separators, no empty
/// dot-separated piece) of at most 64 bytes, and a domain of at least two labels of letters,
/// digits and '-'; at most 254 bytes in all.
fn email_ok(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    let atom_char =
        |c: char| !c.is_whitespace() && !c.is_control() && !"\"(),:;<>@[\\]".contains(c);
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    e.len() <= 254
        && local.len() <= 64
        && local
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(atom_char))
        && domain.split('.').count() >= 2
        && domain.split('.').all(label_ok)
}

impl Store {
    /// Create a user; returns its id. A taken username or an unknown unit is an `Invalid` error.
    pub async fn create_user(
        &self,
        u: &UserInput,
        password_hash: &str,
        actor: &str,
    ) -> Result<i64> {
        if let Some(r) = user_input_problems(u).0.into_iter().next() {
            return Err(r.into());
        }
        if let Some(unit) = &u.unit {
            if self.unit(unit).await?.is_none() {
                return refuse(
                    "unit",
                    RefusalKind::Unknown {
                        value: unit.clone(),
                    },
                );
            }
        }
        if self.user_by_username(&u.username).await?.is_some() {
            return refuse(
                "username",
                RefusalKind::Exists {
                    value: u.username.trim().to_string(),
                },
            );
        }
        let now = now_text();
        let mut tx = self
            .write_tx_for(crate::Tables::USERS)
            .await
            .ctx(|| "starting a transaction".into())?;
        let display = nfc(&u.display_name);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, display_folded, password_hash, role, unit, lang, active, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(u.username.trim().to_lowercase())
        .bind(&display)
        .bind(fold(&display))
        .bind(password_hash)
        .bind(u.role.as_str())
        .bind(u.unit.as_deref())
        .bind(&u.lang)
        .bind(i64::from(u.active))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .ctx(|| format!("creating user {}", u.username))?;
        record(
            &mut tx,
            Change {
                actor,
                action: "create",
                entity: "user",
                entity_id: &u.username.trim().to_lowercase(),
                unit: u.unit.as_deref(),
                before: None,
                after: Some(serde_json::json!({"display_name": display, "role": u.role, "unit": u.unit, "active": u.active})),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing the user".into())?;
        Ok(id)
    }

    /// A user and their password hash.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<(User, String)>> {
        let r = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading user {username}"))?;
        r.map(|r| Ok((user_from_row(&r)?, get::<String>(&r, "password_hash")?)))
            .transpose()
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading user {id}"))?
            .map(|r| user_from_row(&r))
            .transpose()
    }

    /// Users whose username or folded display name contains `search`.
    pub async fn users(&self, search: Option<&str>) -> Result<Vec<User>> {
        let pattern = search.map(|s| format!("%{}%", fold(s.trim())));
        let rows = sqlx::query("SELECT * FROM users WHERE ($1 IS NULL OR username LIKE $1 OR display_folded LIKE $1) ORDER BY username")
            .bind(pattern)
            .fetch_all(&self.pool)
            .await
            .ctx(|| "listing users".into())?;
        rows.iter().map(user_from_row).collect()
    }

    /// Update a user's name, role, unit, language and whether active (not the username or password).
    pub async fn update_user(&self, id: i64, u: &UserInput, actor: &str) -> Result<()> {
        let before = self
            .user(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        if let Some(unit) = &u.unit {
            if self.unit(unit).await?.is_none() {
                return refuse(
                    "unit",
                    RefusalKind::Unknown {
                        value: unit.clone(),
                    },
                );
            }
        }
        let display = nfc(&u.display_name);
        let mut tx = self
            .write_tx_for(crate::Tables::USERS | crate::Tables::SESSIONS)
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query("UPDATE users SET display_name = $1, display_folded = $2, role = $3, unit = $4, lang = $5, active = $6 WHERE id = $7")
            .bind(&display)
            .bind(fold(&display))
            .bind(u.role.as_str())
            .bind(u.unit.as_deref())
            .bind(&u.lang)
            .bind(i64::from(u.active))
            .bind(id)
            .execute(&mut *tx)
            .await
            .ctx(|| format!("updating user {id}"))?;
        if !u.active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .ctx(|| "ending sessions".into())?;
        }
        record(
            &mut tx,
            Change {
                actor,
                action: "update",
                entity: "user",
                entity_id: &before.username,
                unit: u.unit.as_deref().or(before.unit.as_deref()),
                before: Some(serde_json::json!({"display_name": before.display_name, "role": before.role, "unit": before.unit, "lang": before.lang, "active": before.active})),
                after: Some(serde_json::json!({"display_name": display, "role": u.role, "unit": u.unit, "lang": u.lang, "active": u.active})),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing the user".into())?;
        Ok(())
    }

    /// Replace a password hash; ends the user's other sessions (all when `keep` is `None`).
    pub async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
        actor: &str,
    ) -> Result<()> {
        let u = self
            .user(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        let mut tx = self
            .write_tx_for(crate::Tables::USERS | crate::Tables::SESSIONS | crate::Tables::SIGN_IN)
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, failed_attempts = 0, locked_until = NULL WHERE id = $3")
            .bind(password_hash)
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx)
            .await
            .ctx(|| format!("setting the password of {id}"))?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)")
            .bind(id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await
            .ctx(|| "ending other sessions".into())?;
        // A new password (the user's own change or an administrator's reset) lifts the
        // account's sign-in locks.
        sqlx::query("DELETE FROM login_throttle WHERE (kind = 'account' AND key = $1) OR (kind = 'pair' AND key LIKE $2 ESCAPE '\\')")
            .bind(&u.username)
            .bind(crate::throttle::pair_pattern(&u.username))
            .execute(&mut *tx)
            .await
            .ctx(|| "lifting sign-in locks".into())?;
        record(
            &mut tx,
            Change {
                actor,
                action: "password",
                entity: "user",
                entity_id: &u.username,
                unit: u.unit.as_deref(),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing the password".into())?;
        Ok(())
    }

    /// Set the user's interface language (`vi` or `en`).
    pub async fn set_lang(&self, id: i64, lang: &str) -> Result<()> {
        if lang != "vi" && lang != "en" {
            return refuse(
                "lang",
                RefusalKind::Malformed {
                    value: lang.to_string(),
                    expected: "vi or en",
                },
            );
        }
        self.execute_for(
            crate::Tables::USERS,
            sqlx::query("UPDATE users SET lang = $1 WHERE id = $2")
                .bind(lang)
                .bind(id),
        )
        .await
        .ctx(|| "setting the language".into())?;
        Ok(())
    }

    pub async fn create_session(&self, s: &Session) -> Result<()> {
        self.create_session_at(s, &now_text()).await
    }

    /// Create a session as if made at `created_at` (the absolute lifetime counts from it).
    pub async fn create_session_at(&self, s: &Session, created_at: &str) -> Result<()> {
        let now = created_at;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $4)")
            .bind(&s.token_hash)
            .bind(s.user_id)
            .bind(&s.csrf_token)
            .bind(now)
            .bind(&s.expires_at)
            .execute(&self.pool)
            .await
            .ctx(|| "creating a session".into())?;
        Ok(())
    }

    /// The session and its user, if the session exists, has not expired at `now` (idle), was
    /// created after `created_after` (the absolute lifetime) and the user is active.
    ///
    /// A session found is kept in memory ([`crate::cache`]) and answered from there without a
    /// query while no write to the sessions or users has committed since (signing out, a
    /// password, a user's role, unit, language or activity changed, a session slid) and for at most
    /// [`crate::cache::TTL`]; its lifetimes are checked against `now` and `created_after` each
    /// time. A token not found is not remembered.
    pub async fn session(
        &self,
        token_hash: &str,
        now: &str,
        created_after: &str,
    ) -> Result<Option<(Session, User)>> {
        let key = session_key(token_hash);
        if let Some(hit) = self.cached::<CachedSession>(&key) {
            let (session, user, created_at) = &*hit;
            if session.expires_at.as_str() > now && created_at.as_str() > created_after {
                return Ok(Some((session.clone(), user.clone())));
            }
            self.uncache(&key);
        }
        let version = self.data_version();
        let r = sqlx::query(
            "SELECT s.token_hash, s.user_id, s.csrf_token, s.expires_at, s.created_at AS session_created_at, u.* FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.created_at > $3 AND u.active = 1",
        )
        .bind(token_hash)
        .bind(now)
        .bind(created_after)
        .fetch_optional(&self.pool)
        .await
        .ctx(|| "reading a session".into())?;
        let Some(r) = r else {
            return Ok(None);
        };
        let session = Session {
            token_hash: get(&r, "token_hash")?,
            user_id: get(&r, "user_id")?,
            csrf_token: get(&r, "csrf_token")?,
            expires_at: get(&r, "expires_at")?,
        };
        let user = user_from_row(&r)?;
        let created_at: String = get(&r, "session_created_at")?;
        self.cache(
            key,
            version,
            crate::Tables::SESSIONS | crate::Tables::USERS,
            std::sync::Arc::new((session.clone(), user.clone(), created_at)),
        );
        Ok(Some((session, user)))
    }

    /// Slide a session's expiry.
    pub async fn touch_session(&self, token_hash: &str, expires_at: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3")
            .bind(now_text())
            .bind(expires_at)
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .ctx(|| "touching a session".into())?;
        self.wrote_to(crate::Tables::SESSIONS);
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .ctx(|| "ending a session".into())?;
        self.uncache(&session_key(token_hash));
        self.wrote_to(crate::Tables::SESSIONS);
        Ok(())
    }

    /// Remove sessions idle past their expiry at `now`, or created at or before `created_before`
    /// (past their absolute lifetime).
    pub async fn purge_sessions(&self, now: &str, created_before: &str) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR created_at <= $2")
            .bind(now)
            .bind(created_before)
            .execute(&self.pool)
            .await
            .ctx(|| "purging sessions".into())?;
        self.wrote_to(crate::Tables::SESSIONS);
        Ok(r.rows_affected())
    }

    /// Set, change (`Some`) or clear (`None`, or an empty address) the e-mail address the
    /// reminders of the user's unit go to. A malformed address is refused ([`normalise_email`]);
    /// a change is audited (before and after), an address unchanged is not written again.
    pub async fn set_user_email(
        &self,
        user_id: i64,
        email: Option<&str>,
        actor: &str,
    ) -> Result<()> {
        let email = match email {
            Some(e) => normalise_email(e)?,
            None => None,
        };
        let before = self
            .user(user_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
        if before.email == email {
            return Ok(());
        }
        let mut tx = self
            .write_tx_for(crate::Tables::USERS)
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(email.as_deref())
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving the e-mail address of {}", before.username))?;
        record(
            &mut tx,
            Change {
                actor,
                action: "email",
                entity: "user",
                entity_id: &before.username,
                unit: before.unit.as_deref(),
                before: Some(serde_json::json!({ "email": before.email })),
                after: Some(serde_json::json!({ "email": email })),
            },
        )
        .await?;
        tx.commit()
            .await
            .ctx(|| "committing the e-mail address".into())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        for ok in [
            "chuyenvien.stp@bacgiang.gov.vn",
            "  vanthu+nhac-han@so-tu-phap.bacgiang.gov.vn ",
            "a_b-c@x.vn",
        ] {
            assert_eq!(
                normalise_email(ok).unwrap().as_deref(),
                Some(ok.trim()),
                "{ok}"
            );
        }
        assert_eq!(normalise_email("   ").unwrap(), None, "empty: no address");
        for bad in [
            "chuyenvien.stp",
            "chuyenvien.stp@",
            "@bacgiang.gov.vn",
            "chuyen vien@bacgiang.gov.vn",
            "a@b@c.vn",
            "a@bacgiang",
            "a@.vn",
            "a@-x.vn",
            ".a@x.vn",
            "a..b@x.vn",
            "Nguyễn <a@x.vn>",
            "a@x.vn,b@x.vn",
        ] {
            match normalise_email(bad) {
                Err(StoreError::Invalid(r)) => assert!(
                    r.iter()
                        .any(|r| r.field == "email"
                            && matches!(r.kind, RefusalKind::Malformed { .. })),
                    "{bad}: {r}"
                ),
                other => panic!("{bad}: {other:?}"),
            }
        }
        let long = format!("{}@x.vn", "a".repeat(65));
        assert!(normalise_email(&long).is_err());
    }
}
