//! Store attributes: the network of stores a season is allocated to, with the
//! features Inventory clusters them on.

use super::DataError;
use super::csv_rows::CsvRows;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;

/// Location quality: A is best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LocationTier {
    /// Prime location.
    A,
    /// Good location.
    B,
    /// Secondary location.
    C,
}

/// The store's fashion positioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FashionTier {
    /// Trend-led, full price.
    Premium,
    /// The middle of the market.
    Mainstream,
    /// Price-led.
    Value,
}

/// The kind of building the store is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StoreFormat {
    /// Inside a mall.
    Mall,
    /// A standalone store.
    Standalone,
    /// In a shopping centre.
    ShoppingCenter,
    /// An outlet.
    Outlet,
}

/// The store's region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Region {
    /// Northeast.
    Northeast,
    /// Southeast.
    Southeast,
    /// Midwest.
    Midwest,
    /// West.
    West,
}

impl LocationTier {
    /// Ordinal code of domain.md (A=3, B=2, C=1).
    pub fn code(self) -> f64 {
        match self {
            LocationTier::A => 3.0,
            LocationTier::B => 2.0,
            LocationTier::C => 1.0,
        }
    }
}

impl FashionTier {
    /// Ordinal code of domain.md (Premium=3, Mainstream=2, Value=1).
    pub fn code(self) -> f64 {
        match self {
            FashionTier::Premium => 3.0,
            FashionTier::Mainstream => 2.0,
            FashionTier::Value => 1.0,
        }
    }
}

impl StoreFormat {
    /// Code of domain.md (Mall=4, Standalone=3, ShoppingCenter=2, Outlet=1).
    pub fn code(self) -> f64 {
        match self {
            StoreFormat::Mall => 4.0,
            StoreFormat::Standalone => 3.0,
            StoreFormat::ShoppingCenter => 2.0,
            StoreFormat::Outlet => 1.0,
        }
    }
}

impl Region {
    /// Code of domain.md (Northeast=1, Southeast=2, Midwest=3, West=4).
    pub fn code(self) -> f64 {
        match self {
            Region::Northeast => 1.0,
            Region::Southeast => 2.0,
            Region::Midwest => 3.0,
            Region::West => 4.0,
        }
    }
}

/// One store's row of `store_attributes.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreAttributes {
    /// Store id, e.g. `S001`.
    pub store_id: String,
    /// Average weekly units over the last 12 months (the strongest clustering feature).
    pub avg_weekly_sales_12mo: f64,
    /// Selling space.
    pub store_size_sqft: f64,
    /// Median household income of the catchment.
    pub median_income: f64,
    /// A / B / C.
    pub location_tier: LocationTier,
    /// Premium / Mainstream / Value.
    pub fashion_tier: FashionTier,
    /// Mall / Standalone / ShoppingCenter / Outlet.
    pub store_format: StoreFormat,
    /// Northeast / Southeast / Midwest / West.
    pub region: Region,
    /// Visitors per week.
    pub foot_traffic: f64,
    /// Competing stores nearby.
    pub competitor_density: f64,
    /// Share of the catchment's spend that is online.
    pub online_penetration: f64,
    /// People per square mile.
    pub population_density: f64,
    /// Whether the store is in a mall.
    pub mall_location: bool,
}

impl StoreAttributes {
    /// The 7 clustering features of domain.md, unstandardised, in a fixed order.
    pub fn features(&self) -> [f64; 7] {
        [
            self.avg_weekly_sales_12mo,
            self.store_size_sqft,
            self.median_income,
            self.location_tier.code(),
            self.fashion_tier.code(),
            self.store_format.code(),
            self.region.code(),
        ]
    }
}

/// The store network, ordered by store id, with unique ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreNetwork {
    stores: Vec<StoreAttributes>,
    #[serde(skip)]
    index: BTreeMap<String, usize>,
}

impl StoreNetwork {
    /// Builds a network from rows, refusing duplicate ids and an empty list.
    pub fn new(mut stores: Vec<StoreAttributes>) -> Result<Self, String> {
        if stores.is_empty() {
            return Err("the network has no stores".into());
        }
        stores.sort_by(|a, b| a.store_id.cmp(&b.store_id));
        let mut index = BTreeMap::new();
        for (i, s) in stores.iter().enumerate() {
            if index.insert(s.store_id.clone(), i).is_some() {
                return Err(format!("store {} appears twice", s.store_id));
            }
        }
        Ok(StoreNetwork { stores, index })
    }

    /// The stores, ordered by id.
    pub fn stores(&self) -> &[StoreAttributes] {
        &self.stores
    }

    /// Position of a store in [`Self::stores`], or `None` for an unknown id.
    pub fn position(&self, store_id: &str) -> Option<usize> {
        self.index.get(store_id).copied()
    }

