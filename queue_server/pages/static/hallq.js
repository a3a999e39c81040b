// Shared by every page: the token, API calls, the live event stream with its
// reconnecting banner, the server's clock, and a tiny DOM helper.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// h('div', {class: 'x', onclick: fn}, 'text', child) — text always goes in as text, never HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// --- time: the hall's clock, not the browser's --------------------------------------
// Waits are computed against the server's time (every message carries `at`), so a
// display whose own clock is wrong still shows the right minutes.
let clockOffset = 0;
export function noteServerTime(iso) {
  const t = Date.parse(iso);
  if (!Number.isNaN(t)) clockOffset = t - Date.now();
}
export const serverNow = () => Date.now() + clockOffset;
export function minutesSince(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, Math.floor((serverNow() - t) / 60000));
}
export function clockText(timeZone, withSeconds = false) {
  const opts = { hour: '2-digit', minute: '2-digit', hour12: false, timeZone };
  if (withSeconds) opts.second = '2-digit';
  try { return new Intl.DateTimeFormat('zh-CN', opts).format(serverNow()); }
  catch { return new Intl.DateTimeFormat('zh-CN', { ...opts, timeZone: undefined }).format(serverNow()); }
}
export function timeOf(iso, timeZone) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  try {
    return new Intl.DateTimeFormat('zh-CN', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(t);
  } catch { return ''; }
}

// --- token -------------------------------------------------------------------------
// Displays keep `?token=` in their address: kiosk browsers restart on that address and
// may have no storage. Consoles drop it from the address bar (people look over shoulders)
// and remember it in this browser instead, once the server has accepted it: a refused
// token is never kept.
function storageKey(kind) { return `hallq.token.${kind}`; }

function rememberToken(kind, token) {
  try { localStorage.setItem(storageKey(kind), token); } catch { /* private mode */ }
}

function dropTokenFromUrl() {
  const url = new URL(location.href);
  if (!url.searchParams.has('token')) return;
  url.searchParams.delete('token');
  history.replaceState(null, '', url);
}

// The token this page was opened with: the address's, else the one this browser kept.
export function tokenFromPage(kind, keepInUrl) {
  const fromUrl = new URL(location.href).searchParams.get('token');
  if (fromUrl) {
    if (!keepInUrl) dropTokenFromUrl();
    return fromUrl;
  }
  try { return localStorage.getItem(storageKey(kind)); } catch { return null; }
}

export function forgetToken(kind) {
  try { localStorage.removeItem(storageKey(kind)); } catch { /* ignore */ }
}

