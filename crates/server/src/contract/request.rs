//! What callers send: the JSON bodies and the query strings, as types that refuse
//! unknown fields and out-of-range values while they are read. A handler gets
//! them whole and valid, or the caller gets a 400 naming the field.

use super::bounded::{bounded_integer, bounded_text};
use crate::error::{ApiError, param_error};
use atelier_core::SeasonConfig;
use atelier_core::params::{ParamError, RawSeasonParameters};
use atelier_core::sample;
use atelier_engine::event::{ActualsMeaning, ExpiryAction, Modification, Resolution};
use atelier_engine::orchestrator::MAX_APPROVAL_TIMEOUT_SECS;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

bounded_text!(
    /// A category name, as `GET /api/categories` lists them.
    CategoryName,
    1,
    200
);

bounded_text!(
    /// Why a planner re-forecasts (recorded in the log).
    ReforecastReasonText,
    1,
    atelier_engine::orchestrator::MAX_REASON_CHARS
);

bounded_text!(
    /// A planner's description of a season, in plain language.
    SeasonDescription,
    1,
    20_000
);

bounded_integer!(
    /// Seconds before an approval expires: at least one, at most a year (larger
    /// values would overflow the engine's date arithmetic).
    ApprovalTimeoutSecs,
    1,
    MAX_APPROVAL_TIMEOUT_SECS
);

bounded_integer!(
    /// How many events a page of the log holds.
    PageLimit,
    1,
    1_000
);

bounded_integer!(
    /// A season week (the workflow's horizon bounds it further).
    SeasonWeek,
    1,
    52
);

bounded_integer!(
    /// Seasons drawn per value tried in a what-if (`POST .../tune`): at least two
    /// (a paired interval needs two), at most [`MAX_TUNE_DRAWS`], so that one
    /// request stays within seconds on a small server.
    TuneDraws,
    2,
    MAX_TUNE_DRAWS
);

bounded_integer!(
    /// The seed of a what-if's draws: any integer a JavaScript number holds
    /// exactly (up to 2^53 − 1), so a page can send back the seed it was shown.
    TuneSeed,
    0,
    MAX_TUNE_SEED
);

/// The most draws a what-if may ask for: 200, the CLI's default.
pub const MAX_TUNE_DRAWS: u64 = 200;
/// Draws when the body names none: enough for the paired interval to separate
/// the knobs' values on the sample data, few enough to answer in about a second.
pub const DEFAULT_TUNE_DRAWS: u64 = 40;
/// Seed when the body names none: the CLI's default, so both answer alike.
pub const DEFAULT_TUNE_SEED: u64 = 42;
/// The largest seed: 2^53 − 1 (`Number.MAX_SAFE_INTEGER`).
pub const MAX_TUNE_SEED: u64 = (1 << 53) - 1;

/// A what-if for next season: how many draws, from which seed (both optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"draws": 40, "seed": 42}))]
pub struct TuneRequest {
    /// Seasons drawn around the observed one, per value tried (default 40).
    #[serde(default)]
    pub draws: Option<TuneDraws>,
    /// Seed of the draws: the same seed gives the same answer (default 42, as
    /// `atelier tune`).
    #[serde(default)]
    pub seed: Option<TuneSeed>,
}

impl TuneRequest {
    /// The engine's options, defaults filled in.
    pub fn options(&self) -> atelier_engine::tune::TuneOptions {
        atelier_engine::tune::TuneOptions {
            draws: self.draws.map_or(DEFAULT_TUNE_DRAWS, |d| d.get()) as usize,
            seed: self.seed.map_or(DEFAULT_TUNE_SEED, |s| s.get()),
        }
    }
}

