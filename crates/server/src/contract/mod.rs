//! The HTTP contract: the types requests are read into and responses are built
//! from. Each is what the OpenAPI document shows, so the document describes what
//! the server really reads and writes.
//!
//! - [`bounded`]: texts and numbers whose limits are part of their type;
//! - [`request`]: JSON bodies and query strings;
//! - [`workflow`]: the workflow document and the answers of workflow commands;
//! - [`views`]: the read views;
//! - [`schema`]: the OpenAPI schemas of engine and core types that responses carry;
//! - [`tunables`]: the schema of every tunable a body may set.

pub mod bounded;
pub mod request;
pub mod schema;
pub mod tunables;
pub mod views;
pub mod workflow;
