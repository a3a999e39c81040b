// 预约 on the applicant's phone: business → materials → day and slot → ID, phone and SMS
// code → the QR slip, with cancel and rebook on the same page. No token: the SMS code
// proves the phone, and the pass it earns lives in this page's memory only.
import { $, API, api, askCodeAgain, esc, passRefused, sendCode as sendPhoneCode, verify as verifyPhone,
  zhEn } from "./phone.js";

const state = { businesses: [], business: null, day: null, slot: null, phone: "", pass: null,
                booking: null, rebook: null };
// The two places the phone is proved: booking (③) and my bookings.
const WHO = { phone: $("phone"), send: $("send-code"), codeField: $("code-field"), next: $("confirm") };
const MINE = { phone: $("mine-phone"), send: $("mine-send"), codeField: $("mine-code-field"), next: $("mine-show") };


function showError(err) {
  const box = $("error");
  if (!err) { box.hidden = true; box.innerHTML = ""; return; }
  box.innerHTML = zhEn(err.zh || String(err), err.en || "");
  box.classList.toggle("b-again", passRefused(err));
  box.hidden = false;
  box.scrollIntoView({ block: "start" });
}

function go(step) {
  showError(null);
  document.body.dataset.step = step;
  window.scrollTo(0, 0);
}

async function guarded(fn) {
  try { await fn(); } catch (e) { if (passRefused(e)) codeAgain(e); else showError(e); }
}

// The pass ran out while the page stood open: a new SMS code, not an error, is the way on.
// While booking, the applicant stays at ③ with the ID, phone and time kept; anywhere else
// (my bookings, the slip's cancel or rebook) goes to my bookings, where a booking already
// made is proved, its old list gone with the pass.
function codeAgain(err) {
  askCodeAgain(state, [WHO, MINE]);
  state.rebook = null;
  if (document.body.dataset.step !== "who") { go("mine"); $("mine-list").innerHTML = ""; }
  showError(err);
}

// --- ① business and its materials ---------------------------------------------------

function renderBusinesses() {
  const list = $("businesses");
  list.innerHTML = "";
  for (const b of state.businesses) {
    const btn = document.createElement("button");
    btn.className = "b-choice"; btn.type = "button"; btn.dataset.business = b.code;
    btn.innerHTML = zhEn(b.name, b.name_en);
    btn.onclick = () => { state.business = b; renderMaterials(); go("materials"); };
    list.append(btn);
  }
}

function renderMaterials() {
  const b = state.business;
  $("materials-title").innerHTML = zhEn(b.name, b.name_en);
  const box = $("materials");
  box.innerHTML = "";
  const items = b.items.length ? b.items : [{ name: b.name, name_en: b.name_en,
    materials: ["申请人身份证原件"], materials_en: ["The applicant's ID card"] }];
  items.forEach((item, i) => {
    const d = document.createElement("details");
    d.className = "b-item"; d.open = i === 0;
    const lines = item.materials.map((m, j) => `<li>${zhEn(m, item.materials_en?.[j] || "")}</li>`);
    d.innerHTML = `<summary>${esc(item.name)}<small>${esc(item.name_en)}</small></summary><ol>${lines.join("")}</ol>`;
    box.append(d);
  });
}

// --- ② day and slot ------------------------------------------------------------------

const WEEK = ["日", "一", "二", "三", "四", "五", "六"];
const WEEK_EN = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

async function openSlots() {
  const b = state.business;
  const days = $("days");
  days.innerHTML = "";
  for (const day of b.days) {
    const d = new Date(day + "T00:00:00");
    const btn = document.createElement("button");
    btn.className = "b-day"; btn.type = "button"; btn.dataset.day = day;
    btn.innerHTML = `${d.getMonth() + 1}月${d.getDate()}日<span>周${WEEK[d.getDay()]}</span><small>${WEEK_EN[d.getDay()]}</small>`;
    btn.onclick = () => guarded(() => pickDay(day));
    days.append(btn);
  }
  go("slot");
  const first = b.days[0];
  if (first) await pickDay(state.day && b.days.includes(state.day) ? state.day : first);
}

