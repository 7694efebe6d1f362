//! `mwupload upload`: uploads files and directories to any MediaWiki, several at a time, with
//! progress bars, resume after Ctrl-C or a crash, SHA-1 duplicate checks and a summary.

use crate::api::{Client, ClientEvent, RetryPolicy};
use crate::state::{Entry, StateFile, now_unix};
use crate::title::{display_title, wiki_file_name};
use crate::units::{format_bytes, format_rate, parse_size};
use crate::upload::{Observer, Resume, UploadEvent, UploadOptions, UploadOutcome, UploadSource};
use crate::warnings::UploadWarning;
use crate::{Error, login_from};
use futures_util::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default name of the resume state file, in the working directory.
pub const DEFAULT_STATE_FILE: &str = ".mwupload-upload-state.json";

/// Arguments of `mwupload upload`.
#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "The password comes from --password-file or the MWUPLOAD_PASSWORD environment variable. \
A user name with '@' (User@bot) logs in with a bot password (action=login), any other with action=clientlogin.\n\
Exit status: 0 when every file was uploaded or skipped, 1 when one failed, 2 when nothing could start \
(bad arguments, unreachable wiki, refused login), 130 when interrupted (run the same command again to resume)."
)]
pub struct UploadArgs {
    /// URL of the wiki's api.php, e.g. https://commons.wikimedia.org/w/api.php
    #[arg(long, env = "MWUPLOAD_API")]
    pub api: String,
    /// User name (User@bot for a bot password).
    #[arg(long, env = "MWUPLOAD_USER")]
    pub user: Option<String>,
    /// File holding the password (first line).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Files and directories to upload (directories are walked; dot-files are skipped).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Upload summary.
    #[arg(long, default_value = "Uploaded with mwupload")]
    pub comment: String,
    /// Description page text for new files (default: the comment).
    #[arg(long, conflicts_with = "text_file")]
    pub text: Option<String>,
    /// Read the description page text from a file.
    #[arg(long)]
    pub text_file: Option<PathBuf>,
    /// Files uploaded at the same time.
    #[arg(long, short = 'j', default_value_t = 2)]
    pub jobs: usize,
    /// Files larger than this are sent in chunks of this size (0: never chunk).
    #[arg(long, default_value = "5MiB", value_parser = parse_size)]
    pub chunk_size: u64,
    /// Upload despite warnings (overwrites existing files with new versions, accepts duplicates).
    #[arg(long)]
    pub ignore_warnings: bool,
    /// Skip files whose name is already taken on the wiki instead of failing.
    #[arg(long)]
    pub skip_existing: bool,
    /// Upload even when a file with the same content (SHA-1) is already on the wiki.
    #[arg(long)]
    pub allow_duplicates: bool,
    /// Ask the wiki to assemble and publish asynchronously (async=1, polling checkstatus).
    #[arg(long = "async")]
    pub async_mode: bool,
    /// Resume state file.
    #[arg(long, default_value = DEFAULT_STATE_FILE)]
    pub state: PathBuf,
    /// Limit the upload rate of each file, e.g. 2MiB (bytes per second; paced per chunk).
    #[arg(long, value_parser = parse_size)]
    pub limit_rate: Option<u64>,
    /// Contact information for the User-Agent header (e-mail or user page).
    #[arg(long, env = "MWUPLOAD_CONTACT")]
    pub contact: Option<String>,
    /// maxlag sent with every request (0: none).
    #[arg(long, default_value_t = 5)]
    pub maxlag: u32,
    /// Retries after network errors (exponential backoff with jitter).
    #[arg(long, default_value_t = 6)]
    pub retries: u32,
    /// Progress display: bars on a terminal, one-line messages otherwise.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Print a JSON summary as the last line of output.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq)]
pub enum ProgressMode {
    Auto,
    Bars,
    Plain,
    None,
}

// ---------------------------------------------------------------------------------- output

/// Where messages and progress go: bars on a terminal, plain lines otherwise.
#[derive(Clone)]
struct Printer {
    bars: Option<MultiProgress>,
    quiet_progress: bool,
}

impl Printer {
    fn new(mode: ProgressMode) -> Printer {
        let tty = std::io::stdout().is_terminal();
        let bars = match mode {
            ProgressMode::Bars => true,
            ProgressMode::Auto => tty,
            _ => false,
        };
        Printer {
            bars: bars.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stdout())),
            quiet_progress: mode == ProgressMode::None,
        }
    }

    fn line(&self, msg: impl AsRef<str>) {
        match &self.bars {
            Some(mp) => {
                let _ = mp.println(msg.as_ref());
            }
            None => println!("{}", msg.as_ref()),
        }
    }

    fn file_bar(&self, size: u64, label: &str) -> ProgressBar {
        match &self.bars {
            Some(mp) => {
                let pb = mp.add(ProgressBar::new(size));
                pb.set_style(
                    ProgressStyle::with_template(
                        "{msg:32!} [{bar:25.cyan/blue}] {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec:>11} ETA {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                pb.set_message(label.to_string());
                pb
            }
            None => ProgressBar::hidden(),
        }
    }

    fn total_bar(&self, total: u64, files: usize) -> ProgressBar {
        match &self.bars {
            Some(mp) => {
                let pb = mp.add(ProgressBar::new(total));
                pb.set_style(
                    ProgressStyle::with_template(
                        "{msg:32!} [{bar:25.green/white}] {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec:>11} ETA {eta} [{elapsed}]",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                pb.set_message(format!("total (0/{files} files)"));
                pb
            }
            None => ProgressBar::hidden(),
        }
    }
}

// ---------------------------------------------------------------------------------- results

#[derive(Debug, Clone, serde::Serialize)]
struct FileReport {
    file: String,
    name: String,
    status: &'static str,
    message: String,
    size: u64,
    /// File bytes in requests the server answered during this run.
    bytes_sent: u64,
    /// Where a resumed chunked upload went on (the server's offset).
    #[serde(skip_serializing_if = "Option::is_none")]
    resumed_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha1: Option<String>,
}

struct Job {
    path: PathBuf,
    key: String,
    name: String,
    size: u64,
}

/// Everything one upload run shares.
struct Run {
    client: Client,
    args: UploadArgs,
    opts: UploadOptions,
    state: StateFile,
    printer: Printer,
    total_bar: ProgressBar,
    total_pos: AtomicI64,
    /// File bytes in answered requests, all files (also those cut short by Ctrl-C).
    sent: AtomicU64,
    done: AtomicU64,
    files: usize,
}

/// Runs `mwupload upload`; returns the process exit status: 0 when every file was uploaded or
/// skipped, 1 when a file failed, 2 when nothing could start (bad arguments, unreachable wiki,
/// refused login), 130 when interrupted.
pub async fn run_upload(args: UploadArgs) -> anyhow::Result<i32> {
    match upload_files(args).await {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("mwupload upload: {e:#}");
            Ok(2)
        }
    }
}

async fn upload_files(args: UploadArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let printer = Printer::new(args.progress);
    let (jobs, mut reports) = collect(&args.paths)?;
    if jobs.is_empty() && reports.is_empty() {
        anyhow::bail!("no files to upload in {:?}", args.paths);
    }
    let text = match &args.text_file {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))?),
        None => args.text.clone(),
    };
    let p2 = printer.clone();
    let client = Client::builder(&args.api)
        .maxlag((args.maxlag > 0).then_some(args.maxlag))
        .retry(RetryPolicy {
            max_retries: args.retries,
            ..RetryPolicy::default()
        })
        .pool_size(args.jobs.max(1))
        .contact(args.contact.clone().unwrap_or_else(|| "contact not set".into()))
        .on_event(move |e| match e {
            ClientEvent::Retry { reason, delay, attempt } => p2.line(format!("  retry {attempt} in {:.1}s: {reason}", delay.as_secs_f64())),
            ClientEvent::Relogin => p2.line("  the session expired; logged in again"),
            ClientEvent::ApiWarning { module, text } => p2.line(format!("  API warning ({module}): {text}")),
        })
        .build()?;
    let site = client.site_info().await.map_err(|e| anyhow::anyhow!("{}: {e}", args.api))?;
    if let Some(user) = &args.user {
        let password = login_from(args.password_file.as_deref())?;
        let who = client.login(user, &password).await?;
        printer.line(format!("logged in to {} ({}) as {}", site.sitename, site.generator, who.username));
    } else {
        printer.line(format!("uploading to {} ({}) without logging in", site.sitename, site.generator));
    }
    if let Some(min) = site.min_upload_chunk_size
        && args.chunk_size > 0
        && args.chunk_size < min
    {
        anyhow::bail!("--chunk-size {} is below the wiki's minimum chunk size {min}", args.chunk_size);
    }
    let mut runnable = Vec::new();
    for j in jobs {
        match site.max_upload_size {
            Some(max) if j.size > max => reports.push(report(
                &j,
                "failed",
                format!("larger than the wiki's maximum upload size ({})", format_bytes(max)),
            )),
            _ => runnable.push(j),
        }
    }
    let total: u64 = runnable.iter().map(|j| j.size).sum();
    let total_bar = printer.total_bar(total, runnable.len());
    let run = Arc::new(Run {
        opts: UploadOptions {
            comment: args.comment.clone(),
            text,
            ignore_warnings: args.ignore_warnings,
            chunk_size: args.chunk_size,
            async_mode: args.async_mode,
            sha1: None,
            max_bytes_per_sec: args.limit_rate,
            ..UploadOptions::default()
        },
        state: StateFile::open(&args.state)?,
        client,
        printer: printer.clone(),
        total_bar,
        total_pos: AtomicI64::new(0),
        sent: AtomicU64::new(0),
        done: AtomicU64::new(0),
        files: runnable.len(),
        args,
    });
    let results = Arc::new(Mutex::new(Vec::new()));
    let work = {
        let (run, results) = (run.clone(), results.clone());
        async move {
            futures_util::stream::iter(runnable)
                .map(|j| {
                    let run = run.clone();
                    async move { run.upload_one(j).await }
                })
                .buffer_unordered(run.args.jobs.max(1))
                .for_each(|r| {
                    results.lock().unwrap_or_else(|e| e.into_inner()).push(r);
                    async {}
                })
                .await
        }
    };
    let interrupted = tokio::select! {
        _ = work => false,
        _ = tokio::signal::ctrl_c() => true,
    };
    run.total_bar.finish_and_clear();
    reports.extend(results.lock().unwrap_or_else(|e| e.into_inner()).drain(..));
    if interrupted {
        printer.line(format!(
            "interrupted: progress is saved in {}; run the same command again to resume",
            run.state.path().display()
        ));
    }
    Ok(summary(&run, &reports, started.elapsed(), interrupted))
}

