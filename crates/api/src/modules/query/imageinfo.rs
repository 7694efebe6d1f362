//! `prop=imageinfo`: file information, current and old versions.

use super::pageset::Page;
use super::*;

/// prop=imageinfo for one request.
pub(super) struct ImageInfo {
    props: Vec<String>,
    limit: i64,
    start: Option<String>,
    end: Option<String>,
    /// imageinfo continues into older versions only when the set holds exactly one file page,
    /// so counting stops at two.
    existing_file_pages: usize,
}

impl ImageInfo {
    pub(super) async fn prepare(call: &mut Call<'_>, titles: &[String], limits: &mut Map<String, Value>) -> ApiResult<ImageInfo> {
        let v = call.validate(&IMAGEINFO)?;
        let mut existing_file_pages = 0;
        for raw in titles {
            if let Some(t) = parse_title(raw).filter(|t| t.ns == 6)
                && call.state.meta.page(6, &t.db_key).await?.is_some()
            {
                existing_file_pages += 1;
                if existing_file_pages > 1 {
                    break;
                }
            }
        }
        Ok(ImageInfo {
            props: v.list("prop").to_vec(),
            limit: limit_of(call, &IMAGEINFO, &v, limits),
            start: v.str("start").map(String::from),
            end: v.str("end").map(String::from),
            existing_file_pages,
        })
    }

    pub(super) async fn add(&self, call: &Call<'_>, p: &Page<'_>, m: &mut Map<String, Value>, cont: &mut Continuation) -> ApiResult<()> {
        let t = p.title;
        if t.ns != 6 {
            return Ok(());
        }
        let Some(cur) = call.state.meta.current_file(&t.db_key).await? else {
            m.insert("imagerepository".into(), json!(""));
            return Ok(());
        };
        m.insert("imagerepository".into(), json!("local"));
        let mut versions: Vec<FileVersion> = vec![cur];
        versions.extend(call.state.meta.old_versions(&t.db_key).await?);
        let selected: Vec<&FileVersion> = versions
            .iter()
            .filter(|v| self.start.as_ref().map(|s| v.timestamp <= *s).unwrap_or(true))
            .filter(|v| self.end.as_ref().map(|e| v.timestamp >= *e).unwrap_or(true))
            .collect();
        let mut list = Vec::new();
        for (i, v) in selected.iter().enumerate() {
            if i as i64 >= self.limit {
                // Older versions continue only when one file is asked for.
                if self.existing_file_pages == 1 {
                    cont.set("imageinfo", "iistart", mwupload_store::time::ts_to_iso(&v.timestamp));
                }
                break;
            }
            let pid = p.page.map(|p| p.id);
            list.push(Value::Object(crate::imageinfo::for_version(&call.ctx, v, &self.props, pid)));
        }
        m.insert("imageinfo".into(), Value::Array(list));
        Ok(())
    }
}

pub static IMAGEINFO: ModuleSpec = ModuleSpec {
    path: "query+imageinfo",
    class: "ApiQueryImageInfo",
    group: Some(Group::Prop),
    prefix: "ii",
    read_rights: true,
    help: "File information and upload history: sha1, size, dimensions, mime, url, metadata…",
    params: &[
        param(
            "prop",
            Type::Enum(&[
                "archivename",
                "badfile",
                "bitdepth",
                "canonicaltitle",
                "comment",
                "commonmetadata",
                "dimensions",
                "extmetadata",
                "mediatype",
                "metadata",
                "mime",
                "parsedcomment",
                "sha1",
                "size",
                "thumbmime",
                "timestamp",
                "uploadwarning",
                "url",
                "user",
                "userid",
            ]),
        )
        .default("timestamp|user")
        .multi(),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("1"),
        param("start", Type::Timestamp),
        param("end", Type::Timestamp),
        param("urlwidth", Type::Integer { min: None, max: None }).default("-1").inert(),
        param("urlheight", Type::Integer { min: None, max: None }).default("-1").inert(),
        param("metadataversion", Type::String).default("1").inert(),
        param("extmetadatalanguage", Type::String).default("en").inert(),
        param("extmetadatamultilang", Type::Boolean).inert(),
        param("extmetadatafilter", Type::String).multi().inert(),
        param("urlparam", Type::String).default("").inert(),
        param("badfilecontexttitle", Type::String).inert(),
        param("continue", Type::String).inert(),
        param("localonly", Type::Boolean).inert(),
    ],
    ..ModuleSpec::BASE
};
