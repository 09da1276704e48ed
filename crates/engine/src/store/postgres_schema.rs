//! Migrations on PostgreSQL: the applied versions in `atelier_schema_migrations`,
//! and a transaction-scoped advisory lock so that of several servers starting at
//! once one migrates and the others wait, then find the work done.

use super::StoreError;
use super::migrate::{Migration, Schema};
use super::postgres::pg;
use postgres::Client;

/// The migration runner's view of PostgreSQL: a table of applied versions, and a
/// transaction-scoped advisory lock that lets one process migrate at a time.
pub(super) struct PostgresSchema<'a>(pub(super) &'a mut Client);

/// The advisory lock's key: any constant that no other lock in the database uses.
const MIGRATION_LOCK: i64 = 0x4154_454c_4945_5231; // "ATELIER1"

impl PostgresSchema<'_> {
    fn applied(&mut self) -> Result<u32, StoreError> {
        let row = self
            .0
            .query_one(
                "SELECT coalesce(max(version), 0) FROM atelier_schema_migrations",
                &[],
            )
            .map_err(pg)?;
        Ok(u32::try_from(row.get::<_, i32>(0)).unwrap_or(0))
    }
}

impl Schema for PostgresSchema<'_> {
    fn version(&mut self) -> Result<u32, StoreError> {
        let row = self
            .0
            .query_one(
                "SELECT to_regclass('atelier_schema_migrations') IS NOT NULL",
                &[],
            )
            .map_err(pg)?;
        if row.get::<_, bool>(0) {
            self.applied()
        } else {
            Ok(0)
        }
    }

    fn begin_locked(&mut self) -> Result<u32, StoreError> {
        self.0.batch_execute("BEGIN").map_err(pg)?;
        let locked = self
            .0
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .and_then(|_| {
                self.0.batch_execute(
                    "CREATE TABLE IF NOT EXISTS atelier_schema_migrations (
                        version INTEGER PRIMARY KEY,
                        name TEXT NOT NULL,
                        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                    )",
                )
            });
        if let Err(e) = locked {
            self.rollback();
            return Err(pg(e));
        }
        self.applied()
    }

    fn apply(&mut self, migration: &Migration) -> Result<(), StoreError> {
        self.0.batch_execute(migration.postgres).map_err(pg)?;
        let version = i32::try_from(migration.version).unwrap_or(i32::MAX);
        self.0
            .execute(
                "INSERT INTO atelier_schema_migrations (version, name) VALUES ($1, $2)",
                &[&version, &migration.name],
            )
            .map(|_| ())
            .map_err(pg)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.0.batch_execute("COMMIT").map_err(pg)
    }

    fn rollback(&mut self) {
        let _ = self.0.batch_execute("ROLLBACK");
    }
}
