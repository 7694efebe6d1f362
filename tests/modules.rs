//! Modules upload tools call around uploads, with state the reference recordings cannot show:
//! list=mystashedfiles over real stash entries and chunk sessions, list=users for a blocked user
//! and after a group change, action=checktoken for a logged-in session, action=purge dropping
//! thumbnails, its rate limits and blocks, and the newusers log of CLI-made accounts.

mod common;
use common::*;
use serde_json::Value;

#[tokio::test]
async fn mystashedfiles_lists_the_callers_stash_with_continuation() {
    let srv = Server::start();
    let bot = srv.bot().await;
    // Two stashed files and a chunked session halfway through.
    let mut keys = Vec::new();
    for (i, name) in ["Msf-a.png", "Msf-b.png"].iter().enumerate() {
        let r = bot.upload(name, &png(3 + i as u32, 2, i as u64), &[("stash", "1")]).await;
        keys.push(r["upload"]["filekey"].as_str().unwrap_or_else(|| panic!("{r}")).to_string());
    }
    let total = random_bytes(3000, 7);
    let total_len = total.len().to_string();
    let first = bot
        .post_file(
            &[
                ("action", "upload"),
                ("format", "json"),
                ("filename", "Msf-c.txt"),
                ("stash", "1"),
                ("filesize", &total_len),
                ("offset", "0"),
                ("token", &bot.csrf),
            ],
            "chunk",
            &total[..1024],
        )
        .await;
    assert_eq!(first["upload"]["result"], "Continue", "{first}");
    keys.push(first["upload"]["filekey"].as_str().unwrap().to_string());

    let list = |extra: Vec<(&'static str, String)>| {
        let bot = &bot;
        async move {
            let mut p: Vec<(&str, String)> = vec![
                ("action", "query".into()),
                ("list", "mystashedfiles".into()),
                ("format", "json".into()),
                ("formatversion", "2".into()),
            ];
            p.extend(extra);
            let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            bot.get(&p).await
        }
    };
    let all = list(vec![("msfprop", "size|type".into())]).await;
    let files = all["query"]["mystashedfiles"].as_array().unwrap_or_else(|| panic!("{all}"));
    let got: Vec<&str> = files.iter().map(|f| f["filekey"].as_str().unwrap()).collect();
    assert_eq!(got, keys.iter().map(String::as_str).collect::<Vec<_>>(), "{all}");
    assert_eq!(files[0]["status"], "finished");
    assert_eq!(files[0]["mimetype"], "image/png");
    assert_eq!(files[0]["mediatype"], "BITMAP");
    assert_eq!(files[0]["width"], 3);
    assert_eq!(files[1]["width"], 4);
    // The chunk session shows its offset as its size, as MediaWiki's us_size.
    assert_eq!(files[2]["status"], "chunks");
    assert_eq!(files[2]["size"], 1024);

    // One at a time, resumed by msfcontinue, the same three in the same order.
    let mut seen = Vec::new();
    let mut cont: Option<String> = None;
    for _ in 0..5 {
        let mut extra = vec![("msflimit", "1".to_string())];
        if let Some(c) = &cont {
            extra.push(("msfcontinue", c.clone()));
            extra.push(("continue", "-||".into()));
        }
        let page = list(extra).await;
        for f in page["query"]["mystashedfiles"].as_array().unwrap() {
            seen.push(f["filekey"].as_str().unwrap().to_string());
            assert!(f.get("size").is_none(), "no size without msfprop=size: {f}");
        }
        match page["continue"]["msfcontinue"].as_str() {
            Some(c) => cont = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, keys);

    // Another user sees nothing of it; publishing removes the entry.
    srv.admin(&["user", "create", "Other", "--password", "other-password-123"]);
    let mut other = srv.client();
    other.login("Other", "other-password-123").await;
    let theirs = other
        .get(&[
            ("action", "query"),
            ("list", "mystashedfiles"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(theirs["query"]["mystashedfiles"], Value::Array(vec![]), "{theirs}");
    let published = bot
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("filename", "Msf-a.png"),
            ("filekey", &keys[0]),
            ("token", &bot.csrf),
        ])
        .await;
    assert_eq!(published["upload"]["result"], "Success", "{published}");
    let after = list(vec![]).await;
    let left: Vec<&str> = after["query"]["mystashedfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filekey"].as_str().unwrap())
        .collect();
    assert_eq!(left, [keys[1].as_str(), keys[2].as_str()]);
}

#[tokio::test]
async fn users_shows_blocks_groups_and_rights_of_others() {
    let srv = Server::start();
    srv.admin(&["user", "create", "Vandal", "--password", "vandal-password-123"]);
    let mut bot = srv.client();
    bot.login("Admin", &srv.admin_pass).await;
    let r = bot
        .post(&[
            ("action", "block"),
            ("user", "vandal"),
            ("reason", "testing"),
            ("expiry", "infinite"),
            ("format", "json"),
            ("token", &bot.csrf),
        ])
        .await;
    assert!(r["block"]["id"].is_number(), "{r}");
    let u = bot
        .get(&[
            ("action", "query"),
            ("list", "users"),
            ("ususers", "Vandal|Admin|vandal"),
            ("usprop", "blockinfo|groups|rights"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let users = u["query"]["users"].as_array().unwrap();
    assert_eq!(users.len(), 3, "{u}");
    assert_eq!(users[0]["name"], "Vandal");
    assert_eq!(users[0]["blockreason"], "testing", "{u}");
    assert_eq!(users[0]["blockexpiry"], "infinite");
    assert_eq!(users[0]["blockedby"], "Admin");
    assert_eq!(users[0]["groups"], serde_json::json!(["*", "user", "autoconfirmed"]));
    assert!(users[0]["rights"].as_array().unwrap().iter().any(|r| r == "upload"), "{u}");
    assert!(users[1].get("blockid").is_none(), "Admin is not blocked: {u}");
    assert_eq!(users[1]["groups"][0], "bureaucrat");
    assert!(users[1]["rights"].as_array().unwrap().iter().any(|r| r == "delete"));
    assert_eq!(users[2]["name"], "Vandal", "canonicalized like the first");

    // Edit counts follow saved revisions (uploads create description pages).
    let count = |c: &Client| {
        let c = c.clone_session();
        async move {
            let u = c
                .get(&[
                    ("action", "query"),
                    ("list", "users"),
                    ("ususers", "Admin"),
                    ("usprop", "editcount"),
                    ("format", "json"),
                ])
                .await;
            u["query"]["users"][0]["editcount"].as_i64().unwrap()
        }
    };
    let before = count(&bot).await;
    let r = bot
        .post(&[
            ("action", "edit"),
            ("title", "Counted"),
            ("text", "x"),
            ("format", "json"),
            ("token", &bot.csrf),
        ])
        .await;
    assert_eq!(r["edit"]["result"], "Success", "{r}");
    let r = bot.upload("Counted.png", &png(2, 2, 99), &[]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(count(&bot).await, before + 2);
}

#[tokio::test]
async fn checktoken_knows_this_sessions_tokens() {
    let srv = Server::start();
    let bot = srv.bot().await;
    let check = |kind: &'static str, token: String, maxage: Option<&'static str>| {
        let bot = &bot;
        async move {
            let mut p = vec![
                ("action", "checktoken"),
                ("type", kind),
                ("token", token.as_str()),
                ("format", "json"),
            ];
            if let Some(m) = maxage {
                p.push(("maxtokenage", m));
            }
            bot.post(&p).await["checktoken"].clone()
        }
    };
    let valid = check("csrf", bot.csrf.clone(), None).await;
    assert_eq!(valid["result"], "valid", "{valid}");
    assert!(valid["generated"].as_str().unwrap().ends_with('Z'));
    assert_eq!(check("csrf", bot.csrf.clone(), Some("3600")).await["result"], "valid");
    assert_eq!(check("csrf", bot.csrf.clone(), Some("-10")).await["result"], "expired");
    assert_eq!(check("watch", bot.csrf.clone(), None).await["result"], "invalid");
    // Another session's token is not this session's.
    let other = srv.bot().await;
    assert_eq!(check("csrf", other.csrf.clone(), None).await["result"], "invalid");
    assert_eq!(check("csrf", "+\\".into(), None).await["result"], "invalid");
}

#[tokio::test]
async fn the_cli_makes_user_names_as_mediawiki_does() {
    let srv = Server::start();
    let out = srv.admin(&["user", "create", "new_user", "--password", "new-user-password-1"]);
    assert!(out.contains("created user New user"), "{out}");
    for bad in ["Bad<name", "10.1.2.3", "A@b", "Talk:X", "A/b"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mwupload"))
            .arg("--data")
            .arg(srv.data.path())
            .args(["user", "create", bad, "--password", "xxxxxxxxxxxx"])
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("invalid user name"), "{bad}: {err}");
    }
    let bot = srv.bot().await;
    let u = bot
        .get(&[
            ("action", "query"),
            ("list", "users"),
            ("ususers", "New_user"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert!(u["query"]["users"][0]["userid"].is_number(), "{u}");
    // The operator's account is in the newusers log as createAndPromote.php's are
    // (newusers/autocreate by the account itself); the first-start Admin, made as MediaWiki's
    // installer makes its account, is not.
    let log = bot
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letype", "newusers"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let events = log["query"]["logevents"].as_array().unwrap_or_else(|| panic!("{log}"));
    assert_eq!(events.len(), 1, "{log}");
    assert_eq!(events[0]["title"], "User:New user");
    assert_eq!(events[0]["action"], "autocreate");
    assert_eq!(events[0]["user"], "New user");
    assert_eq!(events[0]["params"]["userid"], u["query"]["users"][0]["userid"], "{log}");
}

#[tokio::test]
async fn file_uses_follow_edits_uploads_deletes_and_undeletes() {
    let srv = Server::start();
    let mut admin = srv.client();
    admin.login("Admin", &srv.admin_pass).await;
    let usage = |file: &'static str| {
        let c = admin.clone_session();
        async move {
            let r = c
                .get(&[
                    ("action", "query"),
                    ("list", "imageusage"),
                    ("iutitle", file),
                    ("format", "json"),
                    ("formatversion", "2"),
                ])
                .await;
            r["query"]["imageusage"]
                .as_array()
                .unwrap_or_else(|| panic!("{r}"))
                .iter()
                .map(|p| p["title"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let edit = |title: &'static str, text: &'static str| {
        let c = admin.clone_session();
        async move {
            let r = c
                .post(&[
                    ("action", "edit"),
                    ("title", title),
                    ("text", text),
                    ("format", "json"),
                    ("token", &c.csrf),
                ])
                .await;
            assert_eq!(r["edit"]["result"], "Success", "{r}");
        }
    };
    edit("Gallery", "[[File:Used.png|thumb]] <gallery>\nAlso.png\n</gallery>").await;
    assert_eq!(usage("File:Used.png").await, ["Gallery"]);
    assert_eq!(usage("File:Also.png").await, ["Gallery"]);
    // An upload's description page uses what its text links to.
    let r = admin
        .upload("Used.png", &png(4, 4, 1), &[("text", "See also [[File:Also.png]]")])
        .await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(usage("File:Also.png").await, ["Gallery", "File:Used.png"]);
    // Editing the link away removes the use.
    edit("Gallery", "no files any more").await;
    assert!(usage("File:Used.png").await.is_empty());
    // Deleting the file page takes its uses along; undeleting brings them back.
    let del = admin
        .post(&[
            ("action", "delete"),
            ("title", "File:Used.png"),
            ("format", "json"),
            ("token", &admin.csrf),
        ])
        .await;
    assert!(del.get("delete").is_some(), "{del}");
    assert!(usage("File:Also.png").await.is_empty());
    let und = admin
        .post(&[
            ("action", "undelete"),
            ("title", "File:Used.png"),
            ("format", "json"),
            ("token", &admin.csrf),
        ])
        .await;
    assert!(und.get("undelete").is_some(), "{und}");
    assert_eq!(usage("File:Also.png").await, ["File:Used.png"]);
    // prop=images and prop=fileusage read the same table.
    let r = admin
        .get(&[
            ("action", "query"),
            ("prop", "images|fileusage"),
            ("titles", "File:Used.png|File:Also.png"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let pages = r["query"]["pages"].as_array().unwrap();
    let used = pages.iter().find(|p| p["title"] == "File:Used.png").unwrap();
    assert_eq!(used["images"][0]["title"], "File:Also.png", "{r}");
    let also = pages.iter().find(|p| p["title"] == "File:Also.png").unwrap();
    assert_eq!(also["fileusage"][0]["title"], "File:Used.png", "{r}");
}

#[tokio::test]
async fn cli_group_changes_are_in_the_rights_log() {
    let srv = Server::start();
    srv.admin(&["user", "create", "Promoted", "--password", "promoted-password-1"]);
    srv.admin(&["user", "set-groups", "Promoted", "sysop,bot"]);
    srv.admin(&["user", "set-groups", "Promoted", "bot"]);
    let c = srv.client();
    let r = c
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letype", "rights"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let events = r["query"]["logevents"].as_array().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(events.len(), 2, "{r}");
    for e in events {
        assert_eq!(e["title"], "User:Promoted", "{r}");
        assert_eq!(e["user"], "Maintenance script", "{r}");
        assert_eq!(e["action"], "rights");
    }
    // Newest first: the second change removed sysop.
    assert_eq!(events[0]["params"]["oldgroups"], serde_json::json!(["bot", "sysop"]), "{r}");
    assert_eq!(events[0]["params"]["newgroups"], serde_json::json!(["bot"]), "{r}");
    let u = c
        .get(&[
            ("action", "query"),
            ("list", "users"),
            ("ususers", "Promoted"),
            ("usprop", "groups"),
            ("format", "json"),
        ])
        .await;
    assert_eq!(u["query"]["users"][0]["groups"][0], "bot", "{u}");
}

/// The thumbnail URLs (current version, then the old one) of `File:<name>` at 120px.
async fn thumb_urls(c: &Client, name: &str) -> Vec<String> {
    let title = format!("File:{name}");
    let r = c
        .get(&[
            ("action", "query"),
            ("titles", &title),
            ("prop", "imageinfo"),
            ("iiprop", "url"),
            ("iilimit", "5"),
            ("iiurlwidth", "120"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    r["query"]["pages"][0]["imageinfo"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .map(|i| i["thumburl"].as_str().unwrap().to_string())
        .collect()
}

/// How the server produced a thumbnail: `rendered` now or `stored` earlier.
async fn thumb_source(c: &Client, url: &str) -> String {
    let resp = c.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    resp.headers()["x-mwupload-thumb"].to_str().unwrap().to_string()
}

/// action=purge on a file description page drops the stored thumbnails of every version of that
/// file (WikiFilePage::doPurge), so the next request renders them again; other files keep theirs.
#[tokio::test]
async fn purge_drops_a_files_thumbnails_so_they_render_again() {
    let srv = Server::start();
    let bot = srv.bot().await;
    for (name, seed) in [("Purged.png", 1), ("Purged.png", 2), ("Kept.png", 3)] {
        let r = bot.upload(name, &png(400, 300, seed), &[("ignorewarnings", "1")]).await;
        assert_eq!(r["upload"]["result"], "Success", "{r}");
    }
    let purged = thumb_urls(&bot, "Purged.png").await;
    assert_eq!(purged.len(), 2, "current and old version: {purged:?}");
    let kept = thumb_urls(&bot, "Kept.png").await;
    for url in purged.iter().chain(&kept) {
        assert_eq!(thumb_source(&bot, url).await, "rendered");
        assert_eq!(thumb_source(&bot, url).await, "stored");
    }
    // Anonymous callers may purge (MediaWiki 1.39 asks no right and no token, only POST).
    let anon = srv.client();
    let r = anon
        .post(&[
            ("action", "purge"),
            ("titles", "File:Purged.png|Not there"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(
        r["purge"],
        serde_json::json!([
            {"ns": 0, "title": "Not there", "missing": true},
            {"ns": 6, "title": "File:Purged.png", "purged": true}
        ]),
        "{r}"
    );
    for url in &purged {
        assert_eq!(thumb_source(&bot, url).await, "rendered", "{url} rendered again after the purge");
    }
    assert_eq!(thumb_source(&bot, &kept[0]).await, "stored", "another file keeps its thumbnail");
    // Missing pages that are known (an interface message) come after the unknown ones, as the
    // reference wiki answers for MediaWiki:Edit.
    let r = anon
        .post(&[
            ("action", "purge"),
            ("titles", "MediaWiki:January|MediaWiki:Nonexistentmsg"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(
        r["purge"],
        serde_json::json!([
            {"ns": 8, "title": "MediaWiki:Nonexistentmsg", "missing": true},
            {"ns": 8, "title": "MediaWiki:January", "missing": true, "known": true}
        ]),
        "{r}"
    );
    // By revision id: the revision's page is purged.
    let page = bot
        .get(&[
            ("action", "query"),
            ("titles", "File:Kept.png"),
            ("prop", "info"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let rev = page["query"]["pages"][0]["lastrevid"].as_i64().unwrap_or_else(|| panic!("{page}"));
    let r = anon
        .post(&[
            ("action", "purge"),
            ("revids", &rev.to_string()),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(
        r["purge"],
        serde_json::json!([{"ns": 6, "title": "File:Kept.png", "purged": true}]),
        "{r}"
    );
    assert_eq!(thumb_source(&bot, &kept[0]).await, "rendered");
}

/// Purges count against `[rate_limits.purge]` (MediaWiki's pingLimiter): past the limit a page
/// is listed without `purged` and a `ratelimited` warning is given; a sitewide-blocked user is
/// refused before anything.
#[tokio::test]
async fn purge_is_rate_limited_and_refused_to_blocked_users() {
    let srv = Server::start_with_config("[rate_limits.purge]\nuser = [1, 60]\n[rate_limits.linkpurge]\nuser = [1, 60]\n");
    srv.admin(&["user", "create", "Purger", "--password", "purger-password-1"]);
    let bot = srv.bot().await;
    for title in ["Purge a", "Purge b"] {
        let r = bot
            .post(&[
                ("action", "edit"),
                ("title", title),
                ("text", "x"),
                ("format", "json"),
                ("token", &bot.csrf),
            ])
            .await;
        assert_eq!(r["edit"]["result"], "Success", "{r}");
    }
    let mut user = srv.client();
    user.login("Purger", "purger-password-1").await;
    let r = user
        .post(&[
            ("action", "purge"),
            ("titles", "Purge a|Purge b"),
            ("forcelinkupdate", "1"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(
        r["purge"],
        serde_json::json!([
            {"ns": 0, "title": "Purge a", "purged": true, "linkupdate": true},
            {"ns": 0, "title": "Purge b"}
        ]),
        "{r}"
    );
    assert_eq!(
        r["warnings"]["purge"]["warnings"], "You've exceeded your rate limit. Please wait some time and try again.",
        "{r}"
    );
    // The bot has noratelimit.
    let r = bot
        .post(&[
            ("action", "purge"),
            ("titles", "Purge a|Purge b"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(r["purge"][1]["purged"], true, "{r}");

    let mut admin = srv.client();
    admin.login("Admin", &srv.admin_pass).await;
    let b = admin
        .post(&[
            ("action", "block"),
            ("user", "Purger"),
            ("expiry", "infinite"),
            ("format", "json"),
            ("token", &admin.csrf),
        ])
        .await;
    assert!(b["block"]["id"].is_number(), "{b}");
    let r = user
        .post(&[
            ("action", "purge"),
            ("titles", "Purge a"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(r["error"]["code"], "blocked", "{r}");
}