fn report(j: &Job, status: &'static str, message: String) -> FileReport {
    FileReport {
        file: j.path.display().to_string(),
        name: j.name.clone(),
        status,
        message,
        size: j.size,
        bytes_sent: 0,
        resumed_at: None,
        sha1: None,
    }
}

fn summary(run: &Run, reports: &[FileReport], elapsed: Duration, interrupted: bool) -> i32 {
    let count = |s: &str| reports.iter().filter(|r| r.status == s).count();
    let (up, skipped, failed) = (count("uploaded"), count("skipped"), count("failed"));
    let sent = run.sent.load(Ordering::Relaxed);
    let p = &run.printer;
    for r in reports.iter().filter(|r| r.status == "failed") {
        p.line(format!("FAILED {}: {}", display_title(&r.name), r.message));
    }
    p.line(format!(
        "summary: {up} uploaded, {skipped} skipped, {failed} failed{}; {} sent in {:.1} s ({})",
        if interrupted { ", interrupted" } else { "" },
        format_bytes(sent),
        elapsed.as_secs_f64(),
        format_rate(sent, elapsed)
    ));
    if !run.state.is_empty() {
        p.line(format!(
            "{} unfinished upload(s) remembered in {} (run again to resume)",
            run.state.len(),
            run.state.path().display()
        ));
    }
    if run.args.json {
        let j = serde_json::json!({
            "uploaded": up, "skipped": skipped, "failed": failed, "interrupted": interrupted,
            "bytes_sent": sent, "seconds": elapsed.as_secs_f64(), "files": reports,
        });
        println!("{j}");
    }
    if interrupted {
        130
    } else if failed > 0 {
        1
    } else {
        0
    }
}

