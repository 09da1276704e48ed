//! Atelier's domain core: what a season is (parameters), the data a planner has
//! (stores, sales history, weekly actuals), and the three agents' mathematics:
//!
//! - [`demand`]: the category forecast, safety stock and manufacturing order;
//! - [`inventory`]: store clustering, allocation, holdback and replenishment;
//! - [`pricing`]: sell-through and the markdown proposal;
//! - [`variance`]: the weekly forecast-versus-actual check;
//! - [`season`]: the end-of-season measures (MAPE, fill rate, leftovers, ...);
//! - [`economics`]: price, cost and salvage, the season's money and the units
//!   reconciliation;
//! - [`order_value`]: what a manufacturing order of any size is expected to earn
//!   under the order's lognormal demand (the money beside an order approval);
//! - [`policy`]: the `margin` policy's decisions (order, markdown, lift, replenishment,
//!   transfers);
//! - [`synthetic`]: seeded draws of whole seasons of store demand, for simulation;
//! - [`world`]: how the world a season is played in answers a markdown and when
//!   its supply falters (the demand source's, never a policy's).
//!
//! Architecture invariant: nothing here does I/O, reads the clock or draws an
//! unseeded random number. Readers take any `io::Read` they are handed.

pub mod data;
pub mod demand;
pub mod economics;
pub mod inventory;
pub mod order_value;
pub mod params;
pub mod plan;
pub mod policy;
pub mod pricing;
pub mod rng;
pub mod sample;
pub mod season;
pub mod split;
pub mod stock;
pub mod synthetic;
pub mod tune;
pub mod variance;
pub mod world;

pub use params::{Policy, ReplenishmentStrategy, SeasonConfig, SeasonParameters, Tunables};
