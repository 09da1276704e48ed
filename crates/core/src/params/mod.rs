//! Season parameters: the seven fields a planner sets, the tunables a later season may
//! change, their validation, and the slice of them each agent is allowed to see.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

mod file;
mod tunables;

pub use file::{InputTunables, PARAMETER_FIELDS, SeasonConfig};
pub use tunables::{CURRENCY_DEFAULT, Chase, ChaseTerms, MarkdownBasis, Policy, Tunables};

/// How often the distribution centre tops stores up during the season.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReplenishmentStrategy {
    /// One allocation at launch; nothing moves from the DC afterwards.
    #[serde(rename = "none")]
    None,
    /// Stores are topped up after every week of sales.
    #[serde(rename = "weekly")]
    Weekly,
    /// Stores are topped up after every second week (weeks 2, 4, 6, ...).
    #[serde(rename = "bi-weekly")]
    BiWeekly,
}

impl ReplenishmentStrategy {
    /// The spelling planners and files use (`none`, `weekly`, `bi-weekly`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReplenishmentStrategy::None => "none",
            ReplenishmentStrategy::Weekly => "weekly",
            ReplenishmentStrategy::BiWeekly => "bi-weekly",
        }
    }

    /// Parses the file spelling; accepts `biweekly` and `bi_weekly` too since
    /// spreadsheets write it every way.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Self::None),
            "weekly" => Some(Self::Weekly),
            "bi-weekly" | "biweekly" | "bi_weekly" => Some(Self::BiWeekly),
            _ => None,
        }
    }

    /// Weeks one top-up must last: until the next one.
    pub fn cover_weeks(self) -> u32 {
        match self {
            ReplenishmentStrategy::BiWeekly => 2,
            _ => 1,
        }
    }

    /// Whether stores are replenished after the sales of season week `week` are known.
    /// The last week never replenishes: there is no week left to sell the stock in.
    pub fn replenishes_after(self, week: u32, horizon_weeks: u32) -> bool {
        if week >= horizon_weeks {
            return false;
        }
        match self {
            ReplenishmentStrategy::None => false,
            ReplenishmentStrategy::Weekly => true,
            ReplenishmentStrategy::BiWeekly => week.is_multiple_of(2),
        }
    }
}

impl fmt::Display for ReplenishmentStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The seven season parameters of domain.md, validated: every value here is one the
/// agents can act on, so the agents never re-check them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeasonParameters {
    /// Season length in weeks, 1..=52.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 52))]
    pub forecast_horizon_weeks: u32,
    /// First day of season week 1 (any weekday).
    pub season_start_date: NaiveDate,
    /// Last day of the season: start + 7 × horizon − 1 day.
    pub season_end_date: NaiveDate,
    /// How often the DC tops stores up.
    pub replenishment_strategy: ReplenishmentStrategy,
    /// Share of the order kept at the DC at launch, 0..=1.
    pub dc_holdback_percentage: f64,
    /// Week at which sell-through is checked; `None` means never mark down.
    pub markdown_checkpoint_week: Option<u32>,
    /// Target sell-through at the checkpoint, 0..1; present exactly when the checkpoint is.
    pub markdown_threshold: Option<f64>,
}

/// One field that failed validation, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `dc_holdback_percentage` or `tunables.markdown_cap_pct`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Everything wrong with a parameter set, all fields at once so a planner fixes them in
/// one go rather than one per attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// The text was not JSON of the expected shape.
    #[error("parameters are not valid JSON: {0}")]
    Json(String),
    /// One or more fields are out of range or inconsistent.
    #[error("invalid parameters: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
}

impl ParamError {
    pub(crate) fn from_list(errors: Vec<FieldError>) -> Result<(), ParamError> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ParamError::Invalid(errors))
        }
    }

    /// The field errors, empty for a JSON syntax error.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            ParamError::Json(_) => &[],
            ParamError::Invalid(list) => list,
        }
    }
}

