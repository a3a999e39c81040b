// The guide console: the whole hall at a glance (every window with its status, current
// ticket and load; every service with its waiting, longest wait and alerts), and the
// guide's actions: open, pause, close windows, change what a window serves, move waiting
// tickets between services, issue green-channel tickets; and every self-service kiosk's
// health, the faulty and silent ones first, because those are what a guide walks over to fix.

import { $, h, api, LiveHall, signIn, forgetToken, toast, toastRefusal, clockText, serverNow } from './hallq.js';

const KIND = 'guide';
const STATUS = { open: ['开放', 'Open'], paused: ['暂停', 'Paused'], closed: ['关闭', 'Closed'] };
const state = { token: null, hall: null, items: [], zones: [], windows: new Map(), queues: new Map(),
  businesses: [], selected: null, draft: null, busy: false,
  kiosks: null, kioskAt: null, kioskError: null, kioskRead: 0, kioskPending: false,
  followups: [], advice: null, adviceTimer: null, screens: [], bookings: null };
const FOLLOWUP_POLL_MS = 60_000;

const tick = () => { $('#clock').textContent = clockText(state.hall?.timezone); };

// --- live data -----------------------------------------------------------------------------
function onSnapshot(snap) {
  state.hall = snap.hall;
  state.zones = snap.zones;
  state.windows = new Map(snap.windows.map((w) => [w.number, w]));
  state.queues = new Map(snap.queues.map((q) => [q.business, q]));
  $('#hall-name').textContent = snap.hall.name;
  tick(); // the hall's time, as soon as the server has told it
  renderAll();
}

function onEvent(msg) {
  if (msg.type === 'queues') {
    state.queues = new Map(msg.queues.map((q) => [q.business, q]));
    renderMap(); renderBusinesses(); renderAlerts(); renderTotals(); renderAdvice();
    adviceSoon(); // the advice follows the hall, not a 60-second poll
    return;
  }
  if (msg.type === 'queue.alert' || msg.type === 'queue.alert_cleared') {
    // Pushed the moment a waiting count reaches its threshold: the alert bar shows it now.
    const q = state.queues.get(msg.business);
    if (q) state.queues.set(msg.business, { ...q, alert: msg.type === 'queue.alert', waiting: msg.waiting });
    renderBusinesses(); renderAlerts();
    if (msg.type === 'queue.alert') {
      toast(`${msg.name}：等候 ${msg.waiting} 人，已达告警阈值 ${msg.threshold} / ${msg.name_en || msg.business}: ${msg.waiting} waiting, alert threshold ${msg.threshold}`);
    }
    return;
  }
  if (msg.window_state) {
    const w = msg.window_state;
    state.windows.set(w.number, w);
    if (w.number === state.selected && msg.type === 'window.reskilled') state.draft = null;
    renderMap(); renderTotals();
    if (w.number === state.selected) renderPanel();
  }
}

const biz = (code) => state.businesses.find((b) => b.code === code);
// 超时警示: a service running past twice the business's typical time (the server's
// running mean of call-to-finish) is overtime; minutes, or null when it is not.
function overtime(w) {
  const c = w.current;
  const since = c && (c.started_at || c.called_at);
  if (!since || !c.typical_minutes) return null;
  const minutes = (serverNow() - Date.parse(since)) / 60000;
  return minutes > 2 * c.typical_minutes ? Math.round(minutes) : null;
}
const load = (w) => w.businesses.reduce((n, c) => n + (state.queues.get(c)?.waiting || 0), 0);

function alertsOf(q) {
  const b = biz(q.business);
  const out = [];
  if (q.front_open === false) {
    // Only a back-office window lists it: the kiosks refuse it (business_closed).
    out.push(['没有开放的前台窗口，暂停取号', 'no open front window: not taking tickets']);
  }
  if (q.alert) out.push([`等候 ${q.waiting} 人（阈值 ${b?.alert_waiting}）`, `${q.waiting} waiting (threshold ${b?.alert_waiting})`]);
  if (b?.wait_target_minutes && q.longest_wait_minutes > b.wait_target_minutes) {
    out.push([`最久已等 ${Math.round(q.longest_wait_minutes)} 分钟（目标 ${b.wait_target_minutes}）`,
      `longest wait ${Math.round(q.longest_wait_minutes)} min (target ${b.wait_target_minutes})`]);
  }
  return out;
}

