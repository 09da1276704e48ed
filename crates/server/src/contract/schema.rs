//! OpenAPI schemas of the engine's and the core's types that responses carry
//! (they know nothing of OpenAPI): each mirrors the JSON its type serializes to,
//! with its closed sets as enums. A test reads whole seasons over HTTP and checks
//! every answer against the document (keys, required fields, enums), so a
//! mirror that drifts from its type fails there.

#![allow(dead_code)]

use utoipa::ToSchema;

/// Where a workflow is.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum WorkflowStateBody {
    /// Parameters set; nothing has run yet.
    ParametersExtracted,
    /// Demand is forecasting.
    #[schema(rename = "phase_1_forecasting")]
    Phase1Forecasting,
    /// The manufacturing order waits for a human.
    WaitingMfgApproval,
    /// Inventory is allocating.
    #[schema(rename = "phase_2_allocation")]
    Phase2Allocation,
    /// The season is running; the next week's actuals are awaited.
    #[schema(rename = "phase_3_monitoring")]
    Phase3Monitoring,
    /// Stores are being topped up.
    #[schema(rename = "phase_3_replenishment")]
    Phase3Replenishment,
    /// Pricing checks sell-through.
    #[schema(rename = "phase_4_markdown_check")]
    Phase4MarkdownCheck,
    /// A markdown waits for a human.
    WaitingMarkdownApproval,
    /// Demand re-forecasts the remaining weeks.
    #[schema(rename = "phase_5_reforecast")]
    Phase5Reforecast,
    /// Store-to-store transfers wait for a human.
    WaitingTransferApproval,
    /// A second buy (a reorder) waits for a human.
    WaitingReorderApproval,
    /// The season is over and reported.
    Completed,
    /// A step failed after its retries; `resume` retries it.
    Error,
}

/// How often the DC tops stores up.
#[derive(ToSchema)]
pub enum ReplenishmentStrategyBody {
    /// Never.
    #[schema(rename = "none")]
    None,
    /// Every week.
    #[schema(rename = "weekly")]
    Weekly,
    /// Every other week.
    #[schema(rename = "bi-weekly")]
    BiWeekly,
}

/// A specialist agent.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum AgentNameBody {
    /// Forecasts demand and sizes the order.
    Demand,
    /// Clusters stores, allocates, replenishes.
    Inventory,
    /// Proposes markdowns.
    Pricing,
}

/// A cluster of stores, by mean fashion tier.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ClusterNameBody {
    /// Highest mean fashion tier.
    FashionForward,
    /// Middle.
    Mainstream,
    /// Lowest.
    ValueConscious,
}

/// Which money decision an approval is about.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ApprovalKindBody {
    /// The manufacturing order.
    Manufacturing,
    /// A markdown.
    Markdown,
    /// A week's store-to-store transfers.
    Transfer,
    /// An in-season second buy.
    Reorder,
}

/// Whether actuals came in above or below the forecast.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum VarianceDirectionBody {
    /// Above.
    Over,
    /// Below.
    Under,
    /// Exactly on it.
    OnTarget,
}

/// The seven parameters, validated (the end date derived).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeasonParametersBody {
    /// Season length in weeks.
    #[schema(minimum = 1, maximum = 52)]
    forecast_horizon_weeks: u32,
    /// First day of week 1.
    #[schema(format = Date)]
    season_start_date: String,
    /// Last day of the season.
    #[schema(format = Date)]
    season_end_date: String,
    /// How often the DC tops stores up.
    replenishment_strategy: ReplenishmentStrategyBody,
    /// Share of the order held at the DC, 0..=1.
    dc_holdback_percentage: f64,
    /// Week of the sell-through check; null for no markdowns.
    markdown_checkpoint_week: Option<u32>,
    /// Target sell-through at the checkpoint.
    markdown_threshold: Option<f64>,
}

/// An interval for the season total.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotalIntervalBody {
    /// Nominal coverage (0.8 for 80%).
    level: f64,
    /// Lower bound, units.
    low: u64,
    /// Upper bound, units.
    high: u64,
}

