//! Reminders from the command line (`parindex reminders run [--plan ID]`, the daily job when
//! run by cron) and inside `serve`/`demo` (once at start, then every 24 hours), with the SMTP
//! settings both share.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use parindex_domain::calendar::Clock;
use parindex_reports::Mailer;
use parindex_store::Store;

/// How reminder e-mails are sent.
#[derive(Args, Clone, Debug, Default)]
pub struct MailArgs {
    /// SMTP server for reminder e-mails: smtp://HOST:PORT, smtp://USER:PASS@HOST:587?tls=required
    /// or smtps://USER:PASS@HOST:465. Without it reminders are in-app only.
    #[arg(long, env = "PARINDEX_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of reminder e-mails, e.g. "ParIndex <parindex@bacgiang.gov.vn>".
    #[arg(long, env = "PARINDEX_MAIL_FROM")]
    pub mail_from: Option<String>,
}

/// The daily reminders inside `serve` and `demo`.
#[derive(Args, Clone, Debug, Default)]
pub struct DailyReminders {
    #[command(flatten)]
    pub mail: MailArgs,
    /// Do not run the daily reminders inside the server (e.g. when cron runs
    /// `parindex reminders run` instead).
    #[arg(long, env = "PARINDEX_NO_REMINDERS")]
    pub no_reminders: bool,
}

impl DailyReminders {
    /// Start them (once now, then every 24 hours, as of the clock), unless disabled. E-mails
    /// link to `public_url` when it is known.
    pub fn spawn(&self, store: &Store, clock: Clock, public_url: Option<&str>) -> Result<()> {
        if self.no_reminders {
            eprintln!("daily reminders: off (--no-reminders)");
            return Ok(());
        }
        let mailer = self.mail.mailer(public_url)?;
        match &mailer {
            Some(m) => eprintln!(
                "daily reminders: in-app and by e-mail through {}",
                m.server()
            ),
            None => eprintln!("daily reminders: in-app only (no --smtp-url)"),
        }
        parindex_reports::spawn_daily_reminders(store.clone(), clock, mailer);
        Ok(())
    }
}

impl MailArgs {
    /// The mailer, when an SMTP server is configured; its links point to `public_url`.
    pub fn mailer(&self, public_url: Option<&str>) -> Result<Option<Mailer>> {
        let Some(url) = self.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let from = self
            .mail_from
            .as_deref()
            .filter(|f| !f.trim().is_empty())
            .context("--smtp-url needs --mail-from (or PARINDEX_MAIL_FROM)")?;
        Ok(Some(Mailer::new(url, from)?.with_public_url(public_url)))
    }
}

#[derive(Subcommand)]
pub enum RemindersCommand {
    /// Send today's reminders once (7 days and 1 day before a deadline, and on becoming
    /// overdue); each is sent once ever, so running it again is harmless.
    Run {
        /// Only this plan (all plans by default).
        #[arg(long)]
        plan: Option<String>,
        #[command(flatten)]
        mail: MailArgs,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(
    store: &Store,
    command: RemindersCommand,
    clock: Clock,
    public_url: Option<&str>,
) -> Result<()> {
    match command {
        RemindersCommand::Run { plan, mail, json } => {
            let mailer = mail.mailer(public_url)?;
            let cal = store.work_calendar().await?;
            let summary = parindex_reports::run_reminders(
                store,
                plan.as_deref(),
                clock.today(),
                &cal,
                mailer.as_ref(),
            )
            .await
            .context("the reminders failed")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!("{summary}");
            }
        }
    }
    Ok(())
}
