//! The dashboard's files, embedded at compile time, and the HTML shell rendered
//! once per process with the shipped parameter files and scenarios.

use atelier_core::sample;
use serde_json::{Map, Value, json};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

/// One embedded file.
pub struct Asset {
    /// The name under `/assets/`.
    pub name: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its text.
    pub body: &'static str,
}

impl Asset {
    /// A strong validator of the content.
    pub fn etag(&self) -> String {
        etag_of(self.body)
    }
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_str!(concat!("assets/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file the page loads besides the shell.
pub const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("format.js", JS),
    asset!("stream.js", JS),
    asset!("model.js", JS),
    asset!("charts.js", JS),
    asset!("seasons.js", JS),
    asset!("new_season.js", JS),
    asset!("season.js", JS),
    asset!("timeline.js", JS),
    asset!("overview.js", JS),
    asset!("approvals.js", JS),
    asset!("stores.js", JS),
    asset!("store.js", JS),
    asset!("uploads.js", JS),
    asset!("report.js", JS),
    asset!("compare.js", JS),
    asset!("whatif.js", JS),
];

/// The embedded file called `name`, if any.
pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The rendered shell and its validator.
pub struct Shell {
    /// The HTML.
    pub body: String,
    /// Its validator.
    pub etag: String,
}

static SHELL: LazyLock<Shell> = LazyLock::new(|| {
    let template = include_str!("assets/index.html");
    let boot = boot_json().to_string().replace('<', "\\u003c");
    let body = template.replace("{{BOOT}}", &boot);
    let etag = etag_of(&body);
    Shell { body, etag }
});

/// The shell, rendered on first use.
pub fn shell() -> &'static Shell {
    &SHELL
}

/// What the page needs before its first API call: the shipped parameter files
/// (by name, as JSON) and scenario names, and the server's version.
fn boot_json() -> Value {
    let mut sets = Map::new();
    for (name, text) in sample::PARAMETER_SETS {
        // A shipped file is valid JSON (the core's tests read each one); a broken
        // one is left out rather than breaking the page.
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            sets.insert((*name).to_string(), v);
        }
    }
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "parameter_sets": sets,
        "default_parameter_set": sample::DEFAULT_PARAMETER_SET,
        "default_category": sample::DEFAULT_CATEGORY,
        "scenarios": sample::SCENARIOS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "default_scenario": sample::DEFAULT_SCENARIO,
    })
}

fn etag_of(text: &str) -> String {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    format!("\"{:016x}-{}\"", h.finish(), text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_carries_the_boot_data_and_names_only_embedded_files() {
        let page = &shell().body;
        assert!(!page.contains("{{BOOT}}"));
        assert!(
            page.contains("\"standard_retail\""),
            "parameter sets in the shell"
        );
        assert!(page.contains("normal_season"));
        for link in page.split("/assets/").skip(1) {
            let name: String = link.chars().take_while(|c| *c != '"').collect();
            assert!(
                find(&name).is_some(),
                "the shell loads {name}, which is not embedded"
            );
        }
    }

    #[test]
    fn every_module_import_names_an_embedded_file() {
        for a in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            for line in a.body.lines().filter(|l| l.starts_with("import ")) {
                let Some(spec) = line.split(['\'', '"']).nth(1) else {
                    continue;
                };
                let name = spec.trim_start_matches("./");
                assert!(find(name).is_some(), "{} imports {spec}", a.name);
            }
        }
    }

    #[test]
    fn etags_differ_with_content() {
        assert_ne!(etag_of("a"), etag_of("b"));
        assert_eq!(etag_of("a"), etag_of("a"));
    }
}
