// The window console: call, recall, start, complete, no-show, transfer, forward, park and
// call back, pause and resume, each on a button with its key. One request at a time:
// every button is disabled while one is in flight, so a double click calls once.

import { $, h, api, LiveHall, signIn, forgetToken, toast, toastRefusal, clockText, minutesSince, windowNumberFromPath } from './hallq.js';

const n = windowNumberFromPath();
const KIND = `window-${n}`;
const PRIORITY = { green: ['绿色通道', 'Green'], appointment: ['预约', 'Booked'], transferred: ['转入', 'Transferred'] };
const STATUS = { called: ['已叫号，等候到窗', 'Called, not yet here'], serving: ['办理中', 'Serving'] };
// Tokens whose role cannot act at a window, by name; window tokens act at their own
// window only, guides and admins at any.
const NOT_AT_WINDOWS = { display: ['叫号屏', 'display'], kiosk: ['自助取号机', 'kiosk'],
  registry: ['登记业务系统', 'registry'], judicial: ['司法协助', 'judicial'] };

const state = { token: null, window: null, ticket: null, waiting: [], parked: [], businesses: [], hall: null, busy: false,
  items: [], notice: null };
let refreshTimer = null;
const tick = () => { $('#clock').textContent = clockText(state.hall?.timezone); };

// --- actions -----------------------------------------------------------------------------
// `enabled(state)` decides from the current ticket; the server has the final word.
const cur = () => state.ticket;
const ACTIONS = [
  { id: 'call', key: 'N', zh: '叫号', en: 'Call next', cls: 'primary big',
    enabled: () => state.window?.status === 'open' && !cur() && staffReady(), run: callNext },
  { id: 'recall', key: 'R', zh: '重呼', en: 'Recall', enabled: () => cur()?.status === 'called',
    run: () => ticketAction('recall') },
  { id: 'start', key: 'S', zh: '开始办理', en: 'Start', enabled: () => cur()?.status === 'called',
    run: () => ticketAction('start') },
  { id: 'complete', key: 'C', zh: '办结', en: 'Complete', cls: 'green', enabled: () => !!cur(),
    run: () => ticketAction('complete') },
  { id: 'no-show', key: 'X', zh: '过号', en: 'No-show', cls: 'danger', enabled: () => cur()?.status === 'called',
    run: () => ticketAction('no-show') },
  { id: 'park', key: 'H', zh: '挂起', en: 'Park', enabled: () => !!cur(), run: () => ticketAction('park') },
  { id: 'forward', key: 'F', zh: '转下一环节', en: 'Next step', enabled: () => !!cur()?.journey_next,
    run: () => ticketAction('forward') },
  { id: 'transfer', key: 'T', zh: '转业务', en: 'Transfer', enabled: () => !!cur(), run: openTransfer },
  { id: 'refuse', key: 'U', zh: '不予受理', en: 'Cannot accept', cls: 'danger', enabled: () => !!cur() && itemsOf(cur()).length > 0,
    run: openRefuse },
  { id: 'callback', key: 'B', zh: '叫回挂起号', en: 'Call back parked',
    enabled: () => state.window?.status === 'open' && !cur() && state.parked.length > 0,
    run: () => callTicket(state.parked[0]) },
  { id: 'pause', key: 'P', zh: '暂停', en: 'Pause', enabled: () => !!state.window, run: togglePause },
];

async function request(method, path, body) {
  const r = await api(state.token, method, path, body);
  if (!r.ok) toastRefusal(r);
  return r;
}

async function callNext() {
  const r = await request('POST', `/windows/${n}/call-next`);
  if (r.ok && !r.data.ticket) toast('没有可叫的号 / nobody is waiting for this window', 'ok');
}
const ticketAction = (path) => request('POST', `/tickets/${cur().id}/${path}`);
const callTicket = (t) => request('POST', `/tickets/${t.id}/call`, { window: n });

async function togglePause() {
  const s = state.window.status;
  await request('POST', `/windows/${n}/${s === 'open' ? 'pause' : s === 'paused' ? 'resume' : 'open'}`);
}

