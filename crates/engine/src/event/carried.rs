//! What events carry besides the workflow's state: approvals (their kinds, the
//! proposals put up, how they were answered or expired), a week's sales, the
//! reasons for a re-forecast, reasoning records, and transfer batches.

use super::*;

/// The money decisions a human approves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    /// The manufacturing order (phase 1).
    Manufacturing,
    /// A markdown (phase 4).
    Markdown,
    /// A week's store-to-store transfers above the approval size (`margin`).
    Transfer,
    /// An in-season second buy (`margin` with a chase).
    Reorder,
}

/// What happens when an approval's timeout expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExpiryAction {
    /// Accept the proposal as it stands.
    Accept,
    /// Move the workflow to error with a message.
    Fail,
}

/// A change a human asks for instead of accepting.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Modification {
    /// A new manufacturing quantity (manufacturing approvals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturing_qty: Option<u64>,
    /// A new safety stock fraction (manufacturing approvals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_stock_pct: Option<f64>,
    /// A new markdown depth fraction (markdown approvals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown_pct: Option<f64>,
    /// The most units to move (transfer approvals): the most urgent moves ship up
    /// to this total; 0 ships none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_units: Option<u64>,
    /// The units to reorder instead (reorder approvals); 0 declines the reorder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder_units: Option<u64>,
}

/// How an approval was resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Resolution {
    /// Accepted as proposed.
    Accept,
    /// Changed; the agent re-runs with the change and asks again.
    Modify {
        /// The change.
        modifications: Modification,
    },
}

/// Where a re-forecast came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReforecastReason {
    /// Weekly variance exceeded the threshold.
    Variance,
    /// A markdown was applied and its lift changes demand.
    Markdown,
    /// A planner asked for it.
    Manual,
}

/// Where an explanation's words came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningSource {
    /// Atelier's own templates.
    Offline,
    /// A configured LLM.
    Llm,
}

/// Words explaining a decision, with the LLM call's record when there was one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reasoning {
    /// The decision point, e.g. `phase_3_replenishment` or `manufacturing_order`.
    pub decision_point: String,
    /// The explanation.
    pub text: String,
    /// Template or LLM.
    pub source: ReasoningSource,
    /// The LLM's model, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The prompt sent, when an LLM was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Call latency, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Prompt tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<u64>,
    /// Completion tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<u64>,
    /// Why the LLM's words were not used, when they were not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
}

/// One week's sales as the stores saw them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekSales {
    /// Season week.
    pub week: u32,
    /// Fingerprint of the file's content, so a second recording can be told apart
    /// from a repeat.
    pub content_hash: String,
    /// Units demanded per store (after any markdown lift), network order.
    pub demand: Vec<u64>,
    /// Units sold per store.
    pub sold: Vec<u64>,
    /// Stores that ran out (demand above stock; for recorded sales, sold out).
    pub stockout_stores: Vec<String>,
    /// Stores whose recorded sales exceeded their book stock: the sales are kept and
    /// the stock is taken to zero (the book was wrong, not the till).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stock_adjusted_stores: Vec<String>,
}

/// What a planner is asked to approve, with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ApprovalProposal {
    /// The manufacturing order.
    Manufacturing {
        /// Units to make.
        manufacturing_qty: u64,
        /// Safety stock on top of the forecast, fraction.
        safety_stock_pct: f64,
        /// The season forecast, units.
        total_forecast: u64,
        /// The forecast's interval for the season total.
        interval: Option<TotalInterval>,
        /// Full price of a unit, when the season's economics are known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_price: Option<f64>,
        /// Cost of making a unit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_cost: Option<f64>,
        /// The currency of the money figures (ISO 4217).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        currency: Option<String>,
    },
    /// A markdown at the checkpoint.
    Markdown {
        /// The checkpoint week.
        week: u32,
        /// Pricing's proposal.
        proposal: MarkdownProposal,
        /// Sell-through to date (units sold ÷ units ordered).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sell_through: Option<f64>,
        /// The planner's target at the checkpoint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threshold: Option<f64>,
        /// What the plan itself expected by this week (forecast to date ÷ order).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan_sell_through: Option<f64>,
        /// Each depth considered with the margin it is expected to earn.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        depths: Vec<DepthConsidered>,
    },
    /// A week's store-to-store transfers, larger than a planner lets go unasked.
    Transfers {
        /// The moves and their totals.
        batch: TransferBatch,
        /// The size above which transfers are asked for, units.
        approval_units: u64,
        /// The currency of the money figures (ISO 4217).
        currency: String,
    },
    /// A second buy: units, cost, arrival week and the margin it should add.
    Reorder {
        /// Inventory's reorder.
        plan: ReorderPlan,
        /// The currency of the money figures (ISO 4217).
        currency: String,
    },
}

/// One store-to-store move: the stores by id, and Inventory's figures (store
/// positions, units, covers, expected sales, gain and cost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreTransfer {
    /// The store giving stock.
    pub from_store: String,
    /// The store receiving it.
    pub to_store: String,
    /// The move's figures.
    #[serde(flatten)]
    pub figures: Transfer,
}

/// A week's transfers as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferBatch {
    /// After which week.
    pub week: u32,
    /// The moves, most urgent receiver first.
    pub transfers: Vec<StoreTransfer>,
    /// Σ units.
    pub units: u64,
    /// Σ cost, money.
    pub cost: f64,
    /// Σ expected gain, money.
    pub expected_gain: f64,
}

impl TransferBatch {
    /// The batch cut to at most `max_units`, most urgent moves first (what ships
    /// when a planner approves only part of it).
    pub fn capped(&self, max_units: u64) -> TransferBatch {
        let plan = TransferPlan {
            transfers: self.transfers.iter().map(|t| t.figures).collect(),
            units: self.units,
            cost: self.cost,
            expected_gain: self.expected_gain,
            needs_approval: true,
        };
        let cut = plan.capped(max_units);
        TransferBatch {
            week: self.week,
            transfers: self
                .transfers
                .iter()
                .zip(cut.transfers)
                .map(|(t, figures)| StoreTransfer {
                    figures,
                    ..t.clone()
                })
                .collect(),
            units: cut.units,
            cost: cut.cost,
            expected_gain: cut.expected_gain,
        }
    }
}

/// A markdown depth the policy weighed, with the margin of the weeks left it expects.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepthConsidered {
    /// The depth, fraction.
    pub markdown_pct: f64,
    /// Expected margin of the remaining weeks at that depth, money.
    pub expected_margin: f64,
}

impl std::fmt::Display for ApprovalProposal {
    /// The proposal as compact JSON with sorted keys (what planners' scripts read).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match serde_json::to_value(self) {
            Ok(v) => write!(f, "{v}"),
            Err(_) => Err(std::fmt::Error),
        }
    }
}
