// The timeline of agent activity: one row per stream message, newest first, each
// saying in words what happened and, for decisions, why (the reasoning the engine
// recorded for it). Rows carry data-seq so a reader (or a test) can check that the
// log arrived whole: no number missing, none twice.

import { h } from './dom.js';
import { clock, day, fieldLabel, humanize, percent, pct, stateLabel, units, words } from './format.js';

const AGENTS = { demand: 'Demand', inventory: 'Inventory', pricing: 'Pricing', orchestrator: 'Orchestrator' };

function agentName(a) {
  return AGENTS[a] || words(a);
}

function resolutionText(m) {
  const r = m.resolution || {};
  if (r.action === 'modify') {
    const mods = Object.entries(r.modifications || {}).map(([k, v]) => `${fieldLabel(k).toLowerCase()} ${k.endsWith('_pct') ? pct(v, 1) : units(v)}`);
    return `${m.approval_id} modified by ${m.by}: ${mods.join(', ')}`;
  }
  return `${m.approval_id} accepted by ${m.by}`;
}

/** [kind class, label, text, detail] for a stream message. */
export function describe(m) {
  switch (m.type) {
    case 'agent_status':
      if (m.agent === 'orchestrator') {
        return ['work', 'Phase', `${words(stateLabel(m.phase))}${m.week ? `, week ${m.week}` : ''}`, m.progress !== undefined ? `progress ${pct(m.progress)}` : null];
      }
      return ['work', agentName(m.agent), m.message, m.progress !== undefined ? `progress ${pct(m.progress)}` : null];
    case 'agent_completed':
      return ['done', agentName(m.agent), `${agentName(m.agent)} finished`, `${units(m.duration_ms)} ms${m.attempt > 1 ? `, attempt ${m.attempt}` : ''} · progress ${pct(m.progress)}`];
    case 'phase_skipped':
      return ['skip', 'Skipped', `${words(m.phase)} skipped`, m.reason];
    case 'variance_alert':
      return ['alert', 'Variance alert', m.message, null];
    case 'variance_measured':
      return ['info', 'Variance', m.message, null];
    case 'human_input_required':
      return ['ask', 'Approval needed', `${words(m.kind)} approval ${m.approval_id} is waiting`, approvalSummary(m)];
    case 'workflow_complete':
      // Fill rate is only known when demand was (a played scenario); the report says which.
      return ['done', 'Complete', 'The season is complete; the report is ready.', m.report ? `${units(m.report.units_sold)} units sold, sell-through ${pct(m.report.sell_through, 1)}` : null];
    case 'error':
      return ['alert', 'Error', m.message, m.interrupted ? `interrupted ${words(m.interrupted).toLowerCase()}; resume retries it` : null];
    default:
      return describeEvent(m);
  }
}

function approvalSummary(m) {
  const d = m.data || {};
  if (m.kind === 'manufacturing') return `order ${units(d.manufacturing_qty)} units for a forecast of ${units(d.total_forecast)} (safety stock ${pct(d.safety_stock_pct)})`;
  if (m.kind === 'markdown' && d.proposal) return `markdown ${pct(d.proposal.markdown_pct)} at week ${d.week}: sell-through ${pct(d.proposal.sell_through)} against ${pct(d.threshold ?? d.proposal.target)}`;
  return null;
}

