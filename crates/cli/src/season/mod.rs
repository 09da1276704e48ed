//! `atelier run`, `approve`, `resume`, `status` and `events`: a season as a durable
//! workflow in the event store, driven from the command line.

use crate::inputs;
use crate::wording;
use anyhow::{Context, Result, bail};
use atelier_core::data::{WeekActuals, read_actuals};
use atelier_core::sample::{self, DEFAULT_CATEGORY, DEFAULT_SCENARIO};
use atelier_core::variance::VarianceDirection;
use atelier_engine::catalog::{FileCatalog, fingerprint_files, open_data_file};
use atelier_engine::clock::SystemClock;
use atelier_engine::event::{
    ActualsMeaning, ActualsSource, DataSource, ExpiryAction, Modification, Reasoning, Resolution,
};
use atelier_engine::play::{Approvals, play};
use atelier_engine::report::WorkflowDocument;
use atelier_engine::store::open_store;
use atelier_engine::{
    DataCatalog, NewWorkflow, Orchestrator, WorkflowState, WorkflowView, new_workflow_id,
};
use atelier_llm::LlmConfig;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod args;
mod summary;

pub use args::*;
use summary::summary;

/// `atelier reforecast`: a planner's re-forecast of the remaining weeks.
pub fn reforecast(args: &ReforecastArgs, llm: Option<LlmConfig>) -> Result<()> {
    let s = session(&args.db, llm.as_ref())?;
    let before = s.orchestrator.view(&args.id)?;
    let view = s.orchestrator.manual_reforecast(&args.id, &args.reason)?;
    let text = if args.json {
        serde_json::to_string_pretty(&WorkflowDocument::new(&view))?
    } else {
        format!(
            "{}\n{}",
            wording::reforecast_summary(&before, &view),
            summary(&view, "done")
        )
    };
    crate::print_stdout(&text)
}

/// An orchestrator over the chosen store, and the catalog it loads data with.
pub(crate) struct Session {
    pub(crate) orchestrator: Orchestrator,
    pub(crate) catalog: Arc<FileCatalog>,
}

fn session(db: &DbArgs, llm: Option<&LlmConfig>) -> Result<Session> {
    let path = db.path();
    // A path is a SQLite file; a postgres:// URL is a PostgreSQL database.
    let store = open_store(&path.to_string_lossy()).with_context(|| {
        format!(
            "cannot open the event store {}",
            atelier_engine::store::redact_url(&path.to_string_lossy())
        )
    })?;
    let catalog = Arc::new(FileCatalog::default());
    let orchestrator = Orchestrator::open(store, catalog.clone(), llm, Arc::new(SystemClock));
    Ok(Session {
        orchestrator,
        catalog,
    })
}

/// A session without a model (commands that explain nothing new).
pub(crate) fn offline_session(db: &DbArgs) -> Result<Session> {
    session(db, None)
}

/// Refuses, before anything is created, a folder of weekly files that does not
/// exist or holds no `actuals_week_NN.csv` file.
fn check_actuals_dir(dir: &Path) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("the actuals folder {} cannot be read", dir.display()))?;
    let weekly = entries.filter_map(|e| e.ok()).any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        name.starts_with("actuals_week_") && name.ends_with(".csv")
    });
    if !weekly {
        bail!(
            "the actuals folder {} has no actuals_week_NN.csv file; nothing was created",
            dir.display()
        );
    }
    Ok(())
}

/// Reads every week's file of an actuals folder and checks it as recording it
/// would (readable, known stores, every store on every day of its week), so a
/// bad file is found before the workflow is created, not when its week comes.
fn check_actuals_files(
    dir: &Path,
    parameters: &atelier_core::params::SeasonParameters,
    stores: &atelier_core::data::StoreNetwork,
) -> Result<()> {
    for week in 1..=parameters.forecast_horizon_weeks {
        let file = dir.join(format!("actuals_week_{week:02}.csv"));
        if !file.exists() {
            continue;
        }
        let reader = open_data_file(&file).map_err(anyhow::Error::msg)?;
        let actuals =
            read_actuals(reader, &file.display().to_string(), stores).with_context(|| {
                format!("week {week}'s actuals are not usable; nothing was created")
            })?;
        atelier_engine::orchestrator::steps::week::check_week_actuals(
            parameters, week, &actuals, stores,
        )
        .with_context(|| {
            format!(
                "{}: week {week}'s actuals are not usable; nothing was created",
                file.display()
            )
        })?;
    }
    Ok(())
}

