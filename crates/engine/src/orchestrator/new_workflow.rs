//! A new workflow and the rules it is created under, written once for every front
//! end (the CLI's `atelier run`, the server's `POST /api/workflows`): the category
//! resolved against the history's names, a shipped scenario checked, what played
//! weeks mean when nobody says, and the approval timeout's bounds. Pure: the
//! caller loads the data and hands in the names it holds.

use super::limits::MAX_APPROVAL_TIMEOUT_SECS;
use crate::event::{ActualsMeaning, ActualsSource, DataSource, ExpiryAction, Reasoning};
use atelier_core::params::SeasonConfig;
use atelier_core::sample;

/// A request to start a workflow: what the orchestrator's create step records.
/// Build it with [`NewWorkflow::new`] and the setters that check their rule; the
/// fields stay public for tests and benches that need a request the rules would
/// not make (create checks its own invariants again).
#[derive(Debug, Clone)]
pub struct NewWorkflow {
    /// Its id (callers generate it, so that a retried create is recognisable).
    pub workflow_id: String,
    /// Category to plan, spelt as the history spells it.
    pub category: String,
    /// Parameters and tunables.
    pub config: SeasonConfig,
    /// Data source.
    pub data: DataSource,
    /// What actuals mean.
    pub actuals_meaning: ActualsMeaning,
    /// Where played actuals come from.
    pub actuals_source: Option<ActualsSource>,
    /// Approval timeout, seconds.
    pub approval_timeout_secs: Option<u64>,
    /// What a timeout does.
    pub approval_expiry: ExpiryAction,
    /// How the parameters were extracted from a planner's description (phase 0), if
    /// they were.
    pub extraction: Option<Reasoning>,
    /// The world played demand answers in (a `--demand` folder's `world.json`);
    /// `None`: the standard world for demand, none for recorded sales.
    pub world: Option<atelier_core::world::World>,
}

/// Why a new workflow cannot be made, naming the field and the value, so each
/// front end words it the same way (the server answers 400 with the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewWorkflowError {
    /// The category is not in the history (any case matches).
    #[error("category '{given}' is not in the sales history; {}", known_names(.closest, .known))]
    UnknownCategory {
        /// The category asked for (at most 100 characters of it).
        given: String,
        /// The history's categories.
        known: Vec<String>,
        /// The known category spelt closest to it, when one is close.
        closest: Option<String>,
    },
    /// The scenario is not one of the shipped ones.
    #[error("unknown scenario '{name}'; shipped scenarios: {}", .shipped.join(", "))]
    UnknownScenario {
        /// The scenario asked for (at most 100 characters of it).
        name: String,
        /// The shipped scenarios.
        shipped: Vec<&'static str>,
    },
    /// The approval timeout is outside 1 s to a year.
    #[error(
        "an approval timeout of {secs} s is outside 1..={MAX_APPROVAL_TIMEOUT_SECS} (one year)"
    )]
    ApprovalTimeout {
        /// The timeout asked for.
        secs: u64,
    },
}

/// The known categories, after the closest one when there is one.
fn known_names(closest: &Option<String>, known: &[String]) -> String {
    match closest {
        Some(k) => format!("did you mean '{k}'? Known: {}", known.join(", ")),
        None => format!("known: {}", known.join(", ")),
    }
}

impl NewWorkflowError {
    /// The request field at fault, as the server's body names it.
    pub fn field(&self) -> &'static str {
        match self {
            NewWorkflowError::UnknownCategory { .. } => "category",
            NewWorkflowError::UnknownScenario { .. } => "scenario",
            NewWorkflowError::ApprovalTimeout { .. } => "approval_timeout_secs",
        }
    }
}

/// At most this much of a name a caller gave is repeated in an error.
const ECHOED_CHARS: usize = 100;

fn echoed(s: &str) -> String {
    s.chars().take(ECHOED_CHARS).collect()
}

