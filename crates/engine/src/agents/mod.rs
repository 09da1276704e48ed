//! The three specialist agents as handoff targets. Each has the instructions an LLM
//! would be given and answers a [`Handoff`] by calling the core's tested
//! mathematics; the orchestrator's registry says which handoffs a season enables.

mod contract;
mod margin;

use atelier_core::data::{SalesHistory, StoreNetwork};
use atelier_core::demand::{manufacturing_order, reforecast_remaining};
use atelier_core::inventory::replenish;
use atelier_core::params::{SeasonParameters, Tunables};
use atelier_core::plan::{category_sales, cluster_and_allocate, forecast_and_order};
use atelier_core::policy::replenish::replenish_to_demand;
use atelier_core::policy::rules::{OrderRule, Rules};
use atelier_core::pricing::{propose_markdown, reprice, sell_through};
pub use contract::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The specialist agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentName {
    /// Forecasts demand and sizes the order.
    Demand,
    /// Clusters stores, allocates and replenishes.
    Inventory,
    /// Proposes markdowns.
    Pricing,
}

impl AgentName {
    /// The agent's id.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentName::Demand => "demand",
            AgentName::Inventory => "inventory",
            AgentName::Pricing => "pricing",
        }
    }
}

impl fmt::Display for AgentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an agent could not answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AgentError {
    /// The handoff asked an agent for work it does not do.
    #[error("agent {agent} cannot handle a '{task}' task")]
    WrongTask {
        /// The agent.
        agent: AgentName,
        /// The task kind.
        task: String,
    },
    /// The handoff carried another agent's parameter slice.
    #[error("agent {agent} was handed another agent's parameters")]
    WrongParameters {
        /// The agent.
        agent: AgentName,
    },
    /// The season cannot be planned from its data (unknown category, too little
    /// history, ...).
    #[error(transparent)]
    Plan(#[from] atelier_core::plan::PlanError),
    /// The season's economics cannot be set (no price).
    #[error(transparent)]
    Economics(#[from] atelier_core::economics::EconomicsError),
    /// A markdown depth the rules do not allow.
    #[error("{0}")]
    InvalidDepth(String),
    /// The computation failed for another reason (a test double's failure, say).
    #[error("{0}")]
    Failed(String),
}

/// The data agents read: the store network and the sales history.
#[derive(Debug)]
pub struct SeasonData {
    /// Stores.
    pub stores: StoreNetwork,
    /// Sales history.
    pub history: SalesHistory,
}

/// What an agent may use besides the handoff.
pub struct AgentContext<'a> {
    /// The workflow's data.
    pub data: &'a SeasonData,
    /// The workflow's tunables.
    pub tunables: &'a Tunables,
    /// How the workflow's policy decides (built from the tunables).
    pub rules: Rules,
}

/// A specialist agent.
pub trait Agent: Send + Sync {
    /// Which agent this is.
    fn name(&self) -> AgentName;
    /// The instructions an LLM-backed agent would be given; recorded for audit.
    fn instructions(&self) -> &'static str;
    /// Answers a handoff.
    fn handle(&self, handoff: &Handoff, ctx: &AgentContext<'_>) -> Result<AgentResult, AgentError>;
}

fn wrong_task(agent: AgentName, task: &Task) -> AgentError {
    let kind = serde_json::to_value(task)
        .ok()
        .and_then(|v| v.get("task").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_default();
    AgentError::WrongTask { agent, task: kind }
}

/// Forecasts the category and sizes the manufacturing order.
pub struct DemandAgent;

impl Agent for DemandAgent {
    fn name(&self) -> AgentName {
        AgentName::Demand
    }

    fn instructions(&self) -> &'static str {
        "You are the Demand agent. Forecast the category's season total and weekly curve from its \
         weekly history with an ensemble of statistical models. Size the manufacturing order as \
         forecast x (1 + safety stock): 20%, or 25% when replenishment is 'none'. In season, \
         re-forecast the remaining weeks from the weeks observed."
    }

    fn handle(&self, handoff: &Handoff, ctx: &AgentContext<'_>) -> Result<AgentResult, AgentError> {
        match &handoff.task {
            Task::Forecast {
                category,
                season_start_date,
            } => {
                let slice = handoff.parameters.demand()?;
                let sales = category_sales(&ctx.data.history, category)?;
                // The slice's strategy sets the safety stock.
                let (forecast, seed_order) = forecast_and_order(
                    sales,
                    category,
                    *season_start_date,
                    slice.forecast_horizon_weeks,
                    ctx.tunables.safety_stock_for(slice.replenishment_strategy),
                )?;
                match ctx.rules.order {
                    OrderRule::SafetyStock => Ok(AgentResult::Forecast {
                        forecast,
                        order: seed_order,
                    }),
                    OrderRule::Newsvendor => margin::order(
                        ctx,
                        category,
                        sales,
                        forecast,
                        *season_start_date,
                        slice.forecast_horizon_weeks,
                    ),
                }
            }
            Task::ReviseOrder {
                forecast_units,
                safety_stock_pct,
                manufacturing_qty,
            } => {
                let slice = handoff.parameters.demand()?;
                let safety = safety_stock_pct
                    .unwrap_or_else(|| ctx.tunables.safety_stock_for(slice.replenishment_strategy));
                let mut order = manufacturing_order(*forecast_units, safety);
                if let Some(qty) = manufacturing_qty {
                    order.manufacturing_qty = *qty;
                    order.safety_stock_pct = if *forecast_units > 0 {
                        *qty as f64 / *forecast_units as f64 - 1.0
                    } else {
                        0.0
                    };
                }
                Ok(AgentResult::Order { order })
            }
            Task::Reforecast {
                forecast_weekly,
                actual_weekly,
                lift_pct,
                ..
            } => {
                let mut remaining = reforecast_remaining(forecast_weekly, actual_weekly);
                if *lift_pct != 0.0 {
                    for r in &mut remaining {
                        *r = (*r as f64 * (1.0 + lift_pct)).round().max(0.0) as u64;
                    }
                }
                Ok(AgentResult::Reforecast { remaining })
            }
            other => Err(wrong_task(AgentName::Demand, other)),
        }
    }
}

/// Clusters stores, splits the order and replenishes from the DC.
pub struct InventoryAgent;

impl Agent for InventoryAgent {
    fn name(&self) -> AgentName {
        AgentName::Inventory
    }

