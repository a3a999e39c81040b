// The manager's page: the day (or any period) at a glance — arrivals against served, waits
// against their targets, service level, each window's load hour by hour, satisfaction day
// by day — and the quality loop behind it: bad-review work orders with their deadlines,
// each carried end to end (ticket → evaluation → steps → reply), the month's call-backs,
// and every member of staff's figures. Figures come from GET /reports; a panel whose data
// the server cannot give says so instead of showing an empty chart that looks like zero.

import { $, h, api, LiveHall, signIn, forgetToken, toast, clockText } from './hallq.js';

const KIND = 'manager';
const state = { token: null, hall: null, today: null, from: null, to: null,
  businesses: [], staff: [], levels: null, reports: {}, evaluations: null, load: null,
  orders: null, callbacks: null, bookings: null, visits: null, loading: false, again: false };
const charts = {};
window.hallqManager = { state, charts }; // for people debugging the page, and for the tests

const POLL_MS = 60_000; // the figures of a running day, even if no event says so
const EVENT_DEBOUNCE_MS = 2_000; // a burst of calls reloads once
const RED = '#c8102e', AMBER = '#d48806', BLUE = '#1f6feb', GREEN = '#0b8a4a', GREY = '#8193ab';
const NA = ['暂无数据', 'not available'];

const tick = () => { $('#clock').textContent = clockText(state.hall?.timezone); };

// --- dates: the hall's business day, not the browser's ------------------------------------
const iso = (d) => d.toISOString().slice(0, 10);
const parse = (s) => new Date(`${s}T00:00:00Z`); // UTC midnight: day arithmetic without DST
const addDays = (s, n) => { const d = parse(s); d.setUTCDate(d.getUTCDate() + n); return iso(d); };
const monthOf = (s) => s.slice(0, 7);
// A deadline counted through a year the holidays file does not have yet: only weekends
// were skipped there, so the date may move once the hall adds that year.
function provisional(o) {
  return o.due_provisional
    ? h('small', { class: 'o-provisional', title: '节假日数据缺失，仅按周末计算 / holidays not known yet: weekends only' }, '（暂定 provisional）')
    : null;
}

function lastMonth(s) {
  const d = parse(`${monthOf(s)}-01`);
  d.setUTCDate(0); // the day before the 1st: the last day of the month before
  return { from: `${monthOf(iso(d))}-01`, to: iso(d) };
}
function quickRange(kind) {
  const t = state.today;
  if (kind === 'week') return { from: addDays(t, -((parse(t).getUTCDay() + 6) % 7)), to: t }; // from Monday
  if (kind === 'month') return { from: `${monthOf(t)}-01`, to: t };
  if (kind === 'last-month') return lastMonth(t);
  return { from: t, to: t };
}
function daysOf(from, to) {
  const out = [];
  for (let d = from; d <= to && out.length < 400; d = addDays(d, 1)) out.push(d);
  return out;
}
const running = () => state.from <= state.today && state.today <= state.to;

// --- figures -----------------------------------------------------------------------------------
const pct = (r) => (r === null || r === undefined ? '—' : `${Math.round(r * 1000) / 10}%`);
const mins = (m) => (m === null || m === undefined ? '—' : `${Math.round(m * 10) / 10}′`);
const rateOf = (rows) => (rows.length ? rows.filter((e) => e.rating >= 4).length / rows.length : null);
const report = (by) => state.reports[by];
const rows = (by) => (report(by)?.ok ? report(by).data.rows : null);

async function fetchReport(by) {
  const q = `from=${state.from}&to=${state.to}&by=${by}`;
  const r = await api(state.token, 'GET', `/reports?${q}`);
  return r.ok ? { ok: true, data: r.data } : { ok: false, status: r.status, error: r.error };
}

// Everything for the period at once; a load asked for while one runs runs once after it.
async function load() {
  if (state.loading) { state.again = true; return; }
  state.loading = true;
  const period = `${state.from}..${state.to}`;
  try {
    const [hour, business, staffRows, evals, staff, orders, loadMap, bookings, visits] = await Promise.all([
      fetchReport('hour'), fetchReport('business'), fetchReport('staff'),
      api(state.token, 'GET', `/evaluations?from=${state.from}&to=${state.to}`),
      api(state.token, 'GET', '/staff'),
      api(state.token, 'GET', '/followups?status=open'),
      api(state.token, 'GET', `/load/windows?from=${state.from}&to=${state.to}`),
      // 预约: the figures of the period's last day (today while it runs); 404 when the hall
      // takes no bookings, and the card stays hidden.
      api(state.token, 'GET', `/booking/day?day=${state.to}`),
      // 上门服务: what happened in the whole period (requests, schedulings, outcomes); 404 when the
      // hall makes no home visits, and the card stays hidden.
      api(state.token, 'GET', `/home-visits/summary?from=${state.from}&to=${state.to}`)]);
    // The period changed while these were on their way: drop them, the next load runs.
    if (period !== `${state.from}..${state.to}`) { state.again = true; return; }
    state.reports = { hour, business, staff: staffRows };
    state.evaluations = evals.ok ? evals.data : null;
    if (staff.ok) state.staff = staff.data;
    state.orders = orders.ok ? orders.data : state.orders;
    state.load = loadMap.ok ? loadMap.data.cells : null;
    state.bookings = bookings.ok ? bookings.data : null;
    state.visits = visits.ok ? visits.data : null;
    renderAll();
  } finally {
    state.loading = false;
    if (state.again) { state.again = false; load(); }
  }
}

// --- rendering -------------------------------------------------------------------------------

