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
    sort(
        "forecast_horizon_weeks",
        strength(&f.horizon),
        problem(&f.horizon),
    );
    sort("season_start_date", strength(&f.start), problem(&f.start));
    sort(
        "replenishment_strategy",
        strength(&f.replenishment),
        problem(&f.replenishment),
    );
    sort(
        "dc_holdback_percentage",
        strength(&f.holdback),
        problem(&f.holdback),
    );
    sort(
        "markdown_checkpoint_week",
        strength(&f.checkpoint),
        problem(&f.checkpoint),
    );
    sort(
        "markdown_threshold",
        strength(&f.threshold),
        problem(&f.threshold),
    );

    let raw = RawSeasonParameters {
        forecast_horizon_weeks: value(&f.horizon).copied(),
        season_start_date: value(&f.start).map(|d| d.to_string()),
        season_end_date: f.end.as_ref().map(|e| e.value.to_string()),
        replenishment_strategy: value(&f.replenishment).map(|r| r.as_str().to_string()),
        dc_holdback_percentage: value(&f.holdback).copied(),
        markdown_checkpoint_week: value(&f.checkpoint).copied().flatten(),
        markdown_threshold: value(&f.threshold).copied().flatten(),
    };
    // Values the text states but the domain refuses (150% holdback, week 14 of 12).
    let refused: Vec<FieldError> = match raw.validate() {
        Ok(_) => Vec::new(),
        Err(e) => e
            .fields()
            .iter()
            .filter(|fe| fe.reason != "is required" && !fe.reason.starts_with("is required when"))
            .cloned()
            .collect(),
    };
    invalid.extend(refused);
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

