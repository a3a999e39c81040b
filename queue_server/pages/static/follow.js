// The applicant's phone: one ticket followed through its link (no token): its place,
// wait and window, live from the hall's events, re-read every few seconds whenever the
// live link is down or the server asks phones to poll; once called, the window in very
// large type and a vibration; "提醒我" for an SMS a few places before; once served, a
// rating of each window's service and the case's progress. Nothing is rated unless the
// applicant taps a level.

import { $, h, backoff } from './hallq.js';

const ref = decodeURIComponent(location.pathname.replace(/^\/t\//, ''));
const POLL_MS = 10_000;
const LEVELS = [[5, '非常满意', 'Very satisfied'], [4, '满意', 'Satisfied'], [3, '基本满意', 'Fairly satisfied'],
  [2, '不满意', 'Dissatisfied'], [1, '非常不满意', 'Very dissatisfied']];
const state = {
  ticket: null, thanked: false, sending: false, live: false, pollMs: POLL_MS, attempt: 0,
  cases: null, reminded: null, remindOpen: false,
};
window.hallqFollow = state; // for the tests

async function call(method, path, body) {
  try {
    const r = await fetch(`/api/v1/follow/${encodeURIComponent(ref)}${path}`, {
      method, cache: 'no-store', headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined });
    const data = await r.json().catch(() => null);
    return r.ok ? { ok: true, status: r.status, data } : { ok: false, status: r.status, error: data?.error };
  } catch {
    return { ok: false, status: 0 };
  }
}

function bilingual(message) {
  const [zh, en] = (message || '').split(' / ');
  return [zh, en ? h('small', {}, ` ${en}`) : null];
}

function statusLines(t) {
  switch (t.status) {
    case 'waiting': {
      const ahead = t.waiting_ahead ?? 0;
      const wait = t.estimated_wait_minutes;
      const range = t.estimated_wait_range;
      return [h('p', { class: 'f-big', id: 'ahead' }, ahead === 0 ? '下一位就是您' : `前面还有 ${ahead} 人`,
        h('small', {}, ahead === 0 ? 'You are next' : `${ahead} ${ahead === 1 ? 'person' : 'people'} ahead of you`)),
      wait === null || wait === undefined
        ? h('p', {}, '暂无预计时间，请留意叫号', h('small', {}, ' No estimate yet; listen for your number'))
        : wait === 0 && (!range || range[1] === 0)
          ? h('p', {}, '预计很快叫到您，请留意叫号', h('small', {}, ' You should be called within a minute or so'))
          : h('p', {}, `预计等候约 ${wait} 分钟${range && range[0] !== range[1] ? `（${range[0]}–${range[1]} 分钟）` : ''}`,
            h('small', {}, ` About ${wait} min${range && range[0] !== range[1] ? ` (${range[0]}–${range[1]})` : ''}`))];
    }
    case 'called':
      return [h('p', { class: 'f-go' }, '请到', h('b', { class: 'f-window num', id: 'window' }, String(t.window)), '号窗口办理'),
        h('p', { class: 'f-go-en' }, `Please go to window ${t.window}`)];
    case 'serving':
      return [h('p', { class: 'f-big' }, `正在 ${t.window} 号窗口办理`, h('small', {}, `Being served at window ${t.window}`))];
    case 'done':
      return [h('p', { class: 'f-big' }, '已办结', h('small', {}, 'Done')), h('p', {}, '感谢您的耐心。', h('small', {}, ' Thank you for your patience.'))];
    case 'no_show':
      return [h('p', { class: 'f-big' }, '已过号', h('small', {}, 'Missed')), h('p', {}, '叫号时您不在，请到咨询台。', h('small', {}, ' You were called and not there; please ask at the desk.'))];
    default:
      return [h('p', { class: 'f-big' }, t.status_zh || t.status, h('small', {}, t.status))];
  }
}

function render() {
  const t = state.ticket;
  document.body.dataset.state = t.status;
  $('#hall').textContent = t.hall?.name || '';
  $('#number').textContent = t.number;
  $('#business').replaceChildren(t.business_name || '', h('small', {}, ` ${t.business_name_en || ''}`));
  $('#status').replaceChildren(...statusLines(t));
  renderRemind();
  renderRate();
  renderCases();
}

// --- 提醒我: an SMS a few places before ------------------------------------------------
function renderRemind() {
  const box = $('#remind');
  const t = state.ticket;
  const offered = t.remind && t.status === 'waiting' && (t.waiting_ahead ?? 0) > 1;
  box.hidden = !offered && !state.reminded;
  if (box.hidden) return;
  if (state.reminded) {
    box.replaceChildren(h('p', { class: 'f-ok', id: 'reminded' },
      `已设置：前面还剩 ${state.reminded.places} 人时短信提醒 ${state.reminded.phone_masked}`,
      h('small', {}, ` We will text ${state.reminded.phone_masked} when ${state.reminded.places} are ahead of you`)));
    return;
  }
  if (!state.remindOpen) {
    box.replaceChildren(h('button', { type: 'button', class: 'f-action', id: 'remind-open',
      onclick: () => { state.remindOpen = true; renderRemind(); $('#phone')?.focus(); } },
    '提醒我', h('small', {}, 'Text me before my turn')));
    return;
  }
  const phone = h('input', { id: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel',
    maxlength: '13', placeholder: '手机号 Mobile number', 'aria-label': '手机号 Mobile number' });
  const places = h('select', { id: 'places', 'aria-label': '提前几人 How many ahead' },
    ...[1, 2, 3, 5, 10].map((n) => h('option', { value: String(n), ...(n === 3 ? { selected: '' } : {}) },
      `还剩 ${n} 人时 · ${n} ahead`)));
  box.replaceChildren(
    h('h2', {}, '短信提醒', h('small', {}, 'Text me before my turn')),
    h('label', { class: 'f-field' }, '手机号', h('small', {}, ' Mobile number'), phone),
    h('label', { class: 'f-field' }, '什么时候提醒', h('small', {}, ' When'), places),
    h('p', { class: 'f-error', id: 'remind-error', hidden: '' }),
    h('button', { type: 'button', class: 'f-action', id: 'remind-send',
      onclick: () => remind(phone.value, Number(places.value)) }, '确定', h('small', {}, 'OK')));
}

async function remind(phone, places) {
  if (state.sending) return;
  state.sending = true;
  $('#remind-error').hidden = true;
  const r = await call('POST', '/notify', { phone, places });
  state.sending = false;
  if (!r.ok) {
    const el = $('#remind-error');
    el.hidden = false;
    el.replaceChildren(...bilingual(r.error?.message || '网络不通，请稍后再试 / no connection; try again'));
    return;
  }
  state.reminded = r.data;
  renderRemind();
}

// --- after the visit: the rating, then the case's progress --------------------------
function renderRate() {
  const box = $('#rate');
  const next = state.ticket.to_rate?.[0];
  if (!next) {
    box.hidden = !state.thanked;
    box.replaceChildren(h('p', { class: 'f-thanks', id: 'thanks' }, '谢谢您的评价！', h('small', {}, ' Thank you for your rating')));
    return;
  }
  box.hidden = false;
  const who = next.staff_name ? `${next.staff_name}（工号 ${next.staff}）` : '';
  box.replaceChildren(...[
    state.thanked ? h('p', { class: 'f-thanks' }, '谢谢！还有一个窗口的服务可评价', h('small', {}, ' Thank you! One more window to rate')) : null,
    h('h2', {}, '请您对这次服务评价', h('small', {}, 'How was our service?')),
    h('p', { class: 'f-served', id: 'served' }, `${next.window} 号窗口 · ${next.business_name} ${who}`,
      h('small', {}, ` Window ${next.window} · ${next.business_name_en || ''}`)),
    h('div', { class: 'f-levels' }, ...LEVELS.map(([rating, zh, en]) => h('button', {
      type: 'button', class: 'f-level', 'data-rating': String(rating),
      onclick: () => rate(next, rating) }, zh, h('small', {}, en))))].filter(Boolean));
}

async function rate(service, rating) {
  if (state.sending) return;
  state.sending = true;
  const r = await call('POST', '/evaluation', { rating, window: service.window });
  state.sending = false;
  if (!r.ok && r.error?.code !== 'already_evaluated') {
    $('#updated').replaceChildren(h('span', { class: 'f-error' }, ...bilingual(r.error?.message || '网络不通，请稍后再试 / no connection; try again')));
    return;
  }
  state.thanked = true;
  await load();
}

function renderCases() {
  const box = $('#cases');
  const found = state.cases || [];
  box.hidden = !found.length;
  if (!found.length) return;
  box.replaceChildren(h('h2', {}, '办件进度', h('small', {}, 'Your case')), ...found.map((c) => h('div', { class: 'f-case' },
    h('p', { class: 'f-case-item' }, c.item_name || c.item, h('small', {}, ` 受理号 ${c.case_no}`)),
    h('p', { class: 'f-case-status' }, c.status_name, h('small', {}, ` ${c.status_name_en}`)),
    c.hint ? h('p', {}, c.hint, h('small', {}, ` ${c.hint_en || ''}`)) : null,
    c.due_date ? h('p', { class: c.urgency === 'overdue' ? 'f-error' : '' },
      c.urgency === 'overdue' ? `已超期：应于 ${c.due_date} 办结，请致电或到咨询台询问` : `预计办结：${c.due_date}`,
      h('small', {}, c.urgency === 'overdue' ? ` Overdue: due ${c.due_date}; please ask at the desk` : ` Expected by ${c.due_date}`)) : null)));
}

async function loadCases() {
  const r = await call('GET', '/cases');
  if (r.ok) { state.cases = r.data.cases; renderCases(); }
}

// --- reading: live, else polling ----------------------------------------------------
function stamp(how) {
  // The hall's time, whatever zone the phone is set to.
  const opts = { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
  let at;
  try {
    at = new Date().toLocaleTimeString('zh-CN', { ...opts, timeZone: state.ticket?.hall?.timezone || undefined });
  } catch { at = new Date().toLocaleTimeString('zh-CN', opts); } // an unknown zone
  $('#updated').textContent = how === 'live' ? `实时更新 · ${at} / live` : `更新于 ${at} / updated ${at}`;
}

function arrive(next, how) {
  const before = state.ticket?.status;
  state.ticket = { ...state.ticket, ...next };
  render();
  stamp(how);
  if (next.status === 'called' && before && before !== 'called') {
    navigator.vibrate?.([400, 200, 400, 200, 400]); // on the phone in a pocket
  }
  if (next.status === 'done' && before !== 'done') { load(); loadCases(); }
}

async function load() {
  const r = await call('GET', '');
  if (r.ok) {
    arrive(r.data, state.live ? 'live' : 'poll');
  } else if (r.status === 404) {
    // A made-up link, or yesterday's: said in words in large type, never the raw answer.
    const expired = r.error?.code === 'follow_expired';
    document.body.dataset.state = expired ? 'expired' : 'unknown';
    $('#hall').textContent = '排队进度 · My ticket'; // no ticket, so no hall name to head it
    const [zh, en] = (r.error?.message || (expired
      ? '这个链接已过期 / this link has expired'
      : '这个链接无效，请扫描小票上的二维码 / this link is not valid; scan the QR code on your ticket')).split(' / ');
    $('#status').replaceChildren(h('p', { class: 'f-big f-error' }, zh, en ? h('small', {}, en) : null));
    if (expired) loadCases(); // the case accepted at that ticket still shows its progress
  } else {
    $('#updated').replaceChildren(h('span', { class: 'f-error' }, '网络不通，正在重试… ', h('small', {}, 'No connection; retrying…')));
  }
  return r;
}

function placesMoved(msg) {
  const t = state.ticket;
  if (!t || t.status !== 'waiting' || msg.business !== t.business) return;
  const mine = msg.places[t.number];
  if (!mine) return; // called, parked or moved: its own ticket frame says which
  const [ahead, minutes, low, high] = mine;
  arrive({ waiting_ahead: ahead, estimated_wait_minutes: minutes,
    estimated_wait_range: low === null ? null : [low, high] }, 'live');
}

function connect() {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${proto}://${location.host}/api/v1/follow/${encodeURIComponent(ref)}/events`);
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type === 'snapshot') {
      state.live = true;
      state.attempt = 0;
      arrive(msg.ticket, 'live');
      placesMoved({ business: msg.ticket.business, places: msg.places });
    } else if (msg.type === 'ticket') {
      const moved = msg.ticket.business !== state.ticket?.business;
      arrive(msg.ticket, 'live');
      if (moved) ws.close(); // transferred: follow the new business's queue
    } else if (msg.type === 'places') {
      placesMoved(msg);
    } else if (msg.type === 'poll') {
      state.pollMs = Math.max(POLL_MS, msg.every_seconds * 1000); // the server is busy
    } else if (msg.type === 'day.closed') {
      ws.close();
    }
  };
  ws.onclose = (e) => {
    state.live = false;
    if (e.code === 4404 || ['done', 'no_show', 'cancelled'].includes(state.ticket?.status)) return;
    if (e.code === 1013 && state.pollMs > POLL_MS) return; // told to poll: polling it is
    state.attempt += 1;
    setTimeout(connect, backoff(state.attempt));
  };
}

async function main() {
  const r = await load();
  if (!r.ok && r.status === 404) return;
  if (state.ticket?.status === 'done') loadCases();
  if ('WebSocket' in window) connect();
  const poll = async () => {
    if (!state.live && !document.hidden) await load();
    setTimeout(poll, state.pollMs);
  };
  setTimeout(poll, state.pollMs);
}

main();
