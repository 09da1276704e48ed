//! Parameter files (`--params F.json`, the body of `POST /api/workflows`): the
//! seven parameters at the top level and the tunables under `tunables`, every
//! unknown key and bad value named.

use super::tunables::TUNABLE_FIELDS;
use super::{FieldError, ParamError, Policy, RawSeasonParameters, SeasonParameters, Tunables};
use serde::{Deserialize, Serialize};

/// A parameter file: the seven fields at the top level, tunables optionally under
/// `tunables`. This is the format of `--params F.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeasonConfig {
    /// The validated seven parameters.
    pub parameters: SeasonParameters,
    /// Tunables, defaults where the file is silent.
    pub tunables: Tunables,
}

/// The seven parameters' names, written once: the top-level keys of a parameter
/// file, the fields of [`SeasonParameters`] and [`RawSeasonParameters`] (a test
/// keeps them equal), and what the model is asked for.
pub const PARAMETER_FIELDS: [&str; 7] = [
    "forecast_horizon_weeks",
    "season_start_date",
    "season_end_date",
    "replenishment_strategy",
    "dc_holdback_percentage",
    "markdown_checkpoint_week",
    "markdown_threshold",
];

/// Names every key a parameter file may not have, with the keys it may, so that a
/// typo is reported as a field rather than as a JSON syntax error.
fn check_known_fields(value: &serde_json::Value) -> Result<(), ParamError> {
    let Some(map) = value.as_object() else {
        return Err(ParamError::Json("parameters must be a JSON object".into()));
    };
    let mut errors = Vec::new();
    for key in map.keys() {
        if key != "tunables" && !PARAMETER_FIELDS.contains(&key.as_str()) {
            errors.push(FieldError::new(
                key.clone(),
                format!(
                    "unknown field; expected one of {}, tunables",
                    PARAMETER_FIELDS.join(", ")
                ),
            ));
        }
    }
    if let Some(tunables) = map.get("tunables").and_then(|t| t.as_object()) {
        for key in tunables.keys() {
            if !TUNABLE_FIELDS.contains(&key.as_str()) {
                errors.push(FieldError::new(
                    format!("tunables.{key}"),
                    format!(
                        "unknown tunable; expected one of {}",
                        TUNABLE_FIELDS.join(", ")
                    ),
                ));
            }
        }
        let unknown_policy = tunables
            .get("policy")
            .filter(|p| p.as_str().and_then(Policy::parse).is_none());
        if let Some(policy) = unknown_policy {
            errors.push(FieldError::new(
                "tunables.policy",
                format!("{policy} is not one of seed, rule, margin"),
            ));
        }
    }
    ParamError::from_list(errors)
}

/// A parameter file that names no policy gets the product's default, `margin`
/// ([`Tunables`] read from a recorded log defaults to `seed` instead), and a
/// policy spelt in any case is written the way serde reads it.
fn fill_in_policy(value: &mut serde_json::Value) {
    let Some(map) = value.as_object_mut() else {
        return;
    };
    if let Some(tunables) = map.get_mut("tunables") {
        fill_in_input_defaults(tunables);
    }
}

/// The one rule for tunables a planner gives (a file, a request body, the CLI):
/// what they leave out takes the product's defaults (policy `margin`, a chase on
/// its default terms), while a recorded log that predates a field keeps what it
/// ran (`seed`, no chase).
fn fill_in_input_defaults(tunables: &mut serde_json::Value) {
    let Some(tunables) = tunables.as_object_mut() else {
        return;
    };
    let policy = tunables
        .get("policy")
        .and_then(|p| p.as_str())
        .and_then(Policy::parse)
        .unwrap_or_default();
    tunables.insert("policy".into(), policy.as_str().into());
    if !tunables.contains_key("chase") {
        let chase = serde_json::to_value(super::tunables::Chase::default())
            .unwrap_or(serde_json::Value::Null);
        tunables.insert("chase".into(), chase);
    }
}

/// Tunables as a planner gives them (a request body's `tunables`): read by the
/// same rule as a parameter file's, so the same knobs run the same policy
/// whichever way they arrive.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InputTunables(pub Tunables);

