// Numbers and times for people, in the reader's locale.
const nf = (digits) => new Intl.NumberFormat(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const n0 = nf(0), n1 = nf(1), n2 = nf(2);

export const dash = '–';

export function num(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash;
  const a = Math.abs(v);
  if (a >= 1e6) return `${n1.format(v / 1e6)} M`;
  if (a >= 1e4) return `${n1.format(v / 1e3)} k`;
  return (digits === 0 ? n0 : digits === 2 ? n2 : n1).format(v);
}

export const rate = (v) => (v === null || v === undefined ? dash : `${num(v, v < 10 ? 1 : 0)}/s`);

export function ms(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash;
  if (v >= 1000) return `${n2.format(v / 1000)} s`;
  return `${v < 10 ? n1.format(v) : n0.format(v)} ms`;
}

export function pct(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash;
  return `${(digits === 0 ? n0 : n1).format(v * 100)} %`;
}

export const time = (t) => (t ? new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : dash);

export function dateTime(t) {
  if (!t) return dash;
  const d = new Date(t);
  const today = new Date().toDateString() === d.toDateString();
  return today ? time(d) : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function ago(t, now = Date.now()) {
  if (!t) return dash;
  const s = Math.max(0, Math.round((now - new Date(t).getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
