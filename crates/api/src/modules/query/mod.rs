//! `action=query`: meta (tokens, userinfo, siteinfo), prop (info, imageinfo, revisions,
//! stashimageinfo) and list (allimages), with titles, normalization and continuation.

use super::continuation::Continuation;
use crate::error::{ApiError, ApiResult};

use crate::spec::{Group, ModuleSpec, Modules, Type, Values, param};
use crate::{Call, Output};
use mwupload_core::auth::token;
use mwupload_core::title::{self, PageTitle, canonical_namespaces, page_title as parse_title};
use mwupload_store::FileVersion;
use serde_json::{Map, Value, json};

mod allimages;
mod allmessages;
mod authmanagerinfo;
mod blocks;
mod duplicatefiles;
mod filearchive;
mod filelinks;
mod filerepoinfo;
mod imageinfo;
mod info;
mod logevents;
mod mystashedfiles;
mod pageset;
mod protectedtitles;
mod revisions;
mod siteinfo;
mod stashimageinfo;
mod templates;
mod tokens;
mod userinfo;
mod users;
mod watchlistraw;

pub use allimages::ALLIMAGES;
pub use allmessages::ALLMESSAGES;
pub(crate) use allmessages::message_text;
pub use authmanagerinfo::AUTHMANAGERINFO;
pub use blocks::BLOCKS;
pub use duplicatefiles::DUPLICATEFILES;
pub use filearchive::FILEARCHIVE;
pub use filelinks::{FILEUSAGE, IMAGES, IMAGEUSAGE};
pub use filerepoinfo::FILEREPOINFO;
pub use imageinfo::IMAGEINFO;
pub use info::INFO;
pub use logevents::LOGEVENTS;
pub use mystashedfiles::MYSTASHEDFILES;
pub use protectedtitles::PROTECTEDTITLES;
pub use revisions::REVISIONS;
pub use siteinfo::SITEINFO;
pub use stashimageinfo::STASHIMAGEINFO;
pub use templates::TEMPLATES;
pub use tokens::TOKENS;
pub use userinfo::USERINFO;
pub use users::USERS;
pub use watchlistraw::WATCHLISTRAW;

use allimages::{all_images, generate_all_images, sha1_filter};
use filearchive::file_archive;
use logevents::log_events;
use pageset::{PageSet, pages};
pub(crate) use pageset::{invalid_title_text, normalized_entry};
use siteinfo::siteinfo;
use stashimageinfo::stash_image_info;
use templates::{generate_templates, templates_of_pages};
use tokens::tokens;
use userinfo::userinfo;
use watchlistraw::watchlist_raw;