    /// Number of stores.
    pub fn len(&self) -> usize {
        self.stores.len()
    }

    /// Always false: a network has at least one store.
    pub fn is_empty(&self) -> bool {
        self.stores.is_empty()
    }
}

const COLUMNS: &[&str] = &[
    "store_id",
    "avg_weekly_sales_12mo",
    "store_size_sqft",
    "median_income",
    "location_tier",
    "fashion_tier",
    "store_format",
    "region",
    "foot_traffic",
    "competitor_density",
    "online_penetration",
    "population_density",
    "mall_location",
];

/// The first characters that make a spreadsheet cell a formula (with tab and
/// carriage return, which some spreadsheets strip first).
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// Reads `store_attributes.csv`. `file` names the source in errors.
pub fn read_stores<R: Read>(input: R, file: &str) -> Result<StoreNetwork, DataError> {
    let mut rows = CsvRows::open(input, file, COLUMNS)?;
    let mut stores: Vec<StoreAttributes> = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    while rows.next_row()? {
        let store_id = new_store_id(&rows, &mut seen)?;
        stores.push(store_row(&rows, store_id)?);
    }
    if stores.is_empty() {
        return Err(DataError::Empty {
            file: rows.file().to_string(),
        });
    }
    StoreNetwork::new(stores).map_err(|reason| DataError::Unreadable {
        file: file.into(),
        reason,
    })
}

/// The store id of the current row: not a spreadsheet formula, not seen before.
fn new_store_id<R: Read>(
    rows: &CsvRows<R>,
    seen: &mut BTreeMap<String, u64>,
) -> Result<String, DataError> {
    let store_id = rows.text(0)?.to_string();
    // A spreadsheet runs a cell that begins with one of these as a formula
    // (`=HYPERLINK(...)`): such an id would reach every CSV export as one.
    if store_id.starts_with(FORMULA_STARTS) {
        return Err(rows.field_error(
            0,
            format!(
                "'{store_id}' begins with '{}'; a spreadsheet would run it as a formula: a store id begins with a letter or a digit",
                store_id.chars().next().unwrap_or_default()
            ),
        ));
    }
    if let Some(first) = seen.insert(store_id.clone(), rows.line()) {
        return Err(rows.field_error(
            0,
            format!("store {store_id} appears twice (first on line {first})"),
        ));
    }
    Ok(store_id)
}

/// The current row's attributes, each checked (numbers non-negative, tiers,
/// formats and regions from their lists).
fn store_row<R: Read>(rows: &CsvRows<R>, store_id: String) -> Result<StoreAttributes, DataError> {
    let non_negative = |i: usize| -> Result<f64, DataError> {
        let v: f64 = rows.number(i, "a number")?;
        if !v.is_finite() || v < 0.0 {
            return Err(rows.field_error(i, format!("{v} must be a non-negative number")));
        }
        Ok(v)
    };
    let choice = |i: usize, options: &[&str]| -> Result<usize, DataError> {
        let text = rows.text(i)?;
        options.iter().position(|o| *o == text).ok_or_else(|| {
            rows.field_error(i, format!("'{text}' is not one of {}", options.join(", ")))
        })
    };
    let location_tier =
        [LocationTier::A, LocationTier::B, LocationTier::C][choice(4, &["A", "B", "C"])?];
    let fashion_tier = [
        FashionTier::Premium,
        FashionTier::Mainstream,
        FashionTier::Value,
    ][choice(5, &["Premium", "Mainstream", "Value"])?];
    let store_format = [
        StoreFormat::Mall,
        StoreFormat::Standalone,
        StoreFormat::ShoppingCenter,
        StoreFormat::Outlet,
    ][choice(6, &["Mall", "Standalone", "ShoppingCenter", "Outlet"])?];
    let region = [
        Region::Northeast,
        Region::Southeast,
        Region::Midwest,
        Region::West,
    ][choice(7, &["Northeast", "Southeast", "Midwest", "West"])?];
    let mall_location = match rows.text(12)?.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => true,
        "false" | "0" | "no" => false,
        other => {
            return Err(rows.field_error(12, format!("'{other}' is not True or False")));
        }
    };
    Ok(StoreAttributes {
        store_id,
        avg_weekly_sales_12mo: non_negative(1)?,
        store_size_sqft: non_negative(2)?,
        median_income: non_negative(3)?,
        location_tier,
        fashion_tier,
        store_format,
        region,
        foot_traffic: non_negative(8)?,
        competitor_density: non_negative(9)?,
        online_penetration: non_negative(10)?,
        population_density: non_negative(11)?,
        mall_location,
    })
}
