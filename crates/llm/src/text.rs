//! Tokenising planner prose: words, numbers (digits or words), percentages and
//! fractions, each token keeping its span in the original text so that reasoning can
//! quote the planner's own words. Shared by the offline extractor and the guardrail.

/// What a token is, after numbers in words and percentages have been recognised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    /// A word (lowercased in `Token::text`), including contractions like `don't`.
    Word,
    /// A number: digits or words. `ordinal` marks `3rd`, `sixth`.
    Num {
        value: f64,
        ordinal: bool,
        decimal: bool,
    },
    /// A share of a whole as a fraction: `45%`, `forty percent`, `a quarter`.
    Percent(f64),
    /// Digits joined by `-`, `/` or `.` (dates such as `2025-02-24`, `15/05/2025`).
    Compound,
    /// Punctuation that separates clauses: `,` `;` `:` `(` `)` and a free-standing dash.
    Comma,
    /// Punctuation that ends a sentence: `.` `!` `?`.
    Stop,
}

/// One token and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// Lowercased text (for numbers: the digits or the words as written).
    pub text: String,
    /// The kind, with its value for numbers and percentages.
    pub kind: Kind,
    /// Byte offset of the first character in the original text.
    pub start: usize,
    /// Byte offset just past the last character in the original text.
    pub end: usize,
}

impl Token {
    /// Whether this token is the word `w`.
    pub fn is(&self, w: &str) -> bool {
        self.kind == Kind::Word && self.text == w
    }

    /// Whether this token is one of `words`.
    pub fn is_any(&self, words: &[&str]) -> bool {
        self.kind == Kind::Word && words.contains(&self.text.as_str())
    }

    /// A whole cardinal number, if the token is one.
    pub fn cardinal(&self) -> Option<i64> {
        match self.kind {
            Kind::Num {
                value,
                ordinal: false,
                decimal: false,
            } => Some(value as i64),
            _ => None,
        }
    }

    /// A whole number written as a cardinal or an ordinal (`3`, `3rd`, `third`).
    pub fn integer(&self) -> Option<i64> {
        match self.kind {
            Kind::Num {
                value,
                decimal: false,
                ..
            } => Some(value as i64),
            _ => None,
        }
    }

    /// Whether this token ends a clause or a sentence.
    pub fn is_break(&self) -> bool {
        matches!(self.kind, Kind::Comma | Kind::Stop)
    }
}

/// Words that negate what follows them.
pub(crate) const NEGATIONS: &[&str] = &[
    "no",
    "not",
    "never",
    "nothing",
    "none",
    "without",
    "zero",
    "don't",
    "dont",
    "doesn't",
    "won't",
    "wont",
    "isn't",
    "aren't",
    "shouldn't",
    "cannot",
    "can't",
    "neither",
    "nor",
];

const UNITS: &[(&str, u32)] = &[
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
];

const TENS: &[(&str, u32)] = &[
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fourty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];

const ORDINALS: &[(&str, u32)] = &[
    ("first", 1),
    ("second", 2),
    ("third", 3),
    ("fourth", 4),
    ("fifth", 5),
    ("sixth", 6),
    ("seventh", 7),
    ("eighth", 8),
    ("ninth", 9),
    ("tenth", 10),
    ("eleventh", 11),
    ("twelfth", 12),
    ("thirteenth", 13),
    ("fourteenth", 14),
    ("fifteenth", 15),
    ("sixteenth", 16),
    ("twentieth", 20),
];

/// Fractions said in words, keyed by the word that names the part.
const FRACTION_WORDS: &[(&str, f64)] = &[
    ("half", 0.5),
    ("third", 1.0 / 3.0),
    ("thirds", 1.0 / 3.0),
    ("quarter", 0.25),
    ("quarters", 0.25),
    ("fifth", 0.2),
    ("fifths", 0.2),
    ("tenth", 0.1),
    ("tenths", 0.1),
];

fn lookup(table: &[(&str, u32)], word: &str) -> Option<u32> {
    table.iter().find(|(w, _)| *w == word).map(|(_, v)| *v)
}

/// Splits `text` into tokens with numbers, percentages and fractions recognised.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let raw = split_raw(text);
    let numbered = merge_numbers(raw);
    merge_percents(numbered)
}

