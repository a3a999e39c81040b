// What the applicant's phone pages without a token share (/m/book, /m/visit): escaping,
// the bilingual line, the API call with its refusal in words, and proving the phone with
// the booking's SMS code (the pass it earns lives in the page's memory only).
export const API = "/api/v1";

export const $ = (id) => document.getElementById(id);

export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;",
    '"': "&quot;", "'": "&#39;" }[c]));
}
export function zhEn(zh, en) { return `${esc(zh)}<small>${esc(en)}</small>`; }

export async function api(method, path, body) {
  let r;
  try {
    r = await fetch(API + path, { method, headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined });
  } catch { r = null; }
  const data = r ? await r.json().catch(() => null) : null;
  if (!r || !r.ok) {
    let msg = data?.error?.message || "网络出错，请稍后再试 / network problem, try again";
    // A field the form itself checks (FastAPI's 422) names the field: say it plainly.
    if (data?.error?.code === "invalid_input" && !/[\u4e00-\u9fff]/.test(msg)) msg = "请检查填写的内容 / please check what you typed";
    const [zh, en] = msg.split(" / ");
    const err = new Error(msg); err.zh = zh; err.en = en || ""; err.code = data?.error?.code;
    throw err;
  }
  return data;
}

// A phone form of a page: `{ phone, send, codeField, next }`, the phone's input, the
// button that texts a code, the code's field and the button that goes on with it.
// `state` holds `phone` and `pass` for the page: one pass proves the phone for every form.
const SEND_LABEL = zhEn("获取短信验证码", "Text me a code");

export async function sendCode(state, form) {
  const phone = form.phone.value.trim();
  const r = await api("POST", "/booking/sms-code", { phone });
  state.phone = phone; state.pass = null;
  form.codeField.hidden = false; form.next.hidden = false;
  form.send.innerHTML = zhEn(`验证码已发到 ${r.phone_masked}，可重新获取`, `Code sent to ${r.phone_masked}; tap to send again`);
  form.codeField.querySelector("input").focus();
}

export async function verify(state, form) {
  if (state.pass) return;
  const r = await api("POST", "/booking/verify", { phone: state.phone, code: form.codeField.querySelector("input").value.trim() });
  state.pass = r.pass;
}

// The server no longer takes the page's pass: it ran out while the page stood open (30
// minutes), or it is not this phone's. Tapping on would be refused again and again, and
// the code already used is dead, so the only way on is a new SMS code.
const PASS_REFUSED = new Set(["phone_pass_expired", "phone_unverified"]);
export function passRefused(err) { return PASS_REFUSED.has(err?.code); }

// Forget the pass and set every form back to its first step (the phone still typed in,
// or the proved one where none is, and the send button as at first); the page then shows
// the form to use and says why, in the server's words.
export function askCodeAgain(state, forms) {
  state.pass = null;
  for (const f of forms) {
    if (!f.phone.value.trim()) f.phone.value = state.phone;
    f.codeField.querySelector("input").value = "";
    f.codeField.hidden = true; f.next.hidden = true;
    f.send.innerHTML = SEND_LABEL;
  }
}
