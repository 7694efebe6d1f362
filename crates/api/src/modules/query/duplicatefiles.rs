//! `prop=duplicatefiles`: other files with the same content.

use super::pageset::Page;
use super::*;

/// A file with the same content, local or shared.
struct Dup {
    name: String,
    /// ISO 8601.
    timestamp: String,
    shared: bool,
    user: Option<String>,
}

/// prop=duplicatefiles for one request.
pub(super) struct DuplicateFiles {
    values: Values,
    limit: i64,
}

impl DuplicateFiles {
    pub(super) fn prepare(call: &mut Call<'_>, limits: &mut Map<String, Value>) -> ApiResult<DuplicateFiles> {
        let values = call.validate(&DUPLICATEFILES)?;
        let limit = limit_of(call, &DUPLICATEFILES, &values, limits);
        Ok(DuplicateFiles { values, limit })
    }

    pub(super) async fn add(&self, call: &Call<'_>, p: &Page<'_>, m: &mut Map<String, Value>, cont: &mut Continuation) -> ApiResult<()> {
        let t = p.title;
        if t.ns != 6 {
            return Ok(());
        }
        let Some(mut names) = duplicates(call, &t.db_key, self.values.flag("localonly")).await? else {
            return Ok(());
        };
        let df = &self.values;
        // dfcontinue is "Title|Name": resume this page after that duplicate.
        let after = df
            .str("continue")
            .and_then(|c| c.split_once('|'))
            .filter(|(page, _)| *page == t.db_key)
            .map(|(_, name)| name.to_string());
        let descending = df.str("dir") == Some("descending");
        if descending {
            names.reverse();
        }
        let mut dupes = Vec::new();
        for other in names.iter().filter(|o| match &after {
            Some(a) if descending => o.name < *a,
            Some(a) => o.name > *a,
            None => true,
        }) {
            if dupes.len() as i64 >= self.limit {
                if let Some(Value::Object(last)) = dupes.last()
                    && let Some(name) = last.get("name").and_then(Value::as_str)
                {
                    cont.set("duplicatefiles", "dfcontinue", format!("{}|{}", t.db_key, name));
                }
                break;
            }
            let mut d = Map::new();
            d.insert("name".into(), json!(other.name));
            d.insert("timestamp".into(), json!(other.timestamp));
            call.ctx.put_bool(&mut d, "shared", other.shared);
            if let Some(u) = &other.user {
                d.insert("user".into(), json!(u));
            }
            dupes.push(Value::Object(d));
        }
        if !dupes.is_empty() {
            m.insert("duplicatefiles".into(), Value::Array(dupes));
        }
        Ok(())
    }
}

/// The files with the same content as the file `db_key` (`RepoGroup::findBySha1s`, sorted by
/// name as `File::compare` does): local files but this one, then shared ones (this one
/// included when it is shared: MediaWiki leaves out only the local file itself). None when
/// there is no such file.
async fn duplicates(call: &Call<'_>, db_key: &str, local_only: bool) -> ApiResult<Option<Vec<Dup>>> {
    let shared_too = !local_only && !call.state.foreign.is_empty();
    // `RepoGroup::findFiles`: the local file, else a shared repository's.
    let sha1 = match call.state.meta.current_file(db_key).await? {
        Some(cur) => cur.sha1,
        None if shared_too => match call.state.foreign.find_file(db_key).await.and_then(|f| f.sha1()) {
            Some(sha1) => sha1,
            None => return Ok(None),
        },
        None => return Ok(None),
    };
    let mut names: Vec<Dup> = call
        .state
        .meta
        .list_files_by_sha1(&sha1, 5001)
        .await?
        .into_iter()
        .filter(|o| o.name != db_key)
        .map(|o| Dup {
            name: o.name,
            timestamp: mwupload_store::time::ts_to_iso(&o.timestamp),
            shared: false,
            user: Some(o.user_name),
        })
        .collect();
    if shared_too {
        for f in call.state.foreign.find_by_sha1(&sha1).await {
            names.push(Dup {
                name: f.name.clone(),
                timestamp: f.timestamp().unwrap_or("").to_string(),
                shared: true,
                user: f.user(),
            });
        }
    }
    names.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Some(names))
}

/// `generator=duplicatefiles` (ApiQueryDuplicateFiles::run with a result page set): the
/// duplicates of the page set's files, file by file (in the order given, reversed for
/// `gdfdir=descending`), as titles. `gdfcontinue` is "file|duplicate", the first one not
/// handed out; MediaWiki skips the duplicates named before it (by name, in either direction).
pub(super) async fn generate_duplicate_files(
    call: &mut Call<'_>,
    titles: &[String],
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<Vec<String>> {
    let v = call.validate_prefixed(&DUPLICATEFILES, "gdf")?;
    let limit = limit_of(call, &DUPLICATEFILES, &v, limits);
    let descending = v.str("dir") == Some("descending");
    let mut images: Vec<String> = Vec::new();
    for raw in titles {
        if let Some(t) = mwupload_core::title::page_title(raw)
            && t.ns == 6
            && !images.contains(&t.db_key)
        {
            images.push(t.db_key);
        }
    }
    if descending {
        images.reverse();
    }
    let mut skip_until: Option<String> = None;
    if let Some(c) = v.str("continue") {
        let Some((from_image, dup)) = c.split_once('|').filter(|(_, d)| !d.contains('|')) else {
            return Err(ApiError::badcontinue("query+duplicatefiles"));
        };
        let first = images.iter().position(|i| i.as_str() >= from_image).unwrap_or(images.len());
        images.drain(..first);
        skip_until = Some(dup.to_string());
    }
    let local_only = v.flag("localonly");
    let mut out = Vec::new();
    let mut count = 0;
    'files: for image in &images {
        let Some(mut dups) = duplicates(call, image, local_only).await? else {
            continue;
        };
        if descending {
            dups.reverse();
        }
        for d in dups {
            if skip_until.as_ref().is_some_and(|s| d.name < *s) {
                continue;
            }
            skip_until = None;
            count += 1;
            if count > limit {
                cont.set_generator("gdfcontinue", format!("{image}|{}", d.name));
                break 'files;
            }
            out.push((6, d.name));
        }
    }
    Ok(distinct_titles(out))
}

pub static DUPLICATEFILES: ModuleSpec = ModuleSpec {
    path: "query+duplicatefiles",
    class: "ApiQueryDuplicateFiles",
    group: Some(Group::Prop),
    prefix: "df",
    read_rights: true,
    generator: true,
    help: "Files with the same SHA-1 as the given files.",
    params: &[
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("continue", Type::String),
        param("dir", Type::Enum(&["ascending", "descending"])).default("ascending"),
        param("localonly", Type::Boolean),
    ],
    ..ModuleSpec::BASE
};