async function pickDay(day) {
  state.day = day;
  for (const btn of $("days").children) btn.setAttribute("aria-pressed", String(btn.dataset.day === day));
  const data = await api("GET", `/booking/slots?business=${encodeURIComponent(state.business.code)}&day=${day}`);
  const list = $("slots");
  list.innerHTML = "";
  const usable = data.slots.filter((s) => s.reason !== "booking_closed" && s.reason !== "too_far_ahead");
  if (!usable.length) {
    list.innerHTML = `<p class="b-hint">${zhEn("这一天没有可预约的时段，请选其他日期", "No times left this day; choose another day")}</p>`;
  }
  for (const s of usable) {
    const btn = document.createElement("button");
    btn.className = "b-choice"; btn.type = "button"; btn.dataset.slot = s.start;
    btn.disabled = !s.bookable;
    const left = s.bookable ? zhEn(`余 ${s.remaining} 个`, `${s.remaining} left`) : zhEn("已约满", "full");
    btn.innerHTML = `<span class="b-left">${left}</span>${esc(s.label)}`;
    btn.onclick = () => guarded(() => pickSlot(s));
    list.append(btn);
  }
}

async function pickSlot(s) {
  state.slot = s;
  if (state.rebook) {  // the pass from booking is still good: move at once
    let b;
    try {
      b = await api("POST", `/bookings/${state.rebook}/rebook`,
        { phone: state.phone, phone_pass: state.pass, slot_start: s.start });
    } catch (err) {
      if (!(await changesClosed(err))) await slotGone(err);
      return;
    }
    state.rebook = null;
    showBooking(b, "改约成功", "Your new time");
    return;
  }
  const d = new Date(state.day + "T00:00:00");
  $("chosen").innerHTML = zhEn(`${state.business.name}：${d.getMonth() + 1}月${d.getDate()}日 周${WEEK[d.getDay()]} ${s.label}`,
    `${state.business.name_en}, ${state.day} ${s.label}`);
  go("who");
  if (state.pass) { $("code-field").hidden = true; $("confirm").hidden = false; }
}

// --- ③ who, and the SMS code ---------------------------------------------------------



// Refusals about the time itself: the place went to someone else meanwhile, or the slot
// closed. The one thing to do is choose another time, so the page goes back to the day's
// times, re-read, with the reason above them (the ID and phone stay filled in).
const SLOT_GONE = new Set(["slot_full", "booking_closed", "no_such_slot", "too_far_ahead"]);

// The booking held has passed its own cut-off (the same code as a time closed for
// booking): no other time would be accepted, so the page goes back to the slip, says so
// there and offers neither rebook nor cancel. Whose cut-off it was only the server's
// clock can tell, so the booking is read again.
async function changesClosed(err) {
  if (err.code !== "booking_closed" || !state.booking) return false;
  const fresh = await api("POST", `/bookings/${state.booking.code}`, { phone: state.phone, phone_pass: state.pass });
  if (fresh.changeable) return false;
  state.rebook = null;
  showBooking(fresh, "我的预约", "My booking");
  showError(err);
  return true;
}

async function slotGone(err) {
  if (!SLOT_GONE.has(err.code)) throw err;
  go("slot");
  await pickDay(state.day);
  showError(err);
}

async function confirmBooking() {
  const phone = $("phone").value.trim();
  if (phone !== state.phone) state.pass = null;
  await verifyPhone(state, WHO);
  let b;
  try {
    b = await api("POST", "/bookings", { business: state.business.code, slot_start: state.slot.start,
      id_number: $("id-number").value.trim(), phone: state.phone, phone_pass: state.pass });
  } catch (err) { await slotGone(err); return; }
  showBooking(b, "预约成功", "You are booked");
}

// --- the slip ------------------------------------------------------------------------