/// Expands the command line into files (directories walked, sorted; dot-files skipped) and
/// reports files that cannot be uploaded (missing, or a wiki name taken by an earlier file).
fn collect(paths: &[PathBuf]) -> anyhow::Result<(Vec<Job>, Vec<FileReport>)> {
    fn walk(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        if depth > 64 {
            return Ok(());
        }
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            if p.is_dir() {
                walk(&p, depth + 1, out)?;
            } else if p.is_file() {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, 0, &mut files).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))?;
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            anyhow::bail!("no such file or directory: {}", p.display());
        }
    }
    let mut jobs: Vec<Job> = Vec::new();
    let mut reports = Vec::new();
    for path in files {
        let abs = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let name = wiki_file_name(&path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default());
        let size = std::fs::metadata(&path)?.len();
        let job = Job {
            key: abs.display().to_string(),
            path,
            name,
            size,
        };
        if let Some(first) = jobs.iter().find(|j| j.name == job.name) {
            let msg = format!("{} is also the wiki name of {}", display_title(&job.name), first.path.display());
            reports.push(report(&job, "failed", msg));
        } else if jobs.iter().any(|j| j.key == job.key) {
            continue; // named twice on the command line
        } else {
            jobs.push(job);
        }
    }
    Ok((jobs, reports))
}

