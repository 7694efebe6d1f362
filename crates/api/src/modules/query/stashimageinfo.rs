//! `prop=stashimageinfo`: the caller's stashed files.

use super::*;

pub(super) async fn stash_image_info(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    if !call.caller.is_logged_in() {
        return Err(ApiError::new("notloggedin", "You must be logged in to access the upload stash.").module("query+stashimageinfo"));
    }
    let v = call.validate(&STASHIMAGEINFO)?;
    let mut keys = v.list("filekey").to_vec();
    keys.extend(v.list("sessionkey").iter().cloned());
    let props = v.list("prop").to_vec();
    let mut list = Vec::new();
    for key in keys {
        let row = mwupload_core::upload::stash::load_owned(call.state, &call.caller, &key)
            .await
            .map_err(|e| crate::upload_wire::error(call.state, &e).module("query+stashimageinfo"))?;
        list.push(Value::Object(crate::imageinfo::for_stash(&call.ctx, &row, &props)));
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
        param("urlwidth", Type::Integer { min: None, max: None }).default("-1").inert(),
        param("urlheight", Type::Integer { min: None, max: None }).default("-1").inert(),
        param("urlparam", Type::String).default("").inert(),
    ],
    ..ModuleSpec::BASE
};
