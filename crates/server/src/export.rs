//! A season as files a planner opens elsewhere (issue 18): one xlsx workbook with a
//! sheet per table (summary, weeks, stores, approvals with who answered, timeline)
//! and number formats, and each table as CSV. Served at
//! `GET /api/workflows/{id}/export.xlsx` and `.../export/{table}` and written by
//! `atelier export ID --xlsx F`; every figure is folded from the same events as
//! the report.
//!
//! Text from the log can hold anything a planner or a model wrote. A cell that
//! begins with `=`, `+`, `-`, `@` (or a tab or carriage return) is escaped, so a
//! spreadsheet never reads it as a formula: in CSV with a leading apostrophe
//! (OWASP's advice), in the workbook as a text cell with Excel's quote prefix.

use atelier_engine::WorkflowView;
use atelier_engine::event::{
    ActualsMeaning, ApprovalKind, ApprovalProposal, Event, Resolution, StoredEvent,
};
use atelier_engine::report::order_valuation;
use chrono::{DateTime, NaiveDate, Utc};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};
use std::borrow::Cow;
use std::collections::HashMap;

/// How a cell is written and formatted.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text (escaped when it could read as a formula).
    Text(String),
    /// Whole units, shown with separators.
    Units(f64),
    /// Money in the season's currency, two decimals.
    Money(f64),
    /// A fraction shown as a percentage (0.25 → 25.0%).
    Pct(f64),
    /// A plain number.
    Number(f64),
    /// A calendar day.
    Date(NaiveDate),
    /// A moment (UTC).
    Time(DateTime<Utc>),
    /// Nothing.
    Empty,
}

impl Cell {
    /// The cell as CSV text: numbers in full (no separators), dates ISO.
    pub fn csv_text(&self) -> String {
        match self {
            Cell::Text(t) => escape_formula(t).into_owned(),
            Cell::Units(v) | Cell::Money(v) | Cell::Pct(v) | Cell::Number(v) => v.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Time(t) => t.to_rfc3339(),
            Cell::Empty => String::new(),
        }
    }
}

/// One table: a sheet of the workbook, one CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Its name: the sheet's, and the CSV's (`summary`, `weeks`, ...).
    pub name: &'static str,
    /// Column headings.
    pub columns: Vec<&'static str>,
    /// Rows of cells, as many as columns.
    pub rows: Vec<Vec<Cell>>,
}

/// The names of the tables, in sheet order.
pub const TABLES: [&str; 5] = ["summary", "weeks", "stores", "approvals", "timeline"];

