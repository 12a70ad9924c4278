// The room's socket: admission with a short-lived token, joining, and noticing a dead link.
//
// Socket.IO reconnects by itself, but a link that silently stops carrying packets is only
// noticed after the server's ping timeout (tens of seconds). The heartbeat below notices in
// a few seconds and closes the transport, which starts Socket.IO's own reconnection.

import { io } from "./vendor/socket.io.esm.min.js";

const HEARTBEAT_MS = 2000;
const HEARTBEAT_TIMEOUT_MS = 2500;
const RELAYED = ["presence", "signal", "chat", "media", "recording", "ended", "ejected"];

export class Signaling extends EventTarget {
  constructor({ namespace, bookingId, peerId, token, tokenUrl, ttlSeconds }) {
    super();
    this.namespace = namespace;
    this.bookingId = bookingId;
    this.peerId = peerId;
    this.token = token;
    this.tokenUrl = tokenUrl;
    this.ttlSeconds = ttlSeconds || 600;
    this.state = "connecting";
    this.iceServers = null;
    this.joinExtras = () => ({});
    this.missedBeats = 0;
  }

  start() {
    this.socket = io(this.namespace, {
      auth: (callback) => callback({ token: this.token }),
      // Behind several web processes, the load balancer keeps this connection's requests on
      // one of them by this value (config/nginx/upstream.conf); it stays the same across
      // reconnects, so a page comes back to its process while that one is up.
      query: { lb: loadBalancingKey() },
      // A room has two people: retrying often costs the server little, and after a drop
      // every second before the socket is back is a second of frozen video.
      reconnectionDelay: 250,
      reconnectionDelayMax: 700,
      randomizationFactor: 0.25,
      timeout: 4000,
    });
    this.socket.on("connect", () => this._join());
    this.socket.on("disconnect", () => this._setState("lost"));
    this.socket.on("connect_error", (error) => this._refused(error));
    for (const name of RELAYED) {
      this.socket.on(name, (data) => this._fire(name, data));
    }
    this.beat = setInterval(() => this._heartbeat(), HEARTBEAT_MS);
    // A fresh token well before the old one runs out, so that a reconnect is never refused.
    this.refresh = setInterval(() => this.refreshPass(), (this.ttlSeconds * 1000) / 2);
  }

  stop() {
    clearInterval(this.beat);
    clearInterval(this.refresh);
    this.socket?.emit("leave");
    this.socket?.disconnect();
    this._setState("closed");
  }

  get joined() {
    return this.state === "joined";
  }

  async refreshPass() {
    try {
      const response = await fetch(this.tokenUrl, { credentials: "same-origin" });
      const body = await response.json();
      if (!response.ok) {
        return { ok: false, error: body.detail || response.statusText };
      }
      this.token = body.token;
      this.iceServers = body.ice_servers;
      this._fire("pass", body);
      return { ok: true };
    } catch (error) {
      return { ok: false, error: String(error) };
    }
  }

  // Resolves with the server's acknowledgement, or with {ok: false} when none came in time.
  async send(event, data, timeoutMs = 5000) {
    if (!this.socket?.connected) {
      return { ok: false, error: "offline" };
    }
    try {
      return await this.socket.timeout(timeoutMs).emitWithAck(event, data ?? {});
    } catch (error) {
      return { ok: false, error: String(error) };
    }
  }

  async _join() {
    this._setState("connected");
    const reply = await this.send("join", {
      booking_id: this.bookingId,
      peer_id: this.peerId,
      ...this.joinExtras(),
    });
    if (reply.ok) {
      this._setState("joined");
      this._fire("joined", reply);
    } else if (reply.error !== "offline") {
      this._setState("refused");
      this._fire("refused", { reason: reply.error });
      this.socket.disconnect();
    }
  }

  async _refused(error) {
    // A refusal in the server's connect handler stops Socket.IO's own retries.
    if (this.socket.active) {
      return;
    }
    const reason = error?.data?.message || error?.message || String(error);
    if (reason.includes("expired")) {
      const renewed = await this.refreshPass();
      if (renewed.ok) {
        this.socket.connect();
        return;
      }
    }
    this._setState("refused");
    this._fire("refused", { reason });
    if (reason.includes("opens at")) {
      setTimeout(() => this.socket.connect(), 30000);
    }
  }

  async _heartbeat() {
    if (!this.socket?.connected) {
      return;
    }
    const reply = await this.send("ping", {}, HEARTBEAT_TIMEOUT_MS);
    if (reply.ok) {
      this.missedBeats = 0;
      this._fire("time", { serverTime: reply.server_time });
      return;
    }
    this.missedBeats += 1;
    if (this.missedBeats >= 2 && this.socket.io.engine) {
      this.missedBeats = 0;
      // Closing the engine counts as a transport loss, so the manager reconnects.
      this.socket.io.engine.close();
    }
  }

  _setState(state) {
    if (this.state === state) {
      return;
    }
    this.state = state;
    this._fire("state", { state });
  }

  _fire(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}

let pageKey = null;

function loadBalancingKey() {
  if (pageKey === null) {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    pageKey = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return pageKey;
}
