//! The data the planner already has, read from its CSV formats into typed values:
//! store attributes, daily historical sales, and a week's actual sales. Every reader
//! streams its input row by row and names the file, line and field of any error.

mod actuals;
mod csv_rows;
mod sales;
mod stores;
mod weekly;

pub use actuals::{ActualSale, WeekActuals, read_actuals};
pub use sales::{CategorySales, SalesHistory, read_sales};
pub use stores::{
    FashionTier, LocationTier, Region, StoreAttributes, StoreFormat, StoreNetwork, read_stores,
};
pub use weekly::{WeeklySeries, monday_on_or_after};

/// A problem with an input file, always naming where it is so the planner can fix
/// the file rather than guess.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// The file has no header or no data rows.
    #[error("{file}: the file is empty (expected a header and at least one row)")]
    Empty {
        /// The file (or upload) name.
        file: String,
    },
    /// The header lacks a column or has one the format does not know.
    #[error("{file}: line 1: {reason}")]
    Header {
        /// The file name.
        file: String,
        /// What is wrong with the header.
        reason: String,
    },
    /// A value in a data row is missing, unparsable or out of range.
    #[error("{file}: line {line}, field '{field}': {reason}")]
    Field {
        /// The file name.
        file: String,
        /// 1-based line number in the file (the header is line 1).
        line: u64,
        /// Column name.
        field: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// A row does not have the header's number of columns, or the bytes are not UTF-8.
    #[error("{file}: line {line}: {reason}")]
    Row {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong with the row.
        reason: String,
    },
    /// The file could not be read at all.
    #[error("{file}: {reason}")]
    Unreadable {
        /// The file name.
        file: String,
        /// The underlying reason.
        reason: String,
    },
}
