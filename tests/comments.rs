//! Comments are kept as MediaWiki's CommentStore keeps them: at most 500 characters (497 and
//! `...`), in the file's description, its page revision and the log; the answers that echo the
//! request (the upload's imageinfo, delete's reason) show it as sent. Checked against the
//! reference MediaWiki 1.39 (an upload with a 593-character comment, a delete with a
//! 600-character reason) on 2026-12-06.

mod common;
use common::*;

#[tokio::test]
async fn long_comments_are_cut_to_500_characters_where_they_are_stored() {
    let srv = Server::start();
    let c = srv.bot().await;
    // 300 two-byte characters, so a cut by bytes would differ; three spaces inside the kept part.
    let comment = format!("{}{}   {}", "é".repeat(300), "a".repeat(190), "b".repeat(100));
    let stored = format!("{}{}   bbbb...", "é".repeat(300), "a".repeat(190));
    assert_eq!(stored.chars().count(), 500);

    let r = c
        .upload(
            "Long comment.png",
            &png(4, 4, 1),
            &[("comment", &comment), ("text", "page"), ("formatversion", "2")],
        )
        .await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(
        r["upload"]["imageinfo"]["comment"],
        comment.as_str(),
        "the upload's answer echoes the comment as sent"
    );

    let q = c
        .get(&[
            ("action", "query"),
            ("titles", "File:Long comment.png"),
            ("prop", "imageinfo|revisions"),
            ("iiprop", "comment"),
            ("rvprop", "comment"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let page = &q["query"]["pages"][0];
    assert_eq!(page["imageinfo"][0]["comment"], stored.as_str(), "{q}");
    assert_eq!(page["revisions"][0]["comment"], stored.as_str(), "{q}");
    // Member order as MediaWiki 1.39 gives it (the reference answered slots, then comment).
    let q = c
        .get(&[
            ("action", "query"),
            ("titles", "File:Long comment.png"),
            ("prop", "revisions"),
            ("rvprop", "comment|content|tags"),
            ("rvslots", "main"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let keys: Vec<&String> = q["query"]["pages"][0]["revisions"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["slots", "comment", "tags"], "{q}");
    let log = c
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letype", "upload"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(log["query"]["logevents"][0]["comment"], stored.as_str(), "{log}");

    // A new version adds a null revision whose comment is the log entry's action text, as
    // MediaWiki 1.39 writes it (performer first, no quotes).
    let r = c
        .upload("Long comment.png", &png(4, 4, 2), &[("comment", "v2"), ("ignorewarnings", "1")])
        .await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let q = c
        .get(&[
            ("action", "query"),
            ("titles", "File:Long comment.png"),
            ("prop", "revisions"),
            ("rvprop", "comment"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(
        q["query"]["pages"][0]["revisions"][0]["comment"], "Admin uploaded a new version of [[File:Long comment.png]]",
        "{q}"
    );

    let reason = "r".repeat(600);
    let d = c
        .post(&[
            ("action", "delete"),
            ("title", "File:Long comment.png"),
            ("reason", &reason),
            ("token", &c.csrf),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(d["delete"]["reason"], reason.as_str(), "delete echoes the reason as sent: {d}");
    let log = c
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letype", "delete"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(
        log["query"]["logevents"][0]["comment"],
        format!("{}...", "r".repeat(497)).as_str(),
        "{log}"
    );
}