// --- rendering --------------------------------------------------------------------------------
function renderAll() { renderTotals(); renderAlerts(); renderMap(); renderBusinesses(); renderPanel(); renderKiosks(); }

function renderTotals() {
  const ws = [...state.windows.values()];
  const count = (s) => ws.filter((w) => w.status === s).length;
  const waiting = [...state.queues.values()].reduce((n, q) => n + q.waiting, 0);
  $('#totals').replaceChildren(
    h('span', { class: 'tot open' }, `开放 ${count('open')}`, h('small', {}, ' open')),
    h('span', { class: 'tot paused' }, `暂停 ${count('paused')}`, h('small', {}, ' paused')),
    h('span', { class: 'tot closed' }, `关闭 ${count('closed')}`, h('small', {}, ' closed')),
    h('span', { class: 'tot waiting' }, `等候 ${waiting} 人`, h('small', {}, ' waiting')));
}

function renderAlerts() {
  // A broken or silent kiosk first: it needs someone to walk over, a long queue may not.
  const kiosks = kioskAlerts().map(([k, zh, en]) =>
    h('span', { class: 'alert-item kiosk-alert', dataset: { kiosk: k.name }, title: '查看自助机 Show the kiosks',
      onclick: () => $('#kiosk-card').scrollIntoView({ block: 'nearest' }) },
    h('b', {}, `自助机 ${k.name}`), `：${zh}`, h('small', {}, ` Kiosk ${k.name}: ${en}`)));
  // 差评整改 work orders near or past their due date: every bad review must get its reply.
  const orders = state.followups.filter((o) => o.urgency).map((o) => h('span', {
    class: `alert-item followup-alert ${o.urgency}`, dataset: { order: o.id } },
  h('b', {}, `差评整改 ${o.number}`), `：${o.urgency_name}（${o.window} 号窗口，截止 ${o.due_date}）`,
  h('small', {}, ` Bad-review work order ${o.number}: ${o.urgency === 'overdue' ? 'overdue' : 'due soon'} (window ${o.window}, due ${o.due_date})`)));
  const slow = [...state.windows.values()].map((w) => [w, overtime(w)]).filter(([, m]) => m)
    .map(([w, minutes]) => {
      const usual = Math.round(w.current.typical_minutes);
      return h('span', { class: 'alert-item overtime-alert', dataset: { window: w.number } },
        h('b', {}, `${w.number} 号窗口 ${w.current.number}`), `：已办理 ${minutes} 分钟（通常 ${usual} 分钟）`,
        h('small', {}, ` Window ${w.number}: serving for ${minutes} min (typically ${usual})`));
    });
  // A hall screen nobody can hear: its calls go unannounced until someone taps it.
  const screens = state.screens.filter((sc) => sc.state === 'silent' || sc.state === 'stale').map((sc) =>
    h('span', { class: 'alert-item screen-alert', dataset: { screen: sc.name }, title: '查看叫号屏 Show the screens',
      onclick: () => $('#screens').scrollIntoView({ block: 'nearest' }) },
    h('b', {}, `叫号屏 ${sc.name}`), sc.state === 'silent' ? `：语音未开启（已漏播 ${sc.missed} 次），请到屏前点击开启`
      : '：失联', h('small', {}, sc.state === 'silent' ? ` Screen ${sc.name}: sound off (${sc.missed} not announced): tap it`
      : ` Screen ${sc.name}: not reporting`)));
  const items = [...kiosks, ...screens, ...orders, ...slow, ...[...state.queues.values()].flatMap((q) => alertsOf(q).map(([zh, en]) =>
    h('span', { class: 'alert-item', dataset: { business: q.business } }, h('b', {}, q.name), `：${zh}`, h('small', {}, ` ${q.name_en || q.business}: ${en}`))))];
  const box = $('#alerts');
  box.hidden = items.length === 0;
  box.replaceChildren(h('span', { class: 'alert-title' }, '⚠ 告警', h('small', {}, ' Alerts')), ...items);
}

