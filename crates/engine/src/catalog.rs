//! Loading a workflow's data from its recorded source: the shipped sample or files.
//! Loaded data is cached per source, since a season reads it at every step.

use crate::agents::SeasonData;
use crate::event::DataSource;
use crate::orchestrator::DataCatalog;
use atelier_core::data::{read_sales, read_stores};
use atelier_core::sample;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The sample and files on disk (uploads are the server's business).
#[derive(Default)]
pub struct FileCatalog {
    cache: Mutex<HashMap<String, Arc<SeasonData>>>,
}

/// Opens a file for streaming; `.gz` files are decompressed on the fly.
pub fn open_data_file(path: &Path) -> Result<Box<dyn Read>, String> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let reader = BufReader::new(file);
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(sample::GzipReader::new(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

impl FileCatalog {
    /// Loads without the cache.
    pub fn load_uncached(source: &DataSource) -> Result<SeasonData, String> {
        match source {
            DataSource::Sample => {
                let stores = sample::stores().map_err(|e| e.to_string())?;
                let history = sample::history(&stores).map_err(|e| e.to_string())?;
                Ok(SeasonData { stores, history })
            }
            DataSource::Files { stores, history } => {
                let stores = match stores {
                    Some(p) => {
                        read_stores(open_data_file(Path::new(p))?, p).map_err(|e| e.to_string())?
                    }
                    None => sample::stores().map_err(|e| e.to_string())?,
                };
                let history = match history {
                    Some(p) => read_sales(open_data_file(Path::new(p))?, p, &stores)
                        .map_err(|e| e.to_string())?,
                    None => sample::history(&stores).map_err(|e| e.to_string())?,
                };
                Ok(SeasonData { stores, history })
            }
            DataSource::Uploaded { dataset_id } => Err(format!(
                "data set '{dataset_id}' is only available on the server"
            )),
        }
    }
}

impl DataCatalog for FileCatalog {
    fn load(&self, source: &DataSource) -> Result<Arc<SeasonData>, String> {
        let key = serde_json::to_string(source).map_err(|e| e.to_string())?;
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