function renderBookings() {
  const f = state.bookings;
  $('#card-bookings').hidden = !f;
  if (!f) return;
  $('#bookings-day').textContent = f.day;
  $('#bk-kpis').replaceChildren(
    kpi('bk-booked', '预约', 'Booked', String(f.booked), f.enterprise ? [`企业批量 ${f.enterprise} enterprise`] : null),
    kpi('bk-in', '已签到', 'Checked in', String(f.checked_in), f.by_hand ? [`其中手工 ${f.by_hand} by a guide`] : null),
    kpi('bk-missed', '爽约', 'No-shows', String(f.no_show), null, f.no_show ? 'bad' : ''),
    kpi('bk-coming', '待到', 'To come', String(f.to_come)),
    kpi('bk-rate', '到场率', 'Show rate', pct(f.show_rate), f.cancelled ? [`取消 ${f.cancelled} cancelled`] : null));
  const num = (v) => h('td', { class: 'r num' }, String(v));
  $('#bk-table tbody').replaceChildren(...f.businesses.map((b) => h('tr', { 'data-business': b.code },
    h('td', {}, `${b.name} `, h('small', {}, b.name_en)), num(b.booked), num(b.checked_in), num(b.by_hand),
    h('td', { class: `r num${b.no_show ? ' bad' : ''}` }, String(b.no_show)), num(b.to_come), num(b.cancelled),
    num(b.enterprise), h('td', { class: 'r num' }, pct(b.show_rate)))));
}

// Each event counts in the period it happened (made, scheduled, done…), not by the visit's
// state now, so last month's figures stay put while this month finishes its visits.
function renderVisits() {
  const s = state.visits;
  $('#card-visits').hidden = !s;
  if (!s) return;
  $('#visits-period').textContent = s.from === s.to ? s.from : `${s.from} – ${s.to}`;
  const v = s.visits;
  $('#hv-kpis').replaceChildren(
    kpi('hv-requested', '申请', 'Requests', String(s.requested),
      s.open_at_end ? [`期末未办结 ${s.open_at_end}`, h('small', {}, ' open at end')] : null),
    kpi('hv-scheduled', '已安排', 'Scheduled', String(v.scheduled)),
    kpi('hv-done', '已办结', 'Done', String(v.done)),
    kpi('hv-rescheduled', '需改期', 'Rescheduled', String(v.rescheduled)),
    kpi('hv-refused', '申请人谢绝', 'Refused', String(v.refused)),
    kpi('hv-nobody', '无人在家', 'Nobody home', String(v.nobody_home), null, v.nobody_home ? 'bad' : ''));
  const num = (n) => h('td', { class: 'r num' }, String(n));
  $('#hv-table tbody').replaceChildren(...s.teams.map((t) => h('tr', { 'data-team': t.team },
    h('td', {}, t.name), num(t.scheduled), num(t.done), num(t.rescheduled), num(t.refused),
    h('td', { class: `r num${t.nobody_home ? ' bad' : ''}` }, String(t.nobody_home)))));
}

function renderAll() {
  renderExports(); renderKpis(); renderFlow(); renderWaits(); renderSatisfaction(); renderLoad();
  renderOrders(); renderStaff(); renderBookings(); renderVisits();
  document.body.dataset.loaded = `${state.from}..${state.to}`; // the tests wait for this
}

function renderExports() {
  const available = report('business')?.ok;
  for (const a of [$('#export-csv'), $('#export-xlsx')]) {
    a.classList.toggle('disabled', !available);
    a.setAttribute('aria-disabled', String(!available));
    a.title = available ? `${state.from} – ${state.to}` : '报表接口未就绪 / reports not available';
    a.href = `/api/v1/reports?from=${state.from}&to=${state.to}&by=business&format=${a.dataset.format}`;
  }
}

// Fetched with the token in its header, then saved: a token in a link would end up in
// the browser's history and the server's access log.
async function download(e) {
  e.preventDefault();
  const a = e.currentTarget;
  if (a.classList.contains('disabled')) { toast('报表接口未就绪 / reports not available'); return; }
  let res;
  try { res = await fetch(a.getAttribute('href'), { headers: { Authorization: `Bearer ${state.token}` } }); }
  catch { toast('无法连接服务器 / cannot reach the server'); return; }
  if (!res.ok) { toast(`导出失败 / export failed (${res.status})`); return; }
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1]
    || `hallq-report-${state.from}-${state.to}.${a.dataset.format}`;
  const url = URL.createObjectURL(await res.blob());
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function kpi(id, zh, en, value, note = null, cls = '') {
  return h('div', { class: `kpi ${cls}`, id },
    h('span', { class: 'kpi-label' }, zh, h('small', {}, ` ${en}`)),
    h('b', { class: 'kpi-value num' }, value),
    note ? h('span', { class: 'kpi-note' }, ...note) : null);
}

function renderKpis() {
  const t = report('business')?.ok ? report('business').data.totals : null;
  const na = () => (t ? null : ['报表未就绪 ', h('small', {}, 'reports n/a')]); // fresh nodes for each figure
  const evals = state.evaluations || [];
  const orders = state.orders || [];
  const overdue = orders.filter((o) => o.urgency === 'overdue').length;
  const soon = orders.filter((o) => o.urgency === 'due_soon').length;
  const period = state.from === state.to ? state.from : `${state.from} – ${state.to}`;
  $('#kpis').replaceChildren(
    h('div', { class: 'kpi period-kpi' }, h('span', { class: 'kpi-label' }, running() ? '统计期间（进行中）' : '统计期间',
      h('small', {}, running() ? ' Period (running)' : ' Period')), h('b', { class: 'kpi-value num', id: 'period-text' }, period)),
    kpi('kpi-arrived', '取号', 'Arrived', t ? String(t.arrived) : '—', na()),
    kpi('kpi-served', '办结', 'Served', t ? String(t.served) : '—', na()),
    kpi('kpi-wait', '平均等候', 'Mean wait', t ? mins(t.mean_wait_min) : '—',
      t ? [`90% ≤ ${mins(t.p90_wait_min)}`, h('small', {}, ` · 最长 max ${mins(t.max_wait_min)}`)] : na()),
    kpi('kpi-level', '服务水平', 'Service level', t ? pct(t.service_level) : '—',
      t ? ['等候未超目标', h('small', {}, ' within the wait target')] : na()),
    kpi('kpi-satisfaction', '满意率', 'Satisfied', state.evaluations ? pct(rateOf(evals)) : '—',
      [`${evals.length} 条评价`, h('small', {}, ` ratings`)]),
    kpi('kpi-orders', '整改单（未办结）', 'Open work orders', String(orders.length),
      [h('span', { class: overdue ? 'bad' : '' }, `超期 ${overdue}`), ' · ',
        h('span', { class: soon ? 'warn' : '' }, `将超期 ${soon}`), h('small', {}, ' overdue · due soon')],
      overdue ? 'alarm' : ''));
}

