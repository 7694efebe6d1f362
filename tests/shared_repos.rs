//! Shared file repositories (`[[foreign_repos]]`, MediaWiki's `ForeignAPIRepo`): one
//! `mwupload serve` is the other's shared repository. A file only the shared repository has is
//! shown with `imagerepository: "shared"` and the remote's URLs; `meta=filerepoinfo` lists both
//! repositories; uploading a local file of that name needs `reupload-shared`
//! (`fileexists-shared-forbidden` otherwise, a recoverable error); a shared repository that is
//! down changes nothing for local uploads. Also against the reference MediaWiki as the shared
//! repository, when it runs.

mod common;

use common::*;
use serde_json::{Value, json};

fn foreign_toml(api: &str, extra: &str) -> String {
    format!("[[foreign_repos]]\nname = \"shared\"\napi = \"{api}\"\n{extra}")
}

/// Bob, whose bot password has the `uploadfile` grant only: upload and reupload-own, but
/// neither reupload nor reupload-shared (MediaWiki's grants).
async fn bob(srv: &Server) -> Client {
    srv.admin(&["user", "create", "Bob", "--password", "bobpassword-123"]);
    srv.admin(&[
        "botpassword",
        "create",
        "Bob",
        "own",
        "--grants",
        "basic,editpage,createeditmovepage,uploadfile",
        "--password",
        "ownownownownownownownownownownow",
    ]);
    let mut bob = srv.client();
    bob.login("Bob@own", "ownownownownownownownownownownow").await;
    bob
}

/// `a/ab/Name`: MediaWiki's hashed path of a file name (md5 of the DB key).
fn hashed(name: &str) -> String {
    use md5::Digest;
    let h = hex::encode(md5::Md5::digest(name.as_bytes()));
    format!("{}/{}/{name}", &h[..1], &h[..2])
}

/// Our answer equals the reference wiki's after normalizing volatile values (hosts, ports,
/// timestamps, keys, page ids), members in the same order.
fn assert_same(what: &str, ours: &Value, recorded: &Value) {
    let (got, want) = (normalize(ours), normalize(recorded));
    assert_eq!(
        serde_json::to_string(&got).unwrap(),
        serde_json::to_string(&want).unwrap(),
        "{what}: ours (left) differs from the reference wiki's (right)"
    );
}

async fn query(c: &Client, params: &[(&str, &str)]) -> Value {
    let mut p = vec![("action", "query"), ("format", "json"), ("formatversion", "2")];
    p.extend_from_slice(params);
    c.get(&p).await
}