/// A week as the views report it.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekRowBody {
    /// Season week.
    week: u32,
    /// Forecast in force when the week was played.
    forecast: u64,
    /// Units sold.
    actual: u64,
    /// Units demanded.
    demand: u64,
    /// Variance in percent (30.8 for 30.8%); null against a zero forecast.
    variance_pct: Option<f64>,
    /// Over, under or on target.
    direction: Option<VarianceDirectionBody>,
    /// Above the threshold.
    threshold_exceeded: bool,
    /// A re-forecast followed.
    reforecast: bool,
    /// Units sent from the DC after this week.
    replenished: u64,
    /// Stores that ran out.
    stockout_stores: u64,
}

/// The markdown taken at the checkpoint.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkdownRowBody {
    /// The checkpoint week.
    week: u32,
    /// Sell-through at the checkpoint.
    sell_through: f64,
    /// Target minus sell-through.
    gap: f64,
    /// Depth proposed or applied.
    markdown_pct: f64,
    /// Expected lift.
    expected_demand_lift_pct: f64,
    /// Whether it was applied.
    applied: bool,
}

/// An approval that is awaited.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PendingApprovalBody {
    /// The id to answer with (`POST .../approvals/{approval_id}`).
    approval_id: String,
    /// What is to be approved.
    kind: ApprovalKindBody,
    /// The proposal (the order, or the markdown and its figures).
    #[schema(value_type = Object)]
    data: serde_json::Value,
    /// The actions allowed.
    options: Vec<String>,
    /// When it expires; null for never.
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An approval once answered or expired, with who answered.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnsweredApprovalBody {
    /// The approval.
    approval_id: String,
    /// What was approved.
    kind: ApprovalKindBody,
    /// How a person answered (`action`, and `modifications` with `modify`); null
    /// when nobody answered in time.
    resolution: Option<crate::contract::request::ApprovalRequest>,
    /// What the expiry did, when nobody answered in time.
    expired: Option<crate::contract::request::ExpiryActionBody>,
    /// Who answered: the token's name and role (`ann (approver)`), or `cli` /
    /// `auto` from the command line; null when the approval expired.
    by: Option<String>,
}

/// The season report.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeasonReportBody {
    /// Mean absolute percentage error against weekly demand, a fraction.
    mape: f64,
    /// (forecast − demand) / demand over the season.
    bias: f64,
    /// Units sold.
    units_sold: u64,
    /// Units demanded but not sold for want of stock.
    lost_sales: u64,
    /// Units left in stores and at the DC.
    leftover_units: u64,
    /// Of which in stores.
    leftover_in_stores: u64,
    /// Of which at the DC.
    leftover_at_dc: u64,
    /// Sold / demanded.
    fill_rate: f64,
    /// Sold / manufactured.
    sell_through: f64,
    /// Revenue given up through markdowns.
    markdown_cost: f64,
    /// Suggestions for next season, in words.
    suggestions: Vec<String>,
    /// The currency of the money figures (ISO 4217); empty in reports written
    /// before seasons had economics.
    currency: String,
    /// Money taken at the tills.
    revenue: f64,
    /// Leftover units at their salvage value.
    leftover_value: f64,
    /// Units ordered × unit cost.
    cost_of_goods: f64,
    /// Store-to-store transfers' cost.
    transfer_cost: f64,
    /// revenue + leftover value − cost of goods − transfer costs.
    gross_margin: f64,
    /// The margin with an order equal to demand and no markdown (seasons played
    /// from demand).
    perfect_foresight_margin: Option<f64>,
    /// Gross margin ÷ perfect-foresight margin.
    margin_capture: Option<f64>,
    /// Units whose recorded sales exceeded the book stock.
    stock_adjustments: u64,
    /// Units bought in season (reorders), included in the units manufactured.
    units_reordered: u64,
    /// What the reorders cost, premium included.
    reorder_cost: f64,
}

/// Where a workflow's data come from: the shipped sample, files, or an upload.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSourceBody {
    /// `sample`, `files` or `uploaded`.
    #[schema(value_type = String, pattern = "^(sample|files|uploaded)$")]
    kind: String,
    /// With `uploaded`: the data set.
    dataset_id: Option<String>,
    /// With `files`: the store attributes file.
    stores: Option<String>,
    /// With `files`: the sales history file.
    history: Option<String>,
    /// With `files`: the files' fingerprint.
    fingerprint: Option<String>,
}

