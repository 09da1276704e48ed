//! The tunables: knobs with defaults that a later season may change (safety stock,
//! markdown rules, variance thresholds, the season's economics and the policy that
//! takes the decisions), and their validation.

use super::{FieldError, ParamError, ReplenishmentStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which rules take the season's decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// domain.md's rules exactly: fixed safety stock, sell-through against units
    /// manufactured, flat-pace replenishment. Kept as the reference `margin` is
    /// measured against, and what every season recorded before policies existed ran.
    Seed,
    /// The seed's rules with every knob free: safety stock (negative orders below
    /// the forecast), markdown judged against the plan or the order
    /// (`markdown_basis`), threshold, depth per point of gap, cap, checkpoint week and
    /// holdback. Tuned on training seasons (`atelier simulate --tune-rule`) it is the
    /// best fixed rule a planner could run: the baseline `margin` must beat.
    Rule,
    /// The rules that maximise expected gross margin (`core::policy`): newsvendor
    /// order, markdown judged against the plan, demand-following replenishment,
    /// store-to-store transfers, a second buy. The product's default.
    #[default]
    Margin,
}

impl Policy {
    /// The spelling files, flags and APIs use (`seed`, `margin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Seed => "seed",
            Policy::Rule => "rule",
            Policy::Margin => "margin",
        }
    }

    /// Parses the file or flag spelling, case-insensitively.
    pub fn parse(text: &str) -> Option<Policy> {
        match text.trim().to_ascii_lowercase().as_str() {
            "seed" => Some(Policy::Seed),
            "rule" => Some(Policy::Rule),
            "margin" => Some(Policy::Margin),
            _ => None,
        }
    }

    /// The policy of a recorded `Tunables` that does not name one: every season
    /// recorded before policies existed ran the seed's rules, so replaying its log
    /// must not turn it into a margin season.
    fn recorded_before_policies() -> Policy {
        Policy::Seed
    }

    /// Every policy, in the order reports list them.
    pub const ALL: [Policy; 3] = [Policy::Seed, Policy::Rule, Policy::Margin];
}

/// What the fixed rule's sell-through is judged against at the checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MarkdownBasis {
    /// Units sold ÷ units manufactured (domain.md's rule).
    #[default]
    Order,
    /// Units sold ÷ the plan's forecast of the weeks to date: 1.0 is on plan.
    Plan,
}

/// The terms of an in-season second buy (a chase): what quick-response
/// production charges and how fast it delivers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ChaseTerms {
    /// Weeks from placing a reorder to its arrival at the DC (3).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 26))]
    pub lead_weeks: u32,
    /// Cost per unit above the first buy's unit cost, a share of it (0.15).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 10.0))]
    pub premium_pct: f64,
    /// Smallest reorder a supplier takes, units (500).
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 1_000_000_000_000_u64)
    )]
    pub min_units: u64,
    /// Last season week a reorder may be placed; `None`: as late as its arrival
    /// leaves two weeks to sell it.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 52))]
    pub last_week: Option<u32>,
}

impl Default for ChaseTerms {
    fn default() -> Self {
        ChaseTerms {
            lead_weeks: 3,
            premium_pct: 0.15,
            min_units: 500,
            last_week: None,
        }
    }
}

impl ChaseTerms {
    /// The last week a reorder may be placed in a season of `horizon` weeks.
    pub fn last_order_week(&self, horizon: u32) -> u32 {
        let latest = horizon.saturating_sub(self.lead_weeks + 2);
        self.last_week.map_or(latest, |w| w.min(latest))
    }
}

/// Whether a second buy is possible: `"none"` turns it off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Chase {
    /// No reorder in season.
    None,
    /// Reorders on these terms.
    Terms(ChaseTerms),
}

impl Chase {
    /// The terms, when a chase is possible.
    pub fn terms(&self) -> Option<&ChaseTerms> {
        match self {
            Chase::None => None,
            Chase::Terms(t) => Some(t),
        }
    }

    /// What a recorded log without the field ran: no chase existed.
    fn recorded_before_chases() -> Chase {
        Chase::None
    }
}

impl Default for Chase {
    fn default() -> Self {
        Chase::Terms(ChaseTerms::default())
    }
}

/// In the API document a chase is the word `"none"` or its terms: one of two
/// forms that cannot both match (a string, an object).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Chase {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, SchemaType, Type};
        let none = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(["none"]))
            .description(Some("No reorder in season."));
        OneOfBuilder::new()
            .item(none)
            .item(utoipa::openapi::Ref::from_schema_name(
                <ChaseTerms as utoipa::ToSchema>::name(),
            ))
            .description(Some(
                "The in-season second buy: \"none\", or the terms of a reorder.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Chase {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push((ChaseTerms::name().into(), ChaseTerms::schema()));
        ChaseTerms::schemas(schemas);
    }
}

