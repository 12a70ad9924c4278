// The framing optimizer: moves the video sender along the ladder as the link allows.
//
// Once a second it compares the budget (the estimated outgoing bitrate less what audio
// needs) with the current rung. It goes down fast, straight to the rung the budget can
// carry, after `down_after` bad readings; it goes up one rung at a time, only after
// `up_after` good readings with room to spare, and waits longer after each climb that had
// to be undone. Resolution and frame rate fall together: on a thin, lossy link fewer,
// smaller frames each get enough bits to arrive whole, which is what keeps video moving.

export class LadderController {
  constructor(ladder) {
    this.ladder = ladder;
    this.control = ladder.control;
    this.setMode("camera");
  }

  setMode(mode) {
    this.mode = mode;
    this.rungs = mode === "screen" ? this.ladder.screen : this.ladder.camera;
    // Start where the browser's own first estimate fits rather than at the top: the burst of
    // a large first picture on a thin link costs seconds of loss and a frozen start.
    this.index = this._fitting((this.control.start_kbps ?? Infinity) - this.ladder.audio.reserve_kbps);
    this.bad = 0;
    this.good = 0;
    this.backoff = 1;
    this.climbedAt = -Infinity;
    this.changedAt = 0;
    this.steps = 0;
    this.starvedAt = {}; // rung index -> the largest budget at which it still dropped frames
  }

  get rung() {
    return this.rungs[this.index];
  }

  // Returns the rung to use after this reading (the same object when nothing changes).
  step(sample) {
    this.steps += 1;
    const c = this.control;
    const budget =
      sample.availableOutKbps === null ? null : sample.availableOutKbps - this.ladder.audio.reserve_kbps;
    const lossy = sample.remoteLoss > c.loss_down;
    const slow = sample.rttMs !== null && sample.rttMs > c.rtt_down_ms;
    const short = budget !== null && budget < this.rung.min_kbps;
    // The encoder drops frames when the picture is too costly for the bits it is given:
    // the content decides that, so the rung is judged by what it achieves, not by its floor.
    const settled = this.steps - this.changedAt > c.settle_after;
    const starved =
      settled &&
      sample.out?.limitation === "bandwidth" &&
      sample.out.fps !== null &&
      sample.out.fps < this.rung.max_fps * c.starved_fps_ratio;
    if (lossy || slow || short || starved) {
      this.good = 0;
      this.bad += 1;
      if (this.bad >= c.down_after && this.index < this.rungs.length - 1) {
        this.bad = 0;
        const failedClimb = this.steps - this.climbedAt < c.up_after * 2;
        if (failedClimb) {
          this.backoff = Math.min(this.backoff * 2, c.up_backoff_max);
        }
        // Remember the budget at which this rung did not hold, so that the next climb into
        // it waits for clearly more than that.
        const failedAt = failedClimb ? this.climbBudget : starved ? budget : null;
        if (failedAt !== null && failedAt !== undefined) {
          this.starvedAt[this.index] = Math.max(this.starvedAt[this.index] ?? 0, failedAt);
        }
        this.index = short ? Math.max(this.index + 1, this._fitting(budget)) : this.index + 1;
        this.changedAt = this.steps;
      }
      return this.rung;
    }
    this.bad = 0;
    const above = this.rungs[this.index - 1];
    const needed = above
      ? Math.max(above.min_kbps, this.starvedAt[this.index - 1] ?? 0) * c.up_headroom
      : Infinity;
    const roomy = budget !== null && budget >= needed && sample.remoteLoss < c.loss_up;
    this.good = roomy ? this.good + 1 : 0;
    if (roomy && this.good >= c.up_after * this.backoff) {
      this.good = 0;
      this.index -= 1;
      this.climbedAt = this.steps;
      this.climbBudget = budget;
      this.changedAt = this.steps;
    }
    return this.rung;
  }

  _fitting(budget) {
    const index = this.rungs.findIndex((rung) => budget >= rung.min_kbps);
    return index === -1 ? this.rungs.length - 1 : index;
  }
}

// What a rung means for one RTCRtpSender.
export function encodingFor(rung, sourceHeight) {
  const scale = rung.height > 0 && sourceHeight > rung.height ? sourceHeight / rung.height : 1;
  return {
    maxBitrate: rung.max_kbps * 1000,
    maxFramerate: rung.max_fps,
    scaleResolutionDownBy: scale,
    // Audio goes first when the link is short; see prioritiseAudio.
    priority: "low",
    networkPriority: "low",
  };
}

export async function applyRung(sender, rung, { sourceHeight, screen }) {
  if (!sender || !sender.track) {
    return false;
  }
  const params = sender.getParameters();
  if (!params.encodings || params.encodings.length === 0) {
    params.encodings = [{}];
  }
  Object.assign(params.encodings[0], encodingFor(rung, sourceHeight));
  // Slides must stay readable (drop frames, keep pixels). For a camera the ladder already
  // chose size and rate together; left at "balanced", the browser would cut the rate again
  // on top of the rung, which is exactly the stutter the ladder is there to avoid.
  params.degradationPreference = screen ? "maintain-resolution" : "maintain-framerate";
  await sender.setParameters(params);
  return true;
}

export async function prioritiseAudio(sender, ladder) {
  if (!sender) {
    return;
  }
  const params = sender.getParameters();
  if (!params.encodings || params.encodings.length === 0) {
    params.encodings = [{}];
  }
  Object.assign(params.encodings[0], {
    maxBitrate: ladder.audio.max_kbps * 1000,
    priority: "high",
    networkPriority: "high",
  });
  await sender.setParameters(params);
}

// Runs the controller against one peer connection's readings.
export class Optimizer extends EventTarget {
  constructor(ladder) {
    super();
    this.ladder = ladder;
    this.controller = new LadderController(ladder);
    this.enabled = true;
    this.applied = null;
  }

  setMode(mode) {
    if (mode !== this.controller.mode) {
      this.controller.setMode(mode);
      this.applied = null;
    }
  }

  async update(link, sample, sourceHeight) {
    if (!this.enabled || !link?.pc) {
      return null;
    }
    const rung = this.controller.step(sample);
    const sender = link.sender("video");
    const key = `${link.conn}/${rung.name}/${sourceHeight}/${sender?.track?.id}`;
    if (key !== this.applied && sender?.track) {
      await applyRung(sender, rung, { sourceHeight, screen: this.controller.mode === "screen" });
      await prioritiseAudio(link.sender("audio"), this.ladder);
      this.applied = key;
      this.dispatchEvent(new CustomEvent("rung", { detail: { rung, mode: this.controller.mode } }));
    }
    return rung;
  }

  // The same rung on another link (the media worker's): it shares the same uplink.
  async follow(link, rung, sourceHeight) {
    const sender = link?.sender("video");
    if (!this.enabled || !rung || !sender?.track) {
      return;
    }
    const key = `${link.conn}/${rung.name}/${sourceHeight}/${sender.track.id}`;
    this.followed = this.followed || new Map();
    if (this.followed.get(link) !== key) {
      await applyRung(sender, rung, { sourceHeight, screen: this.controller.mode === "screen" });
      this.followed.set(link, key);
    }
  }
}