/// In the API document: the tunables a body may give, each optional, with the
/// ranges validation enforces and the product's defaults (policy `margin`, a
/// chase on its default terms), which a body that leaves a field out gets. The
/// recorded ones are listed beside it as `Tunables`, with the defaults a log
/// that predates a field reads instead ([`Tunables::recorded_schema`]).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for InputTunables {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let mut schema = <Tunables as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required.clear();
            object.description = Some(
                "Tunables a request or a parameter file may give, each optional: what it \
                 leaves out takes the product's defaults (domain.md's knobs, policy `margin`, \
                 a chase on its default terms)."
                    .into(),
            );
        }
        schema
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for InputTunables {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((Tunables::name().into(), Tunables::recorded_schema()));
        Tunables::schemas(schemas);
    }
}

impl<'de> Deserialize<'de> for InputTunables {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<InputTunables, D::Error> {
        let mut value = serde_json::Value::deserialize(d)?;
        if let Some(policy) = value
            .get("policy")
            .filter(|p| p.as_str().and_then(Policy::parse).is_none())
        {
            return Err(serde::de::Error::custom(format!(
                "policy {policy} is not one of seed, rule, margin"
            )));
        }
        fill_in_input_defaults(&mut value);
        Tunables::deserialize(value)
            .map(InputTunables)
            .map_err(serde::de::Error::custom)
    }
}

impl SeasonConfig {
    /// The parameter file that reads back as this config: the seven at the top
    /// level, the tunables under `tunables` (what `--params F.json` takes).
    pub fn to_file_json(&self) -> serde_json::Value {
        let mut file = serde_json::to_value(&self.parameters)
            .unwrap_or_else(|_| serde_json::Value::Object(Default::default()));
        if let Some(map) = file.as_object_mut() {
            map.insert(
                "tunables".into(),
                serde_json::to_value(&self.tunables).unwrap_or(serde_json::Value::Null),
            );
        }
        file
    }

    /// Parses and validates a parameter file's JSON text.
    pub fn from_json(text: &str) -> Result<SeasonConfig, ParamError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ParamError::Json(e.to_string()))?;
        check_known_fields(&value)?;
        let mut value = value;
        fill_in_policy(&mut value);
        // The seven are the file less its `tunables`; they are read first, as
        // their keys sort before it.
        let tunables = value.as_object_mut().and_then(|m| m.remove("tunables"));
        let json_error = |e: serde_json::Error| ParamError::Json(e.to_string());
        let raw: RawSeasonParameters = serde_json::from_value(value).map_err(json_error)?;
        let tunables: Tunables = match tunables {
            Some(t) => serde_json::from_value(t).map_err(json_error)?,
            None => Tunables::default(),
        };
        let parameters = match (raw.validate(), tunables.validate()) {
            (Ok(p), Ok(())) => p,
            (Err(a), Err(b)) => {
                let mut all = a.fields().to_vec();
                all.extend_from_slice(b.fields());
                return Err(ParamError::Invalid(all));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        Ok(SeasonConfig {
            parameters,
            tunables,
        })
    }

    /// Wraps validated parameters with default tunables.
    pub fn with_defaults(parameters: SeasonParameters) -> SeasonConfig {
        SeasonConfig {
            parameters,
            tunables: Tunables::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(value: serde_json::Value) -> Vec<String> {
        let mut keys: Vec<String> = value
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn the_field_list_matches_the_structs() {
        let mut listed: Vec<String> = PARAMETER_FIELDS.iter().map(|f| f.to_string()).collect();
        listed.sort_unstable();
        let raw = serde_json::to_value(RawSeasonParameters::default()).unwrap_or_default();
        assert_eq!(keys(raw), listed);
        let parameters = RawSeasonParameters {
            forecast_horizon_weeks: Some(12),
            season_start_date: Some("2025-03-03".into()),
            replenishment_strategy: Some("weekly".into()),
            dc_holdback_percentage: Some(0.3),
            ..RawSeasonParameters::default()
        }
        .validate()
        .map(|p| serde_json::to_value(p).unwrap_or_default())
        .unwrap_or_default();
        assert_eq!(keys(parameters), listed);
    }
}
