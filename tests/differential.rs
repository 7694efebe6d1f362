//! The differential test of issue 14, replayed: `tests/fixtures/differential.json` holds the
//! scenarios of `scripts/differential.py` (file names, contents, upload parameters, chunked and
//! stash errors, reads, output and error formats, uselang) in the order they were sent, with the
//! reference MediaWiki 1.39's answers. Each is sent to one fresh mwupload in the same order and
//! compared after normalization (tests/common `normalize` plus [`normalize_extra`]; the script
//! has the Python twin of both).
//!
//! Scenarios that still differ are in [`ALLOWED`], each with its reason (docs/differential.md);
//! the test fails on a new difference and on an allowed scenario that now matches, so the list
//! only shrinks. `MWUPLOAD_DIFF_SHOW=a,b` (or `all`: every difference) prints both answers of
//! the named scenarios (run with `-- --nocapture`).

mod common;
use base64::Engine;
use common::*;
use serde_json::Value;
use std::collections::HashMap;

/// Scenarios whose answers still differ from MediaWiki's, and why (docs/differential.md).
const ALLOWED: &[(&str, &str)] = &[
    // Design decisions.
    ("uselang-de-error", "messages are English only: uselang is accepted, not translated"),
    ("uselang-fr-error", "messages are English only: uselang is accepted, not translated"),
    (
        "uselang-de-warning",
        "messages are English only: uselang is accepted, not translated",
    ),
    (
        "param-url-unreachable",
        "upload by URL refuses loopback and private addresses before connecting (copyuploadbadurl)",
    ),
    (
        "warn-same-again-ignore",
        "fileexists-no-change keeps the bytes in the stash and answers their filekey",
    ),
    (
        "stash-mystashedfiles",
        "follows from warn-same-again-ignore: our stash holds that upload",
    ),
    (
        "chunk-repeat-second",
        "a chunk re-sent at an offset already stored is accepted again (resumable clients)",
    ),
    (
        "info-file",
        "bot-password grants: our first-start Admin@bot may edit its watchlist, so the upload watched the page",
    ),
    (
        "watchlistraw",
        "bot-password grants: our first-start Admin@bot may view its watchlist",
    ),
];

/// The differential's additions to `normalize`: fv1's page-id keys become their position (ids
/// differ between wikis), a bare 14-digit timestamp becomes TS14.
fn normalize_extra(v: &Value) -> Value {
    static TS14: std::sync::LazyLock<regex_lite::Regex> = std::sync::LazyLock::new(|| regex_lite::Regex::new(r"^\d{14}$").unwrap());
    static ID: std::sync::LazyLock<regex_lite::Regex> = std::sync::LazyLock::new(|| regex_lite::Regex::new(r"^[1-9]\d*$").unwrap());
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .enumerate()
                .map(|(i, (k, x))| (if ID.is_match(k) { format!("#{i}") } else { k.clone() }, normalize_extra(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalize_extra).collect()),
        Value::String(s) if TS14.is_match(s) => Value::String("TS14".into()),
        other => other.clone(),
    }
}