/// One cluster's part of the order.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterAllocationBody {
    /// The cluster.
    cluster_id: ClusterNameBody,
    /// Stores in it.
    stores: u64,
    /// Their ids.
    store_ids: Vec<String>,
    /// Its share of historical sales.
    share: f64,
    /// Units allocated to it.
    units: u64,
}

/// One store's part of the order.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreAllocationBody {
    /// The store.
    store_id: String,
    /// Its cluster.
    cluster_id: ClusterNameBody,
    /// Its share of the whole order.
    share: f64,
    /// Units it is meant to receive over the season.
    season_allocation: u64,
    /// Units shipped to it at launch.
    initial: u64,
}

/// The split of the order.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationBody {
    /// The order split.
    manufacturing_qty: u64,
    /// The holdback applied.
    dc_holdback_percentage: f64,
    /// Units shipped at launch.
    initial_shipped: u64,
    /// Units kept at the DC.
    dc_holdback: u64,
    /// Per cluster.
    clusters: Vec<ClusterAllocationBody>,
    /// Per store, in network order.
    stores: Vec<StoreAllocationBody>,
}

/// A store's stock position.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreStockBody {
    /// Units it is meant to receive over the season.
    season_allocation: u64,
    /// Units shipped to it so far.
    shipped_so_far: u64,
    /// Units on its shelves now.
    on_hand: u64,
}

/// A store and its attributes.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreAttributesBody {
    /// Store id.
    store_id: String,
    /// Average weekly units over the last 12 months.
    avg_weekly_sales_12mo: f64,
    /// Selling space.
    store_size_sqft: f64,
    /// Median household income of the catchment.
    median_income: f64,
    /// `A`, `B` or `C`.
    #[schema(value_type = String, pattern = "^(A|B|C)$")]
    location_tier: String,
    /// `Premium`, `Mainstream` or `Value`.
    #[schema(value_type = String, pattern = "^(Premium|Mainstream|Value)$")]
    fashion_tier: String,
    /// `Mall`, `Standalone`, `ShoppingCenter` or `Outlet`.
    #[schema(value_type = String, pattern = "^(Mall|Standalone|ShoppingCenter|Outlet)$")]
    store_format: String,
    /// `Northeast`, `Southeast`, `Midwest` or `West`.
    #[schema(value_type = String, pattern = "^(Northeast|Southeast|Midwest|West)$")]
    region: String,
    /// Visitors per week.
    foot_traffic: f64,
    /// Competing stores nearby.
    competitor_density: f64,
    /// Share of the catchment's spend that is online.
    online_penetration: f64,
    /// People per square mile.
    population_density: f64,
    /// Whether the store is in a mall.
    mall_location: bool,
}

/// One workflow in the list.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowSummaryBody {
    /// The workflow.
    workflow_id: String,
    /// Its category.
    category: String,
    /// Its state.
    state: WorkflowStateBody,
    /// Its last event number.
    last_seq: u64,
    /// When it was created.
    created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed.
    updated_at: chrono::DateTime<chrono::Utc>,
}

/// What kind of fact an event records.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum EventTypeBody {
    /// The workflow was created with its parameters.
    WorkflowCreated,
    /// A phase started.
    PhaseStarted,
    /// A phase was skipped, with why.
    PhaseSkipped,
    /// Work was handed to an agent.
    HandoffSent,
    /// An agent answered.
    AgentCompleted,
    /// An agent failed (and may be retried).
    AgentFailed,
    /// Demand's forecast.
    ForecastProduced,
    /// The order was revised.
    OrderRevised,
    /// A human's decision is awaited.
    ApprovalRequested,
    /// A human decided.
    ApprovalResolved,
    /// An approval expired.
    ApprovalExpired,
    /// The order was allocated.
    AllocationMade,
    /// A week's actuals were recorded.
    WeekRecorded,
    /// The week's variance was measured.
    VarianceMeasured,
    /// The remaining weeks were re-forecast.
    ReforecastApplied,
    /// Stores were topped up.
    ReplenishmentShipped,
    /// Stock moved between stores.
    TransfersShipped,
    /// A reorder was placed.
    ReorderPlaced,
    /// A proposed reorder was declined.
    ReorderDeclined,
    /// A reorder landed at the DC.
    ReorderArrived,
    /// An emergency reorder is advised.
    EmergencyReorderAlert,
    /// Pricing proposed a markdown.
    MarkdownProposed,
    /// A markdown was applied.
    MarkdownApplied,
    /// A decision was explained in words.
    ReasoningRecorded,
    /// A guardrail refused a model's words.
    GuardrailTriggered,
    /// The season ended.
    WorkflowCompleted,
    /// The workflow failed.
    WorkflowFailed,
    /// A failed workflow was resumed.
    WorkflowResumed,
}

