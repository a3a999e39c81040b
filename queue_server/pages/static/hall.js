// The hall screen: windows per zone with their current numbers, the last calls with the
// newest highlighted, waiting and expected waits per business, a notice line, voice.
//
// `?zone=CODE`: the screen (and speaker) of one zone that has `own_screen = true` in the
// layout: it shows and announces that zone's calls only, and the main screen leaves them
// to it. `?screen=NAME` names the screen in its audio reports (default hall / hall-CODE).

import { $, h, api, LiveHall, signIn, clockText, serverNow, timeOf, waitRange, waitRangeEn } from './hallq.js';
import { Voice } from './voice.js';

const RECENT = 8;            // calls listed
const FRESH_MS = 15000;      // how long a new call stays highlighted on its window tile
const MAX_MISSED = 3;        // calls announced late after a reconnect
const REPORT_MS = 30000;     // how often the screen tells the server whether it is heard
const MIN_NUM_REM = 1.1;     // the smallest type of a number on a window's tile

const params = new URLSearchParams(location.search);
const ZONE = params.get('zone') || '';
const SCREEN = params.get('screen') || (ZONE ? `hall-${ZONE}` : 'hall');
let token = null;
let zoneProblem = null;

const state = { prefixes: new Map(), hall: null, zones: [], windows: new Map(), queues: [], recent: [], fresh: new Map() };
let voice = null;

function isCall(msg) { return msg.type === 'ticket.called' || msg.type === 'ticket.recalled'; }
function callOf(msg) {
  return { seq: msg.seq, at: msg.at, window: msg.window, recall: msg.type === 'ticket.recalled',
    number: msg.ticket?.number || msg.data?.number, business: msg.ticket?.business_name || '',
    business_en: msg.ticket?.business_name_en || '' };
}

// Is this window's call this screen's to show and say? A zone screen: its zone's. The main
// screen: every zone without a screen of its own.
function mine(windowNumber) {
  const zone = state.windows.get(windowNumber)?.zone;
  if (ZONE) return zone === ZONE;
  return !state.zones.some((z) => z.code === zone && z.own_screen);
}

// A call stands while its window still holds that ticket as called: once it is started,
// completed, cancelled, parked or marked no-show it is neither announced nor headlined.
function stands(call) {
  const cur = state.windows.get(call.window)?.current;
  return !!cur && cur.number === call.number && cur.status === 'called';
}

function onSnapshot(snap, { missedCalls }) {
  state.hall = snap.hall;
  state.zones = snap.zones;
  state.windows = new Map(snap.windows.map((w) => [w.number, w]));
  state.queues = snap.queues;
  checkZone();
  state.recent = snap.recent_calls.map(callOf).reverse().filter((c) => !ZONE || mine(c.window)).slice(0, RECENT);
  $('#hall-name').textContent = snap.hall.name;
  $('#hall-name-en').textContent = snap.hall.name_en || '';
  document.title = `${snap.hall.name} · 叫号 Calling`;
  for (const c of missedCalls.slice(-MAX_MISSED)) announce(callOf(c));
  tickClock();
  renderAll();
}

function onEvent(msg) {
  if (msg.window_state) state.windows.set(msg.window_state.number, msg.window_state);
  if (msg.type === 'queues') { state.queues = msg.queues; renderQueues(); return; }
  if (isCall(msg)) {
    const call = callOf(msg);
    if (ZONE && !mine(call.window)) { if (msg.window_state) renderTile(call.window); return; }
    state.recent = [call, ...state.recent].slice(0, RECENT);
    state.fresh.set(call.window, Date.now());
    setTimeout(() => renderTile(call.window), FRESH_MS + 50);
    announce(call);
    renderCalls();
    flashNow();
  }
  if (msg.window_state) {
    renderTile(msg.window_state.number);
    if (!isCall(msg)) renderCalls(); // the headline follows the window: called → served
  }
}

function announce(call) {
  if (voice && !zoneProblem && call.number && call.window && mine(call.window)) voice.announce(call);
}

function checkZone() {
  const zone = state.zones.find((z) => z.code === ZONE);
  zoneProblem = !ZONE ? null
    : !zone ? [`没有区域 ${ZONE}`, `There is no zone ${ZONE}`]
      : !zone.own_screen ? [`区域「${zone.name}」未设独立叫号屏（布局 own_screen = true），由大厅主屏播报`,
        `Zone ${zone.name_en || ZONE} has no screen of its own (own_screen = true in the layout): the main screen announces it`]
        : null;
  const el = $('#zone-problem');
  el.hidden = !zoneProblem;
  if (zoneProblem) el.replaceChildren(h('b', {}, zoneProblem[0]), h('small', {}, zoneProblem[1]));
  $('#zone-only').textContent = zone && !zoneProblem ? `${zone.name} ${zone.name_en || ''}` : '';
}

// --- rendering ------------------------------------------------------------------------
// The queue strip first: the space left for the windows depends on its height.
function renderAll() { renderQueues(); renderCalls(); renderZones(); }

