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

/// `parsedcomment` (and filearchive's `parseddescription`) is the comment as MediaWiki 1.39's
/// CommentFormatter renders it: HTML escaped, `[[links]]` blue to existing pages and red
/// (`class="new"`, the edit URL) to missing ones, `[[Media:…]]` to the file, `/* section */`
/// as a link to the page's section; templates and tags stay text. The same in every module.
#[tokio::test]
async fn parsed_comments_render_links_as_mediawiki_does() {
    let srv = Server::start();
    let c = srv.bot().await;
    let r = c.upload("Target.png", &png(4, 4, 1), &[("text", "exists")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let comment = "/* Part */ see [[File:Target.png|the target]]s, [[nowhere]], [[Media:Target.png]] {{tpl}} & <b>x</b> 'q'";
    let want = concat!(
        "<span dir=\"auto\"><span class=\"autocomment\">",
        "<a href=\"/w/index.php?title=File:Commented.png#Part\" title=\"File:Commented.png\">\u{2192}\u{200E}Part</a>: </span>",
        " see <a href=\"/w/index.php?title=File:Target.png\" title=\"File:Target.png\">the targets</a>, ",
        "<a href=\"/w/index.php?title=Nowhere&amp;action=edit&amp;redlink=1\" class=\"new\" title=\"Nowhere (page does not exist)\">nowhere</a>, ",
        "<a href=\"/images/0/01/Target.png\" class=\"internal\" title=\"Target.png\">Media:Target.png</a>",
        " {{tpl}} &amp; &lt;b&gt;x&lt;/b&gt; &#039;q&#039;</span>"
    )
    .replace("0/01", &{
        // The hashed directory of Target.png, as its own URL shows it.
        let ii = c.imageinfo("Target.png", "url", "1").await;
        let url = ii["query"]["pages"][0]["imageinfo"][0]["url"].as_str().unwrap().to_string();
        let dir: Vec<&str> = url.rsplitn(4, '/').collect();
        format!("{}/{}", dir[2], dir[1])
    });
    let r = c
        .upload("Commented.png", &png(4, 4, 2), &[("comment", comment), ("formatversion", "2")])
        .await;
    assert_eq!(r["upload"]["imageinfo"]["parsedcomment"], want.as_str(), "{r}");
    assert_eq!(r["upload"]["imageinfo"]["comment"], comment, "{r}");

    let q = c
        .get(&[
            ("action", "query"),
            ("titles", "File:Commented.png"),
            ("prop", "imageinfo|revisions"),
            ("iiprop", "parsedcomment"),
            ("rvprop", "comment|parsedcomment"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let page = &q["query"]["pages"][0];
    assert_eq!(page["imageinfo"][0]["parsedcomment"], want.as_str(), "{q}");
    assert_eq!(page["revisions"][0]["parsedcomment"], want.as_str(), "{q}");
    let keys: Vec<&String> = page["revisions"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["comment", "parsedcomment"], "{q}");
    let ai = c
        .get(&[
            ("action", "query"),
            ("list", "allimages"),
            ("aifrom", "Commented.png"),
            ("ailimit", "1"),
            ("aiprop", "parsedcomment"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(ai["query"]["allimages"][0]["parsedcomment"], want.as_str(), "{ai}");
    let log = c
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letitle", "File:Commented.png"),
            ("leprop", "parsedcomment"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(log["query"]["logevents"][0]["parsedcomment"], want.as_str(), "{log}");

    // Deleted: the section link still points at the (now missing) page, the Media link at
    // Special:Upload once Target.png is gone too.
    for title in ["File:Commented.png", "File:Target.png"] {
        let r = c
            .post(&[("action", "delete"), ("title", title), ("token", &c.csrf), ("format", "json")])
            .await;
        assert!(r["delete"].is_object(), "{r}");
    }
    let fa = c
        .get(&[
            ("action", "query"),
            ("list", "filearchive"),
            ("faprefix", "Commented"),
            ("faprop", "parseddescription"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let entry = &fa["query"]["filearchive"][0];
    let keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "name", "ns", "title", "parseddescription", "description"], "{fa}");
    let gone = entry["parseddescription"].as_str().unwrap();
    assert!(
        gone.contains("<a href=\"/w/index.php?title=File:Target.png&amp;action=edit&amp;redlink=1\" class=\"new\" title=\"File:Target.png (page does not exist)\">the targets</a>"),
        "{gone}"
    );
    assert!(
        gone.contains("<a href=\"/w/index.php?title=Special:Upload&amp;wpDestFile=Target.png\" class=\"new\" title=\"Target.png\">Media:Target.png</a>"),
        "{gone}"
    );
    // parseddescription needs deletedhistory, as description does.
    let anon = srv.client();
    let fa = anon
        .get(&[
            ("action", "query"),
            ("list", "filearchive"),
            ("faprop", "parseddescription"),
            ("format", "json"),
        ])
        .await;
    assert_eq!(fa["error"]["code"], "permissiondenied", "{fa}");
}
