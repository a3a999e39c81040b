// The printable monthly report (月报): the month's figures by business, window and
// staff member from GET /reports, the bad-review work orders and their replies, and the
// month's call-backs, on one A4 sheet to print and file. The figures are the manager
// page's and the export's: the same endpoint, the same definitions (docs/kpi.md).

import { $, h, api, signIn, toast } from './hallq.js';

const KIND = 'manager'; // the manager page's token: one sign-in for both
const COLS = [
  ['arrived', '取号', 'Arrived'], ['served', '办结', 'Served'], ['no_show', '过号', 'No-show'],
  ['mean_wait_min', '平均等候', 'Mean wait'], ['p90_wait_min', '90%等候', 'P90 wait'],
  ['mean_service_min', '平均办理', 'Mean service'], ['service_level', '服务水平', 'Service level'],
  ['evaluations', '评价', 'Ratings'], ['satisfaction_rate', '满意率', 'Satisfied'],
  ['bad_reviews', '差评', 'Bad'],
];
const RATES = new Set(['service_level', 'satisfaction_rate', 'no_show_rate', 'in_time_rate', 'evaluation_rate',
  'refusal_rate', 'refusal_rate_prechecked', 'refusal_rate_unchecked']);
const MINUTES = new Set(['mean_wait_min', 'p90_wait_min', 'mean_service_min']);

function lastMonth() {
  const d = new Date();
  d.setDate(1);
  d.setMonth(d.getMonth() - 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

function monthRange(month) {
  const [y, m] = month.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return [`${month}-01`, `${month}-${String(last).padStart(2, '0')}`];
}

function cell(key, value) {
  if (value === null || value === undefined) return '—';
  if (RATES.has(key)) return `${Math.round(value * 1000) / 10}%`;
  if (MINUTES.has(key)) return `${value}′`;
  return String(value);
}

function table(first, rows, totals, names = {}) {
  return h('table', { class: 'r-table' },
    h('thead', {}, h('tr', {}, h('th', {}, first[0], h('small', {}, first[1])),
      ...COLS.map(([, zh, en]) => h('th', {}, zh, h('small', {}, en))))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, h('td', {}, names[r.key] || r.label || r.key),
      ...COLS.map(([k]) => h('td', {}, cell(k, r[k]))))),
    totals ? h('tr', { class: 'total' }, h('td', {}, '合计 Total'), ...COLS.map(([k]) => h('td', {}, cell(k, totals[k])))) : null));
}

function section(zh, en, ...content) {
  return [h('h2', {}, zh, h('small', {}, ` ${en}`)), ...content];
}