/// First pass: runs of word characters, keeping `-` `/` `.` `'` when they sit between
/// two word characters, then splitting hyphenated words (`twenty-week`, `bi-weekly`)
/// unless every part is digits (an ISO date).
fn split_raw(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let is_word = |c: char| c.is_alphanumeric();
    while i < chars.len() {
        let (pos, c) = chars[i];
        if is_word(c) {
            let mut j = i + 1;
            while j < chars.len() {
                let cj = chars[j].1;
                if is_word(cj) {
                    j += 1;
                    continue;
                }
                let joiner = matches!(cj, '-' | '/' | '.' | '\'' | '\u{2019}');
                let next_is_word = chars.get(j + 1).is_some_and(|(_, n)| is_word(*n));
                // A '.' only joins digits (0.45, 15.05.2025): after a word it ends a sentence.
                let dot_ok = cj != '.'
                    || (chars[j - 1].1.is_ascii_digit()
                        && chars.get(j + 1).is_some_and(|(_, n)| n.is_ascii_digit()));
                if joiner && next_is_word && dot_ok {
                    j += 1;
                } else {
                    break;
                }
            }
            let end = chars.get(j).map_or(text.len(), |(p, _)| *p);
            push_word(&mut out, text, pos, end);
            i = j;
            continue;
        }
        let end = chars.get(i + 1).map_or(text.len(), |(p, _)| *p);
        let kind = match c {
            '.' | '!' | '?' => Some(Kind::Stop),
            ',' | ';' | ':' | '(' | ')' | '-' | '\u{2013}' | '\u{2014}' => Some(Kind::Comma),
            '%' => Some(Kind::Word),
            _ => None,
        };
        if let Some(kind) = kind {
            out.push(Token {
                text: c.to_string(),
                kind,
                start: pos,
                end,
            });
        }
        i += 1;
    }
    out
}

fn push_word(out: &mut Vec<Token>, text: &str, start: usize, end: usize) {
    let word = text[start..end].to_lowercase().replace('\u{2019}', "'");
    let digits_only = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let all_digit_parts = word.split(['-', '/', '.']).all(digits_only);
    if word.contains(['-', '/']) && !all_digit_parts {
        // Split a hyphenated or slashed word into its parts, keeping their spans.
        let mut offset = start;
        for part in text[start..end].split(['-', '/']) {
            if !part.is_empty() {
                push_word(out, text, offset, offset + part.len());
            }
            offset += part.len() + 1;
        }
        return;
    }
    let kind = classify(&word);
    out.push(Token {
        text: word,
        kind,
        start,
        end,
    });
}

fn classify(word: &str) -> Kind {
    let is_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if is_digits(word) {
        return match word.parse::<f64>() {
            Ok(value) => Kind::Num {
                value,
                ordinal: false,
                decimal: false,
            },
            Err(_) => Kind::Word,
        };
    }
    if let Some((a, b)) = word.split_once('.')
        && is_digits(a)
        && is_digits(b)
        && let Ok(value) = word.parse::<f64>()
    {
        return Kind::Num {
            value,
            ordinal: false,
            decimal: true,
        };
    }
    if word.contains(['-', '/', '.']) {
        return Kind::Compound;
    }
    for suffix in ["st", "nd", "rd", "th"] {
        if let Some(digits) = word.strip_suffix(suffix)
            && is_digits(digits)
            && let Ok(value) = digits.parse::<f64>()
        {
            return Kind::Num {
                value,
                ordinal: true,
                decimal: false,
            };
        }
    }
    Kind::Word
}

