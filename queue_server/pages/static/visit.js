// 上门服务 on the applicant's phone: business → who and why → district and address →
// preferred days → phone and SMS code → the request's number. No token: the booking's SMS
// code proves the phone, and the pass it earns lives in this page's memory only.
import { $, api, askCodeAgain, passRefused, sendCode as sendPhoneCode, verify as verifyPhone, zhEn } from "./phone.js";

const state = { opts: null, business: null, reason: null, district: null, days: new Set(),
                phone: "", pass: null, visit: null };
// The two places the phone is proved: the request (⑤) and my requests.
const ASK = { phone: $("phone"), send: $("send-code"), codeField: $("code-field"), next: $("submit") };
const MINE = { phone: $("mine-phone"), send: $("mine-send"), codeField: $("mine-code-field"), next: $("mine-show") };


function showError(err) {
  const box = $("error");
  if (!err) { box.hidden = true; box.innerHTML = ""; return; }
  box.innerHTML = zhEn(err.zh || String(err), err.en || "");
  box.classList.toggle("b-again", passRefused(err));
  box.hidden = false;
  box.scrollIntoView({ block: "start" });
}
function fail(zh, en) { const e = new Error(zh); e.zh = zh; e.en = en; throw e; }

function go(step) {
  showError(null);
  document.body.dataset.step = step;
  window.scrollTo(0, 0);
}
async function guarded(fn) {
  try { await fn(); } catch (e) { if (passRefused(e)) codeAgain(e); else showError(e); }
}

// The pass ran out while the page stood open: a new SMS code, not an error, is the way on.
// While asking, the applicant stays at ⑤ with everything kept; anywhere else (my requests,
// withdrawing one) goes to my requests, its old list gone with the pass.
function codeAgain(err) {
  askCodeAgain(state, [ASK, MINE]);
  if (document.body.dataset.step !== "phone") { go("mine"); $("mine-list").innerHTML = ""; }
  showError(err);
}

function pick(container, value, attr) {
  showError(null);
  for (const b of container.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset[attr] === value));
}

const WEEK = ["日", "一", "二", "三", "四", "五", "六"];
const WEEK_EN = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function render() {
  const o = state.opts;
  $("businesses").innerHTML = "";
  for (const b of o.businesses) {
    const btn = document.createElement("button");
    btn.className = "b-choice"; btn.type = "button"; btn.dataset.business = b.code;
    btn.innerHTML = zhEn(b.name, b.name_en);
    btn.onclick = () => { state.business = b; go("who"); $("name").focus(); };
    $("businesses").append(btn);
  }
  $("reasons").innerHTML = "";
  for (const r of o.reasons) {
    const btn = document.createElement("button");
    btn.className = "v-pick"; btn.type = "button"; btn.dataset.reason = r.code;
    btn.setAttribute("aria-pressed", "false");
    btn.innerHTML = zhEn(r.name, r.name_en);
    btn.onclick = () => { state.reason = r.code; pick($("reasons"), r.code, "reason");
      $("reason-note-field").hidden = r.code !== "other"; };
    $("reasons").append(btn);
  }
  $("reason-note-field").hidden = true;
  $("districts").innerHTML = "";
  for (const d of o.districts) {
    const btn = document.createElement("button");
    btn.className = "v-pick"; btn.type = "button"; btn.dataset.district = d;
    btn.setAttribute("aria-pressed", "false");
    btn.textContent = d;
    btn.onclick = () => { state.district = d; pick($("districts"), d, "district"); };
    $("districts").append(btn);
  }
  $("days-hint").innerHTML = zhEn(`可选 1 至 ${o.max_days} 天，只列工作日`, `Pick 1 to ${o.max_days} days; working days only`);
  $("days").innerHTML = "";
  for (const iso of o.days) {
    const d = new Date(iso + "T00:00:00");
    const btn = document.createElement("button");
    btn.className = "b-day"; btn.type = "button"; btn.dataset.day = iso;
    btn.setAttribute("aria-pressed", "false");
    btn.innerHTML = `${d.getMonth() + 1}月${d.getDate()}日<span>周${WEEK[d.getDay()]}</span><small>${WEEK_EN[d.getDay()]}</small>`;
    btn.onclick = () => {
      if (state.days.has(iso)) state.days.delete(iso);
      else if (state.days.size < o.max_days) state.days.add(iso);
      btn.setAttribute("aria-pressed", String(state.days.has(iso)));
    };
    $("days").append(btn);
  }
}

function whoOk() {
  if (!$("name").value.trim()) fail("请填写申请人姓名", "please give the applicant's name");
  if (!state.reason) fail("请选择不能到厅的原因", "choose why the applicant cannot come");
  if (state.reason === "other" && !$("reason-note").value.trim()) fail("请简单说明原因", "say why in a few words");
  go("where");
}

