//! Atelier's domain core: what a season is (parameters), the data a planner has
//! (stores, sales history, weekly actuals), and the three agents' mathematics:
//!
//! - [`demand`]: the category forecast, safety stock and manufacturing order;
//! - [`inventory`]: store clustering, allocation, holdback and replenishment;
//! - [`pricing`]: sell-through and the markdown proposal;
//! - [`variance`]: the weekly forecast-versus-actual check;
//! - [`season`]: the end-of-season measures (MAPE, fill rate, leftovers, ...).
//!
//! Architecture invariant: nothing here does I/O, reads the clock or draws an
//! unseeded random number. Readers take any `io::Read` they are handed.

pub mod data;
pub mod demand;
pub mod inventory;
pub mod params;
pub mod plan;
pub mod pricing;
pub mod sample;
pub mod season;
pub mod split;
pub mod stock;
pub mod variance;

pub use params::{ReplenishmentStrategy, SeasonConfig, SeasonParameters, Tunables};