// A chart panel either draws its chart or says why it cannot; never an empty frame.
function chartIn(id, option, why = null) {
  const box = $(`#${id}`);
  const card = box.closest('.card');
  let note = card.querySelector('.na');
  if (why) {
    charts[id]?.dispose();
    delete charts[id];
    box.hidden = true;
    if (!note) { note = h('p', { class: 'na' }); card.append(note); }
    note.replaceChildren(h('b', {}, why[0]), h('small', {}, ` ${why[1]}`));
    card.dataset.state = 'na';
    return;
  }
  note?.remove();
  box.hidden = false;
  card.dataset.state = 'ok';
  if (!charts[id]) charts[id] = echarts.init(box, null, { renderer: 'svg' });
  charts[id].setOption({ animation: false, textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    ...option }, true);
}

function unavailable(rep) {
  if (!rep) return NA;
  if (rep.status === 404) return [`${NA[0]}：报表接口未就绪`, `${NA[1]}: this server has no reports yet`];
  return [`${NA[0]}：${(rep.error?.message || '').split(' / ')[0]}`, NA[1]];
}

const legend = { top: 0, left: 'center', itemGap: 16, textStyle: { fontSize: 13 } };
const grid = { left: 48, right: 24, top: 44, bottom: 30 };

function renderFlow() {
  const data = rows('hour');
  if (!data) { chartIn('chart-flow', null, unavailable(report('hour'))); return; }
  if (!data.length) { chartIn('chart-flow', null, ['本期间无人取号', 'no arrivals in this period']); return; }
  const slots = data.map((r) => r.key);
  chartIn('chart-flow', {
    legend, grid, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: slots, axisLabel: { fontSize: 12 } },
    yAxis: { type: 'value', minInterval: 1, name: '人次', nameTextStyle: { fontSize: 12 } },
    series: [
      { name: '取号 Arrived', type: 'bar', data: data.map((r) => r.arrived), itemStyle: { color: '#9fc3ff' } },
      { name: '办结 Served', type: 'line', data: data.map((r) => r.served), itemStyle: { color: GREEN },
        lineStyle: { width: 3 }, symbolSize: 7 }],
  });
}

