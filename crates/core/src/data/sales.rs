//! Daily historical sales by store and category, aggregated while reading so that a
//! three-year file never sits in memory as rows.

use super::csv_rows::CsvRows;
use super::weekly::WeeklySeries;
use super::{DataError, StoreNetwork};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;

/// One category's history: daily totals for the network and daily units per store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategorySales {
    /// Units per day, all stores.
    pub daily_units: BTreeMap<NaiveDate, u64>,
    /// Units per day per store position (see [`StoreNetwork::position`]).
    pub store_daily_units: Vec<BTreeMap<NaiveDate, u32>>,
    /// Revenue over the whole history, for the average unit price.
    pub revenue: f64,
    /// Units over the whole history.
    pub units: u64,
}

impl CategorySales {
    /// The category's weekly totals over complete Monday-to-Sunday weeks only: a stub
    /// week at either end would read as a collapse in demand.
    pub fn weekly(&self) -> Option<WeeklySeries> {
        WeeklySeries::from_daily(&self.daily_units)
    }

    /// Average selling price per unit over the history (0 when nothing sold).
    pub fn average_unit_price(&self) -> f64 {
        if self.units == 0 {
            0.0
        } else {
            self.revenue / self.units as f64
        }
    }

    /// Units each store sold on days `from..=to`, by store position.
    pub fn store_units_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<u64> {
        self.store_daily_units
            .iter()
            .map(|days| days.range(from..=to).map(|(_, u)| u64::from(*u)).sum())
            .collect()
    }

    /// The last day with any sales row.
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.daily_units.keys().next_back().copied()
    }

    /// The same `weeks` season weeks one year earlier, for a planner to read this
    /// season against: week k is the 7 days from `season_start` − 364 days +
    /// 7(k − 1) (52 weeks back, so the weekdays line up). A week the history does
    /// not cover whole is `None`, never a low number: a stub would read as a
    /// collapse in demand.
    pub fn same_weeks_last_year(&self, season_start: NaiveDate, weeks: u32) -> Vec<Option<u64>> {
        let (Some(first), Some(last)) = (self.daily_units.keys().next().copied(), self.last_date())
        else {
            return vec![None; weeks as usize];
        };
        let start = season_start - chrono::Duration::days(364);
        (0..weeks)
            .map(|k| {
                let from = start + chrono::Duration::days(7 * i64::from(k));
                let to = from + chrono::Duration::days(6);
                (from >= first && to <= last)
                    .then(|| self.daily_units.range(from..=to).map(|(_, u)| *u).sum())
            })
            .collect()
    }
}

/// The whole history file, by category.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SalesHistory {
    /// Category name to its sales.
    pub categories: BTreeMap<String, CategorySales>,
    /// Number of data rows read.
    pub rows: u64,
    /// First date in the file.
    pub first_date: Option<NaiveDate>,
    /// Last date in the file.
    pub last_date: Option<NaiveDate>,
}

impl SalesHistory {
    /// One category's sales, or `None` when the file has none.
    pub fn category(&self, name: &str) -> Option<&CategorySales> {
        self.categories.get(name)
    }

    /// The category names, sorted.
    pub fn category_names(&self) -> Vec<String> {
        self.categories.keys().cloned().collect()
    }
}

const COLUMNS: &[&str] = &["date", "store_id", "category", "quantity_sold", "revenue"];

/// Reads `historical_sales.csv` against the store network: every store id must be a
/// known store and each (date, store, category) may appear once.
pub fn read_sales<R: Read>(
    input: R,
    file: &str,
    stores: &StoreNetwork,
) -> Result<SalesHistory, DataError> {
    let mut rows = CsvRows::open(input, file, COLUMNS)?;
    let mut history = SalesHistory::default();
    // (date, store position, category index) -> line of first sight, for duplicates.
    let mut seen: HashMap<(NaiveDate, usize, usize), u64> = HashMap::new();
    let mut category_index: Vec<String> = Vec::new();
    while rows.next_row()? {
        let date = rows.date(0)?;
        let store_id = rows.text(1)?;
        let position = stores.position(store_id).ok_or_else(|| {
            rows.field_error(
                1,
                format!("store '{store_id}' is not in the store attributes"),
            )
        })?;
        let category = rows.text(2)?;
        let quantity = rows.units(3)?;
        let revenue: f64 = rows.number(4, "a number")?;
        if !revenue.is_finite() || revenue < 0.0 {
            return Err(rows.field_error(4, format!("{revenue} is negative")));
        }
        let cat_idx = match category_index.iter().position(|c| c == category) {
            Some(i) => i,
            None => {
                category_index.push(category.to_string());
                category_index.len() - 1
            }
        };
        if let Some(first) = seen.insert((date, position, cat_idx), rows.line()) {
            return Err(rows.field_error(
                0,
                format!(
                    "duplicate row for ({date}, {store_id}, {category}); first on line {first}"
                ),
            ));
        }
        let sales = history
            .categories
            .entry(category.to_string())
            .or_insert_with(|| CategorySales {
                store_daily_units: vec![BTreeMap::new(); stores.len()],
                ..CategorySales::default()
            });
        *sales.daily_units.entry(date).or_insert(0) += u64::from(quantity);
        sales.store_daily_units[position].insert(date, quantity);
        sales.revenue += revenue;
        sales.units += u64::from(quantity);
        history.rows += 1;
        history.first_date = Some(history.first_date.map_or(date, |d| d.min(date)));
        history.last_date = Some(history.last_date.map_or(date, |d| d.max(date)));
    }
    if history.rows == 0 {
        return Err(DataError::Empty { file: file.into() });
    }
    Ok(history)
}

#[cfg(test)]
mod last_year_tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn the_same_weeks_a_year_earlier_line_up_by_weekday_and_skip_uncovered_weeks() {
        // Daily units = day of the month, 2024-01-01 (a Monday) to 2024-01-20.
        let mut sales = CategorySales::default();
        for day in 1..=20 {
            sales.daily_units.insert(d(2024, 1, day), u64::from(day));
        }
        // A season starting Monday 2024-12-30: 364 days earlier is Monday 2024-01-01.
        let weeks = sales.same_weeks_last_year(d(2024, 12, 30), 4);
        assert_eq!(
            weeks,
            vec![
                Some((1..=7).sum()),
                Some((8..=14).sum()),
                // Days 15..=21: the 21st is past the history, so the week is unknown.
                None,
                None,
            ]
        );
        // Before the history starts: unknown too.
        assert_eq!(sales.same_weeks_last_year(d(2024, 12, 23), 1), vec![None]);
        assert_eq!(
            CategorySales::default().same_weeks_last_year(d(2025, 1, 1), 2),
            vec![None, None]
        );
    }
}