function renderMap() {
  const byZone = new Map(state.zones.map((z) => [z.code, []]));
  for (const w of [...state.windows.values()].sort((a, b) => a.number - b.number)) {
    if (!byZone.has(w.zone)) byZone.set(w.zone, []);
    byZone.get(w.zone).push(w);
  }
  const legend = h('p', { class: 'legend' }, '窗口号 · 当前号 / 状态 · 可叫人数 · 所办业务',
    h('small', {}, ' Tile: window · current ticket / status · tickets waiting for it · its services'));
  $('#map').replaceChildren(legend, ...[...byZone.entries()].filter(([, ws]) => ws.length).map(([code, ws]) => {
    const z = state.zones.find((x) => x.code === code) || { name: code, name_en: '' };
    // Small zones share a row; a zone never gets wider than 12 tiles.
    return h('section', { class: 'zone', style: `flex: ${ws.length} 1 ${Math.min(ws.length, 12) * 7.4 + 1.6}rem` },
      h('h3', {}, z.name, h('small', {}, ` ${z.name_en || ''}`), h('span', { class: 'zone-count' }, ` ${ws.length}`)),
      h('div', { class: 'tiles' }, ws.map(tile)));
  }));
}

function tile(w) {
  const [zh] = STATUS[w.status];
  const prefixes = w.businesses.map((c) => biz(c)?.prefix || c).join(' ');
  return h('button', { type: 'button', class: `wtile ${w.status}${w.kind === 'back' ? ' back' : ''}${w.number === state.selected ? ' selected' : ''}${overtime(w) ? ' overtime' : ''}`,
    dataset: { window: w.number }, title: w.businesses.map((c) => biz(c)?.name || c).join('、'),
    onclick: () => select(w.number) },
  h('span', { class: 'wt-num num' }, String(w.number)),
  h('span', { class: `wt-current num${w.current ? '' : ' none'}` }, w.current ? w.current.number : '—'),
  h('span', { class: 'wt-status' }, zh),
  h('span', { class: `wt-staff${w.staff ? '' : ' none'}` }, w.staff ? w.staff.name : '未签到'),
  h('span', { class: 'wt-load' }, h('b', {}, String(load(w))), h('span', { class: 'wt-biz' }, ` ${prefixes}`)));
}

// A new ticket's wait as the server estimates it, one formatter for the "Est." column and
// the advice card, so the two cannot disagree.
function estText(q) {
  if (!q?.estimate) return '无窗口 none';
  const lo = Math.round(q.estimate.low ?? 0), hi = Math.round(q.estimate.high ?? 0);
  return lo === hi ? `${hi}′` : `${lo}–${hi}′`;
}

function renderBusinesses() {
  $('#biz tbody').replaceChildren(...state.businesses.map((b) => {
    const q = state.queues.get(b.code) || { waiting: 0, longest_wait_minutes: 0 };
    const alert = alertsOf({ ...q, business: b.code }).length > 0;
    const est = estText(q);
    return h('tr', { class: alert ? 'alert' : '', dataset: { business: b.code },
      onclick: () => { $('#move-from').value = b.code; } },
    h('td', { class: 'num strong' }, b.prefix),
    h('td', {}, b.name),
    h('td', { class: 'num strong' }, String(q.waiting)),
    h('td', { class: 'num' }, `${Math.round(q.longest_wait_minutes)}′`),
    h('td', { class: 'num' }, est));
  }));
}

function select(number) {
  state.selected = number;
  state.draft = null;
  renderMap();
  renderPanel();
}