// The choice opens on "choose a service", never on a real one: T then Enter must not move
// an applicant to whatever business happens to be listed first.
function openTransfer() {
  const select = $('#transfer-to');
  select.replaceChildren(
    h('option', { value: '', disabled: true, selected: true }, '— 请选择业务 Choose a service —'),
    ...state.businesses.filter((b) => b.code !== cur().business)
      .map((b) => h('option', { value: b.code }, `${b.prefix} ${b.name} ${b.name_en || ''}`)));
  select.value = '';
  $('#transfer').hidden = false;
  renderTransferGo();
  select.focus();
  return Promise.resolve();
}
function renderTransferGo() { $('#transfer-go').disabled = state.busy || !$('#transfer-to').value; }
function closeTransfer() { $('#transfer').hidden = true; }
async function transfer() {
  const to = $('#transfer-to').value;
  if (!cur()) return;
  if (!to) {
    toast('请先选择要转去的业务 / choose the service to transfer to first', 'error');
    return;
  }
  closeTransfer();
  await perform(() => request('POST', `/tickets/${cur().id}/transfer`, { business: to }));
}

// --- 不予受理 -------------------------------------------------------------------------------
// The catalogue items of the ticket's business; the one pre-checked at the desk first.
const itemsOf = (t) => state.items.filter((i) => i.business === t.business);

function openRefuse() {
  const t = cur();
  const items = itemsOf(t);
  const select = $('#refuse-item');
  const first = items.find((i) => i.code === t.precheck_item) || (items.length === 1 ? items[0] : null);
  select.replaceChildren(
    h('option', { value: '', disabled: true }, '— 请选择办理事项 Choose the item —'),
    ...items.map((i) => h('option', { value: i.code }, `${i.name}${i.name_en ? ` ${i.name_en}` : ''}`)));
  select.value = first ? first.code : '';
  $('#refuse-note').value = '';
  $('#notice-done').hidden = true;
  renderMaterials();
  $('#refuse').hidden = false;
  (first ? $('#refuse-materials input') : select)?.focus();
  return Promise.resolve();
}

function renderMaterials() {
  const item = state.items.find((i) => i.code === $('#refuse-item').value);
  const box = $('#refuse-materials');
  const legend = box.querySelector('legend');
  if (!item) {
    box.replaceChildren(legend, h('p', { class: 'hint' }, '先选择办理事项', h('small', {}, ' — choose the item first')));
    return;
  }
  box.replaceChildren(legend, ...item.materials.map((m, i) => h('label', {},
    h('input', { type: 'checkbox', value: String(i + 1), name: 'missing' }),
    h('span', {}, `${i + 1}. ${m}`, item.materials_en?.[i] ? h('small', {}, ` ${item.materials_en[i]}`) : null,
      item.materials_where?.[i] ? h('span', { class: 'where' }, `获取途径 Where: ${item.materials_where[i]}`) : null))));
}

// The form's own error messages: once the refusal is made (or the form closed), a red
// "tick at least one" left on screen would read as if the notice had failed.
const refuseToasts = new Set();
function refuseSays(el) { refuseToasts.add(el); }
function clearRefuseToasts() {
  for (const el of refuseToasts) el.remove();
  refuseToasts.clear();
}

function closeRefuse() { $('#refuse').hidden = true; clearRefuseToasts(); }

async function refuse(e) {
  e?.preventDefault();
  const t = cur();
  if (!t || state.busy) return;
  const item = $('#refuse-item').value;
  const missing = [...document.querySelectorAll('#refuse-materials input:checked')].map((x) => Number(x.value));
  if (!item) { refuseSays(toast('请先选择办理事项 / choose the item first')); return; }
  if (!missing.length) { refuseSays(toast('请勾选缺少或不符合要求的材料（至少一项） / tick at least one material that is missing or wrong')); return; }
  await perform(async () => {
    const r = await api(state.token, 'POST', `/tickets/${t.id}/refuse`, { item, missing, note: $('#refuse-note').value });
    if (!r.ok) refuseSays(toastRefusal(r));
    if (r.ok) {
      closeRefuse();
      state.notice = r.data.notice;
      renderNotice();
    }
  });
}