/// The history's spelling of `given` (any case, spaces around ignored), or an
/// error naming the closest known category when one is spelt nearly alike.
pub fn resolve_category(given: &str, known: &[String]) -> Result<String, NewWorkflowError> {
    let trimmed = given.trim();
    if let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(trimmed)) {
        return Ok(k.clone());
    }
    let lower = trimmed.to_lowercase();
    let closest = known
        .iter()
        .map(|k| (strsim::levenshtein(&k.to_lowercase(), &lower), k))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, _)| *d <= 3.max(lower.len() / 3))
        .map(|(_, k)| k.clone());
    Err(NewWorkflowError::UnknownCategory {
        given: echoed(given),
        known: known.to_vec(),
        closest,
    })
}

/// `name` when it is a shipped scenario.
pub fn shipped_scenario(name: &str) -> Result<&'static str, NewWorkflowError> {
    sample::SCENARIOS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| *n == name)
        .ok_or_else(|| NewWorkflowError::UnknownScenario {
            name: echoed(name),
            shipped: sample::SCENARIOS.iter().map(|(n, _)| *n).collect(),
        })
}

/// What played weeks mean when nobody says: a shipped scenario's files are
/// demand (shoppers' wants; stores sell what they hold); a folder's files and
/// uploaded weeks are what the stores really sold.
pub fn default_meaning(source: Option<&ActualsSource>) -> ActualsMeaning {
    match source {
        Some(ActualsSource::Scenario { .. }) => ActualsMeaning::Demand,
        Some(ActualsSource::Directory { .. }) | None => ActualsMeaning::Sales,
    }
}

/// `secs` when it is a timeout an approval may have (1 s to a year).
pub fn approval_timeout(secs: u64) -> Result<u64, NewWorkflowError> {
    if (1..=MAX_APPROVAL_TIMEOUT_SECS).contains(&secs) {
        Ok(secs)
    } else {
        Err(NewWorkflowError::ApprovalTimeout { secs })
    }
}

impl NewWorkflow {
    /// A season of `category` (resolved against `known`, the history's
    /// categories) to plan with `config` from `data`; its weeks uploaded as
    /// sales, approvals without a timeout that fail when one would expire.
    pub fn new(
        workflow_id: String,
        category: &str,
        known: &[String],
        config: SeasonConfig,
        data: DataSource,
    ) -> Result<NewWorkflow, NewWorkflowError> {
        Ok(NewWorkflow {
            workflow_id,
            category: resolve_category(category, known)?,
            config,
            data,
            actuals_meaning: default_meaning(None),
            actuals_source: None,
            approval_timeout_secs: None,
            approval_expiry: ExpiryAction::Fail,
            extraction: None,
            world: None,
        })
    }

    /// Where played weeks come from (a scenario must be a shipped one) and what
    /// they mean: as given, else [`default_meaning`].
    pub fn played_from(
        mut self,
        source: Option<ActualsSource>,
        meaning: Option<ActualsMeaning>,
    ) -> Result<NewWorkflow, NewWorkflowError> {
        if let Some(ActualsSource::Scenario { name }) = &source {
            shipped_scenario(name)?;
        }
        self.actuals_meaning = meaning.unwrap_or_else(|| default_meaning(source.as_ref()));
        self.actuals_source = source;
        Ok(self)
    }

    /// How approvals wait: a timeout (checked) and what its expiry does (default:
    /// the workflow fails, to be resumed).
    pub fn approvals(
        mut self,
        timeout_secs: Option<u64>,
        expiry: Option<ExpiryAction>,
    ) -> Result<NewWorkflow, NewWorkflowError> {
        self.approval_timeout_secs = timeout_secs.map(approval_timeout).transpose()?;
        self.approval_expiry = expiry.unwrap_or(ExpiryAction::Fail);
        Ok(self)
    }

    /// How the parameters were read from a planner's words, recorded with the
    /// creation.
    pub fn extracted(mut self, extraction: Option<Reasoning>) -> NewWorkflow {
        self.extraction = extraction;
        self
    }

    /// The world played demand answers in (a demand folder's own).
    pub fn in_world(mut self, world: Option<atelier_core::world::World>) -> NewWorkflow {
        self.world = world;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        vec!["Accessories".to_string(), "Women's Dresses".to_string()]
    }