/// An event: its `type` and the fields of that type.
#[derive(ToSchema)]
pub struct EventBody {
    /// What kind of fact it records.
    #[serde(rename = "type")]
    kind: EventTypeBody,
}

/// A stored event.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoredEventBody {
    /// The workflow.
    workflow_id: String,
    /// Its number in the workflow's log, from 1.
    seq: u64,
    /// When it was recorded.
    recorded_at: chrono::DateTime<chrono::Utc>,
    /// The event.
    event: EventBody,
}

/// Season demand as the order is valued under: a lognormal (ln D ~ N(mu, sigma²)).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandSpreadBody {
    /// The median, units.
    median_units: f64,
    /// The 10th percentile, units.
    p10_units: f64,
    /// The 90th percentile, units.
    p90_units: f64,
    /// Mean of ln D.
    mu: f64,
    /// Standard deviation of ln D.
    sigma: f64,
}

/// What an order of one size is expected to earn.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderValueBody {
    /// Units ordered.
    order_units: u64,
    /// Units × unit cost.
    cost: f64,
    /// Units expected to sell, E[min(D, Q)].
    expected_sold_units: f64,
    /// Units expected to be left, E[(Q − D)⁺].
    expected_leftover_units: f64,
    /// Expected sales at full price.
    expected_revenue: f64,
    /// Expected leftover at salvage value.
    expected_salvage: f64,
    /// expected revenue + expected salvage − cost.
    expected_margin: f64,
    /// The chance of selling out, P(D > Q).
    sell_out_probability: f64,
}

/// Why an order size is listed beside the proposal.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum AlternativeKindBody {
    /// The order on the table.
    Proposed,
    /// The season forecast, no safety stock.
    Forecast,
    /// The size with the highest expected margin.
    Best,
    /// The proposal scaled by 0.8, 0.9, 1.1 or 1.2.
    Scaled,
}

/// One order size beside the proposal, with its expected money.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderAlternativeBody {
    /// Why it is listed.
    kind: AlternativeKindBody,
    /// Units ordered.
    order_units: u64,
    /// Units × unit cost.
    cost: f64,
    /// Units expected to sell.
    expected_sold_units: f64,
    /// Units expected to be left.
    expected_leftover_units: f64,
    /// Expected sales at full price.
    expected_revenue: f64,
    /// Expected leftover at salvage value.
    expected_salvage: f64,
    /// expected revenue + expected salvage − cost.
    expected_margin: f64,
    /// The chance of selling out.
    sell_out_probability: f64,
}

/// The manufacturing order's money: cost, expected revenue and margin, and other
/// sizes beside it.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderValuationBody {
    /// ISO 4217 code of every money figure here.
    currency: String,
    /// Full price of a unit.
    unit_price: f64,
    /// Cost of a unit.
    unit_cost: f64,
    /// What a leftover unit fetches.
    salvage_value: f64,
    /// The season forecast, units.
    forecast_units: u64,
    /// The order, units.
    order_units: u64,
    /// The demand distribution it is valued under.
    demand: DemandSpreadBody,
    /// The order's expected money.
    proposed: OrderValueBody,
    /// Other sizes, smallest first.
    alternatives: Vec<OrderAlternativeBody>,
}

