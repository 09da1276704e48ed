//! The workflow state diagram in `docs/orchestrator.md` is the one the transition
//! table generates, so the documentation cannot drift from the code.

use atelier_engine::state::mermaid_diagram;
use std::path::Path;

const BEGIN: &str = "<!-- state-diagram:begin -->";
const END: &str = "<!-- state-diagram:end -->";
const FENCE_OPEN: &str = "```mermaid\n";
const FENCE_CLOSE: &str = "```";

/// The text inside the ```mermaid fence between the two marker lines.
fn embedded_diagram(doc: &str) -> Result<String, String> {
    let doc = doc.replace("\r\n", "\n");
    let start = doc
        .find(BEGIN)
        .ok_or_else(|| format!("the marker line {BEGIN} is missing"))?
        + BEGIN.len();
    let end = doc[start..]
        .find(END)
        .ok_or_else(|| format!("the marker line {END} is missing after {BEGIN}"))?
        + start;
    let between = &doc[start..end];
    let body_start = between
        .find(FENCE_OPEN)
        .ok_or_else(|| "no ```mermaid fence between the markers".to_string())?
        + FENCE_OPEN.len();
    let body_end = between[body_start..]
        .rfind(FENCE_CLOSE)
        .ok_or_else(|| "the ```mermaid fence between the markers is not closed".to_string())?
        + body_start;
    Ok(between[body_start..body_end].to_string())
}

#[test]
fn orchestrator_doc_embeds_the_generated_state_diagram() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/orchestrator.md");
    let doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let embedded = embedded_diagram(&doc).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `atelier states` and paste its output in a ```mermaid fence between {BEGIN} and {END}",
            path.display()
        )
    });
    assert_eq!(
        embedded,
        mermaid_diagram(),
        "the state diagram in {} differs from the transition table; run `atelier states` \
         (cargo run -q -- states) and paste its output between {BEGIN} and {END}",
        path.display()
    );
}

#[test]
fn the_extractor_reads_only_the_fenced_text_between_the_markers() {
    let doc = format!(
        "intro\n{BEGIN}\n```mermaid\nstateDiagram-v2\n    a --> b\n```\n{END}\n```mermaid\nother\n```\n"
    );
    assert_eq!(
        embedded_diagram(&doc).as_deref(),
        Ok("stateDiagram-v2\n    a --> b\n")
    );
    assert!(embedded_diagram("no markers here").is_err());
    assert!(embedded_diagram(&format!("{BEGIN}\nstateDiagram-v2\n{END}\n")).is_err());
}
