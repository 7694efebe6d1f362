//! `docs/architecture.md` lists every MediaWiki error code, warning and module the server knows
//! with the file that builds it ("MediaWiki name → file"). This fails when a name in the source
//! is missing there; `python3 scripts/mediawiki_names.py` regenerates the tables.

use std::path::Path;

fn rust_sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "tests" && n != "target") {
                rust_sources(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            // Test modules name things only to test them.
            let text = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            out.push((p.display().to_string(), text));
        }
    }
}

#[test]
fn every_mediawiki_name_in_the_source_is_in_the_architecture_doc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    let mut files = Vec::new();
    rust_sources(&root.join("crates"), &mut files);
    rust_sources(&root.join("src"), &mut files);
    let patterns = [
        r#"ApiError::(?:new|from_message)\(\s*"([a-z][a-z0-9_-]+)""#,
        r#"\.warn\(\s*(?:"[^"]*"|[a-zA-Z_.:()&]+)\s*,\s*"([a-z][a-z0-9_-]+)""#,
        r#"static\s+[A-Z_0-9]+\s*:\s*ModuleSpec\s*=\s*ModuleSpec\s*\{\s*path:\s*"([a-z+]+)""#,
    ];
    let mut missing = Vec::new();
    let mut seen = 0;
    for pat in patterns {
        let re = regex_lite::Regex::new(pat).unwrap();
        for (path, text) in &files {
            for c in re.captures_iter(text) {
                let name = &c[1];
                seen += 1;
                if !doc.contains(&format!("| `{name}` |")) {
                    missing.push(format!("{name} ({path})"));
                }
            }
        }
    }
    assert!(seen > 100, "the patterns found only {seen} names: has the source changed shape?");
    assert!(
        missing.is_empty(),
        "not in docs/architecture.md (run python3 scripts/mediawiki_names.py): {missing:?}"
    );
}