// After a refusal: the notice's number, read out to the applicant, and its two prints.
function renderNotice() {
  const n = state.notice;
  const box = $('#notice-done');
  if (!n) { box.hidden = true; return; }
  box.replaceChildren(
    h('h2', {}, `${n.ticket_number} 已不予受理，告知单已生成`, h('small', {}, ` ${n.ticket_number} refused; notice issued`)),
    h('div', { class: 'notice-no', id: 'notice-no-done' }, n.no),
    h('p', {}, `缺 ${n.missing.length} 项：`, n.missing.map((m) => `${m.index}`).join('、'), h('small', {}, ` ${n.missing.length} missing`)),
    h('div', { class: 'notice-buttons' },
      h('button', { class: 'btn primary', type: 'button', id: 'notice-print', onclick: () => printSlip(n.no) }, '热敏打印 ', h('small', {}, 'Print slip')),
      h('button', { class: 'btn', type: 'button', id: 'notice-a4', onclick: () => openNotice(n.no, true) }, 'A4 打印 ', h('small', {}, 'Print A4')),
      h('button', { class: 'btn', type: 'button', id: 'notice-close', onclick: () => { state.notice = null; renderNotice(); } }, '关闭 ', h('small', {}, 'Close'))));
  box.hidden = false;
}

async function printSlip(no) {
  const r = await request('POST', `/notices/${encodeURIComponent(no)}/print`, {});
  if (r.ok) toast(`告知单 ${no} 已打印 / notice printed`, 'ok');
}

function openNotice(no, print) {
  const q = new URLSearchParams({ token: state.token });
  if (print) q.set('print', '1');
  window.open(`/notices/${encodeURIComponent(no)}?${q}`, '_blank');
}

async function findNotice(e) {
  e.preventDefault();
  const no = $('#notice-no').value.trim().toUpperCase();
  if (!no) return;
  const r = await request('GET', `/notices/${encodeURIComponent(no)}`);
  if (r.ok) openNotice(r.data.no, false);
}

// One at a time: buttons are disabled before the request leaves and stay disabled until
// the window's new state is on screen.
async function perform(fn) {
  if (state.busy) return;
  state.busy = true;
  renderActions();
  try {
    await fn();
    await refresh();
  } finally {
    state.busy = false;
    render();
  }
}

// --- data ----------------------------------------------------------------------------------
// Refreshes may overlap (one after an action, one for the events it caused): each
// builds its picture aside and swaps it in whole, and an older one never replaces a
// newer one. Half-updated state would let a key press see "no ticket" mid-refresh.
let started = 0;
let applied = 0;
async function refresh() {
  const gen = ++started;
  const w = await api(state.token, 'GET', `/windows/${n}`);
  if (!w.ok) return;
  let ticket = null;
  if (w.data.current) {
    const t = await api(state.token, 'GET', `/tickets/${w.data.current.id}`);
    if (t.ok) ticket = t.data;
  }
  const list = await api(state.token, 'GET', `/windows/${n}/queue`);
  if (gen < applied) return;
  applied = gen;
  state.window = w.data;
  state.ticket = ticket;
  if (list.ok) {
    // In the order call-next takes them (priority head starts included), as served.
    state.waiting = list.data.waiting;
    state.parked = list.data.parked;
  }
  if (!state.busy) render();
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150); // one refresh for a burst of events
}

// --- rendering ----------------------------------------------------------------------------
const bizName = (code) => state.businesses.find((b) => b.code === code);

// A hall may require the staff number before calling; the server refuses otherwise.
const staffReady = () => !state.hall?.staff_sign_in_required || !!state.window?.staff;

// Who is on duty: the staff number signs in on top of the window token, so calls,
// services and ratings name a person. A shift change is the next person signing in.
function renderStaff() {
  const box = $('#wstaff');
  const s = state.window?.staff;
  if (box.contains(document.activeElement) && document.activeElement.tagName === 'INPUT') return;
  if (s) {
    box.replaceChildren(
      h('span', { class: 'staff-who', id: 'staff-who' }, `${s.name} `, h('small', {}, `工号 No. ${s.number}`)),
      h('button', { class: 'btn small', id: 'staff-change', type: 'button', onclick: () => askStaff(true) }, '换班 ', h('small', {}, 'Change')),
      h('button', { class: 'btn small', id: 'staff-out', type: 'button',
        onclick: () => perform(() => request('POST', `/windows/${n}/sign-out`)) }, '签退 ', h('small', {}, 'Off duty')));
    return;
  }
  askStaff(false);
}