// ---------------------------------------------------------------------------------- one file

/// Hears one file's upload events: drives its bar, the total bar, plain progress lines and the
/// state file.
struct FileObserver {
    run: Arc<Run>,
    key: String,
    entry: Entry,
    title: String,
    bar: ProgressBar,
    size: u64,
    last_pos: AtomicU64,
    sent: AtomicU64,
    resumed_at: Mutex<Option<u64>>,
    started: Instant,
    last_line: Mutex<(Instant, u64)>,
}

impl Observer for FileObserver {
    fn event(&self, e: UploadEvent<'_>) {
        let p = &self.run.printer;
        match e {
            UploadEvent::Progress { pos, .. } => {
                let last = self.last_pos.swap(pos, Ordering::Relaxed);
                let delta = pos as i64 - last as i64;
                let t = self.run.total_pos.fetch_add(delta, Ordering::Relaxed) + delta;
                self.bar.set_position(pos);
                self.run.total_bar.set_position(t.max(0) as u64);
                if p.bars.is_none() && !p.quiet_progress && self.size >= 1 << 20 {
                    let mut l = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
                    let quarter = |x: u64| x * 4 / self.size;
                    if (quarter(pos) > quarter(l.1) || l.0.elapsed() >= Duration::from_secs(5)) && pos < self.size {
                        *l = (Instant::now(), pos);
                        let elapsed = self.started.elapsed();
                        let rate = pos.saturating_sub(self.resumed_at.lock().map(|r| r.unwrap_or(0)).unwrap_or(0)) as f64
                            / elapsed.as_secs_f64().max(1e-3);
                        let eta = if rate > 0.0 {
                            format!("{:.0}s", (self.size - pos) as f64 / rate)
                        } else {
                            "?".into()
                        };
                        p.line(format!(
                            "{}: {}% ({} of {}, {}/s, ETA {eta})",
                            self.title,
                            pos * 100 / self.size,
                            format_bytes(pos),
                            format_bytes(self.size),
                            format_bytes(rate as u64)
                        ));
                    }
                }
            }
            UploadEvent::Sent { bytes, .. } => {
                self.sent.fetch_add(bytes, Ordering::Relaxed);
                self.run.sent.fetch_add(bytes, Ordering::Relaxed);
            }
            UploadEvent::Checkpoint(r) => {
                let entry = Entry {
                    resume: r.clone(),
                    updated: now_unix(),
                    ..self.entry.clone()
                };
                if let Err(err) = self.run.state.put(&self.key, entry) {
                    p.line(format!("  cannot write {}: {err}", self.run.state.path().display()));
                }
            }
            UploadEvent::Resumed { offset } => {
                *self.resumed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(offset);
                p.line(format!(
                    "resuming {} at byte {offset} of {} (the server's offset)",
                    self.title, self.size
                ));
            }
            UploadEvent::Resynced { from, to } => p.line(format!(
                "  {}: the server is at byte {to}, not {from}; continuing there",
                self.title
            )),
            UploadEvent::Restarted { reason } => p.line(format!("  {}: starting over: {reason}", self.title)),
            UploadEvent::Waiting { stage } => self.bar.set_message(format!("{} ({stage})", self.title)),
            UploadEvent::Publishing => self.bar.set_message(format!("{} (publishing)", self.title)),
            UploadEvent::PublishAnswered => {}
        }
    }
}