pub async fn execute(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    // Unknown prop/list/meta values were dropped (with a warning) by validation.
    let metas = v.list("meta").to_vec();
    let props = v.list("prop").to_vec();
    let lists = v.list("list").to_vec();
    let params = call.params;
    let mut cont = Continuation::new(v.str("continue"), &props, &lists, &metas, |k| params.peek(k).map(String::from))?;
    let mut query = Map::new();
    // `limits` reports `max` limits; one the generator reports comes before `query`.
    let mut limits = Map::new();
    // The page set: the generator's pages, or `titles`; none once the generator is done.
    if v.str("generator").is_none() && !v.list("titles").is_empty() && call.params.peek("pageids").is_some() {
        return Err(ApiError::new("multisource", "The \"pageids\" parameter cannot be used with \"titles\".").module("query"));
    }
    let input = if cont.generator_done() {
        PageSetInput::default()
    } else {
        let pageids = v.ints("pageids").to_vec();
        page_set_input(
            call,
            v.str("generator"),
            v.list("titles"),
            &pageids,
            "query",
            &mut cont,
            &mut limits,
        )
        .await?
    };
    let PageSetInput {
        titles,
        missing_ids,
        cleaned_titles,
    } = input;
    let generator_set_limits = !limits.is_empty();
    let page_props: Vec<String> = props.iter().filter(|p| *p != "stashimageinfo").cloned().collect();
    if !cont.generator_done() && (!titles.is_empty() || !missing_ids.is_empty() || !page_props.is_empty()) {
        let set = PageSet {
            titles: &titles,
            cleaned_titles: &cleaned_titles,
            missing_ids: &missing_ids,
            index_page_ids: v.flag("indexpageids"),
        };
        pages(call, &set, &page_props, &mut query, &mut cont, &mut limits).await?;
    }
    if props.iter().any(|x| x == "stashimageinfo") && cont.runs("stashimageinfo") {
        stash_image_info(call, &mut query).await?;
    }
    let running_lists: Vec<String> = lists.iter().filter(|l| cont.runs(l)).cloned().collect();
    for l in &running_lists {
        match l.as_str() {
            "allimages" => all_images(call, &mut query, &mut cont, &mut limits).await?,
            "blocks" => blocks::list_blocks(call, &mut query, &mut cont, &mut limits).await?,
            "protectedtitles" => protectedtitles::protected_titles(call, &mut query, &mut cont, &mut limits).await?,
            "filearchive" => file_archive(call, &mut query, &mut cont, &mut limits).await?,
            "logevents" => log_events(call, &mut query, &mut cont, &mut limits).await?,
            "watchlistraw" => watchlist_raw(call, &mut query, &mut cont, &mut limits).await?,
            "users" => users::users(call, &mut query).await?,
            "imageusage" => filelinks::list_image_usage(call, &mut query, &mut cont, &mut limits).await?,
            "mystashedfiles" => mystashedfiles::my_stashed_files(call, &mut query, &mut cont, &mut limits).await?,
            _ => {}
        }
    }
    let running_metas: Vec<String> = metas.iter().filter(|m| cont.runs(m)).cloned().collect();
    for m in &running_metas {
        match m.as_str() {
            "tokens" => tokens(call, &mut query).await?,
            "userinfo" => userinfo(call, &mut query).await?,
            "siteinfo" => siteinfo(call, &mut query)?,
            "authmanagerinfo" => authmanagerinfo::authmanagerinfo(call, &mut query).await?,
            "filerepoinfo" => filerepoinfo::filerepoinfo(call, &mut query).await?,
            "allmessages" => allmessages::allmessages(call, &mut query).await?,
            _ => {}
        }
    }
    // MediaWiki puts `continue`, then `batchcomplete`, on top of the result.
    let (continuation, batchcomplete) = cont.finish();
    let mut out = Map::new();
    if batchcomplete {
        out.insert("batchcomplete".into(), call.ctx.true_value());
    }
    if let Some(c) = continuation {
        out.insert("continue".into(), Value::Object(c));
    }
    if generator_set_limits {
        out.insert("limits".into(), Value::Object(std::mem::take(&mut limits)));
    }
    if !query.is_empty() {
        out.insert("query".into(), Value::Object(query));
    }
    if !limits.is_empty() {
        out.insert("limits".into(), Value::Object(limits));
    }
    Ok(Output::Json(out))
}

/// What a page set starts from (ApiPageSet::execute): the generator's titles, or page ids, or
/// `titles`; page ids that name no page; and `titles` pieces input cleaning changed.
#[derive(Default)]
pub(crate) struct PageSetInput {
    pub titles: Vec<String>,
    pub missing_ids: Vec<i64>,
    /// (as sent, as cleaned): MediaWiki lists them first in `normalized`, URL-encoded
    /// (ApiPageSet::handleParamNormalization).
    pub cleaned_titles: Vec<(String, String)>,
}

