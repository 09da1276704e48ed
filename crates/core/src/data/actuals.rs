//! One week's realised sales per store and day (`actuals_week_NN.csv`).

use super::csv_rows::CsvRows;
use super::{DataError, StoreNetwork};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Read;

/// One row: a store's units on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualSale {
    /// The day.
    pub date: NaiveDate,
    /// The store.
    pub store_id: String,
    /// Units sold (for a played scenario: units demanded).
    pub quantity_sold: u32,
}

/// A week's file, validated against the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekActuals {
    /// The rows in file order.
    pub rows: Vec<ActualSale>,
}

impl WeekActuals {
    /// Units over all stores and days.
    pub fn total_units(&self) -> u64 {
        self.rows.iter().map(|r| u64::from(r.quantity_sold)).sum()
    }

    /// Units per store position of `stores` (stores absent from the file sold nothing).
    pub fn units_by_store(&self, stores: &StoreNetwork) -> Vec<u64> {
        let mut units = vec![0u64; stores.len()];
        for r in &self.rows {
            if let Some(p) = stores.position(&r.store_id) {
                units[p] += u64::from(r.quantity_sold);
            }
        }
        units
    }
}

const COLUMNS: &[&str] = &["date", "store_id", "quantity_sold"];

/// Reads a week of actuals; every store must be known, each (date, store) unique,
/// and the file must end with a line break: a week is recorded once, so a file cut
/// short in its last row (`…,S050,1` of `…,S050,12`) is refused, not recorded.
pub fn read_actuals<R: Read>(
    input: R,
    file: &str,
    stores: &StoreNetwork,
) -> Result<WeekActuals, DataError> {
    let mut rows = CsvRows::open(LastByte::new(input), file, COLUMNS)?;
    let mut out = Vec::new();
    let mut seen: HashMap<(NaiveDate, usize), u64> = HashMap::new();
    while rows.next_row()? {
        let date = rows.date(0)?;
        let store_id = rows.text(1)?;
        let position = stores.position(store_id).ok_or_else(|| {
            rows.field_error(
                1,
                format!("store '{store_id}' is not in the store attributes"),
            )
        })?;
        let quantity_sold = rows.units(2)?;
        if let Some(first) = seen.insert((date, position), rows.line()) {
            return Err(rows.field_error(
                0,
                format!("duplicate row for ({date}, {store_id}); first on line {first}"),
            ));
        }
        out.push(ActualSale {
            date,
            store_id: store_id.to_string(),
            quantity_sold,
        });
    }
    if out.is_empty() {
        return Err(DataError::Empty { file: file.into() });
    }
    if !matches!(rows.input().last, Some(b'\n' | b'\r')) {
        return Err(DataError::Row {
            file: file.into(),
            line: rows.line(),
            reason: "the file ends in the middle of this row (no line break after it): it looks cut short; send the whole file".into(),
        });
    }
    Ok(WeekActuals { rows: out })
}

/// A reader that remembers the last byte it passed on, to tell a file that ends
/// with a line break from one cut short mid-row.
struct LastByte<R> {
    inner: R,
    last: Option<u8>,
}

impl<R> LastByte<R> {
    fn new(inner: R) -> Self {
        LastByte { inner, last: None }
    }
}

impl<R: Read> Read for LastByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(b) = buf[..n].last() {
            self.last = Some(*b);
        }
        Ok(n)
    }
}
