//! The sample data shipped inside the binary, so `atelier plan` and `atelier run`
//! work on a fresh clone with no files at hand: three years of daily sales (gzip),
//! the 50 stores' attributes, the reference parameter files and three scenarios.

use crate::data::{
    CategorySales, DataError, SalesHistory, StoreNetwork, WeekActuals, read_actuals, read_stores,
};
use crate::params::{ParamError, SeasonConfig};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::io::Read;

/// The shipped history as `build.rs` pre-parsed it from the CSV (the source of
/// truth, `data/historical_sales_2022_2024.csv.gz`); the form is described there.
const HISTORY_FORM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sample_history.bin"));
/// The name errors about the shipped history carry.
const HISTORY_FILE: &str = "sample/historical_sales_2022_2024.csv";
/// A day without a row, in the pre-parsed form.
const ABSENT: u16 = u16::MAX;
const STORES: &[u8] = include_bytes!("../../../data/store_attributes.csv");

/// The category the defaults plan.
pub const DEFAULT_CATEGORY: &str = "Women's Dresses";
/// The scenario `atelier run` plays by default.
pub const DEFAULT_SCENARIO: &str = "normal_season";
/// The parameter set used when none is given.
pub const DEFAULT_PARAMETER_SET: &str = "zara";

/// Name and JSON of each shipped parameter file (also in `data/params/`).
pub const PARAMETER_SETS: &[(&str, &str)] = &[
    ("zara", include_str!("../../../data/params/zara.json")),
    (
        "standard_retail",
        include_str!("../../../data/params/standard_retail.json"),
    ),
    ("luxury", include_str!("../../../data/params/luxury.json")),
    (
        "furniture",
        include_str!("../../../data/params/furniture.json"),
    ),
    (
        "conservative",
        include_str!("../../../data/params/conservative.json"),
    ),
];

macro_rules! scenario {
    ($name:literal) => {
        (
            $name,
            [
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_01.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_02.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_03.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_04.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_05.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_06.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_07.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_08.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_09.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_10.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_11.csv"
                )),
                include_str!(concat!(
                    "../../../data/scenarios/",
                    $name,
                    "/actuals_week_12.csv"
                )),
            ],
        )
    };
}

/// The three shipped scenarios: 12 weekly actuals files each, season from 2025-02-17.
pub const SCENARIOS: &[(&str, [&str; 12])] = &[
    scenario!("normal_season"),
    scenario!("low_demand"),
    scenario!("underperform"),
];

/// The shipped store network.
pub fn stores() -> Result<StoreNetwork, DataError> {
    read_stores(STORES, "sample/store_attributes.csv")
}

/// The shipped three-year sales history, decoded from the form `build.rs` made of
/// the CSV at compile time (a few milliseconds, where parsing the 164,000 rows
/// took over a hundred); it equals what `read_sales` makes of the file.
pub fn history(stores: &StoreNetwork) -> Result<SalesHistory, DataError> {
    decode_history(&mut Form(HISTORY_FORM), stores).ok_or_else(|| DataError::Unreadable {
        file: HISTORY_FILE.into(),
        reason: "the pre-parsed form is truncated (a build fault)".into(),
    })?
}

/// A cursor over the pre-parsed form; `None` when it ends early.
struct Form<'a>(&'a [u8]);

impl<'a> Form<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn text(&mut self, len: usize) -> Option<&'a str> {
        let (head, rest) = self.0.split_at_checked(len)?;
        self.0 = rest;
        std::str::from_utf8(head).ok()
    }
}

/// The history in `form`, its stores placed by `stores`' positions (`Some(Err)`
/// when a store is not in the network, as the CSV reader refuses it).
fn decode_history(
    form: &mut Form<'_>,
    stores: &StoreNetwork,
) -> Option<Result<SalesHistory, DataError>> {
    let first = i32::try_from(u32::from_le_bytes(form.take()?)).ok()?;
    let days = u32::from_le_bytes(form.take()?) as usize;
    let dates: Vec<NaiveDate> = (first..)
        .take(days)
        .map(NaiveDate::from_num_days_from_ce_opt)
        .collect::<Option<_>>()?;
    let mut history = SalesHistory {
        rows: u64::from_le_bytes(form.take()?),
        first_date: dates.first().copied(),
        last_date: dates.last().copied(),
        ..SalesHistory::default()
    };
    for _ in 0..u32::from_le_bytes(form.take()?) {
        let name_len = u16::from_le_bytes(form.take()?);
        let name = form.text(usize::from(name_len))?.to_string();
        let revenue = f64::from_bits(u64::from_le_bytes(form.take()?));
        let sales = match decode_category(form, stores, &dates, revenue)? {
            Ok(sales) => sales,
            Err(e) => return Some(Err(e)),
        };
        history.categories.insert(name, sales);
    }
    Some(Ok(history))
}

