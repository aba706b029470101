/* global document, window, fetch, performance, EventSource, URLSearchParams, uPlot */
// The ops dashboard page. Plain JavaScript served as is (no build step, no eval, no innerHTML:
// agent ids, hosts and labels are untrusted and only ever set as textContent). Everything it keeps
// is bounded: the chart rings have a fixed size and the tables reuse a fixed number of rows.
'use strict';

const FINE_POINTS = 300;
const COARSE_POINTS = 360;
const COARSE_STEP_MS = 10_000;
const SERIES = ['in', 'out', 'errors', 'drops', 'p50', 'p99'];
const PAGE_SIZE = 50;

const $ = (id) => document.getElementById(id);

/** A fixed-capacity ring of points (time + the series), read as uPlot columns. */
class Ring {
  constructor(cap) {
    this.cap = cap;
    this.t = [];
    this.cols = Object.fromEntries(SERIES.map((s) => [s, []]));
    this.next = 0;
  }
  push(t, p) {
    if (this.t.length < this.cap) {
      this.t.push(t);
      for (const s of SERIES) this.cols[s].push(p[s]);
      return;
    }
    this.t[this.next] = t;
    for (const s of SERIES) this.cols[s][this.next] = p[s];
    this.next = (this.next + 1) % this.cap;
  }
  load(columns) {
    this.t = [];
    this.cols = Object.fromEntries(SERIES.map((s) => [s, []]));
    this.next = 0;
    const n = columns.t.length;
    for (let i = Math.max(0, n - this.cap); i < n; i++) {
      const p = {};
      for (const s of SERIES) p[s] = columns.series[s][i];
      this.push(columns.t[i], p);
    }
  }
  column(name) {
    const src = name === 't' ? this.t : this.cols[name];
    if (this.t.length < this.cap) return name === 't' ? src.map((v) => v / 1000) : src.slice();
    const out = src.slice(this.next).concat(src.slice(0, this.next));
    return name === 't' ? out.map((v) => v / 1000) : out;
  }
}

/** Averages the 1-second points into 10-second ones (p99: the max), as the server does. */
class Downsampler {
  constructor(ring) {
    this.ring = ring;
    this.bucket = -1;
    this.reset();
  }
  reset() {
    this.sum = Object.fromEntries(SERIES.map((s) => [s, 0]));
    this.cnt = Object.fromEntries(SERIES.map((s) => [s, 0]));
  }
  add(t, p) {
    const b = Math.floor(t / COARSE_STEP_MS);
    if (b !== this.bucket) {
      if (this.bucket >= 0 && SERIES.some((s) => this.cnt[s] > 0)) {
        const q = {};
        for (const s of SERIES)
          q[s] = this.cnt[s] === 0 ? null : s === 'p99' ? this.sum[s] : this.sum[s] / this.cnt[s];
        this.ring.push(this.bucket * COARSE_STEP_MS, q);
      }
      this.bucket = b;
      this.reset();
    }
    for (const s of SERIES) {
      const v = p[s];
      if (v === null || v === undefined) continue;
      this.sum[s] = s === 'p99' ? Math.max(this.sum[s], v) : this.sum[s] + v;
      this.cnt[s]++;
    }
  }
}

const state = {
  fine: new Ring(FINE_POINTS),
  coarse: new Ring(COARSE_POINTS),
  downsampler: null,
  source: null,
  charts: [],
  query: { sort: 'worst', order: '', filter: '', health: '', offset: 0 },
  total: 0,
  frames: 0,
};
state.downsampler = new Downsampler(state.coarse);

// ---------------------------------------------------------------------------------------------
// Formatting

function fmtRate(v) {
  if (v === null || v === undefined) return '–';
  if (v >= 1e6) return (v / 1e6).toFixed(2) + 'M';
  if (v >= 1e4) return (v / 1e3).toFixed(1) + 'k';
  return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}
