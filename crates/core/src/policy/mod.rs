//! The `margin` policy's decisions, each a pure function a season step calls; the
//! `seed` policy's rules stay where they were (`demand`, `inventory`, `pricing`).
//!
//! - [`order`]: the newsvendor manufacturing order and the honest error
//!   distribution of the season total it rests on;
//! - [`markdown`]: the checkpoint depth that maximises the remaining weeks'
//!   expected margin, under a price response with diminishing returns;
//! - [`lift`]: the markdown's real lift learnt from the weeks after it, and the
//!   observed weeks put on the baseline's footing with it;
//! - [`replenish`]: DC stock shared by observed sell rates and the re-forecast;
//! - [`transfers`]: store-to-store moves when the DC is empty, when they pay;
//! - [`holdback`]: the stock a holdback strands when nothing leaves the DC;
//! - [`chase`]: the first buy and an in-season reorder decided together;
//! - [`rules`]: which variant of each decision a policy makes, chosen once.
//!
//! `docs/policies.md` explains each rule, its formula and its tunables.

pub mod chase;
pub mod holdback;
pub mod lift;
pub mod markdown;
pub mod order;
pub mod replenish;
pub mod rules;
pub mod transfers;
