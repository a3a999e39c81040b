// The city page: every hall's figures side by side, from GET /api/v1/centre/figures.
// A hall whose link is down keeps its figures as far as they arrived and is marked
// behind with its lag, in words at the top, on its row and on its bars.
import { $, h, api, signIn, setConnection, forgetToken } from './hallq.js';

const BLUE = '#2f6fdf';
const GREEN = '#1f9d55';
const AMBER = '#e09400';
const RED = '#c62828';
const PALETTE = ['#2f6fdf', '#1f9d55', '#e09400', '#8e44ad', '#00897b', '#c62828', '#5d6d7e',
  '#d35400', '#3949ab', '#7cb342', '#6d4c41', '#00acc1'];
const state = { token: null, data: null, from: null, to: null, quick: 'today' };
const charts = {};
window.hallqCity = { loads: 0 };

const pct = (v) => (v === null || v === undefined ? '–' : `${Math.round(v * 1000) / 10}%`);
const mins = (v) => (v === null || v === undefined ? '–' : `${v.toFixed(1)}`);
const num = (v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString('zh-CN'));

function lagText(s) {
  if (s === null || s === undefined) return ['未知', 'unknown'];
  if (s < 90) return [`${Math.round(s)} 秒`, `${Math.round(s)} s`];
  if (s < 5400) return [`${Math.round(s / 60)} 分钟`, `${Math.round(s / 60)} min`];
  return [`${(s / 3600).toFixed(1)} 小时`, `${(s / 3600).toFixed(1)} h`];
}

const STATE_WORDS = {
  streaming: ['实时', 'live'], syncing: ['首次同步中', 'first copy'], catching_up: ['追赶中', 'catching up'],
  down: ['链路中断', 'link down'], disabled: ['已停用', 'disabled'], removed: ['已移除', 'removed'],
};

function linkBadge(hall) {
  const [zh, en] = STATE_WORDS[hall.state] || [hall.state, hall.state];
  if (!hall.behind) return h('span', { class: 'link ok' }, zh, h('small', {}, ` ${en}`));
  const [lz, le] = lagText(hall.lag_seconds);
  const down = hall.hall_reachable === false ? ['大厅不可达', 'unreachable'] : [zh, en];
  return h('span', { class: 'link behind' }, `${down[0]} · 滞后 ${lz}`, h('small', {}, ` ${down[1]}, ${le} behind`));
}

// --- period ----------------------------------------------------------------------
const iso = (d) => d.toISOString().slice(0, 10);
function periodOf(quick, today) {
  const t = new Date(`${today}T00:00:00Z`);
  if (quick === 'month') return [iso(new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1))), today];
  if (quick === 'last-month') {
    const first = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() - 1, 1));
    const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 0));
    return [iso(first), iso(last)];
  }
  return [today, today];
}

async function load() {
  const q = state.from ? `?from=${state.from}&to=${state.to}` : '';
  const r = await api(state.token, 'GET', `/centre/figures${q}`);
  if (r.status === 401) { forgetToken('centre'); setConnection('unauthorized'); return; }
  if (!r.ok) {
    setConnection(r.status === 0 ? 'reconnecting' : 'live');
    if (r.status && r.status < 500) showError(r.error.message);
    return;
  }
  setConnection('live');
  state.data = r.data;
  if (!state.from) [state.from, state.to] = periodOf(state.quick, r.data.today);
  render();
  window.hallqCity.loads += 1;
}

function showError(message) {
  const bar = $('#behind');
  const [zh, en] = message.split(' / ');
  bar.replaceChildren(h('b', {}, zh), h('small', {}, en ? ` ${en}` : ''));
  bar.hidden = false;
}

// --- render ----------------------------------------------------------------------
function halls() { return Object.values(state.data.halls); }
const name = (code) => code;

function render() {
  const d = state.data;
  $('#from').value = d.from;
  $('#to').value = d.to;
  for (const b of document.querySelectorAll('#quick .btn')) b.classList.toggle('active', b.dataset.quick === state.quick);
  const at = new Date(d.at);
  $('#asof').replaceChildren('数据时间 ', h('span', { class: 'num' },
    at.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })), h('small', {}, ' as of'));
  renderBehind();
  renderKpis();
  renderTable();
  renderVolume();
  renderWaits();
  renderQuality();
  renderMix();
}

