//! The server's data catalog: the shipped sample plus data sets uploaded over the
//! API. Each upload is validated in full, then written as a new immutable data set
//! (`<db>.datasets/<id>/`, a temp dir renamed into place) and made current (a
//! pointer file, also renamed into place). Workflows record the data set they started with, so a later upload
//! never changes a running season.

use crate::error::ApiError;
use atelier_core::data::{SalesHistory, StoreNetwork, read_sales, read_stores};
use atelier_core::sample;
use atelier_engine::agents::SeasonData;
use atelier_engine::catalog::FileCatalog;
use atelier_engine::event::DataSource;
use atelier_engine::{CatalogError, DataCatalog};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use utoipa::ToSchema;

const MANIFEST: &str = "manifest.json";
const STORES_FILE: &str = "stores.csv";
const HISTORY_FILE: &str = "history.csv";
const CURRENT: &str = "current";

/// Which files a data set has of its own; the rest is the shipped sample.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    dataset_id: String,
    created_at: String,
    /// `stores.csv` is present (else the sample's stores).
    stores: bool,
    /// `history.csv` is present (else the sample's history).
    history: bool,
    /// SHA-256 of what the data set holds (its files, or "sample"): an
    /// identical upload reuses the data set. Absent in data sets written before.
    #[serde(default)]
    fingerprint: Option<String>,
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
    #[schema(value_type = Option<String>, format = Date)]
    pub first_date: Option<chrono::NaiveDate>,
    /// Last day of the sales history.
    #[schema(value_type = Option<String>, format = Date)]
    pub last_date: Option<chrono::NaiveDate>,
    /// Categories found in the sales history.
    pub categories: Vec<String>,
}

/// The catalog the server's orchestrator reads from.
pub struct ServerCatalog {
    dir: PathBuf,
    files: FileCatalog,
    cache: Mutex<HashMap<String, Arc<SeasonData>>>,
    current: RwLock<DataSource>,
    uploads: Mutex<()>,
    /// Data set id by fingerprint.
    fingerprints: Mutex<HashMap<String, String>>,
}

static IDS: AtomicU64 = AtomicU64::new(0);

