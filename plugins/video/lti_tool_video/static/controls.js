// The room's buttons and pickers, and what a change of local media means for each link.

import * as view from "./view.js";

function pressed(room, id, on, onText, offText) {
  const button = room.ui.get(id);
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? onText : offText;
}

export async function mediaChanged(room) {
  const { media } = room;
  const state = media.state;
  room.ui.get("local-video").srcObject = media.outgoingVideo
    ? new MediaStream([media.outgoingVideo])
    : null;
  pressed(room, "toggle-camera", state.camera, "Camera on", "Camera off");
  pressed(room, "toggle-mic", state.mic, "Mic on", "Muted");
  pressed(room, "share-screen", state.screen, "Stop sharing", "Share screen");
  room.optimizer.setMode(state.screen ? "screen" : "camera");
  for (const entry of room.peers.values()) {
    // replaceTrack needs no renegotiation, so switching camera and screen is seamless.
    await entry.link.replaceTrack("video", media.outgoingVideo);
    await entry.link.replaceTrack("audio", media.mic);
  }
  room.signaling.send("media", state);
}

export function wireControls(room) {
  const click = (id, handler) => room.ui.get(id)?.addEventListener("click", handler);
  click("toggle-camera", () => room.media.setCamera(!room.media.state.camera));
  click("toggle-mic", () => room.media.setMic(!room.media.micOn));
  click("share-screen", async () => {
    if (room.media.screen) {
      room.media.stopScreen();
      return;
    }
    try {
      await room.media.startScreen();
    } catch (error) {
      room.media.errors.push(`screen: ${error.name}`);
    }
  });
  click("end-session", () => room.signaling.send("end"));
  click("replay", () => askReplay(room));
  room.ui.get("recording-consent").addEventListener("change", (event) => {
    room.signaling.send("consent", { granted: event.target.checked });
  });
  for (const [id, kind] of [
    ["select-camera", "videoinput"],
    ["select-mic", "audioinput"],
  ]) {
    room.ui.get(id).addEventListener("change", (event) => room.media.useDevice(kind, event.target.value));
  }
}

export async function listDevices(room) {
  const devices = await room.media.devices();
  const current = (track) => track?.getSettings().deviceId;
  view.fillDevices(room.ui.get("select-camera"), devices.videoinput, current(room.media.camera));
  view.fillDevices(room.ui.get("select-mic"), devices.audioinput, current(room.media.mic));
}

// Asks the media worker to replay what the other person said since this page lost the room.
export function askReplay(room) {
  const worker = [...room.peers.values()].find((entry) => entry.info.role === "worker");
  if (!worker || room.droppedAt === undefined) {
    return;
  }
  const seconds = Math.ceil((room._serverNow() - room.droppedAt) / 1000) + 5;
  room.signaling.send("signal", { kind: "replay", to: worker.info.peer_id, seconds });
  room.root.querySelector(".replay").hidden = false;
}