function askStaff(change) {
  const input = h('input', { id: 'staff-number', class: 'staff-input', autocomplete: 'off', inputmode: 'text',
    maxlength: '16', placeholder: '工号 Staff No.', 'aria-label': '工号 staff number' });
  const go = async () => {
    const number = input.value.trim();
    if (!number) { input.focus(); return; }
    input.blur();
    await perform(() => request('POST', `/windows/${n}/sign-in`, { staff: number }));
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); go(); }
    if (e.key === 'Escape' && change) { input.blur(); renderStaff(); }
  });
  $('#wstaff').replaceChildren(
    h('span', { class: 'staff-none' }, change ? '换班：' : '未签到 ', h('small', {}, change ? 'Next on duty' : 'Nobody signed in')),
    input,
    h('button', { class: 'btn small primary', id: 'staff-go', type: 'button', onclick: go }, '签到 ', h('small', {}, 'Sign in')));
  if (change) input.focus();
}

function render() {
  const w = state.window;
  if (!w) return;
  renderStaff();
  const [zh, en] = { open: ['开放', 'Open'], paused: ['暂停', 'Paused'], closed: ['关闭', 'Closed'] }[w.status];
  const pill = $('#wstatus');
  pill.className = `pill ${w.status}`;
  pill.replaceChildren(zh, h('small', {}, ` ${en}`));
  $('#wbiz').replaceChildren(...w.businesses.map((c) => h('span', { class: 'chip' }, bizName(c)?.name || c)));
  renderCurrent();
  renderActions();
  renderLists();
}

function renderCurrent() {
  const t = cur();
  const box = $('#current');
  if (!t) {
    box.replaceChildren(h('div', { class: 'cur-empty' }, '当前无号', h('small', {}, ' No ticket at the window')),
      h('p', { class: 'hint' }, '按 N 叫下一位', h('small', {}, ' — press N to call the next')));
    return;
  }
  const [szh, sen] = STATUS[t.status] || [t.status_zh, t.status];
  const recallLimit = state.hall?.recall_limit;
  box.replaceChildren(
    h('div', { class: 'cur-head' },
      h('span', { class: 'cur-number num', id: 'cur-number' }, t.number),
      h('span', { class: `cur-status ${t.status}` }, szh, h('small', {}, ` ${sen}`))),
    h('dl', { class: 'cur-facts' },
      h('dt', {}, '业务 ', h('small', {}, 'Service')), h('dd', {}, t.business_name, h('small', {}, ` ${t.business_name_en || ''}`)),
      h('dt', {}, '叫号于 ', h('small', {}, 'Called')), h('dd', {}, `${minutesSince(t.called_at) ?? '—'} 分钟前`, h('small', {}, ' min ago')),
      h('dt', {}, '重呼 ', h('small', {}, 'Recalls')), h('dd', {}, recallLimit ? `${t.recalls} / ${recallLimit}` : String(t.recalls)),
      t.priority !== 'normal' ? [h('dt', {}, '类别 ', h('small', {}, 'Type')), h('dd', {}, priorityBadge(t))] : null,
      t.prechecked ? [h('dt', {}, '预审 ', h('small', {}, 'Pre-check')), h('dd', {}, h('span', { class: 'badge prechecked', id: 'cur-prechecked' }, '已预审',
        h('small', {}, ' Pre-checked')), ` ${state.items.find((i) => i.code === t.precheck_item)?.name || ''}`)] : null,
      t.journey_next ? [h('dt', {}, '下一环节 ', h('small', {}, 'Next step')), h('dd', {}, bizName(t.journey_next)?.name || t.journey_next)] : null,
      t.applicant ? [h('dt', {}, '申请人 ', h('small', {}, 'Applicant')), h('dd', {}, `${t.applicant.name_masked || ''} ${t.applicant.id_masked || ''}`)] : null),
    overtimeNote() || ''); // replaceChildren would write "null"
}

