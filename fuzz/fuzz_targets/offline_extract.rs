//! The rule-based extractor (a planner's words to the seven parameters) on
//! arbitrary text: parameters or an error, never a panic.
#![no_main]

use atelier_fuzz::fuzz_target;
use chrono::NaiveDate;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2025, 1, 15).expect("a date");
    if let Ok(extraction) = atelier_llm::extract_offline(text, today) {
        let _ = extraction.summary_json();
    }
});
