//! The text a season command prints: the workflow's state, its order and
//! allocation, the weeks played, the markdown and the report, in a planner's words.

use super::*;

/// The season in a few lines of text, after `outcome` (`no_actuals`, `paused` or done).
pub(super) fn summary(view: &WorkflowView, outcome: &str) -> String {
    let mut out = format!(
        "workflow {} | {} | state {}\n",
        view.workflow_id,
        view.category,
        view.state.as_str()
    );
    if let Some(o) = &view.order {
        out.push_str(&format!(
            "manufacturing order {} (forecast {} + {:.0}% safety stock)\n",
            o.manufacturing_qty,
            o.forecast_units,
            o.safety_stock_pct * 100.0
        ));
    }
    if let Some(a) = &view.allocation {
        out.push_str(&format!(
            "launch: {} shipped, {} held at the DC\n",
            a.initial_shipped, a.dc_holdback
        ));
    }
    for (phase, reason) in &view.phases_skipped {
        out.push_str(&format!("skipped {phase}: {reason}\n"));
    }
    weeks(view, &mut out);
    markdown(view, &mut out);
    if let Some(p) = &view.pending_approval {
        out.push_str(&format!(
            "waiting for approval {}: {}\n  approve with: atelier approve {} --accept   (or --modify JSON), then atelier resume {}\n",
            p.approval_id,
            wording::approval_summary(p),
            view.workflow_id,
            view.workflow_id
        ));
    }
    match outcome {
        "no_actuals" => out.push_str(&format!("waiting for week {} actuals\n", view.next_week())),
        "paused" => out.push_str(&format!("paused before week {}\n", view.next_week())),
        _ => {}
    }
    if let Some(r) = &view.report {
        report(r, &mut out);
    }
    if let Some(e) = &view.error {
        out.push_str(&format!("error: {e}\n"));
    }
    if view.emergency_alerts > 0 {
        out.push_str(&format!(
            "emergency-reorder alerts: {} (see `atelier events {}`)\n",
            view.emergency_alerts, view.workflow_id
        ));
    }
    out.truncate(out.trim_end().len());
    out
}

/// The weeks played, one row each.
fn weeks(view: &WorkflowView, out: &mut String) {
    if !view.weeks.is_empty() {
        out.push_str("week  forecast    actual  variance  reforecast  replenished  stockouts\n");
        for w in &view.weeks {
            out.push_str(&format!(
                "{:>4} {:>9} {:>9} {:>9} {:>11} {:>12} {:>10}\n",
                w.week,
                w.forecast,
                w.actual,
                match (w.variance_pct, w.direction) {
                    (Some(v), Some(VarianceDirection::Under)) => format!("-{v:.1}%"),
                    (Some(v), _) => format!("+{v:.1}%"),
                    (None, _) => "n/a".to_string(),
                },
                if w.reforecast { "yes" } else { "" },
                w.replenished,
                w.stockout_stores
            ));
        }
    }
}

/// The markdown: where it was judged, its depth, and what became of it.
fn markdown(view: &WorkflowView, out: &mut String) {
    if let Some(m) = &view.markdown {
        out.push_str(&format!(
            "markdown at week {}: sell-through {:.1}%, gap {:.1} pts, markdown {:.0}%{}\n",
            m.week,
            m.sell_through * 100.0,
            m.gap * 100.0,
            m.markdown_pct * 100.0,
            if m.applied {
                " (applied)"
            } else if m.markdown_pct == 0.0 {
                " (none)"
            } else if view.state == WorkflowState::WaitingMarkdownApproval {
                " (proposed)"
            } else {
                " (not applied)"
            }
        ));
    }
}

/// The season report's figures, its money and its advice for next season.
fn report(r: &atelier_core::season::SeasonReport, out: &mut String) {
    out.push_str(&format!(
        "season report: MAPE {:.1}%, bias {:+.1}%, sold {}, lost {}, leftover {} (stores {}, DC {}), fill rate {:.1}%, sell-through {:.1}%, markdown cost {:.0}\n",
        r.mape * 100.0,
        r.bias * 100.0,
        r.units_sold,
        r.lost_sales,
        r.leftover_units,
        r.leftover_in_stores,
        r.leftover_at_dc,
        r.fill_rate * 100.0,
        r.sell_through * 100.0,
        r.markdown_cost
    ));
    if !r.currency.is_empty() {
        let c = Some(r.currency.as_str());
        let m = |x: f64| crate::wording::money(x, c);
        let mut line = format!(
            "money: revenue {}, gross margin {}, markdown cost {}, cost of goods {}, leftover value {}",
            m(r.revenue),
            m(r.gross_margin),
            m(r.markdown_cost),
            m(r.cost_of_goods),
            m(r.leftover_value)
        );
        if r.units_reordered > 0 {
            line.push_str(&format!(
                ", reorders {} units for {}",
                r.units_reordered,
                m(r.reorder_cost)
            ));
        }
        if let Some(capture) = r.margin_capture {
            line.push_str(&format!(
                "; {:.1}% of the perfect-foresight margin",
                capture * 100.0
            ));
        }
        out.push_str(&line);
        out.push('\n');
    }
    for sgg in &r.suggestions {
        out.push_str(&format!("  next season: {sgg}\n"));
    }
}
