//! How the command line says numbers and decisions to a person: units with
//! thousands separators, fractions as rounded percentages, money with its currency,
//! an approval as a short summary instead of raw JSON, and a category matched the
//! way a planner types it.

use atelier_engine::event::{ApprovalKind, ApprovalProposal};
use atelier_engine::view::{PendingApproval, WorkflowView};
use serde_json::Value;

/// 298905 → "298,905".
pub fn units(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A fraction as a whole percentage: 0.17094 → "17%" (one decimal under 10%).
pub fn pct(fraction: f64) -> String {
    let p = fraction * 100.0;
    if p.abs() < 10.0 && (p - p.round()).abs() >= 0.05 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// An amount with its currency code, rounded to whole units: "1,234,567 EUR".
pub fn money(amount: f64, currency: Option<&str>) -> String {
    let sign = if amount < 0.0 { "-" } else { "" };
    let whole = units(amount.abs().round() as u64);
    match currency {
        Some(c) => format!("{sign}{whole} {c}"),
        None => format!("{sign}{whole}"),
    }
}

fn num(data: &Value, key: &str) -> Option<f64> {
    data.get(key).and_then(Value::as_f64)
}

/// The pending approval in a line or two a planner reads at a glance.
pub fn approval_summary(pending: &PendingApproval) -> String {
    // Read through its JSON form, so fields a proposal may or may not carry (money
    // once prices are known) are shown when present.
    let data = serde_json::to_value(&pending.data).unwrap_or(Value::Null);
    let d = &data;
    let currency = d.get("currency").and_then(Value::as_str);
    match pending.kind {
        ApprovalKind::Manufacturing => order_summary(d, currency),
        ApprovalKind::Markdown => markdown_summary(d),
        ApprovalKind::Transfer => match &pending.data {
            ApprovalProposal::Transfers {
                batch,
                approval_units,
                currency,
            } => {
                let currency = Some(currency.as_str());
                format!(
                    "transfers after week {}: {} units in {} moves between stores (above the {} units that ship unasked); expected gain {} for {} of transfer cost",
                    batch.week,
                    units(batch.units),
                    batch.transfers.len(),
                    units(*approval_units),
                    money(batch.expected_gain, currency),
                    money(batch.cost, currency)
                )
            }
            other => format!("transfers: {other}"),
        },
        ApprovalKind::Reorder => match &pending.data {
            ApprovalProposal::Reorder { plan, currency } => {
                let currency = Some(currency.as_str());
                format!(
                    "reorder after week {}: {} units at {} a unit, {} in all, landing after week {}; demand left reads {} against {} held or on order; expected to add {} of margin",
                    plan.week,
                    units(plan.units),
                    money_exact(plan.unit_cost, currency),
                    money(plan.cost, currency),
                    plan.arrival_week,
                    units(plan.expected_demand.round() as u64),
                    units(plan.units_held),
                    money(plan.expected_gain, currency)
                )
            }
            other => format!("reorder: {other}"),
        },
    }
}

/// The order awaiting approval: units, forecast and its interval, safety stock,
/// and its cost once the price is known.
fn order_summary(d: &Value, currency: Option<&str>) -> String {
    let qty = num(d, "manufacturing_qty").unwrap_or(0.0);
    let mut text = format!(
        "order {} units for a forecast of {}",
        units(qty as u64),
        units(num(d, "total_forecast").unwrap_or(0.0) as u64)
    );
    if let Some(i) = d.get("interval").filter(|i| !i.is_null()) {
        text.push_str(&format!(
            " ({} interval {}–{})",
            pct(num(i, "level").unwrap_or(0.0)),
            units(num(i, "low").unwrap_or(0.0) as u64),
            units(num(i, "high").unwrap_or(0.0) as u64)
        ));
    }
    text.push_str(&format!(
        ", safety stock {}",
        pct(num(d, "safety_stock_pct").unwrap_or(0.0))
    ));
    if let Some(cost) = num(d, "unit_cost") {
        text.push_str(&format!(", cost {}", money(qty * cost, currency)));
    }
    text
}

/// The markdown awaiting approval: depth, week, sell-through against its target
/// and plan, and the lift expected.
fn markdown_summary(d: &Value) -> String {
    let proposal = d.get("proposal").unwrap_or(&Value::Null);
    let sell_through = num(d, "sell_through").or_else(|| num(proposal, "sell_through"));
    let threshold = num(d, "threshold").or_else(|| num(proposal, "target"));
    let mut text = format!(
        "markdown {} at week {}: sell-through {}",
        pct(num(proposal, "markdown_pct").unwrap_or(0.0)),
        num(d, "week").unwrap_or(0.0),
        sell_through.map_or("n/a".into(), pct)
    );
    if let Some(t) = threshold {
        text.push_str(&format!(" against a {} target", pct(t)));
    }
    if let Some(plan) = num(d, "plan_sell_through") {
        text.push_str(&format!(" and {} planned", pct(plan)));
    }
    if let Some(lift) = num(proposal, "expected_demand_lift_pct") {
        text.push_str(&format!("; expected demand lift {}", pct(lift)));
    }
    text
}

/// A unit price with cents: "25.31 USD".
fn money_exact(amount: f64, currency: Option<&str>) -> String {
    match currency {
        Some(c) => format!("{amount:.2} {c}"),
        None => format!("{amount:.2}"),
    }
}

/// What a re-forecast changed: the remaining weeks' total before and after, and
/// the new weekly figures.
pub fn reforecast_summary(before: &WorkflowView, after: &WorkflowView) -> String {
    let from = after.weeks.len();
    let old: u64 = before.forecast_weekly.iter().skip(from).sum();
    let new: u64 = after.forecast_weekly.iter().skip(from).sum();
    let change = if old > 0 {
        format!(" ({:+.1}%)", (new as f64 - old as f64) / old as f64 * 100.0)
    } else {
        String::new()
    };
    let weekly: Vec<String> = after
        .forecast_weekly
        .iter()
        .enumerate()
        .skip(from)
        .map(|(i, u)| format!("w{} {}", i + 1, units(*u)))
        .collect();
    format!(
        "re-forecast of weeks {}–{}: {} → {} units{change}\n  {}",
        from + 1,
        after.forecast_weekly.len(),
        units(old),
        units(new),
        weekly.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_planner_writes_them() {
        assert_eq!(units(0), "0");
        assert_eq!(units(999), "999");
        assert_eq!(units(343_741), "343,741");
        assert_eq!(units(1_234_567), "1,234,567");
        assert_eq!(pct(0.170_940_599_856_141_52), "17%");
        assert_eq!(pct(0.6), "60%");
        assert_eq!(pct(0.025), "2.5%");
        assert_eq!(money(1_234_567.4, Some("EUR")), "1,234,567 EUR");
        assert_eq!(money(-12.6, None), "-13");
    }

    #[test]
    fn an_order_reads_in_units_and_rounded_percentages() {
        let pending = PendingApproval {
            approval_id: "manufacturing-1".into(),
            kind: ApprovalKind::Manufacturing,
            data: serde_json::from_value(serde_json::json!({"manufacturing_qty": 343_741, "safety_stock_pct": 0.170_940_599_856_141_52,
                "total_forecast": 298_905, "interval": {"level": 0.8, "low": 250_000, "high": 350_000},
                "unit_cost": 22.0, "currency": "EUR"}))
            .unwrap(),
            options: vec![],
            expires_at: None,
        };
        assert_eq!(
            approval_summary(&pending),
            "order 343,741 units for a forecast of 298,905 (80% interval 250,000–350,000), safety stock 17%, cost 7,562,302 EUR"
        );
    }

    #[test]
    fn a_markdown_reads_against_target_and_plan() {
        let pending = PendingApproval {
            approval_id: "markdown-1".into(),
            kind: ApprovalKind::Markdown,
            data: serde_json::from_value(serde_json::json!({"week": 6, "plan_sell_through": 0.35,
                "proposal": {"markdown_pct": 0.4, "sell_through": 0.313_186, "target": 0.6, "gap": 0.286_814,
                    "raw_markdown_pct": 0.573_628, "expected_demand_lift_pct": 0.6}}))
            .unwrap(),
            options: vec![],
            expires_at: None,
        };
        assert_eq!(
            approval_summary(&pending),
            "markdown 40% at week 6: sell-through 31% against a 60% target and 35% planned; expected demand lift 60%"
        );
    }
}