// 超时警示: past twice the typical time of this business, the clerk sees it here and the
// guides on their console.
function overtimeNote() {
  const c = state.window?.current;
  const since = c && (c.started_at || c.called_at);
  if (!since || !c.typical_minutes) return null;
  const minutes = Math.round(minutesSince(since));
  if (minutes <= 2 * c.typical_minutes) return null;
  return h('p', { class: 'overtime', id: 'overtime', role: 'status' }, `⚠ 已办理 ${minutes} 分钟，超过通常用时（${Math.round(c.typical_minutes)} 分钟）的两倍`,
    h('small', {}, ` Serving for ${minutes} min, over twice the usual ${Math.round(c.typical_minutes)} min`));
}

// Waiting past its business's target: the row says so, so the clerk can see who has waited too long.
function late(t) {
  const target = bizName(t.business)?.wait_target_minutes;
  const waited = minutesSince(t.issued_at);
  return target && waited !== null && waited > target;
}

function priorityBadge(t) {
  const p = PRIORITY[t.priority];
  return p ? h('span', { class: `badge ${t.priority}` }, p[0], h('small', {}, ` ${p[1]}`)) : '';
}

function renderActions() {
  const box = $('#actions');
  if (!box.childElementCount) {
    box.replaceChildren(...ACTIONS.map((a) => h('button', { type: 'button', class: `btn act ${a.cls || ''}`, id: `act-${a.id}`,
      'aria-keyshortcuts': a.key, onclick: () => trigger(a) },
    h('span', { class: 'act-zh' }, a.zh), h('small', {}, a.en), h('kbd', {}, a.key))));
  }
  for (const a of ACTIONS) {
    const btn = document.getElementById(`act-${a.id}`);
    btn.disabled = state.busy || !a.enabled();
    if (a.id === 'pause') {
      const s = state.window?.status;
      btn.querySelector('.act-zh').textContent = s === 'open' ? '暂停' : s === 'paused' ? '恢复' : '开窗';
      btn.querySelector('small').textContent = s === 'open' ? 'Pause' : s === 'paused' ? 'Resume' : 'Open';
    }
  }
  renderTransferGo();
}

function trigger(action) {
  if (state.busy || !action.enabled()) return;
  if (action.id === 'transfer') { openTransfer(); return; }
  if (action.id === 'refuse') { openRefuse(); return; }
  perform(action.run);
}

function renderLists() {
  const canCall = state.window?.status === 'open' && !cur() && !state.busy;
  $('#waiting-count').textContent = `${state.waiting.length} 人 waiting`;
  $('#waiting tbody').replaceChildren(...state.waiting.slice(0, 60).map((t, i) => h('tr', { dataset: { id: t.id }, class: late(t) ? 'late' : '' },
    h('td', { class: 'num strong' }, t.number),
    h('td', {}, t.business_name),
    h('td', { class: 'num' }, `${minutesSince(t.issued_at) ?? '—'} 分`, late(t) ? h('small', { class: 'late-tag' }, ' 超时 over target') : null),
    h('td', {}, priorityBadge(t), t.journey ? h('span', { class: 'badge journey' }, '联办', h('small', {}, ' Journey')) : null),
    h('td', {}, h('button', { type: 'button', class: 'btn small', disabled: !canCall,
      onclick: () => perform(() => callTicket(t)) }, '叫此号 ', h('small', {}, 'Call'), i < 9 ? h('kbd', {}, String(i + 1)) : null)))));
  if (!state.waiting.length) {
    $('#waiting tbody').replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, '暂无等候', h('small', {}, ' Nobody waiting'))));
  }
  $('#parked tbody').replaceChildren(...(state.parked.length ? state.parked.map((t, i) => h('tr', { dataset: { id: t.id } },
    h('td', { class: 'num strong' }, t.number),
    h('td', {}, t.business_name),
    h('td', {}, h('button', { type: 'button', class: 'btn small', disabled: !canCall,
      onclick: () => perform(() => callTicket(t)) }, '叫回 ', h('small', {}, 'Call back'), i === 0 ? h('kbd', {}, 'B') : null))))
    : [h('tr', {}, h('td', { class: 'empty' }, '无', h('small', {}, ' None')))]));
  $('#parked-count').textContent = `${state.parked.length} 人 parked`;
}

