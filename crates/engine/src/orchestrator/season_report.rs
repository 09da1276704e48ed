//! The season report from a folded workflow, and the fingerprint that tells a week's
//! file recorded again from one that changed.

use crate::event::ActualsMeaning;
use crate::view::WorkflowView;
use atelier_core::data::WeekActuals;
use atelier_core::economics::{Economics, SeasonUnits, SoldAt, season_money};
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
    let manufactured = view.units_ordered();
    let leftover_in_stores: u64 = view.stock.iter().map(|s| s.on_hand).sum();
    let mut report = season_report(
        &weeks,
        SeasonTotals {
            manufactured,
            leftover_in_stores,
            leftover_at_dc: view.dc_stock,
            markdown_cost,
        },
    );
    report.stock_adjustments = view.stock_adjustments;
    report.units_reordered = view.reorders.iter().map(|r| r.units).sum();
    report.reorder_cost = view.reorders.iter().map(|r| r.cost).sum();
    if view.rules().advice == atelier_core::policy::rules::AdviceRule::Tune {
        // The seed's rules of thumb (raise safety stock below 95% fill rate, lower
        // it above 15% leftover) are not what simulation supports; `atelier tune`
        // tries each setting on demand like this season's and says what pays.
        report.suggestions = vec![
            "For next season's safety stock, holdback, checkpoint week and markdown cap, run `atelier tune` on this season: it simulates each on demand like this season's and recommends only what earns more with confidence.".into(),
        ];
    }
    match Economics::new(&view.tunables, view.unit_price, 1) {
        Ok(economics) => report.with_money(season_money(&economics, &season_units(view))),
        // A season without a price (an empty history) reports units only.
        Err(_) => report,
    }
}

/// The season's units as its money is counted: each week's sales at the markdown in
/// force, the leftover, the transfers, and the demand when it was played.
fn season_units(view: &WorkflowView) -> SeasonUnits {
    let markdown = view.markdown.as_ref().filter(|m| m.applied);
    let depth_in = |week: u32| {
        markdown
            .filter(|m| week > m.week)
            .map_or(0.0, |m| m.markdown_pct)
    };
    // The lift the world gave the weeks after the markdown (the policy's own
    // assumption in logs written before worlds).
    let lift_in = |week: u32| {
        markdown.filter(|m| week > m.week).map_or(0.0, |m| {
            view.world
                .as_ref()
                .map_or(view.lift_pct, |w| w.lift_at(m.markdown_pct))
        })
    };
    let demand = (view.actuals_meaning == ActualsMeaning::Demand).then(|| {
        view.weeks
            .iter()
            .map(|w| (w.demand as f64 / (1.0 + lift_in(w.week))).round() as u64)
            .sum()
    });
    SeasonUnits {
        ordered: view.units_ordered(),
        sold: view
            .weeks
            .iter()
            .map(|w| SoldAt {
                units: w.actual,
                markdown_pct: depth_in(w.week),
            })
            .collect(),
        leftover: view.stock.iter().map(|s| s.on_hand).sum::<u64>() + view.dc_stock,
        transferred: view.transferred_units,
        demand,
        reorder_premium: reorder_premium(view),
    }
}

/// Σ reorder units × (their unit cost − the first buy's).
fn reorder_premium(view: &WorkflowView) -> f64 {
    match Economics::new(&view.tunables, view.unit_price, 1) {
        Ok(e) => view
            .reorders
            .iter()
            .map(|r| r.units as f64 * (r.unit_cost - e.unit_cost))
            .sum(),
        Err(_) => 0.0,
    }
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
