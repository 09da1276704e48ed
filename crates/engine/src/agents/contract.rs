//! What passes between the orchestrator and the agents: the task a handoff asks
//! for, the agent's own parameter slice, the answer, and the typed calls that pair
//! each task with the answer it must get, so a step receives exactly what it asked.

use super::AgentName;
use crate::state::WorkflowState;
use atelier_core::demand::{DemandForecast, ManufacturingOrder};
use atelier_core::inventory::{Allocation, StoreStock};
use atelier_core::params::{DemandSlice, InventorySlice, PricingSlice, SeasonParameters};
use atelier_core::policy::chase::{ChaseSituation, ReorderPlan};
use atelier_core::policy::markdown::{MarginMarkdown, MarkdownSituation};
use atelier_core::policy::replenish::{ReplenishmentWindow, StoreSignal};
use atelier_core::policy::transfers::{StoreCover, TransferPlan, TransferWeek};
use atelier_core::pricing::MarkdownProposal;
use serde::{Deserialize, Serialize};

/// A typed call to an agent: the task it sends and the result it expects back, so
/// a step receives exactly the value it asked for.
pub trait AgentCall {
    /// What the step gets back.
    type Output;
    /// The agent addressed.
    const AGENT: AgentName;
    /// The task as recorded in the handoff.
    fn task(self) -> Task;
    /// The typed answer, or `None` when the agent answered something else.
    fn output(result: AgentResult) -> Option<Self::Output>;
}

/// The work a handoff asks for, with the data the previous agent produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Task {
    /// Forecast the season and size the order.
    Forecast {
        /// Category to forecast.
        category: String,
        /// First day of the season.
        season_start_date: chrono::NaiveDate,
    },
    /// Re-size the order after a planner's modification.
    ReviseOrder {
        /// The forecast total.
        forecast_units: u64,
        /// A new safety stock, if given.
        safety_stock_pct: Option<f64>,
        /// A new quantity, if given.
        manufacturing_qty: Option<u64>,
    },
    /// Split the approved order (the forecast object from Demand rides along).
    Allocate {
        /// Demand's forecast.
        forecast: Box<DemandForecast>,
        /// The approved quantity.
        manufacturing_qty: u64,
        /// The category, for store history.
        category: String,
    },
    /// Top stores up from the DC.
    Replenish {
        /// After which week.
        week: u32,
        /// Weeks still to sell.
        weeks_left: u32,
        /// Weeks the top-up must last (2 for bi-weekly).
        #[serde(default = "one_week")]
        cover_weeks: u32,
        /// Each store's stock position.
        stores: Vec<StoreStock>,
        /// Units at the DC.
        dc_available: u64,
    },
    /// Re-forecast the remaining weeks from the weeks seen.
    Reforecast {
        /// Last week observed.
        after_week: u32,
        /// The baseline forecast, weeks 1..=N: Demand's forecast as first made, so
        /// that successive re-forecasts do not compound one another.
        forecast_weekly: Vec<u64>,
        /// Weeks 1..=after_week observed, on the baseline's footing: a markdown's lift
        /// taken out, and shortfalls of weeks censored by stockouts neutralised.
        actual_weekly: Vec<u64>,
        /// Lift to apply on top (a markdown's), fraction.
        lift_pct: f64,
    },
    /// Check sell-through at the checkpoint (Inventory's allocation totals ride along).
    ProposeMarkdown {
        /// The checkpoint week.
        week: u32,
        /// Units sold so far.
        units_sold: u64,
        /// The units sell-through is judged against: those manufactured (the
        /// allocation's total), or under the `rule` policy with `markdown_basis`
        /// `plan`, the plan's forecast of the weeks to date.
        units_manufactured: u64,
    },
    /// Re-price after a planner's modification of the depth.
    ReviseMarkdown {
        /// The week.
        week: u32,
        /// The previous proposal.
        proposal: MarkdownProposal,
        /// The depth the planner asked for.
        markdown_pct: f64,
    },
    /// Choose the checkpoint depth that earns the most (the `margin` policy).
    ChooseMarkdown {
        /// The category, for its price.
        category: String,
        /// What is known at the checkpoint.
        situation: MarkdownSituation,
    },
    /// Top stores up by observed sell rates and the re-forecast (the `margin` policy).
    ReplenishToDemand {
        /// After which week.
        week: u32,
        /// Each store's stock and recent sales.
        signals: Vec<StoreSignal>,
        /// The network's window: cover demand and the DC's stock.
        window: ReplenishmentWindow,
    },
    /// Weigh moving stock between stores while the DC is empty (the `margin` policy).
    ProposeTransfers {
        /// The category, for its price.
        category: String,
        /// After which week.
        week: u32,
        /// Each store's stock and expected demand.
        stores: Vec<StoreCover>,
        /// The DC's stock, the weeks left, the markdown and the approval size.
        conditions: TransferWeek,
    },
    /// Weigh a second buy against the demand read so far (the `margin` policy).
    ProposeReorder {
        /// The category, for its price.
        category: String,
        /// The re-forecast, the stock held and awaited, the spread.
        situation: ChaseSituation,
    },
}

