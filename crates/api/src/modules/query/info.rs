//! `prop=info`: page information.

use super::pageset::Page;
use super::*;

/// prop=info for one request: which `inprop`s were asked for.
pub(super) struct Info {
    props: Vec<String>,
}

impl Info {
    pub(super) fn prepare(call: &mut Call<'_>) -> ApiResult<Info> {
        let v = call.validate(&INFO)?;
        Ok(Info {
            props: v.list("prop").to_vec(),
        })
    }

    pub(super) async fn add(&self, call: &Call<'_>, p: &Page<'_>, m: &mut Map<String, Value>) -> ApiResult<()> {
        let has = |x: &str| self.props.iter().any(|y| y == x);
        let t = p.title;
        m.insert("contentmodel".into(), json!("wikitext"));
        m.insert("pagelanguage".into(), json!("en"));
        m.insert("pagelanguagehtmlcode".into(), json!("en"));
        m.insert("pagelanguagedir".into(), json!("ltr"));
        if let (Some(pg), Some(rev)) = (p.page, p.latest) {
            m.insert("touched".into(), json!(mwupload_store::time::ts_to_iso(&pg.touched)));
            m.insert("lastrevid".into(), json!(rev.id));
            m.insert("length".into(), json!(rev.text.len()));
            if rev.parent_id == 0 {
                // Only one revision so far.
                m.insert("new".into(), call.ctx.true_value());
            }
        }
        if has("protection") {
            let exists = p.page.is_some();
            let restrictions = call
                .state
                .meta
                .restrictions(t.ns, &t.db_key, &mwupload_store::time::now_ts())
                .await?;
            let list: Vec<Value> = restrictions
                .iter()
                .filter(|r| (r.kind == "create") != exists)
                .map(|r| {
                    let mut e = Map::new();
                    e.insert("type".into(), json!(r.kind));
                    e.insert("level".into(), json!(r.level));
                    e.insert("expiry".into(), json!(mwupload_core::access::iso_or(&r.expiry, "infinity")));
                    if r.cascade {
                        call.ctx.put_bool(&mut e, "cascade", true);
                    }
                    Value::Object(e)
                })
                .collect();
            m.insert("protection".into(), Value::Array(list));
            m.insert(
                "restrictiontypes".into(),
                json!(mwupload_core::access::restriction_types(t.ns, exists)),
            );
        }
        if has("watched") && call.caller.is_logged_in() {
            let w = call.state.meta.is_watched(call.caller.user_id(), t.ns, &t.db_key).await?;
            call.ctx.put_bool(m, "watched", w);
        }
        if has("url") {
            let url = format!(
                "{}/w/index.php?title={}",
                call.ctx.base_url,
                crate::imageinfo::title_url_encode(&p.display.replace(' ', "_"))
            );
            m.insert("fullurl".into(), json!(url));
            m.insert("editurl".into(), json!(format!("{url}&action=edit")));
            m.insert("canonicalurl".into(), json!(url));
        }
        // No {{DISPLAYTITLE}} here: the title, htmlspecialchars(…, ENT_NOQUOTES).
        if has("displaytitle") {
            let d = p.display.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            m.insert("displaytitle".into(), json!(d));
        }
        Ok(())
    }
}

pub static INFO: ModuleSpec = ModuleSpec {
    path: "query+info",
    class: "ApiQueryInfo",
    group: Some(Group::Prop),
    prefix: "in",
    read_rights: true,
    help: "Basic page information (existence, protection, watched, URLs).",
    params: &[param(
        "prop",
        Type::Enum(&[
            "associatedpage",
            "displaytitle",
            "linkclasses",
            "notificationtimestamp",
            "preload",
            "protection",
            "subjectid",
            "talkid",
            "url",
            "varianttitles",
            "visitingwatchers",
            "watched",
            "watchers",
            "readable",
        ]),
    )
    .multi()
    .deprecated_values(&["readable"])],
    ..ModuleSpec::BASE
};