/// The seven parameters as they arrive, before validation: every field optional so
/// that a missing one is reported by name rather than as a serde message. Its API
/// schema states what validation accepts (the required fields, their types and
/// ranges), which is what a client must send.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RawSeasonParameters {
    /// Season length in weeks, 1..=52.
    #[cfg_attr(feature = "openapi", schema(value_type = u32, minimum = 1, maximum = 52))]
    pub forecast_horizon_weeks: Option<i64>,
    /// First day of week 1 (YYYY-MM-DD).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub season_start_date: Option<String>,
    /// Optional; derived from the start and the horizon when absent, checked when
    /// present.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub season_end_date: Option<String>,
    /// `none`, `weekly` or `bi-weekly`.
    #[cfg_attr(feature = "openapi", schema(value_type = ReplenishmentStrategy))]
    pub replenishment_strategy: Option<String>,
    /// Share of the order held at the DC, 0..=1.
    #[cfg_attr(feature = "openapi", schema(value_type = f64, minimum = 0.0, maximum = 1.0))]
    pub dc_holdback_percentage: Option<f64>,
    /// Week of the sell-through check; null for no markdowns.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    pub markdown_checkpoint_week: Option<i64>,
    /// Target sell-through at the checkpoint, 0..1 (with the checkpoint).
    pub markdown_threshold: Option<f64>,
}

/// The years a date in a parameter or data file may fall in: wide enough for any
/// retailer's history and plans, narrow enough that date arithmetic never overflows.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// The last day of a season of `horizon_weeks` weeks starting on `start`.
pub fn season_end(start: NaiveDate, horizon_weeks: u32) -> NaiveDate {
    start + Duration::days(7 * i64::from(horizon_weeks) - 1)
}

impl RawSeasonParameters {
    /// Validates every field and fills in the derived end date. Every field is
    /// checked, so one answer names every problem.
    pub fn validate(&self) -> Result<SeasonParameters, ParamError> {
        /// The value read, or `None` with its error kept.
        fn keep<T>(errors: &mut Vec<FieldError>, read: Result<T, FieldError>) -> Option<T> {
            read.map_err(|e| errors.push(e)).ok()
        }
        let mut errors = Vec::new();
        let horizon = keep(&mut errors, self.horizon());
        let start = keep(&mut errors, self.start());
        let strategy = keep(&mut errors, self.strategy());
        let holdback = keep(&mut errors, self.holdback());
        let checkpoint = keep(&mut errors, self.checkpoint(horizon)).flatten();
        let threshold = keep(&mut errors, self.threshold()).flatten();
        let end = keep(&mut errors, self.end(start, horizon)).flatten();
        ParamError::from_list(errors)?;
        match (horizon, start, end, strategy, holdback) {
            (Some(h), Some(s), Some(e), Some(r), Some(d)) => Ok(SeasonParameters {
                forecast_horizon_weeks: h,
                season_start_date: s,
                season_end_date: e,
                replenishment_strategy: r,
                dc_holdback_percentage: d,
                markdown_checkpoint_week: checkpoint,
                markdown_threshold: threshold,
            }),
            // Every None above pushed an error, so this arm is unreachable in practice;
            // it stays an error rather than a panic.
            _ => Err(ParamError::Invalid(vec![FieldError::new(
                "parameters",
                "incomplete",
            )])),
        }
    }

    fn horizon(&self) -> Result<u32, FieldError> {
        match self.forecast_horizon_weeks {
            None => Err(FieldError::new("forecast_horizon_weeks", "is required")),
            Some(h) if !(1..=52).contains(&h) => Err(FieldError::new(
                "forecast_horizon_weeks",
                format!("{h} is outside 1..=52"),
            )),
            Some(h) => u32::try_from(h)
                .map_err(|_| FieldError::new("forecast_horizon_weeks", "is out of range")),
        }
    }