/// One category's stores, day by day, from the form.
fn decode_category(
    form: &mut Form<'_>,
    stores: &StoreNetwork,
    dates: &[NaiveDate],
    revenue: f64,
) -> Option<Result<CategorySales, DataError>> {
    let mut sales = CategorySales {
        store_daily_units: vec![BTreeMap::new(); stores.len()],
        revenue,
        ..CategorySales::default()
    };
    let mut daily: Vec<Option<u64>> = vec![None; dates.len()];
    for _ in 0..u16::from_le_bytes(form.take()?) {
        let [id_len] = form.take()?;
        let id = form.text(usize::from(id_len))?;
        let Some(position) = stores.position(id) else {
            return Some(Err(DataError::Unreadable {
                file: HISTORY_FILE.into(),
                reason: format!("store '{id}' is not in the store attributes"),
            }));
        };
        let mut units = BTreeMap::new();
        for (day, date) in dates.iter().enumerate() {
            let u = u16::from_le_bytes(form.take()?);
            if u != ABSENT {
                units.insert(*date, u32::from(u));
                *daily[day].get_or_insert(0) += u64::from(u);
                sales.units += u64::from(u);
            }
        }
        sales.store_daily_units[position] = units;
    }
    sales.daily_units = dates
        .iter()
        .zip(daily)
        .filter_map(|(d, u)| Some((*d, u?)))
        .collect();
    Some(Ok(sales))
}

/// Wraps gzip bytes in a streaming decoder.
pub fn gunzip(bytes: &[u8]) -> impl Read + '_ {
    GzipReader::new(bytes)
}

/// A streaming gzip decoder, re-exported so that callers reading `.gz` files need
/// no compression crate of their own.
pub type GzipReader<R> = flate2::read::GzDecoder<R>;

/// A shipped parameter set by name.
pub fn parameter_set(name: &str) -> Option<Result<SeasonConfig, ParamError>> {
    PARAMETER_SETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, json)| SeasonConfig::from_json(json))
}

/// A shipped scenario's weeks, parsed against the network.
pub fn scenario(name: &str, stores: &StoreNetwork) -> Option<Result<Vec<WeekActuals>, DataError>> {
    let (_, weeks) = SCENARIOS.iter().find(|(n, _)| *n == name)?;
    Some(
        weeks
            .iter()
            .enumerate()
            .map(|(i, text)| {
                read_actuals(
                    text.as_bytes(),
                    &format!("sample/{name}/actuals_week_{:02}.csv", i + 1),
                    stores,
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::read_sales;

    /// The CSV the pre-parsed form is built from (the source of truth).
    const HISTORY_GZ: &[u8] = include_bytes!("../../../data/historical_sales_2022_2024.csv.gz");

    #[test]
    fn the_pre_parsed_history_is_what_the_csv_reader_reads() {
        let stores = stores().expect("shipped stores");
        let from_csv = read_sales(gunzip(HISTORY_GZ), HISTORY_FILE, &stores).expect("csv");
        let decoded = history(&stores).expect("form");
        assert_eq!(decoded, from_csv);
        for (name, c) in &decoded.categories {
            // Bit for bit: the average price feeds money figures.
            assert_eq!(
                c.revenue.to_bits(),
                from_csv.categories[name].revenue.to_bits()
            );
        }
    }

    #[test]
    fn a_store_missing_from_the_network_is_refused() {
        let stores = read_stores(
            "store_id,avg_weekly_sales_12mo,store_size_sqft,median_income,location_tier,fashion_tier,store_format,region,foot_traffic,competitor_density,online_penetration,population_density,mall_location\nS001,924,12500,142000,A,Premium,Mall,Southeast,2800,6.2,0.48,14500,True\n".as_bytes(),
            "one.csv",
        )
        .expect("one store");
        let err = history(&stores).expect_err("S002 is unknown");
        assert!(
            err.to_string().contains("is not in the store attributes"),
            "{err}"
        );
    }
}