function showBooking(b, zh, en) {
  state.booking = b;
  $("done-title").innerHTML = zhEn(zh, en);
  $("qr").src = `${API}/booking/slip.svg?text=${encodeURIComponent(b.slip)}`;
  $("when").innerHTML = zhEn(b.when, b.when_en);
  $("what").innerHTML = zhEn(`${b.business_name} · ${b.status_zh}`, `${b.business_name_en} · ${b.status_en}`);
  $("booking-code").textContent = b.code;
  document.body.dataset.booking = b.status;
  const hints = {
    booked: ["到大厅后在自助机扫描此二维码签到。短信里也有这个二维码的链接。", "At the hall, scan this QR code at a kiosk. The SMS has a link to it too."],
    cancelled: ["此预约已取消，二维码不能再签到。需要办理请重新预约或到大厅取号。", "This booking is cancelled: the QR code no longer checks in. Book again or take a ticket at the hall."],
    checked_in: ["已签到，请留意大厅叫号。", "Checked in: listen for your number in the hall."],
    no_show: ["预约时间已过，未签到。需要办理请重新预约或到大厅取号。", "The time has passed without a check-in. Book again or take a ticket at the hall."],
  };
  const closed = b.status === "booked" && b.changeable === false;
  const [hz, he] = closed
    ? ["已过改约和取消的截止时间。请按预约时间到大厅，在自助机扫描此二维码签到。",
      "Changes are closed. Come to the hall at the booked time and scan this QR code at a kiosk."]
    : hints[b.status] || hints.booked;
  $("done-hint").innerHTML = zhEn(hz, he);
  const own = Boolean(state.pass);
  const changes = b.status === "booked" && !closed;
  $("cancel").hidden = !own || !changes;
  $("rebook").hidden = !own || !changes;
  $("prove").hidden = own || !changes;
  go("done");
}

async function cancelBooking() {
  $("confirm-cancel").hidden = true;
  let b;
  try {
    b = await api("POST", `/bookings/${state.booking.code}/cancel`, { phone: state.phone, phone_pass: state.pass });
  } catch (err) {
    if (!(await changesClosed(err))) throw err;
    return;
  }
  showBooking(b, "预约已取消", "Booking cancelled");
}

// --- my bookings ---------------------------------------------------------------------

async function showMine() {
  await verifyPhone(state, MINE);
  const list = await api("POST", "/booking/mine", { phone: state.phone, phone_pass: state.pass });
  const box = $("mine-list");
  box.innerHTML = list.length ? "" : `<p class="b-hint">${zhEn("没有预约", "No bookings")}</p>`;
  for (const b of list) {
    const btn = document.createElement("button");
    btn.className = "b-choice"; btn.type = "button"; btn.dataset.code = b.code;
    btn.innerHTML = `<span class="b-left">${zhEn(b.status_zh, b.status_en)}</span>${zhEn(b.business_name, b.when)}`;
    btn.onclick = () => { state.business = state.businesses.find((x) => x.code === b.business) || state.business;
      showBooking(b, "我的预约", "My booking"); };
    box.append(btn);
  }
  box.dataset.reads = String(Number(box.dataset.reads || 0) + 1); // the tests wait for this
}

// --- wiring --------------------------------------------------------------------------

async function start() {
  for (const btn of document.querySelectorAll("[data-back]")) btn.onclick = () => go(btn.dataset.back);
  $("materials-ok").onclick = () => guarded(openSlots);
  $("slot-back").onclick = () => { state.rebook = null; go(state.booking ? "done" : "materials"); };
  $("send-code").onclick = () => guarded(() => sendPhoneCode(state, WHO));
  $("confirm").onclick = () => guarded(confirmBooking);
  $("cancel").onclick = () => { $("confirm-cancel").hidden = false; };
  $("cancel-no").onclick = () => { $("confirm-cancel").hidden = true; };
  $("cancel-yes").onclick = () => guarded(cancelBooking);
  $("rebook").onclick = () => { state.rebook = state.booking.code; guarded(openSlots); };
  $("again").onclick = () => { state.booking = null; go("business"); };
  // The list read earlier may be stale (a booking changed, or its changes closed since):
  // a phone already proved reads it again.
  $("to-mine").onclick = () => { go("mine"); if (state.pass) guarded(showMine); };
  $("prove").onclick = () => go("mine");
  $("mine-send").onclick = () => guarded(() => sendPhoneCode(state, MINE));
  $("mine-show").onclick = () => guarded(showMine);
  try {
    state.businesses = (await api("GET", "/booking/businesses")).businesses;
    renderBusinesses();
    const slip = new URLSearchParams(location.search).get("slip");
    if (slip) { showBooking(await api("GET", `/booking/slip?text=${encodeURIComponent(slip)}`), "我的预约", "My booking"); return; }
    go("business");
  } catch (e) { go("business"); showError(e); }
}

start();