/// A planner's what-if (`POST .../what-if`): values for the knobs they want to
/// try, every knob left out as the season had it, and the draws to try them on
/// (as [`TuneRequest`]). Each value's range is stated in the schema; the ones that
/// depend on the season (a checkpoint within its weeks, a first buy within what
/// the order approval takes, safety stock as the policy reads it) are checked by
/// the engine, and a value outside any of them is a 400 naming the field and the
/// value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"policy": "margin", "holdback": 0.3, "checkpoint_week": 7, "markdown_cap": 0.3}))]
pub struct WhatIfRequest {
    /// Seasons drawn around the observed one (default 40, the tune's draws).
    #[serde(default)]
    pub draws: Option<TuneDraws>,
    /// Seed of the draws (default 42): with the same draws and seed, `tune`
    /// tries its values on the same seasons.
    #[serde(default)]
    pub seed: Option<TuneSeed>,
    /// The rules that decide.
    #[serde(default)]
    pub policy: Option<atelier_core::Policy>,
    /// Safety stock as the policy reads it: a fraction of the forecast under
    /// `seed` and `rule` (−0.9 to 5), the spread of the season's level a
    /// newsvendor order covers under `margin` (0 to 2). Not with `order_units`.
    #[serde(default)]
    #[schema(minimum = -0.9, maximum = 5.0)]
    pub safety_stock: Option<f64>,
    /// A first buy of exactly this many units, whatever the policy would order
    /// (at most ten times the forecast). Not with `safety_stock`.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_u64)]
    pub order_units: Option<u64>,
    /// Share of the order held at the DC at launch (0 to 1).
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub holdback: Option<f64>,
    /// The markdown checkpoint week (within the season's weeks); null: no
    /// markdown.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 52)]
    pub checkpoint_week: Option<Option<SeasonWeek>>,
    /// The deepest markdown (0 to 0.95).
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 0.95)]
    pub markdown_cap: Option<f64>,
    /// A season's actual ÷ forecast added to those the order is calibrated on
    /// (0.2 to 5; the `order_centre` value `tune` recommends). Only under the
    /// `margin` policy.
    #[serde(default)]
    #[schema(minimum = 0.2, maximum = 5.0)]
    pub order_centre: Option<f64>,
}

/// A field that may be null, told apart from one left out (`Some(None)`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl WhatIfRequest {
    /// The draws and seed, defaults filled in as for `tune`.
    pub fn options(&self) -> atelier_engine::tune::TuneOptions {
        atelier_engine::tune::TuneOptions {
            draws: self.draws.map_or(DEFAULT_TUNE_DRAWS, |d| d.get()) as usize,
            seed: self.seed.map_or(DEFAULT_TUNE_SEED, |s| s.get()),
        }
    }

    /// The planner's values, for the engine to check against the season.
    pub fn what_if(&self) -> atelier_core::tune::WhatIf {
        atelier_core::tune::WhatIf {
            policy: self.policy,
            safety_stock: self.safety_stock,
            order_units: self.order_units,
            holdback: self.holdback,
            checkpoint_week: self
                .checkpoint_week
                .map(|w| w.map(|w| u32::try_from(w.get()).unwrap_or(u32::MAX))),
            markdown_cap: self.markdown_cap,
            order_centre: self.order_centre,
        }
    }
}

/// A shipped scenario, played with `POST .../play`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct ScenarioName(String);

impl ScenarioName {
    /// The name.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for ScenarioName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let name = String::deserialize(d)?;
        match atelier_engine::orchestrator::new_workflow::shipped_scenario(&name) {
            Ok(_) => Ok(ScenarioName(name)),
            Err(e) => Err(D::Error::custom(e)),
        }
    }
}

fn scenario_names() -> Vec<&'static str> {
    sample::SCENARIOS.iter().map(|(n, _)| *n).collect()
}

impl PartialSchema for ScenarioName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(scenario_names()))
            .into()
    }
}

impl ToSchema for ScenarioName {}

