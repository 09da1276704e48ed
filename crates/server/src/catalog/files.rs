//! Data sets as files beside a SQLite database (`<db>.datasets/<id>/`): each
//! written to a temp dir renamed into place, made current by a pointer file (also
//! renamed into place), so a crash at any point leaves the old data set current.
//! One server owns the file, so what is current is kept in memory as well.

use super::{Parts, Shelf, valid_id};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::SystemTime;

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

/// The data sets in a directory.
pub(super) struct FileShelf {
    dir: PathBuf,
    current: RwLock<Option<String>>,
    /// Data set id by fingerprint.
    fingerprints: Mutex<HashMap<String, String>>,
}

fn io(context: &str, path: &Path, e: std::io::Error) -> String {
    format!("{context} {}: {e}", path.display())
}

impl FileShelf {
    /// Opens the directory (created if needed), restoring the current data set.
    pub(super) fn open(dir: PathBuf) -> Result<FileShelf, String> {
        fs::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
        let current = match fs::read_to_string(dir.join(CURRENT)) {
            Ok(id) if valid_id(id.trim()) && dir.join(id.trim()).join(MANIFEST).exists() => {
                Some(id.trim().to_string())
            }
            _ => None,
        };
        let shelf = FileShelf {
            dir,
            current: RwLock::new(current),
            fingerprints: Mutex::new(HashMap::new()),
        };
        let known: HashMap<String, String> = shelf
            .dataset_ids()
            .into_iter()
            .filter_map(|id| {
                let fingerprint = shelf.manifest(&id).ok()?.fingerprint?;
                Some((fingerprint, id))
            })
            .collect();
        *shelf
            .fingerprints
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = known;
        Ok(shelf)
    }

    fn manifest(&self, id: &str) -> Result<Manifest, String> {
        if !valid_id(id) {
            return Err(format!("invalid data set id '{id}'"));
        }
        let path = self.dir.join(id).join(MANIFEST);
        let text = fs::read_to_string(&path).map_err(|e| io("cannot read", &path, e))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
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

    fn write(
        &self,
        id: &str,
        fingerprint: &str,
        parts: &Parts,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let tmp = self.dir.join(format!(".tmp-{id}"));
        let write = || -> Result<(), String> {
            fs::create_dir_all(&tmp).map_err(|e| io("cannot create", &tmp, e))?;
            if let Some(s) = &parts.stores {
                write_synced(&tmp.join(STORES_FILE), s)?;
            }
            if let Some(h) = &parts.history {
                write_synced(&tmp.join(HISTORY_FILE), h)?;
            }
            let manifest = Manifest {
                dataset_id: id.to_string(),
                created_at: now.to_rfc3339(),
                stores: parts.stores.is_some(),
                history: parts.history.is_some(),
                fingerprint: Some(fingerprint.to_string()),
            };
            let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
            write_synced(&tmp.join(MANIFEST), text.as_bytes())?;
            // The manifest's time is the set's retention clock: the server's.
            mark(&tmp.join(MANIFEST), now)?;
            let dest = self.dir.join(id);
            fs::rename(&tmp, &dest).map_err(|e| io("cannot rename into", &dest, e))
        };
        write().inspect_err(|_| {
            let _ = fs::remove_dir_all(&tmp);
        })?;
        self.fingerprints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(fingerprint.to_string(), id.to_string());
        Ok(())
    }

    /// Moves the `current` pointer to `id` (written aside, then renamed: a crash
    /// leaves one pointer or the other). The data set it leaves is touched, so
    /// its retention age counts from when it stopped being current.
    fn make_current(&self, id: &str, now: DateTime<Utc>) -> Result<(), String> {
        let pointer_tmp = self.dir.join(format!(".{CURRENT}.tmp"));
        write_synced(&pointer_tmp, id.as_bytes())?;
        fs::rename(&pointer_tmp, self.dir.join(CURRENT))
            .map_err(|e| io("cannot move the pointer in", &self.dir, e))?;
        let previous = self
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(id.to_string());
        // The set that stops being current starts its retention now.
        if let Some(previous) = previous
            && previous != id
        {
            let _ = mark(&self.dir.join(&previous).join(MANIFEST), now);
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
}

impl Shelf for FileShelf {
    fn current(&self) -> Result<Option<String>, ApiError> {
        Ok(self
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    fn parts(&self, id: &str) -> Result<Parts, ApiError> {
        let m = self.manifest(id).map_err(ApiError::internal)?;
        let dir = self.dir.join(id);
        let read = |present: bool, name: &str| -> Result<Option<Vec<u8>>, String> {
            if !present {
                return Ok(None);
            }
            let path = dir.join(name);
            fs::read(&path)
                .map(Some)
                .map_err(|e| io("cannot read", &path, e))
        };
        Ok(Parts {
            stores: read(m.stores, STORES_FILE).map_err(ApiError::internal)?,
            history: read(m.history, HISTORY_FILE).map_err(ApiError::internal)?,
        })
    }

    fn keep_current(
        &self,
        new_id: &str,
        fingerprint: &str,
        parts: &Parts,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let id = match self.known(fingerprint) {
            // The same content again: the data set it already is becomes current.
            Some(id) => id,
            None => {
                self.write(new_id, fingerprint, parts, now)
                    .map_err(ApiError::internal)?;
                new_id.to_string()
            }
        };
        self.make_current(&id, now).map_err(ApiError::internal)?;
        Ok(id)
    }

    fn prune(
        &self,
        in_use: &HashSet<String>,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<String>, ApiError> {
        let current = self.current()?;
        let cutoff = SystemTime::from(cutoff);
        let mut removed = Vec::new();
        for id in self.dataset_ids() {
            if current.as_deref() == Some(id.as_str()) || in_use.contains(&id) {
                continue;
            }
            let since = fs::metadata(self.dir.join(&id).join(MANIFEST))
                .and_then(|m| m.modified())
                .ok();
            if since.is_some_and(|at| at <= cutoff)
                && fs::remove_dir_all(self.dir.join(&id)).is_ok()
            {
                removed.push(id);
            }
        }
        self.fingerprints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, id| !removed.contains(id));
        // Leftovers of uploads cut short.
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        Ok(removed)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = fs::File::create(path).map_err(|e| io("cannot create", path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io("cannot write", path, e))
}

/// Dates a data set's manifest at `at` (its modification time is when the set
/// was kept or stopped being current).
fn mark(manifest: &Path, at: DateTime<Utc>) -> Result<(), String> {
    fs::File::options()
        .append(true)
        .open(manifest)
        .and_then(|f| f.set_modified(SystemTime::from(at)))
        .map_err(|e| io("cannot date", manifest, e))
}
