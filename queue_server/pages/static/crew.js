// 上门服务 the crew's day list on a tablet: the day's visits of one crew (or vehicle) in
// route order (window, the layout's district round, address), each with the door, the
// name and a phone to call ahead, and the outcome buttons. The contract names no crew
// role: the tablet signs in with a guide token.
import { $, h, api, signIn, forgetToken, toast, toastRefusal, setConnection } from './hallq.js';

const KIND = 'guide';
const OUTCOMES = [['done', '已办结', 'Done', 'green'], ['nobody_home', '无人在家', 'Nobody home', ''],
  ['rescheduled', '需改期', 'Reschedule', ''], ['refused', '谢绝', 'Refused', 'danger']];
const state = { token: null, opts: null };

function localToday() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function keepInUrl() {
  const url = new URL(location.href);
  url.searchParams.set('team', $('#team').value);
  url.searchParams.set('day', $('#day').value);
  history.replaceState(null, '', url);
}

// Two taps, not a dialog: a bumpy road must not record an outcome by one stray touch,
// and a native confirm() box is small on a tablet.
async function record(btn, v, outcome, zh, en) {
  if (btn.dataset.armed !== '1') {
    btn.dataset.armed = '1';
    btn.replaceChildren(`再点一次确认：${zh}`, h('small', {}, ` Tap again: ${en}`));
    setTimeout(() => { if (btn.isConnected && btn.dataset.armed === '1') { btn.dataset.armed = '';
      btn.replaceChildren(zh, h('small', {}, ` ${en}`)); } }, 5000);
    return;
  }
  const r = await api(state.token, 'POST', `/home-visits/${v.code}/outcome`, { outcome });
  if (!r.ok) { toastRefusal(r); return; }
  toast(`已记录：${zh} / recorded`, 'ok');
  await load();
}

function stop(v) {
  const open = v.status === 'scheduled';
  return h('li', { class: 'v-stop', 'data-status': v.status, 'data-code': v.code },
    h('span', { class: 'v-n' }, String(v.stop)),
    h('span', { class: 'v-when' }, `${v.window_start}–${v.window_end} · ${v.district} · ${v.business_name}`,
      h('small', {}, ` ${v.business_name_en} · ${v.reason_zh} ${v.reason_note || ''}`)),
    h('span', { class: 'v-addr' }, v.address),
    h('span', { class: 'v-who' }, `${v.name} · `, h('a', { href: `tel:${v.phone}` }, v.phone),
      v.note ? h('small', {}, `备注 Note: ${v.note}`) : null),
    h('div', { class: 'v-acts' }, open
      ? OUTCOMES.map(([code, zh, en, kind]) => h('button', { class: `btn ${kind}`, type: 'button', 'data-outcome': code,
        onclick: (e) => record(e.currentTarget, v, code, zh, en) }, zh, h('small', {}, ` ${en}`)))
      : h('span', { class: 'v-state' }, v.status_zh, h('small', {}, ` ${v.status_en}`), v.outcome_note ? ` · ${v.outcome_note}` : '')));
}

async function load() {
  keepInUrl();
  const r = await api(state.token, 'GET', `/home-visits/day?day=${$('#day').value}&team=${encodeURIComponent($('#team').value)}`);
  if (!r.ok) { if (r.status === 0) setConnection('reconnecting', 1); else toastRefusal(r); return; }
  setConnection('live');
  const list = r.data.visits;
  $('#summary').replaceChildren(`共 ${list.length} 户，未完成 ${r.data.left} 户`, h('small', {}, ` ${list.length} stops, ${r.data.left} still to visit`));
  $('#stops').replaceChildren(...(list.length ? list.map(stop)
    : [h('li', { class: 'hint v-empty' }, '这一天没有安排上门', h('small', {}, ' No visits scheduled this day'))]));
  document.body.dataset.ready = `${r.data.day}:${r.data.team}`;
}

async function main() {
  $('#signout').addEventListener('click', () => { forgetToken(KIND); location.reload(); });
  state.token = await signIn(KIND, { probe: '/home-visits', allowed: [404], title: '上门服务 Crew day list' });
  const o = await api(state.token, 'GET', '/home-visits/options');
  if (!o.ok) { toastRefusal(o); return; }
  state.opts = o.data;
  const url = new URL(location.href);
  $('#team').replaceChildren(...o.data.teams.map((t) => h('option', { value: t.code }, `${t.name} ${t.name_en}`)));
  if (url.searchParams.get('team')) $('#team').value = url.searchParams.get('team');
  $('#day').value = /^\d{4}-\d{2}-\d{2}$/.test(url.searchParams.get('day') || '') ? url.searchParams.get('day') : localToday();
  $('#team').addEventListener('change', load);
  $('#day').addEventListener('change', load);
  await load();
  setInterval(load, 30000);  // no event stream carries visits: a quiet refresh
}

main();