/// What to plan, and what the weekly actuals it will be given mean.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "category": "Women's Dresses",
    "scenario": "normal_season",
    "parameters": {
        "forecast_horizon_weeks": 12,
        "season_start_date": "2025-02-17",
        "replenishment_strategy": "weekly",
        "dc_holdback_percentage": 0.45,
        "markdown_checkpoint_week": 6,
        "markdown_threshold": 0.6
    }
}))]
pub struct CreateWorkflowRequest {
    /// A category in the current data set (`GET /api/categories`).
    pub category: CategoryName,
    /// The seven parameters.
    pub parameters: RawSeasonParameters,
    /// Optional tunables (defaults from domain.md), at the top level of the body.
    #[serde(default)]
    pub tunables: Option<atelier_core::params::InputTunables>,
    /// A shipped scenario to play with `POST .../play`.
    #[serde(default)]
    pub scenario: Option<ScenarioName>,
    /// Approvals expire after this many seconds; none by default.
    #[serde(default)]
    pub approval_timeout_secs: Option<ApprovalTimeoutSecs>,
    /// What an expiry does: `accept` or `fail` (default).
    #[serde(default)]
    pub on_expiry: Option<ExpiryAction>,
    /// What the quantities of the weekly actuals are. `sales`: what really sold,
    /// recorded as it is (a markdown's lift is already in it). `demand`: what
    /// shoppers wanted; stores sell what they have, the rest is lost, and after a
    /// markdown the lift multiplies it. Default: `demand` with a `scenario` (a
    /// shipped scenario's files are demand), `sales` without one.
    #[serde(default)]
    pub actuals_meaning: Option<ActualsMeaning>,
}

impl CreateWorkflowRequest {
    /// The validated season: the seven parameters and the tunables, every
    /// problem named (under `parameters.` for the seven).
    pub fn season(&self) -> Result<SeasonConfig, ApiError> {
        let tunables = self.tunables.clone().map(|t| t.0).unwrap_or_default();
        match (self.parameters.validate(), tunables.validate()) {
            (Ok(parameters), Ok(())) => Ok(SeasonConfig {
                parameters,
                tunables,
            }),
            (Err(a), Err(b)) => {
                let mut all = a.fields().to_vec();
                all.extend(b.fields().iter().map(|f| {
                    atelier_core::params::FieldError::new(
                        format!("tunables.{}", f.field.trim_start_matches("tunables.")),
                        f.reason.clone(),
                    )
                }));
                Err(param_error(&ParamError::Invalid(all), "parameters."))
            }
            (Err(e), Ok(())) => Err(param_error(&e, "parameters.")),
            (Ok(_), Err(e)) => Err(param_error(&tunables_named(e), "parameters.")),
        }
    }
}

/// Tunable errors named `tunables.<field>` (they sit at the top level of the body).
fn tunables_named(e: ParamError) -> ParamError {
    match e {
        ParamError::Invalid(list) => ParamError::Invalid(
            list.into_iter()
                .map(|f| {
                    atelier_core::params::FieldError::new(
                        format!("tunables.{}", f.field.trim_start_matches("tunables.")),
                        f.reason,
                    )
                })
                .collect(),
        ),
        other => other,
    }
}

/// How an approval is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalAction {
    /// Accept the proposal.
    Accept,
    /// Change it (with `modifications`); the agent re-runs and asks again.
    Modify,
}

/// An answer to an approval.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    /// `accept` or `modify`.
    pub action: ApprovalAction,
    /// With `modify` (and only then): the change.
    #[serde(default)]
    pub modifications: Option<Modification>,
}

impl ApprovalRequest {
    /// The resolution: `modifications` go with `modify`, and only with it.
    pub fn resolution(self) -> Result<Resolution, ApiError> {
        match (self.action, self.modifications) {
            (ApprovalAction::Accept, None) => Ok(Resolution::Accept),
            (ApprovalAction::Accept, Some(_)) => Err(ApiError::field(
                "modifications",
                "modifications go with action 'modify', not 'accept'",
            )),
            (ApprovalAction::Modify, Some(modifications)) => {
                Ok(Resolution::Modify { modifications })
            }
            (ApprovalAction::Modify, None) => Err(ApiError::field(
                "modifications",
                "'modifications' is required with action 'modify'",
            )),
        }
    }
}

