// The dashboard page: a snapshot a second from /events (EventSource reconnects by itself; a refused stream is
// retried here), history from /dashboard/api/history for 1 h / 24 h and the drift chart, actions with the token.
import { observe, timeChart } from './charts.js';
import { ms, num, rate } from './format.js';
import { renderAlerts, renderClasses, renderConfidence, renderLowConfidence, renderModels, renderQuality, renderRollout } from './panels.js';

const $ = (id) => document.getElementById(id);
const state = { range: 'live', live: [], history: null, snap: null, token: '', actor: '', es: null };
const LIVE_POINTS = 300;

const charts = {
  traffic: timeChart($('c-traffic'), {
    title: 'Requests and errors (per second)', yLabel: 'per second', format: rate, tick: (v) => num(v, 1),
    series: [{ label: 'requests/s', color: '--c1' }, { label: 'errors/s (5xx)', color: '--bad' }, { label: 'rejected/s (4xx)', color: '--warn', dash: true }],
  }),
  latency: timeChart($('c-latency'), {
    title: 'Latency (ms)', yLabel: 'ms', format: ms, tick: (v) => num(v, 0), minMax: 10,
    series: [{ label: 'p50', color: '--c1' }, { label: 'p95', color: '--c2' }, { label: 'p99', color: '--c3' }, { label: 'SLO (p95)', color: '--bad', dash: true, width: 1, spanGaps: true }],
  }),
  batch: timeChart($('c-batch'), {
    title: 'Batch size and queue depth', yLabel: 'count', format: (v) => num(v, 1), tick: (v) => num(v, 0), minMax: 2,
    series: [{ label: 'mean batch (images/run)', color: '--c1' }, { label: 'queue depth (requests)', color: '--c2' }, { label: 'log queue (rows)', color: '--c3', dash: true }],
  }),
  drift: timeChart($('c-drift'), {
    title: 'Drift score ÷ threshold', yLabel: 'ratio', format: (v) => num(v, 2), tick: (v) => num(v, 1), minMax: 1.2,
    series: [{ label: 'threshold (1.0)', color: '--bad', dash: true, width: 1, spanGaps: true }],
  }),
};
for (const id of ['c-traffic', 'c-latency', 'c-batch', 'c-drift']) observe($(id));

