// The video room: loaded by the room page as an ES module, configured by #room's data.

import { ChatPanel } from "./chat.js";
import { askReplay, listDevices, mediaChanged, wireControls } from "./controls.js";
import { LocalMedia } from "./media.js";
import { Optimizer } from "./optimizer.js";
import { dropPeer, handlePresence, handleSignal } from "./presence.js";
import { Signaling } from "./signaling.js";
import { quality } from "./stats.js";
import * as view from "./view.js";

const STATUS_TEXT = {
  connecting: "Connecting…",
  waiting: "Waiting for the other person",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  refused: "Cannot join",
  ended: "The session has ended",
};

function newPeerId() {
  return `p${Math.random().toString(36).slice(2, 12)}${Date.now().toString(36)}`;
}

class Room {
  constructor(root, options) {
    this.root = root;
    this.options = options;
    this.bookingId = Number(root.dataset.bookingId);
    this.iceServers = JSON.parse(root.dataset.iceServers || "[]");
    this.self = { ...options.self, peer_id: newPeerId(), rank: 1 };
    this.peers = new Map(); // peer id -> {info, link, stats, stream}
    this.clockOffset = Date.parse(options.server_time) - Date.now();
    this.everJoined = false;
    this.ended = false;
    this.refusal = null;
    this.endReason = null;
    this.lastSample = null;
  }

  async start() {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = this.options.stylesheet;
    document.head.append(link);
    this.ladder = this.options.ladder || (await (await fetch(this.options.ladder_url)).json());
    this.ui = view.render(this.root, {
      self: this.self,
      canEnd: ["tutor", "admin"].includes(this.self.role),
      recording: this.options.recording,
    });
    this.media = new LocalMedia(this.ladder.capture);
    this.optimizer = new Optimizer(this.ladder);
    this.optimizer.enabled = !new URLSearchParams(location.search).has("no-optimizer");
    this.signaling = new Signaling({
      namespace: this.options.namespace,
      bookingId: this.bookingId,
      peerId: this.self.peer_id,
      token: this.root.dataset.token,
      tokenUrl: this.options.token_url,
      ttlSeconds: this.options.token_ttl_s,
    });
    this.signaling.joinExtras = () => ({ media: this.media.state, chat_after: this.chat.lastId });
    this.chat = new ChatPanel(this.root, {
      bookingId: this.bookingId,
      self: this.self,
      people: this.options.people,
      signaling: this.signaling,
    });
    wireControls(this);
    this._wireSignaling();
    await this.media.start();
    this.media.addEventListener("change", () => this._mediaChanged());
    this._mediaChanged();
    await listDevices(this);
    this.signaling.start();
    this.ticker = setInterval(() => this.tick(), 1000);
    addEventListener("pagehide", () => this.signaling.stop());
  }

  mainEntry() {
    const people = [...this.peers.values()].filter((entry) => entry.info.role !== "worker");
    return people[people.length - 1] || null;
  }

  // -- signaling -------------------------------------------------------------------------

  _wireSignaling() {
    const on = (name, handler) =>
      this.signaling.addEventListener(name, (event) => handler(event.detail));
    on("joined", (reply) => {
      this.everJoined = true;
      this.refusal = null;
      this.chat.history(reply.history);
      this.chat.flush();
      const active = reply.recording && reply.consent?.tutor && reply.consent?.learner;
      this._showRecording(reply.consent, active, true);
      this._status();
    });
    on("state", () => this._status());
    on("refused", ({ reason }) => {
      this.refusal = reason;
      this._status();
    });
    on("pass", (body) => {
      this.iceServers = body.ice_servers;
    });
    on("time", ({ serverTime }) => {
      this.clockOffset = Date.parse(serverTime) - Date.now();
    });
    on("presence", (info) => handlePresence(this, info));
    on("signal", (message) => handleSignal(this, message));
    on("media", (info) => {
      const entry = this.peers.get(info.peer_id);
      if (entry) {
        entry.info.media = info.media;
      }
      if (info.role !== "worker") {
        view.showRemoteMedia(this.ui, info.media);
      }
    });
    on("chat", (message) => this.chat.receive(message));
    on("recording", ({ consent, active }) => this._showRecording(consent, active));
    on("ended", () => this._end());
    // The booking no longer lets anyone in (cancelled, moved, over): the server has closed
    // the room, so reconnecting would only be refused again.
    on("ejected", ({ reason }) => this._end(reason));
  }

