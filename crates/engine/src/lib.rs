//! Atelier's orchestrator. The season is a workflow whose append-only event log is
//! the source of truth:
//!
//! - [`state`]: the seed's workflow states and the transition table;
//! - [`event`]: what a log is made of;
//! - [`view`]: the fold of a log into the workflow's state (refusing illegal events);
//! - [`agents`]: Demand, Inventory and Pricing as handoff targets over the core;
//! - [`orchestrator`]: the steps, approvals, retries and the season loop;
//! - [`store`]: the event store trait and its SQLite implementation;
//! - [`reasoning`]: decisions in words (offline templates; an LLM plugs in here);
//! - [`simulate`]: seasons played in memory with the same steps, for `atelier simulate`;
//! - [`rule_tuning`]: the best fixed rule found on training draws (the baseline);
//! - [`report`]: the JSON views (status, run result) built from a folded workflow;
//! - [`clock`]: injectable time;
//! - [`assembly`]: the one way front ends open an orchestrator, and workflow ids.

pub mod agents;
pub mod assembly;
pub mod catalog;
pub mod clock;
pub mod event;
pub mod orchestrator;
pub mod play;
pub mod reasoning;
pub mod report;
pub mod rule_tuning;
pub mod simulate;
pub mod state;
pub mod store;
pub mod store_season;
pub mod tune;
pub mod view;
pub mod what_if;

pub use assembly::new_workflow_id;
pub use catalog::{CatalogError, DataCatalog};
pub use orchestrator::{
    EngineError, ErrorClass, NewWorkflow, NewWorkflowError, Orchestrator, RetryPolicy,
};
pub use state::WorkflowState;
pub use view::WorkflowView;
