// How numbers read to a planner: whole units with separators, fractions as rounded
// percentages, money with its currency. One place, so every view agrees.

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12345.6 → "12,346"; null → "—". */
export function units(n) {
  return n === null || n === undefined || Number.isNaN(n) ? '—' : intFmt.format(n);
}

/** A fraction as a percentage: 0.1709 → "17%" (digits after the point optional). */
export function pct(f, digits = 0) {
  if (f === null || f === undefined || Number.isNaN(f)) return '—';
  return `${(f * 100).toFixed(digits)}%`;
}

/** A number already in percent: 31.94 → "31.9%". */
export function percent(p, digits = 1) {
  if (p === null || p === undefined || Number.isNaN(p)) return '—';
  return `${Number(p).toFixed(digits)}%`;
}

/** Money with its currency code: (1234.5, 'EUR') → "€1,235"; no code → "1,235". */
export function money(v, currency, digits = 0) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (currency) {
    try {
      return new Intl.NumberFormat('en-US', {
        style: 'currency', currency, maximumFractionDigits: digits, minimumFractionDigits: digits,
      }).format(v);
    } catch {
      // An unknown code: show it as it is.
    }
  }
  const text = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v);
  return currency ? `${text} ${currency}` : text;
}

/** An RFC 3339 time as HH:MM:SS local time. */
export function clock(ts) {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString('en-GB', { hour12: false });
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
    completed: 'completed',
    error: 'error',
  }[state] || (state || '').replaceAll('_', ' ');
}

/** snake_case → "Words like these". */
export function words(name) {
  const t = String(name || '').replaceAll('_', ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}
