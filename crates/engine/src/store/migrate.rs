//! Versioned schema migrations, and the one runner that applies them to either
//! store. Each migration has a version, a name, and its SQL for each database
//! (the same tables; column types in each one's own terms). A database records the
//! last version applied; the runner applies the ones after it, in order, in one
//! transaction under an exclusive lock, so two processes opening a new database at
//! once migrate it once.

use super::StoreError;

/// One schema change.
pub(crate) struct Migration {
    /// Its number: 1, 2, … without gaps.
    pub version: u32,
    /// What it does, in a few words (recorded by stores that keep a history).
    pub name: &'static str,
    /// The change on SQLite.
    pub sqlite: &'static str,
    /// The change on PostgreSQL.
    pub postgres: &'static str,
}

/// Every migration, in order. Never edit one that shipped: add the next.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "workflows and events",
        sqlite: "CREATE TABLE workflows (
            workflow_id TEXT PRIMARY KEY,
            category TEXT NOT NULL,
            state TEXT NOT NULL,
            last_seq INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE events (
            workflow_id TEXT NOT NULL REFERENCES workflows(workflow_id),
            seq INTEGER NOT NULL,
            recorded_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (workflow_id, seq)
        );",
        // `json`, not `jsonb`: the payload is kept byte for byte as written (jsonb
        // would reorder keys and reformat numbers), yet checked to be JSON.
        postgres: "CREATE TABLE workflows (
            workflow_id TEXT PRIMARY KEY,
            category TEXT NOT NULL,
            state TEXT NOT NULL,
            last_seq BIGINT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE events (
            workflow_id TEXT NOT NULL REFERENCES workflows(workflow_id),
            seq BIGINT NOT NULL,
            recorded_at TIMESTAMPTZ NOT NULL,
            kind TEXT NOT NULL,
            payload JSON NOT NULL,
            PRIMARY KEY (workflow_id, seq)
        );",
    },
    Migration {
        version: 2,
        name: "workflows by last change",
        sqlite: "CREATE INDEX workflows_by_update ON workflows(updated_at);",
        postgres: "CREATE INDEX workflows_by_update ON workflows(updated_at);",
    },
    // Uploaded data sets, shared by every server on the database. A data set is
    // immutable; `stores` or `history` NULL means the shipped sample's; one row
    // of `dataset_current` names the data set new workflows start with, and
    // `retired_at` when a data set stopped being current (its retention counts
    // from then). SQLite gets the tables too, so both schemas stay one, though a
    // server on SQLite keeps its uploads as files beside the database.
    Migration {
        version: 3,
        name: "uploaded data sets",
        sqlite: "CREATE TABLE datasets (
            dataset_id TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            retired_at TEXT,
            stores BLOB,
            history BLOB
        );
        CREATE TABLE dataset_current (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            dataset_id TEXT NOT NULL REFERENCES datasets(dataset_id)
        );",
        postgres: "CREATE TABLE datasets (
            dataset_id TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL UNIQUE,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            retired_at TIMESTAMPTZ,
            stores BYTEA,
            history BYTEA
        );
        CREATE TABLE dataset_current (
            singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
            dataset_id TEXT NOT NULL REFERENCES datasets(dataset_id)
        );",
    },
    // Idempotency keys (`Idempotency-Key` of the HTTP API): the request's
    // fingerprint and the answer it got, kept `KEY_RETENTION` (a day). An answer
    // NULL is a request still running, or one whose process died before it
    // answered (resolved by the next request with the key).
    Migration {
        version: 4,
        name: "idempotency keys",
        sqlite: "CREATE TABLE idempotency_keys (
            key_id TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            claimed_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            status INTEGER,
            content_type TEXT,
            body BLOB
        );
        CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys(expires_at);",
        postgres: "CREATE TABLE idempotency_keys (
            key_id TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            claimed_at TIMESTAMPTZ NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL,
            status INTEGER,
            content_type TEXT,
            body BYTEA
        );
        CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys(expires_at);",
    },
    // What the sweep needs without folding logs: each workflow's approval
    // deadline (a cache written by every append, like `state`; filled here from
    // the last approval request of each workflow waiting on one), the running
    // workflows by last change, and the decisions a committed step still owes
    // words for (deleted by the append that explains them). The backfill is the
    // one place SQLite's JSON functions are used (built into the bundled SQLite);
    // times are written at a fixed width so that text order is time order, and
    // rounded up (SQLite keeps milliseconds here), so that the sweep never wakes
    // before the engine sees a deadline as passed.
    Migration {
        version: 5,
        name: "approval deadlines and owed explanations",
        sqlite: "ALTER TABLE workflows ADD COLUMN expires_at TEXT;
        UPDATE workflows SET expires_at = (
            SELECT strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(e.payload, '$.expires_at'), '+0.001 seconds')
            FROM events e
            WHERE e.workflow_id = workflows.workflow_id AND e.kind = 'approval_requested'
            ORDER BY e.seq DESC LIMIT 1
        ) WHERE state IN ('waiting_mfg_approval', 'waiting_markdown_approval',
            'waiting_transfer_approval', 'waiting_reorder_approval');
        CREATE INDEX workflows_by_deadline ON workflows(expires_at) WHERE expires_at IS NOT NULL;
        CREATE INDEX workflows_by_state ON workflows(state, updated_at);
        CREATE TABLE explanations_owed (
            workflow_id TEXT NOT NULL REFERENCES workflows(workflow_id),
            seq INTEGER NOT NULL,
            owed_since TEXT NOT NULL,
            decisions TEXT NOT NULL,
            PRIMARY KEY (workflow_id, seq)
        );",
        postgres: "ALTER TABLE workflows ADD COLUMN expires_at TIMESTAMPTZ;
        UPDATE workflows SET expires_at = (
            SELECT (e.payload->>'expires_at')::timestamptz + interval '1 microsecond'
            FROM events e
            WHERE e.workflow_id = workflows.workflow_id AND e.kind = 'approval_requested'
            ORDER BY e.seq DESC LIMIT 1
        ) WHERE state IN ('waiting_mfg_approval', 'waiting_markdown_approval',
            'waiting_transfer_approval', 'waiting_reorder_approval');
        CREATE INDEX workflows_by_deadline ON workflows(expires_at) WHERE expires_at IS NOT NULL;
        CREATE INDEX workflows_by_state ON workflows(state, updated_at);
        CREATE TABLE explanations_owed (
            workflow_id TEXT NOT NULL REFERENCES workflows(workflow_id),
            seq BIGINT NOT NULL,
            owed_since TIMESTAMPTZ NOT NULL,
            decisions TEXT NOT NULL,
            PRIMARY KEY (workflow_id, seq)
        );",
    },
];