/// A knob a planner sets before a season (`atelier_core::tune::Knob`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum KnobBody {
    /// Safety stock on the order (under `margin`: the season-level spread the
    /// newsvendor order covers).
    SafetyStock,
    /// Share of the order held at the DC.
    Holdback,
    /// The markdown checkpoint week (null: no markdown).
    CheckpointWeek,
    /// The deepest markdown.
    MarkdownCap,
    /// The newsvendor order's centre: this season added to the seasons it is
    /// calibrated on (`tunables.prior_seasons`).
    OrderCentre,
}

/// A candidate's margin against the current setting's, on the same draws.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairedGainBody {
    /// Mean of (candidate − current) per draw, money.
    mean: f64,
    /// Lower end of the 90% interval of that mean.
    low: f64,
    /// Upper end.
    high: f64,
    /// Draws compared.
    draws: u64,
}

/// One value tried and what it earned. Open to fields the engine adds (the
/// engine's `Tried` is serialized as it is).
#[derive(ToSchema)]
pub struct TriedBody {
    /// The value: a fraction, a week, or null (no markdown checkpoint).
    #[schema(value_type = Option<f64>)]
    setting: Option<f64>,
    /// Its mean gross margin over the draws, money.
    margin_mean: f64,
    /// Its paired gain over the current setting.
    gain: PairedGainBody,
}

/// A knob's current value, the values tried, and the recommendation.
#[derive(ToSchema)]
pub struct KnobAdviceBody {
    /// The knob.
    knob: KnobBody,
    /// Its name in a parameter file (`tunables.season_level_sd`, ...).
    field: String,
    /// Its value this season: a fraction, a week, or null (no checkpoint).
    #[schema(value_type = Option<f64>)]
    current: Option<f64>,
    /// The values tried.
    tried: Vec<TriedBody>,
    /// The best value the tuning draws support, before the held-out check.
    best_in_sample: Option<TriedBody>,
    /// That value's paired gain on the held-out draws.
    held_out: Option<PairedGainBody>,
    /// The value recommended: supported on the tuning draws and on held-out
    /// ones; null keeps the current one.
    recommended: Option<TriedBody>,
}

/// The knobs recommended alone, played together on the held-out draws.
#[derive(ToSchema)]
pub struct TogetherBody {
    /// Each knob and its value, as `[knob, value]` pairs.
    #[schema(value_type = Vec<Vec<Object>>)]
    settings: Vec<Vec<serde_json::Value>>,
    /// Their joint paired gain over the current settings on the held-out draws.
    gain: PairedGainBody,
    /// Whether they gain together with confidence and at least as much as the best
    /// knob alone.
    supported: bool,
    /// The best knob alone, as `[knob, value]`.
    #[schema(value_type = Vec<Object>)]
    best_alone: Vec<serde_json::Value>,
}

/// What simulation says about next season's knobs (`atelier tune`'s answer,
/// the engine's `TuneReport` as it serializes). Its objects are left open:
/// fields the engine adds flow through without a change here.
#[derive(ToSchema)]
pub struct TuneReportBody {
    /// The season tuned.
    workflow_id: String,
    /// Its policy (kept for next season).
    policy: super::tunables::PolicyBody,
    /// Draws per setting.
    draws: u64,
    /// Their seed.
    seed: u64,
    /// The held-out draws' seed.
    held_out_seed: u64,
    /// The observed season's demand, units.
    observed_demand: u64,
    /// The same weeks without the markdown's lift, units (the draws' centre).
    demand_before_lift: u64,
    /// That demand ÷ the season's forecast (null without a forecast).
    season_ratio: Option<f64>,
    /// Mean gross margin of this season's settings over the draws, money.
    current_margin_mean: f64,
    /// ISO 4217 code of the money figures.
    currency: String,
    /// Each knob.
    knobs: Vec<KnobAdviceBody>,
    /// The recommended knobs together, when more than one is.
    together: Option<TogetherBody>,
}

/// One percentile of gross margin over the draws and its 90% interval (from the
/// order statistics of the draws).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PercentileBody {
    /// The estimate, money.
    value: f64,
    /// Lower end of its 90% interval.
    low: f64,
    /// Upper end.
    high: f64,
}

