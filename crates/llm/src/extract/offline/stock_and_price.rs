//! The fields read from the planner's cues about stock and price: the
//! replenishment cadence, the share held back at the DC, and the markdown's week
//! and sell-through target.

use super::*;

impl Scan<'_> {
    pub(super) fn replenishment(&self) -> Read<ReplenishmentStrategy> {
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
            found.extend(self.single_shipment(i, t));
            found.extend(self.stated_none(i));
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

    /// "one initial allocation", "one-shot allocation", "a single shipment" at token
    /// `i` ("one" and "1" are number tokens; the text is compared).
    fn single_shipment(&self, i: usize, t: &Token) -> Option<Finding<ReplenishmentStrategy>> {
        if !matches!(t.text.as_str(), "one" | "single" | "1" | "a single") {
            return None;
        }
        let k = (1..=2).find(|k| {
            self.t(i + k).is_some_and(|w| {
                w.is_any(&["allocation", "shipment", "shot", "drop", "delivery", "push"])
            })
        })?;
        Some(Finding {
            value: ReplenishmentStrategy::None,
            phrase: self.quote(i, i + k),
            strong: true,
        })
    }

    /// "replenishment: none", "replenishment strategy none" at token `i`.
    fn stated_none(&self, i: usize) -> Option<Finding<ReplenishmentStrategy>> {
        if !self.is_replen_word(i) {
            return None;
        }
        let next = |k: usize| self.t(i + k);
        let mut k = if next(1).is_some_and(|w| w.is("strategy")) {
            2
        } else {
            1
        };
        if next(k).is_some_and(|w| w.text == ":") {
            k += 1;
        }
        next(k).is_some_and(|w| w.is("none")).then(|| Finding {
            value: ReplenishmentStrategy::None,
            phrase: self.quote(i, i + k),
            strong: true,
        })
    }

    /// A cadence phrase starting at token `i`: `Some(strategy)` for weekly/bi-weekly,
    /// `None` for a cadence the domain has no strategy for (daily, monthly).
    pub(super) fn cadence_at(&self, i: usize) -> Option<(Option<ReplenishmentStrategy>, usize)> {
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
    pub(super) fn shares(&self) -> Vec<(usize, f64, Topic)> {
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

    pub(super) fn share_topic(&self, i: usize, range: (usize, usize)) -> Option<Topic> {
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
    pub(super) fn launch_share(&self, range: (usize, usize)) -> bool {
        let moves = has_stem(
            &self.tokens,
            range,
            &["ship", "send", "push", "allocat", "store"],
        );
        moves && self.has_launch_cue(range)
    }

    pub(super) fn has_launch_cue(&self, range: (usize, usize)) -> bool {
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

    pub(super) fn holdback(&self) -> Read<f64> {
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

    /// The week number token `i` names, if it names one: "week 6", "week-6" (not
    /// "every week", "a week"), "the sixth week", "after 6 weeks", "6 weeks in".
    fn week_mentioned(&self, i: usize, t: &Token) -> Option<i64> {
        if t.is("week") {
            // "week 6", "week-6"; not "every week", "a week".
            let prev = i.checked_sub(1).and_then(|p| self.t(p));
            match self.t(i + 1).and_then(Token::integer) {
                Some(n) if !prev.is_some_and(|p| p.is_any(&["every", "each", "a", "per"])) => {
                    Some(n)
                }
                _ => None,
            }
        } else if let (Kind::Num { ordinal: true, .. }, Some(n)) = (t.kind, t.integer()) {
            // "the sixth week".
            let prev = i.checked_sub(1).and_then(|p| self.t(p));
            if self.t(i + 1).is_some_and(|w| w.is("week"))
                && !prev.is_some_and(|p| p.is_any(&["every", "each", "other"]))
            {
                Some(n)
            } else {
                None
            }
        } else if let Some(n) = t.cardinal() {
            // "after 6 weeks", "6 weeks in".
            let prev = i.checked_sub(1).and_then(|p| self.t(p));
            let unit = self.t(i + 1).is_some_and(|w| w.is_any(&["week", "weeks"]));
            let pointy = prev.is_some_and(|p| p.is_any(&["after", "at", "by", "in", "within"]))
                || self.t(i + 2).is_some_and(|a| a.is_any(&["in", "into"]));
            if unit && pointy { Some(n) } else { None }
        } else {
            None
        }
    }

    /// The checkpoint week and threshold; `Found(None)` for both on "no markdowns".
    pub(super) fn markdown(&self) -> (Read<Option<i64>>, Read<Option<f64>>) {
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
            let Some(n) = self.week_mentioned(i, t) else {
                continue;
            };
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
