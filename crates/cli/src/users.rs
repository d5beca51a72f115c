//! `parindex user`: add a user (with the e-mail address reminders go to), list them, set,
//! change or clear an address.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use parindex_store::Store;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from standard input with --password-stdin; otherwise a
    /// random one is generated and printed once.
    Add {
        username: String,
        /// admin, coordinator, lead_agency, agency, appraiser or leader.
        #[arg(long)]
        role: String,
        /// The unit (slug) the user belongs to; required for lead_agency and agency.
        #[arg(long)]
        unit: Option<String>,
        /// Display name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "vi")]
        lang: String,
        /// The e-mail address the reminders of the user's unit are sent to.
        #[arg(long, value_name = "ADDR")]
        email: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set or change a user's e-mail address (`--clear` removes it).
    Email {
        username: String,
        /// The new address.
        #[arg(value_name = "ADDR", required_unless_present = "clear")]
        address: Option<String>,
        /// Remove the address: the user gets no reminder e-mails.
        #[arg(long, conflicts_with = "address")]
        clear: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(store: &Store, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add {
            username,
            role,
            unit,
            name,
            lang,
            email,
            password_stdin,
        } => {
            let role = parindex_domain::access::Role::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("unknown role '{role}': use admin, coordinator, lead_agency, agency, appraiser or leader"))?;
            // Checked before the user is created: a malformed address creates nobody.
            let email = match email.as_deref() {
                Some(e) => parindex_store::normalise_email(e).context("--email")?,
                None => None,
            };
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("cannot read the password from standard input")?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (parindex_web::auth::random_token()[..20].to_string(), true)
            };
            if let Some(key) = parindex_web::auth::password_problem(&password) {
                bail!("the password is not acceptable ({key}): at least 10 characters");
            }
            let hash = parindex_web::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
            let input = parindex_store::UserInput {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                role,
                unit,
                lang,
                active: true,
            };
            let id = store.create_user(&input, &hash, "cli").await?;
            if let Some(e) = &email {
                store.set_user_email(id, Some(e), "cli").await?;
            }
            let mail = email.map(|e| format!(", e-mail {e}")).unwrap_or_default();
            if generated {
                println!(
                    "user {} ({}{mail}) created; password: {password}",
                    input.username, role
                );
            } else {
                println!("user {} ({}{mail}) created", input.username, role);
            }
        }
        UserCommand::Email {
            username,
            address,
            clear,
        } => {
            let Some((user, _)) = store.user_by_username(&username).await? else {
                bail!("no user '{username}'");
            };
            let address = if clear { None } else { address };
            store
                .set_user_email(user.id, address.as_deref(), "cli")
                .await
                .with_context(|| format!("the e-mail address of {}", user.username))?;
            match store.user(user.id).await?.and_then(|u| u.email) {
                Some(e) => println!("{}: e-mail {e}", user.username),
                None => println!("{}: no e-mail address", user.username),
            }
        }
        UserCommand::List { json } => {
            let users = store.users(None).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for u in users {
                    println!(
                        "{:<16} {:<12} {:<24} {:<32} {}",
                        u.username,
                        u.role.as_str(),
                        u.unit.unwrap_or_default(),
                        u.email.unwrap_or_default(),
                        u.display_name
                    );
                }
            }
        }
    }
    Ok(())
}