function zoneWindows() {
  const byZone = new Map(state.zones.map((z) => [z.code, { zone: z, windows: [] }]));
  for (const w of [...state.windows.values()].sort((a, b) => a.number - b.number)) {
    if (!shown(w)) continue;
    if (!byZone.has(w.zone)) byZone.set(w.zone, { zone: { code: w.zone, name: w.zone, name_en: '' }, windows: [] });
    byZone.get(w.zone).windows.push(w);
  }
  return [...byZone.values()].filter((g) => g.windows.length);
}

// The tile of each window shown, from the last full render: an event changes one tile,
// not the 96 (a whole re-render and its layout cost the hall screen tens of milliseconds
// per call on a screen PC; bench/live_pages.py).
const tiles = new Map();
let sizedFor = 4; // the longest number the tiles' type was sized for

// Back-office windows never call applicants; a zone's screen shows its zone.
function shown(w) { return w.kind === 'front' && (!ZONE || w.zone === ZONE); }

function renderTile(number) {
  const w = state.windows.get(number);
  const old = tiles.get(number);
  if (!w || !shown(w)) { if (old) renderZones(); return; }
  if (!old || old.dataset.zone !== w.zone || (w.current?.number || '').length > sizedFor) {
    renderZones(); // a window moved, appeared, or a longer number needs smaller type
    return;
  }
  const el = tile(w, Date.now());
  old.replaceWith(el);
}

function renderZones() {
  const box = $('#zones');
  const groups = zoneWindows();
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const longest = Math.max(4, ...[...state.windows.values()].map((w) => (w.current?.number || '').length));
  sizedFor = longest;
  // As many rows as fit, so a big zone takes few columns; then the numbers are sized to
  // the column width that leaves (a 4-character number is the common case).
  const most = Math.max(...groups.map((g) => g.windows.length), 1);
  const layout = (rowRem) => {
    const rows = Math.min(most, Math.max(3, Math.floor((box.clientHeight / rem - 3.4) / rowRem)));
    const columns = groups.reduce((n, g) => n + Math.ceil(g.windows.length / rows), 0);
    const colWidth = (box.clientWidth / rem - groups.length * 1.5 - columns * 0.35) / Math.max(columns, 1);
    return { rows, font: (colWidth - 4.2) / (longest * 0.7) };
  };
  // A short box (the sound-off banner above a 96-window hall) leaves columns too narrow
  // for a whole number at the smallest type: then lower rows, down to the window badge's
  // height, rather than numbers cut by their tiles.
  let { rows, font } = layout(3.3);
  if (font < MIN_NUM_REM) ({ rows, font } = layout(2.6));
  const numFont = Math.min(2.8, Math.max(MIN_NUM_REM, font));
  box.style.setProperty('--rows', rows);
  box.style.setProperty('--num-font', `${numFont.toFixed(2)}rem`);
  const now = Date.now();
  tiles.clear();
  box.replaceChildren(...groups.map(({ zone, windows }) => {
    const cols = Math.ceil(windows.length / rows);
    return h('div', { class: 'zone', style: `flex-grow:${cols}`, title: `${zone.name} ${zone.name_en || ''}` },
      h('h3', { class: 'zone-name' }, zone.name, h('small', {}, zone.name_en || '')),
      h('div', { class: 'zone-grid' }, windows.map((w) => tile(w, now))));
  }));
}

function tile(w, now) {
  const fresh = w.current && now - (state.fresh.get(w.number) || 0) < FRESH_MS;
  let body;
  if (w.status === 'closed') body = h('span', { class: 'tile-state' }, '关闭', h('small', {}, ' Closed'));
  // A paused window that still holds a called ticket keeps showing it: that applicant is
  // still expected there.
  else if (w.status === 'paused' && w.current) {
    body = h('span', { class: 'tile-number num paused-number' }, w.current.number,
      h('small', { class: 'tile-paused' }, '暂停 Paused'));
  } else if (w.status === 'paused') body = h('span', { class: 'tile-state' }, '暂停', h('small', {}, ' Paused'));
  else if (w.current) body = h('span', { class: 'tile-number num' }, w.current.number);
  else body = h('span', { class: 'tile-idle' }, '—');
  const el = h('div', { class: `tile ${w.status}${fresh ? ' fresh' : ''}`, dataset: { window: w.number, zone: w.zone } },
    h('span', { class: 'tile-window num' }, String(w.number)), body);
  tiles.set(w.number, el);
  return el;
}