fn new_dataset_id() -> String {
    let now = chrono::Utc::now();
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

fn io(context: &str, path: &Path, e: std::io::Error) -> String {
    format!("{context} {}: {e}", path.display())
}

impl ServerCatalog {
    /// Opens the catalog in `dir` (created if needed), restoring the current data set.
    pub fn open(dir: PathBuf) -> Result<ServerCatalog, String> {
        fs::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
        let pointer = dir.join(CURRENT);
        let current = match fs::read_to_string(&pointer) {
            Ok(id) if valid_id(id.trim()) && dir.join(id.trim()).join(MANIFEST).exists() => {
                DataSource::Uploaded {
                    dataset_id: id.trim().to_string(),
                }
            }
            _ => DataSource::Sample,
        };
        let catalog = ServerCatalog {
            dir,
            files: FileCatalog::default(),
            cache: Mutex::new(HashMap::new()),
            current: RwLock::new(current),
            uploads: Mutex::new(()),
            fingerprints: Mutex::new(HashMap::new()),
        };
        let known: HashMap<String, String> = catalog
            .dataset_ids()
            .into_iter()
            .filter_map(|id| {
                let fingerprint = catalog.manifest(&id).ok()?.fingerprint?;
                Some((fingerprint, id))
            })
            .collect();
        *catalog
            .fingerprints
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = known;
        Ok(catalog)
    }

    /// The data set new workflows start with.
    pub fn current(&self) -> DataSource {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The current data set's stores and history.
    pub fn current_data(&self) -> Result<Arc<SeasonData>, String> {
        self.load(&self.current()).map_err(|e| e.to_string())
    }

    fn manifest(&self, id: &str) -> Result<Manifest, String> {
        if !valid_id(id) {
            return Err(format!("invalid data set id '{id}'"));
        }
        let path = self.dir.join(id).join(MANIFEST);
        let text = fs::read_to_string(&path).map_err(|e| io("cannot read", &path, e))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn load_uploaded(&self, id: &str) -> Result<SeasonData, String> {
        let m = self.manifest(id)?;
        let dir = self.dir.join(id);
        let stores = if m.stores {
            let path = dir.join(STORES_FILE);
            let f = fs::File::open(&path).map_err(|e| io("cannot open", &path, e))?;
            read_stores(std::io::BufReader::new(f), &path.display().to_string())
                .map_err(|e| e.to_string())?
        } else {
            sample::stores().map_err(|e| e.to_string())?
        };
        let history = if m.history {
            let path = dir.join(HISTORY_FILE);
            let f = fs::File::open(&path).map_err(|e| io("cannot open", &path, e))?;
            read_sales(
                std::io::BufReader::new(f),
                &path.display().to_string(),
                &stores,
            )
            .map_err(|e| e.to_string())?
        } else {
            sample::history(&stores).map_err(|e| e.to_string())?
        };
        Ok(SeasonData { stores, history })
    }

    /// Validates a sales history CSV against the current stores, then makes it current.
    pub fn upload_sales(&self, csv: &[u8]) -> Result<DatasetSummary, ApiError> {
        let _guard = self.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        let base = self.current_data().map_err(ApiError::internal)?;
        let history = read_sales(csv, "upload", &base.stores)?;
        let rows = history.rows;
        let stores_file = self.stores_file_of_current()?;
        let data = SeasonData {
            stores: base.stores.clone(),
            history,
        };
        self.commit(
            stores_file.as_deref().map(Source::Copy),
            Some(Source::Bytes(csv)),
            data,
            rows,
        )
    }

    /// Validates a store attributes CSV, re-validates the current history against it
    /// (every history row must name a known store), then makes it current.
    pub fn upload_stores(&self, csv: &[u8]) -> Result<DatasetSummary, ApiError> {
        let _guard = self.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        let stores = read_stores(csv, "upload")?;
        let rows = stores.len() as u64;
        let history_file = self.history_file_of_current()?;
        let history = match &history_file {
            Some(path) => {
                let f = fs::File::open(path)
                    .map_err(|e| ApiError::internal(io("cannot open", path, e)))?;
                read_sales(std::io::BufReader::new(f), "current sales history", &stores)
            }
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
        let data = SeasonData { stores, history };
        self.commit(
            Some(Source::Bytes(csv)),
            history_file.as_deref().map(Source::Copy),
            data,
            rows,
        )
    }

    fn stores_file_of_current(&self) -> Result<Option<PathBuf>, ApiError> {
        match self.current() {
            DataSource::Uploaded { dataset_id } => {
                let m = self.manifest(&dataset_id).map_err(ApiError::internal)?;
                Ok(m.stores
                    .then(|| self.dir.join(&dataset_id).join(STORES_FILE)))
            }
            _ => Ok(None),
        }
    }

    fn history_file_of_current(&self) -> Result<Option<PathBuf>, ApiError> {
        match self.current() {
            DataSource::Uploaded { dataset_id } => {
                let m = self.manifest(&dataset_id).map_err(ApiError::internal)?;
                Ok(m.history
                    .then(|| self.dir.join(&dataset_id).join(HISTORY_FILE)))
            }
            _ => Ok(None),
        }
    }

    /// Writes the new data set to a temp dir, renames it into place, then moves the
    /// `current` pointer: a crash at any point leaves the old data set current.
    fn commit(
        &self,
        stores: Option<Source<'_>>,
        history: Option<Source<'_>>,
        data: SeasonData,
        rows: u64,
    ) -> Result<DatasetSummary, ApiError> {
        let stores = stores
            .map(Source::bytes)
            .transpose()
            .map_err(ApiError::internal)?;
        let history = history
            .map(Source::bytes)
            .transpose()
            .map_err(ApiError::internal)?;
        let fingerprint = fingerprint(stores.as_deref(), history.as_deref());
        if let Some(id) = self.known(&fingerprint) {
            // The same content again: the data set it already is becomes current.
            self.make_current(&id).map_err(ApiError::internal)?;
            return Ok(summarise(&id, rows, &data.stores, &data.history));
        }
        let id = new_dataset_id();
        let tmp = self.dir.join(format!(".tmp-{id}"));
        let write = || -> Result<(), String> {
            fs::create_dir_all(&tmp).map_err(|e| io("cannot create", &tmp, e))?;
            if let Some(s) = &stores {
                write_synced(&tmp.join(STORES_FILE), s)?;
            }
            if let Some(h) = &history {
                write_synced(&tmp.join(HISTORY_FILE), h)?;
            }
            let manifest = Manifest {
                dataset_id: id.clone(),
                created_at: chrono::Utc::now().to_rfc3339(),
                stores: stores.is_some(),
                history: history.is_some(),
                fingerprint: Some(fingerprint.clone()),
            };
            let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
            write_synced(&tmp.join(MANIFEST), text.as_bytes())?;
            let dest = self.dir.join(&id);
            fs::rename(&tmp, &dest).map_err(|e| io("cannot rename into", &dest, e))
        };
        if let Err(e) = write() {
            let _ = fs::remove_dir_all(&tmp);
            return Err(ApiError::internal(e));
        }
        let summary = summarise(&id, rows, &data.stores, &data.history);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.clone(), Arc::new(data));
        self.fingerprints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(fingerprint, id.clone());
        self.make_current(&id).map_err(ApiError::internal)?;
        Ok(summary)
    }

    /// The data set holding exactly this content, if one is kept.
    fn known(&self, fingerprint: &str) -> Option<String> {
        let id = self
            .fingerprints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(fingerprint)
            .cloned()?;
        self.dir.join(&id).join(MANIFEST).exists().then_some(id)
    }

    /// Moves the `current` pointer to `id` (written aside, then renamed: a crash
    /// leaves one pointer or the other). The data set it leaves is touched, so
    /// its retention age counts from when it stopped being current.
    fn make_current(&self, id: &str) -> Result<(), String> {
        let previous = self.current();
        let pointer_tmp = self.dir.join(format!(".{CURRENT}.tmp"));
        write_synced(&pointer_tmp, id.as_bytes())?;
        fs::rename(&pointer_tmp, self.dir.join(CURRENT))
            .map_err(|e| io("cannot move the pointer in", &self.dir, e))?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = DataSource::Uploaded {
            dataset_id: id.to_string(),
        };
        if let DataSource::Uploaded { dataset_id } = previous
            && dataset_id != id
            && let Ok(f) = fs::File::options()
                .append(true)
                .open(self.dir.join(&dataset_id).join(MANIFEST))
        {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
        Ok(())
    }

    /// The ids of the data sets kept.
    fn dataset_ids(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| valid_id(name) && self.dir.join(name).join(MANIFEST).exists())
            .collect()
    }

    /// Removes the data sets no workflow uses (`in_use`) that are not current and
    /// have not been current for `older_than`, and returns their ids. Leftovers of
    /// uploads cut short are removed as well.
    pub fn prune(&self, in_use: &HashSet<String>, older_than: Duration) -> Vec<String> {
        let _guard = self.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        let current = match self.current() {
            DataSource::Uploaded { dataset_id } => Some(dataset_id),
            _ => None,
        };
        let now = std::time::SystemTime::now();
        let mut removed = Vec::new();
        for id in self.dataset_ids() {
            if current.as_deref() == Some(id.as_str()) || in_use.contains(&id) {
                continue;
            }
            let age = fs::metadata(self.dir.join(&id).join(MANIFEST))
                .and_then(|m| m.modified())
                .ok()
                .and_then(|at| now.duration_since(at).ok());
            if age.is_some_and(|age| age >= older_than)
                && fs::remove_dir_all(self.dir.join(&id)).is_ok()
            {
                removed.push(id);
            }
        }
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|id, _| !removed.contains(id));
        self.fingerprints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, id| !removed.contains(id));
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with(".tmp-") {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        removed
    }
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

enum Source<'a> {
    Bytes(&'a [u8]),
    Copy(&'a Path),
}

impl Source<'_> {
    /// The bytes to write.
    fn bytes(self) -> Result<std::borrow::Cow<'static, [u8]>, String> {
        match self {
            Source::Bytes(b) => Ok(std::borrow::Cow::Owned(b.to_vec())),
            Source::Copy(from) => fs::read(from)
                .map(std::borrow::Cow::Owned)
                .map_err(|e| io("cannot read", from, e)),
        }
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = fs::File::create(path).map_err(|e| io("cannot create", path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io("cannot write", path, e))
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
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(dataset_id)
        {
            return Ok(hit.clone());
        }
        let data =
            Arc::new(
                self.load_uploaded(dataset_id)
                    .map_err(|reason| CatalogError::Dataset {
                        dataset_id: dataset_id.clone(),
                        reason,
                    })?,
            );
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(dataset_id.clone(), data.clone());
        Ok(data)
    }
}