/// A planner's re-forecast.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReforecastRequest {
    /// Why (recorded in the log).
    pub reason: ReforecastReasonText,
}

/// A planner's description to read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractRequest {
    /// The season in plain language ("12 weeks starting March 1, weekly
    /// replenishment, hold back 30% at the DC, markdown check at week 6 below 60%").
    pub text: SeasonDescription,
    /// The date that resolves dates written without a year; default: the
    /// server's date (UTC).
    #[serde(default)]
    pub today: Option<NaiveDate>,
}

/// `GET /api/workflows/{id}/events`.
#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// Only events numbered above this (default 0).
    #[serde(default)]
    pub after: Option<u64>,
    /// Page size (default 500).
    #[serde(default)]
    pub limit: Option<PageLimit>,
}

/// `POST /api/workflows/{id}/actuals`.
#[derive(Debug, Deserialize)]
pub struct ActualsQuery {
    /// The season week; inferred from the dates when absent.
    #[serde(default)]
    pub week: Option<SeasonWeek>,
}

/// `POST /api/workflows/{id}/play`.
#[derive(Debug, Deserialize)]
pub struct PlayQuery {
    /// Stop after this week (default: the season's end).
    #[serde(default)]
    pub until_week: Option<SeasonWeek>,
}

/// `GET /api/workflows/{id}/stream`.
#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    /// Send events numbered above this (default 0).
    #[serde(default)]
    pub after: Option<u64>,
    /// Send the events ready at once (a commit's, a page of a replay) as one
    /// message, a JSON array: a page with many viewers pays per message, not per
    /// event (default false: one event per message).
    #[serde(default)]
    pub batch: Option<bool>,
    /// After the events it has (on connecting and after each commit), send the
    /// workflow's resource as `{"type":"status","workflow":{…}}`: a page keeps
    /// its header current without a request per commit (default false).
    #[serde(default)]
    pub status: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::parse_json;

    fn refusal(body: &str) -> (Option<String>, String) {
        match parse_json::<CreateWorkflowRequest>(body.as_bytes()) {
            Err(ApiError::BadRequest { field, message, .. }) => (field, message),
            other => panic!("{body}: {other:?}"),
        }
    }

    const PARAMETERS: &str = r#""parameters": {"forecast_horizon_weeks": 12, "season_start_date": "2025-02-17", "replenishment_strategy": "weekly", "dc_holdback_percentage": 0.45}"#;

    #[test]
    fn out_of_range_values_are_refused_naming_the_field() {
        for (extra, field, words) in [
            (
                r#""approval_timeout_secs": 0"#,
                "approval_timeout_secs",
                "0 is outside 1..=31536000",
            ),
            (
                r#""approval_timeout_secs": 31536001"#,
                "approval_timeout_secs",
                "31536001 is outside 1..=31536000",
            ),
            (
                r#""actuals_meaning": "units""#,
                "actuals_meaning",
                "unknown variant `units`, expected `demand` or `sales`",
            ),
            (
                r#""scenario": "holiday""#,
                "scenario",
                "unknown scenario 'holiday'",
            ),
            (
                r#""on_expiry": "later""#,
                "on_expiry",
                "unknown variant `later`",
            ),
        ] {
            let body = format!(r#"{{"category": "Scarves", {PARAMETERS}, {extra}}}"#);
            let (got, message) = refusal(&body);
            assert_eq!(got.as_deref(), Some(field), "{extra}: {message}");
            assert!(message.contains(words), "{extra}: {message}");
        }
        let body = format!(r#"{{"category": "{}", {PARAMETERS}}}"#, "x".repeat(201));
        let (field, message) = refusal(&body);
        assert_eq!(field.as_deref(), Some("category"), "{message}");
        assert!(message.contains("at most 200 characters"), "{message}");
    }

    /// `body` is a 400 naming `field`, its message holding `words`.
    fn assert_refused<T: serde::de::DeserializeOwned + utoipa::PartialSchema + std::fmt::Debug>(
        body: &str,
        field: &str,
        words: &str,
    ) {
        match parse_json::<T>(body.as_bytes()) {
            Err(ApiError::BadRequest {
                field: Some(f),
                message,
                ..
            }) => {
                assert_eq!(f, field, "{body}: {message}");
                assert!(message.contains(words), "{body}: {message}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn a_what_if_body_is_bounded_and_defaults_to_the_cli() {
        let empty = parse_json::<TuneRequest>(b"{}").expect("empty body");
        assert_eq!(
            empty.options(),
            atelier_engine::tune::TuneOptions {
                draws: 40,
                seed: 42
            }
        );
        let given = parse_json::<TuneRequest>(br#"{"draws": 7, "seed": 9}"#).expect("valid");
        assert_eq!(
            given.options(),
            atelier_engine::tune::TuneOptions { draws: 7, seed: 9 }
        );
        for (body, field, words) in [
            (r#"{"draws": 1}"#, "draws", "1 is outside 2..=200"),
            (r#"{"draws": 201}"#, "draws", "201 is outside 2..=200"),
            (
                r#"{"seed": 9007199254740992}"#,
                "seed",
                "9007199254740992 is outside 0..=9007199254740991",
            ),
            (r#"{"knob": "holdback"}"#, "knob", "unknown field"),
        ] {
            assert_refused::<TuneRequest>(body, field, words);
        }
    }

    #[test]
    fn a_what_if_body_tells_a_null_checkpoint_from_one_left_out() {
        let empty = parse_json::<WhatIfRequest>(b"{}").expect("empty body");
        assert!(empty.what_if().is_empty());
        assert_eq!(empty.options(), TuneRequest::default().options());
        let off = parse_json::<WhatIfRequest>(br#"{"checkpoint_week": null}"#).expect("valid");
        assert_eq!(off.what_if().checkpoint_week, Some(None));
        let given = parse_json::<WhatIfRequest>(
            br#"{"policy": "seed", "order_units": 9000, "holdback": 0.3, "checkpoint_week": 8, "markdown_cap": 0.25, "draws": 10}"#,
        )
        .expect("valid");
        let w = given.what_if();
        assert_eq!(w.policy, Some(atelier_core::Policy::Seed));
        assert_eq!(w.order_units, Some(9000));
        assert_eq!(w.checkpoint_week, Some(Some(8)));
        assert_eq!(given.options().draws, 10);
        for (body, field, words) in [
            (
                r#"{"policy": "cheap"}"#,
                "policy",
                "unknown variant `cheap`",
            ),
            (
                r#"{"holdback": "half"}"#,
                "holdback",
                "invalid type: string \"half\"",
            ),
            (
                r#"{"checkpoint_week": 0}"#,
                "checkpoint_week",
                "0 is outside 1..=52",
            ),
            (r#"{"order_units": -5}"#, "order_units", "-5"),
            (r#"{"markdown": 0.3}"#, "markdown", "unknown field"),
        ] {
            assert_refused::<WhatIfRequest>(body, field, words);
        }
    }

    #[test]
    fn a_valid_body_gives_a_season_and_a_meaning() {
        let body =
            format!(r#"{{"category": "Scarves", {PARAMETERS}, "scenario": "normal_season"}}"#);
        let request = parse_json::<CreateWorkflowRequest>(body.as_bytes()).expect("valid");
        let season = request.season().expect("valid season");
        assert_eq!(season.parameters.forecast_horizon_weeks, 12);
        let bad = format!(
            r#"{{"category": "Scarves", {}, "tunables": {{"markdown_cap_pct": 7}}}}"#,
            PARAMETERS.replace("0.45", "1.5")
        );
        let request = parse_json::<CreateWorkflowRequest>(bad.as_bytes()).expect("reads");
        match request.season() {
            Err(ApiError::BadRequest { fields, .. }) => {
                let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(
                    names,
                    [
                        "parameters.dc_holdback_percentage",
                        "tunables.markdown_cap_pct"
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
