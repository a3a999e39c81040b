// The display over one window: the number called here in letters readable from 15 m,
// the sentence that goes with it, the window's businesses, and a clear paused/closed state.

import { $, h, LiveHall, signIn, clockText, windowNumberFromPath } from './hallq.js';

const n = windowNumberFromPath();
const state = { window: null, names: new Map(), hall: null };
const tick = () => { $('#clock').textContent = clockText(state.hall?.timezone); };

function onSnapshot(snap) {
  state.hall = snap.hall;
  state.names = new Map(snap.queues.map((q) => [q.business, q]));
  state.window = snap.windows.find((w) => w.number === n) || null;
  tick();
  render(false);
}

function onEvent(msg) {
  if (msg.type === 'queues') {
    state.names = new Map(msg.queues.map((q) => [q.business, q]));
    return;
  }
  if (msg.window !== n || !msg.window_state) return;
  state.window = msg.window_state;
  render(msg.type === 'ticket.called' || msg.type === 'ticket.recalled');
}

function render(flash) {
  const w = state.window;
  $('#wnum').textContent = String(n);
  $('#wname-en').textContent = `Window ${n}`;
  if (!w) {
    show('closed', '—', `没有 ${n} 号窗口`, `There is no window ${n}`);
    return;
  }
  $('#wlabel').textContent = w.label || '';
  $('#businesses').replaceChildren(...w.businesses.map((code) => {
    const b = state.names.get(code);
    return h('span', { class: 'biz' }, b ? b.name : code, b?.name_en ? h('small', {}, ` ${b.name_en}`) : null);
  }));
  const cur = w.current;
  if (w.status === 'closed') {
    show('closed', '', '本窗口已关闭', 'This window is closed');
  } else if (w.status === 'paused') {
    // A ticket still called here stays on the screen: that applicant is on the way.
    if (cur && cur.status === 'called') {
      show('paused held', cur.number, `请 ${cur.number} 号到 ${n} 号窗口 · 窗口暂停，请稍候`,
        `Ticket ${cur.number}, window ${n} — paused, please wait here`);
    } else {
      show('paused', cur ? cur.number : '', '暂停服务，请稍候', 'Service paused — please wait');
    }
  } else if (cur && cur.status === 'called') {
    show('called', cur.number, `请 ${cur.number} 号到 ${n} 号窗口办理`, `Ticket ${cur.number}, please come to window ${n}`);
  } else if (cur) {
    show('serving', cur.number, `正在办理 ${cur.number} 号`, `Now serving ${cur.number}`);
  } else {
    show('idle', '—', '请稍候，等待叫号', 'Please wait for your number');
  }
  if (flash) {
    const panel = $('#panel');
    panel.classList.remove('flash');
    void panel.offsetWidth; // restart the animation on a recall of the same number
    panel.classList.add('flash');
  }
}

function show(kind, number, zh, en) {
  const panel = $('#panel');
  panel.dataset.state = kind.split(' ')[0];
  panel.className = `panel ${kind}`;
  const num = $('#number');
  num.textContent = number;
  // Five or more characters still fit the width.
  num.style.setProperty('--chars', String(Math.max(4, number.length)));
  $('#sentence').textContent = zh;
  $('#sentence-en').textContent = en;
}

async function main() {
  setInterval(tick, 1000);
  $('#wnum').textContent = String(n);
  const token = await signIn('display', { keepInUrl: true, title: `${n} 号窗口屏 Window ${n} display` });
  new LiveHall(token, { onSnapshot, onEvent, window: n, onUnauthorized: () => location.reload() }).start();
}

main();
