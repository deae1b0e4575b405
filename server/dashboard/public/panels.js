// The non-chart panels, built with DOM calls (never innerHTML: every string from the server is text).
import { ago, dash, dateTime, ms, num, pct, time } from './format.js';

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** `el.replaceChildren` for lists that may hold nulls and nested arrays. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(2).filter((c) => c !== null && c !== undefined && c !== false));
}

const bar = (share, cls = 'bar') => {
  const b = h('span', { class: cls, 'aria-hidden': 'true' });
  b.style.width = `${Math.max(0, Math.min(100, share * 100))}%`;
  return b;
};

export function renderClasses(el, store, meta) {
  if (!store || store.classes.length === 0) return fill(el, h('p', { class: 'note', text: 'No predictions in the last 5 minutes.' }));
  const hasRef = store.classes.some((c) => c.reference !== null);
  const legend = h('p', { class: 'legend' }, h('span', { class: 'key live' }), ' live share', hasRef ? [h('span', { class: 'key ref' }), ' reference share'] : ' · no reference (monitoring does not provide one)');
  const rows = store.classes.map((c) =>
    h('tr', {},
      h('th', { scope: 'row', text: c.class }),
      h('td', { class: 'barcell' }, h('span', { class: 'track' }, bar(c.share)), hasRef ? h('span', { class: 'track' }, bar(c.reference ?? 0, 'bar ref')) : null),
      h('td', { class: 'num', text: pct(c.share) }),
      hasRef ? h('td', { class: 'num', text: pct(c.reference) }) : null,
      h('td', { class: 'num', text: num(c.count, 0) }),
    ),
  );
  const head = h('tr', {}, h('th', { scope: 'col', text: 'Class' }), h('th', { scope: 'col', text: 'Share' }), h('th', { scope: 'col', class: 'num', text: 'Live' }), hasRef ? h('th', { scope: 'col', class: 'num', text: 'Reference' }) : null, h('th', { scope: 'col', class: 'num', text: 'Count' }));
  fill(el, legend, h('table', { class: 'classes' }, h('thead', {}, head), h('tbody', {}, rows)), h('p', { class: 'legend', text: `${num(store.rows, 0)} predictions` }));
}

export function renderConfidence(el, store, meta) {
  const bins = store?.confidence ?? new Array(10).fill(0);
  const max = Math.max(1, ...bins);
  const total = bins.reduce((a, b) => a + b, 0);
  const cols = bins.map((n, i) => {
    const b = h('span', { class: `col${i / 10 < meta.lowConfidence ? ' low' : ''}` });
    b.style.height = `${(n / max) * 100}%`;
    return h('div', { class: 'bin', title: `${i * 10}–${i * 10 + 10} %: ${n} predictions` }, h('span', { class: 'count', text: num(n, 0) }), h('span', { class: 'colwrap' }, b), h('span', { class: 'label', text: `${i * 10}` }));
  });
  fill(el,
    h('div', { class: 'bins', role: 'img', 'aria-label': `Confidence histogram of ${total} predictions: ${bins.map((n, i) => `${i * 10}-${i * 10 + 10} %: ${n}`).join(', ')}` }, cols),
    h('p', { class: 'legend' }, h('span', { class: 'key live' }), ' predictions · ', h('span', { class: 'key low' }), ' below the low-confidence line · x: top-1 probability in %, bins of 10'),
  );
}

export function renderQuality(el, snap) {
  const tile = (label, value, detail) => h('div', { class: 'tile' }, h('dt', { text: label }), h('dd', {}, h('strong', { text: value }), detail ? h('span', { class: 'muted', text: ` ${detail}` }) : null));
  const m = snap.monitoring;
  const off = snap.meta.monitoring ? 'no window yet' : 'monitoring off';
  const oos = m?.outOfScope;
  const cbpe = m?.labelFreeAccuracy;
  const fb = snap.store?.feedback;
  fill(el,
    tile('Out-of-scope share', oos ? pct(oos.score) : dash, oos ? `threshold ${pct(oos.threshold)} · ${oos.verdict}` : off),
    tile('Label-free accuracy (estimated)', cbpe ? pct(cbpe.score) : dash, cbpe ? `${cbpe.detector} · ${cbpe.verdict}` : off),
    tile('Feedback accuracy', fb?.accuracy != null ? pct(fb.accuracy) : dash, fb ? `${num(fb.labelled, 0)} labelled` : 'no prediction store (labels live there)'),
  );
}

export function renderAlerts(el, snap, onAck) {
  if (!snap.meta.monitoring) return fill(el, h('li', { class: 'note', text: 'Monitoring off: no drift detectors, no alerts.' }));
  const alerts = snap.monitoring?.alerts ?? [];
  if (alerts.length === 0) return fill(el, h('li', { class: 'muted', text: 'No alerts in the last 24 hours.' }));
  fill(el,
    ...alerts.map((a) =>
      h('li', { class: a.acknowledgedBy ? 'acked' : 'open' },
        h('strong', { text: a.detector }), ` ${a.message} `, h('span', { class: 'muted', text: `${dateTime(a.ts)}` }),
        a.acknowledgedBy
          ? h('span', { class: 'muted', text: ` · acknowledged by ${a.acknowledgedBy} ${ago(a.acknowledgedAt)}` })
          : h('button', { type: 'button', class: 'small', onclick: () => onAck(a.id), text: 'Acknowledge' }),
        a.command ? h('code', { class: 'cmd', text: a.command }) : null,
      ),
    ),
  );
}

const PHASE_ACTIONS = { progressing: ['pause', 'abort', 'promote'], paused: ['resume', 'abort', 'promote'] };

