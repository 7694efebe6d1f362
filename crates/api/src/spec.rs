//! One declarative description per API module: its flags and its parameters in MediaWiki's
//! declared order. The same `ModuleSpec` drives three things, so they cannot disagree:
//! - request validation (`ModuleSpec::validate`, MediaWiki's `extractRequestParams`): types,
//!   defaults, required parameters, enums, integer clamping, multi-value limits, deprecation;
//! - `action=paraminfo` (`modules::paraminfo`);
//! - `action=help` (`modules::help`).
//!
//! Modules read their parameters only through the `Values` that validation returns, by their
//! unprefixed names; asking for a name the spec does not declare is a programming error
//! (a panic in debug builds, which every test runs).

use super::envelope::Ctx;
use super::error::{ApiError, ApiResult, Message, param as msgparam};
use super::multipart::{DirectPart, FilePart};
use super::params::{Params, group_digits, split_multi};
use mwupload_core::config::Config;

/// The module groups MediaWiki reports in paraminfo (`group`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Action,
    Prop,
    List,
    Meta,
    Format,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Action => "action",
            Group::Prop => "prop",
            Group::List => "list",
            Group::Meta => "meta",
            Group::Format => "format",
        }
    }
}

/// Parameters whose values name registered modules: their allowed values come from the
/// registry (`modules::REGISTRY`), so a module added there is accepted and described at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modules {
    /// The modules of one group (`action=`, `format=`, `prop=`, `list=`, `meta=`).
    Group(Group),
    /// Query submodules usable as `generator=`.
    Generators,
    /// Every query submodule (paraminfo's deprecated `querymodules=`).
    AllQuery,
}

/// An integer bound: a constant, or a value from the configuration.
#[derive(Clone, Copy, Debug)]
pub enum Bound {
    Const(i64),
    /// `$wgMaxUploadSize` (`uploads.max_upload_size`).
    MaxUploadSize,
}

impl Bound {
    pub fn value(self, config: &Config) -> i64 {
        match self {
            Bound::Const(n) => n,
            Bound::MaxUploadSize => i64::try_from(config.uploads.max_upload_size).unwrap_or(i64::MAX),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Type {
    String,
    /// A string shown as a text area (`text` in paraminfo).
    Text,
    Password,
    Boolean,
    /// A multipart file part (`upload`).
    Upload,
    Timestamp,
    /// A user name; the subtypes are what paraminfo reports (`name`, `ip`, …).
    User(&'static [&'static str]),
    Integer {
        min: Option<i64>,
        max: Option<Bound>,
    },
    /// `*limit` parameters: an integer in 1..=max (highmax with `apihighlimits`), or `max`.
    Limit {
        max: i64,
        highmax: i64,
    },
    Enum(&'static [&'static str]),
    /// A namespace id: one of the wiki's namespaces, plus `extra` (the virtual -2/-1 where a
    /// module accepts them).
    Namespace {
        extra: &'static [i64],
    },
    /// Change tags: each value must be a configured tag (`badtags`). paraminfo reports `[]`,
    /// as a wiki with no defined tags does.
    Tags,
    /// Names of registered modules (see `Modules`).
    Modules(Modules),
    /// A page title (`mustExist`: the page must exist, which the module checks).
    Title {
        must_exist: bool,
    },
}

#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub ty: Type,
    /// The default as MediaWiki prints it (`|`-joined for multi-valued parameters).
    pub default: Option<&'static str>,
    pub required: bool,
    pub multi: bool,
    pub deprecated: bool,
    pub sensitive: bool,
    /// Token type for token parameters (`tokentype` in paraminfo).
    pub tokentype: Option<&'static str>,
    /// A value that stands for every allowed value (`*`).
    pub all: Option<&'static str>,
    /// Enum values that are accepted but deprecated.
    pub deprecated_values: &'static [&'static str],
    /// Its values select submodules whose parameters join the request (`action`, `prop`…):
    /// paraminfo then prints the name → path map.
    pub submodule_map: bool,
    /// For `generator`: the prefix its submodules' parameters take.
    pub submodule_param_prefix: Option<&'static str>,
    /// Notes paraminfo lists under `info` (`singlepageonly`).
    pub info: &'static [&'static str],
    /// Accepted (validated, never "unrecognized") but has no effect here; the help says so.
    pub inert: bool,
    /// Multi-value limits other than MediaWiki's default 50/500.
    pub multi_limits: Option<(usize, usize)>,
    /// Repeated values are kept (MediaWiki's `ISMULTI_ALLOWDUPLICATES`).
    pub allow_duplicates: bool,
    pub help: &'static str,
}

