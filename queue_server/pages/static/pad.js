// The evaluation pad (好差评) turned to the applicant at one window. It wakes by itself
// when its window finishes a ticket, takes one touch for the overall rating, asks the
// optional dimensions (or, after a bad rating, the reason), thanks and sleeps. A visit
// nobody rated stays unrated: the pad never sends a rating nobody touched.
//
// Time-outs, in seconds, may be set in the address (?wake=60&ask=25&thanks=6): how long
// it waits for the overall touch, for the optional questions, and how long it thanks.

import { $, h, api, LiveHall, signIn, toast, toastRefusal, windowNumberFromPath } from './hallq.js';

const n = windowNumberFromPath();
const KIND = `pad-${n}`;
const params = new URL(location.href).searchParams;
const seconds = (name, fallback) => {
  const v = Number(params.get(name));
  return Number.isFinite(v) && v > 0 ? v * 1000 : fallback * 1000;
};
const WAKE_MS = seconds('wake', 60);
const ASK_MS = seconds('ask', 25);
const THANKS_MS = seconds('thanks', 6);
// Faces drawn, not emoji: a pad's fonts may lack some of them. The mouth bends with the level.
const MOUTH = { 5: 'M16 40 Q32 56 48 40', 4: 'M18 41 Q32 50 46 41', 3: 'M19 44 L45 44',
  2: 'M18 47 Q32 38 46 47', 1: 'M16 49 Q32 34 48 49' };
function face(rating) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 64 64');
  svg.setAttribute('class', 'face');
  svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML = '<circle cx="32" cy="32" r="29" fill="none" stroke="currentColor" stroke-width="5"/>'
    + '<circle cx="22" cy="25" r="4.5" fill="currentColor"/><circle cx="42" cy="25" r="4.5" fill="currentColor"/>'
    + `<path d="${MOUTH[rating]}" fill="none" stroke="currentColor" stroke-width="5" stroke-linecap="round"/>`;
  return svg;
}
const NOT_A_PAD = { window: ['窗口', 'window'], guide: ['引导员', 'guide'], admin: ['管理员', 'admin'],
  kiosk: ['自助取号机', 'kiosk'], display: ['叫号屏', 'display'], manager: ['管理', 'manager'] };

const state = { token: null, screen: 'sleep', ticket: null, staff: null, rating: null,
  dimensions: {}, reason: null, words: null, sending: false, timer: null, tickTimer: null };
window.hallqPad = state; // for people checking a pad, and for the tests

function accept(me) {
  if (me.role === 'pad') {
    return me.window === n ? null
      : `该令牌属于 ${me.window} 号窗口的评价器 / this token is window ${me.window}'s pad, not window ${n}'s`;
  }
  const [zh, en] = NOT_A_PAD[me.role] || [me.role, me.role];
  return `${zh}令牌不能打开评价器，请用 ${n} 号窗口评价器的令牌 / a ${en} token cannot open a pad; use window ${n}'s pad token`;
}

function show(screen) {
  state.screen = screen;
  document.body.dataset.screen = screen;
  for (const s of ['sleep', 'overall', 'more', 'thanks']) $(`#screen-${s}`).hidden = s !== screen;
}

function after(ms, fn) {
  clearTimeout(state.timer);
  clearInterval(state.tickTimer);
  state.timer = setTimeout(fn, ms);
}

function setStaff(staff) {
  state.staff = staff || null;
  const box = $('#staff');
  if (staff) {
    delete box.dataset.empty;
    $('#staff-name').textContent = staff.name || '—';
    $('#staff-number').textContent = staff.number;
  } else {
    box.dataset.empty = '';
    $('#staff-name').replaceChildren('暂无工作人员签到', h('small', {}, ' Nobody signed in'));
    $('#staff-number').textContent = '—';
  }
}

function sleep() {
  state.ticket = null;
  state.rating = null;
  show('sleep');
}

function wake(ticket, staff) {
  if (!ticket || !ticket.id) return;
  if (staff !== undefined) setStaff(staff);
  Object.assign(state, { ticket, rating: null, dimensions: {}, reason: null, sending: false });
  $('#ticket-number').textContent = ticket.number || '';
  $('#ticket-business').textContent = ticket.business_name || '';
  show('overall');
  after(WAKE_MS, sleep); // nobody touched: not rated, never assumed good
}

function levelButtons() {
  const box = $('#levels');
  box.replaceChildren(...state.words.levels.map((l) => h('button', {
    class: 'level', 'data-rating': String(l.rating), type: 'button',
    onclick: () => chooseOverall(l.rating),
  }, face(l.rating), h('span', {}, l.name, h('small', {}, l.name_en)))));
}

