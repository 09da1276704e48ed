//! The command line's flags for a season: how approvals are answered, the
//! database, how weeks are played, and each command's own flags.

use super::*;

/// How approvals are answered during `run` and `resume`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApproveMode {
    /// Accept every proposal.
    Auto,
    /// Stop at each approval and exit 0, printing what is awaited.
    Manual,
    /// Ask on the terminal.
    Prompt,
}

/// The database flag every season command shares.
#[derive(Args)]
pub struct DbArgs {
    /// Event store (SQLite file). Default: $ATELIER_DB or ./atelier.db.
    #[arg(long)]
    pub(super) db: Option<PathBuf>,
}

impl DbArgs {
    /// The database: the flag, else $ATELIER_DB, else ./atelier.db.
    pub(crate) fn path(&self) -> PathBuf {
        self.db
            .clone()
            .or_else(|| std::env::var_os("ATELIER_DB").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("atelier.db"))
    }
}

/// How the season is played.
#[derive(Args)]
pub struct PlayArgs {
    /// Directory of actuals_week_NN.csv files (default: the workflow's recorded source).
    #[arg(long, conflicts_with = "scenario")]
    pub(super) actuals: Option<PathBuf>,
    /// A shipped scenario: normal_season, low_demand, underperform.
    #[arg(long)]
    pub(super) scenario: Option<String>,
    /// Stop after this week.
    #[arg(long)]
    pub(super) until_week: Option<u32>,
    /// Approvals: auto, manual (stop), prompt (ask). Default: prompt on a terminal, manual otherwise.
    #[arg(long, value_enum)]
    pub(super) approve: Option<ApproveMode>,
    /// Print one JSON object when the workflow completes or pauses.
    #[arg(long)]
    pub(super) json: bool,
}

/// Flags of `atelier run`.
#[derive(Args)]
pub struct RunArgs {
    /// Daily sales history CSV (default: the shipped sample).
    #[arg(long)]
    pub(super) history: Option<PathBuf>,
    /// Store attributes CSV (default: the shipped sample).
    #[arg(long)]
    pub(super) stores: Option<PathBuf>,
    /// Category to plan.
    #[arg(long, default_value = DEFAULT_CATEGORY)]
    pub(super) category: String,
    /// Season parameters JSON (default: the shipped Zara set).
    #[arg(long, conflicts_with = "describe")]
    pub(super) params: Option<PathBuf>,
    /// The policy that decides: seed, rule or margin (default: the parameter
    /// file's, else margin).
    #[arg(long, value_parser = crate::simulate::parse_policy)]
    pub policy: Option<atelier_core::Policy>,
    /// Centre the order on the completed seasons of the same category in --db as
    /// well (each one's demand before the markdown's lift ÷ its forecast, added to
    /// `tunables.prior_seasons` and recorded with the new season).
    #[arg(long)]
    pub(super) learn_from_store: bool,
    /// Describe the season in words instead of a parameter file.
    #[arg(long)]
    pub(super) describe: Option<String>,
    /// Date against which dates without a year in --describe are resolved (default: today).
    #[arg(long)]
    pub(super) today: Option<chrono::NaiveDate>,
    /// Directory of actuals_week_NN.csv files played as the week's DEMAND, as the
    /// shipped scenarios are (stores sell what they hold; a markdown's lift applies).
    /// `--actuals DIR` is recorded sales instead.
    #[arg(long, conflicts_with_all = ["actuals", "scenario"])]
    pub(super) demand: Option<PathBuf>,
    /// Workflow id (default: generated).
    #[arg(long)]
    pub(super) id: Option<String>,
    /// Approval timeout in seconds, at least 1 (none by default).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=atelier_engine::orchestrator::MAX_APPROVAL_TIMEOUT_SECS))]
    pub(super) approval_timeout: Option<u64>,
    /// What an expired approval does.
    #[arg(long, value_enum, default_value = "fail")]
    pub(super) on_expiry: Expiry,
    #[command(flatten)]
    pub(super) play: PlayArgs,
    #[command(flatten)]
    pub(super) db: DbArgs,
}

/// What an expired approval does.
#[derive(Clone, Copy, ValueEnum)]
pub enum Expiry {
    /// Accept as proposed.
    Accept,
    /// Stop the workflow with an error.
    Fail,
}

/// Flags of `atelier resume`.
#[derive(Args)]
pub struct ResumeArgs {
    /// The workflow.
    pub(super) id: String,
    #[command(flatten)]
    pub(super) play: PlayArgs,
    #[command(flatten)]
    pub(super) db: DbArgs,
}

/// Flags of `atelier approve`.
#[derive(Args)]
pub struct ApproveArgs {
    /// The workflow.
    pub(super) id: String,
    /// Accept the pending proposal.
    #[arg(long, conflicts_with = "modify", required_unless_present = "modify")]
    pub(super) accept: bool,
    /// Modify it: {"manufacturing_qty": N} or {"safety_stock_pct": F} (an order),
    /// {"markdown_pct": F} (a markdown) or {"transfer_units": N} (transfers: move at most N).
    #[arg(long)]
    pub(super) modify: Option<String>,
    /// The approval id (default: whichever is pending).
    #[arg(long)]
    pub(super) approval: Option<String>,
    /// Print the workflow as JSON.
    #[arg(long)]
    pub(super) json: bool,
    #[command(flatten)]
    pub(super) db: DbArgs,
}

/// Flags of `atelier status`.
#[derive(Args)]
pub struct StatusArgs {
    /// The workflow.
    pub(super) id: String,
    /// Print JSON.
    #[arg(long)]
    pub(super) json: bool,
    #[command(flatten)]
    pub(super) db: DbArgs,
}

/// Flags of `atelier reforecast`.
#[derive(Args)]
pub struct ReforecastArgs {
    /// The workflow.
    pub(super) id: String,
    /// Why, in words (recorded with the re-forecast).
    #[arg(long)]
    pub(super) reason: String,
    /// Print the workflow as JSON.
    #[arg(long)]
    pub(super) json: bool,
    #[command(flatten)]
    pub(super) db: DbArgs,
}

/// Flags of `atelier events`.
#[derive(Args)]
pub struct EventsArgs {
    /// The workflow.
    pub(super) id: String,
    /// Only events numbered above N.
    #[arg(long, default_value_t = 0)]
    pub(super) after: u64,
    #[command(flatten)]
    pub(super) db: DbArgs,
}
