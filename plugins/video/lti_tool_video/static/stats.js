// One reading of a peer connection's statistics, with rates worked out against the last one.

function rate(now, before, key, seconds) {
  if (!before || !now || seconds <= 0 || now[key] === undefined || before[key] === undefined) {
    return null;
  }
  return Math.max(0, now[key] - before[key]) / seconds;
}

export class StatsReader {
  constructor() {
    this.previous = null;
  }

  async read(pc) {
    const report = await pc.getStats();
    const found = { outVideo: null, inVideo: null, outAudio: null, remoteVideo: null, pair: null };
    let selectedPairId = null;
    report.forEach((entry) => {
      if (entry.type === "outbound-rtp" && entry.kind === "video") {
        // With several video senders (none here today) the busiest one speaks for the link.
        if (!found.outVideo || entry.bytesSent > found.outVideo.bytesSent) {
          found.outVideo = entry;
        }
      } else if (entry.type === "outbound-rtp" && entry.kind === "audio") {
        found.outAudio = entry;
      } else if (entry.type === "inbound-rtp" && entry.kind === "video") {
        if (!found.inVideo || entry.bytesReceived > found.inVideo.bytesReceived) {
          found.inVideo = entry;
        }
      } else if (entry.type === "remote-inbound-rtp" && entry.kind === "video") {
        found.remoteVideo = entry;
      } else if (entry.type === "transport" && entry.selectedCandidatePairId) {
        selectedPairId = entry.selectedCandidatePairId;
      } else if (entry.type === "candidate-pair" && entry.nominated && entry.state === "succeeded") {
        found.pair = found.pair || entry;
      }
    });
    if (selectedPairId && report.get(selectedPairId)) {
      found.pair = report.get(selectedPairId);
    }
    const now = performance.now();
    const before = this.previous;
    const seconds = before ? (now - before.time) / 1000 : 0;
    const outVideo = found.outVideo || {};
    const inVideo = found.inVideo || {};
    const lost = inVideo.packetsLost ?? 0;
    const received = inVideo.packetsReceived ?? 0;
    const lossNow = before
      ? (lost - before.lost) / Math.max(1, lost - before.lost + received - before.received)
      : 0;
    const pairRtt = found.pair?.currentRoundTripTime;
    const remoteRtt = found.remoteVideo?.roundTripTime;
    const sample = {
      time: now,
      connectionState: pc.connectionState,
      iceState: pc.iceConnectionState,
      availableOutKbps: found.pair?.availableOutgoingBitrate
        ? found.pair.availableOutgoingBitrate / 1000
        : null,
      rttMs: pairRtt !== undefined ? pairRtt * 1000 : remoteRtt !== undefined ? remoteRtt * 1000 : null,
      remoteLoss: found.remoteVideo?.fractionLost ?? 0,
      out: {
        kbps: toKbps(rate(outVideo, before?.outVideo, "bytesSent", seconds)),
        audioKbps: toKbps(rate(found.outAudio, before?.outAudio, "bytesSent", seconds)),
        fps: outVideo.framesPerSecond ?? rate(outVideo, before?.outVideo, "framesSent", seconds),
        width: outVideo.frameWidth ?? null,
        height: outVideo.frameHeight ?? null,
        limitation: outVideo.qualityLimitationReason ?? "none",
        keyFrames: outVideo.keyFramesEncoded ?? null,
      },
      in: {
        kbps: toKbps(rate(inVideo, before?.inVideo, "bytesReceived", seconds)),
        fps: inVideo.framesPerSecond ?? rate(inVideo, before?.inVideo, "framesDecoded", seconds),
        width: inVideo.frameWidth ?? null,
        height: inVideo.frameHeight ?? null,
        framesDecoded: inVideo.framesDecoded ?? 0,
        lossPct: Math.max(0, lossNow) * 100,
        freezes: inVideo.freezeCount ?? 0,
      },
    };
    this.previous = {
      time: now,
      outVideo: found.outVideo,
      outAudio: found.outAudio,
      inVideo: found.inVideo,
      lost,
      received,
    };
    return sample;
  }
}

function toKbps(bytesPerSecond) {
  return bytesPerSecond === null ? null : (bytesPerSecond * 8) / 1000;
}

// good / fair / poor, from what this side receives and how long the round trip is.
export function quality(sample) {
  if (!sample || sample.connectionState !== "connected") {
    return "poor";
  }
  const loss = Math.max(sample.in.lossPct, sample.remoteLoss * 100);
  const rtt = sample.rttMs ?? 0;
  if (loss > 8 || rtt > 600 || (sample.in.fps !== null && sample.in.fps < 5)) {
    return "poor";
  }
  if (loss > 2 || rtt > 250 || (sample.in.fps !== null && sample.in.fps < 12)) {
    return "fair";
  }
  return "good";
}
