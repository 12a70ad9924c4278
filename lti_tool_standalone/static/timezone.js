// Pre-selects the browser's own timezone in every [data-browser-zone] select.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
for (const select of document.querySelectorAll("select[data-browser-zone]")) {
  if (zone && select.dataset.chosen !== "yes" && [...select.options].some((o) => o.value === zone)) {
    select.value = zone;
  }
}
for (const input of document.querySelectorAll("input[data-browser-zone]")) {
  if (zone && !input.value) input.value = zone;
}
