//! `prop=imageinfo`: file information, current and old versions.

use super::pageset::Page;
use super::*;
use crate::imageinfo::ThumbHome;
use mwupload_core::thumbs;
use mwupload_thumb::{SourceFile, ThumbParams, UrlParamError, UrlParamWarning, UrlRequest};

/// `ApiQueryImageInfo::mergeThumbParams()` for `file` (its current version): the parameters
/// every version is transformed with, `None` when no thumbnail was asked for. Its warnings go to
/// `module`; its errors end the request.
pub(super) fn merge_url_params(
    call: &mut Call<'_>,
    module: &str,
    prefix: &str,
    file: &SourceFile<'_>,
    req: &UrlRequest<'_>,
) -> ApiResult<Option<ThumbParams>> {
    let cfg = &call.state.thumbs.config;
    let path = format!("query+{module}");
    let (params, warnings, error) = match mwupload_thumb::merge_thumb_params(file, cfg, req) {
        Ok(None) => return Ok(None),
        Ok(Some(merged)) => (Some(merged.params), merged.warnings, None),
        Err(failure) => (None, failure.warnings, Some(failure.error)),
    };
    for w in &warnings {
        let text = w.text(prefix);
        match w {
            UrlParamWarning::NoImageHandler { .. } => call.ctx.warn(module, "nothumb-noimagehandler", text),
            UrlParamWarning::BadUrlParam { .. } => call.ctx.warn(module, "badurlparam", text),
            UrlParamWarning::UrlParamWidth { .. } => call.ctx.warn(module, "urlparamwidth", text),
        }
    }
    match error {
        None => Ok(params),
        Some(e) => {
            let info = e.info(prefix);
            Err(match e {
                UrlParamError::InvalidUrlParam { .. } => ApiError::new("invalidurlparam", info),
                UrlParamError::UrlParamNormal { .. } => ApiError::new("urlparamnormal", info),
            }
            .module(&path))
        }
    }
}

