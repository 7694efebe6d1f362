//! `mwupload`: the server and its admin commands.

mod app;
mod edge;
mod ops;

use clap::{Parser, Subcommand};
use mwupload_core::Config;
use mwupload_core::auth::{password, rights};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "mwupload",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("MWUPLOAD_GIT_COMMIT"), ")"),
    about = "A MediaWiki-compatible file upload server"
)]
struct Cli {
    /// Configuration file (TOML). Without one, embedded defaults are used.
    #[arg(long, global = true, env = "MWUPLOAD_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (SQLite database and files).
    #[arg(long, global = true, env = "MWUPLOAD_DATA")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "MWUPLOAD_LISTEN")]
        listen: Option<SocketAddr>,
        /// Create the data directory if it does not exist (a new, empty wiki).
        #[arg(long)]
        init: bool,
        /// Run although another server holds the data directory's lock (several processes on
        /// one SQLite data directory on purpose; PostgreSQL setups never take the lock).
        #[arg(long, env = "MWUPLOAD_ALLOW_SHARED_DATA", hide = true)]
        allow_shared_data: bool,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage bot passwords (`User@botname` logins with limited grants).
    Botpassword {
        #[command(subcommand)]
        command: BotCommand,
    },
    /// Upload files and directories to a MediaWiki (resumable, parallel, with progress).
    Upload(mwupload_client::cli::UploadArgs),
    /// Load-test a MediaWiki's upload API.
    Bench(mwupload_client::bench::BenchArgs),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints a generated password unless --password is given.
    Create {
        name: String,
        #[arg(long)]
        password: Option<String>,
        /// Comma-separated explicit groups (bot, sysop, bureaucrat, interface-admin).
        #[arg(long, default_value = "")]
        groups: String,
    },
    /// Replace a user's explicit groups.
    SetGroups { name: String, groups: String },
    /// Set a user's password; prints a generated one unless --password is given.
    SetPassword {
        name: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// List the accounts: id, name, explicit groups, registration time.
    List,
    /// Delete an account with its sessions and bot passwords (its uploads and edits stay).
    Delete { name: String },
}

#[derive(Subcommand)]
enum BotCommand {
    /// Create (or replace) a bot password; prints it.
    Create {
        user: String,
        botname: String,
        /// Comma-separated grants, e.g. basic,editpage,uploadfile,uploadeditmovefile.
        #[arg(long)]
        grants: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// List a user's bot passwords and their grants.
    List { user: String },
    /// Delete a bot password (sessions logged in with it stop working).
    Delete { user: String, botname: String },
}

fn split(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
}

/// glibc gives a thread that allocates while others do its own malloc arena (up to 8 per core),
/// and each arena keeps what was freed in it: the blocking pool's file writes spread upload
/// buffers over a dozen arenas. Two arenas took the peak memory of 32 concurrent chunked uploads
/// from 57 to 44 MiB at the same speed (docs/benchmarks.md). `MALLOC_ARENA_MAX` still wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes glibc's allocator settings; no other thread exists yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line for the user (with its causes), not a backtrace.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = parse_cli();
    let mut config = Config::load(cli.config.as_deref())?;
    // A data directory somebody named (flag, environment, config file), as opposed to the default.
    let named_data = cli.data.is_some() || config.data_dir != Config::default().data_dir;
    if let Some(d) = cli.data {
        config.data_dir = d;
    }
    let sqlite = config.database_url.trim().is_empty();
    if sqlite && !config.data_dir.exists() && matches!(cli.command, Command::User { .. } | Command::Botpassword { .. }) {
        anyhow::bail!(
            "data directory {} does not exist; give the server's --data (or MWUPLOAD_DATA)",
            config.data_dir.display()
        );
    }
    match cli.command {
        Command::Upload(args) => std::process::exit(mwupload_client::cli::run_upload(args).await?),
        Command::Bench(args) => std::process::exit(mwupload_client::bench::run(args).await?),
        Command::Serve {
            listen,
            init,
            allow_shared_data,
        } => {
            if let Some(l) = listen {
                config.listen = l;
            }
            prepare_data_dir(&config, init, named_data)?;
            // The lock lives as long as the server.
            let _lock = if sqlite && !allow_shared_data {
                Some(lock_data_dir(&config.data_dir)?)
            } else {
                None
            };
            serve(config).await
        }
        Command::User { command } => {
            let state = app::open(config).await?;
            match command {
                UserCommand::Create {
                    name,
                    password: pw,
                    groups,
                } => {
                    let groups = split(&groups);
                    check_groups(&groups)?;
                    let pw = pw.unwrap_or_else(|| password::random_password(24));
                    let name = canonical_user(&name)?;
                    if !mwupload_core::auth::username::is_creatable(&name) {
                        anyhow::bail!("invalid user name {name:?}: new accounts may not contain @ : >");
                    }
                    match state
                        .meta
                        .create_user(&name, &password::hash_password(&pw), &groups, Some("autocreate"))
                        .await?
                    {
                        Some(id) => println!("created user {name} (id {id}) with password {pw}"),
                        None => anyhow::bail!("user {name} already exists"),
                    }
                }
                UserCommand::SetGroups { name, groups } => {
                    let groups = split(&groups);
                    check_groups(&groups)?;
                    let name = canonical_user(&name)?;
                    let user = state
                        .meta
                        .user_by_name(&name)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no user {name}"))?;
                    // Through the same path as action=userrights, so the rights log records it, by
                    // "Maintenance script" as MediaWiki's maintenance scripts do.
                    let add: Vec<mwupload_store::GroupMembership> = groups
                        .iter()
                        .filter(|g| !user.groups.contains(g))
                        .map(|g| mwupload_store::GroupMembership {
                            group: g.clone(),
                            expiry: None,
                        })
                        .collect();
                    let remove: Vec<String> = user.groups.iter().filter(|g| !groups.contains(g)).cloned().collect();
                    let script = mwupload_core::auth::Caller {
                        user: Some(mwupload_store::UserRow {
                            id: 0,
                            name: "Maintenance script".into(),
                            password_hash: String::new(),
                            groups: Vec::new(),
                            memberships: Vec::new(),
                            registered: String::new(),
                        }),
                        rights: vec!["userrights".into()],
                        ..Default::default()
                    };
                    mwupload_core::access::change_groups(&state, &script, user.id, &add, &remove, "", &[]).await?;
                    println!("{name}: groups {}", groups.join(","));
                }
                UserCommand::List => {
                    for u in state.meta.list_users().await? {
                        println!("{}\t{}\t{}\t{}", u.id, u.name, u.groups.join(","), u.registered);
                    }
                }
                UserCommand::Delete { name } => {
                    let name = canonical_user(&name)?;
                    let user = state
                        .meta
                        .user_by_name(&name)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no user {name}"))?;
                    if !state.meta.delete_user(user.id).await? {
                        anyhow::bail!("no user {name}");
                    }
                    println!("deleted user {name} (id {})", user.id);
                }
                UserCommand::SetPassword { name, password: pw } => {
                    let name = canonical_user(&name)?;
                    let user = state
                        .meta
                        .user_by_name(&name)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no user {name}"))?;
                    let generated = pw.is_none();
                    let pw = pw.unwrap_or_else(|| password::random_password(24));
                    if pw.is_empty() {
                        anyhow::bail!("the password must not be empty");
                    }
                    state.meta.set_user_password(user.id, &password::hash_password(&pw)).await?;
                    if generated {
                        println!("password of {name} set to {pw}");
                    } else {
                        println!("password of {name} set");
                    }
                }
            }
            Ok(())
        }
        Command::Botpassword {
            command: BotCommand::List { user },
        } => {
            let state = app::open(config).await?;
            let u = existing_user(&state, &user).await?;
            for bp in state.meta.bot_passwords(u.id).await? {
                println!("{}@{}\t{}", u.name, bp.app_id, bp.grants.join(","));
            }
            Ok(())
        }
        Command::Botpassword {
            command: BotCommand::Delete { user, botname },
        } => {
            let state = app::open(config).await?;
            let u = existing_user(&state, &user).await?;
            if !state.meta.delete_bot_password(u.id, &botname).await? {
                anyhow::bail!("no bot password {}@{botname}", u.name);
            }
            println!("deleted bot password {}@{botname}", u.name);
            Ok(())
        }
        Command::Botpassword {
            command:
                BotCommand::Create {
                    user,
                    botname,
                    grants,
                    password: pw,
                },
        } => {
            let state = app::open(config).await?;
            let grants = split(&grants);
            for g in &grants {
                if !rights::known_grants().contains(&g.as_str()) {
                    anyhow::bail!("unknown grant {g}; known: {}", rights::known_grants().join(", "));
                }
            }
            if botname.is_empty() || botname.contains('@') || botname.len() > 32 {
                anyhow::bail!("bot name must be 1-32 characters without '@'");
            }
            let u = existing_user(&state, &user).await?;
            let pw = pw.unwrap_or_else(|| password::random_password(32));
            state
                .meta
                .put_bot_password(u.id, &botname, &password::hash_password(&pw), &grants)
                .await?;
            println!("bot password {}@{botname} = {pw}", u.name);
            Ok(())
        }
    }
}

/// A data directory that does not exist is created only with `serve --init`, or on the very
/// first start with the default directory; a named one that does not exist is most likely a typo.
fn prepare_data_dir(config: &Config, init: bool, named: bool) -> anyhow::Result<()> {
    let dir = &config.data_dir;
    if dir.exists() {
        if !dir.is_dir() {
            anyhow::bail!("--data {} is not a directory", dir.display());
        }
        return Ok(());
    }
    if named && !init {
        anyhow::bail!(
            "data directory {} does not exist; check --data (or MWUPLOAD_DATA, or data_dir in the config file), or run `mwupload serve --init` to create a new wiki there",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("creating data directory {}: {e}", dir.display()))?;
    tracing::info!("first start: created the data directory {}", dir.display());
    Ok(())
}

/// Takes the data directory's lock (embedded SQLite only: one server per data directory), or
/// says which server holds it.
fn lock_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    let path = dir.join("mwupload.lock");
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("opening {}: {e}", path.display()))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            let by = if holder.is_empty() {
                String::new()
            } else {
                format!(" (pid {holder})")
            };
            anyhow::bail!(
                "another mwupload server{by} is already running on the data directory {}; stop it first, or give this one its own --data",
                dir.display()
            );
        }
        Err(std::fs::TryLockError::Error(e)) => anyhow::bail!("locking {}: {e}", path.display()),
    }
    use std::io::{Seek, Write};
    let _ = f.set_len(0);
    let _ = f.seek(std::io::SeekFrom::Start(0));
    let _ = writeln!(f, "{}", std::process::id());
    Ok(f)
}

