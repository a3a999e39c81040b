// Voice calling on the hall screen: every call and recall is said in order, one after
// another, never on top of another.
//
// mode "server": the server makes each clip (chime + speech) with espeak-ng, offline;
// this page fetches the next clips while the current one plays and plays them through
// one Web Audio context, strictly one at a time. If a clip cannot be had, the page
// plays its own chime and, where the browser has a Chinese voice, says the text itself.
// mode "browser": the browser's speech synthesis (with this page's chime).
// mode "off": silent. chime_only (server setting): the clip is the chime alone.
//
// When calls come faster than they can be said (devices/voice/backlog.py has the same
// rules, and a test keeps them together): one announcement per number and per window (a
// newer call at a window makes the waiting one obsolete), and just before it is said each
// is asked again whether it still stands (`stands`): a ticket started, completed,
// cancelled or marked no-show since is not announced.
//
// Browsers refuse sound until someone touches the page: a one-time button asks for it, and
// a large banner says the screen is silent (hall screens run Chromium with an autoplay
// flag: `hallq screen`). `window.hallqVoice.history` records every announcement with its
// start and end times; `missed` counts the ones a silent screen could not say.

import { h } from './hallq.js';

const DIGITS = '零一二三四五六七八九';
const SPEAKER_SVG = '<svg viewBox="0 0 24 24" width="1em" height="1em" fill="currentColor">'
  + '<path d="M3 9v6h4l5 5V4L7 9H3z"/><path d="M16.5 12a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4z"/>'
  + '<path d="M14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z"/></svg>';

// The same reading rules as devices/voice/phrases.py (a test compares them):
// ticket numbers character by character, windows as numbers.
export function readTicket(number) {
  return [...String(number)].map((c) => (/[0-9]/.test(c) ? DIGITS[Number(c)] : c.toUpperCase())).join('');
}

export function numberToChinese(n) {
  if (!Number.isInteger(n) || n < 0 || n > 9999) throw new Error(`out of range: ${n}`);
  if (n === 0) return DIGITS[0];
  const parts = [];
  let pendingZero = false;
  for (const [value, unit] of [[1000, '千'], [100, '百'], [10, '十'], [1, '']]) {
    const digit = Math.floor(n / value) % 10;
    if (digit === 0) { pendingZero = parts.length > 0; continue; }
    if (pendingZero) { parts.push(DIGITS[0]); pendingZero = false; }
    if (!(unit === '十' && digit === 1 && parts.length === 0)) {
      parts.push(unit === '千' && digit === 2 ? '两' : DIGITS[digit]);
    }
    parts.push(unit);
  }
  return parts.join('');
}

export function phrase(template, number, window) {
  return template.replaceAll('{number}', readTicket(number))
    .replaceAll('{window}', `${numberToChinese(Number(window))}号窗口`);
}

// devices/voice/backlog.py's admit(): the queue after `entry` arrives.
export function admit(queue, entry) {
  if (entry.recall && queue.some((e) => e.number === entry.number && e.window === entry.window)) {
    return { waiting: queue, dropped: [], absorbed: true };
  }
  const waiting = [];
  const dropped = [];
  let placed = false;
  for (const e of queue) {
    if (e.number === entry.number) {
      if (!placed) { waiting.push(entry); placed = true; }
      dropped.push(e);
    } else if (e.window === entry.window) {
      dropped.push(e);
    } else {
      waiting.push(e);
    }
  }
  if (!placed) waiting.push(entry);
  return { waiting, dropped, absorbed: false };
}

// The browser's own chime, as short as the server's (devices/voice/backends.py).
const CHIME = [[659.25, 0, 0.22], [523.25, 0.22, 0.38]];
const CHIME_MS = 700;

export class Voice {
  constructor(token, settings) {
    this.token = token;
    this.mode = settings.mode || 'server';
    this.chimeOnly = !!settings.chime_only;
    this.template = settings.template;
    this.recallTemplate = settings.recall_template;
    this.history = [];
    this.queue = [];
    this.playing = null;
    this.enabled = false;
    this.ctx = null;
    this.clips = new Map(); // history index → Promise of an AudioBuffer (or null)
    this.stands = settings.stands || null; // (entry) → still called? asked before speaking
    this.missed = 0; // announcements not said because the screen was silent
    window.hallqVoice = this;
  }