/// Starts a parameter description; the `const fn` modifiers below complete it.
pub const fn param(name: &'static str, ty: Type) -> ParamSpec {
    ParamSpec {
        name,
        ty,
        default: None,
        required: false,
        multi: false,
        deprecated: false,
        sensitive: false,
        tokentype: None,
        all: None,
        deprecated_values: &[],
        submodule_map: false,
        submodule_param_prefix: None,
        info: &[],
        inert: false,
        multi_limits: None,
        allow_duplicates: false,
        help: "",
    }
}

/// The CSRF token parameter every write module declares last.
pub const CSRF_TOKEN: ParamSpec = param("token", Type::String).token("csrf");

impl ParamSpec {
    pub const fn default(mut self, v: &'static str) -> Self {
        self.default = Some(v);
        self
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn multi(mut self) -> Self {
        self.multi = true;
        self
    }
    pub const fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }
    pub const fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    /// The module's token, checked by ApiMain after validation (must be in the POST body).
    pub const fn token(mut self, kind: &'static str) -> Self {
        self.tokentype = Some(kind);
        self.sensitive = true;
        self.required = true;
        self
    }
    pub const fn all(mut self, specifier: &'static str) -> Self {
        self.all = Some(specifier);
        self
    }
    pub const fn deprecated_values(mut self, v: &'static [&'static str]) -> Self {
        self.deprecated_values = v;
        self
    }
    pub const fn submodule_map(mut self) -> Self {
        self.submodule_map = true;
        self
    }
    pub const fn submodule_prefix(mut self, p: &'static str) -> Self {
        self.submodule_param_prefix = Some(p);
        self
    }
    pub const fn info(mut self, notes: &'static [&'static str]) -> Self {
        self.info = notes;
        self
    }
    pub const fn inert(mut self) -> Self {
        self.inert = true;
        self
    }
    pub const fn help(mut self, text: &'static str) -> Self {
        self.help = text;
        self
    }

    pub const fn multi_limits(mut self, low: usize, high: usize) -> Self {
        self.multi_limits = Some((low, high));
        self
    }
    pub const fn allow_duplicates(mut self) -> Self {
        self.allow_duplicates = true;
        self
    }

    /// Multi-value limits (MediaWiki's defaults: 50, 500 with `apihighlimits`).
    pub fn limits(&self) -> (usize, usize) {
        self.multi_limits.unwrap_or((50, 500))
    }
}

/// A module: its identity in paraminfo, ApiMain's flags, and its parameters in declared order.
#[derive(Debug)]
pub struct ModuleSpec {
    /// `upload`, `query+imageinfo`, `main`.
    pub path: &'static str,
    /// MediaWiki's class (paraminfo `classname`).
    pub class: &'static str,
    pub group: Option<Group>,
    pub prefix: &'static str,
    pub read_rights: bool,
    pub write_rights: bool,
    pub must_post: bool,
    /// Usable as `generator=`.
    pub generator: bool,
    pub help: &'static str,
    pub params: &'static [ParamSpec],
    /// Unprefixed parameters the module reads beyond its declared ones (clientlogin's
    /// AuthManager fields); paraminfo reports `dynamicparameters`.
    pub dynamic: &'static [ParamSpec],
}