// --- sign-in ------------------------------------------------------------------------------
// Who the token is (GET /me) decides at sign-in, so a clerk who picked up the wrong
// window's token is told at once instead of by every refused button.
function acceptAtThisWindow(me) {
  if (me.role === 'guide' || me.role === 'admin') return null;
  if (me.role === 'window') {
    return me.window === n ? null
      : `该令牌属于 ${me.window} 号窗口，不能登录 ${n} 号窗口 / this token belongs to window ${me.window}, not window ${n}`;
  }
  const [zh, en] = NOT_AT_WINDOWS[me.role] || [me.role, me.role];
  return `${zh}令牌不能登录窗口工作台，请用 ${n} 号窗口的令牌 / a ${en} token cannot sign in to a window console; use window ${n}'s token`;
}

// --- keys -------------------------------------------------------------------------------
function onKey(e) {
  if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;
  if (!$('#transfer').hidden) {
    if (e.key === 'Escape') { closeTransfer(); e.preventDefault(); }
    if (e.key === 'Enter') { transfer(); e.preventDefault(); }
    return;
  }
  if (!$('#refuse').hidden && e.key === 'Escape') { closeRefuse(); e.preventDefault(); return; }
  if (['INPUT', 'SELECT', 'TEXTAREA'].includes(e.target.tagName)) return;
  const key = e.key.toUpperCase();
  const action = ACTIONS.find((a) => a.key === key);
  if (action) { e.preventDefault(); trigger(action); return; }
  if (/^[1-9]$/.test(e.key)) {
    const t = state.waiting[Number(e.key) - 1];
    if (t && state.window?.status === 'open' && !cur() && !state.busy) { e.preventDefault(); perform(() => callTicket(t)); }
  }
}

async function main() {
  $('#wnum').textContent = String(n);
  $('#wnum-en').textContent = String(n);
  document.title = `${n} 号窗口工作台 · Window ${n} console`;
  $('#signout').addEventListener('click', () => { forgetToken(KIND); location.reload(); });
  $('#transfer-go').addEventListener('click', transfer);
  $('#transfer-cancel').addEventListener('click', closeTransfer);
  $('#transfer-to').addEventListener('change', renderTransferGo);
  $('#refuse').addEventListener('submit', refuse);
  $('#refuse-cancel').addEventListener('click', closeRefuse);
  $('#refuse-item').addEventListener('change', renderMaterials);
  $('#notice-find').addEventListener('submit', findNotice);
  state.token = await signIn(KIND, { accept: acceptAtThisWindow, title: `${n} 号窗口工作台 Window ${n} console` });
  document.addEventListener('keydown', onKey); // keys act only once signed in
  const [b, hall, cat] = await Promise.all([api(state.token, 'GET', '/businesses'), api(state.token, 'GET', '/hall'),
    api(state.token, 'GET', '/catalogue')]);
  if (b.ok) state.businesses = b.data;
  if (cat.ok) state.items = cat.data.categories.flatMap((c) => c.items);
  if (hall.ok) state.hall = hall.data;
  setInterval(tick, 1000);
  setInterval(() => { if (!state.busy) { renderLists(); renderCurrent(); } }, 30000); // waited minutes move on
  new LiveHall(state.token, {
    onSnapshot: () => { tick(); refresh(); },
    onEvent: (msg) => {
      if (msg.type === 'queue.alert' && state.window?.businesses.includes(msg.business)) {
        // One of this window's businesses has reached its waiting alert: said the moment it trips.
        toast(`${msg.name}：等候 ${msg.waiting} 人，已达告警阈值 ${msg.threshold} / ${msg.name_en || msg.business}: ${msg.waiting} waiting`);
      }
      if (msg.type === 'queues' || msg.window === n) scheduleRefresh();
    },
    onUnauthorized: () => { forgetToken(KIND); location.reload(); },
  }).start();
}

main();
