// Who else is in the room, and one peer link to each of them.

import { PeerLink } from "./peer.js";
import { StatsReader } from "./stats.js";
import * as view from "./view.js";

export function handlePresence(room, info) {
  if (info.peer_id === room.self.peer_id) {
    return;
  }
  if (info.state === "left") {
    const entry = room.peers.get(info.peer_id);
    // A late "left" from a socket the peer has already replaced says nothing.
    if (entry && entry.info.sid === info.sid) {
      entry.gone = true;
      if (!entry.link.connected) {
        dropPeer(room, info.peer_id);
      }
    }
    room._status();
    return;
  }
  if (info.state === "joined") {
    room.signaling.send("here", { to: info.peer_id });
  } else if (info.to !== room.self.peer_id) {
    return;
  }
  learn(room, info);
}

function learn(room, info) {
  for (const [id, entry] of room.peers) {
    // The same person in a new tab (or after closing this one) replaces the old peer.
    if (id !== info.peer_id && info.user_id !== null && entry.info.user_id === info.user_id) {
      dropPeer(room, id);
    }
  }
  let entry = room.peers.get(info.peer_id);
  if (!entry) {
    entry = addPeer(room, info);
    entry.link.start();
  } else {
    entry.info = { ...entry.info, ...info };
    entry.gone = false;
    if (!entry.link.connected) {
      entry.link.recover();
    }
  }
  if (info.role !== "worker") {
    view.showRemoteMedia(room.ui, info.media || {});
    room.ui.get("remote-name").textContent = room.options.people[String(info.user_id)] || "Admin";
  }
  room._status();
}

export function addPeer(room, info) {
  const link = new PeerLink({
    self: room.self,
    remote: info,
    iceServers: () => room.iceServers,
    signaling: room.signaling,
    tracks: () => room.media.tracks(),
  });
  const entry = { info, link, stats: new StatsReader(), stream: new MediaStream(), gone: false };
  link.addEventListener("track", ({ detail }) => attachTrack(room, entry, detail.track));
  link.addEventListener("state", ({ detail }) => {
    if (detail.state === "reconnecting" && entry.gone) {
      dropPeer(room, entry.info.peer_id);
    }
    if (detail.state === "reconnecting" && entry.info.role !== "worker") {
      room.droppedAt = room.droppedAt ?? room._serverNow();
    }
    room._status();
  });
  room.peers.set(info.peer_id, entry);
  return entry;
}

export function dropPeer(room, peerId) {
  room.peers.get(peerId)?.link.close();
  room.peers.delete(peerId);
  room._status();
}

export function handleSignal(room, message) {
  if (message.to !== room.self.peer_id) {
    return;
  }
  let entry = room.peers.get(message.from);
  if (!entry && message.kind === "offer") {
    const rank = message.role === "worker" ? 0 : 1;
    const info = { peer_id: message.from, user_id: message.user_id, role: message.role, rank };
    entry = addPeer(room, info);
  }
  entry?.link.handle(message);
}

function attachTrack(room, entry, track) {
  const worker = entry.info.role === "worker";
  if (worker) {
    if (track.kind === "video") {
      room.ui.get("replay-video").srcObject = new MediaStream([track]);
    }
    return;
  }
  for (const old of entry.stream.getTracks().filter((t) => t.kind === track.kind)) {
    entry.stream.removeTrack(old);
  }
  entry.stream.addTrack(track);
  const video = room.ui.get("remote-video");
  if (video.srcObject !== entry.stream) {
    video.srcObject = entry.stream;
  }
}