#[tokio::test]
async fn a_second_mwupload_as_shared_repository() {
    let shared = Server::start();
    let sc = shared.bot().await;
    let bytes = png(12, 9, 41);
    let r = sc.upload("Shared_logo.png", &bytes, &[("comment", "from the shared wiki")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let remote = sc.imageinfo("Shared_logo.png", "url|sha1", "1").await;
    let remote_ii = &remote["query"]["pages"][0]["imageinfo"][0];

    // The reference wiki's sitename, so that the local repository's displayname matches too.
    let local = Server::start_logged(&format!(
        "sitename = \"RefWiki\"\n{}",
        foreign_toml(&shared.api, "url_cache_secs = 60\n")
    ));
    let admin = local.bot().await;
    let anon = local.client();

    // What the reference wiki answered, using another reference wiki as its shared repository
    // (scripts/record_shared_repo_transcripts.py), asked of us the same way.
    let recorded: Value = serde_json::from_str(include_str!("fixtures/refwiki-shared-repo.json")).unwrap();
    for name in [
        "imageinfo_fv2",
        "imageinfo_fv1",
        "imageinfo_localonly",
        "filerepoinfo_fv2",
        "filerepoinfo_fv1",
        "duplicatefiles",
    ] {
        let params: Vec<(String, String)> = recorded[name]["request"]["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_same(name, &anon.get(&params).await, &recorded[name]["response"]);
    }

    // prop=imageinfo: the shared file, as MediaWiki shows a ForeignAPIFile.
    let r = query(
        &anon,
        &[
            ("prop", "imageinfo"),
            ("titles", "File:Shared logo.png"),
            (
                "iiprop",
                "timestamp|user|userid|comment|canonicaltitle|url|size|sha1|mime|mediatype|bitdepth",
            ),
        ],
    )
    .await;
    let page = &r["query"]["pages"][0];
    assert_eq!(page["missing"], true, "no page here {r}");
    assert_eq!(page["known"], true, "Title::isKnown: the file exists in a shared repository {r}");
    assert_eq!(page["imagerepository"], "shared", "{r}");
    let ii = &page["imageinfo"][0];
    assert_eq!(ii["url"], remote_ii["url"], "the remote's URL {r}");
    assert_eq!(ii["descriptionurl"], remote_ii["descriptionurl"], "{r}");
    assert_eq!(ii["sha1"], sha1_hex(&bytes));
    assert_eq!(
        (ii["size"].as_i64(), ii["width"].as_i64(), ii["height"].as_i64()),
        (Some(bytes.len() as i64), Some(12), Some(9))
    );
    assert_eq!(
        ii["user"], "shared>Admin",
        "an external user, as UserIdentityValue::newExternal names it {r}"
    );
    assert_eq!((ii["userid"].as_i64(), &ii["anon"]), (Some(0), &json!(true)), "{r}");
    assert_eq!(ii["comment"], "from the shared wiki");
    assert_eq!(ii["canonicaltitle"], "File:Shared logo.png");
    assert_eq!(
        (ii["mime"].as_str(), ii["mediatype"].as_str(), ii["bitdepth"].as_i64()),
        (Some("image/png"), Some("BITMAP"), Some(0))
    );
    assert!(ii["url"].as_str().unwrap().starts_with(&shared.base), "{r}");
    // iiurlwidth: the remote renders (ForeignAPIFile::transform); its thumbnail URL comes back.
    let r = query(
        &anon,
        &[
            ("prop", "imageinfo"),
            ("titles", "File:Shared logo.png"),
            ("iiprop", "url"),
            ("iiurlwidth", "6"),
        ],
    )
    .await;
    let remote_thumb = sc
        .get(&[
            ("action", "query"),
            ("format", "json"),
            ("formatversion", "2"),
            ("prop", "imageinfo"),
            ("titles", "File:Shared logo.png"),
            ("iiprop", "url"),
            ("iiurlwidth", "6"),
        ])
        .await;
    let (ii, rii) = (
        &r["query"]["pages"][0]["imageinfo"][0],
        &remote_thumb["query"]["pages"][0]["imageinfo"][0],
    );
    assert!(
        rii["thumburl"].as_str().is_some_and(|u| u.contains("/images/thumb/")),
        "{remote_thumb}"
    );
    for k in ["thumburl", "thumbwidth", "thumbheight", "responsiveUrls", "url"] {
        assert_eq!(ii[k], rii[k], "{k}: {r}");
    }
    let keys: Vec<&String> = ii.as_object().unwrap().keys().collect();
    assert_eq!(keys[..4], ["thumburl", "thumbwidth", "thumbheight", "responsiveUrls"], "{r}");
    // fv1: the same, with `anon` and `known` as empty strings.
    let r1 = anon
        .get(&[
            ("action", "query"),
            ("format", "json"),
            ("prop", "imageinfo"),
            ("titles", "File:Shared_logo.png"),
            ("iiprop", "user"),
        ])
        .await;
    let p1 = r1["query"]["pages"]["-1"].clone();
    assert_eq!(p1["imagerepository"], "shared", "{r1}");
    assert_eq!((&p1["known"], &p1["imageinfo"][0]["anon"]), (&json!(""), &json!("")), "{r1}");
    // iilocalonly: the local repository only.
    let r = query(
        &anon,
        &[("prop", "imageinfo"), ("titles", "File:Shared logo.png"), ("iilocalonly", "1")],
    )
    .await;
    assert_eq!(r["query"]["pages"][0]["imagerepository"], "", "{r}");
    assert!(r["query"]["pages"][0].get("imageinfo").is_none(), "{r}");
    // A name neither has.
    let r = query(&anon, &[("prop", "imageinfo"), ("titles", "File:Nowhere.png")]).await;
    assert_eq!(r["query"]["pages"][0]["imagerepository"], "", "{r}");
    assert!(r["query"]["pages"][0].get("known").is_none(), "{r}");

    // meta=filerepoinfo: the shared repositories, then the local one (ApiQueryFileRepoInfo).
    let r = query(&anon, &[("meta", "filerepoinfo")]).await;
    let repos = r["query"]["repos"].as_array().unwrap();
    assert_eq!(repos.len(), 2, "{r}");
    assert_eq!(repos[0]["name"], "shared");
    assert_eq!(repos[0]["displayname"], "a shared repository");
    assert_eq!((&repos[0]["local"], &repos[0]["canUpload"]), (&json!(false), &json!(false)), "{r}");
    assert_eq!(repos[0]["scriptDirUrl"], format!("{}/w", shared.base), "dirname(apibase) {r}");
    assert_eq!(repos[0]["fetchDescription"], false);
    assert_eq!(repos[0]["descriptionCacheExpiry"], 43200);
    assert_eq!((&repos[1]["name"], &repos[1]["local"]), (&json!("local"), &json!(true)), "{r}");
    let r = query(&anon, &[("meta", "filerepoinfo"), ("friprop", "name|fetchDescription")]).await;
    assert_eq!(
        r["query"]["repos"],
        json!([{"name": "shared", "fetchDescription": false}, {"name": "local"}]),
        "{r}"
    );

    // The shared file's path here redirects to the remote's URL; a name neither has is 404.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirects
        .get(format!("{}/images/{}", local.base, hashed("Shared_logo.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"].to_str().unwrap(), remote_ii["url"].as_str().unwrap());
    let (code, body) = anon.fetch(&format!("{}/images/{}", local.base, hashed("Shared_logo.png"))).await;
    assert_eq!((code, body == bytes), (200, true), "followed, the remote's bytes");
    let r = no_redirects
        .get(format!("{}/images/{}", local.base, hashed("Nowhere.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Its thumbnail path here redirects to the remote's own thumbnail of that width.
    let thumb_path = format!("{}/images/thumb/{}/6px-Shared_logo.png", local.base, hashed("Shared_logo.png"));
    let r = no_redirects.get(&thumb_path).send().await.unwrap();
    assert_eq!(r.status(), 302, "{thumb_path}");
    assert_eq!(r.headers()["location"].to_str().unwrap(), rii["thumburl"].as_str().unwrap());
    let (code, body) = anon.fetch(&thumb_path).await;
    assert_eq!(code, 200, "followed, the remote renders it");
    assert!(body.starts_with(b"\x89PNG"), "a PNG thumbnail");
    let r = no_redirects
        .get(format!("{}/images/thumb/{}/6px-Nowhere.png", local.base, hashed("Nowhere.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The duplicate warning and prop=duplicatefiles see shared files (RepoGroup::findBySha1).
    let r = admin.upload("Copy_of_Shared_logo.png", &bytes, &[]).await;
    assert_same(
        "upload_duplicate_of_shared",
        &r,
        &recorded["upload_duplicate_of_shared"]["response"],
    );
    let r = admin.upload("Copy_of_logo.png", &bytes, &[]).await;
    assert_eq!(r["upload"]["result"], "Warning", "{r}");
    assert_eq!(r["upload"]["warnings"]["duplicate"], json!(["Shared_logo.png"]), "{r}");
    let r = query(&anon, &[("prop", "duplicatefiles"), ("titles", "File:Shared logo.png")]).await;
    let d = &r["query"]["pages"][0]["duplicatefiles"];
    assert_eq!(
        d[0]["name"], "Shared_logo.png",
        "the shared file is its own (shared) duplicate, as in MediaWiki {r}"
    );
    assert_eq!((&d[0]["shared"], &d[0]["user"]), (&json!(true), &json!("shared>Admin")), "{r}");
    let r = query(
        &anon,
        &[("prop", "duplicatefiles"), ("titles", "File:Shared logo.png"), ("dflocalonly", "1")],
    )
    .await;
    assert!(r["query"]["pages"][0].get("duplicatefiles").is_none(), "{r}");

    // Its File: page here shows the remote file and links to its description page there.
    let page = anon
        .http
        .get(format!("{}/wiki/File:Shared_logo.png", local.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(remote_ii["url"].as_str().unwrap()), "{html}");
    assert!(html.contains(remote_ii["descriptionurl"].as_str().unwrap()), "{html}");
    assert!(
        html.contains("This file is from a shared repository and may be used by other projects."),
        "{html}"
    );
    let missing = anon.http.get(format!("{}/wiki/File:Nowhere.png", local.base)).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    // Uploading a local file of the shared file's name: Bob lacks reupload-shared.
    let bob = bob(&local).await;
    let r = bob.upload("Shared_logo.png", &png(12, 9, 42), &[("ignorewarnings", "1")]).await;
    assert_same(
        "upload_shadowing_without_reupload_shared",
        &r,
        &recorded["upload_shadowing_without_reupload_shared"]["response"],
    );
    assert_eq!(r["error"]["code"], "fileexists-shared-forbidden", "{r}");
    assert_eq!(
        r["error"]["info"],
        "A file with this name exists already in the shared file repository. If you still want to upload your file, please go back and use a new name. [[File:Shared_logo.png|thumb|center|Shared_logo.png]]"
    );
    assert_eq!(r["error"]["invalidparameter"], "filename", "{r}");
    assert!(r["error"]["filekey"].is_string(), "recoverable: the bytes are stashed {r}");
    // stash=1 skips the title checks (MediaWiki: verifyTitlePermissions is not run).
    let r = bob
        .upload("Shared_logo.png", &png(12, 9, 43), &[("stash", "1"), ("ignorewarnings", "1")])
        .await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    // Publishing that stash with async=1: refused before anything is queued, as ApiUpload
    // checks the title (verifyTitlePermissions) before it queues a PublishStashedFile job.
    let key = r["upload"]["filekey"].as_str().unwrap().to_string();
    let r = bob
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("filename", "Shared_logo.png"),
            ("filekey", &key),
            ("async", "1"),
            ("ignorewarnings", "1"),
            ("token", &bob.csrf),
        ])
        .await;
    assert_eq!(r["error"]["code"], "fileexists-shared-forbidden", "{r}");
    // Other names are Bob's to upload.
    let r = bob.upload("Bobs_own.png", &png(12, 9, 44), &[]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    // The administrator's bot password (uploadeditmovefile) has reupload-shared: allowed, and
    // from then on the local file is the one shown.
    let mine = png(12, 9, 45);
    let r = admin.upload("Shared_logo.png", &mine, &[("ignorewarnings", "1")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let r = query(
        &anon,
        &[("prop", "imageinfo"), ("titles", "File:Shared logo.png"), ("iiprop", "sha1|url")],
    )
    .await;
    let page = &r["query"]["pages"][0];
    assert_eq!(page["imagerepository"], "local", "{r}");
    assert_eq!(page["imageinfo"][0]["sha1"], sha1_hex(&mine));
    assert!(page["imageinfo"][0]["url"].as_str().unwrap().starts_with(&local.base), "{r}");
}

/// `fetch_descriptions`: the File page of a shared file shows the remote's description
/// (`index.php?…&action=render`, which this server also answers) under MediaWiki's
/// `sharedupload-desc-here` notice. `cache_files`: `/images/…` serves a verified local copy
/// instead of redirecting, still there when the remote is gone.
#[tokio::test]
async fn remote_descriptions_and_local_copies_of_shared_files() {
    // What a shared repository answered is cached per process: once the remote is gone, only
    // the replica that asked it still knows the file (and so its local copy).
    let _one = one_process("after the remote goes away, the copy is found through this process's cache of its answer");
    let mut shared = Server::start();
    let sc = shared.bot().await;
    let bytes = png(14, 11, 43);
    let text = "A description with <b>bold</b> & <script>alert(1)</script> more";
    let r = sc.upload("Cached_logo.png", &bytes, &[("text", text)]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");

    // The remote's render action: the page text only, as the parser output (unparsed here).
    let render = |base: &str, title: &str| format!("{base}/w/index.php?title={title}&action=render");
    let r = reqwest::get(render(&shared.base, "File:Cached_logo.png")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.starts_with("<div class=\"mw-parser-output\"><p>"), "{html}");
    assert!(
        html.contains("A description with &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;"),
        "the text, escaped: {html}"
    );
    let r = reqwest::get(render(&shared.base, "File:Nowhere.png")).await.unwrap();
    assert_eq!(r.status(), 404);

    let local = Server::start_logged(&foreign_toml(
        &shared.api,
        "url_cache_secs = 60\nfetch_descriptions = true\ncache_files = true\n",
    ));
    let anon = local.client();
    let (code, page) = anon.fetch(&format!("{}/wiki/File:Cached_logo.png", local.base)).await;
    let page = String::from_utf8_lossy(&page);
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("there is shown below"), "sharedupload-desc-here: {page}");
    let desc = page
        .split("id=\"shared-image-desc\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no #shared-image-desc: {page}"));
    assert!(desc.contains("A description with &lt;b&gt;bold&lt;/b&gt;"), "{desc}");
    assert!(!page.contains("<script>alert"), "nothing from the remote runs here");

    // Without fetch_descriptions, the notice points there instead.
    let plain = Server::start_with_config(&foreign_toml(&shared.api, ""));
    let (_, page) = plain.client().fetch(&format!("{}/wiki/File:Cached_logo.png", plain.base)).await;
    let page = String::from_utf8_lossy(&page);
    assert!(
        page.contains("for further information") && !page.contains("shared-image-desc"),
        "{page}"
    );

    // The original is served from here, not redirected.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}/images/{}", local.base, hashed("Cached_logo.png"));
    let r = no_redirects.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200, "a local copy, not a redirect");
    assert_eq!(r.headers()["etag"].to_str().unwrap(), format!("\"{}\"", sha1_hex(&bytes)));
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[..]);

    // The remote goes away: the copy is still served (imageinfo stays in the process's cache
    // for url_cache_secs), with ranges.
    shared.kill();
    let r = no_redirects.get(&url).header("range", "bytes=1-4").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[1..5]);
    let (code, body) = anon.fetch(&url).await;
    assert_eq!((code, sha1_hex(&body)), (200, sha1_hex(&bytes)));
}

#[tokio::test]
async fn a_shared_repository_that_is_down_changes_nothing_locally() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let api = format!("http://127.0.0.1:{port}/w/api.php");
    let local = Server::start_logged(&foreign_toml(&api, "timeout_secs = 2\n"));
    let bob = bob(&local).await;
    let started = std::time::Instant::now();
    let r = bob.upload("Local_only.png", &png(10, 10, 51), &[]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let r = query(&local.client(), &[("prop", "imageinfo"), ("titles", "File:Missing here.png")]).await;
    assert_eq!(r["query"]["pages"][0]["imagerepository"], "", "{r}");
    assert_eq!(r["query"]["pages"][0]["missing"], true, "{r}");
    let r = query(&local.client(), &[("prop", "imageinfo"), ("titles", "File:Local only.png")]).await;
    assert_eq!(r["query"]["pages"][0]["imagerepository"], "local", "{r}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "a refused connection costs no timeout"
    );
    let log = local.log_text();
    assert!(
        log.contains("shared repository shared") && log.contains("did not answer"),
        "the failure is logged as a warning: {log}"
    );
}

/// The reference MediaWiki (http://127.0.0.1:8080, `bash /work/shared/reference-mediawiki/setup.sh`)
/// as the shared repository: skipped, with a message, when it does not run or has no files.
#[tokio::test]
async fn the_reference_mediawiki_as_shared_repository() {
    let api = std::env::var("MWUPLOAD_REFWIKI_API").unwrap_or_else(|_| "http://127.0.0.1:8080/w/api.php".into());
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let listing = match http
        .get(&api)
        .query(&[
            ("action", "query"),
            ("list", "allimages"),
            ("aiprop", "url|sha1|size|user"),
            ("ailimit", "50"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .send()
        .await
    {
        Ok(r) => r.json::<Value>().await.ok(),
        Err(_) => None,
    };
    // A PNG, so that our PNG upload of its name gets past verification to the title checks.
    let first = listing.as_ref().and_then(|l| l["query"]["allimages"].as_array()).and_then(|list| {
        list.iter()
            .find(|f| f["name"].as_str().is_some_and(|n| n.ends_with(".png")))
            .cloned()
    });
    let Some(first) = first else {
        println!(
            "SKIPPED: the reference MediaWiki does not answer at {api} (or has no PNG files); start it with bash /work/shared/reference-mediawiki/setup.sh"
        );
        return;
    };
    let name = first["name"].as_str().unwrap().to_string();
    let local = Server::start_with_config(&foreign_toml(&api, ""));
    let r = query(
        &local.client(),
        &[
            ("prop", "imageinfo"),
            ("titles", &format!("File:{name}")),
            ("iiprop", "url|sha1|size|user"),
        ],
    )
    .await;
    let page = &r["query"]["pages"][0];
    assert_eq!(page["imagerepository"], "shared", "{r}");
    let ii = &page["imageinfo"][0];
    assert_eq!(ii["url"], first["url"], "{r}");
    assert_eq!(ii["descriptionurl"], first["descriptionurl"], "{r}");
    assert_eq!(ii["sha1"], first["sha1"], "{r}");
    assert_eq!(ii["size"], first["size"], "{r}");
    assert_eq!(ii["user"], format!("shared>{}", first["user"].as_str().unwrap()), "{r}");
    let r = query(&local.client(), &[("meta", "filerepoinfo"), ("friprop", "name|scriptDirUrl")]).await;
    let script_dir = api.trim_end_matches("/api.php");
    assert_eq!(r["query"]["repos"][0], json!({"name": "shared", "scriptDirUrl": script_dir}), "{r}");
    // A local upload of that name needs reupload-shared.
    let bob = bob(&local).await;
    let r = bob.upload(&name, &png(9, 9, 61), &[("ignorewarnings", "1")]).await;
    assert_eq!(r["error"]["code"], "fileexists-shared-forbidden", "{r}");
}
