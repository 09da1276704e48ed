//! The server's data catalog: the shipped sample plus data sets uploaded over the
//! API. Each upload is validated in full, then kept as a new immutable data set
//! and made current; workflows record the data set they started with, so a later
//! upload never changes a running season. An upload identical to a kept data set
//! makes that one current again; data sets no workflow uses are removed after
//! their retention.
//!
//! Where data sets are kept (a [`Shelf`]): beside a SQLite database, as files
//! ([`files`]: one server owns the file, and the files are the planner's to
//! inspect); on PostgreSQL, in the database ([`database`]), so that every server
//! on it shares them.

mod database;
mod files;

use crate::error::ApiError;
use atelier_core::data::{SalesHistory, StoreNetwork, read_sales, read_stores};
use atelier_core::plan::check_history_covers;
use atelier_core::sample;
use atelier_engine::agents::SeasonData;
use atelier_engine::catalog::FileCatalog;
use atelier_engine::clock::Clock;
use atelier_engine::event::DataSource;
use atelier_engine::store::PostgresStore;
use atelier_engine::{CatalogError, DataCatalog};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use utoipa::ToSchema;

pub(crate) use atelier_engine::store::DatasetParts as Parts;

/// Where the data sets are kept.
pub(crate) trait Shelf: Send + Sync {
    /// The current data set's id; `None`: the sample.
    fn current(&self) -> Result<Option<String>, ApiError>;
    /// The files of data set `id`.
    fn parts(&self, id: &str) -> Result<Parts, ApiError>;
    /// Keeps `parts` as data set `new_id`, unless a data set with the same
    /// `fingerprint` is kept already, and makes whichever it is current; returns
    /// its id.
    /// `now` (the server's clock) dates the new set and the retirement of the
    /// one it replaces.
    fn keep_current(
        &self,
        new_id: &str,
        fingerprint: &str,
        parts: &Parts,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError>;
    /// Removes the data sets that are not current, not in `in_use`, and have not
    /// been current since `cutoff`; returns their ids.
    fn prune(
        &self,
        in_use: &HashSet<String>,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<String>, ApiError>;
    /// A lock that makes uploads one at a time across every server sharing the
    /// shelf, held until dropped (`None`: one server owns the shelf, and the
    /// catalog's own lock suffices).
    fn upload_lock(&self) -> Result<Option<Box<dyn Send>>, ApiError> {
        Ok(None)
    }
}

/// What an upload produced: the new current data set and what was found in it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatasetSummary {
    /// The new data set, now current for new workflows.
    pub dataset_id: String,
    /// Data rows in the uploaded file.
    pub rows: u64,
    /// Stores in the data set.
    pub stores: usize,
    /// Rows of sales history in the data set.
    pub history_rows: u64,
    /// First day of the sales history.
    pub first_date: Option<chrono::NaiveDate>,
    /// Last day of the sales history.
    pub last_date: Option<chrono::NaiveDate>,
    /// Categories found in the sales history.
    pub categories: Vec<String>,
}

/// The catalog the server's orchestrator reads from.
pub struct ServerCatalog {
    shelf: Box<dyn Shelf>,
    files: FileCatalog,
    /// Loaded data sets by id (they never change).
    cache: Mutex<HashMap<String, Arc<SeasonData>>>,
    uploads: Mutex<()>,
    /// Dates data sets and their retention (the orchestrator's clock, so tests
    /// move time instead of waiting).
    clock: Arc<dyn Clock>,
}

static IDS: AtomicU64 = AtomicU64::new(0);

/// A new data set's id: its time on the server's clock, and a counter.
fn new_dataset_id(now: DateTime<Utc>) -> String {
    let n = IDS.fetch_add(1, Ordering::Relaxed);
    format!(
        "ds_{}_{:04x}{n}",
        now.format("%Y%m%dT%H%M%S"),
        now.timestamp_subsec_micros() & 0xffff
    )
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl ServerCatalog {
    /// Opens the catalog on files in `dir` (created if needed), restoring the
    /// current data set.
    pub fn open(dir: PathBuf, clock: Arc<dyn Clock>) -> Result<ServerCatalog, String> {
        Ok(Self::on(Box::new(files::FileShelf::open(dir)?), clock))
    }

    /// The catalog on the PostgreSQL database of `store`, shared with every
    /// server on it.
    pub fn in_database(
        store: Arc<PostgresStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<ServerCatalog, String> {
        Ok(Self::on(Box::new(database::DatabaseShelf { store }), clock))
    }

    fn on(shelf: Box<dyn Shelf>, clock: Arc<dyn Clock>) -> ServerCatalog {
        ServerCatalog {
            shelf,
            files: FileCatalog::default(),
            cache: Mutex::new(HashMap::new()),
            uploads: Mutex::new(()),
            clock,
        }
    }

    /// The data set new workflows start with.
    pub fn current(&self) -> Result<DataSource, ApiError> {
        Ok(match self.shelf.current()? {
            Some(dataset_id) => DataSource::Uploaded { dataset_id },
            None => DataSource::Sample,
        })
    }

    /// The current data set and its stores and history.
    pub fn current_data(&self) -> Result<(DataSource, Arc<SeasonData>), ApiError> {
        let source = self.current()?;
        let data = self.loaded(&source)?;
        Ok((source, data))
    }

    /// The data of `source`, a failure to reach the database told apart (503).
    fn loaded(&self, source: &DataSource) -> Result<Arc<SeasonData>, ApiError> {
        match source {
            DataSource::Uploaded { dataset_id } => self.uploaded(dataset_id),
            other => self.files.load(other).map_err(ApiError::internal),
        }
    }

    fn uploaded(&self, id: &str) -> Result<Arc<SeasonData>, ApiError> {
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
        {
            return Ok(hit.clone());
        }
        let parts = self.shelf.parts(id)?;
        let data = Arc::new(parse(id, &parts).map_err(ApiError::internal)?);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_string(), data.clone());
        Ok(data)
    }

    /// The current data set's own files (none for the sample).
    fn current_parts(&self) -> Result<Parts, ApiError> {
        match self.shelf.current()? {
            Some(id) => self.shelf.parts(&id),
            None => Ok(Parts::default()),
        }
    }

    /// Validates a sales history CSV against the current stores, then makes it current.
    pub fn upload_sales(&self, csv: &[u8]) -> Result<DatasetSummary, ApiError> {
        let _guard = self.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        let _shared = self.shelf.upload_lock()?;
        let (_, base) = self.current_data()?;
        let history = read_sales(csv, "upload", &base.stores)?;
        // A history that cannot forecast the categories the current one offers
        // would make every new season of them unplannable once current.
        check_history_covers(&history, &base.history.category_names()).map_err(|e| {
            ApiError::BadRequest {
                message: format!("upload: {e}"),
                field: Some("category".into()),
                line: None,
                fields: Vec::new(),
            }
        })?;
        let rows = history.rows;
        let parts = Parts {
            stores: self.current_parts()?.stores,
            history: Some(csv.to_vec()),
        };
        let data = SeasonData {
            stores: base.stores.clone(),
            history,
        };
        self.commit(&parts, data, rows)
    }

    /// Validates a store attributes CSV, re-validates the current history against it
    /// (every history row must name a known store), then makes it current.
    pub fn upload_stores(&self, csv: &[u8]) -> Result<DatasetSummary, ApiError> {
        let _guard = self.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        let _shared = self.shelf.upload_lock()?;
        let stores = read_stores(csv, "upload")?;
        let rows = stores.len() as u64;
        let current_history = self.current_parts()?.history;
        let history = match &current_history {
            Some(bytes) => read_sales(bytes.as_slice(), "current sales history", &stores),
            None => sample::history(&stores),
        }
        .map_err(|e| {
            let mut err = ApiError::from(e);
            if let ApiError::BadRequest { message, .. } = &mut err {
                *message =
                    format!("the current sales history does not fit the new stores: {message}");
            }
            err
        })?;
        let parts = Parts {
            stores: Some(csv.to_vec()),
            history: current_history,
        };
        let data = SeasonData { stores, history };
        self.commit(&parts, data, rows)
    }

    /// Keeps the new data set (or finds the one with the same content) and makes
    /// it current.
    fn commit(
        &self,
        parts: &Parts,
        data: SeasonData,
        rows: u64,
    ) -> Result<DatasetSummary, ApiError> {
        let fingerprint = fingerprint(parts.stores.as_deref(), parts.history.as_deref());
        let now = self.clock.now();
        let id = self
            .shelf
            .keep_current(&new_dataset_id(now), &fingerprint, parts, now)?;
        let summary = summarise(&id, rows, &data.stores, &data.history);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(id)
            .or_insert_with(|| Arc::new(data));
        Ok(summary)
    }

    /// Removes the data sets no workflow uses (`in_use`) that are not current and
    /// have not been current for `older_than`, and returns their ids. Leftovers of
    /// uploads cut short are removed as well.
    pub fn prune(
        &self,
        in_use: &HashSet<String>,
        older_than: Duration,
    ) -> Result<Vec<String>, ApiError> {
        let _guard = self.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        // A retention longer than the clock can count back keeps everything.
        let Some(cutoff) = chrono::Duration::from_std(older_than)
            .ok()
            .and_then(|age| self.clock.now().checked_sub_signed(age))
        else {
            return Ok(Vec::new());
        };
        let removed = self.shelf.prune(in_use, cutoff)?;
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|id, _| !removed.contains(id));
        Ok(removed)
    }
}

/// A data set's files read as stores and history (the sample's where it has
/// none of its own).
fn parse(id: &str, parts: &Parts) -> Result<SeasonData, String> {
    let stores = match &parts.stores {
        Some(bytes) => read_stores(bytes.as_slice(), &format!("data set {id}: stores.csv"))
            .map_err(|e| e.to_string())?,
        None => sample::stores().map_err(|e| e.to_string())?,
    };
    let history = match &parts.history {
        Some(bytes) => read_sales(
            bytes.as_slice(),
            &format!("data set {id}: history.csv"),
            &stores,
        )
        .map_err(|e| e.to_string())?,
        None => sample::history(&stores).map_err(|e| e.to_string())?,
    };
    Ok(SeasonData { stores, history })
}

/// SHA-256 over what a data set holds, each part tagged and length-prefixed.
fn fingerprint(stores: Option<&[u8]>, history: Option<&[u8]>) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for (tag, part) in [("stores", stores), ("history", history)] {
        hash.update(tag.as_bytes());
        match part {
            Some(bytes) => {
                hash.update((bytes.len() as u64).to_le_bytes());
                hash.update(bytes);
            }
            None => hash.update(b":sample"),
        }
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn summarise(id: &str, rows: u64, stores: &StoreNetwork, history: &SalesHistory) -> DatasetSummary {
    DatasetSummary {
        dataset_id: id.to_string(),
        rows,
        stores: stores.len(),
        history_rows: history.rows,
        first_date: history.first_date,
        last_date: history.last_date,
        categories: history.category_names(),
    }
}

impl DataCatalog for ServerCatalog {
    fn load(&self, source: &DataSource) -> Result<Arc<SeasonData>, CatalogError> {
        let DataSource::Uploaded { dataset_id } = source else {
            return self.files.load(source);
        };
        self.uploaded(dataset_id)
            .map_err(|e| CatalogError::Dataset {
                dataset_id: dataset_id.clone(),
                reason: match e {
                    ApiError::Internal { cause, .. } | ApiError::Unavailable { cause } => cause,
                    other => other.to_string(),
                },
            })
    }
}