function renderCalls() {
  const [newest, ...rest] = state.recent;
  // The headline is the newest call that still stands: "正在呼叫 P012" must not stay
  // once P012 is being served, done, or given up.
  const headline = state.recent.find(stands);
  const num = $('#now-number');
  const where = $('#now-where');
  $('#now').classList.toggle('recall', !!headline?.recall);
  if (headline) {
    num.textContent = headline.number;
    // The recall mark on a line of its own, and the sentence never broken inside a word:
    // "请到 21 号窗口" stays whole at every screen size.
    where.replaceChildren(
      headline.recall ? h('span', { class: 'now-recall' }, '再次呼叫', h('small', {}, ' Recall')) : '',
      h('span', { class: 'now-line' }, '请到 ', h('b', { class: 'num' }, String(headline.window)), ' 号窗口'),
      h('small', { class: 'now-en' }, `Please go to window ${headline.window}`));
  } else {
    num.textContent = '—';
    where.replaceChildren(h('span', { class: 'now-line now-wait' }, '请留意叫号'),
      h('small', { class: 'now-en' }, 'Please watch for your number'));
  }
  const tz = state.hall?.timezone;
  $('#recent').replaceChildren(...(newest ? [newest, ...rest] : []).map((c, i) =>
    h('li', { class: i === 0 ? 'newest' : '', dataset: { seq: c.seq } },
      h('span', { class: 'r-number num' }, c.number),
      h('span', { class: 'r-window' }, h('b', { class: 'num' }, String(c.window)), ' 号窗口',
        h('small', {}, ` W${c.window}`)),
      h('span', { class: 'r-time num' }, c.recall ? '重呼 ' : '', timeOf(c.at, tz)))));
  const list = $('#recent');
  const bottom = list.getBoundingClientRect().bottom;
  for (const li of [...list.children]) if (li.getBoundingClientRect().bottom > bottom + 1) li.remove();
}

function flashNow() {
  const box = $('#now');
  box.classList.remove('flash');
  void box.offsetWidth; // restart the animation for every new call
  box.classList.add('flash');
}

function renderQueues() {
  $('#queues').replaceChildren(...state.queues.map((q) => {
    const range = waitRange(q.estimate);
    const prefix = state.prefixes.get(q.business) || '';
    return h('div', { class: `queue${q.alert ? ' alert' : ''}${q.estimate ? '' : ' closed'}`, dataset: { business: q.business } },
      h('span', { class: 'q-prefix num' }, prefix),
      h('div', { class: 'q-body' },
        h('div', { class: 'q-name' }, h('b', {}, q.name), h('small', {}, q.name_en || '')),
        h('div', { class: 'q-figures' },
          h('span', { class: 'q-waiting num' }, String(q.waiting)), ' 人',
          h('span', { class: 'q-sep' }, ' · '),
          // The strip's title carries the English (waiting · expected wait, minutes).
          range ? h('span', { class: 'q-wait', title: waitRangeEn(q.estimate) }, range)
            : h('span', { class: 'q-wait' }, '暂无窗口', h('small', {}, ' closed')))));
  }));
}

function tickClock() {
  const tz = state.hall?.timezone;
  $('#clock').textContent = clockText(tz);
  try {
    $('#date').textContent = new Intl.DateTimeFormat('zh-CN', { month: 'long', day: 'numeric', weekday: 'short', timeZone: tz }).format(serverNow());
  } catch { /* unknown zone: the clock alone */ }
}

// The server learns whether this screen can be heard (the guide console lists the silent
// ones): on load, on every change, and every 30 s so a screen that died goes stale there.
let lastReport = '';
async function reportAudio(force = false) {
  if (!token || !voice) return;
  const body = { audible: !!voice.enabled, mode: voice.mode, missed: voice.missed, zone: ZONE };
  const key = JSON.stringify(body);
  if (!force && key === lastReport) return;
  lastReport = key;
  const res = await api(token, 'POST', `/screens/${encodeURIComponent(SCREEN)}/audio`, body);
  if (!res.ok) lastReport = '';
}

function renderVoiceState() {
  reportAudio();
  const el = $('#voice-state');
  el.dataset.on = String(!!voice?.enabled);
  if (!voice || voice.mode === 'off') { el.replaceChildren('语音关闭', h('small', {}, ' Voice off')); return; }
  el.replaceChildren(...(voice.enabled ? ['语音开启', h('small', {}, ' Sound on')]
    : ['语音未开启', h('small', {}, ' Sound off')]));
}

function renderNotice(text) {
  const el = $('#notice');
  el.replaceChildren(h('span', {}, text));
  // The same reading speed on every screen size: about 12 characters a second.
  el.style.setProperty('--duration', `${Math.max(20, text.length / 6)}s`);
}

async function main() {
  const config = await fetch('/display/config.json').then((r) => r.json()).catch(() => ({ notice: '', voice: { mode: 'off' } }));
  renderNotice(config.notice || '');
  setInterval(tickClock, 1000);
  token = await signIn('display', { keepInUrl: true, title: '大厅叫号屏 Hall display' });
  voice = new Voice(token, { ...(config.voice || {}), stands });
  voice.mount($('#voice-gate'));
  const businesses = await api(token, 'GET', '/businesses');
  if (businesses.ok) state.prefixes = new Map(businesses.data.map((b) => [b.code, b.prefix]));
  document.addEventListener('hallq-voice', renderVoiceState);
  renderVoiceState();
  setInterval(() => reportAudio(true), REPORT_MS);
  new LiveHall(token, { onSnapshot, onEvent, onUnauthorized: () => location.reload() }).start();
  // Re-fit windows and calls whenever their boxes change size (fonts, resize, strip).
  new ResizeObserver(() => renderZones()).observe($('#zones'));
  new ResizeObserver(() => renderCalls()).observe($('#recent'));
}

main();
