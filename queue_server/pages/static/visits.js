// 上门服务 the guides' page: requests waiting for a crew (new, to reschedule, nobody home)
// with their preferred days, scheduled to a crew or the vehicle and a time window in one
// row; what is scheduled; and a form to take a request at the desk. Addresses are masked
// here: only the crew's day list opens them.
import { $, h, api, signIn, forgetToken, toast, toastRefusal, setConnection } from './hallq.js';

const KIND = 'guide';
const state = { token: null, opts: null };

function md(iso) { const [, m, d] = iso.split('-'); return `${Number(m)}月${Number(d)}日`; }

function scheduler(v) {
  const teams = state.opts.teams.filter((t) => t.districts.includes(v.district));
  const days = state.opts.days.slice();
  if (v.visit_day && !days.includes(v.visit_day)) days.unshift(v.visit_day);
  const first = v.preferred_days.find((d) => days.includes(d)) || days[0];
  const team = h('select', { 'data-field': 'team' }, ...teams.map((t) => h('option', { value: t.code }, t.name)));
  const day = h('select', { 'data-field': 'day' }, ...days.map((d) => h('option', { value: d, selected: d === first },
    `${md(d)}${v.preferred_days.includes(d) ? ' ★' : ''}`)));
  const win = h('select', { 'data-field': 'window' }, ...state.opts.windows.map((w) => h('option', { value: w }, w)));
  const go = h('button', { class: 'btn primary', type: 'button', 'data-act': 'schedule', onclick: async () => {
    const r = await api(state.token, 'POST', `/home-visits/${v.code}/schedule`, { team: team.value, day: day.value, time_window: win.value });
    if (!r.ok) { toastRefusal(r); return; }
    toast(`已安排 ${v.code}：${r.data.team_name} ${r.data.when}，已短信告知 / scheduled, SMS sent`, 'ok');
    await load();
  } }, '安排', h('small', {}, ' Schedule'));
  return h('div', { class: 'v-sched' }, team, day, win, go);
}

function openRow(v) {
  return h('tr', { 'data-code': v.code },
    h('td', {}, v.code, h('small', {}, v.channel === 'phone' ? '手机 phone' : '窗口 desk')),
    h('td', {}, v.business_name, h('small', {}, `${v.reason_zh}${v.reason_note ? '：' + v.reason_note : ''}`)),
    h('td', {}, v.address_masked, h('small', {}, `${v.name_masked} · ${v.phone_masked}`)),
    h('td', { class: 'v-pref' }, v.preferred_days.map(md).join('、')),
    h('td', {}, v.status_zh, h('small', {}, v.attempts ? `上门 ${v.attempts} 次 · ${v.outcome_note || ''}` : v.status_en)),
    h('td', {}, scheduler(v)));
}

function scheduledRow(v) {
  return h('tr', { 'data-code': v.code },
    h('td', {}, v.code), h('td', {}, v.business_name),
    h('td', {}, v.address_masked, h('small', {}, `${v.name_masked} · ${v.phone_masked}`)),
    h('td', {}, v.team_name, h('small', {}, v.when)),
    h('td', {}, h('a', { class: 'btn', href: `/crew/visits?team=${v.team}&day=${v.visit_day}` }, '路线', h('small', {}, ' Route'))));
}

function rows(tbody, list, make, empty) {
  $(tbody).replaceChildren(...(list.length ? list.map(make)
    : [h('tr', {}, h('td', { colspan: 6, class: 'v-empty' }, empty[0], h('small', {}, ` ${empty[1]}`)))]));
}

async function load() {
  const [open, sched] = await Promise.all([api(state.token, 'GET', '/home-visits?status=open'),
    api(state.token, 'GET', '/home-visits?status=scheduled')]);
  if (!open.ok) { if (open.status === 0) setConnection('reconnecting', 1); else toastRefusal(open); return; }
  setConnection('live');
  rows('#open tbody', open.data, openRow, ['没有待安排的申请', 'Nothing waiting']);
  rows('#scheduled tbody', sched.ok ? sched.data : [], scheduledRow, ['暂无已安排的上门', 'Nothing scheduled']);
  $('#totals').textContent = `待安排 ${open.data.length} · 已安排 ${sched.ok ? sched.data.length : 0}`;
  document.body.dataset.ready = String(Date.now());
}

function fillDesk() {
  const f = $('#desk');
  const opt = (sel, items) => f.elements[sel].replaceChildren(...items.map(([v, t]) => h('option', { value: v }, t)));
  opt('business', state.opts.businesses.map((b) => [b.code, b.name]));
  opt('reason', state.opts.reasons.map((r) => [r.code, r.name]));
  opt('district', state.opts.districts.map((d) => [d, d]));
  opt('day', state.opts.days.map((d) => [d, md(d)]));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(f));
    const r = await api(state.token, 'POST', '/home-visits', { business: v.business, reason: v.reason,
      reason_note: v.reason_note, name: v.name, district: v.district, address: v.address, phone: v.phone,
      preferred_days: [v.day] });
    if (!r.ok) { toastRefusal(r); return; }
    toast(`已登记 ${r.data.code} / request taken`, 'ok');
    f.reset();
    await load();
  });
}

async function main() {
  $('#signout').addEventListener('click', () => { forgetToken(KIND); location.reload(); });
  state.token = await signIn(KIND, { probe: '/home-visits', allowed: [404], title: '上门服务安排 Home visits' });
  const o = await api(state.token, 'GET', '/home-visits/options');
  if (!o.ok) { toastRefusal(o); return; }
  state.opts = o.data;
  fillDesk();
  await load();
  // No event stream carries visits: a quiet refresh, held while a guide is choosing.
  setInterval(() => { if (!document.activeElement?.closest('#open, #desk')) load(); }, 30000);
}

main();