    fn start(&self) -> Result<NaiveDate, FieldError> {
        let Some(text) = &self.season_start_date else {
            return Err(FieldError::new("season_start_date", "is required"));
        };
        match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(d) if DATE_YEARS.contains(&d.year()) => Ok(d),
            Ok(d) => Err(FieldError::new(
                "season_start_date",
                format!(
                    "{d} is outside the years {}..={}",
                    DATE_YEARS.start(),
                    DATE_YEARS.end()
                ),
            )),
            Err(_) => Err(FieldError::new(
                "season_start_date",
                format!("'{text}' is not a date of the form YYYY-MM-DD"),
            )),
        }
    }

    fn strategy(&self) -> Result<ReplenishmentStrategy, FieldError> {
        let Some(text) = &self.replenishment_strategy else {
            return Err(FieldError::new("replenishment_strategy", "is required"));
        };
        ReplenishmentStrategy::parse(text).ok_or_else(|| {
            FieldError::new(
                "replenishment_strategy",
                format!("'{text}' is not one of none, weekly, bi-weekly"),
            )
        })
    }

    fn holdback(&self) -> Result<f64, FieldError> {
        match self.dc_holdback_percentage {
            None => Err(FieldError::new("dc_holdback_percentage", "is required")),
            Some(h) if !(h.is_finite() && (0.0..=1.0).contains(&h)) => Err(FieldError::new(
                "dc_holdback_percentage",
                format!("{h} is outside 0.0..=1.0 (a fraction: 45% is 0.45)"),
            )),
            Some(h) => Ok(h),
        }
    }

    /// The checkpoint, within the season's weeks (1..=52 when the horizon is not
    /// known).
    fn checkpoint(&self, horizon: Option<u32>) -> Result<Option<u32>, FieldError> {
        let Some(w) = self.markdown_checkpoint_week else {
            return Ok(None);
        };
        let upper = horizon.map(i64::from).unwrap_or(52);
        if (1..=upper).contains(&w) {
            Ok(u32::try_from(w).ok())
        } else {
            Err(FieldError::new(
                "markdown_checkpoint_week",
                format!("week {w} is outside the season's weeks 1..={upper}"),
            ))
        }
    }

    /// The threshold: present exactly when the checkpoint is, strictly between 0 and 1.
    fn threshold(&self) -> Result<Option<f64>, FieldError> {
        match (self.markdown_checkpoint_week, self.markdown_threshold) {
            (Some(_), None) => Err(FieldError::new(
                "markdown_threshold",
                "is required when markdown_checkpoint_week is set",
            )),
            (None, Some(t)) => Err(FieldError::new(
                "markdown_threshold",
                format!("{t} is set but markdown_checkpoint_week is null; set both or neither"),
            )),
            (_, Some(t)) if !(t.is_finite() && t > 0.0 && t < 1.0) => Err(FieldError::new(
                "markdown_threshold",
                format!("{t} is outside 0..1 (a fraction: 60% is 0.60)"),
            )),
            (_, t) => Ok(t),
        }
    }

    /// The end date: derived from the start and the horizon, and when given it must
    /// be that day. Unknown (no error of its own) when the start or horizon is.
    fn end(
        &self,
        start: Option<NaiveDate>,
        horizon: Option<u32>,
    ) -> Result<Option<NaiveDate>, FieldError> {
        let (Some(s), Some(h)) = (start, horizon) else {
            return Ok(None);
        };
        let expected = season_end(s, h);
        let Some(text) = &self.season_end_date else {
            return Ok(Some(expected));
        };
        match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(d) if d == expected => Ok(Some(d)),
            Ok(d) => Err(FieldError::new(
                "season_end_date",
                format!("{d} does not match {h} weeks from {s}, which end on {expected}"),
            )),
            Err(_) => Err(FieldError::new(
                "season_end_date",
                format!("'{text}' is not a date of the form YYYY-MM-DD"),
            )),
        }
    }
}

impl SeasonParameters {
    /// The first day of season week `week` (1-based).
    pub fn week_start(&self, week: u32) -> NaiveDate {
        self.season_start_date + Duration::days(7 * (i64::from(week) - 1))
    }

    /// The season week (1-based) a date falls in, or `None` outside the season.
    pub fn week_of(&self, date: NaiveDate) -> Option<u32> {
        if date < self.season_start_date || date > self.season_end_date {
            return None;
        }
        u32::try_from((date - self.season_start_date).num_days() / 7 + 1).ok()
    }

    /// What the Demand agent may see.
    pub fn demand_slice(&self) -> DemandSlice {
        DemandSlice {
            forecast_horizon_weeks: self.forecast_horizon_weeks,
            replenishment_strategy: self.replenishment_strategy,
        }
    }

