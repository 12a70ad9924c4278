// Slot picker: shows a tutor's free slots in the viewer's timezone, one week at a time.
const root = document.getElementById("slot-picker");
const zoneSelect = document.getElementById("picker-zone");
const durationSelect = document.getElementById("picker-duration");
const daysBox = document.getElementById("picker-days");
const statusBox = document.getElementById("picker-status");
const confirmBox = document.getElementById("picker-confirm");
const confirmText = document.getElementById("picker-confirm-text");

const tutorId = root.dataset.tutorId;
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
let zone = root.dataset.savedZone || browserZone;
let weekStart = todayIn(zone);
let chosen = null;

function todayIn(tz) {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz }).format(new Date());
}

function addDays(isoDate, days) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return date.toISOString().slice(0, 10);
}

function dayLabel(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, {
    weekday: "long", day: "numeric", month: "long", timeZone: "UTC",
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

function fillZones() {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  for (const name of new Set([zone, browserZone, ...zones])) {
    const option = new Option(name, name, false, name === zone);
    zoneSelect.add(option);
  }
}

async function saveZone(tz) {
  if (root.dataset.signedIn !== "yes") return;
  await fetch("/api/v1/me/timezone", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ timezone: tz }),
  });
}

async function load() {
  chosen = null;
  confirmBox.hidden = true;
  statusBox.textContent = "Loading free times…";
  const end = addDays(weekStart, 6);
  const params = new URLSearchParams({
    start: weekStart, end, tz: zone, duration: durationSelect.value,
  });
  const response = await fetch(`/api/v1/tutors/${tutorId}/slots?${params}`);
  const body = await response.json();
  if (!response.ok) {
    statusBox.textContent = body.detail || "Could not load free times.";
    return;
  }
  render(body.slots);
  statusBox.textContent = body.slots.length
    ? `${body.slots.length} free times from ${dayLabel(weekStart)}, shown in ${zone}.`
    : `No free times this week (${zone}). Try the next week.`;
}

function render(slots) {
  daysBox.replaceChildren();
  const byDay = new Map();
  for (const slot of slots) {
    const day = slot.start.slice(0, 10);
    if (!byDay.has(day)) byDay.set(day, []);
    byDay.get(day).push(slot);
  }
  for (const [day, daySlots] of byDay) {
    const section = document.createElement("section");
    section.className = "day";
    const heading = document.createElement("h3");
    heading.textContent = dayLabel(day);
    const grid = document.createElement("div");
    grid.className = "slots";
    for (const slot of daySlots) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "slot secondary";
      button.dataset.start = slot.start;
      button.dataset.testid = "slot";
      const tutorLocal = slot.tutor_local_start;
      button.innerHTML = `<span>${slot.start.slice(11, 16)}</span><small>tutor ${tutorLocal.slice(11, 16)}</small>`;
      button.setAttribute("aria-label",
        `${dayLabel(day)} ${slot.start.slice(11, 16)} your time, ${tutorLocal.slice(0, 10)} ${tutorLocal.slice(11, 16)} tutor's time`);
      button.addEventListener("click", () => choose(slot));
      grid.append(button);
    }
    section.append(heading, grid);
    daysBox.append(section);
  }
}

function choose(slot) {
  chosen = slot;
  const tutorLocal = slot.tutor_local_start;
  confirmText.textContent =
    `${dayLabel(slot.start.slice(0, 10))} at ${slot.start.slice(11, 16)} (${zone}) — ` +
    `${tutorLocal.slice(0, 10)} ${tutorLocal.slice(11, 16)} for your tutor (${root.dataset.tutorZone}), ` +
    `${durationSelect.value} minutes.`;
  confirmBox.hidden = false;
  document.getElementById("picker-book").focus();
}

async function book() {
  if (!chosen) return;
  if (root.dataset.signedIn !== "yes") {
    if (root.dataset.signInUrl) {
      window.location = root.dataset.signInUrl;
    } else {
      statusBox.textContent = "Open this page from your course to book a time.";
    }
    return;
  }
  const request = {
    tutor_id: Number(tutorId),
    subject: root.dataset.subject,
    start: chosen.start,
    duration: Number(durationSelect.value),
  };
  // Opened from an LMS course: the booking is credited in that course's gradebook.
  if (root.dataset.courseId) request.course_id = Number(root.dataset.courseId);
  const response = await fetch("/api/v1/bookings", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(request),
  });
  const body = await response.json();
  if (response.status === 201) {
    if (body.redirect_url && window.top !== window.self) {
      // Inside an LMS frame: payment pages refuse to be framed, so payment opens in its own
      // tab from a link the learner clicks, and this frame shows the held booking meanwhile.
      const link = document.createElement("a");
      link.href = body.redirect_url;
      link.target = "_blank";
      link.rel = "noopener";
      link.className = "button";
      link.dataset.testid = "pay-link";
      link.textContent = "Pay in a new tab";
      confirmBox.replaceChildren(link);
      link.addEventListener("click", () => {
        setTimeout(() => { window.location = `/bookings/${body.id}`; }, 500);
      });
      return;
    }
    window.location = body.redirect_url || `/bookings/${body.id}`;
  } else {
    statusBox.textContent = body.detail || "That time could not be booked.";
    await load();
    statusBox.textContent = body.detail || "That time could not be booked.";
  }
}

zoneSelect.addEventListener("change", async () => {
  zone = zoneSelect.value;
  weekStart = todayIn(zone);
  await saveZone(zone);
  await load();
});
durationSelect.addEventListener("change", load);
document.getElementById("picker-prev").addEventListener("click", () => {
  weekStart = addDays(weekStart, -7);
  load();
});
document.getElementById("picker-next").addEventListener("click", () => {
  weekStart = addDays(weekStart, 7);
  load();
});
document.getElementById("picker-book").addEventListener("click", book);
document.getElementById("picker-cancel").addEventListener("click", () => {
  confirmBox.hidden = true;
});

fillZones();
if (!root.dataset.savedZone) saveZone(zone);
load();
