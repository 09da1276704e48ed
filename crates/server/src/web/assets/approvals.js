// Approvals as dialogs: the manufacturing order (forecast, interval, members, safety
// stock, order in units and money; accept or modify) and a markdown (sell-through
// against threshold and plan, the depths considered, the proposal; accept, modify or
// decline). The answer goes through the API; the dialog closes when the stream
// confirms it (approval_resolved), not when the POST returns.

import { h, mount, toast } from './dom.js';
import * as api from './api.js';
import { fieldLabel, money, pct, units, when, words } from './format.js';

function pairs(rows) {
  return h('dl', { class: 'pairs' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export class ApprovalDialog {
  constructor(el, ctx, page) {
    this.el = el;
    this.ctx = ctx;
    this.page = page;
    this.current = null;
    this.el.addEventListener('close', () => {
      // A close event is queued: when the next approval opened the dialog again in
      // the same frame (the answer and the next question arrive together), it
      // belongs to the one before, and the open one stays current.
      if (this.el.open) return;
      if (this.current && !this.current.sent) page.dismissed.add(this.current.approval.id);
      this.current = null;
      // The dialog hands focus back to what opened it; when that is gone (a
      // re-render) or was nothing, the season takes it, never <body>.
      setTimeout(() => {
        if (!document.activeElement || document.activeElement === document.body) page.refocus(this.opener);
      }, 0);
    });
  }

  close() {
    if (this.el.open) this.el.close();
  }

  /** The stream says an approval was answered: close its dialog. */
  resolved(m) {
    if (!this.current || this.current.approval.id !== m.approval_id) return;
    const who = m.by ? ` by ${m.by}` : '';
    const what = m.event === 'approval_expired' ? 'expired' : (m.resolution && m.resolution.action === 'modify' ? 'modified' : 'accepted');
    this.current.sent = true;
    this.close();
    toast(`${m.approval_id} ${what}${who}`);
  }

  open(approval, model, workflowId) {
    if (this.current && this.current.approval.id === approval.id && this.el.open) return;
    if (!this.el.open) this.opener = document.activeElement;
    this.current = { approval, sent: false };
    const status = h('p', { class: 'dialog-status', role: 'status', 'data-testid': 'approval-status' });
    const send = async (body, errorSlot) => {
      for (const b of this.el.querySelectorAll('button[data-answer]')) b.disabled = true;
      status.textContent = 'Sent. Waiting for the stream to confirm…';
      try {
        await api.post(`/api/workflows/${encodeURIComponent(workflowId)}/approvals/${encodeURIComponent(approval.id)}`, body);
        if (this.current) this.current.sent = true;
      } catch (e) {
        status.textContent = '';
        (errorSlot || status).textContent = e.message;
        for (const b of this.el.querySelectorAll('button[data-answer]')) b.disabled = false;
      }
    };
    const kinds = { manufacturing: this.manufacturing, markdown: this.markdown, transfer: this.transfer, reorder: this.reorder };
    const body = (kinds[approval.kind] || this.other).call(this, approval, model, send);
    mount(this.el,
      h('form', { method: 'dialog', class: 'dialog-body' },
        h('div', { class: 'dialog-head' },
          h('h2', { id: 'approval-title' }, approval.kind === 'manufacturing' ? 'Approve the manufacturing order' : approval.kind === 'markdown' ? `Decide the week ${approval.data.week} markdown` : approval.kind === 'transfer' ? `Approve the transfers after week ${approval.data.batch.week}` : approval.kind === 'reorder' ? `Approve a second buy after week ${approval.data.plan.week}` : `Approve: ${words(approval.kind)}`),
          // formnovalidate: a half-typed change below must never keep "Later" from closing.
          h('button', { type: 'submit', class: 'link', 'aria-label': 'Close; decide later', value: 'later', formnovalidate: true }, 'Later')),
        h('p', { class: 'muted small' }, h('span', { class: 'mono' }, approval.id), approval.expires_at ? ` · expires ${when(approval.expires_at)}` : ''),
        body,
        status));
    if (!this.el.open) this.el.showModal();
  }

  manufacturing(approval, model, send) {
    const d = approval.data || {};
    const f = model.forecast;
    // The order's money from the workflow document (core::order_value): the
    // proposal's expected figures and other sizes beside it.
    const ov = this.page.status && this.page.status.order_value && this.page.status.order_value.order_units === d.manufacturing_qty ? this.page.status.order_value : null;
    const cur = (ov && ov.currency) || d.currency || model.money.currency || (model.tunables && model.tunables.currency);
    const cost = (ov && ov.unit_cost) ?? d.unit_cost ?? model.money.unit_cost;
    const price = (ov && ov.unit_price) ?? d.unit_price ?? model.money.unit_price;
    const interval = d.interval || (f && f.interval);
    const facts = pairs([
      ['Season forecast', `${units(d.total_forecast)} units`],
      interval ? ['Forecast interval', `${pct(interval.level)}: ${units(interval.low)} to ${units(interval.high)} units`] : null,
      f && f.members ? ['Ensemble members', f.members.map((m) => `${words(m.model)} ${units(m.total)}`).join(' · ')] : null,
      ['Safety stock', pct(d.safety_stock_pct, 1)],
      ['Order', h('strong', { 'data-testid': 'approval-order' }, `${units(d.manufacturing_qty)} units`)],
      cost ? ['Order cost', h('span', { 'data-testid': 'order-cost' }, `${money(d.manufacturing_qty * cost, cur)} (${money(cost, cur, 2)} a unit)`)] : null,
      ov ? ['Expected revenue', h('span', { 'data-testid': 'order-revenue' }, `${money(ov.proposed.expected_revenue, cur)} (${units(ov.proposed.expected_sold_units)} units expected to sell at ${money(price, cur, 2)})`)] : null,
      ov ? ['Expected leftover', `${units(ov.proposed.expected_leftover_units)} units, worth ${money(ov.proposed.expected_salvage, cur)} at salvage (${money(ov.salvage_value, cur, 2)} a unit)`] : null,
      ov && ov.chase ? ['Expected second buy', h('span', { 'data-testid': 'order-chase' }, `${units(ov.proposed.expected_chased_units)} units re-bought in season at ${money(ov.chase.unit_cost, cur, 2)} a unit, adding ${money(ov.proposed.expected_chase_margin, cur)}`)] : null,
      ov ? ['Expected margin', h('strong', { 'data-testid': 'order-margin' }, money(ov.proposed.expected_margin, cur))] : null,
      ov ? ['Chance of selling out', pct(ov.proposed.sell_out_probability)] : null,
      !ov && price ? ['Forecast at full price', `${money(d.total_forecast * price, cur)} of sales (${money(price, cur, 2)} a unit)`] : null,
    ]);
    const why = { proposed: 'this order', forecast: 'the forecast', best: 'the most margin', scaled: '' };
    // The table is the deciding policy's own valuation (engine::report::order_valuation):
    // under margin the proposal is the best row; seed and rule do not weigh money, and
    // the note says how their order compares.
    const best = ov && ov.alternatives.find((a) => a.kind === 'best');
    const weighs = ov && ov.policy === 'margin';
    const alternatives = ov ? h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Other order sizes' }, h('table', { class: 'data compact', 'data-testid': 'order-alternatives' },
      h('caption', {}, `Other order sizes (${cur}): expected before any markdown, as the report counts gross margin${ov.chase ? ', with the second buy the policy leaves room for' : ''}`),
      h('thead', {}, h('tr', {}, ['Units', '', 'Cost', 'Expected revenue', 'Expected margin', 'Difference'].map((c, i) => h('th', { scope: 'col', class: i !== 1 ? 'num' : '' }, c)))),
      h('tbody', {}, ov.alternatives.map((a) => h('tr', { class: a.kind === 'proposed' ? 'chosen' : '', 'data-kind': a.kind },
        h('th', { scope: 'row', class: 'num' }, units(a.order_units)),
        h('td', { class: 'muted small' }, a.kind === 'proposed' && !best ? 'this order, the most margin' : why[a.kind] || `${a.order_units > ov.order_units ? '+' : ''}${pct(a.order_units / ov.order_units - 1)}`),
        h('td', { class: 'num' }, money(a.cost, cur)),
        h('td', { class: 'num' }, money(a.expected_revenue, cur)),
        h('td', { class: 'num' }, money(a.expected_margin, cur)),
        h('td', { class: 'num' }, a.kind === 'proposed' ? '—' : `${a.expected_margin >= ov.proposed.expected_margin ? '+' : '−'}${money(Math.abs(a.expected_margin - ov.proposed.expected_margin), cur)}`)))))) : null;
    const chaseWords = ov && ov.chase ? `, plus the margin of re-buying ${pct(ov.chase.chaseable_share)} of any shortfall in season (the weeks a second buy can still reach)` : '';
    const verdict = !ov ? '' : weighs
      ? (best ? ` The margin policy ordered at its own valuation; the best size differs from it by rounding or a change made to the order.` : ' The margin policy chose this size because it earns the most under this valuation.')
      : best ? ` The ${ov.policy} policy orders the forecast plus a fixed safety stock and does not weigh money: under this valuation ${units(best.order_units)} units would earn ${money(Math.abs(best.expected_margin - ov.proposed.expected_margin), cur)} more.` : ` The ${ov.policy} policy orders the forecast plus a fixed safety stock; it happens to be the size that earns the most here.`;
    const spread = ov ? h('p', { class: 'muted small', 'data-testid': 'order-valuation-note' }, `Valued under season demand with a median of ${units(ov.demand.median_units)} units and an 80% range of ${units(ov.demand.p10_units)} to ${units(ov.demand.p90_units)}: revenue at full price plus leftovers at salvage, less the order's cost${chaseWords}.${verdict}`) : null;
    const qty = h('input', { id: 'mod-qty', type: 'number', min: 1, step: 1, value: d.manufacturing_qty, 'data-testid': 'modify-qty' });
    const ss = h('input', { id: 'mod-ss', type: 'number', min: 0, max: 100, step: 'any', value: Math.round((d.safety_stock_pct || 0) * 1000) / 10, 'data-testid': 'modify-safety-stock' });
    const byQty = h('input', { type: 'radio', name: 'mod', id: 'mod-by-qty', checked: true });
    const bySs = h('input', { type: 'radio', name: 'mod', id: 'mod-by-ss' });
    const err = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'modify-error' });
    const modify = h('fieldset', { class: 'modify', hidden: true },
      h('legend', {}, 'Change the order'),
      h('div', { class: 'row' }, byQty, h('label', { for: 'mod-by-qty' }, 'Order quantity (units) '), qty),
      h('div', { class: 'row' }, bySs, h('label', { for: 'mod-by-ss' }, 'or safety stock (%) '), ss),
      err,
      h('button', { type: 'button', class: 'primary', 'data-answer': 'send', 'data-testid': 'approval-send', onclick: () => {
        err.textContent = '';
        let mods;
        if (byQty.checked) {
          const n = Number(qty.value);
          if (!Number.isInteger(n) || n < 1) return void (err.textContent = 'The order must be a whole number of units, at least 1.');
          if (d.total_forecast && n > 10 * d.total_forecast) return void (err.textContent = `At most ten times the forecast (${units(10 * d.total_forecast)} units).`);
          mods = { manufacturing_qty: n };
        } else {
          const p = Number(ss.value);
          if (!Number.isFinite(p) || p < 0 || p > 100) return void (err.textContent = 'Safety stock is a percentage from 0 to 100.');
          mods = { safety_stock_pct: p / 100 };
        }
        send({ action: 'modify', modifications: mods }, err);
      } }, 'Send the change'));
    return h('div', {}, facts, alternatives, spread, modify, h('div', { class: 'actions' },
      h('button', { type: 'button', 'data-answer': 'modify', 'data-testid': 'approval-modify', onclick: () => { modify.hidden = false; qty.focus(); } }, 'Modify…'),
      h('button', { type: 'button', class: 'primary', 'data-answer': 'accept', 'data-testid': 'approval-accept', onclick: () => send({ action: 'accept' }) }, 'Accept the order')));
  }

  /** A week's store-to-store transfers: each move, its totals, and a cut to a size. */
  transfer(approval, model, send) {
    const d = approval.data || {};
    const b = d.batch || { transfers: [] };
    const cur = d.currency || model.money.currency || (model.tunables && model.tunables.currency);
    const facts = pairs([
      ['Units to move', h('strong', { 'data-testid': 'approval-transfer-units' }, `${units(b.units)} units`)],
      ['Ships without asking up to', `${units(d.approval_units)} units`],
      ['Expected gain', `${money(b.expected_gain, cur)} of sales that would otherwise be salvaged`],
      ['Transfer cost', money(b.cost, cur)],
    ]);
    const cover = (w) => (w === null || w === undefined ? 'no sales expected' : `${w.toFixed(1)} wk`);
    const table = h('table', { class: 'data compact', 'data-testid': 'approval-transfers' },
      h('caption', {}, 'Moves, most urgent first'),
      h('thead', {}, h('tr', {}, ['From', 'To', 'Units', 'Giver cover', 'Receiver cover', 'Expected gain', 'Cost'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, b.transfers.map((t) => h('tr', {},
        h('td', {}, t.from_store), h('td', {}, t.to_store), h('td', { class: 'num' }, units(t.units)),
        h('td', { class: 'num' }, cover(t.donor_weeks_of_cover)), h('td', { class: 'num' }, cover(t.receiver_weeks_of_cover)),
        h('td', { class: 'num' }, money(t.expected_gain, cur)), h('td', { class: 'num' }, money(t.cost, cur, 2))))));
    const size = h('input', { id: 'mod-transfer', type: 'number', min: 0, max: b.units, step: 1, value: b.units, 'data-testid': 'modify-transfer-units' });
    const err = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'modify-error' });
    const modify = h('fieldset', { class: 'modify', hidden: true },
      h('legend', {}, 'Move fewer units'),
      h('div', { class: 'row' }, h('label', { for: 'mod-transfer' }, 'At most (units) '), size),
      err,
      h('button', { type: 'button', class: 'primary', 'data-answer': 'send', 'data-testid': 'approval-send', onclick: () => {
        const n = Number(size.value);
        if (!Number.isInteger(n) || n < 0) return void (err.textContent = 'A whole number of units, 0 or more.');
        send({ action: 'modify', modifications: { transfer_units: n } }, err);
      } }, 'Send the change'));
    return h('div', {}, facts, table, modify, h('div', { class: 'actions' },
      h('button', { type: 'button', 'data-answer': 'decline', 'data-testid': 'approval-decline', onclick: () => send({ action: 'modify', modifications: { transfer_units: 0 } }) }, 'Decline (move nothing)'),
      h('button', { type: 'button', 'data-answer': 'modify', 'data-testid': 'approval-modify', onclick: () => { modify.hidden = false; size.focus(); } }, 'Modify…'),
      h('button', { type: 'button', class: 'primary', 'data-answer': 'accept', 'data-testid': 'approval-accept', onclick: () => send({ action: 'accept' }) }, `Move ${units(b.units)} units`)));
  }

  /** A second buy: units, unit cost with its premium, arrival, and the margin it adds. */
  reorder(approval, model, send) {
    const d = approval.data || {};
    const p = d.plan || {};
    const cur = d.currency || model.money.currency || (model.tunables && model.tunables.currency);
    const facts = pairs([
      ['Units to reorder', h('strong', { 'data-testid': 'approval-reorder-units' }, `${units(p.units)} units`)],
      ['Unit cost (with the quick-response premium)', money(p.unit_cost, cur, 2)],
      ['Cost', money(p.cost, cur)],
      ['Lands at the DC', `after week ${p.arrival_week}`],
      ['Demand left (expected)', `${units(Math.round(p.expected_demand || 0))} units against ${units(p.units_held)} held or on order`],
      ['Expected margin added', h('strong', { 'data-testid': 'approval-reorder-gain' }, money(p.expected_gain, cur))],
    ]);
    const size = h('input', { id: 'mod-reorder', type: 'number', min: 0, step: 1, value: p.units, 'data-testid': 'modify-reorder-units' });
    const err = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'modify-error' });
    const modify = h('fieldset', { class: 'modify', hidden: true },
      h('legend', {}, 'Reorder another quantity'),
      h('div', { class: 'row' }, h('label', { for: 'mod-reorder' }, 'Units '), size),
      err,
      h('button', { type: 'button', class: 'primary', 'data-answer': 'send', 'data-testid': 'approval-send', onclick: () => {
        const n = Number(size.value);
        if (!Number.isInteger(n) || n < 0) return void (err.textContent = 'A whole number of units, 0 or more.');
        send({ action: 'modify', modifications: { reorder_units: n } }, err);
      } }, 'Send the change'));
    return h('div', {}, facts, modify, h('div', { class: 'actions' },
      h('button', { type: 'button', 'data-answer': 'decline', 'data-testid': 'approval-decline', onclick: () => send({ action: 'modify', modifications: { reorder_units: 0 } }) }, 'Decline (buy nothing)'),
      h('button', { type: 'button', 'data-answer': 'modify', 'data-testid': 'approval-modify', onclick: () => { modify.hidden = false; size.focus(); } }, 'Modify…'),
      h('button', { type: 'button', class: 'primary', 'data-answer': 'accept', 'data-testid': 'approval-accept', onclick: () => send({ action: 'accept' }) }, `Reorder ${units(p.units)} units`)));
  }

  /** Any other kind: what it proposes, and accept. */
  other(approval, model, send) {
    const d = approval.data || {};
    const facts = pairs(Object.entries(d).filter(([, v]) => typeof v !== 'object').map(([k, v]) => [fieldLabel(k), typeof v === 'number' ? units(v) : String(v)]));
    return h('div', {}, facts, h('div', { class: 'actions' },
      (approval.options || ['accept']).includes('accept')
        ? h('button', { type: 'button', class: 'primary', 'data-answer': 'accept', 'data-testid': 'approval-accept', onclick: () => send({ action: 'accept' }) }, 'Accept')
        : null));
  }

  markdown(approval, model, send) {
    const d = approval.data || {};
    const p = d.proposal || {};
    const sellThrough = d.sell_through ?? p.sell_through;
    const threshold = d.threshold ?? p.target;
    const plan = d.plan_sell_through;
    // A modified markdown is asked again without its depths: they are those of the
    // first asking at the same week.
    let depths = d.depths || [];
    if (!depths.length) {
      for (const a of model.approvals.values()) {
        if (a.kind === 'markdown' && a.data && a.data.week === d.week && (a.data.depths || []).length) depths = a.data.depths;
      }
    }
    const cur = model.money.currency || (model.tunables && model.tunables.currency);
    const facts = pairs([
      ['Sell-through at the check', h('strong', {}, pct(sellThrough, 1))],
      ['Against the threshold', `${pct(threshold, 1)} (${sellThrough < threshold ? `${pct(threshold - sellThrough, 1)} short` : 'met'})`],
      plan !== undefined && plan !== null ? ['Against the plan', `${pct(plan, 1)} expected by now (${sellThrough < plan ? `${pct(plan - sellThrough, 1)} behind` : 'ahead'})`] : null,
      ['Proposal', h('strong', { 'data-testid': 'approval-markdown' }, `${pct(p.markdown_pct)} off`)],
      p.expected_demand_lift_pct !== undefined ? ['Expected demand lift', pct(p.expected_demand_lift_pct)] : null,
    ]);
    const table = depths.length ? h('table', { class: 'data compact', 'data-testid': 'markdown-depths' },
      h('caption', {}, `Depths considered: expected margin of the weeks left${cur ? ` (${cur})` : ''}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Markdown'), h('th', { scope: 'col', class: 'num' }, 'Expected margin, weeks left'))),
      h('tbody', {}, depths.map((x) => h('tr', { class: Math.abs(x.markdown_pct - p.markdown_pct) < 1e-9 ? 'chosen' : '' },
        h('th', { scope: 'row' }, pct(x.markdown_pct)), h('td', { class: 'num' }, money(x.expected_margin, cur)))))) : null;
    const note = depths.length ? h('p', { class: 'muted small' }, 'Revenue of the remaining weeks at each depth plus the salvage of what is left; the season report\'s gross margin adds the weeks already sold and subtracts the cost of the order.') : null;
    const depth = h('input', { id: 'mod-md', type: 'number', min: 0, max: 90, step: 5, value: Math.round((p.markdown_pct || 0) * 100), 'data-testid': 'modify-markdown' });
    const err = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'modify-error' });
    const modify = h('fieldset', { class: 'modify', hidden: true },
      h('legend', {}, 'Another depth'),
      h('div', { class: 'row' }, h('label', { for: 'mod-md' }, 'Markdown (%) '), depth),
      err,
      h('button', { type: 'button', class: 'primary', 'data-answer': 'send', 'data-testid': 'approval-send', onclick: () => {
        const v = Number(depth.value);
        if (!Number.isFinite(v) || v < 0 || v >= 100) return void (err.textContent = 'A markdown is a percentage from 0 to 99.');
        send({ action: 'modify', modifications: { markdown_pct: v / 100 } }, err);
      } }, 'Send the change'));
    return h('div', {}, facts, table, note, modify, h('div', { class: 'actions' },
      h('button', { type: 'button', 'data-answer': 'decline', 'data-testid': 'approval-decline', onclick: () => send({ action: 'modify', modifications: { markdown_pct: 0 } }) }, 'Decline (no markdown)'),
      h('button', { type: 'button', 'data-answer': 'modify', 'data-testid': 'approval-modify', onclick: () => { modify.hidden = false; depth.focus(); } }, 'Modify…'),
      h('button', { type: 'button', class: 'primary', 'data-answer': 'accept', 'data-testid': 'approval-accept', onclick: () => send({ action: 'accept' }) }, `Accept ${pct(p.markdown_pct)}`)));
  }
}
