// A season folded from its stream messages, in the browser: the forecast and each
// re-forecast, the weeks, the stock of every store and of the DC week by week,
// replenishment and transfers. It mirrors the engine's own fold (engine::view) for
// what the API does not expose as a table, so the charts and the store table come
// from the same events the timeline shows.

function sum(xs) {
  let t = 0;
  for (const x of xs || []) t += x || 0;
  return t;
}

export class SeasonModel {
  constructor() {
    this.category = null;
    this.parameters = null;
    this.tunables = null;
    this.scenario = null;
    this.actualsMeaning = null;
    this.forecast = null; // {weekly, members, interval, total_season_demand}
    this.versions = []; // [{label, from, weekly, reason, seq}]
    this.current = []; // forecast in force, per week
    this.order = null; // {forecast_units, safety_stock_pct, manufacturing_qty}
    this.allocation = null;
    this.unitPrice = null;
    this.stores = []; // per store, network order
    this.index = new Map(); // store id → position
    this.dc = 0;
    this.stockByWeek = []; // [{week, stores, dc}] week 0 = launch
    this.weeks = []; // [{week, sold, demand, stockouts, forecast}]
    this.checks = []; // variance checks by week
    this.replenishments = []; // [{week, units, stores, byStore}]
    this.transfers = []; // [{week, from_store, to_store, units, cost}]
    this.markdown = null; // {week, proposal, applied, markdown_pct}
    this.markers = []; // [{week, kind: 'reforecast'|'markdown', label}]
    this.approvals = new Map(); // approval_id → {kind, data, resolution, by}
    this.pending = null;
    this.report = null;
    this.error = null;
    this.alerts = [];
    this.money = {}; // unit_cost, unit_price, currency when the approval carries them
  }

  /**
   * Folds one stream message; whether it changed the model. Words (reasoning,
   * agent status) and events no view draws from change nothing, so a page need
   * not redraw its charts for them.
   */
  apply(m) {
    const fn = this[`on_${m.event}`];
    if (!fn) return false;
    fn.call(this, m);
    return true;
  }

  on_workflow_created(m) {
    this.category = m.category;
    this.parameters = m.parameters;
    this.tunables = m.tunables;
    this.actualsMeaning = m.actuals_meaning;
    this.scenario = m.actuals_source && m.actuals_source.kind === 'scenario' ? m.actuals_source.name : null;
  }

  on_forecast_produced(m) {
    this.forecast = m.forecast;
    this.order = m.order;
    this.current = [...m.forecast.weekly];
    this.versions = [{ label: 'Initial forecast', from: 1, weekly: [...m.forecast.weekly], reason: 'initial', seq: m.seq }];
  }

  on_order_revised(m) {
    this.order = m.order;
  }

  on_approval_requested(m) {
    const a = { id: m.approval_id, kind: m.kind, data: m.data, options: m.options, expires_at: m.expires_at, seq: m.seq };
    this.approvals.set(m.approval_id, a);
    this.pending = a;
    for (const k of ['unit_cost', 'unit_price', 'currency']) {
      if (m.data && m.data[k] !== undefined && m.data[k] !== null) this.money[k] = m.data[k];
    }
  }

  on_approval_resolved(m) {
    const a = this.approvals.get(m.approval_id);
    if (a) Object.assign(a, { resolution: m.resolution, by: m.by, at: m.timestamp });
    if (this.pending && this.pending.id === m.approval_id) this.pending = null;
  }

  on_approval_expired(m) {
    const a = this.approvals.get(m.approval_id);
    if (a) Object.assign(a, { expired: m.action, at: m.timestamp });
    if (this.pending && this.pending.id === m.approval_id) this.pending = null;
  }

  on_allocation_made(m) {
    const a = m.allocation;
    this.allocation = a;
    this.unitPrice = m.unit_price;
    this.stores = a.stores.map((st) => ({
      store_id: st.store_id,
      cluster: st.cluster_id,
      share: st.share,
      season_allocation: st.season_allocation,
      initial: st.initial,
      stock: st.initial,
      sold: 0,
      demand: 0,
      stockout_weeks: 0,
      replenished: 0,
      transferred_in: 0,
      transferred_out: 0,
    }));
    this.index = new Map(this.stores.map((st, i) => [st.store_id, i]));
    this.dc = a.dc_holdback;
    this.stockByWeek = [{ week: 0, stores: a.initial_shipped, dc: this.dc }];
  }

  snapshot(week) {
    const row = { week, stores: sum(this.stores.map((st) => st.stock)), dc: this.dc };
    const at = this.stockByWeek.findIndex((r) => r.week === week);
    if (at >= 0) this.stockByWeek[at] = row;
    else this.stockByWeek.push(row);
  }

