//! Warnings and errors that depend on configuration or on who uploaded a file:
//! `filetype-unwanted-type` (non-strict extensions), `large-file` ($wgUploadSizeWarning),
//! `fileexists-forbidden` (reupload-own only), `file-too-large`, `uploaddisabled`.

mod common;
use common::*;

#[tokio::test]
async fn configured_warnings_and_overwrite_rights() {
    let srv = Server::start_with_config(
        "[uploads]\nstrict_extensions = false\nsize_warning = 1000\nmax_upload_size = 200000\nfile_extensions = [\"png\", \"gif\", \"jpg\", \"jpeg\", \"webp\"]\n\
         [group_permissions]\nuser = [\"read\", \"edit\", \"createpage\", \"writeapi\", \"upload\", \"reupload\", \"reupload-own\"]\n",
    );
    let c = srv.bot().await;
    // large-file: [limit, size], plain integers (spec 6.2's recommendation).
    let big = png(40, 40, 1);
    let r = c.upload("Big.png", &big, &[]).await;
    assert_eq!(r["upload"]["result"], "Warning", "{r}");
    assert_eq!(r["upload"]["warnings"]["large-file"], serde_json::json!([1000, big.len()]));
    // filetype-unwanted-type when extensions are not strict: a text file named .txt.
    let r = c.upload("Notes.txt", b"just some plain text\n", &[]).await;
    assert_eq!(
        r["upload"]["warnings"]["filetype-unwanted-type"],
        serde_json::json!(["txt", "png, gif, jpg, jpeg, webp", 5]),
        "{r}"
    );
    // file-too-large above max_upload_size.
    let r = c.upload("Huge.png", &png(300, 300, 2), &[]).await;
    assert_eq!(r["error"]["code"], "file-too-large", "{r}");

    // Overwrites: users here have reupload-own (MediaWiki leaves it unassigned by default); a bot
    // password with only the uploadfile grant keeps upload + reupload-own of those rights.
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
    let small = png(8, 8, 3);
    let r = c.upload("Admins.png", &small, &[]).await;
    assert_eq!(r["upload"]["result"], "Success");
    let r = bob.upload("Admins.png", &png(8, 8, 4), &[("ignorewarnings", "1")]).await;
    assert_eq!(r["error"]["code"], "fileexists-forbidden", "{r}");
    // MediaWiki 1.39's message (en.json "fileexists-forbidden") with the DB key as $1.
    assert_eq!(
        r["error"]["info"],
        "A file with this name already exists, and cannot be overwritten. If you still want to upload your file, please go back and use a new name. [[File:Admins.png|thumb|center|Admins.png]]"
    );
    assert_eq!(r["error"]["invalidparameter"], "filename");
    assert!(r["error"]["filekey"].is_string(), "recoverable: the bytes are stashed {r}");
    // ...but Bob may overwrite his own file.
    assert_eq!(bob.upload("Bobs.png", &png(8, 8, 5), &[]).await["upload"]["result"], "Success");
    let r = bob.upload("Bobs.png", &png(8, 8, 6), &[("ignorewarnings", "1")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let ui = bob
        .get(&[("action", "query"), ("meta", "userinfo"), ("uiprop", "rights"), ("format", "json")])
        .await;
    let rights = ui["query"]["userinfo"]["rights"].as_array().unwrap();
    assert!(
        rights.iter().any(|r| r == "reupload-own") && !rights.iter().any(|r| r == "reupload"),
        "{ui}"
    );
}

#[tokio::test]
async fn uploads_can_be_disabled() {
    let srv = Server::start_with_config("[uploads]\nenabled = false\n");
    let c = srv.bot().await;
    let r = c.upload("X.png", &png(8, 8, 1), &[]).await;
    assert_eq!(r["error"]["code"], "uploaddisabled", "{r}");
    let si = c
        .get(&[
            ("action", "query"),
            ("meta", "siteinfo"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(si["query"]["general"]["uploadsenabled"], false);
}