async function build(token, month) {
  const [from, to] = monthRange(month);
  const q = `from=${from}&to=${to}`;
  const [hall, biz, win, staff, people, orders, calls] = await Promise.all([
    api(token, 'GET', '/hall'), api(token, 'GET', `/reports?${q}&by=business`),
    api(token, 'GET', `/reports?${q}&by=window`), api(token, 'GET', `/reports?${q}&by=staff`),
    api(token, 'GET', '/staff'), api(token, 'GET', '/followups?status=all'),
    api(token, 'GET', `/callbacks/${month}/summary`)]);
  if (!biz.ok) { toast(biz.error.message); return; }
  const [y, m] = month.split('-');
  const name = hall.ok ? hall.data.name : '';
  document.title = `${name} ${y}年${Number(m)}月服务情况月报`;
  $('#title').textContent = `${name} ${y} 年 ${Number(m)} 月服务情况月报`;
  $('#subtitle').replaceChildren(`统计期间 ${from} 至 ${to}`, h('small', {}, ` · Monthly service report, ${from} to ${to}${biz.data.running ? ' (month still running)' : ''}`));
  const t = biz.data.totals;
  const staffNames = Object.fromEntries((people.ok ? people.data : []).map((p) => [p.number, `${p.name}（${p.number}）`]));
  staffNames[''] = '未签到 Not signed in';
  const mine = (orders.ok ? orders.data : []).filter((o) => o.opened_at.slice(0, 7) === month);
  const replied = mine.filter((o) => o.replied_at);
  const inTime = mine.filter((o) => o.in_time === true);
  const kv = (zh, en, v) => h('div', {}, h('dt', {}, zh, h('small', {}, ` ${en}`)), h('dd', {}, v));
  const body = [
    ...section('一、总体情况', 'Overview', h('dl', { class: 'r-kv', id: 'overview' },
      kv('取号', 'arrived', cell('arrived', t.arrived)), kv('办结', 'served', cell('served', t.served)),
      kv('平均等候', 'mean wait', cell('mean_wait_min', t.mean_wait_min)),
      kv('服务水平', 'service level', cell('service_level', t.service_level)),
      kv('过号率', 'no-show rate', cell('no_show_rate', t.no_show_rate)),
      // 不予受理 with and without the desk's 预审: whether the pre-check saves wasted visits.
      kv('不予受理', 'refused', cell('refused', t.refused)),
      kv('不予受理率', 'refusal rate', cell('refusal_rate', t.refusal_rate)),
      kv('预审后不予受理率', 'refused, pre-checked', cell('refusal_rate_prechecked', t.refusal_rate_prechecked)),
      kv('未预审不予受理率', 'refused, not pre-checked', cell('refusal_rate_unchecked', t.refusal_rate_unchecked)),
      kv('参评率', 'share rated', cell('evaluation_rate', t.evaluation_rate)),
      kv('满意率', 'satisfied', cell('satisfaction_rate', t.satisfaction_rate)),
      kv('差评', 'bad reviews', cell('bad_reviews', t.bad_reviews)))),
    ...section('二、分业务', 'By business', table(['业务', 'Business'], biz.data.rows, t)),
    ...section('三、分窗口', 'By window', win.ok ? table(['窗口', 'Window'], win.data.rows, null) : h('p', { class: 'r-missing' }, '暂无数据 / not available')),
    ...section('四、分工作人员', 'By staff member', staff.ok ? table(['工作人员', 'Staff'], staff.data.rows, null, staffNames) : h('p', { class: 'r-missing' }, '暂无数据 / not available')),
    ...section('五、差评整改', 'Bad-review work orders', h('p', { id: 'orders' },
      `本月差评整改单 ${mine.length} 件，已回复 ${replied.length} 件，按期回复 ${inTime.length} 件，未回复 ${mine.length - replied.length} 件。`,
      h('small', {}, ` ${mine.length} opened this month, ${replied.length} replied, ${inTime.length} in time, ${mine.length - replied.length} awaiting a reply.`))),
    ...section('六、月度回访', 'Monthly call-backs', calls.ok
      ? h('p', { id: 'calls' }, `抽取 ${calls.data.drawn} 人，已回访 ${calls.data.called} 人，接通 ${calls.data.reached} 人。`,
        h('small', {}, ` Drawn ${calls.data.drawn}, called ${calls.data.called}, reached ${calls.data.reached}.`))
      : h('p', { class: 'r-missing', id: 'calls' }, '本月尚未抽取回访名单', h('small', {}, ' No call-back sample drawn for this month'))),
  ];
  $('#body').replaceChildren(...body);
  $('#foot').replaceChildren(`生成于 ${new Date().toLocaleString('zh-CN')} · 指标定义见 docs/kpi.md（与看板、导出相同）`,
    h('small', {}, ' · Figures as on the dashboard and the exports; definitions in docs/kpi.md'));
  document.body.dataset.ready = month;
}

async function main() {
  const token = await signIn(KIND, { title: '服务情况月报 Monthly report',
    accept: (me) => (['manager', 'admin'].includes(me.role) ? null
      : '此页面仅限管理人员 / this page is for managers') });
  const url = new URL(location.href);
  const month = /^\d{4}-\d{2}$/.test(url.searchParams.get('month') || '') ? url.searchParams.get('month') : lastMonth();
  $('#month').value = month;
  $('#month').addEventListener('change', () => {
    const m = $('#month').value;
    if (!m) return;
    history.replaceState(null, '', `?month=${m}`);
    build(token, m);
  });
  $('#print').addEventListener('click', () => window.print());
  await build(token, month);
}

main();
