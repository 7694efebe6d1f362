//! Who may upload what: protection, create protection, blocks and user rights, replaying
//! scripts/record_rights_transcripts.py's scenario and comparing every answer with what the
//! reference MediaWiki 1.39 recorded (tests/fixtures/refwiki-rights.json).

mod common;
use common::*;
use serde_json::{Value, json};

const USER: &str = "Rightsuser";
const USER_PASS: &str = "Rights-user-password-1234";

async fn clientlogin(srv: &Server, user: &str, pass: &str) -> Client {
    let mut c = srv.client();
    let t = c
        .get(&[("action", "query"), ("meta", "tokens"), ("type", "login"), ("format", "json")])
        .await;
    let lt = t["query"]["tokens"]["logintoken"].as_str().unwrap().to_string();
    let r = c
        .post(&[
            ("action", "clientlogin"),
            ("username", user),
            ("password", pass),
            ("loginreturnurl", "http://localhost/"),
            ("logintoken", &lt),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["clientlogin"]["status"], "PASS", "{r}");
    c.refresh_csrf().await;
    c
}

/// MediaWiki's English dates ("03:27, 6 December 2026") and the ids that differ between wikis.
fn normalize_more(v: &Value) -> Value {
    let date = regex_lite::Regex::new(r"\d\d:\d\d, \d{1,2} [A-Z][a-z]+ \d{4}").unwrap();
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let x = match (k.as_str(), x) {
                        ("blockid" | "blockedbyid" | "userID", Value::Number(_)) => json!("N"),
                        _ => normalize_more(x),
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalize_more).collect()),
        Value::String(s) => Value::String(date.replace_all(s, "DATE").to_string()),
        other => other.clone(),
    }
}

/// Drops a member whose content is this server's own (the full rights list).
fn without(v: &Value, key: &str) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != key)
                .map(|(k, x)| (k.clone(), without(x, key)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| without(x, key)).collect()),
        other => other.clone(),
    }
}

struct Replay {
    rec: Value,
}

impl Replay {
    fn check(&self, name: &str, ours: &Value) {
        self.check_without(name, ours, "");
    }

    fn check_without(&self, name: &str, ours: &Value, drop: &str) {
        let want = normalize_more(&normalize(&without(&self.rec[name]["response"], drop)));
        let got = normalize_more(&normalize(&without(ours, drop)));
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&want).unwrap(),
            "{name} differs from MediaWiki 1.39"
        );
    }
}

async fn post(c: &Client, params: &[(&str, &str)]) -> Value {
    let mut p = params.to_vec();
    p.push(("format", "json"));
    p.push(("token", &c.csrf));
    c.post(&p).await
}

async fn upload(c: &Client, name: &str, bytes: &[u8], extra: &[(&str, &str)]) -> Value {
    c.upload(name, bytes, extra).await
}