function renderBehind() {
  const bar = $('#behind');
  const late = halls().filter((x) => x.behind);
  if (!late.length) { bar.hidden = true; bar.replaceChildren(); return; }
  const asOf = (x) => (x.last_event_at ? new Date(x.last_event_at).toLocaleTimeString('zh-CN',
    { timeZone: 'Asia/Shanghai', hour12: false, hour: '2-digit', minute: '2-digit' }) : '–');
  const parts = late.map((x) => `${name(x.code)}（滞后 ${lagText(x.lag_seconds)[0]}，数据截至 ${asOf(x)}）`).join('、');
  const en = late.map((x) => `${x.code} (${lagText(x.lag_seconds)[1]} behind, figures as of ${asOf(x)})`).join(', ');
  bar.replaceChildren(h('b', {}, `数据未到齐：${parts}。`),
    '其数字为已收到的部分，链路恢复后自动补齐。',
    h('br'), h('small', {}, `Not all figures in: ${en}. Their figures are what has arrived so far; they catch up when the link is back.`));
  bar.hidden = false;
}

function kpi(label, en, value, note = '', cls = '') {
  return h('div', { class: 'kpi' }, h('div', { class: 'kpi-label' }, label, h('small', {}, ` ${en}`)),
    h('div', { class: `kpi-value num ${cls}` }, value), h('div', { class: 'kpi-note' }, note));
}

function renderKpis() {
  const t = state.data.city.totals;
  const n = halls().length;
  const late = state.data.city.behind.length;
  $('#kpis').replaceChildren(
    kpi('大厅', 'Halls', `${n}`, late ? h('span', { class: 'warn' }, `${late} 个滞后 behind`) : '全部实时 all live'),
    kpi('取号', 'Arrived', num(t.arrived), `未结束 ${num(t.open)} open`),
    kpi('办结', 'Served', num(t.served), `过号率 ${pct(t.no_show_rate)} no-show`),
    kpi('平均等候', 'Mean wait', `${mins(t.mean_wait_min)} 分`, `90% ≤ ${mins(t.p90_wait_min)} 分 min`),
    kpi('服务水平', 'Service level', pct(t.service_level), '目标内叫号 called in target'),
    kpi('满意率', 'Satisfied', pct(t.satisfaction_rate), `${num(t.evaluations)} 条评价 ratings · 差评 ${num(t.bad_reviews)}`));
}

function renderTable() {
  const body = $('#halls tbody');
  const line = (label, t, hall) => h('tr', { class: hall ? (hall.behind ? 'behind' : '') : 'total', dataset: { hall: hall ? hall.code : 'city' } },
    h('td', {}, label), h('td', {}, hall ? linkBadge(hall) : ''),
    h('td', { class: 'r num' }, num(t.arrived)), h('td', { class: 'r num' }, num(t.served)),
    h('td', { class: 'r num' }, pct(t.no_show_rate)), h('td', { class: 'r num' }, mins(t.mean_wait_min)),
    h('td', { class: 'r num' }, mins(t.p90_wait_min)), h('td', { class: 'r num' }, pct(t.service_level)),
    h('td', { class: 'r num' }, pct(t.satisfaction_rate)), h('td', { class: 'r num' }, num(t.bad_reviews)));
  body.replaceChildren(...halls().map((x) => line(name(x.code), x.totals, x)),
    line(h('span', {}, '全市 ', h('small', {}, 'City')), state.data.city.totals, null));
}

function chartIn(id, option, empty) {
  const box = $(`#${id}`);
  const card = box.closest('.card');
  let note = card.querySelector('.na');
  if (empty) {
    charts[id]?.dispose();
    delete charts[id];
    box.hidden = true;
    if (!note) { note = h('p', { class: 'na' }); card.append(note); }
    note.replaceChildren(h('b', {}, empty[0]), h('small', {}, ` ${empty[1]}`));
    return;
  }
  note?.remove();
  box.hidden = false;
  if (!charts[id]) charts[id] = echarts.init(box, null, { renderer: 'svg' });
  charts[id].setOption({ animation: false, textStyle: { fontFamily: getComputedStyle(document.body).fontFamily }, ...option }, true);
}

const legend = { top: 0, left: 'center', itemGap: 16, textStyle: { fontSize: 13 } };
const NONE = ['尚无大厅加入', 'no hall has joined yet (hallq centre add-hall)'];
// A behind hall's label carries a warning sign, so a chart alone never reads as complete.
const axisNames = () => halls().map((x) => (x.behind ? `⚠ ${x.code}` : x.code));
const faded = (x, color) => ({ color, opacity: x.behind ? 0.55 : 1, decal: x.behind ? { symbol: 'rect', dashArrayX: [1, 0], dashArrayY: [3, 3], rotation: -0.8 } : null });