impl Serialize for Chase {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Chase::None => s.serialize_str("none"),
            Chase::Terms(t) => t.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Chase {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Chase, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Word(String),
            Terms(ChaseTerms),
        }
        match Form::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "chase must be \"none\" or {lead_weeks, premium_pct, min_units, last_week}",
            )
        })? {
            Form::Word(w) if w.trim().eq_ignore_ascii_case("none") => Ok(Chase::None),
            Form::Word(w) => Err(serde::de::Error::custom(format!(
                "chase '{w}' is not \"none\" or an object of terms"
            ))),
            Form::Terms(t) => Ok(Chase::Terms(t)),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most units a count tunable may hold (a trillion): far above any season, and
/// exact in a JSON number, so the API document can state it.
pub const MAX_UNITS: u64 = 1_000_000_000_000;

/// The currency money is shown in when a parameter file names none.
pub const CURRENCY_DEFAULT: &str = "USD";

/// Knobs with domain.md's defaults that a later season may tune. Kept apart from the
/// seven parameters because a planner's description never sets them.
///
/// A missing field takes its default, except `policy`: a deserialized `Tunables`
/// without it is a season recorded before policies existed and gets
/// [`Policy::Seed`], while [`Tunables::default()`] and parameter files
/// ([`super::SeasonConfig::from_json`]) give [`Policy::Margin`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Tunables {
    /// Safety stock when stores can be replenished (20%).
    #[cfg_attr(feature = "openapi", schema(minimum = -0.9, maximum = 5.0))]
    pub safety_stock_pct: f64,
    /// Safety stock when replenishment is `none`: no way to correct errors later (25%).
    #[cfg_attr(feature = "openapi", schema(minimum = -0.9, maximum = 5.0))]
    pub safety_stock_no_replenishment_pct: f64,
    /// Markdown per point of sell-through gap (2.0).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 20.0))]
    pub markdown_elasticity: f64,
    /// Deepest markdown Pricing may propose (40%).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 0.95))]
    pub markdown_cap_pct: f64,
    /// Markdowns are rounded to multiples of this (5%).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.001, maximum = 0.5))]
    pub markdown_rounding_pct: f64,
    /// Demand lift per unit of markdown: 1.5 means +1.5% demand per 1% off (prior design).
    /// Under `margin` it is the slope of the price response at small markdowns.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 20.0))]
    pub markdown_demand_lift_per_pct: f64,
    /// Weekly variance above which the remaining weeks are re-forecast (20%).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 10.0))]
    pub variance_threshold_pct: f64,
    /// Variance above which an emergency reorder is considered when the DC cannot cover (30%).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 10.0))]
    pub emergency_variance_pct: f64,
    /// Which rules take the decisions (`margin` by default; `seed` for logs that
    /// predate the field).
    #[serde(default = "Policy::recorded_before_policies")]
    pub policy: Policy,
    /// Full selling price of a unit; `None` takes the history's revenue ÷ units.
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0.0))]
    pub unit_price: Option<f64>,
    /// Unit cost as a share of the price (0.40): what each manufactured unit costs.
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0.0, exclusive_maximum = 1.0)
    )]
    pub unit_cost_ratio: f64,
    /// Salvage value of a unit left over at season end, as a share of its cost (0.20).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub salvage_ratio: f64,
    /// ISO 4217 code money is shown in (`USD`).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: String,
    /// Money per unit moved from one store to another (2.00): freight and handling
    /// of a unit in a consolidated carton between stores of one network, a few
    /// percent of a fashion unit's price. A transfer must earn more than this.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1e9))]
    pub transfer_cost_per_unit: f64,
    /// Transfers of more than this many units in one week wait for a planner's
    /// approval (1,000): about two and a half store-weeks of the sample network's
    /// demand, or half a percent of a season, so routine rebalancing runs unattended
    /// and a large redistribution is seen by a person.
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 1_000_000_000_000_u64)
    )]
    pub transfer_approval_units: u64,
    /// Largest demand lift any markdown can bring (1.0 = demand at most doubles):
    /// the saturation of `margin`'s price response, see `policy::markdown::lift_at`.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.01, maximum = 20.0))]
    pub markdown_lift_saturation_pct: f64,
    /// Standard deviation of the season's demand level around the forecast (log
    /// scale, 0.15) that the category's own backtests cannot show: the spread of
    /// `margin`'s order distribution is at least this. See `policy::order`.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 2.0))]
    pub season_level_sd: f64,
    /// What the `rule` policy judges sell-through against (`order`, as the seed
    /// does, or `plan`).
    pub markdown_basis: MarkdownBasis,
    /// Earlier seasons of the category: actual season demand ÷ the forecast made
    /// for it. `margin` centres its order on them (shrunk toward the backtests'
    /// bias, see `policy::order`); empty: the backtests alone.
    pub prior_seasons: Vec<f64>,
    /// The in-season second buy (`"none"` turns it off). `margin` decides the first
    /// buy and the chase together; the fixed rules never chase.
    #[serde(default = "Chase::recorded_before_chases")]
    pub chase: Chase,
}

