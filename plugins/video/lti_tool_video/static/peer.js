// One peer connection to one other participant, and how it recovers.
//
// Of two peers, the one with the lower (rank, peer id) makes the offers, so a pair never
// offers at once; the media worker has rank 0 and always offers. Every connection attempt
// gets a connection id from the offerer, and messages for an older attempt are dropped.
// Recovery climbs one step at a time: an ICE restart on the same connection, then a new
// connection, and it waits for signaling when signaling is gone too.

const DISCONNECTED_GRACE_MS = 1500;
const RECOVERY_TIMEOUT_MS = 5000;

function newId() {
  return Math.random().toString(36).slice(2, 12);
}

export function offersFirst(self, other) {
  if (self.rank !== other.rank) {
    return self.rank < other.rank;
  }
  return self.peer_id < other.peer_id;
}

export class PeerLink extends EventTarget {
  constructor({ self, remote, iceServers, signaling, tracks }) {
    super();
    this.self = self;
    this.remote = remote;
    this.iceServers = iceServers;
    this.signaling = signaling;
    this.tracks = tracks; // () => {audio, video}
    this.offerer = offersFirst(self, remote);
    this.conn = null;
    this.pc = null;
    this.pending = [];
    this.restarts = 0;
    this.state = "new";
  }

  get connected() {
    return this.pc?.connectionState === "connected";
  }

  sender(kind) {
    return this.pc?.getTransceivers().find((t) => t.receiver.track?.kind === kind)?.sender;
  }

  start() {
    if (this.offerer) {
      this.rebuild();
    }
  }

  close() {
    clearTimeout(this.graceTimer);
    clearTimeout(this.recoveryTimer);
    this.pc?.close();
    this.pc = null;
    this._setState("closed");
  }

  rebuild() {
    this.pc?.close();
    this.conn = newId();
    this.restarts = 0;
    this.pc = this._create();
    const { audio, video } = this.tracks();
    this.pc.addTransceiver(audio || "audio", { direction: "sendrecv" });
    this.pc.addTransceiver(video || "video", { direction: "sendrecv" });
    this._offer();
  }

  async replaceTrack(kind, track) {
    const sender = this.sender(kind);
    if (sender) {
      await sender.replaceTrack(track);
    }
  }

  // Messages are handled one at a time: an answer must not overtake the offer before it.
  handle(message) {
    this.queue = (this.queue || Promise.resolve())
      .then(() => this._handle(message))
      .catch((error) => console.warn("signal failed", message.kind, error));
    return this.queue;
  }

  async _handle(message) {
    if (message.kind === "offer") {
      await this._onOffer(message);
    } else if (message.kind === "answer" && message.conn === this.conn && this.pc) {
      await this.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
      await this._flushCandidates();
    } else if (message.kind === "candidate" && message.conn === this.conn) {
      this.pending.push(message.candidate);
      await this._flushCandidates();
    } else if (message.kind === "restart" && this.offerer) {
      this.recover();
    }
  }

  // Called when the connection broke, or when signaling came back and the link is not up.
  recover() {
    if (!this.signaling.joined || this.state === "closed") {
      return; // the rejoin's presence exchange calls this again
    }
    // Both ends may notice the same break at once; one step per second is enough.
    if (performance.now() - (this.lastRecovery ?? -Infinity) < 1000) {
      return;
    }
    this.lastRecovery = performance.now();
    clearTimeout(this.recoveryTimer);
    this._setState("reconnecting");
    if (!this.offerer) {
      this._signal({ kind: "restart" });
    } else if (this.pc && this.restarts < 1 && this.pc.signalingState === "stable") {
      this.restarts += 1;
      this._offer({ iceRestart: true });
    } else {
      this.rebuild();
    }
    this.recoveryTimer = setTimeout(() => {
      if (!this.connected && this.state !== "closed") {
        this.restarts = 1; // the restart did not help: the next step builds a new connection
        this.recover();
      }
    }, RECOVERY_TIMEOUT_MS);
  }

  _create() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers() });
    const conn = this.conn;
    pc.onicecandidate = (event) => {
      if (event.candidate && conn === this.conn) {
        this._signal({ kind: "candidate", candidate: event.candidate.toJSON() });
      }
    };
    pc.ontrack = (event) => {
      this._fire("track", { track: event.track, streams: event.streams });
    };
    pc.onconnectionstatechange = () => this._watch(pc);
    pc.oniceconnectionstatechange = () => this._watch(pc);
    return pc;
  }

  async _offer(options = {}) {
    const pc = this.pc;
    const offer = await pc.createOffer(options);
    if (pc !== this.pc) {
      return;
    }
    await pc.setLocalDescription(offer);
    this._signal({ kind: "offer", sdp: pc.localDescription.sdp });
  }

  async _onOffer(message) {
    if (message.conn !== this.conn || !this.pc) {
      this.pc?.close();
      this.conn = message.conn;
      this.pending = [];
      this.pc = this._create();
    }
    const pc = this.pc;
    await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
    const tracks = this.tracks();
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.receiver.track?.kind;
      if (transceiver.direction === "recvonly" || transceiver.direction === "inactive") {
        transceiver.direction = "sendrecv";
      }
      if (kind && transceiver.sender.track !== (tracks[kind] || null)) {
        await transceiver.sender.replaceTrack(tracks[kind] || null);
      }
    }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this._signal({ kind: "answer", sdp: pc.localDescription.sdp });
    await this._flushCandidates();
  }

  async _flushCandidates() {
    if (!this.pc?.remoteDescription) {
      return;
    }
    const waiting = this.pending;
    this.pending = [];
    for (const candidate of waiting) {
      try {
        await this.pc.addIceCandidate(candidate);
      } catch (error) {
        console.warn("ICE candidate refused", error);
      }
    }
  }

  _watch(pc) {
    if (pc !== this.pc) {
      return;
    }
    const state = pc.connectionState;
    const ice = pc.iceConnectionState;
    if (state === "connected" || (ice === "connected" && state !== "failed")) {
      clearTimeout(this.graceTimer);
      clearTimeout(this.recoveryTimer);
      this.restarts = 0;
      this._setState("connected");
    } else if (state === "failed" || ice === "failed") {
      this.recover();
    } else if (ice === "disconnected" || state === "disconnected") {
      this._setState("reconnecting");
      clearTimeout(this.graceTimer);
      // A short gap often heals by itself; only then is a restart worth its cost.
      this.graceTimer = setTimeout(() => {
        if (pc === this.pc && !this.connected) {
          this.recover();
        }
      }, DISCONNECTED_GRACE_MS);
    }
  }

  _signal(payload) {
    this.signaling.send("signal", { ...payload, to: this.remote.peer_id, conn: this.conn });
  }

  _setState(state) {
    if (state !== this.state) {
      this.state = state;
      this._fire("state", { state });
    }
  }

  _fire(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