  on_week_recorded(m) {
    const s = m.sales;
    const out = new Set(s.stockout_stores || []);
    this.stores.forEach((st, i) => {
      const sold = s.sold[i] || 0;
      st.sold += sold;
      st.demand += s.demand[i] || 0;
      st.stock = Math.max(0, st.stock - sold);
      if (out.has(st.store_id)) st.stockout_weeks += 1;
    });
    this.weeks[s.week - 1] = {
      week: s.week,
      sold: sum(s.sold),
      demand: sum(s.demand),
      stockouts: out.size,
      forecast: this.current[s.week - 1] ?? null,
      replenished: 0,
    };
    this.snapshot(s.week);
  }

  on_variance_measured(m) {
    this.checks[m.week - 1] = m;
  }

  on_reforecast_applied(m) {
    const next = this.current.slice(0, m.after_week).concat(m.remaining);
    this.current = next;
    const why = { variance: 'variance', markdown: 'markdown', manual: 'planner' }[m.reason] || m.reason;
    this.versions.push({ label: `Re-forecast after week ${m.after_week} (${why})`, from: m.after_week + 1, weekly: next, reason: m.reason, seq: m.seq });
    this.markers.push({ week: m.after_week, kind: 'reforecast', label: `re-forecast (${why})` });
    (m.season_allocations || []).forEach((units, i) => {
      if (this.stores[i]) this.stores[i].season_allocation = units;
    });
  }

  on_replenishment_shipped(m) {
    const byStore = [];
    m.units.forEach((u, i) => {
      if (!u || !this.stores[i]) return;
      this.stores[i].stock += u;
      this.stores[i].replenished += u;
      byStore.push({ store_id: this.stores[i].store_id, units: u });
    });
    const total = sum(m.units);
    this.dc -= total;
    this.replenishments.push({ week: m.week, units: total, stores: byStore.length, byStore });
    if (this.weeks[m.week - 1]) this.weeks[m.week - 1].replenished += total;
    this.snapshot(m.week);
  }

  on_transfers_shipped(m) {
    const b = m.batch;
    for (const t of b.transfers) {
      const from = this.stores[this.index.get(t.from_store)];
      const to = this.stores[this.index.get(t.to_store)];
      if (from) {
        from.stock = Math.max(0, from.stock - t.units);
        from.transferred_out += t.units;
      }
      if (to) {
        to.stock += t.units;
        to.transferred_in += t.units;
      }
      this.transfers.push({ week: b.week, ...t });
    }
    this.markers.push({ week: b.week, kind: 'transfers', label: `transfers ${b.units}` });
    this.snapshot(b.week);
  }

  on_markdown_proposed(m) {
    this.markdown = { week: m.week, proposal: m.proposal, applied: false, markdown_pct: m.proposal.markdown_pct };
  }

  on_markdown_applied(m) {
    this.markdown = { ...(this.markdown || {}), week: m.week, applied: true, markdown_pct: m.markdown_pct, lift: m.expected_demand_lift_pct };
    this.markers.push({ week: m.week, kind: 'markdown', label: `markdown ${Math.round(m.markdown_pct * 100)}%` });
  }

  on_emergency_reorder_alert(m) {
    this.alerts.push(m);
  }

  on_reorder_placed(m) {
    this.markers.push({ week: m.plan.week, kind: 'reorder', label: `reorder ${m.plan.units}` });
  }

  on_reorder_arrived(m) {
    this.dc += m.units;
    this.snapshot(m.week);
  }

  on_workflow_completed(m) {
    this.report = m.report;
  }

  on_workflow_failed(m) {
    this.error = m.message || m.cause;
  }

  on_workflow_resumed() {
    this.error = null;
  }

  /** Units sold to date. */
  soldToDate() {
    return sum(this.weeks.map((w) => (w ? w.sold : 0)));
  }

  /** Weeks recorded so far. */
  weeksPlayed() {
    return this.weeks.filter(Boolean).length;
  }

  /** Cumulative sell-through per week: sold to date ÷ units ordered, and the plan's. */
  sellThrough() {
    const qty = (this.allocation && this.allocation.manufacturing_qty) || (this.order && this.order.manufacturing_qty) || 0;
    if (!qty) return [];
    const plan = (this.versions[0] && this.versions[0].weekly) || [];
    const out = [];
    let sold = 0;
    let planned = 0;
    for (let w = 1; w <= plan.length; w += 1) {
      planned += plan[w - 1] || 0;
      const row = this.weeks[w - 1];
      if (row) sold += row.sold;
      out.push({ week: w, actual: row ? sold / qty : null, plan: planned / qty });
    }
    return out;
  }
}