/// Gross margin over seasons drawn alike: p10, p50, p90 and the mean.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarginSpreadBody {
    /// One season in ten earns less.
    p10: PercentileBody,
    /// The median season.
    p50: PercentileBody,
    /// One season in ten earns more.
    p90: PercentileBody,
    /// The mean, money.
    mean: f64,
    /// Draws it is measured on.
    draws: u64,
}

/// The settings a what-if played.
#[derive(ToSchema)]
pub struct SettingsPlayedBody {
    /// The rules that decided.
    policy: super::tunables::PolicyBody,
    /// Safety stock as the policy reads it.
    safety_stock: f64,
    /// The tunable it sets: `tunables.safety_stock_pct` (a fraction of the
    /// forecast) or `tunables.season_level_sd` (the spread a newsvendor order
    /// covers).
    safety_stock_field: String,
    /// The first buy, units.
    order_units: u64,
    /// Whether the planner fixed the first buy.
    order_fixed: bool,
    /// Share of the order held at the DC at launch.
    holdback: f64,
    /// The markdown checkpoint week; null: no markdown.
    checkpoint_week: Option<u32>,
    /// The deepest markdown.
    markdown_cap: f64,
}

/// Settings and the gross margin they earned.
#[derive(ToSchema)]
pub struct OutcomeBody {
    /// The settings.
    settings: SettingsPlayedBody,
    /// Gross margin over the draws.
    margin: MarginSpreadBody,
}

/// A what-if's answer (the engine's `WhatIfReport` as it serializes): the
/// planner's settings and this season's, each with the spread of gross margin on
/// the same seasons drawn around this one, and the paired gain.
#[derive(ToSchema)]
pub struct WhatIfReportBody {
    /// The season the draws are centred on.
    workflow_id: String,
    /// Seasons drawn.
    draws: u64,
    /// Their seed.
    seed: u64,
    /// The demand the draws are centred on, units (the markdown's lift divided
    /// out).
    demand_centre: u64,
    /// ISO 4217 code of the money figures.
    currency: String,
    /// This season's settings.
    current: OutcomeBody,
    /// The planner's settings.
    planned: OutcomeBody,
    /// The planner's settings less this season's, per draw: mean and 90% interval.
    gain: PairedGainBody,
}

/// One week of one store.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreWeekBody {
    /// Season week.
    week: u32,
    /// Units sold.
    sold: u64,
    /// Units asked for (for recorded sales, the sales).
    demand: u64,
    /// The store's share of the week's forecast, as it stood when the week was
    /// played, units.
    forecast: f64,
    /// Whether it ran out.
    stockout: bool,
    /// The markdown in force while it sold, fraction.
    markdown_pct: f64,
    /// Units the DC sent it after the week.
    replenished: u64,
    /// Units other stores sent it after the week.
    transferred_in: u64,
    /// Units it sent to other stores after the week.
    transferred_out: u64,
    /// Units on hand once the week's sales and moves were done.
    on_hand: u64,
}

/// Which way stock moved between two stores.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum MoveDirectionBody {
    /// Received.
    In,
    /// Sent.
    Out,
}

/// A transfer between the store and another.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreMoveBody {
    /// After which week.
    week: u32,
    /// `in` or `out`.
    direction: MoveDirectionBody,
    /// The other store.
    other_store: String,
    /// Units moved.
    units: u64,
}

/// A store's season so far (the engine's `StoreSeason`).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreSeasonBody {
    /// The season.
    workflow_id: String,
    /// The store.
    store_id: String,
    /// Its cluster.
    cluster: ClusterNameBody,
    /// Its share of the network's season demand.
    share: f64,
    /// Units allocated at launch.
    planned_allocation: u64,
    /// Units it is meant to receive over the season now.
    season_allocation: u64,
    /// Units shipped at launch.
    initial_shipment: u64,
    /// Units shipped so far.
    shipped_so_far: u64,
    /// Units on hand now.
    on_hand: u64,
    /// The markdown in force now, fraction.
    markdown_pct: f64,
    /// The weeks played.
    weeks: Vec<StoreWeekBody>,
    /// Its transfers with other stores.
    transfers: Vec<StoreMoveBody>,
}