    fn instructions(&self) -> &'static str {
        "You are the Inventory agent. Cluster the stores with K-means++ (K=3) on seven standardised \
         features, split the approved order to clusters by historical sales and to stores by \
         0.7 history + 0.3 attributes, ship (1 - holdback) at launch and keep the rest at the DC. \
         On replenishment weeks, top each store up toward its remaining allocation at the pace of \
         the weeks left, never beyond what the DC holds."
    }

    fn handle(&self, handoff: &Handoff, ctx: &AgentContext<'_>) -> Result<AgentResult, AgentError> {
        let slice = handoff.parameters.inventory()?;
        match &handoff.task {
            Task::Allocate {
                manufacturing_qty,
                category,
                ..
            } => {
                let sales = category_sales(&ctx.data.history, category)?;
                let (_, allocation) = cluster_and_allocate(
                    sales,
                    &ctx.data.stores,
                    *manufacturing_qty,
                    slice.dc_holdback_percentage,
                );
                Ok(AgentResult::Allocation {
                    allocation,
                    unit_price: sales.average_unit_price(),
                })
            }
            Task::Replenish {
                weeks_left,
                cover_weeks,
                stores,
                dc_available,
                ..
            } => Ok(AgentResult::Replenishment {
                units: replenish(stores, *weeks_left, *cover_weeks, *dc_available),
            }),
            Task::ReplenishToDemand {
                signals, window, ..
            } => Ok(AgentResult::Replenishment {
                units: replenish_to_demand(signals, *window).units,
            }),
            Task::ProposeTransfers {
                category,
                stores,
                conditions,
                ..
            } => margin::transfers(ctx, category, stores, *conditions),
            Task::ProposeReorder {
                category,
                situation,
            } => margin::reorder(ctx, category, situation),
            other => Err(wrong_task(AgentName::Inventory, other)),
        }
    }
}

/// Compares sell-through with the target and proposes a uniform markdown.
pub struct PricingAgent;

impl Agent for PricingAgent {
    fn name(&self) -> AgentName {
        AgentName::Pricing
    }

    fn instructions(&self) -> &'static str {
        "You are the Pricing agent. At the checkpoint week compute sell-through = units sold / \
         units manufactured and the gap to the target. If the gap is positive propose a uniform \
         markdown of gap x elasticity (2.0), rounded to the nearest 5% and capped at 40%; \
         otherwise propose none."
    }

    fn handle(&self, handoff: &Handoff, ctx: &AgentContext<'_>) -> Result<AgentResult, AgentError> {
        let slice = handoff.parameters.pricing()?;
        match &handoff.task {
            Task::ProposeMarkdown {
                units_sold,
                units_manufactured,
                ..
            } => {
                let target = slice.markdown_threshold.ok_or_else(|| {
                    AgentError::Failed("no markdown threshold in the pricing slice".into())
                })?;
                let st = sell_through(*units_sold, *units_manufactured);
                Ok(AgentResult::Markdown {
                    proposal: propose_markdown(st, target, ctx.tunables),
                })
            }
            Task::ReviseMarkdown {
                proposal,
                markdown_pct,
                ..
            } => Ok(AgentResult::Markdown {
                proposal: reprice(proposal, *markdown_pct, ctx.tunables)
                    .map_err(AgentError::InvalidDepth)?,
            }),
            Task::ChooseMarkdown {
                category,
                situation,
            } => margin::markdown(ctx, category, situation),
            other => Err(wrong_task(AgentName::Pricing, other)),
        }
    }
}