/// `text` as a spreadsheet shows it: with a leading apostrophe when it begins
/// with a character that would make it a formula.
pub fn escape_formula(text: &str) -> Cow<'_, str> {
    if needs_escape(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn needs_escape(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn units(v: u64) -> Cell {
    Cell::Units(v as f64)
}

/// Every table of the season folded in `view` from `events` (its whole log).
pub fn season_tables(view: &WorkflowView, events: &[StoredEvent]) -> Vec<Table> {
    vec![
        summary(view),
        weeks(view),
        stores(view, events),
        approvals(events),
        timeline(events),
    ]
}

fn summary(view: &WorkflowView) -> Table {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut add = |label: &str, value: Cell| rows.push(vec![text(label), value]);
    add("Workflow", text(&view.workflow_id));
    add("Category", text(&view.category));
    add("State", text(view.state.as_str()));
    add("Policy", text(view.tunables.policy.as_str()));
    add("Currency", text(&view.tunables.currency));
    let p = &view.parameters;
    add("First day", Cell::Date(p.season_start_date));
    add("Last day", Cell::Date(p.season_end_date));
    add("Weeks", units(p.forecast_horizon_weeks.into()));
    add("Replenishment", text(p.replenishment_strategy.to_string()));
    add("Held back at the DC", Cell::Pct(p.dc_holdback_percentage));
    add(
        "Markdown check at week",
        p.markdown_checkpoint_week
            .map_or(text("none"), |w| units(w.into())),
    );
    add(
        "Target sell-through at the check",
        p.markdown_threshold.map_or(Cell::Empty, Cell::Pct),
    );
    add("Weeks played", units(view.weeks.len() as u64));
    let demand_known = view.actuals_meaning == ActualsMeaning::Demand;
    add(
        "Weekly actuals",
        text(if demand_known {
            "demand"
        } else {
            "recorded sales"
        }),
    );
    if let Some(f) = &view.forecast {
        add("Season forecast (units)", units(f.total_season_demand));
    }
    if let Some(o) = &view.order {
        add("Order (units)", units(o.manufacturing_qty));
        add("Safety stock", Cell::Pct(o.safety_stock_pct));
    }
    if let Some(v) = order_valuation(view) {
        add("Unit price", Cell::Money(v.unit_price));
        add("Unit cost", Cell::Money(v.unit_cost));
        add("Order cost", Cell::Money(v.proposed.cost));
        add(
            "Expected margin of the order",
            Cell::Money(v.proposed.expected_margin),
        );
    }
    if let Some(r) = &view.report {
        report_rows(r, demand_known, &mut add);
    }
    Table {
        name: "summary",
        columns: vec!["Figure", "Value"],
        rows,
    }
}

/// The season report's figures: units, forecast error, money and capture; fill
/// rate and lost sales are unknown when the weeks were recorded sales.
fn report_rows(
    r: &atelier_core::season::SeasonReport,
    demand_known: bool,
    add: &mut impl FnMut(&str, Cell),
) {
    add("Units sold", units(r.units_sold));
    add("Sell-through", Cell::Pct(r.sell_through));
    if demand_known {
        add("Fill rate", Cell::Pct(r.fill_rate));
        add("Lost sales (units)", units(r.lost_sales));
    } else {
        add("Fill rate", text("unknown (recorded sales)"));
        add("Lost sales (units)", text("unknown (recorded sales)"));
    }
    add("Leftover (units)", units(r.leftover_units));
    add("Leftover in stores (units)", units(r.leftover_in_stores));
    add("Leftover at the DC (units)", units(r.leftover_at_dc));
    add("Stock adjustments (units)", units(r.stock_adjustments));
    add("Forecast error (MAPE)", Cell::Pct(r.mape));
    add("Forecast bias", Cell::Pct(r.bias));
    add("Revenue", Cell::Money(r.revenue));
    add("Markdown cost", Cell::Money(r.markdown_cost));
    add("Leftover value", Cell::Money(r.leftover_value));
    add("Cost of goods", Cell::Money(r.cost_of_goods));
    add("Transfer cost", Cell::Money(r.transfer_cost));
    add("Gross margin", Cell::Money(r.gross_margin));
    add(
        "Perfect-foresight margin",
        r.perfect_foresight_margin
            .map_or(text("unknown (needs demand)"), Cell::Money),
    );
    add(
        "Margin captured",
        r.margin_capture.map_or(Cell::Empty, Cell::Pct),
    );
}

fn weeks(view: &WorkflowView) -> Table {
    let start = view.parameters.season_start_date;
    let rows = view
        .weeks
        .iter()
        .map(|w| {
            vec![
                units(w.week.into()),
                start
                    .checked_add_days(chrono::Days::new(7 * (u64::from(w.week) - 1)))
                    .map_or(Cell::Empty, Cell::Date),
                units(w.forecast),
                units(w.actual),
                units(w.demand),
                w.variance_pct.map_or(Cell::Empty, |v| Cell::Pct(v / 100.0)),
                w.direction
                    .map_or(Cell::Empty, |d| text(format!("{d:?}").to_lowercase())),
                text(if w.reforecast { "yes" } else { "no" }),
                units(w.replenished),
                units(w.stockout_stores as u64),
            ]
        })
        .collect();
    Table {
        name: "weeks",
        columns: vec![
            "Week",
            "First day",
            "Forecast",
            "Sold",
            "Demand",
            "Variance",
            "Direction",
            "Re-forecast",
            "Replenished",
            "Stores out",
        ],
        rows,
    }
}

fn stores(view: &WorkflowView, events: &[StoredEvent]) -> Table {
    let Some(a) = &view.allocation else {
        return Table {
            name: "stores",
            columns: STORE_COLUMNS.to_vec(),
            rows: Vec::new(),
        };
    };
    let mut sold = vec![0u64; a.stores.len()];
    let mut out = vec![0u64; a.stores.len()];
    let at: HashMap<&str, usize> = a
        .stores
        .iter()
        .enumerate()
        .map(|(i, s)| (s.store_id.as_str(), i))
        .collect();
    for e in events {
        if let Event::WeekRecorded { sales } = &e.event {
            for (i, u) in sales.sold.iter().enumerate() {
                if let Some(t) = sold.get_mut(i) {
                    *t += u;
                }
            }
            for id in &sales.stockout_stores {
                if let Some(&i) = at.get(id.as_str()) {
                    out[i] += 1;
                }
            }
        }
    }
    let rows = a
        .stores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let stock = view.stock.get(i);
            vec![
                text(&s.store_id),
                text(s.cluster_id.to_string()),
                Cell::Pct(s.share),
                units(stock.map_or(s.season_allocation, |k| k.season_allocation)),
                units(s.initial),
                units(stock.map_or(s.initial, |k| k.shipped_so_far)),
                units(sold[i]),
                units(stock.map_or(0, |k| k.on_hand)),
                units(out[i]),
            ]
        })
        .collect();
    Table {
        name: "stores",
        columns: STORE_COLUMNS.to_vec(),
        rows,
    }
}