/// A non-JSON body (xml, php): the string rules of `normalize`, then ids, tokens and PHP's
/// string lengths (hosts differ in length).
fn normalize_body(s: &str) -> String {
    let s = normalize(&Value::String(s.to_string()));
    let mut s = s.as_str().unwrap().to_string();
    for (re, to) in [
        (r"[0-9a-f]{32,}\+\\\\?", "TOKEN"),
        (
            r#"\b(size|offset|userid|id|pageid|logid|revid|parentid|lastrevid|_idx)="[1-9]\d*""#,
            r#"$1="N""#,
        ),
        (
            r#"(s:\d+:"(?:size|offset|userid|id|pageid|logid|revid|parentid|lastrevid)";i:)\d+;"#,
            "${1}N;",
        ),
        (r"\bi:[1-9]\d*;(a:)", "i:N;$1"),
        (r#"s:\d+:""#, r#"s:N:""#),
    ] {
        s = regex_lite::Regex::new(re).unwrap().replace_all(&s, to).into_owned();
    }
    s
}

/// Status, error header and the normalized answer, in one string (member order counts).
fn comparable(status: u64, header: Option<&str>, response: Option<&Value>, body: Option<&str>) -> String {
    let body = match response {
        Some(v) => serde_json::to_string(&normalize_extra(&normalize(v))).unwrap(),
        None => normalize_body(body.unwrap_or("")),
    };
    format!("{status} {} {body}", header.unwrap_or("None"))
}

struct Sender {
    anon: Client,
    bot: Client,
    vars: HashMap<String, String>,
}

impl Sender {
    fn subst(&self, csrf: &str, v: &str) -> String {
        static VAR: std::sync::LazyLock<regex_lite::Regex> = std::sync::LazyLock::new(|| regex_lite::Regex::new(r"\{var:(\w+)\}").unwrap());
        let v = v.replace("{csrf}", csrf);
        VAR.replace_all(&v, |c: &regex_lite::Captures| {
            self.vars.get(&c[1]).cloned().unwrap_or_else(|| format!("MISSING-{}", &c[1]))
        })
        .into_owned()
    }

    /// Sends one scenario; returns (status, error header, JSON answer or text body).
    async fn send(&mut self, sc: &Value) -> (u64, Option<String>, Result<Value, String>) {
        if let Some(secs) = sc["pause"].as_f64() {
            tokio::time::sleep(std::time::Duration::from_secs_f64(secs)).await;
        }
        let c = if sc["who"] == "bot" { &self.bot } else { &self.anon };
        let mut params: Vec<(String, String)> = sc["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), self.subst(&c.csrf, v.as_str().unwrap())))
            .collect();
        if !params.iter().any(|(k, _)| k == "format") {
            params.splice(
                0..0,
                [("format".to_string(), "json".to_string()), ("formatversion".into(), "2".into())],
            );
        }
        let json = params.iter().any(|(k, v)| k == "format" && v == "json");
        let req = match sc["method"].as_str().unwrap() {
            "GET" => c.http.get(&c.api).query(&params),
            "POST" => c.http.post(&c.api).form(&params),
            _ => {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in params {
                    form = form.text(k, v);
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(sc["file"].as_str().unwrap())
                    .unwrap();
                let part = reqwest::multipart::Part::bytes(bytes)
                    .file_name("blob")
                    .mime_str("multipart/form-data")
                    .unwrap();
                c.http
                    .post(&c.api)
                    .multipart(form.part(sc["part"].as_str().unwrap().to_string(), part))
            }
        };
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16() as u64;
        let header = resp.headers().get("mediawiki-api-error").map(|v| v.to_str().unwrap().to_string());
        let text = resp.text().await.unwrap();
        let body = match serde_json::from_str::<Value>(&text) {
            Ok(v) if json => Ok(v),
            _ => Err(text),
        };
        if let (Some(save), Ok(v)) = (sc["save"].as_object(), &body) {
            for (var, pointer) in save {
                if let Some(s) = v.pointer(pointer.as_str().unwrap()).and_then(Value::as_str) {
                    self.vars.insert(var.clone(), s.to_string());
                }
            }
        }
        (status, header, body)
    }
}

#[tokio::test]
async fn differential_scenarios_match_the_reference_or_are_allowed() {
    let fixture: Value = serde_json::from_str(include_str!("fixtures/differential.json")).unwrap();
    let scenarios = fixture["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 250, "fixture lost its scenarios");
    let srv = Server::start_with_config(fixture["config"].as_str().unwrap());
    let mut anon = srv.client();
    anon.refresh_csrf().await;
    let mut s = Sender {
        anon,
        bot: srv.bot().await,
        vars: HashMap::new(),
    };
    let allowed: HashMap<&str, &str> = ALLOWED.iter().copied().collect();
    // MWUPLOAD_DIFF_SHOW=name,name (or `all`): print both answers of these scenarios, allowed or not.
    let show = std::env::var("MWUPLOAD_DIFF_SHOW").unwrap_or_default();
    let show: Vec<&str> = show.split(',').filter(|s| !s.is_empty()).collect();
    let (mut same, mut new_diffs, mut now_same) = (0, Vec::new(), Vec::new());
    for sc in scenarios {
        let name = sc["name"].as_str().unwrap();
        let want = comparable(
            sc["status"].as_u64().unwrap(),
            sc["error_header"].as_str(),
            sc.get("response"),
            sc["body"].as_str(),
        );
        let (status, header, body) = s.send(sc).await;
        let got = match &body {
            Ok(v) => comparable(status, header.as_deref(), Some(v), None),
            Err(t) => comparable(status, header.as_deref(), None, Some(t)),
        };
        if show.contains(&name) || (show.contains(&"all") && got != want) {
            println!(
                "{name} ({}):\n   ours: {got}\n   want: {want}",
                if got == want { "same" } else { "differs" }
            );
        }
        match (got == want, allowed.contains_key(name)) {
            (true, false) => same += 1,
            (true, true) => now_same.push(name),
            (false, true) => {}
            (false, false) => new_diffs.push(format!("{name}:\n   ours: {got}\n   want: {want}")),
        }
    }
    for name in allowed.keys() {
        assert!(
            scenarios.iter().any(|s| s["name"] == *name),
            "allow-listed scenario {name} is not in the fixture"
        );
    }
    let total = scenarios.len();
    let matching = same + now_same.len();
    println!(
        "differential: {matching} of {total} scenarios identical to MediaWiki 1.39 ({:.1}%), {} allow-listed",
        100.0 * matching as f64 / total as f64,
        allowed.len()
    );
    assert!(
        new_diffs.is_empty(),
        "{} scenarios differ from the recording and are not allow-listed:\n{}\n(names: {})",
        new_diffs.len(),
        new_diffs.join("\n"),
        new_diffs
            .iter()
            .map(|d| d.split(':').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert!(
        now_same.is_empty(),
        "allow-listed scenarios now match MediaWiki; remove them from ALLOWED: {now_same:?}"
    );
}
