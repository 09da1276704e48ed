//! The season report from a folded workflow, and the fingerprint that tells a week's
//! file recorded again from one that changed.

use crate::view::WorkflowView;
use atelier_core::data::WeekActuals;
use atelier_core::season::{SeasonTotals, WeekOutcome, season_report};

/// The season report from the folded view.
pub fn report(view: &WorkflowView) -> atelier_core::season::SeasonReport {
    let weeks: Vec<WeekOutcome> = view
        .weeks
        .iter()
        .map(|w| WeekOutcome {
            forecast: w.forecast,
            demand: w.demand,
            sold: w.actual,
        })
        .collect();
    let markdown_cost = match &view.markdown {
        Some(m) if m.applied => view
            .weeks
            .iter()
            .filter(|w| w.week > m.week)
            .map(|w| {
                atelier_core::pricing::markdown_cost(w.actual, view.unit_price, m.markdown_pct)
            })
            .sum(),
        _ => 0.0,
    };
    season_report(
        &weeks,
        SeasonTotals {
            manufactured: view.allocation.as_ref().map_or(0, |a| a.manufacturing_qty),
            leftover_in_stores: view.stock.iter().map(|s| s.on_hand).sum(),
            leftover_at_dc: view.dc_stock,
            markdown_cost,
        },
    )
}

/// FNV-1a over the rows in a canonical order: the same week's file, however its rows
/// are ordered, hashes the same.
pub fn content_hash(actuals: &WeekActuals) -> String {
    let mut rows: Vec<String> = actuals
        .rows
        .iter()
        .map(|r| format!("{},{},{}", r.date, r.store_id, r.quantity_sold))
        .collect();
    rows.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for row in rows {
        for b in row.bytes().chain(std::iter::once(b'\n')) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}
