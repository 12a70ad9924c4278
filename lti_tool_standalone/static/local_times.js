// When the server did not know the viewer's zone, shows each <time data-local> in the browser's.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const format = new Intl.DateTimeFormat(undefined, {
  weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  timeZone: zone, timeZoneName: "short",
});
for (const element of document.querySelectorAll("time[data-local]")) {
  element.textContent = format.format(new Date(element.getAttribute("datetime")));
  element.dataset.zone = zone;
}
