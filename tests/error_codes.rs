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
