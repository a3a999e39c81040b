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

// `state` holds `phone` and `pass` for the page.
export async function sendCode(state, phoneInput, codeField, nextBtn, sendBtn) {
  const phone = phoneInput.value.trim();
  const r = await api("POST", "/booking/sms-code", { phone });
  state.phone = phone; state.pass = null;
  codeField.hidden = false; nextBtn.hidden = false;
  sendBtn.innerHTML = zhEn(`验证码已发到 ${r.phone_masked}，可重新获取`, `Code sent to ${r.phone_masked}; tap to send again`);
  codeField.querySelector("input").focus();
}

export async function verify(state, codeInput) {
  if (state.pass) return;
  const r = await api("POST", "/booking/verify", { phone: state.phone, code: codeInput.value.trim() });
  state.pass = r.pass;
}