/// prop=imageinfo for one request.
pub(super) struct ImageInfo {
    props: Vec<String>,
    limit: i64,
    start: Option<String>,
    end: Option<String>,
    /// imageinfo continues into older versions only when the set holds exactly one file page,
    /// so counting stops at two.
    existing_file_pages: usize,
    /// `iiurlwidth`, `iiurlheight`, `iiurlparam`.
    url_width: i64,
    url_height: i64,
    url_param: String,
    /// `iilocalonly`: shared repositories are not asked.
    local_only: bool,
    /// `iimetadataversion`: JPEG and TIFF metadata is flattened for version 1.
    metadata_version: String,
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
            url_width: v.int("urlwidth").unwrap_or(-1),
            url_height: v.int("urlheight").unwrap_or(-1),
            url_param: v.str("urlparam").unwrap_or("").to_string(),
            local_only: v.flag("localonly"),
            metadata_version: v.str("metadataversion").unwrap_or("1").to_string(),
        })
    }

    pub(super) async fn add(
        &self,
        call: &mut Call<'_>,
        p: &Page<'_>,
        m: &mut Map<String, Value>,
        cont: &mut Continuation,
    ) -> ApiResult<()> {
        let t = p.title;
        if t.ns != 6 {
            return Ok(());
        }
        let Some(cur) = call.state.meta.current_file(&t.db_key).await? else {
            // `RepoGroup::findFiles`: not here, perhaps in a shared repository (unless
            // `iilocalonly`).
            let shared = match self.local_only || call.state.foreign.is_empty() {
                true => None,
                false => call.state.foreign.find_file(&t.db_key).await,
            };
            let Some(f) = shared else {
                m.insert("imagerepository".into(), json!(""));
                return Ok(());
            };
            m.insert("imagerepository".into(), json!(f.repo));
            // A foreign file has no history here (`File::getHistory`): its one version, if
            // it is within `iistart`/`iiend`.
            let ts = f.timestamp().and_then(mwupload_store::time::parse_any_ts).unwrap_or_default();
            let in_range = self.start.as_ref().map(|s| ts <= *s).unwrap_or(true) && self.end.as_ref().map(|e| ts >= *e).unwrap_or(true);
            let mut list = Vec::new();
            if in_range && self.limit > 0 {
                let api = call
                    .state
                    .foreign
                    .configs()
                    .iter()
                    .find(|r| r.name == f.repo)
                    .map(|r| r.api.clone())
                    .unwrap_or_default();
                let script_dir = crate::imageinfo::script_dir_of_api(&api);
                if self.props.iter().any(|p| p == "parsedcomment") {
                    let comment = f.comment().unwrap_or("");
                    call.ctx
                        .comment_links
                        .resolve(call.state, [(comment, Some((6, f.name.as_str())))])
                        .await?;
                }
                let mut info = crate::imageinfo::for_foreign(&call.ctx, &f, &self.props, &script_dir);
                // ForeignAPIFile::transform: the remote renders; its thumbnail fields go
                // before `url`.
                let asked = self.url_width != -1 || self.url_height != -1 || !self.url_param.is_empty();
                if asked && self.props.iter().any(|p| p == "url") {
                    let remote = call
                        .state
                        .foreign
                        .thumb_info(&f.repo, &f.name, self.url_width, self.url_height, &self.url_param)
                        .await;
                    if let Some(remote) = remote {
                        let mut with_thumb = Map::new();
                        for (k, v) in info {
                            if k == "url" {
                                for t in ["thumburl", "thumbwidth", "thumbheight", "responsiveUrls", "thumberror"] {
                                    if let Some(x) = remote.get(t) {
                                        with_thumb.insert(t.into(), x.clone());
                                    }
                                }
                            }
                            with_thumb.insert(k, v);
                        }
                        info = with_thumb;
                    }
                }
                list.push(Value::Object(info));
            }
            m.insert("imageinfo".into(), Value::Array(list));
            return Ok(());
        };
        m.insert("imagerepository".into(), json!("local"));
        // ApiQueryImageInfo puts `badfile` on the page ($wgBadImages' list is empty here).
        if self.props.iter().any(|p| p == "badfile") {
            call.ctx.put_bool(m, "badfile", false);
        }
        let mut versions: Vec<FileVersion> = vec![cur];
        versions.extend(call.state.meta.old_versions(&t.db_key).await?);
        let selected: Vec<&FileVersion> = versions
            .iter()
            .filter(|v| self.start.as_ref().map(|s| v.timestamp <= *s).unwrap_or(true))
            .filter(|v| self.end.as_ref().map(|e| v.timestamp >= *e).unwrap_or(true))
            .collect();
        // mergeThumbParams(): once per file, with its current version; its failure ends the
        // request.
        let asked = self.url_width != -1 || self.url_height != -1 || !self.url_param.is_empty();
        let thumb_params = if !asked {
            None
        } else {
            let cur = &versions[0];
            let facts = thumbs::facts_of(call.state, &cur.blob_key, &cur.mime, &cur.metadata).await;
            let file = thumbs::source_of(&cur.name, cur, facts);
            let req = UrlRequest {
                width: self.url_width,
                height: self.url_height,
                param: &self.url_param,
            };
            merge_url_params(call, "imageinfo", "ii", &file, &req)?
        };
        if self.props.iter().any(|p| p == "parsedcomment") {
            let shown = selected.iter().take(self.limit.max(0) as usize);
            let comments = shown.map(|v| (v.description.as_str(), Some((6, v.name.as_str()))));
            call.ctx.comment_links.resolve(call.state, comments).await?;
        }
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
            let facts = match &thumb_params {
                Some(_) if self.props.iter().any(|p| p == "url") => {
                    Some(thumbs::facts_of(call.state, &v.blob_key, &v.mime, &v.metadata).await)
                }
                _ => None,
            };
            let thumb = thumb_params.as_ref().zip(facts).map(|(params, facts)| {
                let file = thumbs::source_of(&v.name, v, facts);
                let home = ThumbHome::Published {
                    name: &v.name,
                    archive_name: v.archive_name.as_deref(),
                };
                let want_mime = self.props.iter().any(|p| p == "thumbmime");
                crate::imageinfo::thumb_fields(
                    &call.ctx,
                    &call.state.config.script_path,
                    &home,
                    &file,
                    &call.state.thumbs.config,
                    params,
                    want_mime,
                )
            });
            let mut info = crate::imageinfo::for_version_with_thumb(&call.ctx, v, &self.props, pid, thumb);
            if let Some(meta) = info.get_mut("metadata") {
                *meta = crate::imageinfo::convert_metadata_version(&v.mime, meta, &self.metadata_version);
            }
            list.push(Value::Object(info));
        }
        // No version in the iistart/iiend window: MediaWiki adds no `imageinfo` at all.
        if !list.is_empty() {
            m.insert("imageinfo".into(), Value::Array(list));
        }
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
        param("urlwidth", Type::Integer { min: None, max: None }).default("-1"),
        param("urlheight", Type::Integer { min: None, max: None }).default("-1"),
        param("metadataversion", Type::String).default("1"),
        param("extmetadatalanguage", Type::String).default("en").inert(),
        param("extmetadatamultilang", Type::Boolean).inert(),
        param("extmetadatafilter", Type::String).multi().inert(),
        param("urlparam", Type::String).default(""),
        param("badfilecontexttitle", Type::String).inert(),
        param("continue", Type::String).inert(),
        param("localonly", Type::Boolean),
    ],
    ..ModuleSpec::BASE
};
