//! Data sets in PostgreSQL, shared by every server on the database: an upload
//! through one server is the current data set on all of them, and a season
//! started anywhere finds its data set from anywhere.

use super::{Parts, Shelf};
use crate::error::ApiError;
use atelier_engine::store::PostgresStore;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::Arc;

/// The data sets in the event store's PostgreSQL database.
pub(super) struct DatabaseShelf {
    pub(super) store: Arc<PostgresStore>,
}

impl Shelf for DatabaseShelf {
    fn current(&self) -> Result<Option<String>, ApiError> {
        Ok(self.store.current_dataset()?)
    }

    fn parts(&self, id: &str) -> Result<Parts, ApiError> {
        self.store
            .dataset(id)?
            .ok_or_else(|| ApiError::internal(format!("no data set '{id}' in the database")))
    }

    fn keep_current(
        &self,
        new_id: &str,
        fingerprint: &str,
        parts: &Parts,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        Ok(self
            .store
            .keep_current_dataset(new_id, fingerprint, parts, now)?)
    }

    fn prune(
        &self,
        in_use: &HashSet<String>,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<String>, ApiError> {
        let in_use: Vec<String> = in_use.iter().cloned().collect();
        Ok(self.store.prune_datasets(&in_use, cutoff)?)
    }

    fn upload_lock(&self) -> Result<Option<Box<dyn Send>>, ApiError> {
        Ok(Some(Box::new(self.store.lock_uploads()?)))
    }
}