function fmtMs(v) {
  if (v === null || v === undefined) return '–';
  return v >= 1000 ? (v / 1000).toFixed(v >= 10_000 ? 0 : 1) + ' s' : Math.round(v) + ' ms';
}
function fmtAgo(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  return Math.floor(s / 3600) + ' h ago';
}
function fmtBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}
function fmtTime(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}
function labelsText(labels) {
  return Object.keys(labels)
    .sort()
    .map((k) => k + '=' + labels[k])
    .join(' ');
}
function setText(id, text) {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Tables: a fixed set of rows reused frame after frame (the DOM never grows past the data shown).

/** Renders `items` into `tbody`: each cell is [text, className?]; rows are reused or removed. */
function renderRows(tbody, items, cells) {
  while (tbody.rows.length > items.length) tbody.deleteRow(-1);
  items.forEach((item, i) => {
    const values = cells(item);
    let row = tbody.rows[i];
    if (row === undefined) {
      row = tbody.insertRow();
      for (let k = 0; k < values.length; k++) row.insertCell();
    }
    values.forEach(([text, cls], k) => {
      const cell = row.cells[k];
      const t = text === undefined || text === null ? '' : String(text);
      if (cell.textContent !== t) cell.textContent = t;
      if (cell.title !== t) cell.title = t;
      const c = cls ?? '';
      if (cell.className !== c) cell.className = c;
    });
  });
}

function renderSources(frame) {
  const page = frame.page;
  const agents = page === null || page === undefined ? [] : page.agents;
  renderRows($('sources').tBodies[0], agents, (a) => [
    [a.health, 'health-' + a.health],
    [a.id],
    [a.host],
    [fmtAgo(frame.t - a.lastSeen)],
    [fmtRate(a.rateIn)],
    [fmtRate(a.rateOut)],
    [a.errors],
    [fmtRate(a.errorRate), a.errorRate > 0 ? 'error' : ''],
    [Math.round(a.bufferFill * 100) + '%'],
    [a.configVersion ?? a.configHash.slice(0, 12), a.configRejected ? 'error' : ''],
    [a.version],
    [a.healthReason ?? a.configRejected ?? a.lastError ?? ''],
  ]);
  state.total = page ? page.total : 0;
  $('sources-empty').hidden = agents.length > 0;
  const from = agents.length === 0 ? 0 : state.query.offset + 1;
  setText('page-info', from + '–' + (state.query.offset + agents.length) + ' of ' + state.total);
  $('prev').disabled = state.query.offset === 0;
  $('next').disabled = state.query.offset + PAGE_SIZE >= state.total;
}

function renderPipeline(frame) {
  renderRows($('destinations').tBodies[0], frame.destinations, (d) => [
    [d.name],
    [d.state, 'state-' + d.state],
    [fmtRate(d.rate)],
    [fmtRate(d.failureRate), d.failureRate > 0 ? 'error' : ''],
    [d.lagRecords],
    [d.ageSeconds + ' s'],
    [
      d.outputs.map((o) => o.output + ' (' + o.breaker + ', ' + fmtRate(o.rate) + '/s)').join(', '),
      worstBreaker(d),
    ],
  ]);
  renderRows($('routes').tBodies[0], frame.routes, (r) => [[r.route], [r.destination], [fmtRate(r.rate)]]);
}

function worstBreaker(d) {
  const order = ['closed', 'half-open', 'open'];
  let w = 'closed';
  for (const o of d.outputs) if (order.indexOf(o.breaker) > order.indexOf(w)) w = o.breaker;
  return 'breaker-' + w;
}

function renderEvents(frame) {
  renderRows($('alerts').tBodies[0], frame.alerts, (a) => [
    [a.status, a.status === 'firing' ? 'sev-' + a.severity : 'muted'],
    [a.severity, 'sev-' + a.severity],
    [a.alertname],
    [a.summary ?? labelsText(a.labels)],
    [a.value === null ? '' : fmtRate(a.value)],
    [a.startsAt === null ? '' : fmtTime(a.startsAt)],
  ]);
  $('alerts-empty').hidden = frame.alerts.length > 0;
  renderRows($('anomalies').tBodies[0], frame.anomalies, (x) => [
    [fmtTime(x.at)],
    [x.measurement + ' ' + labelsText(x.tags)],
    [x.field],
    [x.value === null ? '' : fmtRate(x.value)],
    [x.score === null ? '' : x.score.toFixed(2)],
    [x.reason ?? ''],
  ]);
  $('anomalies-empty').hidden = frame.anomalies.length > 0;
}

function renderTiles(frame) {
  setText('rate-in', fmtRate(frame.rates.in));
  setText('rate-out', fmtRate(frame.rates.out));
  setText('lat-p50', fmtMs(frame.latency.p50));
  setText('lat-p99', fmtMs(frame.latency.p99));
  setText('rate-errors', fmtRate(frame.rates.errors));
  setText('rate-drops', fmtRate(frame.rates.drops));
  const pct = Math.round(frame.spool.fill * 1000) / 10;
  setText('spool-fill', pct + '% (' + fmtBytes(frame.spool.bytes) + ')');
  $('spool-meter').value = frame.spool.fill;
  const status = $('status');
  setText('status', frame.status);
  status.className = 'badge ' + frame.status;
  const c = frame.fleet;
  setText(
    'fleet-counts',
    c ? c.healthy + ' healthy · ' + c.degraded + ' degraded · ' + c.silent + ' silent' : '',
  );
  setText('clock', fmtTime(frame.t));
  $('rate-errors').className = 'value' + (frame.rates.errors > 0 ? ' error' : '');
  $('rate-drops').className = 'value' + (frame.rates.drops > 0 ? ' error' : '');
}

// ---------------------------------------------------------------------------------------------
// Charts (uPlot): three small charts fed from one ring; the 1-hour range is downsampled to 10 s.

function makeCharts() {
  const width = Math.max(280, Math.min(520, Math.floor((window.innerWidth - 80) / 3)));
  const mk = (el, title, series, fmt) =>
    new uPlot(
      {
        title,
        width,
        height: 180,
        scales: { x: { time: true } },
        axes: [{ stroke: '#8a96a3' }, { stroke: '#8a96a3', values: (_u, vals) => vals.map(fmt), size: 60 }],
        series: [
          {},
          ...series.map(([label, stroke]) => ({ label, stroke, width: 1.5, points: { show: false } })),
        ],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      [[], ...series.map(() => [])],
      $(el),
    );
  state.charts = [
    {
      u: mk(
        'chart-rates',
        'events/s',
        [
          ['in', '#58a6ff'],
          ['out', '#3fb950'],
        ],
        fmtRate,
      ),
      cols: ['in', 'out'],
    },
    {
      u: mk(
        'chart-latency',
        'latency',
        [
          ['p50', '#d2a8ff'],
          ['p99', '#f778ba'],
        ],
        fmtMs,
      ),
      cols: ['p50', 'p99'],
    },
    {
      u: mk(
        'chart-errors',
        'errors & drops /s',
        [
          ['errors', '#f85149'],
          ['drops', '#d29922'],
        ],
        fmtRate,
      ),
      cols: ['errors', 'drops'],
    },
  ];
}

function drawCharts() {
  const ring = $('range').value === 'coarse' ? state.coarse : state.fine;
  const t = ring.column('t');
  for (const c of state.charts) c.u.setData([t, ...c.cols.map((s) => ring.column(s))]);
}

// ---------------------------------------------------------------------------------------------
// The event stream

function onFrame(frame) {
  const started = performance.now();
  const p = {
    in: frame.rates.in,
    out: frame.rates.out,
    errors: frame.rates.errors,
    drops: frame.rates.drops,
    p50: frame.latency.p50,
    p99: frame.latency.p99,
  };
  const fine = state.fine;
  if (fine.t.length === 0 || frame.t > fine.t[(fine.next - 1 + fine.t.length) % fine.t.length]) {
    fine.push(frame.t, p);
    state.downsampler.add(frame.t, p);
  }
  renderTiles(frame);
  renderPipeline(frame);
  renderEvents(frame);
  renderSources(frame);
  drawCharts();
  state.frames++;
  // For tests and the render benchmark: frames so far, the last frame's render time, and when
  // the first frame was on screen (ms since the navigation started).
  const body = document.body.dataset;
  body.frames = String(state.frames);
  body.renderMs = (performance.now() - started).toFixed(2);
  if (state.frames === 1) body.firstFrameMs = performance.now().toFixed(1);
}

function connect() {
  if (state.source !== null) state.source.close();
  const q = new URLSearchParams({
    sort: state.query.sort,
    offset: String(state.query.offset),
    limit: String(PAGE_SIZE),
  });
  if (state.query.order) q.set('order', state.query.order);
  if (state.query.filter) q.set('filter', state.query.filter);
  if (state.query.health) q.set('health', state.query.health);
  const es = new EventSource('/api/dashboard/events?' + q.toString());
  state.source = es;
  es.addEventListener('history', (e) => {
    const h = JSON.parse(e.data);
    state.fine.load(h.fine);
    state.coarse.load(h.coarse);
    state.downsampler = new Downsampler(state.coarse);
  });
  es.addEventListener('frame', (e) => onFrame(JSON.parse(e.data)));
  es.addEventListener('open', () => (document.body.dataset.connected = 'true'));
  es.addEventListener('error', () => {
    document.body.dataset.connected = 'false';
    setText('status', 'reconnecting');
    $('status').className = 'badge stopped';
    // A 401 closes the stream for good: the session expired or the collector restarted.
    if (es.readyState === EventSource.CLOSED) void checkSession();
  });
}

// ---------------------------------------------------------------------------------------------
// Login: the token goes once in a header; the session lives in an HttpOnly cookie.

async function checkSession() {
  const r = await fetch('/api/dashboard/session', { credentials: 'same-origin' });
  const s = await r.json();
  if (s.authenticated) return show();
  $('main').hidden = true;
  $('login').hidden = false;
  $('token').focus();
}

function show() {
  $('login').hidden = true;
  $('main').hidden = false;
  $('logout').hidden = false;
  if (state.charts.length === 0) makeCharts();
  connect();
}

async function login(e) {
  e.preventDefault();
  const input = $('token');
  const r = await fetch('/dashboard/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { authorization: 'Bearer ' + input.value },
  });
  input.value = '';
  if (r.ok) {
    setText('login-error', '');
    show();
  } else setText('login-error', r.status === 401 ? 'Wrong token.' : 'Login failed (' + r.status + ').');
}

async function logout() {
  if (state.source !== null) state.source.close();
  state.source = null;
  await fetch('/dashboard/logout', { method: 'POST', credentials: 'same-origin' });
  $('logout').hidden = true;
  await checkSession();
}

function requery(change) {
  Object.assign(state.query, change);
  connect();
}

let filterTimer = null;
function wire() {
  $('login-form').addEventListener('submit', (e) => void login(e));
  $('logout').addEventListener('click', () => void logout());
  $('range').addEventListener('change', drawCharts);
  $('filter').addEventListener('input', () => {
    window.clearTimeout(filterTimer);
    filterTimer = window.setTimeout(() => requery({ filter: $('filter').value.trim(), offset: 0 }), 300);
  });
  $('health').addEventListener('change', () => requery({ health: $('health').value, offset: 0 }));
  $('sort').addEventListener('change', () => requery({ sort: $('sort').value, offset: 0 }));
  $('order').addEventListener('change', () => requery({ order: $('order').value, offset: 0 }));
  $('prev').addEventListener('click', () => requery({ offset: Math.max(0, state.query.offset - PAGE_SIZE) }));
  $('next').addEventListener('click', () => requery({ offset: state.query.offset + PAGE_SIZE }));
}

wire();
void checkSession();