function renderPanel() {
  const box = $('#win-panel');
  const w = state.windows.get(state.selected);
  if (!w) return;
  const draft = state.draft || [...w.businesses];
  const [zh, en] = STATUS[w.status];
  const button = (id, label, labelEn, path, enabled, cls = '') => h('button', { type: 'button', id, class: `btn ${cls}`,
    disabled: state.busy || !enabled, onclick: () => perform(() => request('POST', `/windows/${w.number}/${path}`)) }, label, h('small', {}, ` ${labelEn}`));
  const changed = draft.join() !== w.businesses.join();
  // Events re-render this panel at any moment: keep what the guide has picked.
  const picked = $('#skill-add')?.value;
  const focused = document.activeElement?.id;
  box.replaceChildren(
    h('h2', {}, `${w.number} 号窗口 `, h('small', {}, `Window ${w.number}`), ' ', h('span', { class: `pill ${w.status}` }, zh, h('small', {}, ` ${en}`))),
    h('p', { class: 'panel-facts' }, w.label ? `${w.label} · ` : '', w.kind === 'back' ? '后台 back office · ' : '',
      '当前 ', h('small', {}, 'current '), h('b', { class: 'num' }, w.current ? w.current.number : '—'),
      w.parked.length ? ` · 挂起 ${w.parked.join(' ')}` : ''),
    h('p', { class: 'panel-staff', id: 'panel-staff' }, ...(w.staff
      ? ['在岗 ', h('small', {}, 'On duty '), h('b', {}, w.staff.name), ` 工号 ${w.staff.number}`,
        w.staff.since ? h('small', {}, ` · 自 since ${new Date(w.staff.since).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit', timeZone: state.hall?.timezone })}`) : null,
        ' ', h('button', { type: 'button', id: 'win-signout', class: 'btn small', disabled: state.busy,
          onclick: () => perform(() => request('POST', `/windows/${w.number}/sign-out`)) }, '签退', h('small', {}, ' Sign out'))]
      : [h('span', { class: 'staff-none' }, '无人签到', h('small', {}, ' Nobody signed in'))])),
    h('div', { class: 'row' },
      button('win-open', '开放', 'Open', 'open', w.status === 'closed'),
      button('win-pause', '暂停', 'Pause', 'pause', w.status === 'open'),
      button('win-resume', '恢复', 'Resume', 'resume', w.status === 'paused'),
      button('win-close', '关闭', 'Close', 'close', w.status !== 'closed' && !w.current, 'danger')),
    h('h3', {}, '办理业务（按优先顺序）', h('small', {}, ' Services, in priority order')),
    h('ol', { class: 'skills', id: 'skills' }, draft.map((code, i) => h('li', { dataset: { business: code } },
      h('span', {}, biz(code)?.prefix || '', ' ', biz(code)?.name || code),
      h('span', { class: 'skill-buttons' },
        h('button', { type: 'button', class: 'btn small', title: '上移 up', disabled: i === 0,
          onclick: () => editDraft((d) => { [d[i - 1], d[i]] = [d[i], d[i - 1]]; }) }, '↑'),
        h('button', { type: 'button', class: 'btn small', title: '下移 down', disabled: i === draft.length - 1,
          onclick: () => editDraft((d) => { [d[i + 1], d[i]] = [d[i], d[i + 1]]; }) }, '↓'),
        h('button', { type: 'button', class: 'btn small danger', title: '移除 remove', disabled: draft.length === 1,
          onclick: () => editDraft((d) => { d.splice(i, 1); }) }, '×'))))),
    h('div', { class: 'row' },
      h('select', { id: 'skill-add', 'aria-label': '添加业务 add a service' },
        state.businesses.filter((b) => !draft.includes(b.code)).map((b) => h('option', { value: b.code }, `${b.prefix} ${b.name}`))),
      h('button', { type: 'button', class: 'btn', id: 'skill-add-go',
        onclick: () => { const v = $('#skill-add').value; if (v) editDraft((d) => { d.push(v); }); } }, '添加', h('small', {}, ' Add')),
      h('button', { type: 'button', class: 'btn primary', id: 'skill-save', disabled: state.busy || !changed,
        onclick: () => perform(async () => {
          const r = await request('PUT', `/windows/${w.number}/businesses`, { businesses: draft });
          if (r.ok) { state.draft = null; state.windows.set(w.number, r.data); toast(`${w.number} 号窗口业务已更新 / services saved`, 'ok'); }
        }) }, '保存业务', h('small', {}, ' Save'))));
  const select = $('#skill-add');
  if (picked && [...select.options].some((o) => o.value === picked)) select.value = picked;
  if (focused && box.querySelector(`#${focused}`)) document.getElementById(focused).focus();
}

function editDraft(fn) {
  const w = state.windows.get(state.selected);
  const d = state.draft ? [...state.draft] : [...w.businesses];
  fn(d);
  state.draft = d;
  renderPanel();
}

// --- kiosks -------------------------------------------------------------------------------------
// Polled, not pushed: each kiosk reports every 30 s and the server keeps only its latest
// report, marking it stale when the kiosk has gone quiet. A failed poll keeps what is shown
// and says since when it is.
const KIOSK_POLL_MS = 15_000;
const KIOSK_STATE = { failed: ['故障', 'Failed'], stale: ['失联', 'Not reporting'],
  degraded: ['部分故障', 'Degraded'], ok: ['正常', 'OK'] };
const KIOSK_RANK = { failed: 0, stale: 1, degraded: 2, ok: 3 };
const DEVICE = { idcard: ['读卡器', 'ID reader'], printer: ['打印机', 'Printer'],
  scanner: ['扫码器', 'Scanner'], voice: ['语音', 'Voice'], led: ['LED 屏', 'LED'],
  server: ['服务器连接', 'Server link'] };