#[tokio::test]
async fn protection_blocks_and_rights_match_mediawiki() {
    let rec: Value = serde_json::from_str(include_str!("fixtures/refwiki-rights.json")).unwrap();
    let r = Replay { rec };
    // The reference wiki's name appears in permission errors.
    let srv = Server::start_with_config("sitename = \"RefWiki\"\n");
    srv.admin(&["user", "create", USER, "--password", USER_PASS]);
    let admin = clientlogin(&srv, "Admin", &srv.admin_pass).await;
    let user = clientlogin(&srv, USER, USER_PASS).await;
    let (prot, free, later) = ("Rights-protected.png", "Rights-free.png", "Rights-createprotected.png");
    let iw: &[(&str, &str)] = &[("ignorewarnings", "1")];

    r.check("upload-protected-v1", &upload(&admin, prot, &png(16, 16, 61), iw).await);
    r.check("upload-free-v1", &upload(&admin, free, &png(16, 16, 62), iw).await);
    // Protection of an existing file.
    let ours = post(
        &admin,
        &[
            ("action", "protect"),
            ("title", &format!("File:{prot}")),
            ("protections", "edit=sysop|move=sysop|upload=sysop"),
            ("expiry", "infinite|infinite|1 week"),
            ("reason", "vandal magnet"),
        ],
    )
    .await;
    r.check("protect-existing", &ours);
    let info = admin
        .get(&[
            ("action", "query"),
            ("titles", &format!("File:{prot}|File:{free}")),
            ("prop", "info"),
            ("inprop", "protection"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    r.check("info-protection", &info);
    r.check("user-upload-over-protected", &upload(&user, prot, &png(16, 16, 63), iw).await);
    r.check(
        "user-upload-over-protected-stash",
        &upload(&user, prot, &png(16, 16, 64), &[("stash", "1"), ("ignorewarnings", "1")]).await,
    );
    let chunk = &png(64, 64, 65)[..1500];
    let ours = user
        .post_file(
            &[
                ("action", "upload"),
                ("format", "json"),
                ("filename", prot),
                ("stash", "1"),
                ("filesize", "3000"),
                ("offset", "0"),
                ("ignorewarnings", "1"),
                ("token", &user.csrf),
            ],
            "chunk",
            chunk,
        )
        .await;
    r.check("user-chunk-over-protected", &ours);
    r.check(
        "user-edit-protected",
        &post(&user, &[("action", "edit"), ("title", &format!("File:{prot}")), ("text", "x")]).await,
    );
    r.check("user-upload-over-free", &upload(&user, free, &png(16, 16, 66), iw).await);
    r.check(
        "user-protect-denied",
        &post(
            &user,
            &[
                ("action", "protect"),
                ("title", &format!("File:{free}")),
                ("protections", "edit=sysop"),
            ],
        )
        .await,
    );
    r.check(
        "protect-invalid-level",
        &post(
            &admin,
            &[
                ("action", "protect"),
                ("title", &format!("File:{free}")),
                ("protections", "edit=godmode"),
            ],
        )
        .await,
    );
    r.check(
        "protect-invalid-type",
        &post(
            &admin,
            &[
                ("action", "protect"),
                ("title", &format!("File:{free}")),
                ("protections", "create=sysop"),
            ],
        )
        .await,
    );
    r.check(
        "protect-bad-expiry",
        &post(
            &admin,
            &[
                ("action", "protect"),
                ("title", &format!("File:{free}")),
                ("protections", "edit=sysop"),
                ("expiry", "whenever"),
            ],
        )
        .await,
    );
    // Create protection of a missing title.
    r.check(
        "protect-create",
        &post(
            &admin,
            &[
                ("action", "protect"),
                ("title", &format!("File:{later}")),
                ("protections", "create=sysop"),
                ("expiry", "infinite"),
                ("reason", "not yet"),
            ],
        )
        .await,
    );
    let pt = admin
        .get(&[
            ("action", "query"),
            ("list", "protectedtitles"),
            ("ptnamespace", "6"),
            ("ptprop", "timestamp|user|comment|expiry|level"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    r.check("protectedtitles", &pt);
    let info = admin
        .get(&[
            ("action", "query"),
            ("titles", &format!("File:{later}")),
            ("prop", "info"),
            ("inprop", "protection"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    r.check("info-protection-missing", &info);
    r.check(
        "user-edit-createprotected",
        &post(&user, &[("action", "edit"), ("title", &format!("File:{later}")), ("text", "x")]).await,
    );
    r.check("user-upload-createprotected", &upload(&user, later, &png(16, 16, 67), &[]).await);
    let log = admin
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letype", "protect"),
            ("leprop", "title|type|user|comment|details"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    r.check("logevents-protect", &log);
    r.check(
        "unprotect",
        &post(
            &admin,
            &[
                ("action", "protect"),
                ("title", &format!("File:{prot}")),
                ("protections", "edit=all|move=all|upload=all"),
            ],
        )
        .await,
    );
    r.check("user-upload-after-unprotect", &upload(&user, prot, &png(16, 16, 68), iw).await);

    // User rights.
    let rights_token = |c: &Client| {
        let c = c.clone_session();
        async move {
            let t = c
                .get(&[("action", "query"), ("meta", "tokens"), ("type", "userrights"), ("format", "json")])
                .await;
            t["query"]["tokens"]["userrightstoken"].as_str().unwrap().to_string()
        }
    };
    let tok = rights_token(&admin).await;
    let ours = admin
        .post(&[
            ("action", "userrights"),
            ("user", USER),
            ("add", "bot|sysop"),
            ("expiry", "infinite|1 month"),
            ("reason", "trusted"),
            ("token", &tok),
            ("format", "json"),
        ])
        .await;
    r.check("userrights-add", &ours);
    let ui = user
        .get(&[
            ("action", "query"),
            ("meta", "userinfo"),
            ("uiprop", "groups|groupmemberships|rights|ratelimits"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    r.check_without("userinfo-after-add", &ui, "rights");
    assert!(
        ui["query"]["userinfo"]["rights"].as_array().unwrap().iter().any(|x| x == "protect"),
        "sysop's rights came with the group: {ui}"
    );
    let ours = admin
        .post(&[
            ("action", "userrights"),
            ("user", USER),
            ("remove", "sysop|bot"),
            ("reason", "done"),
            ("token", &tok),
            ("format", "json"),
        ])
        .await;
    r.check("userrights-remove", &ours);
    let ours = admin
        .post(&[
            ("action", "userrights"),
            ("user", USER),
            ("add", "nosuchgroup"),
            ("token", &tok),
            ("format", "json"),
        ])
        .await;
    r.check("userrights-bad-group", &ours);
    let utok = rights_token(&user).await;
    let ours = user
        .post(&[
            ("action", "userrights"),
            ("user", USER),
            ("add", "sysop"),
            ("token", &utok),
            ("format", "json"),
        ])
        .await;
    r.check("userrights-denied", &ours);
    let log = admin
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letype", "rights"),
            ("leprop", "title|type|user|comment|details"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    r.check("logevents-rights", &log);

    // Blocks: partial, then sitewide.
    r.check(
        "block-partial",
        &post(
            &admin,
            &[
                ("action", "block"),
                ("user", USER),
                ("expiry", "1 day"),
                ("reason", "not that file"),
                ("partial", "1"),
                ("allowusertalk", "1"),
                ("pagerestrictions", &format!("File:{free}")),
            ],
        )
        .await,
    );
    r.check("partial-upload-restricted", &upload(&user, free, &png(16, 16, 69), iw).await);
    // (MediaWiki 1.39 renders this one's `html` with a red link, as if the file it just stored
    // were missing: a quirk of its parser cache, not a rule.)
    r.check_without(
        "partial-upload-other",
        &upload(&user, "Rights-other.png", &png(16, 16, 70), iw).await,
        "html",
    );
    r.check(
        "block-sitewide",
        &post(
            &admin,
            &[
                ("action", "block"),
                ("user", USER),
                ("expiry", "1 day"),
                ("reason", "vandalism"),
                ("reblock", "1"),
                ("nocreate", "1"),
            ],
        )
        .await,
    );
    let blocks = admin
        .get(&[
            ("action", "query"),
            ("list", "blocks"),
            ("bkusers", USER),
            ("bkprop", "id|user|by|timestamp|expiry|reason|flags|restrictions"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    r.check("blocks", &blocks);
    let ui = user
        .get(&[
            ("action", "query"),
            ("meta", "userinfo"),
            ("uiprop", "blockinfo|rights"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    r.check_without("blocked-userinfo", &ui, "rights");
    r.check(
        "blocked-upload",
        &upload(&user, "Rights-blocked.png", &png(16, 16, 71), &[("formatversion", "2")]).await,
    );
    r.check(
        "blocked-upload-fv1",
        &upload(&user, "Rights-blocked.png", &png(16, 16, 71), &[]).await,
    );
    let chunk = &png(64, 64, 72)[..1500];
    let ours = user
        .post_file(
            &[
                ("action", "upload"),
                ("format", "json"),
                ("filename", "Rights-blocked2.png"),
                ("stash", "1"),
                ("filesize", "3000"),
                ("offset", "0"),
                ("token", &user.csrf),
            ],
            "chunk",
            chunk,
        )
        .await;
    r.check("blocked-chunk", &ours);
    r.check(
        "blocked-edit",
        &post(&user, &[("action", "edit"), ("title", &format!("File:{free}")), ("text", "y")]).await,
    );
    r.check(
        "blocked-delete",
        &post(&user, &[("action", "delete"), ("title", &format!("File:{free}"))]).await,
    );
    r.check(
        "block-already",
        &post(&admin, &[("action", "block"), ("user", USER), ("expiry", "1 day")]).await,
    );
    r.check(
        "block-nosuchuser",
        &post(&admin, &[("action", "block"), ("user", "Rights-ghost"), ("expiry", "1 day")]).await,
    );
    r.check(
        "block-ip-range",
        &post(
            &admin,
            &[
                ("action", "block"),
                ("user", "192.0.2.0/24"),
                ("expiry", "2 hours"),
                ("anononly", "1"),
                ("reason", "range"),
            ],
        )
        .await,
    );
    let log = admin
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letype", "block"),
            ("leprop", "title|type|user|comment|details"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    r.check("logevents-block", &log);
    r.check(
        "unblock",
        &post(&admin, &[("action", "unblock"), ("user", USER), ("reason", "served")]).await,
    );
    r.check("unblock-not-blocked", &post(&admin, &[("action", "unblock"), ("user", USER)]).await);
    r.check(
        "unblock-range",
        &post(&admin, &[("action", "unblock"), ("user", "192.0.2.0/24")]).await,
    );
    r.check(
        "upload-after-unblock",
        &upload(&user, "Rights-after.png", &png(16, 16, 73), iw).await,
    );
}
