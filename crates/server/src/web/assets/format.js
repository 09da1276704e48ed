// How numbers read to a planner: whole units with separators, fractions as rounded
// percentages, money with its currency. One place, so every view agrees.

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12345.6 → "12,346"; null → "—". */
export function units(n) {
  return n === null || n === undefined || Number.isNaN(n) ? '—' : intFmt.format(n);
}

/** The minus sign figures are written with (U+2212), not the hyphen. */
export const MINUS = '\u2212';

/** A number to `digits` places with a true minus; a value that rounds to 0 is unsigned. */
function fixed(v, digits) {
  let t = Number(v).toFixed(digits);
  if (Number(t) === 0) t = (0).toFixed(digits);
  return t.startsWith('-') ? `${MINUS}${t.slice(1)}` : t;
}

/** A fraction as a percentage: 0.1709 → "17%", −0.013 → "−1.3%" with digits 1. */
export function pct(f, digits = 0) {
  if (f === null || f === undefined || Number.isNaN(f)) return '—';
  return `${fixed(f * 100, digits)}%`;
}

/** A number already in percent: 31.94 → "31.9%". */
export function percent(p, digits = 1) {
  if (p === null || p === undefined || Number.isNaN(p)) return '—';
  return `${fixed(p, digits)}%`;
}

/** Money with its currency code: (1234.5, 'EUR') → "€1,235"; no code → "1,235". */
export function money(v, currency, digits = 0) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  // A value that rounds to zero (a -0.0 from the engine, say) reads "$0", never "-$0".
  if (Math.abs(v) < 0.5 * 10 ** -digits) v = 0;
  if (currency) {
    try {
      return formatter(currency, digits).format(v);
    } catch {
      // An unknown code: show it as it is.
    }
  }
  const text = formatter('', digits).format(v);
  return currency ? `${text} ${currency}` : text;
}

const formatters = new Map();

/** A money formatter per currency and digits, made once (tables show hundreds). */
function formatter(currency, digits) {
  const key = `${currency}|${digits}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat('en-US', currency
      ? { style: 'currency', currency, maximumFractionDigits: digits, minimumFractionDigits: digits }
      : { maximumFractionDigits: digits, minimumFractionDigits: digits });
    formatters.set(key, f);
  }
  return f;
}

/** Money in a chart's few characters: (7512345, 'USD') → "$7.5M". */
export function moneyShort(v, currency) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const opts = { notation: 'compact', maximumFractionDigits: 1 };
  try {
    return new Intl.NumberFormat('en-US', currency ? { ...opts, style: 'currency', currency } : opts).format(v);
  } catch {
    return `${new Intl.NumberFormat('en-US', opts).format(v)} ${currency}`;
  }
}

// Each timeline row shows its time: one formatter for all of them (making one
// per call costs more than the rest of the row).
const clockFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/** An RFC 3339 time as HH:MM:SS local time. */
export function clock(ts) {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? '' : clockFmt.format(d);
}

/** An RFC 3339 time as a short local date and time. */
export function when(ts) {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** A state name in words: waiting_mfg_approval → "waiting for order approval". */
export function stateLabel(state) {
  return {
    parameters_extracted: 'created',
    phase_1_forecasting: 'forecasting',
    waiting_mfg_approval: 'waiting for order approval',
    phase_2_allocation: 'allocating',
    phase_3_monitoring: 'in season',
    phase_3_replenishment: 'replenishing',
    phase_4_markdown_check: 'markdown check',
    waiting_markdown_approval: 'waiting for markdown approval',
    phase_5_reforecast: 're-forecasting',
    waiting_transfer_approval: 'waiting for transfer approval',
    waiting_reorder_approval: 'waiting for reorder approval',
    completed: 'completed',
    error: 'error',
  }[state] || (state || '').replaceAll('_', ' ');
}

/** snake_case → "Words like these". */
export function words(name) {
  const t = String(name || '').replaceAll('_', ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

const dayFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** An ISO date (YYYY-MM-DD) as "17 Feb 2025": one date style on every view. */
export function day(iso) {
  if (!iso) return '';
  const d = new Date(`${String(iso).slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? String(iso) : dayFmt.format(d);
}

/** The planner's words for the parameters and tunables the API names in snake_case. */
export const FIELD_LABELS = {
  forecast_horizon_weeks: 'Season length',
  season_start_date: 'First day of week 1',
  season_end_date: 'Last day of the season',
  replenishment_strategy: 'Replenishment from the DC',
  dc_holdback_percentage: 'Held back at the DC',
  markdown_checkpoint_week: 'Markdown check at week',
  markdown_threshold: 'Target sell-through at the check',
  safety_stock_pct: 'Safety stock',
  safety_stock_no_replenishment_pct: 'Safety stock without replenishment',
  markdown_demand_lift_per_pct: 'Demand lift per point of markdown',
  markdown_lift_saturation_pct: 'Markdown lift saturation',
  transfer_approval_units: 'Transfers asked for above (units)',
  markdown_elasticity: 'Markdown elasticity',
  markdown_cap_pct: 'Markdown cap',
  markdown_rounding_pct: 'Markdown rounding',
  variance_threshold_pct: 'Variance that triggers a re-forecast',
  emergency_variance_pct: 'Variance that raises a reorder alert',
  policy: 'Decision policy',
  unit_price: 'Unit price',
  unit_cost_ratio: 'Unit cost (share of the price)',
  salvage_ratio: 'Salvage value (share of the cost)',
  currency: 'Currency',
  transfer_cost_per_unit: 'Transfer cost per unit',
  season_level_sd: 'Season level uncertainty',
  manufacturing_qty: 'Order quantity',
  markdown_pct: 'Markdown',
  transfer_units: 'Units to move',
  reorder_units: 'Units to reorder',
  category: 'Category',
  date: 'Date',
  store_id: 'Store',
  quantity_sold: 'Units sold',
};

/** A field's label: the planner's word for it, or its name in words. */
export function fieldLabel(name) {
  const key = String(name || '').replace(/^(parameters|tunables|modifications)\./, '');
  return FIELD_LABELS[key] || words(key);
}

/**
 * A server message in the planner's words: Rust ranges ("1..=12") read "1 to 12",
 * snake_case field names become their labels, and long integers get separators.
 */
export function humanize(message) {
  return String(message || '')
    .replace(/(-?\d+(?:\.\d+)?)\s*\.\.=?\s*(-?\d+(?:\.\d+)?)/g, '$1 to $2')
    .replace(/\b([a-z]+(?:_[a-z0-9]+)+)\b/g, (m) => (FIELD_LABELS[m] ? FIELD_LABELS[m].charAt(0).toLowerCase() + FIELD_LABELS[m].slice(1) : m.replaceAll('_', ' ')))
    .replace(/(^|[\s(])(\d{4,})(?![\d\-/:A-Za-z_])/g, (m, pre, n) => (/^(19|20)\d\d$/.test(n) ? m : `${pre}${intFmt.format(Number(n))}`));
}
