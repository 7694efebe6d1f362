//! The HTML pages over HTTP, without JavaScript: logging in on Special:UserLogin, uploading with
//! Special:Upload's plain multipart form (MediaWiki's field names), answering a warning with
//! MediaWiki's choices, the File: page, the 404 for a missing file, Special:ListFiles paging,
//! Special:UploadStash, and escaping of attacker-controlled names and descriptions.

mod common;
use common::*;

struct Browser {
    http: reqwest::Client,
    base: String,
}

fn browser(srv: &Server) -> Browser {
    Browser {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: srv.base.clone(),
    }
}

/// The value of a hidden input in a page.
fn hidden(html: &str, name: &str) -> String {
    let re = regex_lite::Regex::new(&format!(r#"name="{name}" value="([^"]*)""#)).unwrap();
    re.captures(html).unwrap_or_else(|| panic!("no hidden {name} in page:\n{html}"))[1]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
}

impl Browser {
    async fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        let s = r.status().as_u16();
        let h = r.headers().clone();
        (s, h, r.text().await.unwrap())
    }

    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
        let r = self.http.post(format!("{}{path}", self.base)).form(form).send().await.unwrap();
        let s = r.status().as_u16();
        let h = r.headers().clone();
        (s, h, r.text().await.unwrap())
    }

    async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, Vec<u8>)>,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some((name, bytes)) = file {
            let p = reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("application/octet-stream")
                .unwrap();
            form = form.part("wpUploadFile", p);
        }
        let r = self.http.post(format!("{}{path}", self.base)).multipart(form).send().await.unwrap();
        let s = r.status().as_u16();
        let h = r.headers().clone();
        (s, h, r.text().await.unwrap())
    }

    async fn login(&self, user: &str, pass: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let (code, headers, page) = self.get("/wiki/Special:UserLogin").await;
        assert_eq!(code, 200, "{page}");
        assert_eq!(headers["x-frame-options"], "DENY");
        for field in [
            "name=\"wpName\"",
            "name=\"wpPassword\"",
            "name=\"wploginattempt\"",
            "id=\"wpLoginAttempt\"",
        ] {
            assert!(page.contains(field), "login form lacks {field}");
        }
        let token = hidden(&page, "wpLoginToken");
        self.post_form(
            "/w/index.php?title=Special:UserLogin",
            &[
                ("wpName", user),
                ("wpPassword", pass),
                ("wpLoginToken", &token),
                ("wploginattempt", "Log in"),
            ],
        )
        .await
    }
}

