//! The scan's reading tools (tokens, quotes, clauses and sentences, the topic a
//! word belongs to, negations) and the two fields read from the calendar: the
//! season's length and its dates.

use super::*;

impl Scan<'_> {
    pub(super) fn t(&self, i: usize) -> Option<&Token> {
        self.tokens.get(i)
    }

    /// The original text of tokens `first..=last`, trimmed.
    pub(super) fn quote(&self, first: usize, last: usize) -> String {
        match (self.tokens.get(first), self.tokens.get(last)) {
            (Some(a), Some(b)) if a.start <= b.end => self.text[a.start..b.end].trim().to_string(),
            _ => String::new(),
        }
    }

    /// The original text of the clause holding token `i`.
    pub(super) fn clause_quote(&self, i: usize) -> String {
        let (a, b) = range_of(&self.clauses, i);
        self.quote(a, b.saturating_sub(1).max(a))
    }

    /// The original text of the clause holding token `i`, widened to the sentence when
    /// the clause is only a fragment ("threshold 65%").
    pub(super) fn sentence_quote(&self, i: usize) -> String {
        let (a, b) = range_of(&self.sentences, i);
        self.quote(a, b.saturating_sub(1).max(a))
    }

    pub(super) fn clause(&self, i: usize) -> (usize, usize) {
        range_of(&self.clauses, i)
    }

    pub(super) fn sentence(&self, i: usize) -> (usize, usize) {
        range_of(&self.sentences, i)
    }

    pub(super) fn is_replen_word(&self, i: usize) -> bool {
        stem_at(&self.tokens, i, REPLEN)
            || (self
                .t(i)
                .is_some_and(|t| t.is_any(&["top", "topped", "topping", "tops"]))
                && self.t(i + 1).is_some_and(|t| t.is_any(&["up", "ups"])))
    }

    pub(super) fn has_replen_word(&self, range: (usize, usize)) -> bool {
        (range.0..range.1).any(|i| self.is_replen_word(i))
    }

    pub(super) fn topic_at(&self, i: usize) -> Option<Topic> {
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
    pub(super) fn negations(&self) -> Vec<(Topic, usize, usize)> {
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

    pub(super) fn horizon(&self) -> Read<i64> {
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
    pub(super) fn dates(&self) -> (Read<NaiveDate>, Option<Finding<NaiveDate>>) {
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

    pub(super) fn date_read(
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
    pub(super) fn date_cue(&self, d: &FoundDate) -> Option<(bool, usize)> {
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
}