function whereOk() {
  if (!state.district) fail("请选择所在辖区", "choose the district");
  if ($("address").value.trim().length < 6) fail("请写清详细地址，写到门牌号", "give the street, building and door");
  go("days");
}

function daysOk() {
  if (!state.days.size) fail("请至少选择一天", "choose at least one day");
  const days = [...state.days].sort().map((iso) => { const d = new Date(iso + "T00:00:00"); return `${d.getMonth() + 1}月${d.getDate()}日`; });
  $("chosen").innerHTML = zhEn(`${state.business.name} · ${state.district} · ${days.join("、")}`,
    `${state.business.name_en} · ${[...state.days].sort().join(", ")}`);
  go("phone");
  if (state.pass) { $("code-field").hidden = true; $("submit").hidden = false; }
}



async function submit() {
  if ($("phone").value.trim() !== state.phone) state.pass = null;
  await verifyPhone(state, ASK);
  const v = await api("POST", "/home-visits", {
    business: state.business.code, reason: state.reason, reason_note: $("reason-note").value.trim(),
    name: $("name").value.trim(), district: state.district, address: $("address").value.trim(),
    phone: state.phone, preferred_days: [...state.days].sort(), phone_pass: state.pass });
  showVisit(v, "申请已提交", "Request sent");
}

function showVisit(v, zh, en) {
  state.visit = v;
  $("done-title").innerHTML = zhEn(zh, en);
  $("visit-code").textContent = v.code;
  $("visit-status").innerHTML = v.when ? zhEn(`${v.status_zh}：${v.when}`, `${v.status_en}: ${v.when_en}`)
    : zhEn(v.status_zh, v.status_en);
  $("visit-what").innerHTML = zhEn(`${v.business_name} · ${v.address_masked}`, v.business_name_en);
  const hint = { requested: ["工作人员安排好上门时间后，会发短信告诉您。", "We will text you the day and time of the visit."],
    scheduled: ["请在约定时间备好身份证和材料，保持电话畅通。", "Please have your ID card ready and keep your phone on."],
    cancelled: ["此申请已撤回。", "This request was withdrawn."] }[v.status] || ["", ""];
  $("done-hint").innerHTML = zhEn(hint[0], hint[1]);
  $("cancel").hidden = !state.pass || !["requested", "scheduled", "rescheduled", "nobody_home"].includes(v.status);
  $("confirm-withdraw").hidden = true;
  go("done");
}

// Withdrawing takes two taps, as cancelling a booking does: the first only asks, with the
// safe answer focused, so a shaky finger or a mistaken tap withdraws nothing.
function askWithdraw() {
  showError(null);
  $("confirm-withdraw").hidden = false;
  $("withdraw-no").focus();
}

async function cancel() {
  $("confirm-withdraw").hidden = true;
  const v = await api("POST", `/home-visits/${state.visit.code}/cancel`, { phone: state.phone, phone_pass: state.pass });
  showVisit(v, "申请已撤回", "Request withdrawn");
}

async function showMine() {
  await verifyPhone(state, MINE);
  const list = await api("POST", "/home-visits/mine", { phone: state.phone, phone_pass: state.pass });
  const box = $("mine-list");
  box.innerHTML = list.length ? "" : `<p class="b-hint">${zhEn("没有上门申请", "No requests")}</p>`;
  for (const v of list) {
    const btn = document.createElement("button");
    btn.className = "b-choice"; btn.type = "button"; btn.dataset.code = v.code;
    btn.innerHTML = `<span class="b-left">${zhEn(v.status_zh, v.status_en)}</span>${zhEn(v.business_name, v.when || v.code)}`;
    btn.onclick = () => showVisit(v, "我的上门申请", "My request");
    box.append(btn);
  }
}

async function start() {
  for (const btn of document.querySelectorAll("[data-back]")) btn.onclick = () => go(btn.dataset.back);
  // An error is about what was just tried: it goes once the applicant changes something.
  document.addEventListener("input", () => showError(null));
  $("who-ok").onclick = () => guarded(whoOk);
  $("where-ok").onclick = () => guarded(whereOk);
  $("days-ok").onclick = () => guarded(daysOk);
  $("send-code").onclick = () => guarded(() => sendPhoneCode(state, ASK));
  $("submit").onclick = () => guarded(submit);
  $("cancel").onclick = askWithdraw;
  $("withdraw-no").onclick = () => { $("confirm-withdraw").hidden = true; $("cancel").focus(); };
  $("withdraw-yes").onclick = () => guarded(cancel);
  $("again").onclick = () => { location.reload(); };
  $("to-mine").onclick = () => go("mine");
  $("mine-send").onclick = () => guarded(() => sendPhoneCode(state, MINE));
  $("mine-show").onclick = () => guarded(showMine);
  try {
    state.opts = await api("GET", "/home-visits/options");
    render();
    go("business");
  } catch (e) { go("business"); showError(e); }
}

start();