impl Run {
    async fn upload_one(self: Arc<Self>, j: Job) -> FileReport {
        let title = display_title(&j.name);
        let bar = self.printer.file_bar(j.size, &title);
        bar.set_message(format!("{title} (hashing)"));
        let mut rep = report(&j, "failed", String::new());
        let r = self.clone().try_upload(&j, &title, bar.clone(), &mut rep).await;
        bar.finish_and_clear();
        // Whatever happened, the total no longer waits for this file's bytes.
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.total_bar.set_message(format!("total ({done}/{} files)", self.files));
        match r {
            Ok((status, msg)) => {
                rep.status = status;
                rep.message = msg;
            }
            Err(e) => {
                rep.status = "failed";
                rep.message = e;
            }
        }
        let line = match rep.status {
            "uploaded" => format!(
                "uploaded {title} ({}{})",
                format_bytes(j.size),
                if rep.message.is_empty() {
                    String::new()
                } else {
                    format!("; {}", rep.message)
                }
            ),
            "skipped" => format!("skipped {title}: {}", rep.message),
            _ => format!("failed {title}: {}", rep.message),
        };
        self.printer.line(line);
        rep
    }

    async fn try_upload(
        self: Arc<Self>,
        j: &Job,
        title: &str,
        bar: ProgressBar,
        rep: &mut FileReport,
    ) -> Result<(&'static str, String), String> {
        let source = UploadSource::file(&j.path).map_err(|e| format!("{}: {e}", j.path.display()))?;
        let s2 = source.clone();
        let sha1 = tokio::task::spawn_blocking(move || s2.sha1_blocking())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("reading {}: {e}", j.path.display()))?;
        rep.sha1 = Some(sha1.clone());
        let c = &self.client;
        if !self.args.allow_duplicates {
            let dups = c.find_by_sha1(&sha1).await.map_err(|e| e.to_string())?;
            if !dups.is_empty() {
                let _ = self.state.remove(&j.key);
                let names: Vec<_> = dups.iter().map(|n| display_title(n)).collect();
                return Ok((
                    "skipped",
                    format!("the same content is already on the wiki as {}", names.join(", ")),
                ));
            }
        }
        if self.args.skip_existing && !self.args.ignore_warnings && c.file_info(&j.name).await.map_err(|e| e.to_string())?.is_some() {
            let _ = self.state.remove(&j.key);
            return Ok(("skipped", format!("{title} already exists (--skip-existing)")));
        }
        let entry = Entry {
            api: self.args.api.clone(),
            wiki_name: j.name.clone(),
            sha1: sha1.clone(),
            size: j.size,
            resume: Resume::Chunks {
                filekey: String::new(),
                offset: 0,
            },
            updated: now_unix(),
        };
        let resume = match self.state.get(&j.key) {
            Some(e) if e.api == entry.api && e.sha1 == sha1 && e.size == j.size && e.wiki_name == j.name => Some(e.resume),
            Some(_) => {
                let _ = self.state.remove(&j.key);
                None
            }
            None => None,
        };
        bar.set_message(title.to_string());
        let obs = Arc::new(FileObserver {
            run: self.clone(),
            key: j.key.clone(),
            entry,
            title: title.to_string(),
            bar,
            size: j.size,
            last_pos: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            resumed_at: Mutex::new(None),
            started: Instant::now(),
            last_line: Mutex::new((Instant::now(), 0)),
        });
        let opts = UploadOptions {
            sha1: Some(sha1.clone()),
            ..self.opts.clone()
        };
        let r = c.upload(&source, &j.name, &opts, resume, obs.clone()).await;
        rep.bytes_sent = obs.sent.load(Ordering::Relaxed);
        rep.resumed_at = *obs.resumed_at.lock().unwrap_or_else(|e| e.into_inner());
        // Take back this file's share of the total: it is finished one way or another.
        let last = obs.last_pos.load(Ordering::Relaxed) as i64;
        let t = self.total_pos.fetch_add(j.size as i64 - last, Ordering::Relaxed) + j.size as i64 - last;
        self.total_bar.set_position(t.max(0) as u64);
        match r {
            Ok(UploadOutcome::Success(up)) => {
                let _ = self.state.remove(&j.key);
                if up.filename != j.name {
                    rep.name = up.filename.clone();
                }
                let notes: Vec<String> = up.warnings.iter().map(UploadWarning::describe).collect();
                let msg = if notes.is_empty() {
                    String::new()
                } else {
                    format!("warnings ignored: {}", notes.join("; "))
                };
                Ok(("uploaded", msg))
            }
            Ok(UploadOutcome::Warnings { warnings, filekey }) => {
                let words: Vec<String> = warnings.iter().map(UploadWarning::describe).collect();
                if warnings.iter().any(|w| matches!(w, UploadWarning::NoChange { .. })) {
                    let _ = self.state.remove(&j.key);
                    return Ok(("skipped", format!("{title} already has exactly this content")));
                }
                if self.args.skip_existing && warnings.iter().any(UploadWarning::is_existing_name) {
                    let _ = self.state.remove(&j.key);
                    return Ok(("skipped", words.join("; ")));
                }
                if let Some(k) = filekey {
                    // The file waits in the stash: a re-run with --ignore-warnings publishes it
                    // without sending the bytes again.
                    let entry = Entry {
                        resume: Resume::Stashed { filekey: k },
                        updated: now_unix(),
                        ..obs.entry.clone()
                    };
                    let _ = self.state.put(&j.key, entry);
                }
                Err(format!(
                    "the wiki asks for confirmation: {}. Run again with --ignore-warnings to upload anyway{}",
                    words.join("; "),
                    if warnings.iter().any(UploadWarning::is_existing_name) {
                        ", or with --skip-existing to skip it"
                    } else {
                        ""
                    }
                ))
            }
            Err(e) => {
                if matches!(e, Error::Sha1Mismatch { .. }) {
                    let _ = self.state.remove(&j.key);
                }
                Err(explain(&e))
            }
        }
    }
}

/// An error in plain words, with the wiki's code for searching.
fn explain(e: &Error) -> String {
    match e {
        Error::Api(a) => {
            let hint = match a.code.as_str() {
                "mustbeloggedin" => " (log in with --user)",
                "permissiondenied" => " (the account or bot password lacks the upload right or grant)",
                "fileexists-forbidden" => " (the account may not overwrite this file)",
                "filetype-banned" | "verification-error" => " (the wiki does not accept this file type or content)",
                _ => "",
            };
            format!("{} [{}]{hint}", a.info, a.code)
        }
        other => other.to_string(),
    }
}
