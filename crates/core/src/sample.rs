//! The sample data shipped inside the binary, so `atelier plan` and `atelier run`
//! work on a fresh clone with no files at hand: three years of daily sales (gzip),
//! the 50 stores' attributes, the reference parameter files and three scenarios.

use crate::data::{
    DataError, SalesHistory, StoreNetwork, WeekActuals, read_actuals, read_sales, read_stores,
};
use crate::params::{ParamError, SeasonConfig};
use std::io::Read;

const HISTORY_GZ: &[u8] = include_bytes!("../../../data/historical_sales_2022_2024.csv.gz");
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

/// The shipped three-year sales history.
pub fn history(stores: &StoreNetwork) -> Result<SalesHistory, DataError> {
    read_sales(
        gunzip(HISTORY_GZ),
        "sample/historical_sales_2022_2024.csv",
        stores,
    )
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
