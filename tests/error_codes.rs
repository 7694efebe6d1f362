//! Error answers checked one by one against the reference MediaWiki 1.39 (same requests, same
//! codes and infos, 2026-12-06): a filerevert of a missing file, an undelete with nothing to
//! undelete, and another user's stash key in a publish or a chunk.

mod common;
use common::*;

#[tokio::test]
async fn errors_as_the_reference_answers_them() {
    let srv = Server::start();
    let c = srv.bot().await;
    let post = |extra: Vec<(&'static str, String)>| {
        let c = c.clone_session();
        async move {
            let mut p: Vec<(&str, &str)> = vec![("format", "json"), ("formatversion", "2"), ("token", &c.csrf)];
            p.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
            c.post(&p).await
        }
    };

    let r = post(vec![
        ("action", "filerevert".into()),
        ("filename", "Never uploaded.png".into()),
        ("archivename", "20200101000000!Never_uploaded.png".into()),
    ])
    .await;
    assert_eq!(r["error"]["code"], "missingtitle", "{r}");
    assert_eq!(r["error"]["info"], "The page you specified doesn't exist.");

    assert_eq!(c.upload("Kept.png", &png(4, 4, 1), &[]).await["upload"]["result"], "Success");
    let cant = "Couldn't undelete: the requested revisions may not exist, or may have been undeleted already.";
    for title in ["File:Kept.png", "File:Never deleted.png"] {
        let r = post(vec![("action", "undelete".into()), ("title", title.into())]).await;
        assert_eq!(r["error"]["code"], "cantundelete", "{title}: {r}");
        assert_eq!(r["error"]["info"], cant);
    }

    // Another user's stash key: publishing it and sending a chunk into it.
    let r = c.upload("Stashed.png", &png(4, 4, 2), &[("stash", "1")]).await;
    let key = r["upload"]["filekey"].as_str().expect("stashed").to_string();
    srv.admin(&["user", "create", "Other", "--password", "other-password-123"]);
    let mut other = srv.client();
    other.login("Other", "other-password-123").await;
    let wrong = format!("This file ({key}) doesn't belong to the current user.");
    let r = other
        .post(&[
            ("action", "upload"),
            ("filename", "Taken.png"),
            ("filekey", &key),
            ("ignorewarnings", "1"),
            ("token", &other.csrf),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["error"]["code"], "uploadstash-wrong-owner", "{r}");
    assert_eq!(r["error"]["info"], wrong.as_str());
    let r = other
        .post_file(
            &[
                ("action", "upload"),
                ("filename", "Taken.png"),
                ("filekey", &key),
                ("stash", "1"),
                ("offset", "10"),
                ("filesize", "100"),
                ("token", &other.csrf),
                ("format", "json"),
            ],
            "chunk",
            &[b'x'; 10],
        )
        .await;
    assert_eq!(r["error"]["code"], "uploadstash-wrong-owner", "{r}");
    assert_eq!(r["error"]["info"], wrong.as_str());
}

/// `errorformat=raw` shows MediaWiki's message key and parameters of the upload module's
/// errors (ApiUpload, UploadBase::convertVerifyErrorToStatus, UploadFromChunks, the stash
/// exceptions), and `wikitext` the message's markup; the plain `info` is unchanged.
#[tokio::test]
async fn upload_errors_carry_mediawiki_message_keys() {
    let srv = Server::start();
    let c = srv.bot().await;
    let up = |extra: Vec<(&'static str, String)>, part: Option<(&'static str, Vec<u8>)>| {
        let c = c.clone_session();
        async move {
            let mut p: Vec<(&str, &str)> = vec![
                ("action", "upload"),
                ("format", "json"),
                ("formatversion", "2"),
                ("errorformat", "raw"),
                ("token", &c.csrf),
            ];
            p.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
            match part {
                Some((name, bytes)) => c.post_file(&p, name, &bytes).await,
                None => c.post(&p).await,
            }
        }
    };
    let key_params = |r: &serde_json::Value| {
        (
            r["errors"][0]["code"].clone(),
            r["errors"][0]["key"].clone(),
            r["errors"][0]["params"].clone(),
        )
    };
    let j = |v: serde_json::Value| v;
    use serde_json::json;

    let r = up(vec![], Some(("file", png(4, 4, 1)))).await;
    assert_eq!(
        key_params(&r),
        (j(json!("nofilename")), j(json!("apierror-missingparam")), json!(["filename"])),
        "{r}"
    );
    let r = up(vec![("filename", "x.png".into())], Some(("file", Vec::new()))).await;
    assert_eq!(key_params(&r), (json!("empty-file"), json!("empty-file"), json!([])), "{r}");
    let r = up(vec![("filename", "Name-~~~.png".into())], Some(("file", png(4, 4, 2)))).await;
    assert_eq!(
        key_params(&r),
        (json!("illegal-filename"), json!("illegal-filename"), json!([])),
        "{r}"
    );
    let r = up(
        vec![("filename", "x.png".into()), ("async", "1".into())],
        Some(("file", png(4, 4, 3))),
    )
    .await;
    assert_eq!(
        key_params(&r),
        (
            json!("cannot-async-upload-file"),
            json!("apierror-cannot-async-upload-file"),
            json!([])
        ),
        "{r}"
    );
    let chunk = png(100, 100, 4);
    let r = up(
        vec![("filename", "c.png".into()), ("filesize", "99999".into()), ("offset", "5".into())],
        Some(("chunk", chunk[..2000].to_vec())),
    )
    .await;
    assert_eq!(
        key_params(&r),
        (json!("filekeyneeded"), json!("apierror-upload-filekeyneeded"), json!([])),
        "{r}"
    );
    let r = up(
        vec![
            ("filename", "c.png".into()),
            ("filesize", "99999".into()),
            ("offset", "0".into()),
            ("filekey", "x.png".into()),
        ],
        Some(("chunk", chunk[..2000].to_vec())),
    )
    .await;
    assert_eq!(
        key_params(&r),
        (json!("filekeynotallowed"), json!("apierror-upload-filekeynotallowed"), json!([])),
        "{r}"
    );
    let r = up(
        vec![("filename", "c.png".into()), ("filesize", "99999".into()), ("offset", "0".into())],
        Some(("chunk", chunk[..10].to_vec())),
    )
    .await;
    assert_eq!(
        key_params(&r),
        (json!("chunk-too-small"), json!("apierror-chunk-too-small"), json!([{"num": 1024}])),
        "{r}"
    );
    // A session, then a chunk at the wrong offset.
    let r = up(
        vec![
            ("filename", "c.png".into()),
            ("filesize", chunk.len().to_string()),
            ("offset", "0".into()),
            ("stash", "1".into()),
        ],
        Some(("chunk", chunk[..2000].to_vec())),
    )
    .await;
    let key = r["upload"]["filekey"].as_str().expect("session").to_string();
    let r = up(
        vec![
            ("filename", "c.png".into()),
            ("filesize", chunk.len().to_string()),
            ("offset", "3000".into()),
            ("filekey", key.clone()),
        ],
        Some(("chunk", chunk[3000..5000].to_vec())),
    )
    .await;
    assert_eq!(
        key_params(&r),
        (json!("stashfailed"), json!("invalid-chunk-offset"), json!([])),
        "{r}"
    );
    let r = up(vec![("filename", "s.png".into()), ("filekey", "1abc.def.1.png".into())], None).await;
    assert_eq!(
        key_params(&r),
        (
            json!("uploadstash-file-not-found"),
            json!("uploadstash-file-not-found"),
            json!(["1abc.def.1.png"])
        ),
        "{r}"
    );
    let r = up(vec![("checkstatus", "1".into()), ("filekey", "1abc.def.1.png".into())], None).await;
    assert_eq!(
        key_params(&r),
        (json!("missingresult"), json!("apierror-upload-missingresult"), json!([])),
        "{r}"
    );

    // A bad title's parameter is wfEscapeWikiText'd; a page id is a number.
    let r = c
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letitle", "Foo|bar"),
            ("format", "json"),
            ("errorformat", "raw"),
        ])
        .await;
    assert_eq!(
        key_params(&r),
        (json!("invalidtitle"), json!("apierror-invalidtitle"), json!(["Foo&#124;bar"])),
        "{r}"
    );
    let r = c
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letitle", "Foo|bar"),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["error"]["info"], "Bad title \"Foo|bar\".", "{r}");
    let r = c
        .post(&[
            ("action", "move"),
            ("fromid", "987654"),
            ("to", "X"),
            ("token", &c.csrf),
            ("format", "json"),
            ("errorformat", "raw"),
        ])
        .await;
    assert_eq!(
        key_params(&r),
        (json!("nosuchpageid"), json!("apierror-nosuchpageid"), json!([987654])),
        "{r}"
    );

    // wikitext shows the message's markup; the plain info is what it always was.
    let r = c
        .post_file(
            &[
                ("action", "upload"),
                ("format", "json"),
                ("errorformat", "wikitext"),
                ("token", &c.csrf),
            ],
            "file",
            &png(4, 4, 5),
        )
        .await;
    assert_eq!(r["errors"][0]["*"], "The <var>filename</var> parameter must be set.", "{r}");
    let r = c
        .post_file(
            &[("action", "upload"), ("format", "json"), ("token", &c.csrf)],
            "file",
            &png(4, 4, 5),
        )
        .await;
    assert_eq!(r["error"]["info"], "The \"filename\" parameter must be set.", "{r}");
}
