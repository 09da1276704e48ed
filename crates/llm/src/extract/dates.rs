//! Finding dates in planner prose: ISO (`2025-02-24`), month names (`March 1st`,
//! `Nov 3, 2025`, `1 September 2025`, `the 3rd of March`) and numeric day/month forms
//! (`15/05/2025`, `05/15/2025`). A date without a year is the next such date on or
//! after "today"; a numeric date whose day and month could be swapped is reported as
//! ambiguous rather than guessed.

use crate::text::{Kind, Token};
use chrono::{Datelike, NaiveDate};

/// What was read at one place in the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DateRead {
    /// A date, resolved to a calendar day.
    Date(NaiveDate),
    /// A numeric date whose day and month could be either way round (`03/04/2025`).
    Ambiguous(String),
    /// Something shaped like a date that names no real day (`February 30`).
    Invalid(String),
}

/// One date-like phrase: its reading and the tokens it spans (inclusive).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FoundDate {
    /// What the phrase means.
    pub read: DateRead,
    /// Index of the first token of the phrase.
    pub first: usize,
    /// Index of the last token of the phrase.
    pub last: usize,
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

fn month_of(t: &Token) -> Option<u32> {
    if t.kind != Kind::Word {
        return None;
    }
    MONTHS.iter().find(|(w, _)| *w == t.text).map(|(_, m)| *m)
}

fn day_of(t: &Token) -> Option<u32> {
    t.integer()
        .filter(|d| (1..=31).contains(d))
        .and_then(|d| u32::try_from(d).ok())
}

fn year_of(t: &Token) -> Option<i32> {
    t.cardinal()
        .filter(|y| (1900..=2200).contains(y))
        .and_then(|y| i32::try_from(y).ok())
}

/// Every date-like phrase in `tokens`, in order.
pub(crate) fn find_dates(tokens: &[Token], today: NaiveDate) -> Vec<FoundDate> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Some(found) = date_at(tokens, i, today) {
            i = found.last + 1;
            out.push(found);
        } else {
            i += 1;
        }
    }
    out
}

fn date_at(tokens: &[Token], i: usize, today: NaiveDate) -> Option<FoundDate> {
    let t = &tokens[i];
    if t.kind == Kind::Compound {
        return numeric_date(&t.text, today).map(|read| FoundDate {
            read,
            first: i,
            last: i,
        });
    }
    // Month first: "March 1st", "Nov 3, 2025", "March the 3rd".
    if let Some(month) = month_of(t) {
        let mut j = i + 1;
        if tokens.get(j).is_some_and(|n| n.is("the")) {
            j += 1;
        }
        let day = tokens.get(j).and_then(day_of)?;
        let (year, last) = year_after(tokens, j);
        return Some(FoundDate {
            read: resolve(year, month, day, today),
            first: i,
            last,
        });
    }
    // Day first: "1 September 2025", "3rd of March".
    let day = day_of(t)?;
    let mut j = i + 1;
    if tokens.get(j).is_some_and(|n| n.is("of")) {
        j += 1;
    }
    let month = tokens.get(j).and_then(month_of)?;
    let (year, last) = year_after(tokens, j);
    let first = if i > 0 && tokens[i - 1].is("the") {
        i - 1
    } else {
        i
    };
    Some(FoundDate {
        read: resolve(year, month, day, today),
        first,
        last,
    })
}

/// A year right after token `j` (optionally after a comma): the year and the last
/// token of the phrase.
fn year_after(tokens: &[Token], j: usize) -> (Option<i32>, usize) {
    let mut k = j + 1;
    if tokens.get(k).is_some_and(|t| t.text == ",") {
        k += 1;
    }
    match tokens.get(k).and_then(year_of) {
        Some(y) => (Some(y), k),
        None => (None, j),
    }
}