impl Default for Tunables {
    fn default() -> Self {
        Tunables {
            safety_stock_pct: 0.20,
            safety_stock_no_replenishment_pct: 0.25,
            markdown_elasticity: 2.0,
            markdown_cap_pct: 0.40,
            markdown_rounding_pct: 0.05,
            markdown_demand_lift_per_pct: 1.5,
            variance_threshold_pct: 0.20,
            emergency_variance_pct: 0.30,
            policy: Policy::Margin,
            unit_price: None,
            unit_cost_ratio: 0.40,
            salvage_ratio: 0.20,
            currency: CURRENCY_DEFAULT.to_string(),
            transfer_cost_per_unit: 2.0,
            transfer_approval_units: 1_000,
            markdown_lift_saturation_pct: 1.0,
            season_level_sd: 0.15,
            markdown_basis: MarkdownBasis::Order,
            prior_seasons: Vec::new(),
            chase: Chase::default(),
        }
    }
}

/// The keys a parameter file's `tunables` object may have (see the test that keeps
/// it in step with the struct).
pub(crate) const TUNABLE_FIELDS: [&str; 20] = [
    "safety_stock_pct",
    "safety_stock_no_replenishment_pct",
    "markdown_elasticity",
    "markdown_cap_pct",
    "markdown_rounding_pct",
    "markdown_demand_lift_per_pct",
    "variance_threshold_pct",
    "emergency_variance_pct",
    "policy",
    "unit_price",
    "unit_cost_ratio",
    "salvage_ratio",
    "currency",
    "transfer_cost_per_unit",
    "transfer_approval_units",
    "markdown_lift_saturation_pct",
    "season_level_sd",
    "markdown_basis",
    "prior_seasons",
    "chase",
];

/// Recorded tunables in the API document: the derived schema, whose defaults
/// are [`Tunables::default()`]'s (the product's, what a body that leaves a field
/// out gets), with the two a log that predates a field reads instead.
#[cfg(feature = "openapi")]
impl Tunables {
    /// The schema of the tunables a log holds.
    pub fn recorded_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let mut schema = <Tunables as utoipa::PartialSchema>::schema();
        let recorded = [
            (
                "policy",
                serde_json::to_value(Policy::recorded_before_policies()),
            ),
            (
                "chase",
                serde_json::to_value(Chase::recorded_before_chases()),
            ),
        ];
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            for (field, default) in recorded {
                let default = default.ok();
                match object.properties.get_mut(field) {
                    Some(RefOr::T(Schema::OneOf(one_of))) => one_of.default = default,
                    Some(RefOr::T(Schema::Object(property))) => property.default = default,
                    _ => {}
                }
            }
        }
        schema
    }
}

