//! `meta=siteinfo`: the site's configuration as clients read it (general, namespaces, file extensions, groups…).

use super::*;

pub(super) fn siteinfo(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let v = call.validate(&SITEINFO)?;
    let props = v.list("prop").to_vec();
    let fv2 = call.ctx.fv2;
    let cfg = &call.state.config;
    let base = call.ctx.base_url.clone();
    let host = base
        .split("://")
        .nth(1)
        .unwrap_or("localhost")
        .split(':')
        .next()
        .unwrap_or("localhost")
        .to_string();
    for prop in props {
        match prop.as_str() {
            "general" => {
                let mut g = Map::new();
                let sp = &cfg.script_path;
                g.insert("mainpage".into(), json!("Main Page"));
                g.insert("base".into(), json!(format!("{base}{sp}/index.php?title=Main_Page")));
                g.insert("sitename".into(), json!(cfg.sitename));
                call.ctx.put_bool(&mut g, "mainpageisdomainroot", false);
                g.insert("logo".into(), json!(format!("{base}{sp}/resources/assets/change-your-logo.svg")));
                g.insert("generator".into(), json!("MediaWiki 1.39.17"));
                g.insert("phpversion".into(), json!("8.2.0"));
                g.insert("phpsapi".into(), json!("mwupload"));
                g.insert("dbtype".into(), json!("sqlite"));
                g.insert("dbversion".into(), json!("3"));
                call.ctx.put_bool(&mut g, "imagewhitelistenabled", false);
                call.ctx.put_bool(&mut g, "langconversion", true);
                call.ctx.put_bool(&mut g, "linkconversion", true);
                call.ctx.put_bool(&mut g, "titleconversion", true);
                g.insert("linkprefixcharset".into(), json!(""));
                g.insert("linkprefix".into(), json!(""));
                g.insert("linktrail".into(), json!("/^([a-z]+)(.*)$/sD"));
                g.insert(
                    "legaltitlechars".into(),
                    json!(" %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+"),
                );
                g.insert("invalidusernamechars".into(), json!("@:>"));
                call.ctx.put_bool(&mut g, "allunicodefixes", false);
                call.ctx.put_bool(&mut g, "fixarabicunicode", true);
                call.ctx.put_bool(&mut g, "fixmalayalamunicode", true);
                g.insert("case".into(), json!("first-letter"));
                g.insert("lang".into(), json!("en"));
                g.insert("fallback".into(), json!([]));
                call.ctx.put_bool(&mut g, "rtl", false);
                g.insert("fallback8bitEncoding".into(), json!("windows-1252"));
                call.ctx.put_bool(&mut g, "readonly", false);
                call.ctx.put_bool(&mut g, "writeapi", true);
                g.insert("maxarticlesize".into(), json!(2097152));
                g.insert("timezone".into(), json!("UTC"));
                g.insert("timeoffset".into(), json!(0));
                g.insert("articlepath".into(), json!(format!("{sp}/index.php?title=$1")));
                g.insert("scriptpath".into(), json!(sp));
                g.insert("script".into(), json!(format!("{sp}/index.php")));
                call.ctx.put_bool(&mut g, "variantarticlepath", false);
                g.insert("server".into(), json!(base));
                g.insert("servername".into(), json!(host));
                g.insert("wikiid".into(), json!("mwupload"));
                g.insert(
                    "time".into(),
                    json!(mwupload_store::time::ts_to_iso(&mwupload_store::time::now_ts())),
                );
                call.ctx.put_bool(&mut g, "misermode", false);
                call.ctx.put_bool(&mut g, "uploadsenabled", cfg.uploads.enabled);
                g.insert("maxuploadsize".into(), json!(cfg.uploads.max_upload_size));
                g.insert("minuploadchunksize".into(), json!(cfg.uploads.min_chunk_size));
                g.insert(
                    "galleryoptions".into(),
                    json!({"imagesPerRow":0,"imageWidth":120,"imageHeight":120,"captionLength":call.ctx.true_value(),"showBytes":call.ctx.true_value(),"showDimensions":call.ctx.true_value(),"mode":"traditional"}),
                );
                // fv2 must give objects here (pywikibot calls .values()/.items()).
                let thumbs = [120, 150, 180, 200, 250, 300];
                let images = [(320, 240), (640, 480), (800, 600), (1024, 768), (1280, 1024), (2560, 2048)];
                if fv2 {
                    let t: Map<String, Value> = thumbs.iter().enumerate().map(|(i, v)| (i.to_string(), json!(v))).collect();
                    let im: Map<String, Value> = images
                        .iter()
                        .enumerate()
                        .map(|(i, (w, h))| (i.to_string(), json!({"width": w, "height": h})))
                        .collect();
                    g.insert("thumblimits".into(), Value::Object(t));
                    g.insert("imagelimits".into(), Value::Object(im));
                    g.insert("magiclinks".into(), json!({"ISBN": false, "PMID": false, "RFC": false}));
                } else {
                    g.insert("thumblimits".into(), json!(thumbs));
                    g.insert(
                        "imagelimits".into(),
                        Value::Array(images.iter().map(|(w, h)| json!({"width": w, "height": h})).collect()),
                    );
                    g.insert("magiclinks".into(), json!([]));
                }
                g.insert("favicon".into(), json!(format!("{base}/favicon.ico")));
                g.insert("centralidlookupprovider".into(), json!("local"));
                g.insert("allcentralidlookupproviders".into(), json!(["local"]));
                call.ctx.put_bool(&mut g, "interwikimagic", true);
                g.insert("categorycollation".into(), json!("uppercase"));
                call.ctx.put_bool(&mut g, "nofollowlinks", true);
                g.insert("nofollownsexceptions".into(), json!([]));
                g.insert("nofollowdomainexceptions".into(), json!(["mediawiki.org"]));
                call.ctx.put_bool(&mut g, "externallinktarget", false);
                query.insert("general".into(), Value::Object(g));
            }
            "namespaces" => {
                let mut ns = Map::new();
                for (id, name) in canonical_namespaces() {
                    let id = &id;
                    let mut e = Map::new();
                    e.insert("id".into(), json!(id));
                    e.insert("case".into(), json!("first-letter"));
                    let display = if *id == 4 {
                        call.state.config.sitename.clone()
                    } else if *id == 5 {
                        format!("{} talk", call.state.config.sitename)
                    } else {
                        name.to_string()
                    };
                    e.insert(call.ctx.content_key("name").into(), json!(display));
                    call.ctx.put_bool(
                        &mut e,
                        "subpages",
                        matches!(id, 1 | 2 | 3 | 4 | 5 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 15),
                    );
                    if *id != 0 {
                        e.insert("canonical".into(), json!(name));
                    }
                    call.ctx.put_bool(&mut e, "content", *id == 0);
                    call.ctx.put_bool(&mut e, "nonincludable", false);
                    if *id == 8 {
                        // $wgNamespaceProtection[NS_MEDIAWIKI]
                        e.insert("namespaceprotection".into(), json!("editinterface"));
                    }
                    ns.insert(id.to_string(), Value::Object(e));
                }
                query.insert("namespaces".into(), Value::Object(ns));
            }
            "namespacealiases" => {
                let key = call.ctx.content_key("alias");
                query.insert(
                    "namespacealiases".into(),
                    json!([{ "id": 6, key: "Image" }, { "id": 7, key: "Image talk" }]),
                );
            }
            "fileextensions" => {
                let mut seen: Vec<String> = Vec::new();
                for e in &cfg.uploads.file_extensions {
                    let e = e.to_lowercase();
                    if !seen.contains(&e) {
                        seen.push(e);
                    }
                }
                query.insert(
                    "fileextensions".into(),
                    Value::Array(seen.into_iter().map(|e| json!({"ext": e})).collect()),
                );
            }
            "extensions" | "skins" | "libraries" | "showhooks" | "protocols" | "functionhooks" | "extensiontags" | "variables"
            | "languages" | "languagevariants" | "specialpagealiases" | "magicwords" | "defaultoptions" | "uploaddialog"
            | "interwikimap" | "dbrepllag" | "rightsinfo" => {
                let v = match prop.as_str() {
                    "dbrepllag" => json!([{"host": crate::envelope::hostname(), "lag": 0}]),
                    "rightsinfo" => json!({"url": "", "text": ""}),
                    "defaultoptions" | "uploaddialog" => json!({}),
                    "specialpagealiases" => crate::special_pages::ALIASES.clone(),
                    _ => json!([]),
                };
                query.insert(prop.clone(), v);
            }
            "statistics" => {
                query.insert(
                    "statistics".into(),
                    json!({"pages":0,"articles":0,"edits":0,"images":0,"users":1,"activeusers":0,"admins":1,"jobs":0}),
                );
            }
            "usergroups" => {
                let groups: Vec<Value> = call
                    .state
                    .permissions
                    .iter()
                    .map(|(g, r)| json!({"name": g, "rights": r}))
                    .collect();
                query.insert("usergroups".into(), Value::Array(groups));
            }
            "restrictions" => {
                query.insert(
                    "restrictions".into(),
                    json!({"types":["create","edit","move","upload"],"levels":["","autoconfirmed","sysop"],"cascadinglevels":["sysop"],"semiprotectedlevels":["autoconfirmed"]}),
                );
            }
            // Valid MediaWiki sections this server has no data for are left out.
            _ => {}
        }
    }
    Ok(())
}

pub static SITEINFO: ModuleSpec = ModuleSpec {
    path: "query+siteinfo",
    class: "ApiQuerySiteinfo",
    group: Some(Group::Meta),
    prefix: "si",
    read_rights: true,
    help: "Site information: general (maxuploadsize, minuploadchunksize…), namespaces, fileextensions…",
    params: &[
        param(
            "prop",
            Type::Enum(&[
                "dbrepllag",
                "defaultoptions",
                "extensions",
                "extensiontags",
                "fileextensions",
                "functionhooks",
                "general",
                "interwikimap",
                "languages",
                "languagevariants",
                "libraries",
                "magicwords",
                "namespacealiases",
                "namespaces",
                "protocols",
                "restrictions",
                "rightsinfo",
                "showhooks",
                "skins",
                "specialpagealiases",
                "statistics",
                "uploaddialog",
                "usergroups",
                "variables",
            ]),
        )
        .default("general")
        .multi(),
        param("showalldb", Type::Boolean).inert(),
        param("numberingroup", Type::Boolean).inert(),
        param("inlanguagecode", Type::String).inert(),
    ],
    ..ModuleSpec::BASE
};