/// Runs the generator (its own parameters are validated under `g` + its prefix; `titles` is its
/// input where it takes pages) or resolves `pageids`, or takes `titles`.
pub(crate) async fn page_set_input(
    call: &mut Call<'_>,
    generator: Option<&str>,
    input_titles: &[String],
    pageids: &[i64],
    module: &str,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<PageSetInput> {
    let mut missing_ids = Vec::new();
    let titles = match generator {
        Some("allimages") => generate_all_images(call, cont, limits).await?,
        Some("templates") => generate_templates(call, input_titles, cont, limits).await?,
        Some("imageusage") => filelinks::generate_image_usage(call, cont, limits).await?,
        Some("images") => filelinks::generate_images(call, input_titles, cont, limits).await?,
        Some("fileusage") => filelinks::generate_file_usage(call, input_titles, cont, limits).await?,
        Some("duplicatefiles") => duplicatefiles::generate_duplicate_files(call, input_titles, cont, limits).await?,
        Some(other) => {
            let info = if super::by_path(&format!("query+{other}")).is_some() {
                format!("Module \"{other}\" cannot be used as a generator.")
            } else {
                format!("Unknown \"generator={other}\".")
            };
            return Err(ApiError::new("badgenerator", info).module(module));
        }
        None if !pageids.is_empty() => {
            let mut titles = Vec::new();
            for id in pageids {
                match call.state.meta.page_by_id(*id).await? {
                    Some(pg) => titles.push(
                        PageTitle {
                            ns: pg.namespace,
                            db_key: pg.title,
                        }
                        .display(),
                    ),
                    None => missing_ids.push(*id),
                }
            }
            titles
        }
        None => input_titles.to_vec(),
    };
    let cleaned_titles: Vec<(String, String)> = match (generator, call.params.before_cleaning("titles")) {
        (None, Some(raw)) => crate::params::split_multi(raw)
            .into_iter()
            .zip(input_titles.iter())
            .filter(|(raw, clean)| raw != *clean)
            .map(|(raw, clean)| (raw, clean.clone()))
            .collect(),
        _ => Vec::new(),
    };
    Ok(PageSetInput {
        titles,
        missing_ids,
        cleaned_titles,
    })
}

/// The display titles of (namespace, DB key) pairs, each once, in first-seen order: what a
/// generator hands to the page set.
fn distinct_titles(pages: impl IntoIterator<Item = (i64, String)>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    pages
        .into_iter()
        .filter(|p| seen.insert(p.clone()))
        .map(|(ns, db_key)| PageTitle { ns, db_key }.display())
        .collect()
}

/// A `*limit` value, and MediaWiki's `limits` report when the client asked for `max`.
fn limit_of(call: &Call<'_>, spec: &ModuleSpec, v: &Values, limits: &mut Map<String, Value>) -> i64 {
    let n = v.int("limit").unwrap_or(10);
    if call.params.peek(&v.full_name("limit")) == Some("max") {
        limits.insert(spec.name().into(), json!(n));
    }
    n
}

// ------------------------------------------------------------------ specs
// The query module and its submodules, in MediaWiki 1.39 parameter order. `generator: true`
// only where the module runs as a generator here (allimages, duplicatefiles, fileusage, images,
// imageusage, templates), which is what `generator=` accepts.

pub static SPEC: ModuleSpec = ModuleSpec {
    path: "query",
    class: "ApiQuery",
    group: Some(Group::Action),
    read_rights: true,
    help: "Fetch data: page sets (titles) with prop modules, list modules, meta modules.",
    params: &[
        param("prop", Type::Modules(Modules::Group(Group::Prop))).submodule_map().multi(),
        param("list", Type::Modules(Modules::Group(Group::List))).submodule_map().multi(),
        param("meta", Type::Modules(Modules::Group(Group::Meta))).submodule_map().multi(),
        param("indexpageids", Type::Boolean),
        param("iwurl", Type::Boolean).inert(),
        param("continue", Type::String).help("Echo the continue value of the previous answer (continuation)."),
        param("titles", Type::String).multi(),
        param("pageids", Type::Integer { min: None, max: None }).multi(),
        param("generator", Type::Modules(Modules::Generators))
            .submodule_map()
            .submodule_prefix("g"),
        param("redirects", Type::Boolean).inert(),
        param("converttitles", Type::Boolean).inert(),
    ],
    ..ModuleSpec::BASE
};