// --- API -----------------------------------------------------------------------------
export async function api(token, method, path, body) {
  const opts = { method, headers: { Authorization: `Bearer ${token}` } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}`, opts);
  } catch (err) {
    return { ok: false, status: 0, error: { code: 'offline', message: '无法连接服务器 / cannot reach the server' } };
  }
  let data = null;
  try { data = await res.json(); } catch { /* empty or not JSON */ }
  if (res.ok) return { ok: true, status: res.status, data };
  const error = (data && data.error) || { code: 'error', message: `服务器错误 / server error ${res.status}` };
  return { ok: false, status: res.status, error };
}

// --- sign-in -----------------------------------------------------------------------------
const INVALID = '令牌无效或已撤销 / invalid token (or revoked)';
const NOT_HERE = '该令牌无权使用此页面 / this token may not use this page';
const OFFLINE = '无法连接服务器，令牌仍在框内，正在重试… / cannot reach the server — your token is kept, retrying…';
const SERVER_ERROR = '服务器暂时出错，令牌仍在框内，正在重试… / the server had an error — your token is kept, retrying…';

// One look at a token: { ok }, { refused: why } or { retry: why } (the server could not say).
// With `accept`, the page asks the server whose token it is (GET /me) and `accept(me)`
// returns null to let it in, or the words that say why not.
async function checkToken(token, { probe, allowed, accept }) {
  const r = await api(token, 'GET', accept ? '/me' : probe);
  if (r.status === 0) return { retry: OFFLINE };
  if (r.status >= 500) return { retry: SERVER_ERROR };
  if (r.ok && accept) {
    const why = accept(r.data);
    return why ? { refused: why } : { ok: true };
  }
  if (r.ok || allowed.includes(r.status)) return { ok: true };
  return { refused: r.status === 401 ? INVALID : NOT_HERE };
}

// Checks the token; asks for one with a form until one is accepted. A server that cannot
// be reached is not a bad token: keep the one we have (in memory or in the form's box)
// and retry.
// `probe` is a GET the page's role may make; `allowed` lists statuses that still prove
// the role (the guide console probes a guide-only report that may not exist: 404).
// `accept(me)` is for pages that decide from who the token is (the window console).
export async function signIn(kind, { keepInUrl = false, probe = '/hall', allowed = [], title = '', accept = null } = {}) {
  const rules = { probe, allowed, accept };
  const admit = (token) => {
    rememberToken(kind, token);
    if (!keepInUrl) dropTokenFromUrl();
    hideLogin();
    setConnection('connecting');
    return token;
  };
  const token = tokenFromPage(kind, keepInUrl);
  let message = '';
  let attempt = 0;
  while (token) {
    const r = await checkToken(token, rules);
    if (r.ok) return admit(token);
    if (r.refused) {
      forgetToken(kind);
      dropTokenFromUrl();
      message = r.refused;
      break;
    }
    setConnection('reconnecting', ++attempt);
    await sleep(backoff(attempt));
  }
  return admit(await askForToken(title, message, (t) => checkToken(t, rules)));
}

// The sign-in form stays up until `check` accepts what was typed. A refused token is
// cleared from the box with the reason shown; when the server cannot be reached the
// token stays in the box and is tried again with backoff (or at once on "Sign in").
function askForToken(title, message, check) {
  return new Promise((resolve) => {
    hideLogin();
    const input = h('input', { type: 'password', id: 'login-token', autocomplete: 'off',
      placeholder: 'hq_…', 'aria-label': '令牌 token' });
    const error = h('p', { class: 'login-error', id: 'login-error', role: 'alert' });
    const button = h('button', { type: 'submit', class: 'btn primary', id: 'login-go' }, '登录', h('small', {}, ' Sign in'));
    // 'zh / en' as two lines, Chinese first: the reason reads at a glance in either.
    const say = (text) => {
      const cut = text.indexOf(' / ');
      error.replaceChildren(...(cut < 0 ? [text] : [text.slice(0, cut), h('small', {}, text.slice(cut + 3))]));
      error.hidden = !text;
    };
    let checking = false;
    let attempt = 0;
    let retry = null;
    async function submit() {
      clearTimeout(retry);
      const token = input.value.trim();
      if (!token || checking) return;
      checking = true;
      button.disabled = true;
      const r = await check(token);
      checking = false;
      button.disabled = false;
      if (r.ok) { resolve(token); return; }
      if (r.retry) {
        say(r.retry);
        retry = setTimeout(submit, backoff(++attempt));
        return;
      }
      attempt = 0;
      input.value = '';
      say(r.refused);
      input.focus();
    }
    const form = h('form', { class: 'login-card', onsubmit: (e) => { e.preventDefault(); submit(); } },
      h('h1', {}, '请登录', h('small', {}, ' Sign in')),
      title ? h('p', { class: 'login-title' }, title) : null,
      h('label', { for: 'login-token' }, '令牌 ', h('small', {}, 'Access token')),
      input,
      error,
      button,
      h('p', { class: 'login-help' }, '令牌由管理员用 “hallq token issue” 发放。',
        h('br'), h('small', {}, 'An administrator issues tokens with “hallq token issue”.')));
    say(message);
    document.body.append(h('div', { id: 'login', class: 'login' }, form));
    input.focus();
  });
}

function hideLogin() { document.getElementById('login')?.remove(); }

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// 0.5 s, 1, 2, 4, 8, then every 10 s, each ±25 % so 100 screens do not return in step.
export function backoff(attempt) {
  const base = Math.min(10000, 500 * 2 ** Math.max(0, attempt - 1));
  return base * (0.75 + Math.random() * 0.5);
}

// --- connection banner -----------------------------------------------------------------
export function setConnection(status, attempt = 0) {
  let el = document.getElementById('conn');
  if (!el) {
    el = h('div', { id: 'conn', class: 'conn', role: 'status', 'aria-live': 'polite' });
    document.body.append(el);
  }
  el.dataset.status = status;
  document.body.classList.toggle('stale', status !== 'live');
  el.replaceChildren(...({
    connecting: ['正在连接…', h('small', {}, ' Connecting…')],
    live: [],
    reconnecting: ['⟳ 正在重新连接…', h('small', {}, ` Reconnecting… (${attempt})`)],
    unauthorized: ['令牌失效，请重新登录', h('small', {}, ' Token no longer valid; sign in again')],
  }[status] || [status]));
}

// --- the live stream ---------------------------------------------------------------
// A snapshot on every (re)connect, then events. When the link drops, or the server stops
// answering its health check, the page says so at once and reconnects with backoff; the
// new snapshot replaces everything, so nothing stale survives a restart.
const CLOSE_UNAUTHORIZED = 4401;
const HEALTH_EVERY_MS = 10000;

// Each event's way through the page is timed (performance marks `hallq:received`,
// `hallq:rendered`, `hallq:painted`) and the last TIMINGS kept in `timings`: how long a
// screen takes to show a call is measured in the browser itself (bench/live_pages.py).
const TIMINGS = 500;

export class LiveHall {
  constructor(token, { onSnapshot, onEvent, onUnauthorized, window: only = null }) {
    this.token = token;
    this.only = only; // a window display follows its own window only
    this.onSnapshot = onSnapshot;
    this.onEvent = onEvent;
    this.onUnauthorized = onUnauthorized;
    this.lastSeq = null;
    this.attempt = 0;
    this.connects = 0;
    this.status = 'connecting';
    this.ws = null;
    this.stopped = false;
    this.timings = [];
    window.hallqLive = this; // for people debugging a screen, and for the tests
  }

  start() {
    setConnection('connecting');
    this._connect();
    this._health = setInterval(() => this._checkHealth(), HEALTH_EVERY_MS);
  }

  _setStatus(status) {
    this.status = status;
    setConnection(status, this.attempt);
  }

  _connect() {
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const only = this.only === null ? '' : `&window=${this.only}`;
    const ws = new WebSocket(`${proto}://${location.host}/api/v1/events?token=${encodeURIComponent(this.token)}${only}`);
    this.ws = ws;
    ws.onmessage = (e) => this._message(JSON.parse(e.data));
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (e.code === CLOSE_UNAUTHORIZED) {
        this.stopped = true;
        this._setStatus('unauthorized');
        this.onUnauthorized?.();
        return;
      }
      this.attempt += 1;
      this._setStatus('reconnecting');
      clearTimeout(this._retry);
      this._retry = setTimeout(() => this._connect(), backoff(this.attempt));
    };
  }

  _message(msg) {
    if (msg.at) noteServerTime(msg.at);
    if (msg.type === 'snapshot') {
      // Calls made while this screen was away are announced late rather than never.
      const prev = this.lastSeq;
      const missed = prev === null || msg.seq < prev ? []
        : (msg.recent_calls || []).filter((c) => c.seq > prev);
      this.lastSeq = msg.seq;
      this.attempt = 0;
      this.connects += 1;
      this._setStatus('live');
      this.onSnapshot(msg, { missedCalls: missed, reconnected: this.connects > 1 });
      return;
    }
    if (typeof msg.seq === 'number' && this.lastSeq !== null && msg.seq < this.lastSeq) return;
    if (typeof msg.seq === 'number') this.lastSeq = msg.seq;
    if (msg.type === 'day.closed') { this.reconnect(); return; } // a new day: a fresh snapshot
    const received = performance.now();
    this.onEvent(msg);
    this._timed(msg, received);
  }

  _timed(msg, received) {
    const rendered = performance.now();
    const t = { seq: msg.seq, type: msg.type, number: msg.ticket?.number ?? null, received, rendered, painted: null };
    this.timings.push(t);
    if (this.timings.length > TIMINGS) this.timings.shift();
    performance.mark('hallq:received', { startTime: received, detail: t });
    performance.mark('hallq:rendered', { startTime: rendered, detail: t });
    // After the frame that shows it: the next animation frame, then the task after it.
    requestAnimationFrame(() => setTimeout(() => {
      t.painted = performance.now();
      performance.mark('hallq:painted', { startTime: t.painted, detail: t });
      if (performance.getEntriesByType('mark').length > 3 * TIMINGS) performance.clearMarks();
    }, 0));
  }

  // A half-open link can look open for minutes; the health check notices at once.
  async _checkHealth() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), 4000);
    try {
      const r = await fetch('/api/v1/health', { signal: ctrl.signal, cache: 'no-store' });
      if (!r.ok) throw new Error(String(r.status));
    } catch {
      this.reconnect();
    } finally { clearTimeout(timer); }
  }

  reconnect() {
    const ws = this.ws;
    if (ws) {
      this.ws = null;
      ws.onclose = null;
      ws.close();
    }
    this.attempt += 1;
    this._setStatus('reconnecting');
    clearTimeout(this._retry);
    this._retry = setTimeout(() => this._connect(), backoff(this.attempt));
  }
}