const deviceName = (d) => DEVICE[d] || [d, d];
const rank = (s) => KIOSK_RANK[s] ?? 0; // a state this page does not know is worth a look

function ageText(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  if (s < 60) return [`${s} 秒`, `${s} s`];
  if (s < 3600) return [`${Math.floor(s / 60)} 分钟`, `${Math.floor(s / 60)} min`];
  return [`${Math.floor(s / 3600)} 小时`, `${Math.floor(s / 3600)} h`];
}

// Every device that is not ok, and every fault the kiosk named without a device behind it
// (a print that just failed, the link to the server), the failed ones first.
function kioskProblems(k) {
  const out = (k.devices || []).filter((d) => d.state !== 'ok')
    .map((d) => ({ device: d.device, state: d.state, reason: d.reason || '' }));
  for (const f of k.faults || []) {
    if (!out.some((p) => p.device === f && p.state === 'failed')) out.push({ device: f, state: 'failed', reason: '' });
  }
  return out.sort((a, b) => rank(a.state) - rank(b.state));
}

function sortedKiosks() {
  return [...(state.kiosks || [])].sort((a, b) => rank(a.state) - rank(b.state)
    || a.name.localeCompare(b.name, 'en', { numeric: true }));
}

function kioskAlerts() {
  return sortedKiosks().filter((k) => k.state === 'failed' || k.state === 'stale').map((k) => {
    if (k.state === 'stale') {
      const [zh, en] = ageText(k.age_seconds);
      return [k, `失联，已 ${zh}未上报`, `not reporting for ${en}`];
    }
    const names = kioskProblems(k).filter((p) => p.state === 'failed').map((p) => deviceName(p.device));
    return [k, `故障（${names.map((n) => n[0]).join('、')}）`, `failed (${names.map((n) => n[1]).join(', ')})`];
  });
}

// 'zh / en' as the kiosk sent it, the English part quieter: the same words, read at a glance.
function bilingual(text) {
  const cut = text.indexOf(' / ');
  return cut < 0 ? [text] : [text.slice(0, cut), h('small', {}, text.slice(cut))];
}

function kioskRow(k) {
  const [zh, en] = KIOSK_STATE[k.state] || [k.state, ''];
  const problems = kioskProblems(k);
  const [az, ae] = ageText(k.age_seconds);
  return h('li', { class: `kiosk ${k.state}`, dataset: { kiosk: k.name, state: k.state } },
    h('div', { class: 'k-head' },
      h('span', { class: `kpill ${k.state}` }, zh, h('small', {}, ` ${en}`)),
      h('b', { class: 'k-name' }, k.name),
      k.stale ? h('span', { class: 'k-note' }, `已 ${az}未上报`, h('small', {}, ` silent ${ae}`)) : null),
    problems.length ? h('ul', { class: 'k-devices' }, problems.map((p) => {
      const [dz, de] = deviceName(p.device);
      return h('li', { class: `k-dev ${p.state}`, dataset: { device: p.device } },
        h('span', { class: 'k-dev-name' }, dz, h('small', {}, ` ${de}`)),
        h('span', { class: 'k-reason' }, ...(p.reason ? bilingual(p.reason)
          : [(KIOSK_STATE[p.state] || [p.state])[0], h('small', {}, ' no reason given')])));
    })) : null);
}