function chooseOverall(rating) {
  if (state.screen !== 'overall') return;
  state.rating = rating;
  const bad = rating <= 2;
  $('#more-title').replaceChildren(...(bad
    ? ['很抱歉！请告诉我们哪里做得不好', h('small', {}, 'We are sorry. What went wrong? (optional)')]
    : ['还想对以下方面评价吗？', h('small', {}, 'Rate these too? (optional)')]));
  $('#reasons').hidden = !bad;
  $('#comment').hidden = !bad;
  $('#comment').value = '';
  $('#dimensions').hidden = bad;
  $('#reasons').replaceChildren(...state.words.reasons.map((r) => h('button', {
    class: 'chip', type: 'button', 'data-reason': r.code, 'aria-pressed': 'false',
    onclick: (e) => {
      askAgain();
      state.reason = state.reason === r.code ? null : r.code;
      pressOnly(e.currentTarget, '#reasons');
    },
  }, r.name, h('small', {}, r.name_en))));
  $('#dimensions').replaceChildren(...state.words.dimensions.map((d) => h('div', { class: 'dimension' },
    h('div', { class: 'dimension-name' }, d.name, h('small', {}, d.name_en)),
    h('div', { class: 'scale', 'data-dimension': d.code }, ...[...state.words.levels].reverse().map((l) => h('button', {
      class: 'chip', type: 'button', 'data-rating': String(l.rating), 'aria-pressed': 'false',
      onclick: (e) => {
        askAgain();
        state.dimensions[d.code] = state.dimensions[d.code] === l.rating ? undefined : l.rating;
        pressOnly(e.currentTarget, `[data-dimension="${d.code}"]`);
      },
    }, l.name, h('small', {}, l.name_en)))))));
  show('more');
  askAgain();
}

// The overall touch was given: when the optional questions time out it is sent as it is.
function askAgain() {
  const deadline = Date.now() + ASK_MS;
  const tick = () => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    $('#countdown').textContent = `${left} 秒后自动提交 / sending in ${left} s`;
  };
  after(ASK_MS, submit);
  tick();
  state.tickTimer = setInterval(tick, 1000);
}

function pressOnly(button, within) {
  const was = button.getAttribute('aria-pressed') === 'true';
  for (const b of document.querySelectorAll(`${within} .chip`)) b.setAttribute('aria-pressed', 'false');
  button.setAttribute('aria-pressed', String(!was));
}

async function submit() {
  if (state.sending || !state.ticket || state.rating === null) return;
  state.sending = true;
  clearTimeout(state.timer);
  clearInterval(state.tickTimer);
  const body = { rating: state.rating };
  const dims = Object.fromEntries(Object.entries(state.dimensions).filter(([, v]) => v));
  if (Object.keys(dims).length) body.dimensions = dims;
  if (state.reason) body.reason = state.reason;
  const comment = $('#comment').value.trim();
  if (state.rating <= 2 && comment) body.comment = comment;
  const r = await api(state.token, 'POST', `/tickets/${state.ticket.id}/evaluation`, body);
  state.sending = false;
  if (r.ok || r.error.code === 'already_evaluated') {
    $('#thanks-zh').textContent = r.ok ? '谢谢您的评价！' : '这次服务已经评价过了，谢谢您！';
    $('#thanks-en').textContent = r.ok ? 'Thank you for your rating' : 'This service was already rated. Thank you!';
    show('thanks');
    after(THANKS_MS, sleep);
    return;
  }
  toastRefusal(r);
  if (r.status === 0) { after(ASK_MS, submit); return; } // the server is away: try again
  after(THANKS_MS, sleep);
}

function onEvent(msg) {
  if (msg.window !== n) return;
  if (msg.type === 'staff.signed_in' || msg.type === 'staff.signed_out') setStaff(msg.staff);
  if (msg.type === 'ticket.completed' || msg.type === 'ticket.forwarded') wake(msg.ticket, msg.staff);
}

async function main() {
  $('#wnum').textContent = String(n);
  $('#wnum-en').textContent = String(n);
  document.title = `${n} 号窗口服务评价 · Window ${n} rating`;
  setStaff(null);
  state.token = await signIn(KIND, { accept, title: `${n} 号窗口评价器 Window ${n} rating pad` });
  const words = await api(state.token, 'GET', '/evaluation/levels');
  state.words = words.data;
  levelButtons();
  $('#submit').addEventListener('click', submit);
  $('#comment').addEventListener('input', askAgain); // typing keeps the questions open
  new LiveHall(state.token, {
    onSnapshot: (msg) => {
      $('#hall').textContent = msg.hall?.name || '';
      setStaff(msg.staff);
    },
    onEvent,
    onUnauthorized: () => location.reload(),
  }).start();
}

main();