// Each service's mean wait as a bar, red when over its target, and the target as a mark.
function renderWaits() {
  const data = rows('business');
  if (!data) { chartIn('chart-waits', null, unavailable(report('business'))); return; }
  const called = data.filter((r) => r.mean_wait_min !== null);
  if (!called.length) { chartIn('chart-waits', null, ['本期间尚无叫号', 'nobody called in this period']); return; }
  const target = (code) => state.businesses.find((b) => b.code === code)?.wait_target_minutes ?? null;
  const names = called.map((r) => r.label || r.key);
  chartIn('chart-waits', {
    legend, grid: { left: 96, right: 110, top: 40, bottom: 36 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    yAxis: { type: 'category', data: names, inverse: true, axisLabel: { fontSize: 13 } },
    xAxis: { type: 'value', name: '分钟 min', nameLocation: 'middle', nameGap: 22, nameTextStyle: { fontSize: 12 } },
    series: [
      { name: '平均等候 Mean wait', type: 'bar', barMaxWidth: 22,
        data: called.map((r) => ({ value: r.mean_wait_min,
          itemStyle: { color: target(r.key) !== null && r.mean_wait_min > target(r.key) ? RED : BLUE } })),
        label: { show: true, position: 'right', fontSize: 12, color: '#10233f',
          formatter: (p) => `${mins(p.value)} · 达标 ${pct(called[p.dataIndex].service_level)}` } },
      { name: '目标 Target', type: 'scatter', symbol: 'rect', symbolSize: [4, 26], itemStyle: { color: '#10233f' },
        data: called.map((r) => target(r.key)), z: 5,
        label: { show: true, position: 'top', fontSize: 11, color: '#3d4a5c', formatter: (p) => `目标 ${p.value}′` } }],
  });
}

function renderSatisfaction() {
  if (!state.evaluations) { chartIn('chart-satisfaction', null, NA); return; }
  if (!state.evaluations.length) { chartIn('chart-satisfaction', null, ['本期间尚无评价', 'no ratings in this period']); return; }
  const days = daysOf(state.from, state.to);
  const per = new Map(days.map((d) => [d, []]));
  for (const e of state.evaluations) per.get(e.day)?.push(e);
  const rate = days.map((d) => { const r = rateOf(per.get(d)); return r === null ? null : Math.round(r * 1000) / 10; });
  chartIn('chart-satisfaction', {
    legend, grid: { ...grid, right: 44 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: days.map((d) => d.slice(5)), axisLabel: { fontSize: 12 } },
    yAxis: [{ type: 'value', min: 0, max: 100, name: '%', nameTextStyle: { fontSize: 12 } },
      { type: 'value', minInterval: 1, name: '条', splitLine: { show: false } }],
    series: [
      { name: '评价数 Ratings', type: 'bar', yAxisIndex: 1, data: days.map((d) => per.get(d).length),
        itemStyle: { color: '#d6deea' }, barMaxWidth: 26 },
      // Days without ratings stay gaps: a line across them would invent a trend.
      { name: '满意率 Satisfied %', type: 'line', data: rate, connectNulls: false, showAllSymbol: true, itemStyle: { color: GREEN },
        lineStyle: { width: 3 }, symbolSize: 8, label: { show: rate.filter((r) => r !== null).length <= 10, formatter: '{c}%', fontSize: 12 } }],
  });
}

// Calls per window and hour over the period (GET /load/windows): where the hall was busy,
// and when; a window that called nobody has no row.
function renderLoad() {
  if (!state.load) { chartIn('chart-load', null, NA); return; }
  if (!state.load.length) { chartIn('chart-load', null, ['本期间尚无叫号', 'nobody called in this period']); return; }
  const cells = state.load;
  const lo = Math.min(8, ...cells.map((c) => c.hour)), hi = Math.max(17, ...cells.map((c) => c.hour));
  const hours = []; for (let x = lo; x <= hi; x++) hours.push(x);
  const windows = [...new Set(cells.map((c) => c.window))].sort((a, b) => a - b);
  const data = cells.filter((c) => c.called > 0).map((c) => [hours.indexOf(c.hour), windows.indexOf(c.window), c.called]);
  const days = daysOf(state.from, state.to).length;
  chartIn('chart-load', {
    grid: { left: 72, right: 110, top: 8, bottom: 28 },
    tooltip: { formatter: (p) => `${windows[p.value[1]]} 号窗口 · ${hours[p.value[0]]}:00 — 叫号 ${p.value[2]}` },
    xAxis: { type: 'category', data: hours.map((x) => `${String(x).padStart(2, '0')}:00`), splitArea: { show: true } },
    yAxis: { type: 'category', data: windows.map((w) => `${w} 号窗`), inverse: true, axisLabel: { fontSize: 12 } },
    visualMap: { min: 0, max: Math.max(1, ...cells.map((c) => c.called)), orient: 'vertical', right: 8, top: 'middle',
      itemHeight: 110, text: [days > 1 ? `多 busy · ${days} 天` : '多 busy', '少 quiet'], textStyle: { fontSize: 12 },
      inRange: { color: ['#eef4ff', '#6fa0ff', '#1f3f99'] } },
    series: [{ name: '叫号 Called', type: 'heatmap', data, label: { show: true, fontSize: 12 },
      emphasis: { itemStyle: { borderColor: '#10233f', borderWidth: 1 } } }],
  });
}

// --- work orders ------------------------------------------------------------------------------
const URGENCY = { overdue: ['已超期', 'overdue'], due_soon: ['即将超期', 'due soon'] };
const staffName = (no) => state.staff.find((s) => s.number === no)?.name || '';

function renderOrders() {
  const box = $('#orders');
  if (!state.orders) { box.replaceChildren(h('li', { class: 'na' }, NA[0], h('small', {}, ` ${NA[1]}`))); return; }
  const rank = (o) => (o.urgency === 'overdue' ? 0 : o.urgency === 'due_soon' ? 1 : 2);
  const list = [...state.orders].sort((a, b) => rank(a) - rank(b) || a.due_date.localeCompare(b.due_date));
  $('#orders-count').textContent = `${list.length} 未办结 open`;
  if (!list.length) { box.replaceChildren(h('li', { class: 'hint' }, '没有未办结的整改单', h('small', {}, ' No open work orders'))); return; }
  box.replaceChildren(...list.map((o) => {
    const [uz, ue] = URGENCY[o.urgency] || ['', ''];
    return h('li', { class: `order ${o.urgency || 'fine'}`, dataset: { order: o.id }, tabindex: 0, role: 'button',
      onclick: () => openOrder(o.id), onkeydown: (e) => { if (e.key === 'Enter') openOrder(o.id); } },
    h('b', { class: 'o-number num' }, o.number),
    // Numbers restart every day: the day of the review tells two C001s apart.
    h('span', { class: 'o-who' }, `${o.window} 号窗口`, o.staff ? ` · ${staffName(o.staff) || o.staff}` : '',
      h('small', {}, ` · 评价于 ${whenText(o.opened_at).slice(0, 5)}`)),
    h('span', { class: 'o-rating' }, o.rating_name || `${o.rating} 星`),
    h('span', { class: 'o-status' }, o.status_name),
    h('span', { class: 'o-due' }, '截止 ', h('b', { class: 'num' }, o.due_date), provisional(o),
      uz ? h('span', { class: `upill ${o.urgency}` }, uz, h('small', {}, ` ${ue}`)) : null));
  }));
}

const EVENT_NAMES = { 'ticket.issued': ['取号', 'issued'], 'ticket.called': ['叫号', 'called'],
  'ticket.recalled': ['重呼', 'recalled'], 'ticket.started': ['开始办理', 'started'],
  'ticket.completed': ['办结', 'completed'], 'ticket.no_show': ['过号', 'no-show'],
  'ticket.transferred': ['转移', 'transferred'], 'ticket.forwarded': ['转下一环节', 'forwarded'],
  'ticket.parked': ['挂起', 'parked'], 'ticket.cancelled': ['取消', 'cancelled'],
  'ticket.abandoned': ['弃号', 'abandoned'], 'evaluation.recorded': ['评价', 'rated'] };
const NEXT_STEP = { open: ['verify', '核实', 'Verify'], verified: ['rectify', '整改', 'Rectify'],
  rectified: ['reply', '回复申请人', 'Reply to the applicant'], replied: ['close', '办结', 'Close'] };
const whenText = (at) => {
  const t = Date.parse(at);
  if (Number.isNaN(t)) return '';
  return new Intl.DateTimeFormat('zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    hour12: false, timeZone: state.hall?.timezone }).format(t);
};
const reasonName = (code) => state.levels?.reasons.find((r) => r.code === code)?.name || code;

function stage(cls, zh, en, items) {
  return h('li', { class: `stage ${cls}` }, h('h3', {}, zh, h('small', {}, ` ${en}`)),
    h('ul', { class: 'steps' }, items.length ? items : [h('li', { class: 'hint' }, '尚无', h('small', {}, ' none yet'))]));
}
const step = (at, what, ...rest) => h('li', {}, h('span', { class: 'when num' }, whenText(at)), h('b', {}, ...what), ...rest);

// One visit carried end to end, in the order it happened: the ticket, its rating, the work
// order and each step to the reply; then the one next step the manager may take.
function renderOrder(o) {
  const dialog = $('#order-dialog');
  const [uz, ue] = URGENCY[o.urgency] || ['按期', 'in time'];
  const ticket = o.history.filter((e) => e.type !== 'evaluation.recorded').map((e) => {
    const [zh, en] = EVENT_NAMES[e.type] || [e.type, ''];
    return step(e.at, [zh, h('small', {}, ` ${en}`)],
      e.window ? ` · ${e.window} 号窗口` : '', e.staff ? ` · ${staffName(e.staff) || ''} ${e.staff}` : '');
  });
  const ev = o.evaluation;
  const rating = ev ? [step(ev.at, [`${o.rating_name}（${ev.rating} 星）`, h('small', {}, ` rated ${ev.rating}/5`)],
    ev.reason ? ` · 原因 ${reasonName(ev.reason)}` : '', ev.comment ? h('q', {}, ev.comment) : '',
    ` · ${ev.channel === 'pad' ? '评价器 pad' : ev.channel}`)] : [];
  const order = [step(o.opened_at, ['开单', h('small', {}, ' opened')], ' · 截止 due ', h('b', { class: 'num nowrap' }, o.due_date), provisional(o), ' ',
    h('span', { class: `upill ${o.urgency || 'fine'}` }, uz, h('small', {}, ` ${ue}`)))];
  const steps = (o.steps || []).map((s) => step(s.at, [s.step_name, h('small', {}, ` ${s.step}`)],
    ` · ${s.actor}`, h('p', { class: 'note' }, s.note)));
  const next = NEXT_STEP[o.status];
  const form = next ? h('form', { class: 'next-step', id: 'step-form', onsubmit: (e) => { e.preventDefault(); addStep(o, next[0]); } },
    h('label', { for: 'step-note' }, '下一步：', h('b', {}, next[1]), h('small', {}, ` Next step: ${next[2]}`)),
    h('textarea', { id: 'step-note', rows: 3, maxlength: 1000, required: true,
      placeholder: '写明处理情况 / what was done or said' }),
    h('button', { class: 'btn primary', type: 'submit', id: 'step-go' }, `提交「${next[1]}」`, h('small', {}, ` Save`)))
    : h('p', { class: 'closed-note' }, '该整改单已办结', h('small', {}, ' This work order is closed'));
  dialog.replaceChildren(
    h('header', { class: 'od-head' },
      h('h2', { id: 'order-title' }, '差评整改 ', h('b', { class: 'num' }, o.number), h('small', {}, ' Bad-review work order'),
        ' ', h('span', { class: 'pill status' }, o.status_name)),
      h('button', { class: 'btn', type: 'button', id: 'order-close', onclick: () => dialog.close() }, '关闭', h('small', {}, ' Close'))),
    h('ol', { class: 'journey' },
      stage('s-ticket', '① 取号与办理', 'Ticket', ticket),
      stage('s-eval', '② 评价', 'Evaluation', rating),
      stage('s-order', '③ 整改单', 'Work order', order),
      stage('s-steps', '④ 核实 · 整改 · 回复 · 办结', 'Steps to the reply', steps)),
    form);
  dialog.dataset.order = o.id;
  dialog.dataset.status = o.status;
}

async function openOrder(id) {
  const r = await api(state.token, 'GET', `/followups/${encodeURIComponent(id)}`);
  if (!r.ok) { toast(r.error.message); return; }
  renderOrder(r.data);
  const dialog = $('#order-dialog');
  if (!dialog.open) dialog.showModal();
  $('#step-note')?.focus();
}

async function addStep(o, stepCode) {
  const note = $('#step-note').value.trim();
  if (!note) return;
  $('#step-go').disabled = true;
  const r = await api(state.token, 'POST', `/followups/${encodeURIComponent(o.id)}/steps`, { step: stepCode, note });
  if (!r.ok) { toast(r.error.message); $('#step-go').disabled = false; return; }
  toast(`已记录「${r.data.steps.at(-1).step_name}」/ step saved`, 'ok');
  renderOrder(r.data);
  const orders = await api(state.token, 'GET', '/followups?status=open');
  if (orders.ok) { state.orders = orders.data; renderOrders(); renderKpis(); }
}

// --- call-backs ------------------------------------------------------------------------------
// A month is drawn once it is over, so the panel starts on the last month that is.
async function loadCallbacks() {
  const month = $('#cb-month').value;
  const r = await api(state.token, 'GET', `/callbacks/${month}/summary`);
  state.callbacks = r;
  renderCallbacks(month);
}

function cbFigure(zh, en, value, id) {
  return h('div', { class: 'cb-fig', id }, h('b', { class: 'num' }, String(value)), h('span', {}, zh, h('small', {}, ` ${en}`)));
}

function renderCallbacks(month) {
  const r = state.callbacks;
  const box = $('#callbacks');
  const drawButton = $('#cb-draw');
  if (r.ok) {
    const s = r.data;
    drawButton.disabled = true;
    box.replaceChildren(
      h('div', { class: 'cb-figs' }, cbFigure('抽取', 'drawn', s.drawn, 'cb-drawn'), cbFigure('已回访', 'called', s.called, 'cb-called'),
        cbFigure('已接通', 'reached', s.reached, 'cb-reached')),
      h('div', { class: 'cb-bar', title: `${s.called}/${s.drawn}` },
        h('span', { class: 'called', style: `width:${s.drawn ? (100 * s.called) / s.drawn : 0}%` }),
        h('span', { class: 'reached', style: `width:${s.drawn ? (100 * s.reached) / s.drawn : 0}%` })),
      h('div', { class: 'cb-figs cb-scores' }, cbFigure('接通率', 'reach rate', pct(s.reach_rate), 'cb-rate'),
        ...SCORES.map(([key, zh, en]) => cbFigure(zh, en, score(s[`mean_${key}`]), `cb-mean-${key}`))),
      h('p', { class: 'cb-facts' }, `${month} 留有电话的办结 ${s.population} 件，抽取 ${s.share_percent}%`,
        h('small', {}, ` · ${s.population} served with a phone, ${s.share_percent}% drawn`)));
    $('#cb-open').disabled = false;
    return;
  }
  $('#cb-open').disabled = true;
  drawButton.disabled = false;
  if (r.error?.code === 'callback_not_drawn') {
    box.replaceChildren(h('p', { class: 'hint' }, `${month} 尚未抽取回访名单`, h('small', {}, ` Not drawn yet for ${month}`)));
    return;
  }
  drawButton.disabled = true;
  box.replaceChildren(h('p', { class: 'na' }, h('b', {}, r.status === 404 ? `${NA[0]}：回访接口未就绪` : r.error.message.split(' / ')[0]),
    h('small', {}, ` ${NA[1]}`)));
}

async function drawCallbacks() {
  const month = $('#cb-month').value;
  const r = await api(state.token, 'POST', `/callbacks/${month}/draw`);
  const note = $('#cb-note');
  note.hidden = false;
  // 409: drawn before, by someone else perhaps: say so plainly, and show that draw.
  const [zh, en] = (r.ok ? `已抽取 ${month} 回访名单 ${r.data.sample_size} 件 / drawn: ${r.data.sample_size}`
    : r.error.message).split(' / ');
  note.className = `cb-note ${r.ok ? 'ok' : r.status === 409 ? 'warn' : 'bad'}`;
  note.dataset.status = String(r.status);
  note.replaceChildren(r.status === 409 ? '⚠ ' : '', zh, h('small', {}, en ? ` ${en}` : ''));
  await loadCallbacks();
}

// --- the call list (回访名单) ------------------------------------------------------------------
// The supervision office works down the month's drawn calls: phones masked, a full number
// only through the audited reveal (kept in this page's memory, in that row, while the
// dialog is open: never in storage or the address), each call's outcome recorded here.
const SCORES = [['attitude', '服务态度', 'attitude'], ['time_taken', '办理时间', 'time taken'],
  ['discipline', '工作纪律', 'discipline']];
const score = (v) => (v === null || v === undefined ? '—' : String(v));
const cl = { month: null, calls: [], revealed: new Map(), editing: null, draft: null, error: null };
window.hallqManager.calllist = cl;
const businessName = (code) => state.businesses.find((b) => b.code === code)?.name || code;
const zhEn = (message) => {
  const [zh, en] = String(message || '').split(' / ');
  return [h('b', {}, zh), en ? h('small', {}, ` ${en}`) : null];
};

async function openCallList() {
  const month = $('#cb-month').value;
  if (cl.month !== month) { cl.revealed.clear(); cl.editing = null; }
  cl.month = month;
  const r = await api(state.token, 'GET', `/callbacks/${month}`);
  if (!r.ok) { toast(r.error.message); return; }
  cl.calls = r.data.calls;
  renderCallList();
  const dialog = $('#calllist-dialog');
  if (!dialog.open) dialog.showModal();
}

function closeCallList() {
  cl.revealed.clear(); // a full number is seen once, while working on that call
  cl.editing = null;
  $('#calllist-dialog').close();
}

function outcomeCell(c) {
  const o = c.outcome;
  if (!o) return h('span', { class: 'cl-state none' }, '未拨打', h('small', {}, ' not called yet'));
  const when = whenText(o.at);
  const tries = c.attempts > 1 ? h('small', { class: 'cl-tries' }, ` · 第 ${c.attempts} 次 attempt ${c.attempts}`) : null;
  if (!o.reached) {
    return h('span', {}, h('span', { class: 'cl-state missed' }, '未接通', h('small', {}, ' not reached')), tries,
      h('small', { class: 'cl-when' }, ` ${when}`), o.comment ? h('q', { class: 'cl-comment' }, o.comment) : null);
  }
  return h('span', {}, h('span', { class: 'cl-state reached' }, '已接通', h('small', {}, ' reached')), tries,
    h('span', { class: 'cl-scores' }, ...SCORES.map(([key, zh]) => h('span', { class: `cl-score${o[key] !== null && o[key] <= 2 ? ' low' : ''}`, dataset: { score: key } },
      `${zh} `, h('b', { class: 'num' }, score(o[key]))))),
    h('small', { class: 'cl-when' }, ` ${when}`), o.comment ? h('q', { class: 'cl-comment' }, o.comment) : null);
}

function phoneCell(c) {
  const full = cl.revealed.get(c.ticket_id);
  if (full) {
    return h('td', { class: 'cl-phone' }, h('b', { class: 'num cl-full' }, full),
      h('span', { class: 'cl-audited' }, '已记录查看', h('small', {}, ' this look is recorded')));
  }
  return h('td', { class: 'cl-phone' }, h('span', { class: 'num cl-masked' }, c.phone_masked),
    h('button', { class: 'btn cl-reveal', type: 'button', onclick: () => reveal(c) }, '显示完整号码', h('small', {}, ' Show full number')),
    c.phone_from === 'case' ? h('small', { class: 'cl-from' }, `申请人电话 case ${c.case_no}`) : null);
}

function callRow(c) {
  const editing = cl.editing === c.ticket_id;
  return h('tr', { class: `cl-row${editing ? ' editing' : ''}`, dataset: { ticket: c.ticket_id, rank: String(c.rank) } },
    h('td', { class: 'num r' }, String(c.rank)),
    h('td', { class: 'num cl-number' }, c.number),
    h('td', { class: 'num' }, c.day),
    h('td', {}, businessName(c.business)),
    h('td', { class: 'num' }, c.window ? `${c.window} 号` : '—'),
    h('td', {}, c.staff ? [h('b', {}, c.staff_name || ''), h('small', { class: 'num' }, ` 工号 ${c.staff}`)] : h('small', {}, '— 未签到 nobody signed in')),
    phoneCell(c),
    h('td', { class: 'cl-outcome' }, outcomeCell(c)),
    h('td', {}, h('button', { class: `btn ${editing ? '' : 'primary'} cl-edit`, type: 'button',
      onclick: () => { cl.editing = editing ? null : c.ticket_id; cl.draft = { reached: null, comment: '' }; cl.error = null; renderCallList(); } },
    editing ? '收起' : '记录结果', h('small', {}, editing ? ' Close' : ' Record'))));
}

function choice(group, value, current, zh, en, onpick, cls = '') {
  return h('button', { type: 'button', class: `btn big-choice ${cls}${current === value ? ' chosen' : ''}`,
    'aria-pressed': String(current === value), dataset: { group, value: String(value) }, onclick: () => onpick(value) },
  zh, en ? h('small', {}, ` ${en}`) : null);
}

function editorRow(c) {
  const d = cl.draft;
  const redraw = () => renderCallList();
  const pick = (key) => (v) => { d[key] = d[key] === v ? null : v; redraw(); };
  const scores = d.reached ? h('div', { class: 'cl-score-rows' }, ...SCORES.map(([key, zh, en]) =>
    h('div', { class: 'cl-score-row', dataset: { score: key } }, h('span', { class: 'cl-score-name' }, zh, h('small', {}, ` ${en}`)),
      ...[1, 2, 3, 4, 5].map((n) => choice(key, n, d[key] ?? null, String(n), '', pick(key), 'score'))),
  ), h('p', { class: 'hint cl-scale' }, '1 很差 … 5 很好', h('small', {}, ' 1 very poor … 5 very good'))) : null;
  const comment = h('textarea', { id: 'cl-comment', rows: 2, maxlength: 1000, placeholder: '备注（可不填）/ comment (optional)',
    oninput: (e) => { d.comment = e.target.value; } });
  comment.value = d.comment;
  return h('tr', { class: 'cl-editor', dataset: { ticket: c.ticket_id } }, h('td', { colspan: 9 },
    h('form', { class: 'cl-form', id: 'cl-form', onsubmit: (e) => { e.preventDefault(); saveOutcome(c); } },
      h('div', { class: 'cl-reach' }, h('span', { class: 'cl-score-name' }, `${c.number} 是否接通`, h('small', {}, ' Reached?')),
        choice('reached', true, d.reached, '已接通', 'reached', (v) => { d.reached = v; redraw(); }, 'yes'),
        choice('reached', false, d.reached, '未接通', 'not reached', (v) => {
          d.reached = v; for (const [k] of SCORES) d[k] = null; redraw();
        }, 'no')),
      scores,
      h('label', { class: 'cl-comment-label', for: 'cl-comment' }, '备注', h('small', {}, ' Comment')),
      comment,
      cl.error ? h('p', { class: 'cl-error', role: 'alert' }, ...zhEn(cl.error)) : null,
      h('div', { class: 'cl-actions' },
        h('button', { class: 'btn primary', type: 'submit', id: 'cl-save', disabled: d.reached === null },
          '保存', h('small', {}, ' Save')),
        d.reached === null ? h('span', { class: 'hint' }, '先选择是否接通', h('small', {}, ' choose reached or not first')) : null))));
}

function renderCallList() {
  const dialog = $('#calllist-dialog');
  const done = cl.calls.filter((c) => c.outcome).length;
  const body = [];
  for (const c of cl.calls) {
    body.push(callRow(c));
    if (cl.editing === c.ticket_id) body.push(editorRow(c));
  }
  const scrollTop = dialog.querySelector('.cl-scroll')?.scrollTop || 0;
  dialog.replaceChildren(
    h('header', { class: 'od-head' },
      h('h2', { id: 'calllist-title' }, `${cl.month} 回访名单 `, h('small', {}, 'Call list'),
        h('span', { class: 'cl-count' }, ` 已回访 ${done} / ${cl.calls.length}`, h('small', {}, ` called ${done} of ${cl.calls.length}`))),
      h('button', { class: 'btn', type: 'button', id: 'calllist-close', onclick: closeCallList }, '关闭', h('small', {}, ' Close'))),
    h('p', { class: 'cl-privacy' }, '电话号码默认隐藏；显示完整号码会记录查看人和时间。',
      h('small', {}, ' Numbers are masked; showing a full number records who looked and when.')),
    h('div', { class: 'cl-scroll' }, h('table', { class: 'list cl-table', id: 'calllist' },
      h('thead', {}, h('tr', {},
        ...[['#', ''], ['号码', 'Ticket'], ['日期', 'Date'], ['业务', 'Service'], ['窗口', 'Window'], ['工作人员', 'Staff'],
          ['电话', 'Phone'], ['回访结果', 'Outcome'], ['', '']].map(([zh, en]) => h('th', {}, zh, en ? h('small', {}, ` ${en}`) : null)))),
      h('tbody', {}, ...(body.length ? body : [h('tr', {}, h('td', { colspan: 9, class: 'hint' }, '本月名单为空', h('small', {}, ' nobody drawn this month')))])))));
  dialog.querySelector('.cl-scroll').scrollTop = scrollTop;
  dialog.dataset.month = cl.month;
}

async function reveal(c) {
  const r = await api(state.token, 'POST', `/callbacks/${cl.month}/calls/${encodeURIComponent(c.ticket_id)}/reveal`);
  if (!r.ok) { toast(r.error.message); return; }
  cl.revealed.set(c.ticket_id, r.data.phone);
  renderCallList();
}

async function saveOutcome(c) {
  const d = cl.draft;
  if (d.reached === null) return;
  const body = { reached: d.reached, comment: d.comment.trim() };
  if (d.reached) for (const [key] of SCORES) if (d[key]) body[key] = d[key];
  $('#cl-save').disabled = true;
  const r = await api(state.token, 'POST', `/callbacks/${cl.month}/calls/${encodeURIComponent(c.ticket_id)}`, body);
  if (!r.ok) { cl.error = r.error.message; renderCallList(); return; } // said in the form, by Save
  toast(`已保存 ${c.number} 回访结果 / outcome saved`, 'ok');
  cl.editing = null;
  cl.error = null;
  const list = await api(state.token, 'GET', `/callbacks/${cl.month}`);
  if (list.ok) cl.calls = list.data.calls;
  else Object.assign(c, { attempts: r.data.attempts, outcome: r.data.outcome });
  renderCallList();
  if ($('#cb-month').value === cl.month) await loadCallbacks();
}

// --- staff -------------------------------------------------------------------------------------
// Everyone in the register, with the period's figures: served and service time from the
// report by staff; ratings from the evaluations themselves when the report is missing.
function renderStaff() {
  const rep = rows('staff');
  const byNo = new Map((rep || []).map((r) => [r.key, r]));
  const evals = state.evaluations || [];
  $('#staff-count').textContent = rep ? `${state.staff.length} 人` : '办结与办理时长：报表未就绪 reports n/a';
  $('#staff tbody').replaceChildren(...state.staff.map((s) => {
    const r = byNo.get(s.number);
    const mine = evals.filter((e) => e.staff === s.number);
    const n = r ? r.evaluations : mine.length;
    const rate = r ? r.satisfaction_rate : rateOf(mine);
    return h('tr', { dataset: { staff: s.number }, class: s.active === false ? 'inactive' : '' },
      h('td', { class: 'num' }, s.number), h('td', { class: 'strong' }, s.name), h('td', {}, s.department || '—'),
      h('td', {}, s.window ? h('span', { class: 'duty' }, `${s.window} 号窗口`) : h('small', {}, '不在岗 off duty')),
      h('td', { class: 'num r' }, r ? String(r.served) : '—'),
      h('td', { class: 'num r' }, r ? mins(r.mean_service_min) : '—'),
      h('td', { class: 'num r' }, String(n)),
      h('td', { class: `num r${rate !== null && rate < 0.8 ? ' bad' : ''}` }, pct(rate)));
  }));
}

// --- period and live refresh ----------------------------------------------------------------
function setPeriod(from, to) {
  if (!from || !to) return;
  if (to < from) [from, to] = [to, from];
  if (from === state.from && to === state.to && state.loading) return; // a double click
  state.from = from; state.to = to;
  $('#from').value = from; $('#to').value = to;
  for (const b of document.querySelectorAll('#quick .btn')) {
    const q = quickRange(b.dataset.quick);
    b.classList.toggle('active', q.from === from && q.to === to);
  }
  load();
}

let pending = null;
function onEvent(msg) {
  if (!running()) return; // a closed period does not change
  if (!msg.type?.startsWith('ticket.') && msg.type !== 'evaluation.recorded') return;
  clearTimeout(pending);
  pending = setTimeout(load, EVENT_DEBOUNCE_MS);
}

async function main() {
  $('#signout').addEventListener('click', () => { forgetToken(KIND); location.reload(); });
  state.token = await signIn(KIND, { title: '管理看板 Manager',
    accept: (me) => (['manager', 'admin'].includes(me.role) ? null
      : '此页面仅限管理人员（manager 或 admin 令牌） / this page is for managers (a manager or admin token)') });
  const [hall, businesses, levels] = await Promise.all([api(state.token, 'GET', '/hall'),
    api(state.token, 'GET', '/businesses'), api(state.token, 'GET', '/evaluation/levels')]);
  if (hall.ok) { state.hall = hall.data; $('#hall-name').textContent = hall.data.name; }
  if (businesses.ok) state.businesses = businesses.data;
  if (levels.ok) state.levels = levels.data;
  state.today = state.hall?.day || new Date().toISOString().slice(0, 10);
  tick();
  setInterval(tick, 1000);
  $('#period').addEventListener('submit', (e) => { e.preventDefault(); setPeriod($('#from').value, $('#to').value); });
  for (const b of document.querySelectorAll('#quick .btn')) {
    b.addEventListener('click', () => { const q = quickRange(b.dataset.quick); setPeriod(q.from, q.to); });
  }
  $('#cb-month').value = monthOf(lastMonth(state.today).from);
  $('#cb-month').addEventListener('change', loadCallbacks);
  $('#cb-draw').addEventListener('click', drawCallbacks);
  $('#cb-open').addEventListener('click', openCallList);
  $('#calllist-dialog').addEventListener('close', () => { cl.revealed.clear(); cl.editing = null; });
  for (const a of [$('#export-csv'), $('#export-xlsx')]) a.addEventListener('click', download);
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));
  setPeriod(state.today, state.today);
  loadCallbacks();
  setInterval(() => { if (running()) load(); }, POLL_MS);
  new LiveHall(state.token, { onSnapshot: (snap) => { state.hall = { ...state.hall, ...snap.hall }; if (running()) load(); },
    onEvent, onUnauthorized: () => { forgetToken(KIND); location.reload(); } }).start();
}

main();