impl Tunables {
    /// Every key a parameter file's `tunables` may hold: what the API document
    /// must list too.
    pub fn field_names() -> &'static [&'static str] {
        &TUNABLE_FIELDS
    }

    /// The safety stock that applies under a replenishment strategy.
    pub fn safety_stock_for(&self, strategy: ReplenishmentStrategy) -> f64 {
        match strategy {
            ReplenishmentStrategy::None => self.safety_stock_no_replenishment_pct,
            _ => self.safety_stock_pct,
        }
    }

    /// Checks every tunable is in a range the agents can use.
    pub fn validate(&self) -> Result<(), ParamError> {
        let mut errors = Vec::new();
        let mut check = |field: &str, value: f64, lo: f64, hi: f64| {
            if !(value.is_finite() && value >= lo && value <= hi) {
                errors.push(FieldError::new(
                    format!("tunables.{field}"),
                    format!("{value} is outside {lo}..={hi}"),
                ));
            }
        };
        check("safety_stock_pct", self.safety_stock_pct, -0.9, 5.0);
        check(
            "safety_stock_no_replenishment_pct",
            self.safety_stock_no_replenishment_pct,
            -0.9,
            5.0,
        );
        check("markdown_elasticity", self.markdown_elasticity, 0.0, 20.0);
        check("markdown_cap_pct", self.markdown_cap_pct, 0.0, 0.95);
        check(
            "markdown_rounding_pct",
            self.markdown_rounding_pct,
            0.001,
            0.5,
        );
        check(
            "markdown_demand_lift_per_pct",
            self.markdown_demand_lift_per_pct,
            0.0,
            20.0,
        );
        check(
            "variance_threshold_pct",
            self.variance_threshold_pct,
            0.0,
            10.0,
        );
        check(
            "emergency_variance_pct",
            self.emergency_variance_pct,
            0.0,
            10.0,
        );
        check("salvage_ratio", self.salvage_ratio, 0.0, 1.0);
        check(
            "transfer_cost_per_unit",
            self.transfer_cost_per_unit,
            0.0,
            1e9,
        );
        check(
            "markdown_lift_saturation_pct",
            self.markdown_lift_saturation_pct,
            0.01,
            20.0,
        );
        check("season_level_sd", self.season_level_sd, 0.0, 2.0);
        for (i, r) in self.prior_seasons.iter().enumerate() {
            check(&format!("prior_seasons[{i}]"), *r, 0.01, 100.0);
        }
        check(
            "transfer_approval_units",
            self.transfer_approval_units as f64,
            0.0,
            MAX_UNITS as f64,
        );
        if let Chase::Terms(t) = &self.chase {
            check("chase.premium_pct", t.premium_pct, 0.0, 10.0);
            check("chase.lead_weeks", t.lead_weeks as f64, 1.0, 26.0);
            check("chase.min_units", t.min_units as f64, 0.0, MAX_UNITS as f64);
            if let Some(w) = t.last_week {
                check("chase.last_week", f64::from(w), 1.0, 52.0);
            }
        }
        errors.extend(self.economics_errors());
        ParamError::from_list(errors)
    }

    /// The checks whose reasons are not a plain range: a price must be positive, a
    /// cost strictly between nothing and the price, a currency an ISO 4217 code.
    fn economics_errors(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(price) = self.unit_price.filter(|p| !(p.is_finite() && *p > 0.0)) {
            errors.push(FieldError::new(
                "tunables.unit_price",
                format!("{price} is not a positive price (null takes the history's average)"),
            ));
        }
        let ratio = self.unit_cost_ratio;
        if !(ratio.is_finite() && ratio > 0.0 && ratio < 1.0) {
            errors.push(FieldError::new(
                "tunables.unit_cost_ratio",
                format!(
                    "{ratio} is outside 0..1 exclusive (a share of the price: 40% is 0.40; a unit costing its price earns nothing)"
                ),
            ));
        }
        if !is_currency_code(&self.currency) {
            errors.push(FieldError::new(
                "tunables.currency",
                format!(
                    "'{}' is not a 3-letter upper-case ISO 4217 code such as USD or EUR",
                    self.currency
                ),
            ));
        }
        errors
    }
}