/// Context handed to an agent, as the seed describes: the workflow, the agent's own
/// parameter slice only, the phase, an instruction and the data it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    /// Unique within the workflow (`h-<seq>`).
    pub handoff_id: String,
    /// The workflow.
    pub workflow_id: String,
    /// The agent addressed.
    pub agent: AgentName,
    /// The phase it serves.
    pub phase: WorkflowState,
    /// What to do, in words.
    pub instruction: String,
    /// The agent's parameter slice (only its own).
    pub parameters: AgentParameters,
    /// The work and its data.
    pub task: Task,
}

fn one_week() -> u32 {
    1
}

/// An agent's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AgentResult {
    /// Demand's forecast and order.
    Forecast {
        /// The forecast.
        forecast: DemandForecast,
        /// The order.
        order: ManufacturingOrder,
    },
    /// A revised order.
    Order {
        /// The order.
        order: ManufacturingOrder,
    },
    /// Inventory's allocation.
    Allocation {
        /// The allocation.
        allocation: Allocation,
        /// Category's average unit price.
        unit_price: f64,
    },
    /// Top-ups per store.
    Replenishment {
        /// Units per store.
        units: Vec<u64>,
    },
    /// The remaining weeks' new forecast.
    Reforecast {
        /// Weeks after_week+1..=N.
        remaining: Vec<u64>,
    },
    /// Pricing's proposal.
    Markdown {
        /// The proposal.
        proposal: MarkdownProposal,
    },
    /// Pricing's choice under the `margin` policy, with every depth it weighed.
    MarkdownChoice {
        /// The proposal.
        proposal: MarkdownProposal,
        /// The depths weighed and the numbers behind the choice.
        choice: Box<MarginMarkdown>,
    },
    /// Inventory's store-to-store transfers (possibly none).
    Transfers {
        /// The moves by store position, and their totals.
        plan: TransferPlan,
    },
    /// Inventory's reorder, when one pays.
    Reorder {
        /// The reorder, or none.
        plan: Option<ReorderPlan>,
    },
}

/// An agent's parameter slice: each agent sees only its own (the seed's rule). It
/// serialises as the bare slice, as logs written before it was typed hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AgentParameters {
    /// Demand: the horizon and the replenishment strategy.
    Demand(DemandSlice),
    /// Inventory: the holdback and the replenishment strategy.
    Inventory(InventorySlice),
    /// Pricing: the checkpoint and the threshold.
    Pricing(PricingSlice),
}

impl AgentParameters {
    /// The slice `agent` may see of `p`.
    pub fn slice_for(agent: AgentName, p: &SeasonParameters) -> AgentParameters {
        match agent {
            AgentName::Demand => AgentParameters::Demand(p.demand_slice()),
            AgentName::Inventory => AgentParameters::Inventory(p.inventory_slice()),
            AgentName::Pricing => AgentParameters::Pricing(p.pricing_slice()),
        }
    }

    /// Demand's slice, or the error of a handoff that carried another.
    pub fn demand(&self) -> Result<&DemandSlice, super::AgentError> {
        match self {
            AgentParameters::Demand(s) => Ok(s),
            _ => Err(super::AgentError::WrongParameters {
                agent: AgentName::Demand,
            }),
        }
    }

    /// Inventory's slice, or the error of a handoff that carried another.
    pub fn inventory(&self) -> Result<&InventorySlice, super::AgentError> {
        match self {
            AgentParameters::Inventory(s) => Ok(s),
            _ => Err(super::AgentError::WrongParameters {
                agent: AgentName::Inventory,
            }),
        }
    }