/// The newest schema version this build knows.
pub(crate) fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// What the runner needs from a database.
pub(crate) trait Schema {
    /// The version applied, read without taking the migration lock (a database
    /// without any table yet is at version 0).
    fn version(&mut self) -> Result<u32, StoreError>;
    /// Begins the migration transaction, holding the database's exclusive
    /// migration lock, and reads the version again under it.
    fn begin_locked(&mut self) -> Result<u32, StoreError>;
    /// Applies one migration inside that transaction and records its version.
    fn apply(&mut self, migration: &Migration) -> Result<(), StoreError>;
    /// Commits the migration transaction.
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Abandons it.
    fn rollback(&mut self);
}

/// Brings the database to [`latest`]; returns the version it was at. Refuses a
/// database migrated by a newer build, whose tables this build may misread.
pub(crate) fn migrate(schema: &mut dyn Schema) -> Result<u32, StoreError> {
    let known = latest();
    let found = schema.version()?;
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    if found == known {
        // Up to date: no lock taken, so opening never waits on a busy writer.
        return Ok(found);
    }
    let found = schema.begin_locked()?;
    if found > known {
        schema.rollback();
        return Err(StoreError::SchemaTooNew { found, known });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        if let Err(e) = schema.apply(migration) {
            schema.rollback();
            return Err(e);
        }
    }
    schema.commit()?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database that records what the runner did.
    #[derive(Default)]
    struct Recorder {
        version: u32,
        log: Vec<String>,
        fail_at: Option<u32>,
    }

    impl Schema for Recorder {
        fn version(&mut self) -> Result<u32, StoreError> {
            Ok(self.version)
        }
        fn begin_locked(&mut self) -> Result<u32, StoreError> {
            self.log.push("begin".into());
            Ok(self.version)
        }
        fn apply(&mut self, m: &Migration) -> Result<(), StoreError> {
            if self.fail_at == Some(m.version) {
                return Err(StoreError::Database(format!(
                    "migration {} failed",
                    m.version
                )));
            }
            self.log.push(format!("apply {}", m.version));
            Ok(())
        }
        fn commit(&mut self) -> Result<(), StoreError> {
            self.log.push("commit".into());
            Ok(())
        }
        fn rollback(&mut self) {
            self.log.push("rollback".into());
        }
    }

    #[test]
    fn versions_are_numbered_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
        }
    }

    #[test]
    fn a_new_database_gets_every_migration_in_one_transaction() {
        let mut db = Recorder::default();
        assert_eq!(migrate(&mut db).unwrap(), 0);
        let mut want = vec!["begin".to_string()];
        want.extend(MIGRATIONS.iter().map(|m| format!("apply {}", m.version)));
        want.push("commit".into());
        assert_eq!(db.log, want);
    }

    #[test]
    fn a_partly_migrated_database_gets_only_the_rest_and_an_up_to_date_one_nothing() {
        let mut db = Recorder {
            version: 1,
            ..Recorder::default()
        };
        migrate(&mut db).unwrap();
        let mut want = vec!["begin".to_string()];
        want.extend((2..=latest()).map(|v| format!("apply {v}")));
        want.push("commit".into());
        assert_eq!(db.log, want);
        let mut db = Recorder {
            version: latest(),
            ..Recorder::default()
        };
        migrate(&mut db).unwrap();
        assert!(db.log.is_empty(), "{:?}", db.log);
    }

    #[test]
    fn a_failed_migration_rolls_back_and_a_newer_schema_is_refused() {
        let mut db = Recorder {
            fail_at: Some(2),
            ..Recorder::default()
        };
        assert!(migrate(&mut db).is_err());
        assert_eq!(db.log, ["begin", "apply 1", "rollback"]);
        let mut db = Recorder {
            version: latest() + 1,
            ..Recorder::default()
        };
        assert!(matches!(
            migrate(&mut db),
            Err(StoreError::SchemaTooNew { found, known }) if found == latest() + 1 && known == latest()
        ));
    }
}