/// Reads `2025-02-24`, `15/05/2025`, `05/15/25`, `15.05.2025`, `15/05`.
fn numeric_date(text: &str, today: NaiveDate) -> Option<DateRead> {
    let hyphen = text.contains('-');
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    let nums: Vec<u32> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match (parts.as_slice(), nums.as_slice()) {
        ([y, _, _], [yv, m, d]) if y.len() == 4 => {
            let year = i32::try_from(*yv).ok()?;
            Some(resolve(Some(year), *m, *d, today))
        }
        // Hyphens join ISO dates only; "3-4 weeks" is a range, not a date.
        _ if hyphen => None,
        ([_, _, y], [a, b, yv]) if y.len() == 4 || y.len() == 2 => {
            let year = if y.len() == 2 { 2000 + *yv } else { *yv };
            let year = i32::try_from(year).ok()?;
            Some(day_month(*a, *b, Some(year), text, today))
        }
        ([_, _], [a, b]) => Some(day_month(*a, *b, None, text, today)),
        _ => None,
    }
}

/// Orders the two leading numbers of a numeric date: a part above 12 must be the day;
/// when both could be months and differ, the date is ambiguous.
fn day_month(a: u32, b: u32, year: Option<i32>, text: &str, today: NaiveDate) -> DateRead {
    match (a <= 12, b <= 12) {
        (true, true) if a != b => DateRead::Ambiguous(format!(
            "'{text}' could be {} or {}; write the month as a word or use YYYY-MM-DD",
            describe(a, b),
            describe(b, a)
        )),
        (true, true) | (false, true) => resolve(year, b, a, today),
        (true, false) => resolve(year, a, b, today),
        (false, false) => DateRead::Invalid(format!("'{text}' is not a day and month")),
    }
}

fn describe(day: u32, month: u32) -> String {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let name = usize::try_from(month)
        .ok()
        .and_then(|m| m.checked_sub(1))
        .and_then(|m| NAMES.get(m))
        .copied()
        .unwrap_or("?");
    format!("{day} {name}")
}

/// The calendar day for a (year, month, day); without a year, the next such day on or
/// after `today` (so in January "March 1" is this March, in April it is next March).
fn resolve(year: Option<i32>, month: u32, day: u32, today: NaiveDate) -> DateRead {
    match year {
        Some(y) => match NaiveDate::from_ymd_opt(y, month, day) {
            Some(d) => DateRead::Date(d),
            None => DateRead::Invalid(format!(
                "{} {y} is not a day of the calendar",
                describe(day, month)
            )),
        },
        None => (today.year()..today.year() + 8)
            .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
            .find(|d| *d >= today)
            .map_or_else(
                || {
                    DateRead::Invalid(format!(
                        "{} is not a day of the calendar",
                        describe(day, month)
                    ))
                },
                DateRead::Date,
            ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn reads(text: &str, today: NaiveDate) -> Vec<DateRead> {
        find_dates(&tokenize(text), today)
            .into_iter()
            .map(|f| f.read)
            .collect()
    }

    #[test]
    fn check_forms() {
        let today = d(2025, 1, 15);
        let cases: &[(&str, DateRead)] = &[
            ("March 1st", DateRead::Date(d(2025, 3, 1))),
            ("Nov 3, 2025", DateRead::Date(d(2025, 11, 3))),
            ("1 September 2025", DateRead::Date(d(2025, 9, 1))),
            ("the 3rd of March", DateRead::Date(d(2025, 3, 3))),
            ("2025-02-24", DateRead::Date(d(2025, 2, 24))),
            ("15/05/2025", DateRead::Date(d(2025, 5, 15))),
            ("05/15/2025", DateRead::Date(d(2025, 5, 15))),
            ("15.05.25", DateRead::Date(d(2025, 5, 15))),
            ("January 10", DateRead::Date(d(2026, 1, 10))),
            ("January 15", DateRead::Date(d(2025, 1, 15))),
            ("February 29", DateRead::Date(d(2028, 2, 29))),
        ];
        for (text, expect) in cases {
            assert_eq!(reads(text, today), vec![expect.clone()], "{text}");
        }
        assert!(matches!(
            reads("03/04/2025", today)[..],
            [DateRead::Ambiguous(_)]
        ));
        assert!(matches!(
            reads("February 30, 2025", today)[..],
            [DateRead::Invalid(_)]
        ));
        assert!(reads("we may discount, 3-4 weeks", today).is_empty());
    }
}