export function renderRollout(el, buttons, snap) {
  const r = snap.rollout;
  if (!snap.meta.rollouts || !r) {
    fill(el, h('p', { class: 'note', id: 'rollout-phase', 'data-phase': 'none', text: snap.meta.rollouts ? 'No rollout for this model.' : 'No rollout: this server runs without rollouts.' }));
    for (const b of buttons) b.disabled = true;
    return;
  }
  const allowed = PHASE_ACTIONS[r.phase] ?? [];
  for (const b of buttons) b.disabled = !allowed.includes(b.dataset.action);
  const stats = new Map((snap.store?.variants ?? []).map((v) => [v.variant, v]));
  const head = h('p', { class: 'rollout-head' },
    h('strong', { text: `${r.strategy} ${r.id}` }), ' · phase ',
    h('span', { id: 'rollout-phase', class: `phase ${r.phase}`, 'data-phase': r.phase, text: r.phase.replace('_', ' ') }),
    ` · step ${r.currentStep + 1} of ${r.steps.length} · started ${dateTime(r.startedAt)} · updated ${ago(r.updatedAt)}`);
  const steps = h('ol', { class: 'timeline', 'aria-label': 'Rollout steps' },
    r.steps.map((s) => {
      const state = s.finishedAt ? 'done' : s.index === r.currentStep && s.startedAt ? 'current' : 'pending';
      return h('li', { class: state, 'aria-current': state === 'current' ? 'step' : null },
        h('span', { class: 'step-label', text: s.label }),
        h('span', { class: 'muted', text: s.startedAt ? ` ${time(s.startedAt)}${s.finishedAt ? `–${time(s.finishedAt)}` : ' …'}` : ' pending' }));
    }));
  const vhead = h('tr', {}, ...['Variant', 'Model', 'Weight', 'Traffic share', 'p50', 'p95', 'Errors', 'Agreement', 'Accuracy'].map((t) => h('th', { scope: 'col', text: t })));
  const vrows = r.variants.map((v) => {
    const s = stats.get(v.variant);
    return h('tr', {},
      h('th', { scope: 'row', text: `${v.variant}${v.role === 'shadow' ? ' (shadow)' : ''}` }),
      h('td', { text: `v${v.version}${v.alias ? ` @${v.alias}` : ''}` }),
      h('td', { class: 'num', text: `${num(v.weight, 0)} %` }),
      h('td', { class: 'num', text: s ? pct(s.share) : dash }),
      h('td', { class: 'num', text: ms(s?.p50Ms) }),
      h('td', { class: 'num', text: ms(s?.p95Ms) }),
      h('td', { class: 'num', text: s ? pct(s.errorRate) : dash }),
      h('td', { class: 'num', text: s?.agreement != null ? `${pct(s.agreement)} (${num(s.pairs, 0)})` : dash }),
      h('td', { class: 'num', text: s?.accuracy != null ? `${pct(s.accuracy)} (${num(s.labelled, 0)})` : dash }));
  });
  const analysis = r.analysis.slice(-6).map((a) => h('li', { class: a.verdict }, `${time(a.ts)} ${a.metric} (${a.variant}) = ${a.value === null ? dash : num(a.value, 2)} ${a.threshold} → `, h('strong', { text: a.verdict })));
  const events = [...r.events].slice(-8).reverse().map((e) => h('li', {}, h('span', { class: 'muted', text: `${time(e.ts)} ` }), h('strong', { text: e.kind }), ` ${e.message} `, h('span', { class: 'muted', text: `by ${e.actor}` })));
  fill(el, head, steps,
    h('div', { class: 'scroll' }, h('table', { class: 'variants' }, h('thead', {}, vhead), h('tbody', {}, vrows))),
    h('p', { class: 'muted small', text: 'Traffic share, latency, errors, agreement with stable and feedback accuracy over the last 5 minutes of the prediction log.' }),
    analysis.length ? [h('h3', { text: 'Analysis' }), h('ul', { class: 'list' }, analysis)] : null,
    h('h3', { text: 'History' }), h('ul', { class: 'list', id: 'rollout-events' }, events));
}

export function renderModels(tbody, models) {
  if (models.length === 0) return fill(tbody, h('tr', {}, h('td', { colspan: 5, class: 'muted', text: 'No model loaded yet.' })));
  fill(tbody, ...models.map((m) => h('tr', {},
    h('td', { text: m.name ?? dash }), h('td', { class: 'num', text: m.version === null ? dash : `v${m.version}` }), h('td', { text: m.alias }),
    h('td', { text: `${m.role}${m.healthy ? '' : ' (not healthy)'}` }), h('td', { text: m.since ? `${ago(m.since)} (${dateTime(m.since)})` : dash }))));
}

export function renderLowConfidence(tbody, note, snap) {
  note.textContent = snap.meta.capture
    ? `Top-1 probability under ${pct(snap.meta.lowConfidence, 0)}.`
    : `Top-1 probability under ${pct(snap.meta.lowConfidence, 0)}, newest first. No thumbnails: images are only shown when monitoring captures them, and this server has no capture.`;
  const rows = snap.store?.lowConfidence ?? [];
  if (rows.length === 0) return fill(tbody, h('tr', {}, h('td', { colspan: 5, class: 'muted', text: 'None in the last 5 minutes.' })));
  fill(tbody, ...rows.map((r) => h('tr', {},
    h('td', { text: time(r.ts) }), h('td', { text: r.class ?? dash }), h('td', { class: 'num', text: pct(r.prob) }),
    h('td', { class: 'num', text: `v${r.modelVersion}${r.variant ? ` ${r.variant}` : ''}` }), h('td', {}, h('code', { text: r.requestId.slice(0, 12) })))));
}