/// Parses the command line, with the valid grants and groups listed in the help of the
/// commands that take them (the lists live in the code, not in the attributes).
fn parse_cli() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let grants = format!("Valid grants: {}", rights::known_grants().join(", "));
    let groups = format!("Valid groups: {}", rights::known_groups().join(", "));
    let cmd = Cli::command()
        .mut_subcommand("botpassword", |c| c.mut_subcommand("create", |c| c.after_help(grants)))
        .mut_subcommand("user", |c| {
            c.mut_subcommand("create", |c| c.after_help(groups.clone()))
                .mut_subcommand("set-groups", |c| c.after_help(groups))
        });
    Cli::from_arg_matches(&cmd.get_matches()).unwrap_or_else(|e| e.exit())
}

/// The account a command names (canonicalized as MediaWiki would), or one line saying there is none.
async fn existing_user(state: &mwupload_core::AppState, name: &str) -> anyhow::Result<mwupload_store::UserRow> {
    let name = canonical_user(name)?;
    state
        .meta
        .user_by_name(&name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {name}"))
}

fn check_groups(groups: &[String]) -> anyhow::Result<()> {
    for g in groups {
        if !rights::known_groups().contains(&g.as_str()) {
            anyhow::bail!("unknown group {g}; known: {}", rights::known_groups().join(", "));
        }
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let state = app::open(config).await?;
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "address {listen} is already in use; choose another with --listen ADDR (or MWUPLOAD_LISTEN, or listen in the config file)"
        ),
        _ => anyhow::anyhow!("listening on {listen}: {e}; choose another address with --listen ADDR"),
    })?;
    let addr = listener.local_addr()?;
    let api_url = format!("http://{addr}{}", state.config.api_path());
    app::bootstrap(&state, &api_url).await?;
    let workers: Vec<_> = (0..2).map(|_| tokio::spawn(mwupload_core::jobs::worker(state.clone()))).collect();
    tokio::spawn(mwupload_core::jobs::sweeper(state.clone()));
    // The dummy hash unknown login names are checked against, computed before any login.
    tokio::task::spawn_blocking(mwupload_core::auth::throttle::warm_up);
    let metrics = std::sync::Arc::new(ops::Metrics::new(state.trusted_proxies.clone()));
    let scrape = (state.clone(), metrics.clone());
    let app = mwupload_web::router(state.clone())
        .route(
            "/metrics",
            axum::routing::get(move || {
                let (state, metrics) = scrape.clone();
                async move { ops::metrics_response(&state, &metrics).await }
            }),
        )
        .layer(axum::middleware::from_fn_with_state(metrics, ops::layer));
    println!("listening on http://{addr}");
    tracing::info!("listening on http://{addr}");
    edge::serve(listener, app, &state.config.limits, shutdown_signal()).await?;
    // Requests are drained; the job workers finish the job in hand within the same grace period
    // (a job cut off later is taken over through its lease, by this server's next start or
    // another replica).
    state.stopping.store(true, std::sync::atomic::Ordering::Release);
    state.jobs_notify.notify_waiters();
    let grace = mwupload_core::config::LimitsConfig::secs(state.config.limits.shutdown_grace_secs);
    let all_done = async {
        for w in workers {
            let _ = w.await;
        }
    };
    if tokio::time::timeout(grace, all_done).await.is_err() {
        tracing::warn!("job workers still busy after {grace:?}; their jobs resume through their leases");
    }
    tracing::info!("stopped");
    Ok(())
}

/// A user name as MediaWiki stores it (`UserNameUtils::getCanonical`), or one line saying why not.
fn canonical_user(name: &str) -> anyhow::Result<String> {
    mwupload_core::auth::username::canonical(name.trim()).ok_or_else(|| {
        anyhow::anyhow!(
            "invalid user name {name:?}: MediaWiki refuses names with any of # < > [ ] | {{ }} /, IP addresses and names of other namespaces"
        )
    })
}

/// SIGINT (Ctrl-C) or SIGTERM (what service managers and container runtimes send).
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
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