    /// What the Inventory agent may see.
    pub fn inventory_slice(&self) -> InventorySlice {
        InventorySlice {
            dc_holdback_percentage: self.dc_holdback_percentage,
            replenishment_strategy: self.replenishment_strategy,
        }
    }

    /// What the Pricing agent may see.
    pub fn pricing_slice(&self) -> PricingSlice {
        PricingSlice {
            markdown_checkpoint_week: self.markdown_checkpoint_week,
            markdown_threshold: self.markdown_threshold,
        }
    }
}

impl From<&SeasonParameters> for RawSeasonParameters {
    fn from(p: &SeasonParameters) -> Self {
        RawSeasonParameters {
            forecast_horizon_weeks: Some(i64::from(p.forecast_horizon_weeks)),
            season_start_date: Some(p.season_start_date.to_string()),
            season_end_date: Some(p.season_end_date.to_string()),
            replenishment_strategy: Some(p.replenishment_strategy.as_str().to_string()),
            dc_holdback_percentage: Some(p.dc_holdback_percentage),
            markdown_checkpoint_week: p.markdown_checkpoint_week.map(i64::from),
            markdown_threshold: p.markdown_threshold,
        }
    }
}

/// The Demand agent's parameter slice: it needs the horizon and whether errors can be
/// corrected later (which sets the safety stock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandSlice {
    /// Season length in weeks.
    pub forecast_horizon_weeks: u32,
    /// Sets the safety stock.
    pub replenishment_strategy: ReplenishmentStrategy,
}

/// The Inventory agent's parameter slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventorySlice {
    /// Share of the order kept at the DC.
    pub dc_holdback_percentage: f64,
    /// Cadence of top-ups.
    pub replenishment_strategy: ReplenishmentStrategy,
}

