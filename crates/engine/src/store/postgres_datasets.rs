//! Uploaded data sets in PostgreSQL, so that every server on the database plans
//! with the same ones (an upload through one server is current on all of them).
//! A data set is immutable and named by its content's fingerprint, so an
//! identical upload, through any server, finds the data set it already is.

use super::postgres::{PostgresStore, pg};
use super::{StoreError, StoreLock};
use chrono::{DateTime, Utc};

/// A data set's own files; `None` stands for the shipped sample's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetParts {
    /// The store attributes CSV, as uploaded.
    pub stores: Option<Vec<u8>>,
    /// The sales history CSV, as uploaded.
    pub history: Option<Vec<u8>>,
}

impl PostgresStore {
    /// The data set new workflows start with; `None` before any upload (the
    /// sample).
    pub fn current_dataset(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .client()?
            .query_opt("SELECT dataset_id FROM dataset_current", &[])
            .map_err(pg)?
            .map(|row| row.get(0)))
    }

    /// The files of data set `dataset_id`; `None` when no such data set is kept.
    pub fn dataset(&self, dataset_id: &str) -> Result<Option<DatasetParts>, StoreError> {
        Ok(self
            .client()?
            .query_opt(
                "SELECT stores, history FROM datasets WHERE dataset_id = $1",
                &[&dataset_id],
            )
            .map_err(pg)?
            .map(|row| DatasetParts {
                stores: row.get(0),
                history: row.get(1),
            }))
    }

    /// Takes the lock that makes uploads one at a time across servers (an upload
    /// validates against the current data set, which must not move meanwhile).
    pub fn lock_uploads(&self) -> Result<StoreLock, StoreError> {
        self.locks.lock("atelier dataset uploads".to_string())
    }

    /// Keeps `parts` as data set `new_id`, unless a data set with `fingerprint`
    /// (the same content) is kept already, and makes whichever it is current; in
    /// one transaction. `now` (the server's clock, not the database's) dates the
    /// new set and the retirement of the one it replaces. Returns the id that is
    /// now current.
    pub fn keep_current_dataset(
        &self,
        new_id: &str,
        fingerprint: &str,
        parts: &DatasetParts,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(pg)?;
        tx.execute(
            "INSERT INTO datasets (dataset_id, fingerprint, stores, history, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (fingerprint) DO NOTHING",
            &[&new_id, &fingerprint, &parts.stores, &parts.history, &now],
        )
        .map_err(pg)?;
        let id: String = tx
            .query_one(
                "SELECT dataset_id FROM datasets WHERE fingerprint = $1",
                &[&fingerprint],
            )
            .map_err(pg)?
            .get(0);
        // The data set that stops being current starts its retention now.
        tx.execute(
            "UPDATE datasets SET retired_at = $2
             WHERE dataset_id IN (SELECT dataset_id FROM dataset_current) AND dataset_id <> $1",
            &[&id, &now],
        )
        .map_err(pg)?;
        tx.execute(
            "UPDATE datasets SET retired_at = NULL WHERE dataset_id = $1",
            &[&id],
        )
        .map_err(pg)?;
        tx.execute(
            "INSERT INTO dataset_current (singleton, dataset_id) VALUES (true, $1)
             ON CONFLICT (singleton) DO UPDATE SET dataset_id = excluded.dataset_id",
            &[&id],
        )
        .map_err(pg)?;
        tx.commit().map_err(pg)?;
        Ok(id)
    }

    /// Removes the data sets that are not current, not in `in_use`, and have not
    /// been current since `cutoff` (the server's clock less the retention);
    /// returns their ids.
    pub fn prune_datasets(
        &self,
        in_use: &[String],
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let rows = self
            .client()?
            .query(
                "DELETE FROM datasets
                 WHERE dataset_id NOT IN (SELECT dataset_id FROM dataset_current)
                   AND NOT (dataset_id = ANY($1))
                   AND coalesce(retired_at, created_at) <= $2
                 RETURNING dataset_id",
                &[&in_use, &cutoff],
            )
            .map_err(pg)?;
        let mut removed: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
        removed.sort();
        Ok(removed)
    }
}