  // Shows the one-time "tap to enable sound" control unless the browser already allows
  // sound (kiosk browsers started with an autoplay policy).
  mount(parent) {
    if (this.mode === 'off') return;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) this.ctx = new Ctx();
    if (this.ctx && this.ctx.state === 'running') { this.enabled = true; return; }
    // Some browsers start an allowed context suspended and let it run a moment later.
    if (this.ctx) this.ctx.onstatechange = () => { if (this.ctx.state === 'running' && !this.enabled) this.enable(); };
    const icon = h('span', { class: 'sound-icon', 'aria-hidden': 'true' });
    icon.innerHTML = SPEAKER_SVG; // a constant: no data ever goes through innerHTML
    // Not a small control in a corner: a banner across the screen, so a silent hall screen
    // is seen at once from the floor (issue 15: one nobody tapped skipped 50 calls).
    this.missedEl = h('span', { class: 'sound-missed', id: 'sound-missed' });
    this.button = h('button', { class: 'sound-gate', id: 'sound-gate', onclick: () => this.enable() }, icon,
      h('span', { class: 'sound-gate-text' }, h('b', {}, '语音未开启 · 点击此处开启语音'),
        h('small', {}, 'Sound is off: calls are not announced. Tap here to enable sound'), this.missedEl));
    parent.append(this.button);
  }

  async enable() {
    if (this.ctx && this.ctx.state !== 'running') {
      try { await this.ctx.resume(); } catch { /* some browsers refuse; speech still works */ }
    }
    this.enabled = true;
    this.button?.remove();
    this.button = null;
    document.dispatchEvent(new CustomEvent('hallq-voice', { detail: { enabled: true } }));
    this._pump();
  }

  text(call) {
    if (this.chimeOnly) return '';
    return phrase(call.recall ? this.recallTemplate : this.template, call.number, call.window);
  }

  announce({ number, window, recall = false, seq = null }) {
    if (this.mode === 'off') return;
    const entry = { number, window, recall, seq, text: this.text({ number, window, recall }),
      queuedAt: performance.now(), startedAt: null, endedAt: null, via: null, error: null, skipped: null };
    this.history.push(entry);
    if (this.history.length > 500) this.history.splice(0, 100); // a day of calls, bounded
    if (!this.enabled) {
      entry.skipped = 'sound not enabled';
      this.missed += 1;
      if (this.missedEl) this.missedEl.textContent = `已漏播 ${this.missed} 次 · ${this.missed} not announced`;
      document.dispatchEvent(new CustomEvent('hallq-voice', { detail: { enabled: false, missed: this.missed } }));
      return;
    }
    const { waiting, dropped, absorbed } = admit(this.queue, entry);
    if (absorbed) { entry.skipped = 'absorbed by the queued call'; return; }
    for (const old of dropped) {
      old.skipped = old.number === number ? 'replaced by a newer call of the number' : 'superseded by a newer call at its window';
      this.clips.delete(old);
    }
    this.queue = waiting;
    if (this.mode === 'server') this.clips.set(entry, this._fetchClip(entry)); // fetch ahead
    this._pump();
  }

  async _fetchClip(entry) {
    try {
      const q = new URLSearchParams({ number: entry.number, window: entry.window, recall: entry.recall ? '1' : '0' });
      const res = await fetch(`/api/v1/voice/call.wav?${q}`, { headers: { Authorization: `Bearer ${this.token}` } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const data = await res.arrayBuffer();
      if (!this.ctx) throw new Error('no Web Audio');
      return await this.ctx.decodeAudioData(data);
    } catch (err) {
      entry.error = String(err.message || err);
      return null;
    }
  }

  async _pump() {
    if (this.playing || !this.enabled) return;
    while (this.queue.length) {
      const entry = this.queue.shift();
      if (this.stands && !this.stands(entry)) {
        entry.skipped = 'no longer called';
        this.clips.delete(entry);
        continue;
      }
      this.playing = entry;
      entry.startedAt = performance.now();
      try {
        const clip = this.mode === 'server' ? await this.clips.get(entry) : null;
        entry.startedAt = performance.now();
        if (clip) {
          entry.via = 'server';
          await this._playBuffer(clip);
        } else {
          entry.via = 'browser';
          await this._chime();
          if (entry.text) await this._speak(entry.text);
        }
      } catch (err) {
        entry.error = String(err.message || err);
      }
      entry.endedAt = performance.now();
      this.clips.delete(entry);
      this.playing = null;
    }
  }

  _playBuffer(buffer) {
    return new Promise((resolve) => {
      const src = this.ctx.createBufferSource();
      src.buffer = buffer;
      src.connect(this.ctx.destination);
      // `ended` is the signal; the timer only guards against an audio device that hangs.
      const guard = setTimeout(resolve, (buffer.duration + 2) * 1000);
      src.onended = () => { clearTimeout(guard); resolve(); };
      src.start();
    });
  }

  _chime() {
    if (!this.ctx) return Promise.resolve();
    const ctx = this.ctx;
    const t0 = ctx.currentTime + 0.02;
    for (const [freq, start, dur] of CHIME) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t0 + start);
      gain.gain.exponentialRampToValueAtTime(0.4, t0 + start + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + start + dur);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + start);
      osc.stop(t0 + start + dur);
    }
    return new Promise((r) => setTimeout(r, CHIME_MS));
  }

  _speak(text) {
    const synth = window.speechSynthesis;
    if (!synth) return Promise.resolve();
    return new Promise((resolve) => {
      const u = new SpeechSynthesisUtterance(text);
      u.lang = 'zh-CN';
      u.rate = 1.1; // brisk, like the server's clips: a busy hall calls more than 8 a minute
      const zh = synth.getVoices().find((v) => v.lang && v.lang.toLowerCase().startsWith('zh'));
      if (zh) u.voice = zh;
      const guard = setTimeout(resolve, 15000);
      u.onend = u.onerror = () => { clearTimeout(guard); resolve(); };
      synth.speak(u);
    });
  }
}