impl ModuleSpec {
    /// What a spec leaves out: no prefix, no flags, no help, no parameters. Specs set what
    /// differs and end with `..ModuleSpec::BASE`.
    pub const BASE: ModuleSpec = ModuleSpec {
        path: "",
        class: "",
        group: None,
        prefix: "",
        read_rights: false,
        write_rights: false,
        must_post: false,
        generator: false,
        help: "",
        params: &[],
        dynamic: &[],
    };

    /// The name without the `query+` path.
    pub fn name(&self) -> &'static str {
        self.path.rsplit('+').next().unwrap_or(self.path)
    }

    /// The token parameter ApiMain checks before running the module, with its token type.
    pub fn token(&self) -> Option<(&'static ParamSpec, &'static str)> {
        self.params.iter().find_map(|p| p.tokentype.filter(|_| p.required).map(|t| (p, t)))
    }

    /// The name a client sends: prefixed, except for dynamic parameters.
    pub fn full_name(&self, p: &ParamSpec) -> String {
        self.full_name_with(self.prefix, p)
    }

    fn full_name_with(&self, prefix: &str, p: &ParamSpec) -> String {
        if self.dynamic.iter().any(|d| std::ptr::eq(d, p)) {
            p.name.to_string()
        } else {
            format!("{prefix}{}", p.name)
        }
    }

    /// Declared parameters, then dynamic ones (the order of `Values` slots).
    pub fn all_params(&self) -> impl Iterator<Item = &'static ParamSpec> + use<> {
        let (params, dynamic): (&'static [ParamSpec], &'static [ParamSpec]) = (self.params, self.dynamic);
        params.iter().chain(dynamic.iter())
    }

    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.all_params().find(|p| p.name == name)
    }

    /// MediaWiki's `extractRequestParams`: every declared parameter in order; the first invalid
    /// one aborts. Warnings (clamping, unrecognized values, deprecation) go to `ctx`.
    pub fn validate(&'static self, params: &Params, ctx: &mut Ctx, v: &Validator<'_>) -> ApiResult<Values> {
        self.validate_prefixed(self.prefix, params, ctx, v)
    }

    /// Validation under another prefix: a query module run as a generator takes `g` + its
    /// prefix (`gailimit`).
    pub fn validate_prefixed(&'static self, prefix: &str, params: &Params, ctx: &mut Ctx, v: &Validator<'_>) -> ApiResult<Values> {
        let mut slots = Vec::with_capacity(self.params.len() + self.dynamic.len());
        for p in self.all_params() {
            let full = self.full_name_with(prefix, p);
            slots.push(self.validate_one(p, full, params, ctx, v)?);
        }
        Ok(Values {
            spec: self,
            prefix: prefix.to_string(),
            slots,
            absent: Slot::Absent,
        })
    }

    fn validate_one(&self, p: &'static ParamSpec, full: String, params: &Params, ctx: &mut Ctx, v: &Validator<'_>) -> ApiResult<Slot> {
        let err = |code: &str, info: String| ApiError::new(code, info).module(self.path);
        if let Type::Upload = p.ty {
            if let Some(f) = params.take_file(&full, self.path)? {
                return Ok(Slot::File(Some(f)));
            }
            if let Some(d) = params.take_direct(&full) {
                return Ok(Slot::Direct(Some(d)));
            }
            return Ok(Slot::Absent);
        }
        if let Type::Boolean = p.ty {
            let on = params.flag(&full);
            if on && p.deprecated {
                self.deprecation(ctx, &full);
            }
            return Ok(Slot::Flag(on));
        }
        let raw = params.get(&full).map(str::to_owned);
        let Some(raw) = raw else {
            if p.required {
                return Err(ApiError::missingparam(&full).module(self.path));
            }
            return Ok(match p.default {
                None => Slot::Absent,
                Some(d) => self.default_slot(p, d, v),
            });
        };
        if params.before_cleaning(&full).is_some() {
            ctx.warn(
                self.path,
                "badutf8",
                format!(
                    "The value passed for \"{full}\" contains invalid or non-normalized data. Textual data should be valid, NFC-normalized Unicode without C0 control characters other than HT (\\t), LF (\\n), and CR (\\r)."
                ),
            );
        }
        if p.deprecated {
            self.deprecation(ctx, &full);
        }
        if !p.multi {
            if raw.starts_with('\u{1f}') {
                return Err(err(
                    "badvalue",
                    format!(
                        "Parameter \"{full}\" accepts only a single value. U+001F multi-value separation may only be used for multi-valued parameters."
                    ),
                ));
            }
            return self.single(p, &full, raw, ctx, v);
        }
        // Multi-valued: split, enforce the count limit, then check each value.
        let mut values = split_multi(&raw);
        let (low, high) = p.limits();
        let limit = if v.high_limits { high } else { low };
        if values.len() > limit {
            return Err(err(
                "toomanyvalues",
                format!("Too many values supplied for parameter \"{full}\". The limit is {limit}."),
            )
            .with("limit", limit)
            .with("lowlimit", low)
            .with("highlimit", high));
        }
        match p.ty {
            Type::Enum(_) | Type::Modules(_) | Type::Namespace { .. } => {
                let allowed = self.allowed_values(p, v);
                if let Some(all) = p.all
                    && values.iter().any(|x| x == all)
                {
                    values = allowed.clone();
                }
                let (ok, bad): (Vec<String>, Vec<String>) = values.into_iter().partition(|x| allowed.contains(x));
                if !bad.is_empty() {
                    let noun = if bad.len() == 1 { "value" } else { "values" };
                    let mut data = serde_json::Map::new();
                    data.insert("values".into(), serde_json::json!(bad));
                    let msg = Message::new(
                        "paramvalidator-unrecognizedvalues",
                        vec![
                            msgparam::plaintext(&full),
                            msgparam::plaintext(&raw),
                            msgparam::list(&bad, "comma"),
                            msgparam::num(bad.len()),
                        ],
                    );
                    ctx.warn_msg(
                        self.path,
                        "unrecognizedvalues",
                        format!("Unrecognized {noun} for parameter \"{full}\": {}", bad.join(", ")),
                        msg,
                        Some(data),
                    );
                }
                if let Type::Namespace { .. } = p.ty {
                    return Ok(Slot::Ints(dedup(ok.iter().filter_map(|x| x.parse().ok()).collect())));
                }
                values = ok;
            }
            Type::Integer { .. } => {
                let mut ints = Vec::with_capacity(values.len());
                for x in &values {
                    ints.push(self.integer(p, &full, x, ctx, v)?);
                }
                return Ok(Slot::Ints(dedup(ints)));
            }
            Type::Timestamp => {
                let mut out = Vec::with_capacity(values.len());
                for x in &values {
                    out.push(timestamp(&full, x).map_err(|e| e.module(self.path))?);
                }
                values = out;
            }
            Type::Tags => check_tags(&values, v.config).map_err(|e| e.module(self.path))?,
            _ => {}
        }
        Ok(Slot::List(if p.allow_duplicates { values } else { dedup(values) }))
    }

    fn single(&self, p: &ParamSpec, full: &str, raw: String, ctx: &mut Ctx, v: &Validator<'_>) -> ApiResult<Slot> {
        match p.ty {
            Type::Integer { .. } | Type::Limit { .. } => Ok(Slot::Int(self.integer(p, full, &raw, ctx, v)?)),
            // ApiPageSet declares `generator` as a plain string at run time (the module list is
            // only for paraminfo and help); the page set answers `badgenerator` itself.
            Type::Modules(Modules::Generators) => Ok(Slot::Str(raw)),
            Type::Enum(_) | Type::Modules(_) => {
                let allowed = self.allowed_values(p, v);
                if allowed.contains(&raw) {
                    Ok(Slot::Str(raw))
                } else {
                    Err(
                        ApiError::new("badvalue", format!("Unrecognized value for parameter \"{full}\": {raw}."))
                            .msg(
                                "paramvalidator-badvalue-enumnotmulti",
                                vec![
                                    msgparam::plaintext(full),
                                    msgparam::plaintext(&raw),
                                    msgparam::list(&allowed, "text"),
                                    msgparam::num(allowed.len()),
                                ],
                            )
                            .module(self.path),
                    )
                }
            }
            Type::Timestamp => Ok(Slot::Str(timestamp(full, &raw).map_err(|e| e.module(self.path))?)),
            Type::Namespace { .. } => match raw.parse::<i64>() {
                Ok(n) if self.allowed_values(p, v).contains(&raw) => Ok(Slot::Int(n)),
                _ => Err(ApiError::new("badvalue", format!("Unrecognized value for parameter \"{full}\": {raw}.")).module(self.path)),
            },
            Type::Tags => {
                check_tags(std::slice::from_ref(&raw), v.config).map_err(|e| e.module(self.path))?;
                Ok(Slot::List(vec![raw]))
            }
            _ => Ok(Slot::Str(raw)),
        }
    }

    /// MediaWiki's IntegerDef/LimitDef: `[+-]?digits` exactly (no spaces), clamped to the
    /// range with an `integeroutofrange` warning; `max` for limits.
    fn integer(&self, p: &ParamSpec, full: &str, raw: &str, ctx: &mut Ctx, v: &Validator<'_>) -> ApiResult<i64> {
        let (min, max) = match p.ty {
            Type::Integer { min, max } => (min, max.map(|b| b.value(v.config))),
            Type::Limit { max, highmax } => {
                let m = if v.high_limits { highmax } else { max };
                if raw == "max" {
                    return Ok(m);
                }
                (Some(1), Some(m))
            }
            _ => (None, None),
        };
        let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(
                ApiError::new("badinteger", format!("Invalid value \"{raw}\" for integer parameter \"{full}\"."))
                    .msg(
                        "paramvalidator-badinteger",
                        vec![msgparam::plaintext(full), msgparam::plaintext(raw)],
                    )
                    .module(self.path),
            );
        }
        // Beyond i64 it saturates, as PHP's float conversion would before clamping.
        let n = raw.parse::<i64>().unwrap_or(if raw.starts_with('-') { i64::MIN } else { i64::MAX });
        let clamped = n.clamp(min.unwrap_or(i64::MIN), max.unwrap_or(i64::MAX));
        if clamped != n {
            let range = match (min, max) {
                (Some(a), Some(b)) => format!("must be between {} and {}", group_digits(a), group_digits(b)),
                (None, Some(b)) => format!("must be no greater than {}", group_digits(b)),
                (Some(a), None) => format!("must be no less than {}", group_digits(a)),
                (None, None) => unreachable!("clamping needs a bound"),
            };
            ctx.warn(
                self.path,
                "integeroutofrange",
                format!("The value \"{raw}\" for parameter \"{full}\" {range}."),
            );
        }
        Ok(clamped)
    }

    fn default_slot(&self, p: &ParamSpec, d: &'static str, v: &Validator<'_>) -> Slot {
        if p.multi {
            return Slot::List(split_multi(d));
        }
        match p.ty {
            Type::Integer { .. } | Type::Limit { .. } => Slot::Int(d.parse().unwrap_or_default()),
            Type::Tags => Slot::List(Vec::new()),
            _ => {
                let _ = v;
                Slot::Str(d.to_string())
            }
        }
    }

    /// The values an enum-like parameter accepts, in declared order.
    pub fn allowed_values(&self, p: &ParamSpec, v: &Validator<'_>) -> Vec<String> {
        match p.ty {
            Type::Enum(list) => list.iter().map(|s| s.to_string()).collect(),
            Type::Modules(m) => (v.modules)(m).iter().map(|s| s.name().to_string()).collect(),
            Type::Namespace { extra } => mwupload_core::title::canonical_namespaces()
                .into_iter()
                .map(|(id, _)| id)
                .filter(|id| *id >= 0)
                .chain(extra.iter().copied())
                .map(|id| id.to_string())
                .collect(),
            _ => Vec::new(),
        }
    }

    fn deprecation(&self, ctx: &mut Ctx, full: &str) {
        ctx.warn(self.path, "deprecation", format!("The parameter \"{full}\" has been deprecated."));
        ctx.warn(
            "main",
            "deprecation-help",
            "Subscribe to the mediawiki-api-announce mailing list at <https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/> for notice of API deprecations and breaking changes.",
        );
    }
}

