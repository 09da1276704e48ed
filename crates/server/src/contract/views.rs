//! What the read views answer: a season's forecast, allocation, markdowns,
//! variance and report, the current data set's stores, clusters and categories,
//! the workflow list, health, and extracted parameters.

use atelier_core::data::StoreAttributes;
use atelier_core::demand::{ManufacturingOrder, TotalInterval};
use atelier_core::inventory::{Allocation, ClusterName, StoreStock};
use atelier_core::params::SeasonParameters;
use atelier_core::season::SeasonReport;
use atelier_engine::event::DataSource;
use atelier_engine::view::AnsweredApproval;
use atelier_engine::view::{MarkdownRow, WeekRow};
use atelier_llm::extract::{Confidence, Source};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

/// The demand forecast and the manufacturing order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastView {
    /// The workflow.
    pub workflow_id: String,
    /// Units over the season, as first forecast.
    pub total_season_demand: u64,
    /// Units per week as first forecast.
    pub weekly_initial: Vec<u64>,
    /// Units per week now (re-forecasts revise the weeks to come).
    pub weekly_current: Vec<u64>,
    /// Interval for the season total.
    pub interval: TotalInterval,
    /// The order proposed or approved.
    pub manufacturing: Option<ManufacturingOrder>,
    /// The category's units in the same season weeks a year earlier (52 weeks
    /// back), from the season's sales history; null for a week the history does
    /// not cover whole.
    pub last_year_weekly: Vec<Option<u64>>,
}

/// The allocation and the stock position now.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationView {
    /// The workflow.
    pub workflow_id: String,
    /// Clusters and stores with their shares and units.
    pub allocation: Allocation,
    /// Per store, in network order: allocation, shipped so far, on hand.
    pub stock: Vec<StoreStock>,
    /// Units at the DC now.
    pub dc_stock: u64,
}

/// The markdown checkpoint and what was proposed or applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkdownsView {
    /// The workflow.
    pub workflow_id: String,
    /// Week of the sell-through check; null for no markdowns.
    pub checkpoint_week: Option<u32>,
    /// Target sell-through at the checkpoint.
    pub threshold: Option<f64>,
    /// The markdown proposed or applied (empty before the checkpoint).
    pub markdowns: Vec<MarkdownRow>,
    /// Why the markdown check was skipped, if it was.
    pub skipped: Option<String>,
}

/// The weekly variance table.
#[derive(Debug, Serialize, ToSchema)]
pub struct VarianceView {
    /// The workflow.
    pub workflow_id: String,
    /// Variance above which the remaining weeks are re-forecast, a fraction
    /// (0.2), as the tunables write it.
    pub threshold_pct: f64,
    /// The same threshold in percent (20.0), the unit of the weeks' `variance_pct`.
    pub threshold_percent: f64,
    /// Weeks played.
    pub weeks: Vec<WeekRow>,
}

/// The season report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// The workflow.
    pub workflow_id: String,
    /// The season's measures and suggestions.
    pub report: SeasonReport,
    /// Weeks played.
    pub weeks: Vec<WeekRow>,
    /// The markdown, if one was proposed.
    pub markdown: Option<MarkdownRow>,
    /// Every approval answered or expired, in order, with who answered.
    pub approvals: Vec<AnsweredApproval>,
}

/// One store's page: its season so far and its attributes.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreView {
    /// Its plan, weeks, stock, transfers and markdown.
    pub season: atelier_engine::store_season::StoreSeason,
    /// Its attributes in the season's data set (null when the data set can no
    /// longer be loaded).
    pub attributes: Option<StoreAttributes>,
    /// The currency of the season's money figures.
    pub currency: String,
}

/// The current data set's stores.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoresView {
    /// The data set.
    pub dataset: DataSource,
    /// Every store with its attributes.
    pub stores: Vec<StoreAttributes>,
}

/// One cluster of stores.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreCluster {
    /// The cluster.
    pub cluster: ClusterName,
    /// Stores in it.
    pub store_count: usize,
    /// Their ids.
    pub stores: Vec<String>,
}

/// The stores clustered as Inventory clusters them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClustersView {
    /// The data set.
    pub dataset: DataSource,
    /// The k-means++ seed.
    pub seed: u64,
    /// Within-cluster sum of squares.
    pub inertia: f64,
    /// The clusters, fashion-forward first.
    pub clusters: Vec<StoreCluster>,
}

/// One category of the sales history.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategorySummary {
    /// Its name.
    pub name: String,
    /// Units sold in the history.
    pub units: u64,
    /// Revenue in the history.
    pub revenue: f64,
    /// Last day with sales.
    pub last_date: Option<NaiveDate>,
}

/// The categories of the current sales history.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoriesView {
    /// The data set.
    pub dataset: DataSource,
    /// Its categories.
    pub categories: Vec<CategorySummary>,
}

/// Liveness, and the database's reachability.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database cannot be reached.
    pub status: &'static str,
    /// The event store's database: `sqlite` or `postgresql`.
    pub database: &'static str,
    /// Why the database cannot be reached (with `unavailable` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The seven parameters read from a description (at the top level, as a
/// parameter file has them), with how they were read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtractedParameters {
    /// The seven, validated (the end date derived).
    #[serde(flatten)]
    pub parameters: SeasonParameters,
    /// `high`, `medium` or `low`.
    pub extraction_confidence: Confidence,
    /// Which phrase gave each field.
    pub extraction_reasoning: String,
    /// `llm` or `offline` (the rules; also when the model's answer was not usable).
    pub source: Source,
}

impl ExtractedParameters {
    /// The answer for validated `parameters` read as the other fields say.
    pub fn new(
        parameters: SeasonParameters,
        extraction_confidence: Confidence,
        extraction_reasoning: String,
        source: Source,
    ) -> ExtractedParameters {
        ExtractedParameters {
            parameters,
            extraction_confidence,
            extraction_reasoning,
            source,
        }
    }
}