  _drop(peerId) {
    dropPeer(this, peerId);
  }

  // -- local media and controls (controls.js) ------------------------------------------------

  _mediaChanged() {
    return mediaChanged(this);
  }

  _askReplay() {
    askReplay(this);
  }

  // The checkbox shows this person's own word: it is set from the server only on joining,
  // since a broadcast about the other person's consent may overtake this person's click.
  _showRecording(consent, active, joining = false) {
    const element = this.ui.get("recording-state");
    element.hidden = !active;
    element.dataset.active = String(Boolean(active));
    if (joining) {
      const mine = this.self.role === "tutor" ? consent?.tutor : consent?.learner;
      this.ui.get("recording-consent").checked = Boolean(mine);
    }
  }

  _end(reason = null) {
    this.ended = true;
    this.endReason = reason;
    for (const id of [...this.peers.keys()]) {
      this._drop(id);
    }
    this.media.setCamera(false);
    this.media.stopScreen();
    this.signaling.stop();
    this._status();
  }

  // -- once a second -----------------------------------------------------------------------

  _serverNow() {
    return Date.now() + this.clockOffset;
  }

  _status() {
    const entry = this.mainEntry();
    let state = "connecting";
    if (this.ended) {
      state = "ended";
    } else if (this.refusal && !this.signaling.joined) {
      state = "refused";
    } else if (this.everJoined && !this.signaling.joined) {
      state = "reconnecting";
    } else if (!entry) {
      state = this.signaling.joined ? "waiting" : "connecting";
    } else if (entry.link.state === "connected") {
      state = "connected";
    } else if (entry.link.state === "reconnecting" || entry.gone) {
      state = "reconnecting";
    }
    let text = STATUS_TEXT[state];
    if (state === "refused") {
      text = `${STATUS_TEXT.refused}: ${this.refusal}`;
    } else if (state === "ended" && this.endReason) {
      text = `${STATUS_TEXT.ended}: ${this.endReason}`;
    }
    view.setStatus(this.ui, state, text);
    if (state === "connected") {
      this.ui.get("replay").hidden = this.droppedAt === undefined || !this._hasWorker();
    }
  }

  _hasWorker() {
    return [...this.peers.values()].some((entry) => entry.info.role === "worker");
  }

  async tick() {
    view.setTimer(this.ui, Date.parse(this.options.start_at), Date.parse(this.options.end_at), this._serverNow());
    const entry = this.mainEntry();
    let sample = null;
    let rung = null;
    if (entry?.link.pc) {
      sample = await entry.stats.read(entry.link.pc);
      rung = await this.optimizer.update(entry.link, sample, this.media.sourceHeight);
      for (const other of this.peers.values()) {
        if (other !== entry) {
          await this.optimizer.follow(other.link, rung, this.media.sourceHeight);
        }
      }
    }
    this.lastSample = sample;
    if (this.signaling.joined && this.chat.waiting) {
      this.chat.flush(); // lines whose acknowledgement timed out are sent again
    }
    view.showDiagnostics(this.ui, sample, {
      signaling: this.signaling.state,
      rung: this.optimizer.enabled ? rung?.name : "off",
    });
    view.showQuality(this.ui, quality(sample));
    this._status();
  }
}

const root = document.getElementById("room");
if (root) {
  const room = new Room(root, JSON.parse(root.dataset.options || "{}"));
  // For support and for tests: the live objects of this page.
  window.lessonRoom = room;
  room.start().catch((error) => {
    console.error(error);
    view.setStatus(room.ui || { get: () => root }, "error", `The room failed to start: ${error}`);
  });
}