/// The Pricing agent's parameter slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricingSlice {
    /// Week of the sell-through check, if any.
    pub markdown_checkpoint_week: Option<u32>,
    /// Target sell-through at the checkpoint.
    pub markdown_threshold: Option<f64>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_config_written_as_a_file_reads_back_the_same() {
        let text = r#"{"forecast_horizon_weeks": 12, "season_start_date": "2025-02-17",
            "replenishment_strategy": "weekly", "dc_holdback_percentage": 0.45,
            "markdown_checkpoint_week": 6, "markdown_threshold": 0.6,
            "tunables": {"policy": "rule", "safety_stock_pct": -0.25, "markdown_basis": "plan",
                         "chase": "none", "prior_seasons": [0.8, 0.75]}}"#;
        let config = SeasonConfig::from_json(text).unwrap();
        assert_eq!(config.tunables.safety_stock_pct, -0.25);
        assert_eq!(config.tunables.chase, Chase::None);
        assert_eq!(config.tunables.markdown_basis, MarkdownBasis::Plan);
        let back = SeasonConfig::from_json(&config.to_file_json().to_string()).unwrap();
        assert_eq!(back, config);
        // Left out, the chase takes its default terms in a file, and none in a log.
        let bare = SeasonConfig::from_json(
            r#"{"forecast_horizon_weeks": 12, "season_start_date": "2025-02-17",
            "replenishment_strategy": "none", "dc_holdback_percentage": 0.0,
            "tunables": {"policy": "margin"}}"#,
        )
        .unwrap();
        assert_eq!(bare.tunables.chase, Chase::default());
        let logged: Tunables = serde_json::from_str(r#"{"policy": "margin"}"#).unwrap();
        assert_eq!(logged.chase, Chase::None);
        let bad = SeasonConfig::from_json(
            r#"{"forecast_horizon_weeks": 12, "season_start_date": "2025-02-17",
            "replenishment_strategy": "none", "dc_holdback_percentage": 0.0,
            "tunables": {"chase": "sometimes"}}"#,
        )
        .unwrap_err();
        assert!(bad.to_string().contains("chase"), "{bad}");
    }

    #[test]
    fn request_tunables_follow_the_file_rule() {
        let body: InputTunables = serde_json::from_str(r#"{"markdown_cap_pct": 0.2}"#).unwrap();
        assert_eq!(body.0.policy, Policy::Margin);
        assert_eq!(body.0.chase, Chase::default());
        let rule: InputTunables = serde_json::from_str(r#"{"policy": "Rule"}"#).unwrap();
        assert_eq!(rule.0.policy, Policy::Rule);
        assert!(serde_json::from_str::<InputTunables>(r#"{"policy": "greedy"}"#).is_err());
    }

    use super::*;

    fn zara_json() -> &'static str {
        r#"{"forecast_horizon_weeks": 12, "season_start_date": "2025-03-01",
            "replenishment_strategy": "none", "dc_holdback_percentage": 0.0,
            "markdown_checkpoint_week": 6, "markdown_threshold": 0.6}"#
    }

    #[test]
    fn end_date_is_derived_as_domain_md_says() {
        let c = SeasonConfig::from_json(zara_json()).unwrap();
        assert_eq!(
            c.parameters.season_end_date,
            NaiveDate::from_ymd_opt(2025, 5, 23).unwrap()
        );
        assert_eq!(c.tunables, Tunables::default());
    }

    #[test]
    fn every_bad_field_is_named() {
        let text = r#"{"forecast_horizon_weeks": 60, "season_start_date": "2025-13-01",
            "replenishment_strategy": "daily", "dc_holdback_percentage": 1.5,
            "markdown_threshold": 0.6}"#;
        let err = SeasonConfig::from_json(text).unwrap_err();
        let fields: Vec<_> = err.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "forecast_horizon_weeks",
                "season_start_date",
                "replenishment_strategy",
                "dc_holdback_percentage",
                "markdown_threshold"
            ]
        );
    }

    #[test]
    fn checkpoint_must_fall_within_the_horizon() {
        let text = r#"{"forecast_horizon_weeks": 4, "season_start_date": "2025-03-01",
            "replenishment_strategy": "none", "dc_holdback_percentage": 0.0,
            "markdown_checkpoint_week": 6, "markdown_threshold": 0.6}"#;
        let err = SeasonConfig::from_json(text).unwrap_err();
        assert_eq!(err.fields()[0].field, "markdown_checkpoint_week");
        assert!(err.to_string().contains("1..=4"), "{err}");
    }

    #[test]
    fn checkpoint_without_threshold_is_refused() {
        let text = r#"{"forecast_horizon_weeks": 12, "season_start_date": "2025-03-01",
            "replenishment_strategy": "none", "dc_holdback_percentage": 0.0,
            "markdown_checkpoint_week": 6}"#;
        let err = SeasonConfig::from_json(text).unwrap_err();
        assert_eq!(err.fields()[0].field, "markdown_threshold");
    }

    #[test]
    fn inconsistent_end_date_is_refused() {
        let text = r#"{"forecast_horizon_weeks": 12, "season_start_date": "2025-03-01",
            "season_end_date": "2025-05-31",
            "replenishment_strategy": "none", "dc_holdback_percentage": 0.0}"#;
        let err = SeasonConfig::from_json(text).unwrap_err();
        assert_eq!(err.fields()[0].field, "season_end_date");
        assert!(err.to_string().contains("2025-05-23"), "{err}");
    }

    #[test]
    fn unknown_fields_and_bad_tunables_are_refused() {
        let text = r#"{"forecast_horizon_weeks": 12, "season_start_date": "2025-03-01",
            "replenishment_strategy": "none", "dc_holdback_percentage": 0.0, "colour": 1}"#;
        let err = SeasonConfig::from_json(text).unwrap_err();
        assert_eq!(err.fields()[0].field, "colour");
        assert!(
            err.to_string()
                .contains("unknown field; expected one of forecast_horizon_weeks")
        );
        let text = r#"{"forecast_horizon_weeks": 12, "season_start_date": "2025-03-01",
            "replenishment_strategy": "none", "dc_holdback_percentage": 0.0,
            "tunables": {"markdown_cap_pct": 2.0}}"#;
        let err = SeasonConfig::from_json(text).unwrap_err();
        assert_eq!(err.fields()[0].field, "tunables.markdown_cap_pct");
    }

    fn with_tunables(tunables: &str) -> Result<SeasonConfig, ParamError> {
        SeasonConfig::from_json(&format!(
            r#"{{"forecast_horizon_weeks": 12, "season_start_date": "2025-03-01",
            "replenishment_strategy": "none", "dc_holdback_percentage": 0.0,
            "tunables": {tunables}}}"#
        ))
    }

    #[test]
    fn parameter_files_without_a_policy_are_margin_seasons() {
        let bare = SeasonConfig::from_json(zara_json()).unwrap();
        assert_eq!(bare.tunables.policy, Policy::Margin);
        let other = with_tunables(r#"{"markdown_cap_pct": 0.3}"#).unwrap();
        assert_eq!(other.tunables.policy, Policy::Margin);
        assert_eq!(other.tunables.markdown_cap_pct, 0.3);
        let seed = with_tunables(r#"{"policy": "Seed"}"#).unwrap();
        assert_eq!(seed.tunables.policy, Policy::Seed);
    }

    #[test]
    fn economics_tunables_are_read_and_checked() {
        let c = with_tunables(
            r#"{"unit_price": 60.0, "unit_cost_ratio": 0.5, "salvage_ratio": 0.1,
                "currency": "EUR", "transfer_cost_per_unit": 1.5,
                "transfer_approval_units": 200, "markdown_lift_saturation_pct": 0.8,
                "season_level_sd": 0.2}"#,
        )
        .unwrap();
        let t = &c.tunables;
        assert_eq!(t.unit_price, Some(60.0));
        assert_eq!((t.unit_cost_ratio, t.salvage_ratio), (0.5, 0.1));
        assert_eq!(t.currency, "EUR");
        assert_eq!(
            (t.transfer_cost_per_unit, t.transfer_approval_units),
            (1.5, 200)
        );
        assert_eq!(
            (t.markdown_lift_saturation_pct, t.season_level_sd),
            (0.8, 0.2)
        );
        let err = with_tunables(r#"{"policy": "greedy"}"#).unwrap_err();
        assert_eq!(err.fields()[0].field, "tunables.policy");
        assert!(
            err.to_string().contains("not one of seed, rule, margin"),
            "{err}"
        );
        let err = with_tunables(r#"{"currency": "dollars", "unit_cost_ratio": 0}"#).unwrap_err();
        let fields: Vec<_> = err.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["tunables.unit_cost_ratio", "tunables.currency"]);
    }

    #[test]
    fn slices_carry_only_their_fields() {
        let p = SeasonConfig::from_json(zara_json()).unwrap().parameters;
        let demand = serde_json::to_value(p.demand_slice()).unwrap();
        assert_eq!(
            demand,
            serde_json::json!({"forecast_horizon_weeks": 12, "replenishment_strategy": "none"})
        );
        let pricing = serde_json::to_value(p.pricing_slice()).unwrap();
        assert_eq!(
            pricing,
            serde_json::json!({"markdown_checkpoint_week": 6, "markdown_threshold": 0.6})
        );
        let inventory = serde_json::to_value(p.inventory_slice()).unwrap();
        assert_eq!(
            inventory,
            serde_json::json!({"dc_holdback_percentage": 0.0, "replenishment_strategy": "none"})
        );
    }

    #[test]
    fn weeks_map_to_dates() {
        let p = SeasonConfig::from_json(zara_json()).unwrap().parameters;
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(p.week_of(d(2025, 3, 1)), Some(1));
        assert_eq!(p.week_of(d(2025, 3, 7)), Some(1));
        assert_eq!(p.week_of(d(2025, 3, 8)), Some(2));
        assert_eq!(p.week_of(d(2025, 5, 23)), Some(12));
        assert_eq!(p.week_of(d(2025, 5, 24)), None);
        assert_eq!(p.week_start(2), d(2025, 3, 8));
    }

    #[test]
    fn bi_weekly_replenishes_on_even_weeks_only() {
        let s = ReplenishmentStrategy::BiWeekly;
        let weeks: Vec<u32> = (1..=12).filter(|w| s.replenishes_after(*w, 12)).collect();
        assert_eq!(weeks, [2, 4, 6, 8, 10]);
        assert!(!ReplenishmentStrategy::None.replenishes_after(1, 12));
        assert!(!ReplenishmentStrategy::Weekly.replenishes_after(12, 12));
    }
}
