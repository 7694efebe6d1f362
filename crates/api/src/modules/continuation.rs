//! MediaWiki's `ApiContinuationManager`: which query submodules run on this request, and the
//! `continue` object and `batchcomplete` flag that tell the client how to go on.
//!
//! The client echoes back `continue` (e.g. `gaicontinue||info`): before `||`, the generator
//! parameters to repeat (or `-` when the generator is done); after it, modules that are
//! finished and must not run again. Prop modules depend on the page set, so they are
//! "generated" modules: while one of them is unfinished the batch is not complete, and the
//! generator repeats its current batch instead of moving on.

use crate::error::{ApiError, ApiResult};
use serde_json::{Map, Value, json};

pub struct Continuation {
    /// Every requested module (prop, then list, then meta), finished or not.
    all: Vec<String>,
    /// Prop modules: they work on the page set.
    generated: Vec<String>,
    skip: Vec<String>,
    generator_done: bool,
    /// The generator's parameters from this request, repeated while prop modules continue.
    generator_params: Vec<(String, String)>,
    /// Continuation parameters per module, in the order they were set.
    data: Vec<(String, Vec<(String, String)>)>,
    generator_data: Vec<(String, String)>,
}

impl Continuation {
    /// `continue_param` is the client's `continue`; `request` looks a parameter up by name.
    pub fn new(
        continue_param: Option<&str>,
        props: &[String],
        lists: &[String],
        metas: &[String],
        request: impl Fn(&str) -> Option<String>,
    ) -> ApiResult<Continuation> {
        let mut c = Continuation {
            all: props.iter().chain(lists).chain(metas).cloned().collect(),
            generated: props.to_vec(),
            skip: Vec::new(),
            generator_done: false,
            generator_params: Vec::new(),
            data: Vec::new(),
            generator_data: Vec::new(),
        };
        if let Some(cont) = continue_param.filter(|c| !c.is_empty()) {
            let Some((generator, finished)) = cont.split_once("||").filter(|(_, rest)| !rest.contains("||")) else {
                return Err(ApiError::badcontinue("query"));
            };
            c.skip = finished.split('|').filter(|s| !s.is_empty()).map(String::from).collect();
            if generator == "-" {
                // The generator is done: nothing that depends on it runs again.
                c.generator_done = true;
                c.skip.extend(c.generated.iter().cloned());
            } else {
                c.generator_params = generator
                    .split('|')
                    .filter_map(|k| request(k).map(|v| (k.to_string(), v)))
                    .collect();
            }
        }
        Ok(c)
    }

    /// Whether a module runs on this request.
    pub fn runs(&self, module: &str) -> bool {
        !self.skip.iter().any(|s| s == module)
    }

    /// Whether the page set (titles or generator) is built at all.
    pub fn generator_done(&self) -> bool {
        self.generator_done
    }

    /// A module's continuation parameter (`iistart`, `aicontinue`…).
    pub fn set(&mut self, module: &str, key: &str, value: impl Into<String>) {
        let kv = (key.to_string(), value.into());
        match self.data.iter_mut().find(|(m, _)| m == module) {
            Some((_, kvs)) => kvs.push(kv),
            None => self.data.push((module.to_string(), vec![kv])),
        }
    }

    /// The generator's continuation parameter (`gaicontinue`).
    pub fn set_generator(&mut self, key: &str, value: impl Into<String>) {
        self.generator_data.push((key.to_string(), value.into()));
    }