function describeEvent(m) {
  switch (m.event) {
    case 'workflow_created':
      return ['info', 'Created', `Season created: ${m.category}, ${m.parameters.forecast_horizon_weeks} weeks from ${day(m.parameters.season_start_date)}`, null];
    case 'reasoning_recorded':
      return ['why', 'Why', m.reasoning.text, `${words(m.reasoning.decision_point)} · ${m.reasoning.source === 'llm' ? `model ${m.reasoning.model || ''}` : 'template'}`];
    case 'forecast_produced':
      return ['info', 'Forecast', `Season forecast ${units(m.forecast.total_season_demand)} units (${pct(m.forecast.interval.level)} interval ${units(m.forecast.interval.low)}–${units(m.forecast.interval.high)}); order ${units(m.order.manufacturing_qty)}`, null];
    case 'order_revised':
      return ['info', 'Order revised', `Order revised to ${units(m.order.manufacturing_qty)} units (safety stock ${pct(m.order.safety_stock_pct, 1)})`, null];
    case 'approval_resolved':
      return ['done', 'Decision', resolutionText(m), null];
    case 'approval_expired':
      return ['alert', 'Expired', `${m.approval_id} expired: ${m.action}`, null];
    case 'allocation_made':
      return ['info', 'Allocation', `${units(m.allocation.manufacturing_qty)} units split over ${m.allocation.clusters.length} clusters and ${m.allocation.stores.length} stores: ${units(m.allocation.initial_shipped)} shipped at launch, ${units(m.allocation.dc_holdback)} held at the DC`, null];
    case 'week_recorded': {
      const sold = m.sales.sold.reduce((a, b) => a + b, 0);
      return ['info', `Week ${m.sales.week}`, `Week ${m.sales.week} recorded: ${units(sold)} units sold${m.sales.stockout_stores.length ? `, ${m.sales.stockout_stores.length} stores ran out` : ''}`, null];
    }
    case 'reforecast_applied': {
      const before = m.previous.reduce((a, b) => a + b, 0);
      const after = m.remaining.reduce((a, b) => a + b, 0);
      return ['info', 'Re-forecast', `Weeks ${m.after_week + 1}+ re-forecast (${m.reason}): ${units(before)} → ${units(after)} units`, null];
    }
    case 'replenishment_shipped': {
      const n = m.units.filter((u) => u > 0).length;
      return ['info', 'Replenishment', `${units(m.units.reduce((a, b) => a + b, 0))} units sent from the DC to ${n} stores after week ${m.week}`, null];
    }
    case 'transfers_shipped': {
      const b = m.batch;
      return ['done', 'Transfers', `${units(b.units)} units moved between stores after week ${b.week} (${b.transfers.length} ${b.transfers.length === 1 ? 'move' : 'moves'})`, b.transfers.slice(0, 3).map((t) => `${t.from_store}→${t.to_store} ${units(t.units)}`).join(', ')];
    }
    case 'reorder_placed':
      return ['done', 'Reorder', `${units(m.plan.units)} units reordered after week ${m.plan.week}, landing after week ${m.plan.arrival_week}`, null];
    case 'reorder_declined':
      return ['info', 'Reorder', `The reorder proposed after week ${m.week} was declined`, null];
    case 'reorder_arrived':
      return ['done', 'Reorder', `${units(m.units)} reordered units landed at the DC after week ${m.week}`, null];
    case 'emergency_reorder_alert':
      return ['alert', 'Reorder alert', `Week ${m.week}: the DC cannot cover the remaining forecast, ${units(m.shortfall_units)} units short (variance ${m.variance_pct === null ? '—' : percent(m.variance_pct * 100)})`, null];
    case 'markdown_proposed':
      return ['info', 'Markdown', `Pricing proposes ${pct(m.proposal.markdown_pct)} at week ${m.week} (sell-through ${pct(m.proposal.sell_through, 1)})`, null];
    case 'markdown_applied':
      return ['done', 'Markdown', `${pct(m.markdown_pct)} markdown applied from week ${m.week + 1} (expected lift ${pct(m.expected_demand_lift_pct)})`, null];
    case 'agent_failed':
      return ['alert', agentName(m.agent), `${agentName(m.agent)} failed (attempt ${m.attempt}): ${m.error}`, m.retry_in_ms ? `retrying in ${units(m.retry_in_ms)} ms` : null];
    case 'guardrail_triggered':
      return ['alert', 'Guardrail', `The model's words contradicted the decision; the decision stands: ${m.decision}`, null];
    case 'workflow_resumed':
      return ['info', 'Resumed', `Resumed at ${words(m.to).toLowerCase()}`, null];
    default:
      return ['info', words(m.event || m.type), words(m.type), null];
  }
}

/** The timeline row of one message. */
export function row(m) {
  const [kind, label, text, detail] = describe(m);
  return h('li', { class: `ev ev-${kind}`, 'data-seq': m.seq, 'data-type': m.type },
    h('div', { class: 'ev-head' },
      h('span', { class: 'ev-seq mono' }, `#${m.seq}`),
      h('span', { class: `ev-label ${kind}` }, label),
      h('time', { datetime: m.timestamp, class: 'muted small' }, clock(m.timestamp))),
    // Words from the engine (templates, a model, the store) read as the rest of the
    // page: no field names or ranges, separators in large numbers.
    h('p', { class: 'ev-text' }, humanize(text)),
    detail ? h('p', { class: 'ev-detail muted small' }, humanize(detail)) : null);
}
