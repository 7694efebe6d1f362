//! `prop=stashimageinfo`: the caller's stashed files.

use super::*;
use crate::imageinfo::ThumbHome;
use mwupload_core::thumbs;
use mwupload_thumb::UrlRequest;

pub(super) async fn stash_image_info(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    if !call.caller.is_logged_in() {
        return Err(ApiError::new("notloggedin", "The upload stash is only available to logged-in users.").module("query+stashimageinfo"));
    }
    let v = call.validate(&STASHIMAGEINFO)?;
    let mut keys = v.list("filekey").to_vec();
    keys.extend(v.list("sessionkey").iter().cloned());
    let props = v.list("prop").to_vec();
    let url_width = v.int("urlwidth").unwrap_or(-1);
    let url_height = v.int("urlheight").unwrap_or(-1);
    let url_param = v.str("urlparam").unwrap_or("").to_string();
    let want_mime = props.iter().any(|p| p == "thumbmime");
    let mut list = Vec::new();
    for key in keys {
        let row = mwupload_core::upload::stash::load_owned(call.state, &call.caller, &key)
            .await
            .map_err(|e| crate::upload_wire::error(call.state, &e).module("query+stashimageinfo"))?;
        let facts = thumbs::facts_of(call.state, &row.blob_key, &row.mime, &row.metadata).await;
        let file = thumbs::stash_source_of(&row, facts);
        let req = UrlRequest {
            width: url_width,
            height: url_height,
            param: &url_param,
        };
        let params = super::imageinfo::merge_url_params(call, "stashimageinfo", "sii", &file, &req)?;
        let thumb = params.map(|params| {
            crate::imageinfo::thumb_fields(
                &call.ctx,
                &call.state.config.script_path,
                &ThumbHome::Stash { key: &row.key },
                &file,
                &call.state.thumbs.config,
                &params,
                want_mime,
            )
        });
        list.push(Value::Object(crate::imageinfo::for_stash_with_thumb(
            &call.ctx, &row, &props, thumb,
        )));
    }
    query.insert("stashimageinfo".into(), Value::Array(list));
    Ok(())
}

pub static STASHIMAGEINFO: ModuleSpec = ModuleSpec {
    path: "query+stashimageinfo",
    class: "ApiQueryStashImageInfo",
    group: Some(Group::Prop),
    prefix: "sii",
    read_rights: true,
    help: "Information about stashed files (your own only).",
    params: &[
        param("filekey", Type::String).multi(),
        param("sessionkey", Type::String).multi().deprecated(),
        param(
            "prop",
            Type::Enum(&[
                "badfile",
                "bitdepth",
                "canonicaltitle",
                "commonmetadata",
                "dimensions",
                "extmetadata",
                "metadata",
                "mime",
                "sha1",
                "size",
                "thumbmime",
                "timestamp",
                "url",
            ]),
        )
        .default("timestamp|url")
        .multi(),
        param("urlwidth", Type::Integer { min: None, max: None }).default("-1"),
        param("urlheight", Type::Integer { min: None, max: None }).default("-1"),
        param("urlparam", Type::String).default(""),
    ],
    ..ModuleSpec::BASE
};