    /// The `continue` object (if any) and whether the batch is complete.
    pub fn finish(self) -> (Option<Map<String, Value>>, bool) {
        let is_generated = |m: &str| self.generated.iter().any(|g| g == m);
        let unfinished: Vec<&str> = self.data.iter().map(|(m, _)| m.as_str()).collect();
        let mut finished: Vec<&str> = self.all.iter().map(String::as_str).filter(|m| !unfinished.contains(m)).collect();
        let mut data = Map::new();
        let add = |data: &mut Map<String, Value>, kvs: &[(String, String)]| {
            for (k, v) in kvs {
                // `$data += $kvp`: the first value set for a key wins.
                data.entry(k.clone()).or_insert_with(|| json!(v));
            }
        };
        for (_, kvs) in self.data.iter().filter(|(m, _)| !is_generated(m)) {
            add(&mut data, kvs);
        }
        let generated_unfinished: Vec<&(String, Vec<(String, String)>)> = self.data.iter().filter(|(m, _)| is_generated(m)).collect();
        let (generator_keys, batchcomplete) = if !generated_unfinished.is_empty() {
            for (_, kvs) in generated_unfinished {
                add(&mut data, kvs);
            }
            add(&mut data, &self.generator_params);
            (keys(&self.generator_params), false)
        } else if !self.generator_data.is_empty() {
            // Prop modules are done but the generator is not: next batch, prop modules rerun.
            add(&mut data, &self.generator_data);
            finished.retain(|m| !is_generated(m));
            (keys(&self.generator_data), true)
        } else {
            ("-".to_string(), true)
        };
        if data.is_empty() && generator_keys == "-" {
            return (None, batchcomplete);
        }
        data.insert("continue".into(), json!(format!("{generator_keys}||{}", finished.join("|"))));
        (Some(data), batchcomplete)
    }
}

fn keys(kvs: &[(String, String)]) -> String {
    kvs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn cont(c: Continuation) -> (String, bool) {
        let (data, complete) = c.finish();
        (data.map(|d| Value::Object(d).to_string()).unwrap_or_default(), complete)
    }

    #[test]
    fn shapes_match_mediawiki() {
        // list continuation only: the batch is complete, the generator part is "-".
        let mut c = Continuation::new(None, &[], &s(&["allimages"]), &[], |_| None).unwrap();
        c.set("allimages", "aicontinue", "B.png");
        assert_eq!(cont(c), (r#"{"aicontinue":"B.png","continue":"-||"}"#.into(), true));
        // generator plus an unfinished prop module: repeat the batch, no gaicontinue yet.
        let mut c = Continuation::new(None, &s(&["info", "imageinfo"]), &[], &[], |_| None).unwrap();
        c.set("imageinfo", "iistart", "2026-01-01T00:00:00Z");
        c.set_generator("gaicontinue", "B.png");
        assert_eq!(cont(c), (r#"{"iistart":"2026-01-01T00:00:00Z","continue":"||info"}"#.into(), false));
        // generator alone continues: batch complete, prop modules run again next time.
        let mut c = Continuation::new(None, &s(&["imageinfo"]), &[], &s(&["tokens"]), |_| None).unwrap();
        c.set_generator("gaicontinue", "B.png");
        assert_eq!(
            cont(c),
            (r#"{"gaicontinue":"B.png","continue":"gaicontinue||tokens"}"#.into(), true)
        );
        // nothing to continue.
        let c = Continuation::new(None, &s(&["info"]), &[], &[], |_| None).unwrap();
        assert_eq!(cont(c), (String::new(), true));
    }

    #[test]
    fn echoed_continue_skips_finished_modules() {
        let c = Continuation::new(
            Some("-||allimages|tokens"),
            &s(&["imageinfo"]),
            &s(&["allimages", "logevents"]),
            &s(&["tokens"]),
            |_| None,
        )
        .unwrap();
        assert!(!c.runs("allimages") && !c.runs("tokens") && !c.runs("imageinfo"));
        assert!(c.runs("logevents"));
        assert!(c.generator_done());
        let c = Continuation::new(Some("gaicontinue||"), &s(&["imageinfo"]), &[], &[], |k| {
            (k == "gaicontinue").then(|| "B.png".to_string())
        })
        .unwrap();
        assert!(c.runs("imageinfo") && !c.generator_done());
        let mut c2 = c;
        c2.set("imageinfo", "iistart", "T");
        assert_eq!(
            cont(c2),
            (r#"{"iistart":"T","gaicontinue":"B.png","continue":"gaicontinue||"}"#.into(), false)
        );
        let bad = Continuation::new(Some("nonsense"), &[], &[], &[], |_| None);
        assert_eq!(bad.err().unwrap().code, "badcontinue");
    }
}
