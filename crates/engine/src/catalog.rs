//! Loading a workflow's data from its recorded source: the shipped sample or files.
//! Loaded data is cached per source, since a season reads it at every step.

use crate::agents::SeasonData;
use crate::event::DataSource;
use atelier_core::data::{DataError, read_sales, read_stores};
use atelier_core::sample;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Why a workflow's data could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A file's content is not valid (the error names file, line and field).
    #[error(transparent)]
    Invalid(#[from] DataError),
    /// The files changed since the workflow started.
    #[error(
        "the data files changed since the workflow started ({files}); a season reads the data it began with"
    )]
    Changed {
        /// The files, comma-separated.
        files: String,
    },
    /// An uploaded data set this catalog cannot reach (uploads live on a server).
    #[error("data set '{0}' is only available on the server")]
    ServerOnly(String),
    /// An uploaded data set that does not exist or cannot be read.
    #[error("data set '{dataset_id}' cannot be loaded: {reason}")]
    Dataset {
        /// The data set.
        dataset_id: String,
        /// Why.
        reason: String,
    },
}

/// Resolves a workflow's recorded data source to loaded data.
pub trait DataCatalog: Send + Sync {
    /// The data for `source`.
    fn load(&self, source: &DataSource) -> Result<Arc<SeasonData>, CatalogError>;
}

fn unreadable(path: impl Into<String>, e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Unreadable {
        path: path.into(),
        reason: e.to_string(),
    }
}

/// The sample and files on disk (uploads are the server's business).
#[derive(Default)]
pub struct FileCatalog {
    cache: Mutex<HashMap<String, Arc<SeasonData>>>,
}

/// Opens a file for streaming; `.gz` files are decompressed on the fly.
pub fn open_data_file(path: &Path) -> Result<Box<dyn Read>, CatalogError> {
    let file = File::open(path).map_err(|e| unreadable(path.display().to_string(), e))?;
    let reader = BufReader::new(file);
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(sample::GzipReader::new(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

/// FNV-1a over the bytes of the given files (as stored, before decompression), in
/// order: a cheap way to tell that a file changed.
pub fn fingerprint_files(
    stores: Option<&str>,
    history: Option<&str>,
) -> Result<String, CatalogError> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut buffer = vec![0u8; 64 * 1024];
    for path in [stores, history].into_iter().flatten() {
        let mut file = File::open(path).map_err(|e| unreadable(path, e))?;
        loop {
            let n = file.read(&mut buffer).map_err(|e| unreadable(path, e))?;
            if n == 0 {
                break;
            }
            for b in &buffer[..n] {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        // A separator so that moving bytes from one file to the other changes it.
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Ok(format!("{hash:016x}"))
}

impl FileCatalog {
    /// Loads without the cache.
    pub fn load_uncached(source: &DataSource) -> Result<SeasonData, CatalogError> {
        match source {
            DataSource::Sample => {
                let stores = sample::stores()?;
                let history = sample::history(&stores)?;
                Ok(SeasonData { stores, history })
            }
            DataSource::Files {
                stores,
                history,
                fingerprint,
            } => {
                if let Some(recorded) = fingerprint {
                    let now = fingerprint_files(stores.as_deref(), history.as_deref())?;
                    if &now != recorded {
                        return Err(CatalogError::Changed {
                            files: [stores.as_deref(), history.as_deref()]
                                .into_iter()
                                .flatten()
                                .collect::<Vec<_>>()
                                .join(", "),
                        });
                    }
                }
                let stores = match stores {
                    Some(p) => read_stores(open_data_file(Path::new(p))?, p)?,
                    None => sample::stores()?,
                };
                let history = match history {
                    Some(p) => read_sales(open_data_file(Path::new(p))?, p, &stores)?,
                    None => sample::history(&stores)?,
                };
                Ok(SeasonData { stores, history })
            }
            DataSource::Uploaded { dataset_id } => {
                Err(CatalogError::ServerOnly(dataset_id.clone()))
            }
        }
    }
}

impl DataCatalog for FileCatalog {
    fn load(&self, source: &DataSource) -> Result<Arc<SeasonData>, CatalogError> {
        // The source's own Debug form is a faithful key (no serialisation to fail).
        let key = format!("{source:?}");
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return Ok(hit.clone());
        }
        let data = Arc::new(Self::load_uncached(source)?);
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, data.clone());
        Ok(data)
    }
}