// --- small shared views -------------------------------------------------------------------
// A refused write, as a toast says it. A 409 is a write that lost a race (another window,
// console or pad got there first, or the data changed behind this server): nothing of it
// was kept, and the staff member must know that rather than guess, so it says "not done"
// first, in its own colour, and stays up longer than other errors.
export function refusal(r) {
  const message = r.error?.message || `服务器错误 / server error ${r.status}`;
  if (r.status !== 409) return { text: message, kind: 'error' };
  const cut = message.indexOf(' / ');
  const zh = cut < 0 ? message : message.slice(0, cut);
  const en = cut < 0 ? '' : message.slice(cut + 3);
  return { text: `未执行：${zh} / Not done: ${en || zh}`, kind: 'conflict' };
}

export function toastRefusal(r) {
  const { text, kind } = refusal(r);
  return toast(text, kind);
}

export function toast(message, kind = 'error') {
  let box = document.getElementById('toasts');
  if (!box) { box = h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'assertive' }); document.body.append(box); }
  const el = h('div', { class: `toast ${kind}`, role: kind === 'ok' ? 'status' : 'alert' }, message);
  box.append(el);
  setTimeout(() => el.remove(), { error: 6000, conflict: 12000 }[kind] || 3000);
  return el;
}

export function waitRange(estimate) {
  if (!estimate) return null;
  const lo = Math.round(estimate.low), hi = Math.round(estimate.high);
  if (hi <= 0) return '即将叫到';
  return lo === hi ? `约 ${hi} 分钟` : `约 ${lo}–${hi} 分钟`;
}
export function waitRangeEn(estimate) {
  if (!estimate) return '';
  const lo = Math.round(estimate.low), hi = Math.round(estimate.high);
  if (hi <= 0) return 'soon';
  return lo === hi ? `about ${hi} min` : `${lo}–${hi} min`;
}

export function windowNumberFromPath() {
  const m = location.pathname.match(/\/(\d+)\/?$/);
  return m ? Number(m[1]) : null;
}