/// Whether `code` has the shape of an ISO 4217 code: three letters A–Z.
fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_tunables_without_policy_is_a_seed_season() {
        // The tunables a log written before policies existed holds.
        let old = r#"{"safety_stock_pct": 0.2, "safety_stock_no_replenishment_pct": 0.25,
            "markdown_elasticity": 2.0, "markdown_cap_pct": 0.4, "markdown_rounding_pct": 0.05,
            "markdown_demand_lift_per_pct": 1.5, "variance_threshold_pct": 0.2,
            "emergency_variance_pct": 0.3}"#;
        let t: Tunables = serde_json::from_str(old).expect("old tunables deserialize");
        assert_eq!(t.policy, Policy::Seed);
        assert_eq!(t.unit_cost_ratio, 0.40);
        assert_eq!(t.currency, "USD");
        let empty: Tunables = serde_json::from_str("{}").expect("empty");
        assert_eq!(empty.policy, Policy::Seed);
        assert_eq!(Tunables::default().policy, Policy::Margin);
    }

    #[test]
    fn tunables_round_trip_with_their_policy() {
        let t = Tunables {
            policy: Policy::Margin,
            unit_price: Some(55.0),
            ..Tunables::default()
        };
        let text = serde_json::to_string(&t).expect("serialize");
        assert!(text.contains(r#""policy":"margin""#), "{text}");
        let back: Tunables = serde_json::from_str(&text).expect("deserialize");
        assert_eq!(back, t);
    }

    #[test]
    fn the_field_list_matches_the_struct() {
        let value = serde_json::to_value(Tunables::default()).expect("serialize");
        let mut keys: Vec<&str> = value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut listed = TUNABLE_FIELDS.to_vec();
        keys.sort_unstable();
        listed.sort_unstable();
        assert_eq!(keys, listed);
    }

    #[test]
    fn policy_spellings() {
        assert_eq!(Policy::parse(" Margin "), Some(Policy::Margin));
        assert_eq!(Policy::parse("seed"), Some(Policy::Seed));
        assert_eq!(Policy::parse("greedy"), None);
        assert_eq!(Policy::Seed.to_string(), "seed");
        assert_eq!(
            serde_json::to_value(Policy::Margin).expect("serialize"),
            serde_json::json!("margin")
        );
    }

    fn fields_of(t: &Tunables) -> Vec<String> {
        match t.validate() {
            Ok(()) => Vec::new(),
            Err(e) => e.fields().iter().map(|f| f.field.clone()).collect(),
        }
    }

    #[test]
    fn bad_economics_are_named() {
        assert!(Tunables::default().validate().is_ok());
        let bad = Tunables {
            unit_price: Some(0.0),
            unit_cost_ratio: 1.0,
            salvage_ratio: 1.5,
            currency: "usd".into(),
            transfer_cost_per_unit: -1.0,
            markdown_lift_saturation_pct: 0.0,
            season_level_sd: f64::NAN,
            ..Tunables::default()
        };
        assert_eq!(
            fields_of(&bad),
            [
                "tunables.salvage_ratio",
                "tunables.transfer_cost_per_unit",
                "tunables.markdown_lift_saturation_pct",
                "tunables.season_level_sd",
                "tunables.unit_price",
                "tunables.unit_cost_ratio",
                "tunables.currency",
            ]
        );
        let err = bad.validate().expect_err("invalid");
        assert!(err.to_string().contains("'usd' is not a 3-letter"), "{err}");
        for code in ["US", "USDX", "U$D", ""] {
            let t = Tunables {
                currency: code.into(),
                ..Tunables::default()
            };
            assert_eq!(fields_of(&t), ["tunables.currency"], "{code}");
        }
        let eur = Tunables {
            currency: "EUR".into(),
            unit_cost_ratio: 0.01,
            salvage_ratio: 0.0,
            unit_price: Some(0.5),
            ..Tunables::default()
        };
        assert!(eur.validate().is_ok());
    }

    /// Tunables with `value` at `path` (`markdown_cap_pct`, `chase.lead_weeks`).
    #[cfg(feature = "openapi")]
    fn with_value(path: &str, value: serde_json::Value) -> Tunables {
        let mut t = serde_json::to_value(Tunables::default()).expect("serialize");
        let slot = path.split('.').fold(&mut t, |v, key| &mut v[key]);
        *slot = value;
        serde_json::from_value(t).expect("a tunable of the right type")
    }

    /// The ranges the API document states are the ones validation enforces: a
    /// bound passes (an exclusive one fails) and a step beyond it fails, naming
    /// the field.
    #[cfg(feature = "openapi")]
    #[test]
    fn the_documented_ranges_are_the_validated_ones() {
        use utoipa::PartialSchema;
        let tunables = serde_json::to_value(Tunables::schema()).expect("schema");
        let terms = serde_json::to_value(ChaseTerms::schema()).expect("schema");
        let mut checked = 0;
        for (prefix, schema) in [("", &tunables), ("chase.", &terms)] {
            for (name, property) in schema["properties"].as_object().expect("properties") {
                let path = format!("{prefix}{name}");
                let integer = property["type"] == "integer"
                    || property["type"]
                        .as_array()
                        .is_some_and(|t| t.contains(&"integer".into()));
                let number = |x: f64| match integer {
                    true => serde_json::json!(x as u64),
                    false => serde_json::json!(x),
                };
                for (key, outward, inclusive) in [
                    ("minimum", -1.0, true),
                    ("maximum", 1.0, true),
                    ("exclusiveMinimum", -1.0, false),
                    ("exclusiveMaximum", 1.0, false),
                ] {
                    let Some(bound) = property[key].as_f64() else {
                        continue;
                    };
                    let named = vec![format!("tunables.{path}")];
                    let at = fields_of(&with_value(&path, number(bound)));
                    assert_eq!(at.is_empty(), inclusive, "{path} = {bound}: {at:?}");
                    let step = if integer {
                        1.0
                    } else {
                        bound.abs().max(1.0) * 1e-3
                    };
                    if !(integer && bound == 0.0 && outward < 0.0) {
                        let beyond = bound + outward * step;
                        let out = fields_of(&with_value(&path, number(beyond)));
                        assert_eq!(out, named, "{path} = {beyond}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 30, "{checked} bounds checked");
    }
}