fn location(h: &reqwest::header::HeaderMap) -> String {
    h.get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn form_upload_without_javascript_with_warnings_and_choices() {
    let srv = Server::start();
    let b = browser(&srv);

    // Not logged in: the upload page asks for a login.
    let (code, _, page) = b.get("/wiki/Special:Upload").await;
    assert_eq!(code, 403);
    assert!(page.contains("Special:UserLogin"), "{page}");

    // A wrong password is refused on the page, a right one logs in (303 to the return title).
    let (code, _, page) = b.login("Admin", "wrong password").await;
    assert_eq!(code, 200);
    assert!(page.contains("Incorrect username or password"), "{page}");
    let (code, headers, _) = b.login("Admin", &srv.admin_pass).await;
    assert_eq!(code, 303);
    assert_eq!(location(&headers), "/");

    // The cookie session is the API's: userinfo says who we are.
    let r = b
        .http
        .get(&srv.api)
        .query(&[("action", "query"), ("meta", "userinfo"), ("format", "json")])
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(r["query"]["userinfo"]["name"], "Admin", "{r}");

    // The form, with MediaWiki's field names.
    let (_, headers, page) = b.get("/wiki/Special:Upload").await;
    assert_eq!(headers["x-frame-options"], "DENY");
    for field in [
        "name=\"wpUploadFile\"",
        "name=\"wpDestFile\"",
        "name=\"wpUploadDescription\"",
        "name=\"wpWatchthis\"",
        "name=\"wpIgnoreWarning\"",
        "name=\"wpUpload\"",
        "enctype=\"multipart/form-data\"",
    ] {
        assert!(page.contains(field), "upload form lacks {field}");
    }
    let token = hidden(&page, "wpEditToken");

    // A bad token uploads nothing.
    let png1 = png(24, 16, 1);
    let (code, _, page) = b
        .post_multipart(
            "/wiki/Special:Upload",
            &[
                ("wpEditToken", "bad+\\"),
                ("wpDestFile", "Web form.png"),
                ("wpUpload", "Upload file"),
            ],
            Some(("local.png", png1.clone())),
        )
        .await;
    assert_eq!(code, 400);
    assert!(page.contains("session hijacking"), "{page}");
    let (code, _, _) = b.get("/wiki/File:Web_form.png").await;
    assert_eq!(code, 404);

    // The plain form post publishes and redirects to the file page.
    let (code, headers, page) = b
        .post_multipart(
            "/w/index.php?title=Special:Upload",
            &[
                ("wpSourceType", "file"),
                ("wpDestFile", "Web form.png"),
                ("wpUploadDescription", "A test picture"),
                ("wpWatchthis", "1"),
                ("wpEditToken", &token),
                ("wpUpload", "Upload file"),
            ],
            Some(("local.png", png1.clone())),
        )
        .await;
    assert_eq!(code, 303, "{page}");
    assert_eq!(location(&headers), "/wiki/File:Web_form.png");
    let (code, _, page) = b.get("/wiki/File:Web_form.png").await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("24 × 16 pixels"), "{page}");
    assert!(page.contains("image/png"), "{page}");
    assert!(page.contains("A test picture"), "{page}");
    assert!(
        page.contains(&format!("/images/{}", "a/a3/Web_form.png")) || page.contains("/Web_form.png\""),
        "{page}"
    );
    let c = srv.client();
    let info = c.imageinfo("Web_form.png", "size|sha1", "1").await;
    assert_eq!(info["query"]["pages"][0]["imageinfo"][0]["size"], png1.len(), "{info}");
    assert_eq!(info["query"]["pages"][0]["imageinfo"][0]["sha1"], sha1_hex(&png1), "{info}");

    // The same name again: MediaWiki's warning, the file kept in the stash, and its choices.
    let png2 = png(24, 16, 2);
    let (code, _, page) = b
        .post_multipart(
            "/wiki/Special:Upload",
            &[("wpDestFile", "Web form.png"), ("wpEditToken", &token), ("wpUpload", "Upload file")],
            Some(("other.png", png2.clone())),
        )
        .await;
    assert_eq!(code, 200);
    assert!(page.contains("data-warning=\"exists\""), "{page}");
    for choice in ["name=\"wpUploadIgnoreWarning\"", "name=\"wpCancelUpload\"", "name=\"wpUpload\""] {
        assert!(page.contains(choice), "warning form lacks {choice}");
    }
    assert_eq!(hidden(&page, "wpSourceType"), "Stash");
    let key = hidden(&page, "wpSessionKey");

    // "Change name": the stashed file under another name.
    let (code, headers, page) = b
        .post_multipart(
            "/wiki/Special:Upload",
            &[
                ("wpSourceType", "Stash"),
                ("wpSessionKey", &key),
                ("wpDestFile", "Web form renamed.png"),
                ("wpEditToken", &token),
                ("wpUpload", "Upload file"),
            ],
            None,
        )
        .await;
    assert_eq!(code, 303, "{page}");
    assert_eq!(location(&headers), "/wiki/File:Web_form_renamed.png");

    // Again, and this time "save anyway": a second version of the first file.
    let png3 = png(24, 16, 3);
    let (_, _, page) = b
        .post_multipart(
            "/wiki/Special:Upload",
            &[("wpDestFile", "Web form.png"), ("wpEditToken", &token), ("wpUpload", "Upload file")],
            Some(("third.png", png3.clone())),
        )
        .await;
    let key = hidden(&page, "wpSessionKey");
    let (code, _, page) = b
        .post_multipart(
            "/wiki/Special:Upload",
            &[
                ("wpSourceType", "Stash"),
                ("wpSessionKey", &key),
                ("wpDestFile", "Web form.png"),
                ("wpEditToken", &token),
                ("wpUploadIgnoreWarning", "Ignore warning and save file anyway"),
            ],
            None,
        )
        .await;
    assert_eq!(code, 303, "{page}");
    let info = c.imageinfo("Web_form.png", "sha1", "5").await;
    let versions = info["query"]["pages"][0]["imageinfo"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{info}");
    assert_eq!(versions[0]["sha1"], sha1_hex(&png3));

    // The history table has both versions and, for an administrator, revert and delete links.
    let (_, _, page) = b.get("/wiki/File:Web_form.png").await;
    assert!(page.contains("action=revert&amp;oldimage="), "{page}");
    assert!(page.contains("action=delete"), "{page}");
    assert!(page.contains("uploaded a new version of"), "{page}");

    // Revert through its confirmation form.
    let href_re = regex_lite::Regex::new(r#"href="([^"]*action=revert[^"]*)""#).unwrap();
    let href = href_re.captures(&page).unwrap()[1].replace("&amp;", "&");
    let (code, _, form) = b.get(&href).await;
    assert_eq!(code, 200, "{form}");
    let t = hidden(&form, "wpEditToken");
    let (code, _, _) = b.post_form(&href, &[("wpComment", "back"), ("wpEditToken", &t)]).await;
    assert_eq!(code, 303);
    let info = c.imageinfo("Web_form.png", "sha1", "5").await;
    assert_eq!(info["query"]["pages"][0]["imageinfo"][0]["sha1"], sha1_hex(&png1), "{info}");

    // Delete one old version through its confirmation form.
    let (_, _, page) = b.get("/wiki/File:Web_form.png").await;
    let del_re = regex_lite::Regex::new(r#"href="([^"]*action=delete&amp;oldimage=[^"]*)""#).unwrap();
    let href = del_re.captures(&page).expect("a delete link for an old version")[1].replace("&amp;", "&");
    let (code, _, form) = b.get(&href).await;
    assert_eq!(code, 200, "{form}");
    let t = hidden(&form, "wpEditToken");
    let (code, _, _) = b.post_form(&href, &[("wpReason", "not needed"), ("wpEditToken", "+\\")]).await;
    assert_eq!(code, 200, "a bad token deletes nothing");
    assert_eq!(
        c.imageinfo("Web_form.png", "sha1", "5").await["query"]["pages"][0]["imageinfo"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let (code, _, _) = b.post_form(&href, &[("wpReason", "not needed"), ("wpEditToken", &t)]).await;
    assert_eq!(code, 303);
    let info = c.imageinfo("Web_form.png", "sha1", "5").await;
    assert_eq!(info["query"]["pages"][0]["imageinfo"].as_array().unwrap().len(), 2, "{info}");

    // Cancel: back to an empty form.
    let (_, _, page) = b
        .post_multipart(
            "/wiki/Special:Upload",
            &[("wpDestFile", "Web form.png"), ("wpEditToken", &token), ("wpUpload", "Upload file")],
            Some(("fourth.png", png(24, 16, 4))),
        )
        .await;
    let key = hidden(&page, "wpSessionKey");
    let (code, headers, _) = b
        .post_multipart(
            "/wiki/Special:Upload",
            &[
                ("wpSourceType", "Stash"),
                ("wpSessionKey", &key),
                ("wpEditToken", &token),
                ("wpCancelUpload", "Cancel"),
            ],
            None,
        )
        .await;
    assert_eq!(code, 303);
    assert_eq!(location(&headers), "/wiki/Special:Upload");

    // "Ignore any warnings" ticked on the form: straight to a new version.
    let png5 = png(24, 16, 5);
    let (code, _, page) = b
        .post_multipart(
            "/wiki/Special:Upload",
            &[
                ("wpDestFile", "Web form.png"),
                ("wpIgnoreWarning", "1"),
                ("wpEditToken", &token),
                ("wpUpload", "Upload file"),
            ],
            Some(("fifth.png", png5.clone())),
        )
        .await;
    assert_eq!(code, 303, "{page}");
    let info = c.imageinfo("Web_form.png", "sha1", "1").await;
    assert_eq!(info["query"]["pages"][0]["imageinfo"][0]["sha1"], sha1_hex(&png5), "{info}");

    // Log out with the token; the API agrees.
    let (_, _, page) = b.get("/").await;
    let t = hidden(&page, "wpEditToken");
    let (code, _, page) = b.post_form("/w/index.php?title=Special:UserLogout", &[("wpEditToken", &t)]).await;
    assert_eq!(code, 200, "{page}");
    let r = b
        .http
        .get(&srv.api)
        .query(&[("action", "query"), ("meta", "userinfo"), ("format", "json")])
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(r["query"]["userinfo"]["anon"], "", "{r}");
}

#[tokio::test]
async fn missing_file_is_a_404_with_an_upload_link_and_pages_exist() {
    let srv = Server::start();
    let b = browser(&srv);
    for path in ["/wiki/File:Nope_nope.png", "/w/index.php?title=File:Nope_nope.png"] {
        let (code, headers, page) = b.get(path).await;
        assert_eq!(code, 404, "{path}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(page.contains("/wiki/Special:Upload?wpDestFile=Nope_nope.png"), "{page}");
    }
    let (code, _, page) = b.get("/wiki/Special:NoSuchPage").await;
    assert_eq!(code, 404, "{page}");
    let (code, headers, page) = b.get("/").await;
    assert_eq!(code, 200);
    assert_eq!(headers["x-frame-options"], "DENY");
    for link in [
        "/wiki/Special:Upload",
        "/wiki/Special:ListFiles",
        "/wiki/Special:UserLogin",
        "/w/api.php",
    ] {
        assert!(page.contains(&format!("href=\"{link}\"")), "landing page lacks {link}");
    }
    // Stashed files are still served by index.php (the API's route).
    let (code, _, _) = b.get("/w/index.php?title=Special:UploadStash/file/abc").await;
    assert_eq!(code, 403);
    let (code, headers, _) = b.get("/w/resources/mwupload/upload.js").await;
    assert_eq!(code, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/javascript"));
}

#[tokio::test]
async fn hostile_names_and_descriptions_are_escaped_everywhere() {
    let srv = Server::start();
    let c = srv.bot().await;
    let evil_desc = "<script>alert(\"desc\")</script><img src=x onerror=alert(1)>";
    let evil_name = "Q\"'&x onmouseover=alert(1) .png";
    let r = c
        .upload(
            evil_name,
            &png(8, 8, 9),
            &[("comment", evil_desc), ("text", evil_desc), ("ignorewarnings", "1")],
        )
        .await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let name = r["upload"]["filename"].as_str().unwrap().to_string();
    let b = browser(&srv);
    let (_, _, list) = b.get("/wiki/Special:ListFiles").await;
    let (code, _, page) = b
        .get(&format!(
            "/wiki/File:{}",
            name.replace('&', "%26").replace('"', "%22").replace(' ', "_")
        ))
        .await;
    assert_eq!(code, 200, "{page}");
    for html in [&list, &page] {
        assert!(!html.contains("<script>alert"), "unescaped script:\n{html}");
        assert!(!html.contains("<img src=x"), "unescaped img:\n{html}");
        assert!(!html.contains("\"'&x"), "unescaped name:\n{html}");
        assert!(
            html.contains("&lt;script&gt;alert(&quot;desc&quot;)&lt;/script&gt;"),
            "description missing:\n{html}"
        );
    }
}

#[tokio::test]
async fn list_files_pages_and_the_stash_page_shows_own_files() {
    let srv = Server::start();
    let mut c = srv.client();
    c.login("Admin", &srv.admin_pass).await;
    for (i, n) in ["Page a.png", "Page b.png", "Page c.png"].iter().enumerate() {
        let side = 4 << i; // distinct sizes: a < b < c
        let r = c.upload(n, &png(side, side, 100 + i as u64), &[]).await;
        assert_eq!(r["upload"]["result"], "Success", "{r}");
    }
    let b = browser(&srv);
    let (code, _, page) = b.get("/wiki/Special:ListFiles?sort=img_name&asc=1&limit=2").await;
    assert_eq!(code, 200);
    assert!(
        page.contains("Page a.png") && page.contains("Page b.png") && !page.contains("Page c.png"),
        "{page}"
    );
    let re = regex_lite::Regex::new(r#"rel="next" href="([^"]*)""#).unwrap();
    let next = re.captures(&page).expect("a next link")[1].replace("&amp;", "&");
    let (_, _, page2) = b.get(&next).await;
    assert!(page2.contains("Page c.png") && !page2.contains("Page a.png"), "{page2}");
    // Back from the second page: the first one again.
    let prev_re = regex_lite::Regex::new(r#"rel="prev" href="([^"]*)""#).unwrap();
    assert!(!prev_re.is_match(&page), "no previous page before the first: {page}");
    let prev = prev_re.captures(&page2).expect("a previous link")[1].replace("&amp;", "&");
    let (_, _, back) = b.get(&prev).await;
    assert!(
        back.contains("Page a.png") && back.contains("Page b.png") && !back.contains("Page c.png"),
        "{back}"
    );
    // One per page, from the third: the previous page starts at the second file.
    let (_, _, p3) = b.get("/wiki/Special:ListFiles?sort=img_name&asc=1&limit=1&offset=Page_c.png").await;
    let prev = prev_re.captures(&p3).expect("a previous link")[1].replace("&amp;", "&");
    let (_, _, p2) = b.get(&prev).await;
    assert!(
        p2.contains("Page b.png") && !p2.contains("Page a.png") && !p2.contains("Page c.png"),
        "{p2}"
    );
    // By size, largest first, paged with the (size, name) resume point.
    let (_, _, page) = b.get("/wiki/Special:ListFiles?sort=img_size&desc=1&limit=2").await;
    let sizes: Vec<i64> = regex_lite::Regex::new(r#"data-bytes="(\d+)""#)
        .unwrap()
        .captures_iter(&page)
        .map(|c| c[1].parse().unwrap())
        .collect();
    assert_eq!(sizes.len(), 2, "{page}");
    assert!(sizes[0] > sizes[1], "{sizes:?}");
    assert!(page.find("Page c.png").unwrap() < page.find("Page b.png").unwrap(), "{page}");
    let next = re.captures(&page).expect("a next link")[1].replace("&amp;", "&");
    let (_, _, page2) = b.get(&next).await;
    let rest: Vec<i64> = regex_lite::Regex::new(r#"data-bytes="(\d+)""#)
        .unwrap()
        .captures_iter(&page2)
        .map(|c| c[1].parse().unwrap())
        .collect();
    assert_eq!(rest.len(), 1, "{page2}");
    assert!(rest[0] < sizes[1] && page2.contains("Page a.png"), "{page2}");

    // Newest first by default.
    let (_, _, page) = b.get("/wiki/Special:ListFiles").await;
    let (a, cc) = (page.find("Page a.png").unwrap(), page.find("Page c.png").unwrap());
    assert!(cc < a, "newest first");

    // The stash page: anonymous is refused, the owner sees the stashed file.
    let (code, _, _) = b.get("/wiki/Special:UploadStash").await;
    assert_eq!(code, 403);
    let r = c.upload("Stashed one.png", &png(5, 5, 7), &[("stash", "1")]).await;
    let key = r["upload"]["filekey"].as_str().expect("filekey").to_string();
    let (_, _, page) = b.login("Admin", &srv.admin_pass).await;
    let _ = page;
    let (code, _, page) = b.get("/wiki/Special:UploadStash").await;
    assert_eq!(code, 200);
    assert!(page.contains(&key), "{page}");
    // Its bytes, to its owner, at both of MediaWiki's URLs.
    for path in [
        format!("/wiki/Special:UploadStash/file/{key}"),
        format!("/w/index.php?title=Special:UploadStash/file/{key}"),
    ] {
        let r = b.http.get(format!("{}{path}", b.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.bytes().await.unwrap().to_vec(), png(5, 5, 7), "{path}");
    }
    let anon = browser(&srv);
    let (code, _, _) = anon.get(&format!("/wiki/Special:UploadStash/file/{key}")).await;
    assert_eq!(code, 403);
    // The documentation the landing page links to.
    let (code, headers, text) = b.get("/docs/web.md").await;
    assert_eq!(code, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/markdown"));
    assert!(text.contains("wpUploadFile"));
}

/// The login form shares action=login's `$wgPasswordAttemptThrottle`: after five wrong passwords
/// even the right one is refused with MediaWiki's throttle message.
#[tokio::test]
async fn the_login_form_is_throttled_like_the_api() {
    let srv = Server::start();
    let b = browser(&srv);
    for _ in 0..5 {
        let (code, _, page) = b.login("Admin", "wrong password").await;
        assert_eq!(code, 200);
        assert!(page.contains("Incorrect username or password"), "{page}");
    }
    let (code, _, page) = b.login("Admin", &srv.admin_pass).await;
    assert_eq!(code, 200, "logged in despite the throttle");
    assert!(page.contains("too many recent login attempts"), "{page}");
}