    fn config() -> SeasonConfig {
        sample::parameter_set("zara").unwrap().unwrap()
    }

    fn new(category: &str) -> Result<NewWorkflow, NewWorkflowError> {
        NewWorkflow::new("w".into(), category, &known(), config(), DataSource::Sample)
    }

    fn scenario(name: &str) -> Option<ActualsSource> {
        Some(ActualsSource::Scenario { name: name.into() })
    }

    #[test]
    fn a_category_matches_in_any_case_and_takes_the_historys_spelling() {
        assert_eq!(new("women's dresses").unwrap().category, "Women's Dresses");
        assert_eq!(new(" ACCESSORIES ").unwrap().category, "Accessories");
    }

    #[test]
    fn an_unknown_category_is_refused_naming_the_closest_and_the_known() {
        let e = new("Womens Dress").unwrap_err();
        assert_eq!(e.field(), "category");
        assert_eq!(
            e.to_string(),
            "category 'Womens Dress' is not in the sales history; did you mean 'Women's Dresses'? Known: Accessories, Women's Dresses"
        );
        let e = new("Furniture").unwrap_err();
        assert!(!e.to_string().contains("did you mean"), "{e}");
        assert!(
            e.to_string()
                .ends_with("; known: Accessories, Women's Dresses")
        );
        let long = "x".repeat(5_000);
        assert!(new(&long).unwrap_err().to_string().len() < 300);
    }

    #[test]
    fn a_scenario_must_be_shipped() {
        let w = new("Accessories")
            .unwrap()
            .played_from(scenario("normal_season"), None)
            .unwrap();
        assert_eq!(w.actuals_source, scenario("normal_season"));
        let e = new("Accessories")
            .unwrap()
            .played_from(scenario("holiday"), None)
            .unwrap_err();
        assert_eq!(e.field(), "scenario");
        assert_eq!(
            e.to_string(),
            "unknown scenario 'holiday'; shipped scenarios: normal_season, low_demand, underperform"
        );
    }

    #[test]
    fn played_weeks_are_demand_for_a_scenario_and_sales_otherwise_unless_said() {
        let meaning = |source, said| {
            new("Accessories")
                .unwrap()
                .played_from(source, said)
                .unwrap()
                .actuals_meaning
        };
        let folder = Some(ActualsSource::Directory {
            path: "/weeks".into(),
        });
        assert_eq!(
            meaning(scenario("low_demand"), None),
            ActualsMeaning::Demand
        );
        assert_eq!(meaning(folder.clone(), None), ActualsMeaning::Sales);
        assert_eq!(meaning(None, None), ActualsMeaning::Sales);
        assert_eq!(
            meaning(folder, Some(ActualsMeaning::Demand)),
            ActualsMeaning::Demand
        );
        assert_eq!(
            meaning(scenario("low_demand"), Some(ActualsMeaning::Sales)),
            ActualsMeaning::Sales
        );
    }

    #[test]
    fn an_approval_timeout_is_one_second_to_a_year() {
        let with = |secs| new("Accessories").unwrap().approvals(secs, None);
        assert_eq!(with(None).unwrap().approval_timeout_secs, None);
        assert_eq!(with(Some(1)).unwrap().approval_timeout_secs, Some(1));
        let year = MAX_APPROVAL_TIMEOUT_SECS;
        assert_eq!(with(Some(year)).unwrap().approval_timeout_secs, Some(year));
        for bad in [0, year + 1] {
            let e = with(Some(bad)).unwrap_err();
            assert_eq!(e, NewWorkflowError::ApprovalTimeout { secs: bad });
            assert_eq!(e.field(), "approval_timeout_secs");
            assert!(e.to_string().contains(&format!("{bad} s is outside")));
        }
        assert_eq!(with(None).unwrap().approval_expiry, ExpiryAction::Fail);
        let accept = new("Accessories")
            .unwrap()
            .approvals(None, Some(ExpiryAction::Accept))
            .unwrap();
        assert_eq!(accept.approval_expiry, ExpiryAction::Accept);
    }
}
