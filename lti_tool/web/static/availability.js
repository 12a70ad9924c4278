// Availability editor: keeps the tutor's weekly ranges and exceptions in memory, renders them
// as labelled inputs and saves everything with one PUT to the JSON API. Rows are re-rendered
// from the state after every change, so their ids (range-<day>-<n>, override-<n>) stay dense.

const data = JSON.parse(document.getElementById("availability-data").textContent);
const form = document.getElementById("availability-form");
const zoneSelect = document.getElementById("timezone");
const errorBox = document.getElementById("error");
const statusBox = document.getElementById("status");
const SETTINGS = ["interval_min", "min_notice_min", "horizon_days", "buffer_before_min",
  "buffer_after_min", "max_per_day"];
const DAYS = [0, 1, 2, 3, 4, 5, 6];

// <input type="time"> cannot show 24:00; 00:00 as an end means the same to the server.
const shownEnd = (value) => (value === "24:00" ? "00:00" : value || "");

let state = fromSettings(data.settings);
// Which input each sent rule came from, so a server error like rules[3].end finds its field.
let sentRules = [];

function fromSettings(settings) {
  const rules = Object.fromEntries(DAYS.map((day) => [day, []]));
  for (const rule of settings.rules) {
    rules[rule.weekday].push({ start: rule.start, end: shownEnd(rule.end) });
  }
  const overrides = settings.overrides.map((o) => ({
    kind: o.kind, first_date: o.first_date, last_date: o.last_date,
    start: o.start || "", end: shownEnd(o.end), note: o.note || "",
  }));
  return { rules, overrides };
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function labelled(id, labelText, attributes, onInput) {
  const label = element("label", { for: id }, labelText);
  const input = element("input", { id, "data-testid": id, ...attributes });
  input.addEventListener("input", () => onInput(input.value));
  return [label, input];
}

function removeButton(id, labelText, onClick) {
  const button = element("button", { type: "button", class: "secondary", id, "data-testid": id,
    "aria-label": labelText }, "Remove");
  button.addEventListener("click", onClick);
  return button;
}

function renderDay(day) {
  const list = document.getElementById(`ranges-${day}`);
  const dayName = list.dataset.dayName;
  list.replaceChildren();
  state.rules[day].forEach((range, i) => {
    const id = `range-${day}-${i}`;
    const item = element("li", { "data-testid": id, id });
    item.append(
      ...labelled(`${id}-start`, "From", { type: "time", value: range.start, required: "" },
        (value) => { range.start = value; }),
      ...labelled(`${id}-end`, "to", { type: "time", value: range.end, required: "" },
        (value) => { range.end = value; }),
      removeButton(`${id}-remove`, `Remove ${dayName} range ${i + 1}`, () => {
        state.rules[day].splice(i, 1);
        renderDay(day);
        document.getElementById(`add-range-${day}`).focus();
      }),
    );
    list.append(item);
  });
}

function addHour(value) {
  const [hours, minutes] = value.split(":").map(Number);
  const next = Math.min(hours + 1, 24);
  return next === 24 ? "00:00" : `${String(next).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
}

function addRange(day) {
  const ranges = state.rules[day];
  const last = ranges[ranges.length - 1];
  const start = last && last.end && last.end !== "00:00" ? last.end : "09:00";
  ranges.push({ start, end: addHour(start) });
  renderDay(day);
  document.getElementById(`range-${day}-${ranges.length - 1}-start`).focus();
}

function renderOverrides() {
  const list = document.getElementById("overrides");
  list.replaceChildren();
  state.overrides.forEach((override, i) => {
    const id = `override-${i}`;
    const item = element("li", { "data-testid": id, id });
    const kindLabel = element("label", { for: `${id}-kind` }, "Kind");
    const kind = element("select", { id: `${id}-kind`, "data-testid": `${id}-kind` });
    for (const [value, text] of [["blocked", "Time off"], ["extra", "Extra hours"]]) {
      const option = element("option", { value }, text);
      option.selected = override.kind === value;
      kind.append(option);
    }
    kind.addEventListener("change", () => { override.kind = kind.value; });
    const field = (suffix, key, labelText, attributes, after = () => {}) =>
      labelled(`${id}-${suffix}`, labelText, { value: override[key], ...attributes },
        (value) => { override[key] = value; after(); });
    // A one-day exception is the common case: moving the first date drags the last one along.
    const keepOrder = () => {
      if (!override.last_date || override.last_date < override.first_date) {
        override.last_date = override.first_date;
        document.getElementById(`${id}-last`).value = override.first_date;
      }
    };
    item.append(
      kindLabel, kind,
      ...field("first", "first_date", "From date", { type: "date", required: "" }, keepOrder),
      ...field("last", "last_date", "to date", { type: "date", required: "" }),
      ...field("start", "start", "start time (optional for time off)", { type: "time" }),
      ...field("end", "end", "end time", { type: "time" }),
      ...field("note", "note", "Note", { type: "text", maxlength: "200" }),
      removeButton(`${id}-remove`, `Remove exception ${i + 1}`, () => {
        state.overrides.splice(i, 1);
        renderOverrides();
        document.getElementById("add-override").focus();
      }),
    );
    list.append(item);
  });
}

function todayIn(zone) {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date());
}

function showZoneTime() {
  const zone = zoneSelect.value;
  const now = new Intl.DateTimeFormat(undefined, { timeZone: zone, weekday: "short",
    hour: "2-digit", minute: "2-digit" }).format(new Date());
  document.getElementById("zone-now").textContent = `It is now ${now} in ${zone}.`;
  document.getElementById("zone-label").textContent = zone;
}

function numberOrNull(id) {
  const value = document.getElementById(id).value.trim();
  return value === "" ? null : Number(value);
}

function body() {
  sentRules = [];
  const rules = [];
  for (const day of DAYS) {
    state.rules[day].forEach((range, i) => {
      sentRules.push(`range-${day}-${i}`);
      rules.push({ weekday: day, start: range.start, end: range.end });
    });
  }
  const overrides = state.overrides.map((o) => ({
    kind: o.kind, first_date: o.first_date, last_date: o.last_date || o.first_date,
    start: o.start || null, end: o.end || null, note: o.note,
  }));
  const lengths = document.getElementById("session_lengths").value
    .split(/[,\s]+/).filter(Boolean).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const payload = { timezone: zoneSelect.value, rules, overrides, session_lengths: lengths };
  for (const id of SETTINGS) payload[id] = numberOrNull(id);
  return payload;
}

// Map "rules[3].end", "overrides[0].first_date" or "session_lengths[1]" to an input id.
function inputFor(field) {
  const match = /^(\w+)(?:\[(\d+)\])?(?:\.(\w+))?$/.exec(field || "");
  if (!match) return null;
  const [, root, index, part] = match;
  if (root === "rules" && index !== undefined && sentRules[index]) {
    return `${sentRules[index]}-${part === "end" ? "end" : "start"}`;
  }
  if (root === "overrides" && index !== undefined) {
    const suffix = { first_date: "first", last_date: "last", start: "start", end: "end",
      note: "note", kind: "kind" }[part] || "first";
    return `override-${index}-${suffix}`;
  }
  return root;
}

function clearErrors() {
  errorBox.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

async function save(event) {
  event.preventDefault();
  clearErrors();
  statusBox.textContent = "Saving…";
  const saveButton = document.getElementById("save");
  saveButton.disabled = true;
  try {
    const response = await fetch(data.api, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body()),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      statusBox.textContent = "";
      errorBox.textContent = result.detail || `Saving failed (${response.status}).`;
      const input = document.getElementById(inputFor(result.field));
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-errormessage", "error");
        input.focus();
      }
      return;
    }
    state = fromSettings(result);
    renderAll();
    document.getElementById("summary").textContent = result.availability || "none yet";
    statusBox.textContent = "Saved.";
  } catch (error) {
    statusBox.textContent = "";
    errorBox.textContent = `Could not reach the server: ${error.message}`;
  } finally {
    saveButton.disabled = false;
  }
}

function renderAll() {
  DAYS.forEach(renderDay);
  renderOverrides();
}

for (const day of DAYS) {
  document.getElementById(`add-range-${day}`).addEventListener("click", () => addRange(day));
}
document.getElementById("add-override").addEventListener("click", () => {
  const today = todayIn(zoneSelect.value);
  state.overrides.push({ kind: "blocked", first_date: today, last_date: today, start: "", end: "",
    note: "" });
  renderOverrides();
  document.getElementById(`override-${state.overrides.length - 1}-kind`).focus();
});
zoneSelect.addEventListener("change", showZoneTime);
form.addEventListener("submit", save);
renderAll();
showZoneTime();
form.dataset.ready = "true";