/// Second pass: number words (`twenty five`, `eight`, `sixth`) become numbers; the
/// fraction words keep their text so the third pass can read `a third` as a share.
fn merge_numbers(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t.kind != Kind::Word {
            out.push(t.clone());
            i += 1;
            continue;
        }
        // "a third", "one quarter", "two thirds": leave for the fraction pass.
        let next_is_fraction = tokens.get(i + 1).is_some_and(|n| {
            n.kind == Kind::Word && FRACTION_WORDS.iter().any(|(w, _)| *w == n.text)
        });
        if let Some(tens) = lookup(TENS, &t.text) {
            let (number, next) = tens_number(&tokens, i, tens);
            out.push(number);
            i = next;
            continue;
        }
        if let Some(u) = lookup(UNITS, &t.text)
            && !(next_is_fraction && u <= 3)
        {
            out.push(Token {
                kind: Kind::Num {
                    value: f64::from(u),
                    ordinal: false,
                    decimal: false,
                },
                ..t.clone()
            });
            i += 1;
            continue;
        }
        let prev_is_article = out.last().is_some_and(|p| {
            p.is_any(&["a", "one", "two", "three"]) || p.cardinal().is_some_and(|v| v <= 3)
        });
        let is_fraction_word = FRACTION_WORDS.iter().any(|(w, _)| *w == t.text);
        if let Some(o) = lookup(ORDINALS, &t.text)
            && !(prev_is_article && is_fraction_word)
        {
            out.push(Token {
                kind: Kind::Num {
                    value: f64::from(o),
                    ordinal: true,
                    decimal: false,
                },
                ..t.clone()
            });
            i += 1;
            continue;
        }
        out.push(t.clone());
        i += 1;
    }
    out
}

/// `twenty`, `twenty five` or `twenty fifth` from token `i` (a tens word worth
/// `tens`): the number token and the index after it.
fn tens_number(tokens: &[Token], i: usize, tens: u32) -> (Token, usize) {
    let t = &tokens[i];
    let mut value = tens;
    let mut end = t.end;
    let mut ordinal = false;
    let mut j = i + 1;
    if let Some(n) = tokens.get(i + 1) {
        if let Some(u) = lookup(UNITS, &n.text).filter(|u| (1..=9).contains(u)) {
            value += u;
            end = n.end;
            j = i + 2;
        } else if let Some(u) = lookup(ORDINALS, &n.text).filter(|u| (1..=9).contains(u)) {
            value += u;
            end = n.end;
            ordinal = true;
            j = i + 2;
        }
    }
    let number = Token {
        text: tokens[i..j]
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        kind: Kind::Num {
            value: f64::from(value),
            ordinal,
            decimal: false,
        },
        start: t.start,
        end,
    };
    (number, j)
}

/// How many tokens after a number say "percent": 1 for `%`, `percent`, `pct`,
/// `percentage`; 2 for `per cent`; none otherwise.
fn percent_sign(n1: Option<&Token>, n2: Option<&Token>) -> Option<usize> {
    if n1.is_some_and(|n| n.text == "%" || n.is_any(&["percent", "pct", "percentage"])) {
        Some(1)
    } else if n1.is_some_and(|n| n.is("per")) && n2.is_some_and(|n| n.is("cent")) {
        Some(2)
    } else {
        None
    }
}

/// Third pass: `N %`, `N percent`, `N per cent` and fraction words become percentages.
fn merge_percents(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if let Kind::Num {
            value,
            ordinal: false,
            ..
        } = t.kind
            && let Some(extra) = percent_sign(tokens.get(i + 1), tokens.get(i + 2))
        {
            let last = &tokens[i + extra];
            out.push(Token {
                text: format!("{}%", t.text),
                kind: Kind::Percent(value / 100.0),
                start: t.start,
                end: last.end,
            });
            i += extra + 1;
            continue;
        }
        if t.kind == Kind::Word
            && let Some((_, share)) = FRACTION_WORDS.iter().find(|(w, _)| *w == t.text)
        {
            // "a quarter", "one third", "two thirds", "half", "a half"; but not "first half
            // of the season" or "half way".
            let prev = out.last();
            let count = match prev {
                Some(p) if p.is_any(&["a", "an", "one"]) => Some(1.0),
                Some(p) if p.is("two") => Some(2.0),
                Some(p) if p.is("three") => Some(3.0),
                Some(p) => p.cardinal().map(|c| c as f64),
                None => None,
            };
            let is_half = t.text == "half";
            let follows_ordinal = prev.is_some_and(|p| {
                matches!(p.kind, Kind::Num { ordinal: true, .. })
                    || p.is_any(&["first", "second", "last"])
            });
            let next_blocks = tokens
                .get(i + 1)
                .is_some_and(|n| n.is_any(&["way", "season", "term", "point"]));
            if let Some(c) = count.filter(|c| (1.0..=9.0).contains(c))
                && !next_blocks
            {
                let Some(p) = out.pop() else { break };
                out.push(Token {
                    text: format!("{} {}", p.text, t.text),
                    kind: Kind::Percent(c * share),
                    start: p.start,
                    end: t.end,
                });
                i += 1;
                continue;
            }
            if is_half && !follows_ordinal && !next_blocks {
                out.push(Token {
                    kind: Kind::Percent(0.5),
                    ..t.clone()
                });
                i += 1;
                continue;
            }
        }
        out.push(t.clone());
        i += 1;
    }
    out
}

