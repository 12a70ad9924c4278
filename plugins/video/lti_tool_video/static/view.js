// The room's markup, and the small pieces of it that change: status, timer, diagnostics.
// Every element a test or a support person looks at has a stable data-testid.

const DIAGNOSTICS = [
  ["diag-connection", "Connection"],
  ["diag-ice", "ICE"],
  ["diag-signaling", "Signaling"],
  ["diag-out-bitrate", "Sending (kbit/s)"],
  ["diag-out-fps", "Sending fps"],
  ["diag-out-resolution", "Sending size"],
  ["diag-limitation", "Limited by"],
  ["diag-rung", "Profile"],
  ["diag-in-bitrate", "Receiving (kbit/s)"],
  ["diag-in-fps", "Receiving fps"],
  ["diag-in-resolution", "Receiving size"],
  ["diag-frames-decoded", "Frames decoded"],
  ["diag-loss", "Packet loss (%)"],
  ["diag-rtt", "Round trip (ms)"],
  ["diag-available", "Estimated uplink (kbit/s)"],
];

export function render(root, { self, canEnd, recording }) {
  root.classList.add("video-room");
  root.innerHTML = `
    <div class="video-status">
      <span data-testid="connection-status" data-state="connecting" role="status" aria-live="polite">Connecting…</span>
      <span data-testid="session-timer" class="video-timer">--:--</span>
      <span data-testid="quality" data-level="poor" title="Connection quality"><span class="bars" aria-hidden="true"></span><span class="label">poor</span></span>
      <span data-testid="recording-state" data-active="false" hidden>Recording</span>
    </div>
    <div class="video-stage">
      <figure class="remote">
        <video data-testid="remote-video" autoplay playsinline></video>
        <figcaption>
          <span data-testid="remote-name">Waiting for the other person…</span>
          <span data-testid="remote-camera" data-state="unknown"></span>
          <span data-testid="remote-mic" data-state="unknown"></span>
          <span data-testid="remote-screen" data-state="off"></span>
        </figcaption>
      </figure>
      <figure class="local">
        <video data-testid="local-video" autoplay playsinline muted></video>
        <figcaption>You (${escapeHtml(self.name)})</figcaption>
      </figure>
      <figure class="replay" hidden>
        <video data-testid="replay-video" autoplay playsinline muted></video>
        <figcaption>Replay of what you missed</figcaption>
      </figure>
    </div>
    <div class="video-controls" role="toolbar" aria-label="Call controls">
      <button type="button" data-testid="toggle-camera" aria-pressed="true">Camera on</button>
      <button type="button" data-testid="toggle-mic" aria-pressed="true">Mic on</button>
      <button type="button" data-testid="share-screen" aria-pressed="false">Share screen</button>
      <label>Camera <select data-testid="select-camera"></select></label>
      <label>Microphone <select data-testid="select-mic"></select></label>
      <label ${recording ? "" : "hidden"}><input type="checkbox" data-testid="recording-consent"> I agree to this session being recorded</label>
      <button type="button" data-testid="replay" hidden>Replay what I missed</button>
      ${canEnd ? '<button type="button" data-testid="end-session" class="danger">End session</button>' : ""}
    </div>
    <section class="video-chat" aria-label="Chat">
      <ol data-testid="chat-log" aria-live="polite"></ol>
      <form data-testid="chat-form">
        <input data-testid="chat-input" autocomplete="off" maxlength="2000" aria-label="Message">
        <button type="submit" data-testid="chat-send">Send</button>
      </form>
    </section>
    <details class="video-diagnostics" data-testid="diagnostics">
      <summary>Diagnostics</summary>
      <dl>${DIAGNOSTICS.map(([id, label]) => `<dt>${label}</dt><dd data-testid="${id}">-</dd>`).join("")}</dl>
    </details>`;
  const get = (id) => root.querySelector(`[data-testid=${id}]`);
  return { get };
}

export function setStatus(view, state, text) {
  const element = view.get("connection-status");
  element.dataset.state = state;
  element.textContent = text;
}

export function setTimer(view, startAt, endAt, serverNow) {
  const elapsed = Math.max(0, Math.floor((serverNow - startAt) / 1000));
  const left = Math.max(0, Math.floor((endAt - serverNow) / 1000));
  view.get("session-timer").textContent = `${clock(elapsed)} elapsed · ${clock(left)} left`;
  view.get("session-timer").dataset.elapsed = String(elapsed);
}

export function showDiagnostics(view, sample, extra) {
  const fmt = (value, digits = 0) => (value === null || value === undefined ? "-" : Number(value).toFixed(digits));
  const size = (w, h) => (w && h ? `${w}x${h}` : "-");
  const values = {
    "diag-connection": sample?.connectionState ?? "-",
    "diag-ice": sample?.iceState ?? "-",
    "diag-signaling": extra.signaling,
    "diag-out-bitrate": fmt(sample?.out.kbps),
    "diag-out-fps": fmt(sample?.out.fps, 1),
    "diag-out-resolution": size(sample?.out.width, sample?.out.height),
    "diag-limitation": sample?.out.limitation ?? "-",
    "diag-rung": extra.rung ?? "-",
    "diag-in-bitrate": fmt(sample?.in.kbps),
    "diag-in-fps": fmt(sample?.in.fps, 1),
    "diag-in-resolution": size(sample?.in.width, sample?.in.height),
    "diag-frames-decoded": fmt(sample?.in.framesDecoded),
    "diag-loss": fmt(sample ? Math.max(sample.in.lossPct, sample.remoteLoss * 100) : null, 1),
    "diag-rtt": fmt(sample?.rttMs),
    "diag-available": fmt(sample?.availableOutKbps),
  };
  for (const [id, value] of Object.entries(values)) {
    view.get(id).textContent = String(value);
  }
}

export function showQuality(view, level) {
  const element = view.get("quality");
  element.dataset.level = level;
  element.querySelector(".label").textContent = level;
}

export function showRemoteMedia(view, media) {
  const camera = view.get("remote-camera");
  camera.dataset.state = media.camera ? "on" : "off";
  camera.textContent = media.camera ? "" : "camera off";
  const mic = view.get("remote-mic");
  mic.dataset.state = media.mic ? "on" : "off";
  mic.textContent = media.mic ? "" : "muted";
  const screen = view.get("remote-screen");
  screen.dataset.state = media.screen ? "on" : "off";
  screen.textContent = media.screen ? "sharing their screen" : "";
  view.get("remote-video").classList.toggle("off", !media.camera && !media.screen);
}

export function fillDevices(select, devices, current) {
  select.replaceChildren(
    ...devices.map((device, index) => {
      const option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || `Device ${index + 1}`;
      option.selected = device.deviceId === current;
      return option;
    }),
  );
}

function clock(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

function escapeHtml(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}
