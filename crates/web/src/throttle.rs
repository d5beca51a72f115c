//! The sign-in throttling policy (docs/SECURITY.md, "Sign-in and sessions"), over the store's
//! atomic counters ([`parindex_store::Store::throttle_hit`]).
//!
//! Three counters, all keyed by the name typed (lower-cased), never by whether it exists:
//!
//! - `pair` — (name, client address): [`ThrottlePolicy::pair`], 5 attempts. This is the lock a
//!   single stranger runs into; it does not touch the same account from anywhere else.
//! - `account` — the name from every address: [`ThrottlePolicy::account`], 50 attempts, against
//!   attacks spread over many addresses.
//! - `address` — failures from one address under any names: [`ThrottlePolicy::address`], 30,
//!   against one host trying many accounts.
//!
//! `pair` and `account` are claimed *before* the password is checked (one atomic statement each
//! that refuses once the key is locked), so a parallel burst gets at most the limit checked; a
//! success clears both. `address` is checked before and counted after a failure only, and is not
//! cleared by a success (else a spraying host could clear it with an account of its own). Each
//! lock is longer than the one before (×2, up to ×8) while failures continue; a quiet window
//! starts a run over, a quiet day forgets the locks.
//!
//! Bad API tokens are counted the same way, per address (`token`, [`token_failed`]): an address
//! that sends [`ThrottlePolicy::address`] unknown, revoked or expired tokens is answered 429.

use crate::client::Client;
use crate::AppState;
use parindex_store::{pair_key, timestamp_text, StoreError, ThrottleHit};

/// One counter's limit and its first lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Attempts in a run that lock the key (the last of them is still checked).
    pub limit: i64,
    /// The first lock; later ones last 2, 4 and 8 times as long.
    pub lock_minutes: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub pair: Rule,
    pub account: Rule,
    pub address: Rule,
    /// Attempts further apart than this start a new run.
    pub quiet_minutes: i64,
    /// Keys unused this long forget their locks (and are purged).
    pub forget_hours: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            pair: Rule {
                limit: 5,
                lock_minutes: 15,
            },
            account: Rule {
                limit: 50,
                lock_minutes: 15,
            },
            address: Rule {
                limit: 30,
                lock_minutes: 15,
            },
            quiet_minutes: 15,
            forget_hours: 24,
        }
    }
}

/// The name a sign-in is counted under: trimmed, lower case, at most 64 characters (no
/// username is longer), as the store looks users up.
pub fn account_name(typed: &str) -> String {
    typed.trim().to_lowercase().chars().take(65).collect()
}

/// Whether a password may be checked now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Yes; this is the `attempts`-th in the pair's run, and it locked the pair or the account
    /// until `locks_at` (the answer to a wrong password says so).
    Open {
        attempts: i64,
        locks_at: Option<String>,
    },
    /// No: throttled until then (when known).
    Locked { until: Option<String> },
}

fn later(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

struct Times {
    now: jiff::Timestamp,
    now_text: String,
    quiet_before: String,
    forget_before: String,
}

fn times(policy: &ThrottlePolicy) -> Times {
    let now = jiff::Timestamp::now();
    Times {
        now,
        now_text: timestamp_text(now),
        quiet_before: timestamp_text(now - jiff::SignedDuration::from_mins(policy.quiet_minutes)),
        forget_before: timestamp_text(now - jiff::SignedDuration::from_hours(policy.forget_hours)),
    }
}

async fn hit(
    state: &AppState,
    t: &Times,
    rule: Rule,
    kind: &str,
    key: &str,
) -> Result<Option<parindex_store::ThrottleCount>, StoreError> {
    let locks: Vec<String> = [1, 2, 4, 8]
        .iter()
        .map(|f| timestamp_text(t.now + jiff::SignedDuration::from_mins(rule.lock_minutes * f)))
        .collect();
    state
        .store
        .throttle_hit(&ThrottleHit {
            kind,
            key,
            now: &t.now_text,
            quiet_before: &t.quiet_before,
            forget_before: &t.forget_before,
            limit: rule.limit,
            lock_until: [&locks[0], &locks[1], &locks[2], &locks[3]],
        })
        .await
}

/// Before checking a password for `name` (see [`account_name`]) from `client`.
pub async fn claim(state: &AppState, name: &str, client: &Client) -> Result<Gate, StoreError> {
    let policy = state.config.throttle;
    let t = times(&policy);
    let address = client.throttle_key();
    if let Some(until) = state
        .store
        .throttle_locked("address", &address, &t.now_text)
        .await?
    {
        return Ok(Gate::Locked { until: Some(until) });
    }
    let pair = pair_key(name, &address);
    let Some(p) = hit(state, &t, policy.pair, "pair", &pair).await? else {
        let until = state
            .store
            .throttle_locked("pair", &pair, &t.now_text)
            .await?;
        return Ok(Gate::Locked { until });
    };
    let Some(a) = hit(state, &t, policy.account, "account", name).await? else {
        let until = state
            .store
            .throttle_locked("account", name, &t.now_text)
            .await?;
        return Ok(Gate::Locked { until });
    };
    Ok(Gate::Open {
        attempts: p.attempts,
        locks_at: later(p.locked_until, a.locked_until),
    })
}

/// After a wrong password (or an unknown name): count it against the address. Returns when the
/// address is now locked, if this failure locked it.
pub async fn failed(state: &AppState, client: &Client) -> Result<Option<String>, StoreError> {
    let policy = state.config.throttle;
    let t = times(&policy);
    let address = client.throttle_key();
    Ok(hit(state, &t, policy.address, "address", &address)
        .await?
        .and_then(|c| c.locked_until))
}

/// After the right password: forget the pair's and the account's attempts.
pub async fn succeeded(state: &AppState, name: &str, client: &Client) -> Result<(), StoreError> {
    state
        .store
        .throttle_reset("pair", &pair_key(name, &client.throttle_key()))
        .await?;
    state.store.throttle_reset("account", name).await
}

/// The counter of bad API tokens from one address (`token`, keyed like `address`): the same
/// limit and locks as failed sign-ins from one address ([`ThrottlePolicy::address`]).
const TOKEN: &str = "token";

/// Whether the client's address is locked for bad API tokens: until when.
pub async fn token_locked(state: &AppState, client: &Client) -> Result<Option<String>, StoreError> {
    let now = timestamp_text(jiff::Timestamp::now());
    state
        .store
        .throttle_locked(TOKEN, &client.throttle_key(), &now)
        .await
}

/// After an unknown, revoked or expired API token: count it against the client's address.
/// Returns when the address is now locked, if this one locked it.
pub async fn token_failed(state: &AppState, client: &Client) -> Result<Option<String>, StoreError> {
    let policy = state.config.throttle;
    let t = times(&policy);
    Ok(
        hit(state, &t, policy.address, TOKEN, &client.throttle_key())
            .await?
            .and_then(|c| c.locked_until),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_counted_as_looked_up() {
        assert_eq!(account_name("  Admin "), "admin");
        assert_eq!(account_name(&"x".repeat(500)).len(), 65);
    }

    #[test]
    fn the_later_lock_wins() {
        assert_eq!(
            later(
                Some("2021-01-01T00:00:00Z".into()),
                Some("2021-01-02T00:00:00Z".into())
            ),
            Some("2021-01-02T00:00:00Z".into())
        );
        assert_eq!(later(None, Some("x".into())), Some("x".into()));
    }
}
