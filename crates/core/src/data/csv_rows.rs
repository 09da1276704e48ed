//! The shared mechanics of the three readers: header checks against a fixed column
//! list, and typed field access that turns every parse failure into a [`DataError`]
//! with the file, line and column.

use super::DataError;
use chrono::{Datelike, NaiveDate};
use std::io::Read;
use std::str::FromStr;

/// A CSV reader bound to a file name and a required column list.
pub(crate) struct CsvRows<R: Read> {
    file: String,
    reader: csv::Reader<R>,
    /// Position of each required column in the file's header.
    positions: Vec<usize>,
    columns: &'static [&'static str],
    record: csv::StringRecord,
    line: u64,
}

impl<R: Read> CsvRows<R> {
    /// Opens the reader and checks the header has exactly `columns` (in any order).
    pub(crate) fn open(
        input: R,
        file: &str,
        columns: &'static [&'static str],
    ) -> Result<Self, DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .has_headers(true)
            .flexible(false)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(|e| csv_error(file, 1, &e))?
            .clone();
        if header.is_empty() || (header.len() == 1 && header.get(0) == Some("")) {
            return Err(DataError::Empty { file: file.into() });
        }
        let names: Vec<String> = header
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        let missing: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|c| !names.iter().any(|n| n == c))
            .collect();
        if !missing.is_empty() {
            return Err(DataError::Header {
                file: file.into(),
                reason: format!(
                    "missing column(s) {}; expected {}",
                    missing.join(", "),
                    columns.join(",")
                ),
            });
        }
        let extra: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| !columns.contains(n))
            .collect();
        if !extra.is_empty() {
            return Err(DataError::Header {
                file: file.into(),
                reason: format!(
                    "unexpected column(s) {}; expected {}",
                    extra.join(", "),
                    columns.join(",")
                ),
            });
        }
        let mut seen = Vec::new();
        for n in &names {
            if seen.contains(n) {
                return Err(DataError::Header {
                    file: file.into(),
                    reason: format!("column {n} appears twice"),
                });
            }
            seen.push(n.clone());
        }
        let positions = columns
            .iter()
            .map(|c| names.iter().position(|n| n == c).unwrap_or(0))
            .collect();
        Ok(CsvRows {
            file: file.into(),
            reader,
            positions,
            columns,
            record: csv::StringRecord::new(),
            line: 1,
        })
    }

    /// Advances to the next data row; `Ok(false)` at the end of the file.
    pub(crate) fn next_row(&mut self) -> Result<bool, DataError> {
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {
                self.line = self
                    .record
                    .position()
                    .map(|p| p.line())
                    .unwrap_or(self.line + 1);
                Ok(true)
            }
            Ok(false) => Ok(false),
            Err(e) => Err(csv_error(&self.file, self.line + 1, &e)),
        }
    }

    /// The input under the CSV reader (for what it saw of the bytes).
    pub(crate) fn input(&self) -> &R {
        self.reader.get_ref()
    }

    /// The line number of the current row.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// The file name errors carry.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// The raw text of column `index` (into the `columns` list given at open).
    pub(crate) fn text(&self, index: usize) -> Result<&str, DataError> {
        let value = self.record.get(self.positions[index]).unwrap_or("");
        if value.is_empty() {
            return Err(self.field_error(index, "is empty".to_string()));
        }
        Ok(value)
    }

    /// Parses column `index` as a number of type `T`.
    pub(crate) fn number<T: FromStr>(&self, index: usize, what: &str) -> Result<T, DataError> {
        let text = self.text(index)?;
        text.parse::<T>()
            .map_err(|_| self.field_error(index, format!("'{text}' is not {what}")))
    }

    /// Parses column `index` as a non-negative whole number of units.
    pub(crate) fn units(&self, index: usize) -> Result<u32, DataError> {
        let text = self.text(index)?;
        match text.parse::<i64>() {
            Ok(v) if v < 0 => Err(self.field_error(index, format!("{v} is negative"))),
            Ok(v) => {
                u32::try_from(v).map_err(|_| self.field_error(index, format!("{v} is too large")))
            }
            Err(_) => {
                Err(self.field_error(index, format!("'{text}' is not a whole number of units")))
            }
        }
    }

    /// Parses column `index` as an ISO date.
    pub(crate) fn date(&self, index: usize) -> Result<NaiveDate, DataError> {
        let text = self.text(index)?;
        // `FromStr` for NaiveDate is the ISO YYYY-MM-DD form, without re-reading a
        // format string on every row.
        let date = text
            .parse::<NaiveDate>()
            .map_err(|_| self.field_error(index, format!("'{text}' is not a date (YYYY-MM-DD)")))?;
        if !crate::params::DATE_YEARS.contains(&date.year()) {
            return Err(self.field_error(
                index,
                format!(
                    "{date} is outside the years {}..={}",
                    crate::params::DATE_YEARS.start(),
                    crate::params::DATE_YEARS.end()
                ),
            ));
        }
        Ok(date)
    }

    /// An error about column `index` of the current row.
    pub(crate) fn field_error(&self, index: usize, reason: String) -> DataError {
        DataError::Field {
            file: self.file.clone(),
            line: self.line,
            field: self.columns[index].to_string(),
            reason,
        }
    }
}

fn csv_error(file: &str, fallback_line: u64, e: &csv::Error) -> DataError {
    let line = e.position().map(|p| p.line()).unwrap_or(fallback_line);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => DataError::Row {
            file: file.into(),
            line,
            reason: format!("has {len} fields, the header has {expected_len}"),
        },
        csv::ErrorKind::Utf8 { .. } => DataError::Row {
            file: file.into(),
            line,
            reason: "is not valid UTF-8".into(),
        },
        csv::ErrorKind::Io(io) => DataError::Unreadable {
            file: file.into(),
            reason: io.to_string(),
        },
        _ => DataError::Row {
            file: file.into(),
            line,
            reason: e.to_string(),
        },
    }
}
