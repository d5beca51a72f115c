//! `parindex token`: make an API token for a user (printed once; only its SHA-256 is kept),
//! list the tokens, revoke one. The same store functions as the administrators' `/tokens` page.

use anyhow::{bail, Result};
use clap::Subcommand;
use parindex_domain::access::{token_lifetime_days, TokenScope};
use parindex_store::{timestamp_text, NewToken, Store};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a token acting as USER; the token is printed once and cannot be shown again.
    Create {
        /// The user (login) the token acts as, with that user's role and unit.
        #[arg(long)]
        user: String,
        /// The token's name (a-z, 0-9, '.', '_', '-'), named in the audit log of every change.
        #[arg(long)]
        name: String,
        /// read: GET only; write: also changes (within the user's role).
        #[arg(long, default_value = "read")]
        scope: String,
        /// Lifetime: 90d, 12w, 1y, or never.
        #[arg(long, default_value = "90d")]
        expires: String,
        /// Print the token and its record as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its name (the live token of that name) or its id.
    Revoke { token: String },
    /// List the tokens (name, user, scope, made, expires, last used, revoked).
    List {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(store: &Store, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            user,
            name,
            scope,
            expires,
            json,
        } => {
            let Some(scope) = TokenScope::parse(&scope) else {
                bail!("unknown scope '{scope}': use read or write");
            };
            let Ok(days) = token_lifetime_days(&expires) else {
                bail!("--expires '{expires}': use e.g. 90d, 12w, 1y (1 day to 10 years) or never");
            };
            let expires_at = days.map(|d| {
                timestamp_text(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * d))
            });
            let token = parindex_web::pages::tokens::new_token();
            let made = store
                .create_token(
                    &NewToken {
                        name: &name,
                        username: &user,
                        scope,
                        expires_at: expires_at.as_deref(),
                        token_hash: &parindex_web::auth::token_hash(&token),
                    },
                    "cli",
                )
                .await?;
            if json {
                let v = serde_json::json!({ "token": token, "record": made });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                eprintln!(
                    "token {} for {} ({}), expires {}; shown once, keep it now:",
                    made.name,
                    made.username,
                    made.scope.as_str(),
                    made.expires_at.as_deref().unwrap_or("never")
                );
                println!("{token}");
            }
        }
        TokenCommand::Revoke { token } => {
            let t = store.revoke_token(&token, "cli").await?;
            println!(
                "token {} (id {}) of {} revoked at {}",
                t.name,
                t.id,
                t.username,
                t.revoked_at.as_deref().unwrap_or("")
            );
        }
        TokenCommand::List { json } => {
            let tokens = store.tokens().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                println!(
                    "{:<5} {:<20} {:<16} {:<6} {:<21} {:<21} {:<21} revoked",
                    "id", "name", "user", "scope", "created", "expires", "last used"
                );
                for t in tokens {
                    println!(
                        "{:<5} {:<20} {:<16} {:<6} {:<21} {:<21} {:<21} {}",
                        t.id,
                        t.name,
                        t.username,
                        t.scope.as_str(),
                        t.created_at,
                        t.expires_at.as_deref().unwrap_or("never"),
                        t.last_used_at.as_deref().unwrap_or("—"),
                        t.revoked_at.as_deref().unwrap_or("")
                    );
                }
            }
        }
    }
    Ok(())
}