/// Index ranges of sentences (split on `.`, `!`, `?`).
pub(crate) fn sentences(tokens: &[Token]) -> Vec<(usize, usize)> {
    split_on(tokens, |t| t.kind == Kind::Stop)
}

/// Index ranges of clauses: sentences further split on `,` `;` `:` dashes and the
/// conjunctions `and`, `but`, `then`, `while`.
pub(crate) fn clauses(tokens: &[Token]) -> Vec<(usize, usize)> {
    split_on(tokens, |t| {
        t.is_break() || t.is_any(&["and", "but", "then", "while", "plus", "with"])
    })
}

fn split_on(tokens: &[Token], is_sep: impl Fn(&Token) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if is_sep(t) {
            if i > start {
                out.push((start, i));
            }
            start = i + 1;
        }
    }
    if tokens.len() > start {
        out.push((start, tokens.len()));
    }
    out
}

/// The range in `ranges` that holds token `i`.
pub(crate) fn range_of(ranges: &[(usize, usize)], i: usize) -> (usize, usize) {
    ranges
        .iter()
        .copied()
        .find(|(a, b)| (*a..*b).contains(&i))
        .unwrap_or((i, i + 1))
}

/// Whether any token in `range` is a word that starts with one of `stems`.
pub(crate) fn has_stem(tokens: &[Token], range: (usize, usize), stems: &[&str]) -> bool {
    tokens[range.0..range.1]
        .iter()
        .any(|t| t.kind == Kind::Word && stems.iter().any(|s| t.text.starts_with(s)))
}

/// Whether the word at `i` starts with one of `stems`.
pub(crate) fn stem_at(tokens: &[Token], i: usize, stems: &[&str]) -> bool {
    tokens
        .get(i)
        .is_some_and(|t| t.kind == Kind::Word && stems.iter().any(|s| t.text.starts_with(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, Kind)> {
        tokenize(text)
            .into_iter()
            .map(|t| (t.text, t.kind))
            .collect()
    }

    fn num(v: f64) -> Kind {
        Kind::Num {
            value: v,
            ordinal: false,
            decimal: false,
        }
    }

    #[test]
    fn numbers_in_words_and_digits() {
        let k = kinds("a twenty-week season, eight weeks, 12-week, twenty five");
        assert!(k.contains(&("twenty".into(), num(20.0))));
        assert!(k.contains(&("eight".into(), num(8.0))));
        assert!(k.contains(&("12".into(), num(12.0))));
        assert!(k.contains(&("twenty five".into(), num(25.0))));
    }

    #[test]
    fn percentages_and_fractions() {
        let k = kinds("hold back forty percent, 45%, a quarter, two thirds, half, 12 per cent");
        let shares: Vec<f64> = k
            .iter()
            .filter_map(|(_, k)| match k {
                Kind::Percent(p) => Some(*p),
                _ => None,
            })
            .collect();
        assert_eq!(shares.len(), 6, "{k:?}");
        assert!((shares[0] - 0.40).abs() < 1e-9);
        assert!((shares[1] - 0.45).abs() < 1e-9);
        assert!((shares[2] - 0.25).abs() < 1e-9);
        assert!((shares[3] - 2.0 / 3.0).abs() < 1e-9);
        assert!((shares[4] - 0.5).abs() < 1e-9);
        assert!((shares[5] - 0.12).abs() < 1e-9);
    }

    #[test]
    fn dates_stay_whole_and_spans_point_into_the_text() {
        let text = "start 2025-02-24 or 15/05/2025, March 1st.";
        let t = tokenize(text);
        assert_eq!(t[1].kind, Kind::Compound);
        assert_eq!(&text[t[1].start..t[1].end], "2025-02-24");
        assert_eq!(t[3].kind, Kind::Compound);
        assert!(matches!(t[6].kind, Kind::Num { ordinal: true, value, .. } if value == 1.0));
        assert_eq!(t.last().map(|t| t.kind), Some(Kind::Stop));
    }
}