function renderVolume() {
  const hs = halls();
  if (!hs.length) { chartIn('chart-volume', null, NONE); return; }
  chartIn('chart-volume', {
    legend, grid: { left: 56, right: 20, top: 40, bottom: 30 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: axisNames(), axisLabel: { fontSize: 13 } },
    yAxis: { type: 'value', minInterval: 1, name: '人次', nameTextStyle: { fontSize: 12 } },
    series: [
      { name: '取号 Arrived', type: 'bar', data: hs.map((x) => ({ value: x.totals.arrived, itemStyle: faded(x, '#9fc3ff') })),
        label: { show: true, position: 'top', fontSize: 12 } },
      { name: '办结 Served', type: 'bar', data: hs.map((x) => ({ value: x.totals.served, itemStyle: faded(x, GREEN) })),
        label: { show: true, position: 'top', fontSize: 12 } }],
  });
}

function renderWaits() {
  const hs = halls();
  if (!hs.length) { chartIn('chart-waits', null, NONE); return; }
  if (!hs.some((x) => x.totals.mean_wait_min !== null)) { chartIn('chart-waits', null, ['本期间尚无叫号', 'nobody called in this period']); return; }
  chartIn('chart-waits', {
    legend, grid: { left: 48, right: 20, top: 40, bottom: 30 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: axisNames(), axisLabel: { fontSize: 13 } },
    yAxis: { type: 'value', name: '分钟 min', nameTextStyle: { fontSize: 12 } },
    series: [
      { name: '平均等候 Mean', type: 'bar', data: hs.map((x) => ({ value: x.totals.mean_wait_min, itemStyle: faded(x, BLUE) })),
        label: { show: true, position: 'top', fontSize: 12, formatter: (p) => mins(p.value) } },
      { name: '90%等候 p90', type: 'bar', data: hs.map((x) => ({ value: x.totals.p90_wait_min, itemStyle: faded(x, AMBER) })),
        label: { show: true, position: 'top', fontSize: 12, formatter: (p) => mins(p.value) } }],
  });
}

function renderQuality() {
  const hs = halls();
  if (!hs.length) { chartIn('chart-quality', null, NONE); return; }
  const p = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
  chartIn('chart-quality', {
    legend, grid: { left: 48, right: 20, top: 40, bottom: 30 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: axisNames(), axisLabel: { fontSize: 13 } },
    yAxis: { type: 'value', max: 100, name: '%', nameTextStyle: { fontSize: 12 } },
    series: [
      { name: '服务水平 Service level', type: 'bar', data: hs.map((x) => ({ value: p(x.totals.service_level), itemStyle: faded(x, '#3949ab') })),
        label: { show: true, position: 'top', fontSize: 12, formatter: (q) => (q.value === null ? '–' : `${q.value}%`) } },
      { name: '满意率 Satisfied', type: 'bar', data: hs.map((x) => ({ value: p(x.totals.satisfaction_rate), itemStyle: faded(x, GREEN) })),
        label: { show: true, position: 'top', fontSize: 12, formatter: (q) => (q.value === null ? '–' : `${q.value}%`) } }],
  });
}

// Each hall's arrivals split by service, as stacked horizontal bars: how the halls differ.
function renderMix() {
  const hs = halls();
  if (!hs.length) { chartIn('chart-mix', null, NONE); return; }
  const names = Object.fromEntries(state.data.businesses.map((b) => [b.code, b.name]));
  const codes = [...new Set(hs.flatMap((x) => x.rows.map((r) => r.key)))];
  if (!codes.length) { chartIn('chart-mix', null, ['本期间无人取号', 'no arrivals in this period']); return; }
  chartIn('chart-mix', {
    legend: { ...legend, type: 'scroll' }, grid: { left: 80, right: 30, top: 36, bottom: 24 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    yAxis: { type: 'category', data: axisNames(), inverse: true, axisLabel: { fontSize: 13 } },
    xAxis: { type: 'value', minInterval: 1 },
    series: codes.map((c, i) => ({
      name: names[c] || c, type: 'bar', stack: 'all', barMaxWidth: 28, itemStyle: { color: PALETTE[i % PALETTE.length] },
      data: hs.map((x) => x.rows.find((r) => r.key === c)?.arrived ?? 0),
    })),
  });
}

// --- start -------------------------------------------------------------------------
async function start() {
  state.token = await signIn('centre', { probe: '/centre/figures', title: '市中心令牌由 “hallq centre token” 发放 / a centre token comes from “hallq centre token”' });
  $('#quick').addEventListener('click', (e) => {
    const b = e.target.closest('[data-quick]');
    if (!b || !state.data) return;
    state.quick = b.dataset.quick;
    [state.from, state.to] = periodOf(state.quick, state.data.today);
    load();
  });
  $('#period').addEventListener('submit', (e) => {
    e.preventDefault();
    state.quick = null;
    state.from = $('#from').value;
    state.to = $('#to').value;
    load();
  });
  $('#signout').addEventListener('click', () => { forgetToken('centre'); location.href = '/city'; });
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));
  await load();
  // The figures move all day: read them again every minute.
  setInterval(load, 60_000);
}
start();
