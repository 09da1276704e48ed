//! The rule-based extractor: reads the seven season parameters from planner prose with
//! no model at all, so the system runs without a key and the LLM path has a fallback.
//!
//! Each field is read from explicit cues (a number before "weeks", a percentage in a
//! clause about the DC, a negation attached to "replenishment", ...). A field the text
//! does not state is reported missing, two different values for one field are reported
//! as ambiguous: the extractor never guesses. Silence about markdowns counts as missing,
//! because "never mark down" is a business decision a planner must state.

use super::dates::{DateRead, FoundDate, find_dates};
use super::{Confidence, ExtractError, Extraction, Source};
use crate::text::{Kind, Token, clauses, has_stem, range_of, sentences, stem_at, tokenize};
use atelier_core::params::{FieldError, RawSeasonParameters, ReplenishmentStrategy};
use chrono::NaiveDate;

mod scan;
mod stock_and_price;

/// A value read from the text with the phrase that gave it.
#[derive(Debug, Clone, PartialEq)]
struct Finding<T> {
    value: T,
    phrase: String,
    /// False when the cue was indirect (a date without "starting", a cadence without
    /// the word "replenish"); lowers the confidence.
    strong: bool,
}

/// The outcome for one field.
#[derive(Debug, Clone, PartialEq)]
enum Read<T> {
    Found(Finding<T>),
    Missing,
    /// The text says two different things, or something unusable; the reason in words.
    Ambiguous(String),
    Invalid(String),
}

/// Stems of words that mean stores are topped up from the DC.
const REPLEN: &[&str] = &["replen", "restock", "refill", "resupply"];
/// Stems of words about stock kept at the DC.
const HOLDBACK: &[&str] = &[
    "holdback",
    "hold",
    "held",
    "keep",
    "kept",
    "reserve",
    "retain",
    "withh",
    "dc",
    "warehouse",
    "distribution",
    "depot",
];
/// Stems of words about the markdown checkpoint and its sell-through target.
const MARKDOWN: &[&str] = &[
    "markdown",
    "mark",
    "discount",
    "sell",
    "sold",
    "threshold",
    "target",
    "below",
    "under",
    "against",
    "less",
    "checkpoint",
    "check",
    "review",
    "price",
    "clearance",
];
/// Stems of words that name a markdown itself (what a negation can deny).
const MARKDOWN_NOUNS: &[&str] = &["markdown", "discount", "promo", "clearance"];
/// Words before "N weeks" that make it a point in the season rather than its length.
const NOT_LENGTH: &[&str] = &[
    "every", "each", "other", "after", "within", "by", "at", "in", "first", "last", "per", "next",
    "until",
];
const START_CUES: &[&str] = &[
    "starting",
    "start",
    "starts",
    "started",
    "begin",
    "begins",
    "beginning",
    "from",
    "launching",
    "launch",
    "launches",
    "kicking",
    "kicks",
    "kick",
    "commencing",
    "commences",
    "opening",
    "opens",
    "date",
];
const END_CUES: &[&str] = &[
    "until",
    "till",
    "to",
    "through",
    "thru",
    "ending",
    "ends",
    "end",
    "finishing",
    "finish",
    "closing",
];

/// What a negation word attaches to: the first topic word after it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Topic {
    Replenishment,
    Holdback,
    Markdown,
}

struct Scan<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    sentences: Vec<(usize, usize)>,
    clauses: Vec<(usize, usize)>,
    today: NaiveDate,
}

/// Reads the seven parameters from `text`; dates without a year resolve against `today`.
pub(super) fn extract(text: &str, today: NaiveDate) -> Result<Extraction, ExtractError> {
    let tokens = tokenize(text);
    let scan = Scan {
        text,
        sentences: sentences(&tokens),
        clauses: clauses(&tokens),
        tokens,
        today,
    };
    let (start, end) = scan.dates();
    let mut horizon = scan.horizon();
    // "from March 3 to June 1" states the length through its end date.
    if let (Read::Missing, Read::Found(s), Some(e)) = (&horizon, &start, &end) {
        let days = (e.value - s.value).num_days() + 1;
        if days > 0 && days % 7 == 0 {
            horizon = Read::Found(Finding {
                value: days / 7,
                phrase: format!("{} to {}", s.phrase, e.phrase),
                strong: true,
            });
        }
    }
    let replenishment = scan.replenishment();
    let holdback = scan.holdback();
    let (checkpoint, threshold) = scan.markdown();
    assemble(Fields {
        horizon,
        start,
        end,
        replenishment,
        holdback,
        checkpoint,
        threshold,
        today,
    })
}