/// The handoffs the orchestrator knows. Each says which agent it reaches and
/// whether a season's parameters enable it; the orchestrator's phase decisions go
/// through [`Route::enabled`], so this is the one place they are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Route {
    /// Phase 1: the season forecast and the order.
    #[serde(rename = "demand.forecast")]
    DemandForecast,
    /// Phase 5: the remaining weeks re-forecast.
    #[serde(rename = "demand.reforecast")]
    DemandReforecast,
    /// Phase 2: clusters, allocation and the launch shipment.
    #[serde(rename = "inventory.allocate")]
    InventoryAllocate,
    /// Phase 3: top-ups from the DC; disabled when the strategy is `none`.
    #[serde(rename = "inventory.replenish")]
    InventoryReplenish,
    /// Phase 4: the markdown check; disabled without a checkpoint.
    #[serde(rename = "pricing.markdown")]
    PricingMarkdown,
}

impl Route {
    /// Every route.
    pub const ALL: [Route; 5] = [
        Route::DemandForecast,
        Route::DemandReforecast,
        Route::InventoryAllocate,
        Route::InventoryReplenish,
        Route::PricingMarkdown,
    ];

    /// The agent the route reaches.
    pub fn agent(self) -> AgentName {
        match self {
            Route::DemandForecast | Route::DemandReforecast => AgentName::Demand,
            Route::InventoryAllocate | Route::InventoryReplenish => AgentName::Inventory,
            Route::PricingMarkdown => AgentName::Pricing,
        }
    }

    /// Whether the season's parameters enable the route.
    pub fn enabled(self, parameters: &SeasonParameters) -> bool {
        match self {
            Route::InventoryReplenish => {
                parameters.replenishment_strategy != atelier_core::ReplenishmentStrategy::None
            }
            Route::PricingMarkdown => parameters.markdown_checkpoint_week.is_some(),
            Route::DemandForecast | Route::DemandReforecast | Route::InventoryAllocate => true,
        }
    }
}

/// The routes a season enables.
pub fn enabled_routes(parameters: &SeasonParameters) -> Vec<Route> {
    Route::ALL
        .into_iter()
        .filter(|r| r.enabled(parameters))
        .collect()
}

/// The agents the orchestrator hands off to; tests swap one for a failing double.
#[derive(Clone)]
pub struct AgentRegistry {
    agents: Vec<Arc<dyn Agent>>,
}

impl Default for AgentRegistry {
    fn default() -> Self {
        AgentRegistry {
            agents: vec![
                Arc::new(DemandAgent),
                Arc::new(InventoryAgent),
                Arc::new(PricingAgent),
            ],
        }
    }
}

impl AgentRegistry {
    /// Replaces the agent of the same name.
    pub fn with_agent(mut self, agent: Arc<dyn Agent>) -> Self {
        self.agents.retain(|a| a.name() != agent.name());
        self.agents.push(agent);
        self
    }

    /// The agent by name.
    pub fn get(&self, name: AgentName) -> Option<&Arc<dyn Agent>> {
        self.agents.iter().find(|a| a.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atelier_core::ReplenishmentStrategy;

    fn params(strategy: ReplenishmentStrategy, checkpoint: Option<u32>) -> SeasonParameters {
        SeasonParameters {
            forecast_horizon_weeks: 12,
            season_start_date: chrono::NaiveDate::from_ymd_opt(2025, 2, 17).unwrap(),
            season_end_date: chrono::NaiveDate::from_ymd_opt(2025, 5, 11).unwrap(),
            replenishment_strategy: strategy,
            dc_holdback_percentage: 0.0,
            markdown_checkpoint_week: checkpoint,
            markdown_threshold: checkpoint.map(|_| 0.6),
        }
    }

    #[test]
    fn replenishment_route_is_disabled_for_none() {
        let routes = enabled_routes(&params(ReplenishmentStrategy::None, Some(6)));
        assert_eq!(Route::InventoryReplenish.agent(), AgentName::Inventory);
        assert!(!routes.contains(&Route::InventoryReplenish));
        assert!(routes.contains(&Route::PricingMarkdown));
        let routes = enabled_routes(&params(ReplenishmentStrategy::Weekly, None));
        assert!(routes.contains(&Route::InventoryReplenish));
        assert!(!routes.contains(&Route::PricingMarkdown));
    }
}