/// What validation needs beyond the request: the configuration, the caller's limits and the
/// module registry (for submodule-valued parameters).
pub struct Validator<'a> {
    pub config: &'a Config,
    pub high_limits: bool,
    pub modules: fn(Modules) -> Vec<&'static ModuleSpec>,
}

fn dedup<T: PartialEq>(v: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// TimestampDef: the formats MediaWiki accepts (TS_MW, ISO 8601, Unix seconds, `now`), as TS_MW.
fn timestamp(full: &str, raw: &str) -> ApiResult<String> {
    if raw == "now" {
        return Ok(mwupload_store::time::now_ts());
    }
    mwupload_store::time::parse_any_ts(raw).ok_or_else(|| {
        ApiError::new(
            "badtimestamp",
            format!("Invalid value \"{raw}\" for timestamp parameter \"{full}\"."),
        )
    })
}

/// TagsDef: only configured tags may be applied (a fresh MediaWiki defines none).
fn check_tags(tags: &[String], config: &Config) -> ApiResult<()> {
    let disallowed: Vec<String> = tags.iter().filter(|t| !config.change_tags.contains(t)).cloned().collect();
    if disallowed.is_empty() {
        return Ok(());
    }
    let list = disallowed.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ");
    let (noun, verb) = if disallowed.len() == 1 { ("tag", "is") } else { ("tags", "are") };
    Err(
        ApiError::new("badtags", format!("The {noun} {list} {verb} not allowed to be manually applied."))
            .with("disallowedtags", disallowed),
    )
}

#[derive(Debug)]
enum Slot {
    Absent,
    Str(String),
    Flag(bool),
    Int(i64),
    List(Vec<String>),
    Ints(Vec<i64>),
    File(Option<FilePart>),
    Direct(Option<DirectPart>),
}

/// A module's validated parameters, read by unprefixed name.
#[derive(Debug)]
pub struct Values {
    spec: &'static ModuleSpec,
    /// The prefix the client used (the spec's, or the generator form).
    prefix: String,
    slots: Vec<Slot>,
    /// What an undeclared name reads as in release builds (see `undeclared`).
    absent: Slot,
}

impl Values {
    /// The name the client sent for one of these parameters.
    pub fn full_name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn index(&self, name: &str) -> Option<usize> {
        let i = self.spec.all_params().position(|p| p.name == name);
        if i.is_none() {
            undeclared(self.spec, name);
        }
        i
    }

    fn slot(&self, name: &str) -> &Slot {
        match self.index(name) {
            Some(i) => &self.slots[i],
            None => &Slot::Absent,
        }
    }

    fn slot_mut(&mut self, name: &str) -> &mut Slot {
        match self.index(name) {
            Some(i) => &mut self.slots[i],
            None => {
                self.absent = Slot::Absent;
                &mut self.absent
            }
        }
    }

    /// A string-like or single enum value (its default when absent).
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.slot(name) {
            Slot::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.slot(name), Slot::Flag(true))
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        match self.slot(name) {
            Slot::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// A multi-valued parameter, de-duplicated, unknown enum values dropped (its default when
    /// absent; empty when sent empty).
    pub fn list(&self, name: &str) -> &[String] {
        match self.slot(name) {
            Slot::List(v) => v,
            _ => &[],
        }
    }

    pub fn ints(&self, name: &str) -> &[i64] {
        match self.slot(name) {
            Slot::Ints(v) => v,
            _ => &[],
        }
    }

    /// Takes an `upload` parameter that was spooled to a temp file.
    pub fn take_file(&mut self, name: &str) -> Option<FilePart> {
        match self.slot_mut(name) {
            Slot::File(f) => f.take(),
            _ => None,
        }
    }

    /// Takes an `upload` parameter that was written straight to its destination.
    pub fn take_direct(&mut self, name: &str) -> Option<DirectPart> {
        match self.slot_mut(name) {
            Slot::Direct(d) => d.take(),
            _ => None,
        }
    }
}

/// A module read a parameter its spec does not declare: paraminfo would not list it and
/// validation would not check it. Debug builds (every test) fail loudly so the spec stays the
/// single source; a release build reads it as absent rather than failing a user's request.
#[track_caller]
fn undeclared(spec: &ModuleSpec, name: &str) {
    debug_assert!(false, "module {} reads undeclared parameter {name:?}", spec.path);
    tracing::error!(module = spec.path, param = name, "module reads an undeclared parameter");
}

#[cfg(test)]
mod tests {
    use super::*;

    static DEMO: ModuleSpec = ModuleSpec {
        path: "query+demo",
        class: "ApiQueryDemo",
        group: Some(Group::Prop),
        prefix: "dm",
        read_rights: true,
        write_rights: false,
        must_post: false,
        generator: false,
        help: "",
        params: &[
            param("name", Type::String).required(),
            param("prop", Type::Enum(&["a", "b", "c"])).default("a|b").multi().all("*"),
            param("dir", Type::Enum(&["newer", "older"])).default("older"),
            param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
            param(
                "size",
                Type::Integer {
                    min: Some(0),
                    max: Some(Bound::Const(100)),
                },
            ),
            param("ids", Type::Integer { min: None, max: None }).multi(),
            param("start", Type::Timestamp),
            param("old", Type::String).deprecated(),
            param("flag", Type::Boolean),
        ],
        dynamic: &[param("extra", Type::String)],
    };

    fn run(query: &[(&str, &str)], high: bool) -> (ApiResult<Values>, Ctx, Params) {
        let params = Params::new(
            query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            Vec::new(),
            Vec::new(),
        );
        let mut ctx = Ctx::new("http://h".into(), "/w/api.php".into());
        let config = Config::default();
        let v = Validator {
            config: &config,
            high_limits: high,
            modules: |_| Vec::new(),
        };
        let r = DEMO.validate(&params, &mut ctx, &v);
        (r, ctx, params)
    }

    fn texts(ctx: &Ctx) -> Vec<String> {
        ctx.warnings.iter().map(|w| w.text.clone()).collect()
    }

    #[test]
    fn defaults_and_typed_values() {
        let (r, ctx, params) = run(&[("dmname", "x"), ("dmids", "3|1|3"), ("dmflag", "0"), ("extra", "e")], false);
        let v = r.unwrap();
        assert_eq!(v.str("name"), Some("x"));
        assert_eq!(v.list("prop"), ["a", "b"]);
        assert_eq!(v.str("dir"), Some("older"));
        assert_eq!(v.int("limit"), Some(10));
        assert_eq!(v.int("size"), None);
        assert_eq!(v.ints("ids"), [3, 1], "multi values are de-duplicated");
        assert!(v.flag("flag"), "booleans are true when present, whatever the value");
        assert_eq!(v.str("extra"), Some("e"), "dynamic parameters have no prefix");
        assert!(ctx.warnings.is_empty());
        assert!(params.unused().is_empty(), "every declared name counts as used");
    }

    #[test]
    fn required_enum_and_integer_errors() {
        let (r, ..) = run(&[], false);
        let e = r.unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.info.as_str()),
            ("missingparam", "The \"dmname\" parameter must be set.")
        );
        let (r, ..) = run(&[("dmname", "x"), ("dmdir", "sideways")], false);
        assert_eq!(r.unwrap_err().info, "Unrecognized value for parameter \"dmdir\": sideways.");
        let (r, ..) = run(&[("dmname", "x"), ("dmdir", "")], false);
        assert_eq!(r.unwrap_err().code, "badvalue", "an empty value is not an enum value");
        for bad in ["1.5", " 5", "five", "", "+"] {
            let (r, ..) = run(&[("dmname", "x"), ("dmsize", bad)], false);
            assert_eq!(r.unwrap_err().code, "badinteger", "{bad:?}");
        }
        let (r, ..) = run(&[("dmname", "x"), ("dmids", "1|x")], false);
        assert_eq!(r.unwrap_err().info, "Invalid value \"x\" for integer parameter \"dmids\".");
        let (r, ..) = run(&[("dmname", "x"), ("dmstart", "yesterday-ish")], false);
        assert_eq!(r.unwrap_err().code, "badtimestamp");
        let (r, ..) = run(&[("dmname", "\u{1f}x")], false);
        assert!(r.unwrap_err().info.starts_with("Parameter \"dmname\" accepts only a single value."));
    }

    #[test]
    fn clamping_limits_and_unknown_values_warn() {
        let (r, ctx, _) = run(
            &[("dmname", "x"), ("dmsize", "101"), ("dmlimit", "0"), ("dmprop", "b|zz|c|yy")],
            false,
        );
        let v = r.unwrap();
        assert_eq!((v.int("size"), v.int("limit")), (Some(100), Some(1)));
        assert_eq!(v.list("prop"), ["b", "c"]);
        assert_eq!(
            texts(&ctx),
            [
                "Unrecognized values for parameter \"dmprop\": zz, yy",
                "The value \"0\" for parameter \"dmlimit\" must be between 1 and 500.",
                "The value \"101\" for parameter \"dmsize\" must be between 0 and 100.",
            ]
        );
        let (r, ..) = run(&[("dmname", "x"), ("dmlimit", "max")], false);
        assert_eq!(r.unwrap().int("limit"), Some(500));
        let (r, ..) = run(&[("dmname", "x"), ("dmlimit", "max")], true);
        assert_eq!(r.unwrap().int("limit"), Some(5000), "apihighlimits raise max");
        let (r, ..) = run(&[("dmname", "x"), ("dmsize", "99999999999999999999999")], false);
        assert_eq!(r.unwrap().int("size"), Some(100), "beyond i64 still clamps");
        let (r, ..) = run(&[("dmname", "x"), ("dmprop", "*")], false);
        assert_eq!(r.unwrap().list("prop"), ["a", "b", "c"]);
        let (r, ..) = run(&[("dmname", "x"), ("dmprop", "")], false);
        assert!(r.unwrap().list("prop").is_empty(), "sent empty is not the default");
    }

    #[test]
    fn multi_value_limits_depend_on_rights() {
        let many = (0..51).map(|i| i.to_string()).collect::<Vec<_>>().join("|");
        let (r, ..) = run(&[("dmname", "x"), ("dmids", &many)], false);
        let e = r.unwrap_err();
        assert_eq!(e.code, "toomanyvalues");
        assert_eq!(e.data["limit"], 50);
        let (r, ..) = run(&[("dmname", "x"), ("dmids", &many)], true);
        assert_eq!(r.unwrap().ints("ids").len(), 51);
    }

    #[test]
    fn deprecated_parameters_warn_with_the_mailing_list_notice() {
        let (r, ctx, _) = run(&[("dmname", "x"), ("dmold", "1")], false);
        r.unwrap();
        let modules: Vec<&str> = ctx.warnings.iter().map(|w| w.module.as_str()).collect();
        assert_eq!(modules, ["query+demo", "main"]);
        assert_eq!(ctx.warnings[0].text, "The parameter \"dmold\" has been deprecated.");
        assert_eq!(ctx.warnings[1].code, "deprecation-help");
    }

    #[test]
    #[should_panic(expected = "undeclared parameter")]
    fn reading_an_undeclared_parameter_fails_in_debug_builds() {
        let (r, ..) = run(&[("dmname", "x")], false);
        let _ = r.unwrap().str("nosuch");
    }
}