// The drift chart's series depend on the detectors monitoring reports: rebuilt when that set changes.
let driftDetectors = '';
function drawDrift() {
  const drift = state.history?.drift;
  const note = $('drift-note');
  if (!drift) {
    note.hidden = false;
    note.textContent = state.snap && !state.snap.meta.monitoring ? 'Monitoring off: no drift detectors run on this server.' : 'Loading…';
    return;
  }
  const detectors = [...new Set(drift.map((d) => d.detector))].sort();
  note.hidden = detectors.length > 0;
  note.textContent = 'No detector windows in this range yet.';
  if (detectors.join() !== driftDetectors) {
    driftDetectors = detectors.join();
    $('c-drift').replaceChildren();
    const colors = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6'];
    charts.drift = timeChart($('c-drift'), {
      title: 'Drift score ÷ threshold', yLabel: 'ratio', format: (v) => num(v, 2), tick: (v) => num(v, 1), minMax: 1.2,
      series: [{ label: 'threshold (1.0)', color: '--bad', dash: true, width: 1, spanGaps: true }, ...detectors.map((d, i) => ({ label: d, color: colors[i % colors.length], spanGaps: true }))],
    });
  }
  const xs = [...new Set(drift.map((d) => d.windowEnd))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = detectors.map(() => new Array(xs.length).fill(null));
  for (const d of drift) ys[detectors.indexOf(d.detector)][index.get(d.windowEnd)] = d.threshold > 0 ? d.score / d.threshold : d.score;
  charts.drift.setData([xs.map((x) => x / 1000), xs.map(() => 1), ...ys]);
}

function drawSeries() {
  const slo = state.snap?.meta.latencySloMs ?? null;
  if (state.range === 'live') {
    const s = state.live;
    const x = s.map((p) => p.ts / 1000);
    charts.traffic.setData([x, s.map((p) => p.requestsPerSec), s.map((p) => p.errorsPerSec), s.map((p) => p.rejectedPerSec)]);
    charts.latency.setData([x, s.map((p) => p.p50), s.map((p) => p.p95), s.map((p) => p.p99), s.map(() => slo)]);
    charts.batch.setData([x, s.map((p) => p.meanBatch), s.map((p) => p.queueDepth), s.map((p) => p.logQueue)]);
    $('batch-note').hidden = true;
    $('latency-source').textContent = '(estimated from the histogram buckets, last 10 s)';
  } else if (state.history?.buckets) {
    const b = state.history.buckets;
    const x = b.map((p) => p.ts / 1000);
    charts.traffic.setData([x, b.map((p) => p.requestsPerSec), b.map((p) => p.errorsPerSec), b.map(() => null)]);
    charts.latency.setData([x, b.map((p) => p.p50), b.map((p) => p.p95), b.map((p) => p.p99), b.map(() => slo)]);
    charts.batch.setData([[], [], [], []]);
    $('batch-note').hidden = false;
    $('latency-source').textContent = `(from the prediction log, ${num(state.history.bucketMs / 60000, 0)}-min buckets, ${num(state.history.rows, 0)} predictions)`;
  }
}

const actionButtons = [...document.querySelectorAll('[data-action]')];

function render() {
  const snap = state.snap;
  if (!snap) return;
  $('model-name').textContent = snap.modelName;
  $('slo').textContent = ms(snap.meta.latencySloMs);
  $('lowconf').textContent = `${num(snap.meta.lowConfidence * 100, 0)} %`;
  $('readonly-note').hidden = !snap.meta.readOnly;
  const l = snap.live;
  $('traffic-now').textContent = l ? `now ${rate(l.requestsPerSec)}, errors ${rate(l.errorsPerSec)}` : '';
  $('traffic-now').dataset.requests = l ? String(l.requestsPerSec) : '0';
  $('latency-now').textContent = l ? `now p95 ${ms(l.p95)}` : '';
  $('batch-now').textContent = l ? `now ${num(l.meanBatch, 1)} images/run, ${num(l.queueDepth, 0)} queued` : '';
  renderClasses($('classes'), snap.store, snap.meta);
  $('classes-ref').textContent = snap.store?.classes.some((c) => c.reference !== null) ? ' against the reference' : '';
  renderConfidence($('confidence'), snap.store, snap.meta);
  renderQuality($('quality'), snap);
  renderAlerts($('alerts'), snap, acknowledge);
  renderRollout($('rollout'), actionButtons, snap);
  renderModels(document.querySelector('#models tbody'), snap.models);
  renderLowConfidence(document.querySelector('#lowconf-table tbody'), $('thumbs-note'), snap);
}

function onSnapshot(snap) {
  state.snap = snap;
  if (snap.live && state.live.at(-1)?.ts !== snap.live.ts) {
    state.live.push(snap.live);
    if (state.live.length > LIVE_POINTS) state.live.shift();
  }
  render();
  drawSeries();
  if (!state.history) drawDrift();
}

function connect() {
  const es = new EventSource('/events');
  state.es = es;
  es.addEventListener('open', () => ($('conn').textContent = 'live · a snapshot a second'));
  es.addEventListener('snapshot', (e) => onSnapshot(JSON.parse(e.data)));
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) {
      // Refused (too many dashboards open, or the server restarting): try again later.
      $('conn').textContent = 'disconnected: retrying in 10 s';
      setTimeout(connect, 10_000);
    } else {
      $('conn').textContent = 'reconnecting…';
    }
  });
}

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function loadHistory() {
  const range = state.range === 'live' ? '5m' : state.range;
  try {
    // Live draws traffic from the stream: only the drift scores are needed from the history.
    state.history = await getJson(`/dashboard/api/history?range=${range}${state.range === 'live' ? '&only=monitoring' : ''}`);
    $('drift-range').textContent = { '5m': 'last 5 minutes', '1h': 'last hour', '24h': 'last 24 hours' }[range];
    drawDrift();
    drawSeries();
  } catch (err) {
    $('conn').textContent = `history: ${err.message}`;
  }
}

for (const b of document.querySelectorAll('[data-range]')) {
  b.addEventListener('click', () => {
    state.range = b.dataset.range;
    for (const o of document.querySelectorAll('[data-range]')) o.setAttribute('aria-pressed', String(o === b));
    state.history = null;
    void loadHistory();
    drawSeries();
  });
}

function say(text, ok) {
  const el = $('action-msg');
  el.textContent = text;
  el.className = ok ? 'ok' : 'bad';
}

$('unlock').addEventListener('click', () => {
  state.token = $('token').value;
  state.actor = $('actor').value.trim();
  $('unlock-state').textContent = state.token ? `actions as ${state.actor || '(say who you are)'}` : 'actions locked';
});

async function act(url, body, what) {
  const headers = { 'Content-Type': 'application/json' };
  if (state.token) headers['X-Dashboard-Token'] = state.token;
  try {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ actor: state.actor || $('actor').value.trim(), ...body }) });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) return say(`Refused (HTTP ${res.status}): ${answer.error?.message ?? res.statusText}`, false);
    say(`${what}: done.`, true);
    if (answer.rollout && state.snap) onSnapshot({ ...state.snap, rollout: answer.rollout });
  } catch (err) {
    say(`${what} failed: ${err.message}`, false);
  }
}

for (const b of actionButtons) {
  b.addEventListener('click', () => {
    const action = b.dataset.action;
    if ((action === 'abort' || action === 'promote') && !window.confirm(`${action} the rollout of ${state.snap?.modelName}?`)) return;
    void act(`/dashboard/api/rollout/${action}`, { reason: `${action} from the dashboard` }, `${action[0].toUpperCase()}${action.slice(1)}`);
  });
}

function acknowledge(id) {
  void act(`/dashboard/api/alerts/${encodeURIComponent(id)}/ack`, {}, 'Acknowledged');
}

// Live points from before the page opened, then the stream; history for the drift chart (and 1 h / 24 h).
try {
  state.live = (await getJson('/dashboard/api/live')).samples.slice(-LIVE_POINTS);
} catch {}
connect();
void loadHistory();
setInterval(() => void loadHistory(), 15_000);