// When the kiosks were last read, on the hall's clock (the page learns the server's time
// from the event stream, which may connect after the first read: kept in browser time).
function kioskTime() {
  if (state.kioskAt === null) return '';
  const at = state.kioskAt + (serverNow() - Date.now());
  const opts = { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
  try { return new Intl.DateTimeFormat('zh-CN', { ...opts, timeZone: state.hall?.timezone }).format(at); }
  catch { return new Intl.DateTimeFormat('zh-CN', opts).format(at); }
}

function renderKiosks() {
  const when = $('#kiosk-updated');
  const at = kioskTime();
  when.classList.toggle('warn', Boolean(state.kioskError));
  when.title = state.kioskError || '';
  if (state.kioskError) {
    when.replaceChildren('⚠ 刷新失败', at ? `，显示 ${at}` : '',
      h('small', {}, at ? ` Refresh failed; as of ${at}` : ' Cannot load; retrying'));
  } else {
    when.replaceChildren(at ? `更新于 ${at}` : '', at ? h('small', {}, ' updated') : '');
  }
  if (state.kiosks === null) return; // nothing read yet: "loading" stays
  const list = sortedKiosks();
  $('#kiosk-card').classList.toggle('alarm', list.some((k) => k.state === 'failed' || k.state === 'stale'));
  // A row for each kiosk that needs someone; the healthy ones share one quiet line.
  const healthy = list.filter((k) => k.state === 'ok');
  const rows = list.filter((k) => k.state !== 'ok').map(kioskRow);
  if (healthy.length) {
    rows.push(h('li', { class: 'kiosk-ok' }, h('span', { class: 'kpill ok' }, '正常', h('small', {}, ' OK')),
      h('span', { class: 'k-names' }, healthy.map((k) =>
        h('span', { class: 'kiosk ok k-name', dataset: { kiosk: k.name, state: k.state } }, k.name)))));
  }
  $('#kiosks').replaceChildren(...(rows.length ? rows
    : [h('li', { class: 'hint k-empty' }, '尚无自助机上报 ', h('small', {}, 'No kiosk has reported yet'))]));
}

// Hall screens, read with the kiosks: silent (nobody tapped, no autoplay flag) and gone
// quiet first, each with the calls it could not say.
const SCREEN_STATE = { silent: ['语音未开启', 'Sound off'], stale: ['失联', 'Not reporting'],
  off: ['语音关闭', 'Voice off by setting'], ok: ['语音正常', 'Sound on'] };
const SCREEN_RANK = { silent: 0, stale: 1, off: 2, ok: 3 };

function renderScreens() {
  const list = [...state.screens].sort((a, b) => (SCREEN_RANK[a.state] ?? 0) - (SCREEN_RANK[b.state] ?? 0)
    || a.name.localeCompare(b.name, 'en', { numeric: true }));
  $('#screens').replaceChildren(...(list.length ? list.map((sc) => {
    const [zh, en] = SCREEN_STATE[sc.state] || [sc.state, ''];
    return h('li', { class: `kiosk screen ${sc.state === 'silent' ? 'failed' : sc.state}`, dataset: { screen: sc.name, state: sc.state } },
      h('div', { class: 'k-head' },
        h('span', { class: `kpill ${sc.state === 'silent' ? 'failed' : sc.state}` }, zh, h('small', {}, ` ${en}`)),
        h('b', { class: 'k-name' }, sc.name),
        sc.zone ? h('small', {}, ` 区域 zone ${sc.zone}`) : null,
        sc.state === 'silent' ? h('span', { class: 'k-note' }, `已漏播 ${sc.missed} 次`, h('small', {}, ` ${sc.missed} not announced`)) : null));
  }) : [h('li', { class: 'hint k-empty' }, '尚无叫号屏上报 ', h('small', {}, 'No hall screen has reported yet'))]));
}

async function loadScreens() {
  const r = await api(state.token, 'GET', '/screens');
  if (r.ok && Array.isArray(r.data)) state.screens = r.data;
  renderScreens();
}

async function loadKiosks() {
  loadScreens();
  // A read still unanswered at the next poll counts as failed (what is shown is getting
  // old), and only the newest read's answer is used.
  if (state.kioskPending) {
    state.kioskError = '服务器未答复 / the server did not answer';
    renderKiosks();
  }
  const read = ++state.kioskRead;
  state.kioskPending = true;
  const r = await api(state.token, 'GET', '/kiosks');
  if (read !== state.kioskRead) return;
  state.kioskPending = false;
  if (r.ok && Array.isArray(r.data)) {
    state.kiosks = r.data;
    state.kioskAt = Date.now();
    state.kioskError = null;
  } else {
    state.kioskError = r.ok ? '服务器答复无法识别 / unexpected answer' : r.error.message;
  }
  renderKiosks();
  renderAlerts();
}

// --- actions -----------------------------------------------------------------------------------
async function request(method, path, body) {
  const r = await api(state.token, method, path, body);
  if (!r.ok) toastRefusal(r);
  return r;
}

async function perform(fn) {
  if (state.busy) return;
  state.busy = true;
  setFormsDisabled(true);
  renderPanel();
  try { await fn(); } finally {
    state.busy = false;
    setFormsDisabled(false);
    renderPanel();
  }
}

function setFormsDisabled(disabled) {
  for (const id of ['#move-go', '#green-go', '#bk-go', '#precheck-go']) $(id).disabled = disabled;
  for (const b of document.querySelectorAll('#advice button')) b.disabled = disabled;
}

// Staffing advice: the server's suggestions for the next hour, each applied with one press.
// Read again a moment after the hall changes (coalesced), and every minute as a floor.
const ADVICE_DELAY_MS = 1500;
function adviceSoon() {
  if (state.adviceTimer !== null) return;
  state.adviceTimer = setTimeout(() => { state.adviceTimer = null; loadAdvice(); }, ADVICE_DELAY_MS);
}

async function loadAdvice() {
  const r = await api(state.token, 'GET', '/advice');
  if (!r.ok) return;
  state.advice = r.data.suggestions;
  renderAdvice();
}

function renderAdvice() {
  if (state.advice === null) return;
  const items = state.advice.map((s) => h('li', { 'data-id': s.id },
    h('span', {}, s.text, h('small', {}, ` ${s.text_en}`),
      // The relieved business's wait for a ticket taken now: the "Est." column's own figure.
      h('span', { class: 'advice-now', dataset: { business: s.business } },
        `现在取号 ${estText(state.queues.get(s.business))}`, h('small', {}, ' a ticket taken now'))),
    h('button', { class: 'btn primary', type: 'button', onclick: () => applyAdvice(s) },
      '采纳 ', h('small', {}, 'Apply'))));
  $('#advice').replaceChildren(...(items.length ? items
    : [h('li', { class: 'hint' }, '暂无调整建议 ', h('small', {}, 'No change needed'))]));
  setFormsDisabled(state.busy);
}

function applyAdvice(s) {
  perform(async () => {
    const r = await request('POST', `/advice/${s.id}/apply`);
    if (r.ok) {
      state.windows.set(r.data.window.number, r.data.window);
      toast(`已采纳：${s.text} / applied`, 'ok');
    }
    await loadAdvice();
  });
}

function fillSelects() {
  const opts = () => state.businesses.map((b) => h('option', { value: b.code }, `${b.prefix} ${b.name}`));
  $('#move-from').replaceChildren(...opts());
  $('#move-to').replaceChildren(...opts());
  $('#green-business').replaceChildren(...opts());
  $('#precheck-item').replaceChildren(h('option', { value: '', disabled: true, selected: true }, '— 请选择事项 Choose the item —'),
    ...state.items.map((i) => h('option', { value: i.code }, `${i.name}`)));
  if (state.businesses.length > 1) $('#move-to').value = state.businesses[1].code;
}

async function loadFollowups() {
  const r = await api(state.token, 'GET', '/followups?status=open');
  if (!r.ok) return; // shown again on the next poll; the alerts keep what they had
  state.followups = r.data;
  renderAlerts();
}

// --- 今日预约 the day's bookings ----------------------------------------------------------------
const BOOKING_POLL_MS = 60_000;

async function loadBookings() {
  const r = await api(state.token, 'GET', '/booking/day');
  if (r.status === 404) { // the hall takes no bookings
    $('#booking-form').hidden = true;
    document.body.dataset.bookings = 'none';
    return;
  }
  if (!r.ok) return; // shown again on the next poll
  state.bookings = r.data;
  $('#booking-form').hidden = false;
  renderBookings();
  document.body.dataset.bookings = 'shown';
}

function bkFigure(id, zh, en, value, cls = '') {
  return h('div', { class: `bk-fig ${cls}`, id: `bk-${id}` }, h('b', { class: 'num' }, String(value)),
    h('span', {}, `${zh} `, h('small', {}, en)));
}

function renderBookings() {
  const f = state.bookings;
  if (!f) return;
  $('#bk-figures').replaceChildren(
    bkFigure('booked', '预约', 'Booked', f.booked),
    bkFigure('came', '已签到', 'In', f.checked_in, 'came'),
    bkFigure('missed', '爽约', 'Missed', f.no_show, f.no_show ? 'missed' : ''), // red only when there are some
    bkFigure('coming', '待到', 'To come', f.to_come));
}

async function main() {
  $('#signout').addEventListener('click', () => { forgetToken(KIND); location.reload(); });
  // A guide-only read: a report for a day that has none answers 404 to a guide, 403 to others.
  state.token = await signIn(KIND, { probe: '/reports/2000-01-01', allowed: [404], title: '引导台 Guide console' });
  const [b, hall, cat] = await Promise.all([api(state.token, 'GET', '/businesses'), api(state.token, 'GET', '/hall'),
    api(state.token, 'GET', '/catalogue')]);
  if (b.ok) state.businesses = b.data;
  state.items = cat.ok ? cat.data.categories.flatMap((c) => c.items) : [];
  if (hall.ok) state.hall = hall.data;
  fillSelects();
  setInterval(tick, 1000);
  loadKiosks();
  setInterval(loadKiosks, KIOSK_POLL_MS);
  loadFollowups();
  setInterval(loadFollowups, FOLLOWUP_POLL_MS);
  setInterval(() => { renderMap(); renderAlerts(); }, 30_000); // services run into overtime between events
  $('#move-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const from = $('#move-from').value, to = $('#move-to').value, count = Number($('#move-count').value);
    perform(async () => {
      const r = await request('POST', `/queues/${from}/move`, { to, count });
      if (r.ok) toast(`已移动 ${r.data.moved.length} 个号 / moved ${r.data.moved.length}: ${r.data.moved.map((t) => t.number).join(' ')}`, 'ok');
    });
  });
  $('#green-form').addEventListener('submit', (e) => {
    e.preventDefault();
    perform(async () => {
      const body = { business: $('#green-business').value, priority: 'green',
        priority_reason: $('#green-reason').value };
      // The help desk may issue past the daily cap or the per-ID limit, with a reason that
      // is recorded on the ticket and its history.
      const why = $('#green-override').value.trim();
      if (why) body.override = { reason: why };
      const r = await request('POST', '/tickets', body);
      if (r.ok) {
        $('#green-result').replaceChildren('已发号 ', h('b', { class: 'num', id: 'green-number' }, r.data.number),
          h('small', {}, ` issued · ${r.data.business_name}`),
          ...(r.data.override_reason ? [h('small', { id: 'green-override-note' },
            ` · 越限 past the limit: ${r.data.override_reason}`)] : []));
        $('#green-override').value = '';
      }
    });
  });
  // The chosen item's materials, to check the papers against before the ticket.
  $('#precheck-item').addEventListener('change', () => {
    const item = state.items.find((i) => i.code === $('#precheck-item').value);
    const list = $('#precheck-list');
    list.replaceChildren(...(item ? item.materials.map((m, i) => h('li', {}, m,
      item.materials_en?.[i] ? h('small', {}, item.materials_en[i]) : null,
      item.materials_where?.[i] ? h('small', { class: 'where' }, `获取途径 Where: ${item.materials_where[i]}`) : null)) : []));
    list.hidden = !item;
    // The list scrolls in its box: how many there are tells the guide when it is done.
    const n = item ? item.materials.length : 0;
    $('#precheck-count').textContent = n ? `· 收件清单共 ${n} 项 ${n} materials` : '';
  });
  $('#precheck-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const item = state.items.find((i) => i.code === $('#precheck-item').value);
    if (!item) return;
    perform(async () => {
      const body = { business: item.business, precheck: { item: item.code } };
      // The server checks the number (this hall's, this business's) and says what is wrong.
      const notice = $('#precheck-notice').value.trim();
      if (notice) body.notice = notice;
      const r = await request('POST', '/tickets', body);
      if (r.ok) {
        $('#precheck-result').replaceChildren('已发号 ', h('b', { class: 'num', id: 'precheck-number' }, r.data.number),
          h('small', {}, ` issued · 已预审 pre-checked · ${item.name}`),
          ...(r.data.follows_notice ? [h('small', { id: 'precheck-follows' },
            ' · 续办告知单 follows notice ', h('span', {}, r.data.follows_notice))] : []));
        $('#precheck-done').checked = false;
        $('#precheck-notice').value = '';
      }
    });
  });
  loadBookings();
  setInterval(loadBookings, BOOKING_POLL_MS);
  $('#booking-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const code = $('#bk-code').value.trim().toUpperCase();
    if (!code) return;
    perform(async () => {
      const r = await request('POST', `/bookings/${encodeURIComponent(code)}/check-in`);
      if (r.ok) {
        const t = r.data.ticket, b = r.data.booking;
        $('#bk-result').replaceChildren('已签到 ', h('b', { class: 'num', id: 'bk-number' }, t.number),
          h('small', {}, ` checked in · ${b.business_name} · ${b.when.split(' ').slice(-1)[0]}`));
        $('#bk-code').value = '';
        loadBookings();
      }
    });
  });
  new LiveHall(state.token, { onSnapshot, onEvent, onUnauthorized: () => { forgetToken(KIND); location.reload(); } }).start();
  loadAdvice();
  setInterval(loadAdvice, 60_000); // also when nothing happens: expected arrivals move with the clock
}

main();