const STORE_COLUMNS: [&str; 9] = [
    "Store",
    "Cluster",
    "Share of its cluster",
    "Season allocation",
    "Launch shipment",
    "Shipped so far",
    "Sold",
    "Stock on hand",
    "Stockout weeks",
];

fn kind_name(kind: ApprovalKind) -> &'static str {
    match kind {
        ApprovalKind::Manufacturing => "manufacturing order",
        ApprovalKind::Markdown => "markdown",
        ApprovalKind::Transfer => "transfers",
        ApprovalKind::Reorder => "reorder",
    }
}

fn proposal_text(p: &ApprovalProposal) -> String {
    match p {
        ApprovalProposal::Manufacturing {
            manufacturing_qty,
            total_forecast,
            safety_stock_pct,
            ..
        } => format!(
            "order {manufacturing_qty} units for a forecast of {total_forecast} (safety stock {:.1}%)",
            safety_stock_pct * 100.0
        ),
        ApprovalProposal::Markdown { week, proposal, .. } => format!(
            "{:.0}% markdown at week {week}",
            proposal.markdown_pct * 100.0
        ),
        ApprovalProposal::Transfers { batch, .. } => format!(
            "move {} units in {} transfers after week {}",
            batch.units,
            batch.transfers.len(),
            batch.week
        ),
        ApprovalProposal::Reorder { plan, currency } => format!(
            "reorder {} units after week {} for {:.0} {currency}, landing after week {}",
            plan.units, plan.week, plan.cost, plan.arrival_week
        ),
    }
}

fn resolution_text(r: &Resolution) -> String {
    match r {
        Resolution::Accept => "accepted".into(),
        Resolution::Modify { modifications: m } => {
            let mut parts = Vec::new();
            if let Some(q) = m.manufacturing_qty {
                parts.push(format!("order {q} units"));
            }
            if let Some(s) = m.safety_stock_pct {
                parts.push(format!("safety stock {:.1}%", s * 100.0));
            }
            if let Some(d) = m.markdown_pct {
                parts.push(format!("markdown {:.0}%", d * 100.0));
            }
            if let Some(u) = m.transfer_units {
                parts.push(format!("move at most {u} units"));
            }
            if let Some(u) = m.reorder_units {
                parts.push(format!("reorder {u} units"));
            }
            format!("modified: {}", parts.join(", "))
        }
    }
}

fn approvals(events: &[StoredEvent]) -> Table {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for e in events {
        match &e.event {
            Event::ApprovalRequested {
                approval_id,
                kind,
                data,
                expires_at,
                ..
            } => {
                at.insert(approval_id.as_str(), rows.len());
                rows.push(vec![
                    text(approval_id),
                    text(kind_name(*kind)),
                    text(proposal_text(data)),
                    Cell::Time(e.recorded_at),
                    expires_at.map_or(Cell::Empty, Cell::Time),
                    text("waiting"),
                    Cell::Empty,
                    Cell::Empty,
                ]);
            }
            Event::ApprovalResolved {
                approval_id,
                resolution,
                by,
            } => {
                if let Some(row) = at.get(approval_id.as_str()).and_then(|&i| rows.get_mut(i)) {
                    row[5] = text(resolution_text(resolution));
                    row[6] = text(by);
                    row[7] = Cell::Time(e.recorded_at);
                }
            }
            Event::ApprovalExpired {
                approval_id,
                action,
            } => {
                if let Some(row) = at.get(approval_id.as_str()).and_then(|&i| rows.get_mut(i)) {
                    row[5] = text(format!("expired: {action:?}").to_lowercase());
                    row[6] = text("no one (expired)");
                    row[7] = Cell::Time(e.recorded_at);
                }
            }
            _ => {}
        }
    }
    Table {
        name: "approvals",
        columns: vec![
            "Approval",
            "Kind",
            "Proposal",
            "Asked at",
            "Expires at",
            "Decision",
            "Answered by",
            "Answered at",
        ],
        rows,
    }
}

fn event_summary(e: &Event) -> String {
    match e {
        Event::ReasoningRecorded { reasoning } => reasoning.text.clone(),
        Event::PhaseSkipped { reason, .. } => reason.clone(),
        Event::ApprovalRequested {
            approval_id, data, ..
        } => format!("{approval_id}: {}", proposal_text(data)),
        Event::ApprovalResolved {
            approval_id,
            resolution,
            by,
        } => format!("{approval_id} {} by {by}", resolution_text(resolution)),
        Event::WeekRecorded { sales } => format!(
            "week {}: {} units sold, {} stores ran out",
            sales.week,
            sales.sold.iter().sum::<u64>(),
            sales.stockout_stores.len()
        ),
        Event::PhaseStarted { phase, .. } => format!("{} started", phase.as_str()),
        Event::WorkflowFailed { .. } => "the step failed".into(),
        _ => String::new(),
    }
}