struct Fields {
    horizon: Read<i64>,
    start: Read<NaiveDate>,
    end: Option<Finding<NaiveDate>>,
    replenishment: Read<ReplenishmentStrategy>,
    holdback: Read<f64>,
    /// `Found(None)` is an explicit "no markdowns".
    checkpoint: Read<Option<i64>>,
    threshold: Read<Option<f64>>,
    today: NaiveDate,
}

/// A field's read as `assemble` sorts it: its name, whether it was found (and
/// how strongly), and its problem if not.
type Sorted = (&'static str, Option<bool>, Option<(bool, String)>);

fn sorted<T>(field: &'static str, read: &Read<T>) -> Sorted {
    (field, strength(read), problem(read))
}

/// The parameters as read, before the domain's checks.
fn raw_parameters(f: &Fields) -> RawSeasonParameters {
    RawSeasonParameters {
        forecast_horizon_weeks: value(&f.horizon).copied(),
        season_start_date: value(&f.start).map(|d| d.to_string()),
        season_end_date: f.end.as_ref().map(|e| e.value.to_string()),
        replenishment_strategy: value(&f.replenishment).map(|r| r.as_str().to_string()),
        dc_holdback_percentage: value(&f.holdback).copied(),
        markdown_checkpoint_week: value(&f.checkpoint).copied().flatten(),
        markdown_threshold: value(&f.threshold).copied().flatten(),
    }
}

/// Values the text states but the domain refuses (150% holdback, week 14 of 12);
/// a field merely absent is not among them.
fn refused(raw: &RawSeasonParameters) -> Vec<FieldError> {
    match raw.validate() {
        Ok(_) => Vec::new(),
        Err(e) => e
            .fields()
            .iter()
            .filter(|fe| fe.reason != "is required" && !fe.reason.starts_with("is required when"))
            .cloned()
            .collect(),
    }
}

fn assemble(f: Fields) -> Result<Extraction, ExtractError> {
    let mut missing = Vec::new();
    let mut ambiguous = Vec::new();
    let mut invalid = Vec::new();
    let mut weak = 0;
    let mut sort = |field: &str, strong: Option<bool>, read_problem: Option<(bool, String)>| match (
        strong,
        read_problem,
    ) {
        (Some(s), _) => {
            if !s {
                weak += 1;
            }
        }
        (None, Some((true, reason))) => ambiguous.push(FieldError::new(field, reason)),
        (None, Some((false, reason))) => invalid.push(FieldError::new(field, reason)),
        (None, None) => missing.push(field.to_string()),
    };
    let reads = [
        sorted("forecast_horizon_weeks", &f.horizon),
        sorted("season_start_date", &f.start),
        sorted("replenishment_strategy", &f.replenishment),
        sorted("dc_holdback_percentage", &f.holdback),
        sorted("markdown_checkpoint_week", &f.checkpoint),
        sorted("markdown_threshold", &f.threshold),
    ];
    for (field, strong, read_problem) in reads {
        sort(field, strong, read_problem);
    }

    let raw = raw_parameters(&f);
    invalid.extend(refused(&raw));
    if !invalid.is_empty() {
        invalid.extend(ambiguous);
        invalid.extend(
            missing
                .iter()
                .map(|m| FieldError::new(m.clone(), "is not stated in the text")),
        );
        return Err(ExtractError::Invalid(invalid));
    }
    if !ambiguous.is_empty() {
        return Err(ExtractError::Ambiguous(ambiguous));
    }
    if !missing.is_empty() {
        return Err(ExtractError::Missing {
            missing_parameters: missing,
            partial: Box::new(raw),
        });
    }
    let parameters = raw
        .validate()
        .map_err(|e| ExtractError::Invalid(e.fields().to_vec()))?;
    let reasoning = reasoning(&f, &parameters);
    Ok(Extraction {
        parameters,
        extraction_confidence: match weak {
            0 => Confidence::High,
            1 => Confidence::Medium,
            _ => Confidence::Low,
        },
        extraction_reasoning: reasoning,
        source: Source::Offline,
        llm_calls: Vec::new(),
        fallback_reason: None,
    })
}

/// An explicit "no markdowns": a found, null value.
fn never_found<T>(phrase: &str) -> Read<Option<T>> {
    Read::Found(Finding {
        value: None,
        phrase: phrase.to_string(),
        strong: true,
    })
}

fn strength<T>(r: &Read<T>) -> Option<bool> {
    match r {
        Read::Found(f) => Some(f.strong),
        _ => None,
    }
}

fn problem<T>(r: &Read<T>) -> Option<(bool, String)> {
    match r {
        Read::Ambiguous(s) => Some((true, s.clone())),
        Read::Invalid(s) => Some((false, s.clone())),
        _ => None,
    }
}

fn value<T>(r: &Read<T>) -> Option<&T> {
    match r {
        Read::Found(f) => Some(&f.value),
        _ => None,
    }
}

fn phrase<T>(r: &Read<T>) -> &str {
    match r {
        Read::Found(f) => &f.phrase,
        _ => "",
    }
}

fn pct(x: f64) -> String {
    let p = x * 100.0;
    if (p - p.round()).abs() < 1e-6 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// One sentence per field naming the phrase it came from.
fn reasoning(f: &Fields, p: &atelier_core::params::SeasonParameters) -> String {
    let mut out = Vec::new();
    out.push(format!(
        "forecast_horizon_weeks is {} from \"{}\".",
        p.forecast_horizon_weeks,
        phrase(&f.horizon)
    ));
    let year_note = if phrase(&f.start).chars().any(|c| c.is_ascii_digit())
        && !phrase(&f.start).contains(&p.season_start_date.format("%Y").to_string())
    {
        format!(
            " (no year given: the next such date on or after {})",
            f.today
        )
    } else {
        String::new()
    };
    out.push(format!(
        "season_start_date is {} from \"{}\"{year_note}.",
        p.season_start_date,
        phrase(&f.start)
    ));
    out.push(match &f.end {
        Some(e) => format!(
            "season_end_date is {} from \"{}\".",
            p.season_end_date, e.phrase
        ),
        None => format!(
            "season_end_date is {}, derived as the start plus {} weeks less one day.",
            p.season_end_date, p.forecast_horizon_weeks
        ),
    });
    out.push(format!(
        "replenishment_strategy is {} from \"{}\".",
        p.replenishment_strategy,
        phrase(&f.replenishment)
    ));
    out.push(format!(
        "dc_holdback_percentage is {} from \"{}\".",
        pct(p.dc_holdback_percentage),
        phrase(&f.holdback)
    ));
    match (p.markdown_checkpoint_week, p.markdown_threshold) {
        (Some(w), Some(t)) => {
            out.push(format!(
                "markdown_checkpoint_week is {w} from \"{}\".",
                phrase(&f.checkpoint)
            ));
            out.push(format!(
                "markdown_threshold is {} from \"{}\".",
                pct(t),
                phrase(&f.threshold)
            ));
        }
        _ => {
            out.push(format!(
                "markdown_checkpoint_week is null (never mark down) from \"{}\".",
                phrase(&f.checkpoint)
            ));
            out.push("markdown_threshold is null because there is no checkpoint.".to_string());
        }
    }
    out.join(" ")
}

/// Collapses several findings for one field: one distinct value is found, two are
/// ambiguous, none is missing. Strong findings outrank weak ones.
fn decide<T: Clone + PartialEq>(field: &str, findings: Vec<Finding<T>>) -> Read<T> {
    let strong: Vec<_> = findings.iter().filter(|f| f.strong).cloned().collect();
    let pool = if strong.is_empty() { findings } else { strong };
    let mut distinct: Vec<Finding<T>> = Vec::new();
    for f in pool {
        if !distinct.iter().any(|d| d.value == f.value) {
            distinct.push(f);
        }
    }
    match distinct.len() {
        0 => Read::Missing,
        1 => Read::Found(distinct.remove(0)),
        _ => Read::Ambiguous(format!(
            "the text gives different {field} values: {}",
            distinct
                .iter()
                .map(|d| format!("\"{}\"", d.phrase))
                .collect::<Vec<_>>()
                .join(" and ")
        )),
    }
}
