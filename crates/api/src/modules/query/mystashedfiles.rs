//! `list=mystashedfiles`: the caller's stash (how upload tools find the offset of a chunked
//! upload whose last answer they lost).

use super::*;

pub(super) async fn my_stashed_files(
    call: &mut Call<'_>,
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    let module = "query+mystashedfiles";
    if !call.caller.is_logged_in() {
        return Err(ApiError::new("stashnotloggedin", "The upload stash is only available to logged-in users.").module(module));
    }
    let v = call.validate(&MYSTASHEDFILES)?;
    let limit = limit_of(call, &MYSTASHEDFILES, &v, limits);
    let from = match v.str("continue") {
        None => 0,
        // One integer, written exactly as PHP's strval would write it.
        Some(c) => match c.parse::<i64>() {
            Ok(n) if n.to_string() == c => n,
            _ => return Err(ApiError::badcontinue(module)),
        },
    };
    let props = v.list("prop").to_vec();
    let has = |p: &str| props.iter().any(|x| x == p);
    let mut rows = call.state.meta.user_stash(call.caller.user_id(), from, limit + 1).await?;
    if rows.len() as i64 > limit
        && let Some((id, _)) = rows.pop()
    {
        cont.set("mystashedfiles", "msfcontinue", id.to_string());
    }
    let list: Vec<Value> = rows
        .into_iter()
        .map(|(_, row)| {
            let mut item = Map::new();
            item.insert("filekey".into(), json!(row.key));
            item.insert("status".into(), json!(row.state.as_str()));
            if has("size") {
                item.insert("size".into(), json!(row.size));
                item.insert("width".into(), json!(row.width));
                item.insert("height".into(), json!(row.height));
                item.insert("bits".into(), json!(row.bits));
            }
            if has("type") {
                item.insert("mimetype".into(), json!(row.mime));
                item.insert("mediatype".into(), json!(row.media_type));
            }
            Value::Object(item)
        })
        .collect();
    query.insert("mystashedfiles".into(), Value::Array(list));
    Ok(())
}

pub static MYSTASHEDFILES: ModuleSpec = ModuleSpec {
    path: "query+mystashedfiles",
    class: "ApiQueryMyStashedFiles",
    group: Some(Group::List),
    prefix: "msf",
    read_rights: true,
    help: "Your own stashed uploads, finished files and chunked uploads in progress.",
    params: &[
        param("prop", Type::Enum(&["size", "type"])).multi().default(""),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("continue", Type::String),
    ],
    ..ModuleSpec::BASE
};
