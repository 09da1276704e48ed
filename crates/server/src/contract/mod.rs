//! The HTTP contract: the types requests are read into and responses are built
//! from. Each is what the OpenAPI document shows, so the document describes what
//! the server really reads and writes; the engine's and the core's types that
//! answers carry derive their schemas themselves (their `openapi` feature).
//!
//! - [`bounded`]: texts and numbers whose limits are part of their type;
//! - [`request`]: JSON bodies and query strings;
//! - [`workflow`]: the workflow document and the answers of workflow commands;
//! - [`views`]: the read views.

pub mod bounded;
pub mod request;
pub mod views;
pub mod workflow;
