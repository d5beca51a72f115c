//! `parindex`: the ParIndex command line. Runs the web application, loads the demo, imports and
//! exports data files, and answers the first questions (ranked results, gap to a target rank).

#![forbid(unsafe_code)]

/// The allocator of the whole process. glibc's kept the memory freed by each thread in that
/// thread's arena: under the soak the server's resident memory grew 2–3 MB a minute while its live
/// heap (heaptrack) stayed at 10–17 MB; mimalloc gives freed pages back (built without transparent
/// huge pages: with them the level was ~50 MB higher). docs/PERFORMANCE.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod assessment;
mod backup;
mod demo;
mod demo_history;
mod dossiers;
mod files;
mod output;
mod reminders;
mod report;
mod rounds;
mod tokens;
mod users;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use parindex_store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "parindex",
    version,
    about = "ParIndex: a province's Administrative Reform Index (PAR Index) improvement system"
)]
struct Cli {
    /// Database URL: sqlite://FILE (default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "PARINDEX_DATABASE_URL",
        default_value = "sqlite://parindex.db"
    )]
    db: String,
    /// Take "today" as this date (YYYY-MM-DD) for every deadline and overdue computation,
    /// e.g. --as-of 2021-08-15 to see the 2021 plan as it stood that day.
    #[arg(long, global = true, env = "PARINDEX_AS_OF")]
    as_of: Option<jiff::civil::Date>,
    /// The address people reach the service at, e.g. https://parindex.bacgiang.gov.vn (an
    /// origin; the application is served at its root). With https, cookies are always Secure
    /// and responses carry Strict-Transport-Security; links in e-mails point to it.
    #[arg(long, global = true, env = "PARINDEX_PUBLIC_URL")]
    public_url: Option<String>,
    #[command(flatten)]
    evidence: assessment::EvidenceArgs,
    #[command(subcommand)]
    command: Command,
}

/// How the server meets its clients (`serve`, `demo`).
#[derive(clap::Args, Clone, Debug)]
struct ServeArgs {
    /// Reverse proxies (addresses or networks, comma-separated, e.g. 127.0.0.1 or 10.0.0.0/8)
    /// whose X-Forwarded-For and X-Forwarded-Proto are believed. None by default: the socket
    /// peer is the client.
    #[arg(long, env = "PARINDEX_TRUST_PROXY", value_delimiter = ',')]
    trust_proxy: Vec<String>,
    /// Connections served at once; more wait until one closes.
    #[arg(long, env = "PARINDEX_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client has to send a request's header (and an idle connection stays open).
    #[arg(long, env = "PARINDEX_HEADER_TIMEOUT", default_value_t = 20)]
    header_timeout: u64,
    /// Hours after which a session ends however active it is (the idle limit is 8 hours).
    #[arg(long, env = "PARINDEX_SESSION_MAX_HOURS", default_value_t = 12)]
    session_max_hours: i64,
    /// Seconds a request waits for a database connection (a free one, or a new one while the
    /// database does not answer) before it is answered 503.
    #[arg(long, env = "PARINDEX_DB_TIMEOUT", default_value_t = 5)]
    db_timeout: u64,
    /// Take scheduled backups into this folder (created private, 0700), named
    /// parindex-YYYYMMDD-HHMMSS.zip (Asia/Ho_Chi_Minh); the same archive as `parindex backup`.
    #[arg(long, env = "PARINDEX_BACKUP_DIR", value_name = "DIR")]
    backup_dir: Option<PathBuf>,
    /// How often to back up (with --backup-dir): a whole number and s, m, h or d, e.g. 24h,
    /// 30m, 7d [default: 24h].
    #[arg(long, env = "PARINDEX_BACKUP_EVERY", value_name = "INTERVAL", value_parser = parindex_web::backups::parse_interval)]
    backup_every: Option<std::time::Duration>,
    /// How many scheduled backups to keep (with --backup-dir); older ones of the folder's
    /// parindex-*.zip archives are deleted [default: 14].
    #[arg(long, env = "PARINDEX_BACKUP_KEEP", value_name = "N")]
    backup_keep: Option<usize>,
}

