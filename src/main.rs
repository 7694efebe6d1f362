//! `mwupload`: the server and its admin commands.

mod app;
mod edge;

use clap::{Parser, Subcommand};
use mwupload_core::Config;
use mwupload_core::auth::{password, rights};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "mwupload", version, about = "A MediaWiki-compatible file upload server")]
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
}

fn split(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(d) = cli.data {
        config.data_dir = d;
    }
    match cli.command {
        Command::Upload(args) => std::process::exit(mwupload_client::cli::run_upload(args).await?),
        Command::Bench(args) => std::process::exit(mwupload_client::bench::run(args).await?),
        Command::Serve { listen } => {
            if let Some(l) = listen {
                config.listen = l;
            }
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
                    match state.meta.create_user(&name, &password::hash_password(&pw), &groups).await? {
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
                    state.meta.set_user_groups(user.id, &groups).await?;
                    println!("{name}: groups {}", groups.join(","));
                }
                UserCommand::SetPassword { name, password: pw } => {
                    let name = mwupload_core::title::display_name(name.trim()).replace('_', " ");
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
            let u = state
                .meta
                .user_by_name(&user)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user {user}"))?;
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
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("binding {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    let api_url = format!("http://{addr}{}", state.config.api_path());
    app::bootstrap(&state, &api_url).await?;
    for _ in 0..2 {
        tokio::spawn(mwupload_core::jobs::worker(state.clone()));
    }
    tokio::spawn(mwupload_core::jobs::sweeper(state.clone()));
    // The dummy hash unknown login names are checked against, computed before any login.
    tokio::task::spawn_blocking(mwupload_core::auth::throttle::warm_up);
    let app = mwupload_web::router(state.clone());
    println!("listening on http://{addr}");
    tracing::info!("listening on http://{addr}");
    edge::serve(listener, app, &state.config.limits, shutdown_signal()).await?;
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