impl Scan<'_> {
    fn t(&self, i: usize) -> Option<&Token> {
        self.tokens.get(i)
    }

    /// The original text of tokens `first..=last`, trimmed.
    fn quote(&self, first: usize, last: usize) -> String {
        match (self.tokens.get(first), self.tokens.get(last)) {
            (Some(a), Some(b)) if a.start <= b.end => self.text[a.start..b.end].trim().to_string(),
            _ => String::new(),
        }
    }

    /// The original text of the clause holding token `i`.
    fn clause_quote(&self, i: usize) -> String {
        let (a, b) = range_of(&self.clauses, i);
        self.quote(a, b.saturating_sub(1).max(a))
    }

    /// The original text of the clause holding token `i`, widened to the sentence when
    /// the clause is only a fragment ("threshold 65%").
    fn sentence_quote(&self, i: usize) -> String {
        let (a, b) = range_of(&self.sentences, i);
        self.quote(a, b.saturating_sub(1).max(a))
    }

    fn clause(&self, i: usize) -> (usize, usize) {
        range_of(&self.clauses, i)
    }

    fn sentence(&self, i: usize) -> (usize, usize) {
        range_of(&self.sentences, i)
    }

    fn is_replen_word(&self, i: usize) -> bool {
        stem_at(&self.tokens, i, REPLEN)
            || (self
                .t(i)
                .is_some_and(|t| t.is_any(&["top", "topped", "topping", "tops"]))
                && self.t(i + 1).is_some_and(|t| t.is_any(&["up", "ups"])))
    }

    fn has_replen_word(&self, range: (usize, usize)) -> bool {
        (range.0..range.1).any(|i| self.is_replen_word(i))
    }

    fn topic_at(&self, i: usize) -> Option<Topic> {
        let t = self.t(i)?;
        if self.is_replen_word(i) {
            return Some(Topic::Replenishment);
        }
        if stem_at(&self.tokens, i, MARKDOWN_NOUNS)
            || (t.is("mark") && self.t(i + 1).is_some_and(|n| n.is_any(&["down", "downs"])))
            || (t.is("price")
                && self
                    .t(i + 1)
                    .is_some_and(|n| n.is_any(&["cut", "cuts", "reduction", "reductions"])))
            || t.is("sale")
        {
            return Some(Topic::Markdown);
        }
        if stem_at(&self.tokens, i, HOLDBACK) || t.is("back") {
            return Some(Topic::Holdback);
        }
        None
    }

    /// For each negation word, the topic it denies: the first topic word within four
    /// tokens, not crossing a clause break, a number or a percentage.
    fn negations(&self) -> Vec<(Topic, usize, usize)> {
        let mut out = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            let negates = t.is_any(crate::text::NEGATIONS) || t.text.ends_with("n't");
            if !negates || t.kind != Kind::Word {
                continue;
            }
            for j in i + 1..(i + 5).min(self.tokens.len()) {
                let tj = &self.tokens[j];
                if tj.is_break() || matches!(tj.kind, Kind::Percent(_) | Kind::Num { .. }) {
                    break;
                }
                if let Some(topic) = self.topic_at(j) {
                    out.push((topic, i, j));
                    break;
                }
            }
        }
        out
    }

    fn horizon(&self) -> Read<i64> {
        let mut found = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            let Some(n) = t.cardinal() else { continue };
            if !self
                .t(i + 1)
                .is_some_and(|w| w.is_any(&["week", "weeks", "wk", "wks"]))
            {
                continue;
            }
            let before = i.checked_sub(1).and_then(|p| self.t(p));
            if before.is_some_and(|b| b.is_any(NOT_LENGTH)) {
                continue;
            }
            if self.t(i + 2).is_some_and(|a| {
                a.is_any(&[
                    "in", "into", "before", "after", "ahead", "prior", "later", "out",
                ])
            }) {
                continue;
            }
            found.push(Finding {
                value: n,
                phrase: self.quote(i, i + 1),
                strong: true,
            });
        }
        decide("forecast_horizon_weeks", found)
    }

    /// The start date and, when stated, the end date.
    fn dates(&self) -> (Read<NaiveDate>, Option<Finding<NaiveDate>>) {
        let all = find_dates(&self.tokens, self.today);
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        let mut plain = Vec::new();
        for d in &all {
            match self.date_cue(d) {
                Some((true, cue)) => starts.push((d, cue)),
                Some((false, cue)) => ends.push((d, cue)),
                None => plain.push((d, d.first)),
            }
        }
        let (pool, strong) = if starts.is_empty() {
            (plain, false)
        } else {
            (starts, true)
        };
        let start = self.date_read("season_start_date", &pool, strong);
        let end = match self.date_read("season_end_date", &ends, true) {
            Read::Found(f) => Some(f),
            _ => None,
        };
        (start, end)
    }

    fn date_read(
        &self,
        field: &str,
        pool: &[(&FoundDate, usize)],
        strong: bool,
    ) -> Read<NaiveDate> {
        let mut findings = Vec::new();
        for (d, cue) in pool {
            match &d.read {
                DateRead::Date(date) => findings.push(Finding {
                    value: *date,
                    phrase: self.quote(*cue, d.last),
                    strong,
                }),
                DateRead::Ambiguous(reason) => return Read::Ambiguous(reason.clone()),
                DateRead::Invalid(reason) => return Read::Invalid(reason.clone()),
            }
        }
        decide(field, findings)
    }

    /// Whether a date is cued as a start (true) or an end (false), with the cue's index.
    fn date_cue(&self, d: &FoundDate) -> Option<(bool, usize)> {
        let lo = d.first.saturating_sub(4);
        for j in (lo..d.first).rev() {
            let t = &self.tokens[j];
            if t.kind == Kind::Stop {
                return None;
            }
            if t.is("date") {
                let before = j.checked_sub(1).and_then(|p| self.t(p));
                let is_end = before
                    .is_some_and(|b| b.is_any(&["end", "ending", "last", "final", "closing"]));
                return Some((!is_end, j.saturating_sub(1)));
            }
            if t.is_any(START_CUES) {
                return Some((true, j));
            }
            if t.is_any(END_CUES) {
                return Some((false, j));
            }
        }
        None
    }

    fn replenishment(&self) -> Read<ReplenishmentStrategy> {
        use ReplenishmentStrategy as R;
        let mut found = Vec::new();
        for (topic, i, j) in self.negations() {
            if topic == Topic::Replenishment {
                found.push(Finding {
                    value: R::None,
                    phrase: self.quote(i, j + usize::from(self.t(j).is_some_and(|t| t.is("top")))),
                    strong: true,
                });
            }
        }
        let mut invalid = None;
        for (i, t) in self.tokens.iter().enumerate() {
            let next = |k: usize| self.t(i + k);
            // "one initial allocation", "one-shot allocation", "a single shipment".
            // "one" and "1" are number tokens; compare the text.
            if matches!(t.text.as_str(), "one" | "single" | "1" | "a single") {
                let shot = (1..=2).find(|k| {
                    next(*k).is_some_and(|w| {
                        w.is_any(&["allocation", "shipment", "shot", "drop", "delivery", "push"])
                    })
                });
                if let Some(k) = shot {
                    found.push(Finding {
                        value: R::None,
                        phrase: self.quote(i, i + k),
                        strong: true,
                    });
                }
            }
            // "replenishment: none", "replenishment strategy none".
            if self.is_replen_word(i) {
                let k = if next(1).is_some_and(|w| w.is("strategy")) {
                    2
                } else {
                    1
                };
                let k = if next(k).is_some_and(|w| w.text == ":") {
                    k + 1
                } else {
                    k
                };
                if next(k).is_some_and(|w| w.is("none")) {
                    found.push(Finding {
                        value: R::None,
                        phrase: self.quote(i, i + k),
                        strong: true,
                    });
                }
            }
            let Some((cadence, last)) = self.cadence_at(i) else {
                continue;
            };
            let clause = self.clause(i);
            let strong = self.has_replen_word(clause) || self.has_replen_word(self.sentence(i));
            let shipping = has_stem(
                &self.tokens,
                clause,
                &["ship", "send", "deliver", "dc", "warehouse", "store"],
            );
            if !strong && !shipping {
                continue;
            }
            match cadence {
                Some(value) => found.push(Finding {
                    value,
                    phrase: self.clause_quote(i),
                    strong,
                }),
                None if strong => {
                    invalid = Some(format!(
                        "\"{}\" is not one of none, weekly, bi-weekly ({})",
                        self.quote(i, last),
                        self.clause_quote(i)
                    ));
                }
                None => {}
            }
        }
        if let Some(reason) = invalid
            && found.is_empty()
        {
            return Read::Invalid(reason);
        }
        decide("replenishment_strategy", found)
    }

    /// A cadence phrase starting at token `i`: `Some(strategy)` for weekly/bi-weekly,
    /// `None` for a cadence the domain has no strategy for (daily, monthly).
    fn cadence_at(&self, i: usize) -> Option<(Option<ReplenishmentStrategy>, usize)> {
        use ReplenishmentStrategy as R;
        let t = self.t(i)?;
        let next = |k: usize| self.t(i + k);
        let prev_bi = i
            .checked_sub(1)
            .and_then(|p| self.t(p))
            .is_some_and(|p| p.is_any(&["bi", "semi"]));
        if t.is("weekly") && !prev_bi {
            return Some((Some(R::Weekly), i));
        }
        if t.is_any(&["biweekly", "fortnightly"]) {
            return Some((Some(R::BiWeekly), i));
        }
        if t.is("bi") && next(1).is_some_and(|n| n.is("weekly")) {
            return Some((Some(R::BiWeekly), i + 1));
        }
        if t.is_any(&["daily", "monthly"]) {
            return Some((None, i));
        }
        let unit = |k: usize| next(k).map(|n| n.text.as_str());
        if t.is_any(&["every", "each"]) {
            return match (unit(1), unit(2)) {
                (Some("week"), _) => Some((Some(R::Weekly), i + 1)),
                (Some("fortnight"), _) => Some((Some(R::BiWeekly), i + 1)),
                (Some("two" | "2" | "other" | "second"), Some("weeks" | "week")) => {
                    Some((Some(R::BiWeekly), i + 2))
                }
                (Some("7"), Some("days")) => Some((Some(R::Weekly), i + 2)),
                (Some("14"), Some("days")) => Some((Some(R::BiWeekly), i + 2)),
                (Some("day" | "month"), _) => Some((None, i + 1)),
                _ => None,
            };
        }
        if t.is_any(&["once", "twice"]) && next(1).is_some_and(|n| n.is_any(&["a", "per", "every"]))
        {
            return match (t.text.as_str(), unit(2)) {
                ("once", Some("week")) => Some((Some(R::Weekly), i + 2)),
                ("once", Some("fortnight")) => Some((Some(R::BiWeekly), i + 2)),
                _ => None,
            };
        }
        None
    }

    /// Shares of stock named in the text, classified as holdback or markdown target by
    /// the words of their clause (then sentence).
    fn shares(&self) -> Vec<(usize, f64, Topic)> {
        let mut out = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            let share = match t.kind {
                Kind::Percent(p) => p,
                Kind::Num {
                    value,
                    decimal: true,
                    ..
                } => value,
                _ => continue,
            };
            // "up to 40% off" describes a markdown depth, not a target or a holdback.
            if self.t(i + 1).is_some_and(|n| n.is("off"))
                || i.checked_sub(1)
                    .and_then(|p| self.t(p))
                    .is_some_and(|p| p.is_any(&["to", "cap", "max", "maximum"]))
                    && i.checked_sub(2)
                        .and_then(|p| self.t(p))
                        .is_some_and(|p| p.is_any(&["up", "at", "capped"]))
            {
                continue;
            }
            if let Some(topic) = self
                .share_topic(i, self.clause(i))
                .or_else(|| self.share_topic(i, self.sentence(i)))
            {
                out.push((i, share, topic));
            }
        }
        out
    }

    fn share_topic(&self, i: usize, range: (usize, usize)) -> Option<Topic> {
        if has_stem(&self.tokens, range, &["safety"]) {
            return None;
        }
        let nearest = |stems: &[&str]| {
            (range.0..range.1)
                .filter(|j| stem_at(&self.tokens, *j, stems))
                .map(|j| j.abs_diff(i))
                .min()
        };
        let launch = self.launch_share(range);
        match (nearest(HOLDBACK), nearest(MARKDOWN)) {
            (Some(_), None) => Some(Topic::Holdback),
            (None, Some(_)) => Some(Topic::Markdown),
            (Some(h), Some(m)) => Some(if h <= m {
                Topic::Holdback
            } else {
                Topic::Markdown
            }),
            (None, None) if launch => Some(Topic::Replenishment),
            (None, None) => None,
        }
    }

    /// Whether `range` talks about shipping to stores at launch ("ship 70% up front").
    fn launch_share(&self, range: (usize, usize)) -> bool {
        let moves = has_stem(
            &self.tokens,
            range,
            &["ship", "send", "push", "allocat", "store"],
        );
        moves && self.has_launch_cue(range)
    }

    fn has_launch_cue(&self, range: (usize, usize)) -> bool {
        (range.0..range.1).any(|j| {
            let t = &self.tokens[j];
            let next = self.t(j + 1);
            t.is_any(&["launch", "upfront", "initially", "opening", "once"])
                || (t.is("up") && next.is_some_and(|n| n.is("front")))
                || (t.is("day") && next.is_some_and(|n| n.integer() == Some(1)))
                || (t.is("week") && next.is_some_and(|n| n.integer() == Some(0)))
                || (t.is("the") && next.is_some_and(|n| n.is("start")))
        })
    }

    fn holdback(&self) -> Read<f64> {
        let mut found = Vec::new();
        for (i, share, topic) in self.shares() {
            let value = match topic {
                Topic::Holdback => share,
                // Shipping 70% at launch keeps 30% back.
                Topic::Replenishment => 1.0 - share,
                Topic::Markdown => continue,
            };
            found.push(Finding {
                value: (value * 1e6).round() / 1e6,
                phrase: self.clause_quote(i),
                strong: true,
            });
        }
        for (topic, i, j) in self.negations() {
            if topic == Topic::Holdback {
                found.push(Finding {
                    value: 0.0,
                    phrase: self.quote(i, j.max(self.clause(i).1.saturating_sub(1))),
                    strong: true,
                });
            }
        }
        // "ship everything up front", "all stock to stores on day one".
        for (a, b) in &self.clauses {
            let range = (*a, *b);
            let everything = (*a..*b).any(|j| {
                let t = &self.tokens[j];
                t.is_any(&["everything", "entire", "whole"])
                    || t.kind == Kind::Percent(1.0)
                    || (t.is("all")
                        && (1..=2).any(|k| {
                            self.t(j + k).is_some_and(|n| {
                                n.is_any(&[
                                    "stock",
                                    "inventory",
                                    "units",
                                    "product",
                                    "products",
                                    "buy",
                                    "merchandise",
                                    "of",
                                    "the",
                                ])
                            })
                        })
                        && !self
                            .t(j + 1)
                            .is_some_and(|n| n.is_any(&["stores", "store"])))
            });
            if everything && self.launch_share(range) {
                found.push(Finding {
                    value: 0.0,
                    phrase: self.quote(*a, b.saturating_sub(1)),
                    strong: true,
                });
            }
        }
        decide("dc_holdback_percentage", found)
    }

    /// The checkpoint week and threshold; `Found(None)` for both on "no markdowns".
    fn markdown(&self) -> (Read<Option<i64>>, Read<Option<f64>>) {
        let mut never = Vec::new();
        for (topic, i, j) in self.negations() {
            if topic == Topic::Markdown {
                let j = j + usize::from(self.t(j + 1).is_some_and(|t| {
                    t.is_any(&["down", "downs", "cut", "cuts", "checkpoint", "checkpoints"])
                }));
                never.push(self.quote(i, j));
            }
        }
        for (i, t) in self.tokens.iter().enumerate() {
            if t.is("full") && self.t(i + 1).is_some_and(|n| n.is("price")) {
                never.push(self.quote(i, i + 1));
            }
        }
        let mut weeks = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            let week = if t.is("week") {
                // "week 6", "week-6"; not "every week", "a week".
                let prev = i.checked_sub(1).and_then(|p| self.t(p));
                match self.t(i + 1).and_then(Token::integer) {
                    Some(n) if !prev.is_some_and(|p| p.is_any(&["every", "each", "a", "per"])) => {
                        Some((n, i, i + 1))
                    }
                    _ => None,
                }
            } else if let (Kind::Num { ordinal: true, .. }, Some(n)) = (t.kind, t.integer()) {
                // "the sixth week".
                let prev = i.checked_sub(1).and_then(|p| self.t(p));
                if self.t(i + 1).is_some_and(|w| w.is("week"))
                    && !prev.is_some_and(|p| p.is_any(&["every", "each", "other"]))
                {
                    Some((n, i, i + 1))
                } else {
                    None
                }
            } else if let Some(n) = t.cardinal() {
                // "after 6 weeks", "6 weeks in".
                let prev = i.checked_sub(1).and_then(|p| self.t(p));
                let unit = self.t(i + 1).is_some_and(|w| w.is_any(&["week", "weeks"]));
                let pointy = prev.is_some_and(|p| p.is_any(&["after", "at", "by", "in", "within"]))
                    || self.t(i + 2).is_some_and(|a| a.is_any(&["in", "into"]));
                if unit && pointy {
                    Some((n, i.saturating_sub(1), i + 1))
                } else {
                    None
                }
            } else {
                None
            };
            let Some((n, _, _)) = week else { continue };
            let sentence = self.sentence(i);
            let clause = self.clause(i);
            let about_markdown = has_stem(&self.tokens, sentence, MARKDOWN)
                || (sentence.0..sentence.1).any(|j| self.topic_at(j) == Some(Topic::Markdown));
            // "replenish from week 2" is not a checkpoint.
            let about_replenishment =
                self.has_replen_word(clause) && !has_stem(&self.tokens, clause, MARKDOWN);
            if about_markdown && !about_replenishment {
                weeks.push(Finding {
                    value: Some(n),
                    phrase: self.clause_quote(i),
                    strong: true,
                });
            }
        }
        let thresholds: Vec<Finding<Option<f64>>> = self
            .shares()
            .into_iter()
            .filter(|(_, _, topic)| *topic == Topic::Markdown)
            .map(|(i, share, _)| Finding {
                value: Some((share * 1e6).round() / 1e6),
                phrase: if self.clause_quote(i).split_whitespace().count() <= 2 {
                    self.sentence_quote(i)
                } else {
                    self.clause_quote(i)
                },
                strong: true,
            })
            .collect();
        if let Some(no) = never.first() {
            if weeks.is_empty() && thresholds.is_empty() {
                return (never_found(no), never_found(no));
            }
            let other = weeks
                .first()
                .map(|w| w.phrase.clone())
                .or_else(|| thresholds.first().map(|t| t.phrase.clone()))
                .unwrap_or_default();
            let reason = format!("the text says \"{no}\" but also \"{other}\"");
            return (Read::Ambiguous(reason.clone()), Read::Ambiguous(reason));
        }
        (
            decide("markdown_checkpoint_week", weeks),
            decide("markdown_threshold", thresholds),
        )
    }
}
