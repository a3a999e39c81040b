// 不予受理告知单 as an A4 sheet the browser prints: opened from the window console right
// after a refusal (?print=1 prints at once), or by number to reprint it and to see the
// applicant's later visits (staff only; that part never prints).

import { $, h, api, setConnection, signIn, toast } from './hallq.js';

const KIND = 'notice';
const READERS = ['window', 'guide', 'admin'];

function accept(me) {
  return READERS.includes(me.role) ? null
    : '告知单只供窗口、引导员和管理员查看 / only windows, guides and admins open notices';
}

const noFromPath = () => decodeURIComponent(location.pathname.split('/').pop() || '');

function dateText(iso, tz) {
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat('zh-CN', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hour12: false }).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}年${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
}

function render(n, tz) {
  $('#hall').textContent = `${n.hall_name}${n.hall_name_en ? ` · ${n.hall_name_en}` : ''}`;
  $('#no').textContent = n.no;
  $('#lead').replaceChildren(
    `经审查，您申请办理的「${n.item_name}」所提交的材料缺少或不符合要求，现不予受理。按照一次性告知的要求，现将需要补正的材料一次告知如下：`,
    h('small', {}, ` Your application for "${n.item_name_en || n.item_name}" cannot be accepted: the materials below are missing or do not meet the requirements.`));
  const withWhere = n.missing.some((m) => m.where);
  $('#materials thead').replaceChildren(h('tr', {},
    h('th', {}, '序号', h('small', {}, 'No.')),
    h('th', {}, '需补正的材料及要求', h('small', {}, 'Material and its requirements')),
    withWhere ? h('th', {}, '获取途径', h('small', {}, 'Where to get it')) : null));
  $('#materials tbody').replaceChildren(...n.missing.map((m, i) => h('tr', {},
    h('td', { class: 'idx' }, String(i + 1)),
    h('td', {}, m.text, m.text_en ? h('span', { class: 'en' }, m.text_en) : null),
    withWhere ? h('td', {}, m.where || '—') : null)));
  if (n.note) {
    $('#note').replaceChildren('备注：', n.note, h('small', {}, ' Note'));
    $('#note').hidden = false;
  }
  $('#window').textContent = n.window ? `${n.window} 号` : '—';
  $('#staff').textContent = n.staff || '未签到';
  $('#date').textContent = dateText(n.issued_at, tz);
  $('#ticket').textContent = n.ticket_number;
  $('#page').hidden = false;
  const visits = n.later_visits || [];
  $('#visits-list').replaceChildren(...(visits.length ? visits.map((v) => h('li', {},
    `${v.day} ${v.number} `, h('small', {}, v.closed_reason === 'refused' ? '又被不予受理 refused again' : v.status),
    h('small', { class: 'by' }, v.by === 'notice' ? ' · 凭本单取号 named this notice' : ' · 同一身份证 same ID card')))
    : [h('li', {}, '尚无', h('small', {}, ' none yet'))]));
  $('#visits').hidden = false;
  document.title = `不予受理告知单 ${n.no}`;
}

async function main() {
  $('#print').addEventListener('click', () => window.print());
  const printNow = new URL(location.href).searchParams.get('print') === '1';
  const token = await signIn(KIND, { accept, title: '不予受理告知单 Notice of non-acceptance' });
  const no = noFromPath();
  const [r, hall] = await Promise.all([api(token, 'GET', `/notices/${encodeURIComponent(no)}`), api(token, 'GET', '/hall')]);
  // A sheet read once, not a live stream: the connection banner has nothing to say here.
  setConnection(r.status === 0 ? 'reconnecting' : 'live');
  if (!r.ok) {
    document.body.append(h('p', { class: 'n-empty', id: 'not-found' }, r.error.message));
    toast(r.error.message);
    return;
  }
  render(r.data, hall.ok ? hall.data.timezone : 'Asia/Shanghai');
  $('#tools-note').textContent = `已热敏打印 ${r.data.printed} 次 / slips printed: ${r.data.printed}`;
  document.body.dataset.ready = '1';
  if (printNow) window.print();
}

main();
