//! The `margin` policy's decisions, each a pure function a season step calls; the
//! `seed` policy's rules stay where they were (`demand`, `inventory`, `pricing`).
//!
//! - [`order`]: the newsvendor manufacturing order and the honest error
//!   distribution of the season total it rests on;
//! - [`markdown`]: the checkpoint depth that maximises the remaining weeks'
//!   expected margin, under a price response with diminishing returns.
//!
//! `docs/policies.md` explains each rule, its formula and its tunables.

pub mod markdown;
pub mod order;
