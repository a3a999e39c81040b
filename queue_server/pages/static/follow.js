// The applicant's phone: one ticket followed through its link (no token), its place,
// wait and window, re-read every few seconds; once served, a rating of each window's
// service. Nothing is rated unless the applicant taps a level.

import { $, h } from './hallq.js';

const ref = decodeURIComponent(location.pathname.replace(/^\/t\//, ''));
const EVERY_MS = 10_000;
const LEVELS = [[5, '非常满意', 'Very satisfied'], [4, '满意', 'Satisfied'], [3, '基本满意', 'Fairly satisfied'],
  [2, '不满意', 'Dissatisfied'], [1, '非常不满意', 'Very dissatisfied']];
const state = { ticket: null, thanked: false, sending: false };
window.hallqFollow = state; // for the tests

async function call(method, path, body) {
  try {
    const r = await fetch(`/api/v1/follow/${encodeURIComponent(ref)}${path}`, {
      method, cache: 'no-store', headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined });
    const data = await r.json().catch(() => null);
    return r.ok ? { ok: true, data } : { ok: false, status: r.status, error: data?.error };
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
      return [h('p', { class: 'f-big' }, ahead === 0 ? '下一位就是您' : `前面还有 ${ahead} 人`,
        h('small', {}, ahead === 0 ? 'You are next' : `${ahead} ${ahead === 1 ? 'person' : 'people'} ahead of you`)),
      wait === null || wait === undefined
        ? h('p', {}, '暂无预计时间，请留意叫号', h('small', {}, ' No estimate yet; listen for your number'))
        : wait === 0 && (!range || range[1] === 0)
          ? h('p', {}, '预计很快叫到您，请留意叫号', h('small', {}, ' You should be called within a minute or so'))
          : h('p', {}, `预计等候约 ${wait} 分钟${range ? `（${range[0]}–${range[1]} 分钟）` : ''}`,
          h('small', {}, ` About ${wait} min${range ? ` (${range[0]}–${range[1]})` : ''}`))];
    }
    case 'called':
      return [h('p', { class: 'f-big' }, `请到 ${t.window} 号窗口办理`, h('small', {}, `Please go to window ${t.window}`))];
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
  renderRate();
}

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

async function load() {
  const r = await call('GET', '');
  if (r.ok) {
    state.ticket = r.data;
    render();
    const at = new Date().toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    $('#updated').textContent = `更新于 ${at} / updated ${at}`;
  } else if (r.status === 404) {
    document.body.dataset.state = 'unknown';
    $('#status').replaceChildren(h('p', { class: 'f-error' }, ...bilingual(r.error?.message)));
  } else {
    $('#updated').replaceChildren(h('span', { class: 'f-error' }, '网络不通，正在重试… ', h('small', {}, 'No connection; retrying…')));
  }
}

load();
setInterval(() => { if (!document.hidden) load(); }, EVERY_MS);