fn absolute(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

/// `atelier run`.
pub fn run(
    args: &RunArgs,
    llm: Option<LlmConfig>,
    describe: impl Fn(&str, chrono::NaiveDate) -> Result<(atelier_core::SeasonConfig, Reasoning)>,
) -> Result<()> {
    let (config, extraction) = match &args.describe {
        Some(text) => {
            let today = args
                .today
                .unwrap_or_else(|| chrono::Local::now().date_naive());
            let (config, reasoning) = describe(text, today)?;
            (config, Some(reasoning))
        }
        None => (inputs::season_config(args.params.as_deref())?, None),
    };
    let mut config = config;
    if let Some(policy) = args.policy {
        config.tunables.policy = policy;
    }
    let data = data_source(args)?;
    let played_dir = args.demand.as_ref().or(args.play.actuals.as_ref());
    if let Some(dir) = played_dir {
        check_actuals_dir(dir)?;
    }
    // A demand folder's world (how its demand answers a markdown) is read and
    // checked before anything is recorded; recorded sales have none.
    let world = match &args.demand {
        Some(dir) => Some(inputs::world(dir)?),
        None => None,
    };
    let actuals_source = actuals_source(played_dir, args.play.scenario.as_deref())?;
    let s = session(&args.db, llm.as_ref())?;
    let loaded = s.catalog.load(&data)?;
    let id = args.id.clone().unwrap_or_else(new_workflow_id);
    // A shipped scenario's files are the week's demand and files from a
    // directory what the stores really sold (the engine's default), unless the
    // folder was given as --demand.
    let said = args.demand.is_some().then_some(ActualsMeaning::Demand);
    let mut request = NewWorkflow::new(
        id.clone(),
        &args.category,
        &loaded.history.category_names(),
        config,
        data,
    )?
    .played_from(Some(actuals_source), said)?
    .approvals(
        args.approval_timeout,
        Some(match args.on_expiry {
            Expiry::Accept => ExpiryAction::Accept,
            Expiry::Fail => ExpiryAction::Fail,
        }),
    )?
    .extracted(extraction)
    .in_world(world);
    if let Some(dir) = played_dir {
        check_actuals_files(dir, &request.config.parameters, &loaded.stores)?;
    }
    if args.learn_from_store {
        let learnt = learn_from_store(&s, &request.category)?;
        request.config.tunables.prior_seasons.extend(learnt);
    }
    let stranded =
        atelier_engine::orchestrator::steps::start::stranded_warning(&request.config.parameters);
    s.orchestrator.create(request)?;
    eprintln!("workflow {id}");
    if let Some(w) = stranded {
        eprintln!("{}", w.offline_text);
    }
    play_season(&s, &id, &args.play)
}

/// Where the season's stores and history come from: the shipped sample, or the
/// files given (fingerprinted, so a changed file is noticed later).
fn data_source(args: &RunArgs) -> Result<DataSource> {
    if args.history.is_none() && args.stores.is_none() {
        return Ok(DataSource::Sample);
    }
    let stores = args.stores.as_deref().map(absolute);
    let history = args.history.as_deref().map(absolute);
    let fingerprint =
        fingerprint_files(stores.as_deref(), history.as_deref()).map_err(anyhow::Error::msg)?;
    Ok(DataSource::Files {
        stores,
        history,
        fingerprint: Some(fingerprint),
    })
}

/// Where played weeks come from: a folder of files, or a shipped scenario (the
/// default one when none is named); an unknown scenario is refused naming the
/// shipped ones.
fn actuals_source(played_dir: Option<&PathBuf>, scenario: Option<&str>) -> Result<ActualsSource> {
    let source = match (played_dir, scenario) {
        (Some(dir), _) => ActualsSource::Directory {
            path: absolute(dir),
        },
        (None, Some(name)) => ActualsSource::Scenario {
            name: name.to_string(),
        },
        (None, None) => ActualsSource::Scenario {
            name: DEFAULT_SCENARIO.to_string(),
        },
    };
    // Checked before the store is opened, so a misspelt name leaves no file.
    if let ActualsSource::Scenario { name } = &source {
        atelier_engine::orchestrator::new_workflow::shipped_scenario(name)?;
    }
    Ok(source)
}

/// The actual ÷ forecast ratios of the category's completed seasons in the store
/// (`--learn-from-store`), said on stderr.
fn learn_from_store(s: &Session, category: &str) -> Result<Vec<f64>> {
    let learnt = atelier_engine::tune::completed_season_ratios(&s.orchestrator, category)?;
    eprintln!(
        "order centred on {} completed {category} season(s) in the store{}",
        learnt.len(),
        if learnt.is_empty() {
            String::new()
        } else {
            format!(
                " (actual ÷ forecast: {})",
                learnt
                    .iter()
                    .map(|r| format!("{:.0}%", r * 100.0))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    Ok(learnt)
}

/// `atelier resume`.
pub fn resume(args: &ResumeArgs, llm: Option<LlmConfig>) -> Result<()> {
    let s = session(&args.db, llm.as_ref())?;
    let view = s.orchestrator.view(&args.id)?;
    if view.state == WorkflowState::Completed && !args.play.json {
        // Files of recorded weeks are still checked: an edited one is refused.
        let feed = WeeklyFeed::open(&s, &view, &args.play)?;
        recheck_recorded_weeks(&s, &view, &feed)?;
        return crate::print_stdout(&format!(
            "workflow {} is already complete: nothing to resume.\n{}",
            args.id,
            summary(&view, "done")
        ));
    }
    s.orchestrator.resume(&args.id)?;
    play_season(&s, &args.id, &args.play)
}

/// Where a played season's weeks come from, opened once per command: a shipped
/// scenario is parsed once, a directory is read a file at a time.
enum WeeklyFeed {
    /// Nothing to play (uploads only).
    Nothing,
    /// A shipped scenario, parsed.
    Scenario(Vec<WeekActuals>),
    /// A directory of `actuals_week_NN.csv` files.
    Directory {
        path: PathBuf,
        data: Arc<atelier_engine::agents::SeasonData>,
    },
}

impl WeeklyFeed {
    fn open(s: &Session, view: &WorkflowView, play: &PlayArgs) -> Result<WeeklyFeed> {
        let source = match (&play.actuals, &play.scenario) {
            (Some(dir), _) => Some(ActualsSource::Directory {
                path: dir.display().to_string(),
            }),
            (None, Some(name)) => Some(ActualsSource::Scenario { name: name.clone() }),
            (None, None) => view.actuals_source.clone(),
        };
        let Some(source) = source else {
            return Ok(WeeklyFeed::Nothing);
        };
        let data = s.catalog.load(&view.data).map_err(anyhow::Error::msg)?;
        Ok(match source {
            ActualsSource::Scenario { name } => WeeklyFeed::Scenario(
                sample::scenario(&name, &data.stores)
                    .with_context(|| format!("unknown scenario '{name}'"))??,
            ),
            ActualsSource::Directory { path } => WeeklyFeed::Directory {
                path: PathBuf::from(path),
                data,
            },
        })
    }

    fn week(&self, week: u32) -> Result<Option<WeekActuals>> {
        match self {
            WeeklyFeed::Nothing => Ok(None),
            WeeklyFeed::Scenario(weeks) => Ok(weeks.get(week as usize - 1).cloned()),
            WeeklyFeed::Directory { path, data } => {
                let file = path.join(format!("actuals_week_{week:02}.csv"));
                if !file.exists() {
                    return Ok(None);
                }
                let reader = open_data_file(&file).map_err(anyhow::Error::msg)?;
                Ok(Some(read_actuals(
                    reader,
                    &file.display().to_string(),
                    &data.stores,
                )?))
            }
        }
    }
}

fn approve_mode(play: &PlayArgs) -> ApproveMode {
    play.approve.unwrap_or(if std::io::stdin().is_terminal() {
        ApproveMode::Prompt
    } else {
        ApproveMode::Manual
    })
}

/// With a directory of actuals, the files of weeks already recorded are read again:
/// an unchanged file is a no-op, a changed one is refused (a recorded week cannot be
/// rewritten), so an edited file never goes unnoticed.
fn recheck_recorded_weeks(s: &Session, view: &WorkflowView, feed: &WeeklyFeed) -> Result<()> {
    if !matches!(feed, WeeklyFeed::Directory { .. }) {
        return Ok(());
    }
    for week in 1..=view.weeks.len() as u32 {
        if let Some(actuals) = feed.week(week)? {
            s.orchestrator
                .record_week(&view.workflow_id, week, &actuals)
                .with_context(|| {
                    format!("actuals_week_{week:02}.csv changed after it was recorded")
                })?;
        }
    }
    Ok(())
}

fn play_season(s: &Session, id: &str, play_args: &PlayArgs) -> Result<()> {
    let mode = approve_mode(play_args);
    let o = &s.orchestrator;
    // `play` advances first; the feed needs only the source and the weeks played.
    let view = o.view(id)?;
    let feed = WeeklyFeed::open(s, &view, play_args)?;
    recheck_recorded_weeks(s, &view, &feed)?;
    let bar = ProgressBar::new(u64::from(view.horizon()));
    bar.set_style(
        ProgressStyle::with_template("{spinner} week {pos}/{len} {bar:30} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut ask = |view: &WorkflowView| -> Result<(Resolution, String)> {
        bar.suspend(|| Ok((prompt(view)?, "cli".to_string())))
    };
    let approvals = match mode {
        ApproveMode::Auto => Approvals::Accept("auto"),
        ApproveMode::Manual => Approvals::Wait,
        ApproveMode::Prompt => Approvals::Ask(&mut ask),
    };
    let (view, stopped) = play(
        o,
        id,
        |week| feed.week(week),
        approvals,
        play_args.until_week,
        |view| {
            bar.set_position(view.weeks.len() as u64);
            bar.set_message(view.state.as_str().to_string());
        },
    )?;
    let outcome = stopped.as_str();
    bar.finish_and_clear();
    let text = if play_args.json {
        serde_json::to_string_pretty(&WorkflowDocument::new(&view))?
    } else {
        summary(&view, outcome)
    };
    crate::print_stdout(&text)?;
    if view.state == WorkflowState::Error {
        bail!(
            "workflow {id} stopped with an error: {}; fix the cause and run `atelier resume {id}`",
            view.error.clone().unwrap_or_default()
        );
    }
    Ok(())
}

fn prompt(view: &WorkflowView) -> Result<Resolution> {
    use std::io::BufRead;
    let pending = view.pending_approval.clone().context("nothing pending")?;
    eprintln!(
        "Approval {}: {}",
        pending.approval_id,
        wording::approval_summary(&pending)
    );
    eprint!("accept [a] or modify with JSON (e.g. {{\"manufacturing_qty\": 9000}}): ");
    let mut line = String::new();
    // End of input is not consent: a money decision needs an explicit answer.
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        bail!(
            "no answer to approval {} (end of input); the workflow still waits",
            pending.approval_id
        );
    }
    let line = line.trim();
    if line.is_empty() {
        bail!(
            "no answer to approval {}: type a (accept) or a modification as JSON; the workflow still waits",
            pending.approval_id
        );
    }
    if line == "a" || line == "accept" {
        Ok(Resolution::Accept)
    } else {
        Ok(Resolution::Modify {
            modifications: parse_modification(line)?,
        })
    }
}

fn parse_modification(text: &str) -> Result<Modification> {
    serde_json::from_str(text).with_context(|| {
        format!("--modify must be JSON like {{\"manufacturing_qty\": 9000}}, {{\"safety_stock_pct\": 0.15}}, {{\"markdown_pct\": 0.1}} or {{\"transfer_units\": 500}}; got '{text}'")
    })
}

/// `atelier approve`.
pub fn approve(args: &ApproveArgs, llm: Option<LlmConfig>) -> Result<()> {
    let resolution = match &args.modify {
        Some(text) => Resolution::Modify {
            modifications: parse_modification(text)?,
        },
        None => Resolution::Accept,
    };
    let s = session(&args.db, llm.as_ref())?;
    let view = s
        .orchestrator
        .approve(&args.id, args.approval.as_deref(), resolution, "cli")?;
    let text = if args.json {
        serde_json::to_string_pretty(&WorkflowDocument::new(&view))?
    } else {
        summary(&view, "done")
    };
    crate::print_stdout(&text)
}

/// `atelier status`.
pub fn status(args: &StatusArgs) -> Result<()> {
    let s = offline_session(&args.db)?;
    let view = s.orchestrator.view(&args.id)?;
    let text = if args.json {
        serde_json::to_string_pretty(&WorkflowDocument::new(&view))?
    } else {
        summary(&view, "done")
    };
    crate::print_stdout(&text)
}

/// `atelier events`: one JSON object per line.
pub fn events(args: &EventsArgs) -> Result<()> {
    let s = offline_session(&args.db)?;
    let events = s.orchestrator.events(&args.id, args.after, None)?;
    let mut out = String::new();
    for e in events {
        out.push_str(&serde_json::to_string(&e)?);
        out.push('\n');
    }
    crate::print_stdout(out.trim_end())
}