fn timeline(events: &[StoredEvent]) -> Table {
    let rows = events
        .iter()
        .map(|e| {
            vec![
                units(e.seq),
                Cell::Time(e.recorded_at),
                text(e.event.kind()),
                text(event_summary(&e.event)),
            ]
        })
        .collect();
    Table {
        name: "timeline",
        columns: vec!["Event", "Recorded at", "Kind", "What happened"],
        rows,
    }
}

/// The tables as CSV (RFC 4180 quoting, formulas escaped).
pub fn csv(table: &Table) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    out.push_str(
        &table
            .columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push('\n');
    for row in &table.rows {
        out.push_str(
            &row.iter()
                .map(|c| quote(&c.csv_text()))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

/// The tables as an xlsx workbook: a sheet each, bold frozen headings, number
/// formats (units with separators, money with two decimals and the currency in
/// the heading of the summary, percentages, ISO dates and times).
pub fn workbook(tables: &[Table], currency: &str) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let head = Format::new().set_bold().set_align(FormatAlign::Center);
    let units = Format::new().set_num_format("#,##0");
    let money = Format::new().set_num_format(format!("#,##0.00 \"{}\"", currency.replace('"', "")));
    let pct = Format::new().set_num_format("0.0%");
    let number = Format::new().set_num_format("0.####");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let quoted = Format::new().set_quote_prefix();
    for table in tables {
        let sheet = book.add_worksheet();
        let mut title: String = table.name.to_string();
        title[..1].make_ascii_uppercase();
        sheet.set_name(&title)?;
        for (c, name) in table.columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *name, &head)?;
            sheet.set_column_width(c as u16, if c == 0 { 18 } else { 16 })?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) if needs_escape(t) => {
                        sheet.write_string_with_format(r, c, t, &quoted)?;
                    }
                    Cell::Text(t) => {
                        sheet.write_string(r, c, t)?;
                    }
                    Cell::Units(v) => {
                        sheet.write_number_with_format(r, c, *v, &units)?;
                    }
                    Cell::Money(v) => {
                        sheet.write_number_with_format(r, c, *v, &money)?;
                    }
                    Cell::Pct(v) => {
                        sheet.write_number_with_format(r, c, *v, &pct)?;
                    }
                    Cell::Number(v) => {
                        sheet.write_number_with_format(r, c, *v, &number)?;
                    }
                    Cell::Date(d) => {
                        sheet.write_datetime_with_format(r, c, *d, &date)?;
                    }
                    Cell::Time(t) => {
                        sheet.write_datetime_with_format(r, c, t.naive_utc(), &time)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        if table.name == "timeline" || table.name == "approvals" {
            let last = table.columns.len().saturating_sub(1) as u16;
            sheet.set_column_width(last, 80)?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_escaped_and_plain_text_is_not() {
        for risky in ["=1+1", "+41", "-2", "@SUM(A1)", "\t=x", "\rcmd"] {
            assert_eq!(escape_formula(risky), format!("'{risky}"));
        }
        assert_eq!(escape_formula("Women's Dresses"), "Women's Dresses");
        assert_eq!(escape_formula("S001"), "S001");
    }

    #[test]
    fn csv_quotes_and_escapes_text_and_writes_numbers_in_full() {
        let t = Table {
            name: "weeks",
            columns: vec!["A", "B, b", "C"],
            rows: vec![vec![
                text("=HYPERLINK(\"x\")"),
                Cell::Units(12345.0),
                Cell::Pct(0.25),
            ]],
        };
        assert_eq!(
            csv(&t),
            "A,\"B, b\",C\n\"'=HYPERLINK(\"\"x\"\")\",12345,0.25\n"
        );
    }

    #[test]
    fn a_workbook_is_a_zip_with_a_sheet_per_table() {
        let tables: Vec<Table> = TABLES
            .iter()
            .map(|name| Table {
                name,
                columns: vec!["A"],
                rows: vec![vec![text("=danger")]],
            })
            .collect();
        let bytes = workbook(&tables, "USD").expect("a workbook");
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
        // Read back by a real reader: the text is kept, as text, never a formula.
        use calamine::{Reader, Xlsx};
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("readable");
        assert_eq!(
            book.sheet_names(),
            ["Summary", "Weeks", "Stores", "Approvals", "Timeline"]
        );
        for name in book.sheet_names() {
            let range = book.worksheet_range(&name).expect("a sheet");
            assert_eq!(
                range.get_value((1, 0)).map(|v| v.to_string()).as_deref(),
                Some("=danger")
            );
            let formulas = book.worksheet_formula(&name).expect("formulas");
            assert!(
                formulas.used_cells().all(|(_, _, f)| f.is_empty()),
                "{name} has a formula"
            );
        }
    }
}
