// The floor for scripts/fifty_dashboards.mjs (MINIMAL=1): a page that does the
// least a live timeline can do, served in place of the dashboard's app.js. It
// opens the season's stream, and in one animation frame per burst puts a row per
// event at the top of a list, with the same test ids and the <time> the bench
// reads. No header, no charts, no styles. What fifty of these cost on a machine
// is what any dashboard there costs at least. `window.MINIMAL_UNBATCHED` (set by
// the bench with MINIMAL_UNBATCHED=1) asks for one event per message.

document.body.innerHTML = '<h1>minimal</h1><span data-testid="connection-status" data-state="connecting">live</span><div id="season-panel"></div><ol data-testid="event-timeline"></ol>';
const id = decodeURIComponent(location.hash.split('/')[2] || '');
const conn = document.querySelector('[data-testid=connection-status]');
const list = document.querySelector('ol');
const batch = window.MINIMAL_UNBATCHED ? '' : '&batch=true';
const ws = new WebSocket(`ws://${location.host}/api/workflows/${encodeURIComponent(id)}/stream?after=0${batch}`);
ws.onopen = () => { conn.dataset.state = 'live'; };
let queue = [];
let frame = 0;
ws.onmessage = (e) => {
  const parsed = JSON.parse(e.data);
  for (const m of Array.isArray(parsed) ? parsed : [parsed]) if (m.seq) queue.push(m);
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const rows = document.createDocumentFragment();
    for (const m of queue) {
      const li = document.createElement('li');
      li.dataset.seq = m.seq;
      const t = document.createElement('time');
      t.setAttribute('datetime', m.timestamp);
      t.textContent = m.timestamp;
      li.append(t, ` ${m.event || m.type} ${m.message || ''}`);
      rows.prepend(li);
      conn.dataset.lastSeq = m.seq;
    }
    queue = [];
    list.prepend(rows);
  });
};
