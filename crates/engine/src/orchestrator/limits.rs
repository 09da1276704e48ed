//! The engine's limits, each written once: the CLI and the server refer to these.

/// The longest approval timeout: a year. Longer is not a timeout, and would
/// overflow date arithmetic for absurd values.
pub const MAX_APPROVAL_TIMEOUT_SECS: u64 = 365 * 24 * 3600;

/// A planner's quantity may be up to this many times the forecast (or times 1,000
/// units for a tiny forecast): far beyond any sane order, far below any overflow.
pub const MAX_ORDER_MULTIPLE: u64 = 10;

/// The largest order (or reorder) a planner may ask for against a forecast of
/// `forecast_units`: [`MAX_ORDER_MULTIPLE`] times it, or times 1,000 units.
pub fn max_order_units(forecast_units: u64) -> u64 {
    forecast_units.max(1_000).saturating_mul(MAX_ORDER_MULTIPLE)
}

/// The longest free text a planner records in the log (a re-forecast's reason),
/// in characters: the server states the same bound in its schema.
pub const MAX_REASON_CHARS: usize = 2_000;

pub use crate::store::MAX_EVENT_BYTES;