impl ServeArgs {
    fn apply(&self, config: &mut parindex_web::WebConfig) -> Result<()> {
        config.trusted_proxies = self
            .trust_proxy
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| parindex_web::client::ProxyNet::parse(p).map_err(anyhow::Error::msg))
            .collect::<Result<_>>()
            .context("--trust-proxy")?;
        if self.max_connections == 0 {
            bail!("--max-connections must be at least 1");
        }
        if self.header_timeout == 0 {
            bail!("--header-timeout must be at least 1 second");
        }
        if self.session_max_hours < 1 {
            bail!("--session-max-hours must be at least 1");
        }
        config.max_connections = self.max_connections;
        config.header_read_timeout = std::time::Duration::from_secs(self.header_timeout);
        config.session_max_hours = self.session_max_hours;
        config.backup = self
            .backup_schedule()?
            .map(parindex_web::backups::Backups::new);
        Ok(())
    }

    /// How the store opens its database for the server.
    fn connect_options(&self) -> Result<parindex_store::ConnectOptions> {
        if self.db_timeout == 0 {
            bail!("--db-timeout must be at least 1 second");
        }
        Ok(parindex_store::ConnectOptions {
            acquire_timeout: std::time::Duration::from_secs(self.db_timeout),
            ..Default::default()
        })
    }

    fn backup_schedule(&self) -> Result<Option<parindex_web::backups::BackupSchedule>> {
        let Some(dir) = self
            .backup_dir
            .clone()
            .filter(|d| !d.as_os_str().is_empty())
        else {
            if self.backup_every.is_some() || self.backup_keep.is_some() {
                bail!("--backup-every and --backup-keep need --backup-dir (the folder to back up into)");
            }
            return Ok(None);
        };
        let keep = self.backup_keep.unwrap_or(14);
        if keep == 0 {
            bail!("--backup-keep must be at least 1");
        }
        Ok(Some(parindex_web::backups::BackupSchedule {
            dir,
            every: self
                .backup_every
                .unwrap_or(std::time::Duration::from_secs(24 * 3600)),
            keep,
        }))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Load the Bắc Giang demo data (idempotent) with the plan's history up to the clock's day
    /// (by default 2021-08-15, inside the plan's life; --as-of to change it) and serve the web
    /// application with that clock.
    Demo {
        /// Only load the data; do not start the server.
        #[arg(long)]
        no_serve: bool,
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        #[command(flatten)]
        daily: reminders::DailyReminders,
        #[command(flatten)]
        web: ServeArgs,
    },
    /// One-stop-shop dossier exports: counts and rates, streamed (no database needed).
    Dossiers {
        #[command(subcommand)]
        command: dossiers::DossiersCommand,
    },
    /// Generate synthetic data files for demos, tests and benchmarks (no database needed).
    Gen {
        #[command(subcommand)]
        command: dossiers::GenCommand,
    },
    /// Evidence files of the self-assessments: `evidence verify` re-hashes every stored file.
    Evidence {
        #[command(subcommand)]
        command: assessment::EvidenceCommand,
    },
    /// The assessment cycle: `rounds`, `show ROUND [--unit UNIT]`, `export-table`,
    /// `import-table` and `publish`, with the web's rules and locks (docs/assessment.md).
    Assessment {
        #[command(subcommand)]
        command: rounds::AssessmentCommand,
    },
    /// Serve the web application.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        #[command(flatten)]
        daily: reminders::DailyReminders,
        #[command(flatten)]
        web: ServeArgs,
    },
    /// List index editions.
    Editions {
        #[arg(long)]
        json: bool,
        /// Only editions whose name contains this (diacritics and case ignored).
        #[arg(long)]
        search: Option<String>,
    },
    /// Import a data file (.toml/.json for editions and plans; .csv or .xlsx for the others).
    Import {
        kind: ImportKind,
        file: PathBuf,
        /// The edition the file belongs to (results; a criteria-only CSV of an edition).
        #[arg(long)]
        edition: Option<String>,
        /// Results: remove the subjects that are not in the file.
        #[arg(long)]
        replace: bool,
        /// Check the file and show what would change, without saving.
        #[arg(long)]
        dry_run: bool,
        /// Editions: refuse the file on a warning too (values no band covers, children that
        /// add up to less than their parent), not only on an error.
        #[arg(long)]
        strict: bool,
        /// Results: a subject given twice in the file keeps its first or its last row (both
        /// named in the output); without it such a file is refused.
        #[arg(long, value_enum)]
        prefer: Option<files::PreferArg>,
        #[command(flatten)]
        dossier_flags: dossiers::ImportFlags,
    },
    /// Export an edition or its results.
    Export {
        kind: ExportKind,
        #[arg(long)]
        edition: String,
        #[arg(long, value_enum)]
        format: Format,
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
    /// The ranked results table of an edition.
    Results {
        #[arg(long)]
        edition: String,
        #[arg(long)]
        json: bool,
    },
    /// Gap analysis: points lost, change since the previous edition, points to a target rank.
    Gap {
        #[arg(long)]
        edition: String,
        #[arg(long)]
        subject: String,
        /// Overall target rank; defaults to the stored target.
        #[arg(long)]
        target_rank: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// API tokens: make one (printed once), list them, revoke one (docs/api.md).
    Token {
        #[command(subcommand)]
        command: tokens::TokenCommand,
    },
    /// Generate documents: the Chairman's monthly report (.docx, .xlsx).
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
    /// Deadline reminders: `reminders run` sends today's (the daily job, e.g. from cron).
    Reminders {
        #[command(subcommand)]
        command: reminders::RemindersCommand,
    },
    /// Back up the database and the evidence files into one archive (`-o FILE`), taken
    /// while the server runs; `--verify FILE` checks an archive without restoring it.
    Backup {
        #[command(flatten)]
        args: backup::BackupArgs,
    },
    /// Restore an archive into an empty database (`--replace` to replace a database's content)
    /// and its evidence files into the evidence folder.
    Restore {
        #[command(flatten)]
        args: backup::RestoreArgs,
    },
    /// The audit log, newest first.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    Edition,
    Results,
    Units,
    Subjects,
    Targets,
    Dossiers,
    /// An improvement plan (.toml or .json), as on the web's "Nhập kế hoạch".
    Plan,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum ExportKind {
    Edition,
    Results,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Xlsx,
    Csv,
    Json,
    Toml,
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PARINDEX_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = rt.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn open(db: &str, options: &parindex_store::ConnectOptions) -> Result<Store> {
    let shown = parindex_store::redact(db);
    match Store::connect_with(db, options).await {
        Ok(store) => Ok(store),
        // A SQLite file (or folder) we cannot write: one line naming it and the cause.
        Err(parindex_store::StoreError::Unwritable {
            place: Some(place),
            detail,
            ..
        }) => bail!(
            "cannot open the database {shown}: {} cannot be written ({detail}); ParIndex writes to the SQLite file and creates its -wal and -shm files in the same folder: give this user write access to both, or choose another file",
            place.display()
        ),
        Err(e) => Err(e).with_context(|| format!("cannot open the database {shown}")),
    }
}

async fn run(cli: Cli) -> Result<()> {
    // The one clock: today in Asia/Ho_Chi_Minh, or the fixed `--as-of` day.
    // The demo's clock defaults to a day inside the 2021 plan's life (demo::DEFAULT_AS_OF): on
    // the real date the plan ended long ago and everything in it would be overdue.
    let clock = match (cli.as_of, &cli.command) {
        (Some(d), _) => parindex_domain::calendar::Clock::Fixed(d),
        (None, Command::Demo { .. }) => {
            parindex_domain::calendar::Clock::Fixed(demo::DEFAULT_AS_OF)
        }
        (None, _) => parindex_domain::calendar::Clock::System,
    };
    // On a fixed day the audit log dates what is done on that day too (not years later).
    if let parindex_domain::calendar::Clock::Fixed(d) = clock {
        parindex_store::date_audit_on(d);
    }
    let command = match cli.command {
        Command::Dossiers { command } => return dossiers::dossiers_command(command, clock.today()),
        Command::Gen { command } => return dossiers::gen_command(command),
        Command::Backup {
            args: backup::BackupArgs {
                verify: Some(file), ..
            },
        } => return backup::verify(&file),
        other => other,
    };
    let public_url = cli
        .public_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(parindex_web::public_origin)
        .transpose()
        .map_err(anyhow::Error::msg)
        .context("--public-url")?;
    let options = match &command {
        Command::Serve { web, .. } | Command::Demo { web, .. } => web.connect_options()?,
        _ => parindex_store::ConnectOptions::default(),
    };
    let store = open(&cli.db, &options).await?;
    match command {
        Command::Dossiers { .. } | Command::Gen { .. } => {}
        Command::Demo {
            no_serve,
            bind,
            daily,
            web,
        } => {
            let today = clock.today();
            eprintln!(
                "demo clock: {} ({}; --as-of YYYY-MM-DD to see another day)",
                parindex_domain::calendar::dmy(today),
                if cli.as_of.is_some() {
                    "as asked"
                } else {
                    "the default, a day inside the 2021 plan"
                }
            );
            let summary = demo::load(&store, today).await?;
            eprintln!("{summary}");
            if !no_serve {
                serve(
                    store.clone(),
                    bind,
                    clock,
                    &daily,
                    cli.evidence.config(&cli.db),
                    &web,
                    public_url.as_deref(),
                )
                .await?;
            }
        }
        Command::Serve { bind, daily, web } => {
            serve(
                store.clone(),
                bind,
                clock,
                &daily,
                cli.evidence.config(&cli.db),
                &web,
                public_url.as_deref(),
            )
            .await?
        }
        Command::Evidence { command } => {
            assessment::evidence_command(&store, command, &cli.evidence.config(&cli.db)).await?
        }
        Command::Assessment { command } => rounds::run(&store, command, clock.today()).await?,
        Command::Backup { args } => {
            if let Some(output) = &args.output {
                backup::backup(&store, output, &cli.evidence.config(&cli.db)).await?;
            }
        }
        Command::Restore { args } => {
            backup::restore(&store, &args, &cli.evidence.config(&cli.db)).await?
        }
        Command::Report { command } => report::run(&store, command, clock).await?,
        Command::Reminders { command } => {
            reminders::run(&store, command, clock, public_url.as_deref()).await?
        }
        Command::Editions { json, search } => {
            let list = store.editions(search.as_deref()).await?;
            output::editions(&list, json)?;
        }
        Command::Import {
            kind,
            file,
            edition,
            replace,
            dry_run,
            strict,
            prefer,
            dossier_flags,
        } => {
            if kind == ImportKind::Dossiers {
                dossiers::import(&store, &file, &dossier_flags, clock.today(), dry_run, "cli")
                    .await?;
            } else {
                let options = files::ImportOptions {
                    edition: edition.as_deref(),
                    replace,
                    dry_run,
                    strict,
                    prefer: prefer.map(files::PreferArg::into_prefer),
                };
                files::import(&store, kind, &file, &options).await?;
            }
        }
        Command::Export {
            kind,
            edition,
            format,
            output,
        } => {
            files::export(&store, kind, &edition, format, &output).await?;
        }
        Command::Results { edition, json } => {
            let table = store.ranked_results(&edition).await?;
            output::results(&table, json)?;
        }
        Command::Gap {
            edition,
            subject,
            target_rank,
            json,
        } => {
            if target_rank == Some(0) {
                bail!("--target-rank starts at 1");
            }
            let gap = store.gap_report(&edition, &subject, target_rank).await?;
            output::gap(&gap, json)?;
        }
        Command::User { command } => users::run(&store, command).await?,
        Command::Token { command } => tokens::run(&store, command).await?,
        Command::Audit { limit, json } => {
            let log = store
                .audit_log(&parindex_store::AuditFilter {
                    limit,
                    ..Default::default()
                })
                .await?;
            output::audit(&log, json)?;
        }
    }
    store.close().await;
    Ok(())
}

async fn serve(
    store: Store,
    bind: SocketAddr,
    clock: parindex_domain::calendar::Clock,
    daily: &reminders::DailyReminders,
    evidence: parindex_store::evidence::EvidenceConfig,
    web: &ServeArgs,
    public_url: Option<&str>,
) -> Result<()> {
    // The evidence folder holds the units' documents: private, or the server does not start.
    evidence
        .ensure_folder()
        .map_err(|p| anyhow::anyhow!("cannot start: evidence folder refused: {p}"))?;
    let mut state = parindex_web::AppState {
        clock,
        ..parindex_web::AppState::new(store.clone())
    };
    let evidence_cfg = evidence.clone();
    state.config.evidence_dir = evidence.dir;
    state.config.evidence_max_bytes = evidence.max_bytes;
    state.config.public_url = public_url.map(str::to_string);
    web.apply(&mut state.config)?;
    if let Some(b) = &state.config.backup {
        // The backup folder, like the evidence folder: private, or the server does not start.
        parindex_store::files::ensure_private_dir(&b.schedule.dir)
            .map_err(|p| anyhow::anyhow!("cannot start: backup folder refused: {p}"))?;
    }
    // The same SMTP server as the daily reminders: the administrators' test mail uses it.
    state.config.mailer = daily.mail.mailer(public_url)?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    // The address bound, not the one asked for: with `--bind 127.0.0.1:0` the system chooses
    // the port, and this line is how a script (or a test) learns it.
    let local = listener.local_addr().unwrap_or(bind);
    eprintln!("ParIndex is serving on http://{local}/ (Ctrl+C to stop)");
    if let Some(u) = public_url {
        eprintln!("public URL: {u}");
    }
    if !state.config.trusted_proxies.is_empty() {
        let list: Vec<String> = state
            .config
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        eprintln!("trusted proxies: {}", list.join(", "));
    }
    if let parindex_domain::calendar::Clock::Fixed(d) = clock {
        eprintln!(
            "the clock is set to {d}: deadlines and overdue items are computed as of that day"
        );
    }
    daily.spawn(&store, clock, public_url)?;
    if let Some(b) = &state.config.backup {
        eprintln!(
            "scheduled backups: every {} into {}, keeping {}",
            parindex_web::backups::interval_text(b.schedule.every),
            b.schedule.dir.display(),
            b.schedule.keep
        );
        parindex_web::backups::spawn(store.clone(), evidence_cfg, b.clone());
    }
    parindex_web::serve_with_listener(state, listener, stop_signal())
        .await
        .context("the server stopped with an error")
}

/// Ctrl+C, or the SIGTERM a service manager sends to stop the server (`systemctl stop`, a
/// container's stop): the server stops taking connections, lets the requests in flight finish,
/// and exits with status 0. (Without this, SIGTERM ended the process at once.)
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    eprintln!("stopping: the requests in flight finish, then the server exits");
}