    /// Pricing's slice, or the error of a handoff that carried another.
    pub fn pricing(&self) -> Result<&PricingSlice, super::AgentError> {
        match self {
            AgentParameters::Pricing(s) => Ok(s),
            _ => Err(super::AgentError::WrongParameters {
                agent: AgentName::Pricing,
            }),
        }
    }
}

/// Declares a typed call: the task variant it sends and the result variant it takes.
macro_rules! agent_call {
    ($(#[$doc:meta])* $name:ident => $agent:ident, $task:ident { $($field:ident : $ty:ty),* $(,)? }
        -> $out:ty, |$r:ident| $pat:pat => $value:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $(
                #[allow(missing_docs)]
                pub $field: $ty,
            )*
        }

        impl AgentCall for $name {
            type Output = $out;
            const AGENT: AgentName = AgentName::$agent;
            fn task(self) -> Task {
                Task::$task { $($field: self.$field),* }
            }
            fn output($r: AgentResult) -> Option<$out> {
                match $r {
                    $pat => Some($value),
                    _ => None,
                }
            }
        }
    };
}

agent_call!(
    /// Inventory weighs a second buy.
    ProposeReorderCall => Inventory, ProposeReorder { category: String, situation: ChaseSituation }
    -> Option<ReorderPlan>,
    |r| AgentResult::Reorder { plan } => plan
);

agent_call!(
    /// Demand forecasts the season and sizes the order.
    ForecastCall => Demand, Forecast { category: String, season_start_date: chrono::NaiveDate }
    -> (DemandForecast, ManufacturingOrder),
    |r| AgentResult::Forecast { forecast, order } => (forecast, order)
);

agent_call!(
    /// Demand re-sizes the order after a planner's modification.
    ReviseOrderCall => Demand, ReviseOrder {
        forecast_units: u64, safety_stock_pct: Option<f64>, manufacturing_qty: Option<u64>
    }
    -> ManufacturingOrder,
    |r| AgentResult::Order { order } => order
);

agent_call!(
    /// Demand re-forecasts the remaining weeks.
    ReforecastCall => Demand, Reforecast {
        after_week: u32, forecast_weekly: Vec<u64>, actual_weekly: Vec<u64>, lift_pct: f64
    }
    -> Vec<u64>,
    |r| AgentResult::Reforecast { remaining } => remaining
);

agent_call!(
    /// Inventory clusters the stores and splits the approved order.
    AllocateCall => Inventory, Allocate {
        forecast: Box<DemandForecast>, manufacturing_qty: u64, category: String
    }
    -> (Allocation, f64),
    |r| AgentResult::Allocation { allocation, unit_price } => (allocation, unit_price)
);

agent_call!(
    /// Inventory tops stores up from the DC.
    ReplenishCall => Inventory, Replenish {
        week: u32, weeks_left: u32, cover_weeks: u32, stores: Vec<StoreStock>, dc_available: u64
    }
    -> Vec<u64>,
    |r| AgentResult::Replenishment { units } => units
);

agent_call!(
    /// Pricing checks sell-through at the checkpoint.
    ProposeMarkdownCall => Pricing, ProposeMarkdown {
        week: u32, units_sold: u64, units_manufactured: u64
    }
    -> MarkdownProposal,
    |r| AgentResult::Markdown { proposal } => proposal
);

agent_call!(
    /// Pricing re-prices at the planner's depth.
    ReviseMarkdownCall => Pricing, ReviseMarkdown {
        week: u32, proposal: MarkdownProposal, markdown_pct: f64
    }
    -> MarkdownProposal,
    |r| AgentResult::Markdown { proposal } => proposal
);

agent_call!(
    /// Pricing chooses the depth that earns the most.
    ChooseMarkdownCall => Pricing, ChooseMarkdown { category: String, situation: MarkdownSituation }
    -> (MarkdownProposal, Box<MarginMarkdown>),
    |r| AgentResult::MarkdownChoice { proposal, choice } => (proposal, choice)
);

agent_call!(
    /// Inventory tops stores up by observed demand.
    ReplenishToDemandCall => Inventory, ReplenishToDemand {
        week: u32, signals: Vec<StoreSignal>, window: ReplenishmentWindow
    }
    -> Vec<u64>,
    |r| AgentResult::Replenishment { units } => units
);

agent_call!(
    /// Inventory weighs moving stock between stores.
    ProposeTransfersCall => Inventory, ProposeTransfers {
        category: String, week: u32, stores: Vec<StoreCover>, conditions: TransferWeek
    }
    -> TransferPlan,
    |r| AgentResult::Transfers { plan } => plan
);
