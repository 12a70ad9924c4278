"""Video across a thin, lossy link, with and without the framing optimizer.

Chromium sends hard-to-compress 640x480 video (a canvas of changing noise) and an audio tone
to an aiortc receiver across a veth pair shaped to 300 kbit/s (tc tbf) with 2 % random loss
(nftables) and 100 ms of extra one-way delay. The delay is added where the receiver reads its
socket, because Chromium's sending path cannot be changed and this kernel has no netem. Each
run lasts 40 s of received video and prints received fps, the number of freezes and their
total time. A freeze is an inter-frame gap of at least max(3 x mean, mean + 150 ms), the mean
being that of the preceding 30 gaps (the rule WebRTC's own freeze statistics use).

Runs as root (CI and the dev box are): the script re-executes itself under ``unshare --net``
so that nothing leaves this machine, and needs ``ip``, ``tc`` and ``nft``
(``apt-get install -y nftables``)::

    .venv/bin/python bench/video_slow_link.py [--seconds 40] [--runs baseline,optimizer]
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "plugins/video/lti_tool_video/static"
SENDER_IP, RECEIVER_IP = "10.204.0.1", "10.204.0.2"
PAGE = """<!doctype html><meta charset="utf-8"><canvas width="640" height="480"></canvas>
<script type="module">
import { Optimizer } from "/static/optimizer.js";
import { StatsReader } from "/static/stats.js";
const canvas = document.querySelector("canvas"), g = canvas.getContext("2d");
let tick = 0;
// A detailed texture panning under the camera, plus fresh noise in a few blocks of every
// frame: motion search helps, but much of each frame still has to be coded anew.
const seed = new OffscreenCanvas(160, 120), sg = seed.getContext("2d");
for (let y = 0; y < 120; y += 1) for (let x = 0; x < 160; x += 1) {
  const v = Math.random() * 255 | 0;
  sg.fillStyle = `rgb(${v},${(v * 7) & 255},${255 - v})`;
  sg.fillRect(x, y, 1, 1);
}
const texture = new OffscreenCanvas(1280, 960), t = texture.getContext("2d");
t.imageSmoothingEnabled = true; t.drawImage(seed, 0, 0, 1280, 960);
function paint() {
  tick += 1;
  window.painted = tick;
  g.drawImage(texture, -((tick * 3) % 640), -((tick * 2) % 480));
  for (let i = 0; i < 40; i += 1) {
    const v = Math.random() * 255 | 0; g.fillStyle = `rgb(${v},${v},${v})`;
    g.fillRect((Math.random() * 80 | 0) * 8, (Math.random() * 60 | 0) * 8, 8, 8);
  }
  g.fillStyle = "#fff";
  g.font = "48px sans-serif";
  g.fillText(String(tick), 20 + (tick * 3) % 500, 240);
}
setInterval(paint, 1000 / 30);
window.offer = async (useOptimizer) => {
  const ladder = await (await fetch("/static/ladder.json")).json();
  const audioContext = new AudioContext(), tone = audioContext.createOscillator();
  const sink = audioContext.createMediaStreamDestination(); tone.connect(sink); tone.start();
  const pc = new RTCPeerConnection();
  pc.addTransceiver(sink.stream.getAudioTracks()[0], { direction: "sendonly" });
  pc.addTransceiver(canvas.captureStream(30).getVideoTracks()[0], { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  const gathered = () => pc.iceGatheringState === "complete";
  await new Promise((ok) => {
    if (gathered()) ok();
    pc.onicegatheringstatechange = () => gathered() && ok();
  });
  const sender = (kind) => pc.getSenders().find((s) => s.track?.kind === kind);
  const link = { pc, conn: "bench", sender };
  const optimizer = new Optimizer(ladder), reader = new StatsReader();
  optimizer.enabled = useOptimizer; window.samples = [];
  await optimizer.update(link, { availableOutKbps: null, remoteLoss: 0, rttMs: null }, 480);
  setInterval(async () => {
    const sample = await reader.read(pc); const rung = await optimizer.update(link, sample, 480);
    const out = sample.out;
    window.samples.push({
      rung: rung?.name ?? "-", kbps: out.kbps, fps: out.fps, size: `${out.width}x${out.height}`,
      limit: out.limitation, est: sample.availableOutKbps, rtt: sample.rttMs,
    });
  }, 1000);
  window.pc = pc;
  return pc.localDescription.sdp;
};
window.answer = (sdp) => window.pc.setRemoteDescription({ type: "answer", sdp });
</script>"""


def sh(*command: str) -> None:
    subprocess.run(command, check=True)


def freezes(arrivals: list[float]) -> tuple[int, float]:
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    count, total = 0, 0.0
    for index, gap in enumerate(gaps):
        recent = gaps[max(0, index - 30) : index]
        if len(recent) < 5:
            continue
        mean = statistics.fmean(recent)
        if gap >= max(3 * mean, mean + 0.150):
            count, total = count + 1, total + gap
    return count, total


# -- the receiver: aiortc, in its own namespace ---------------------------------------------


async def receive(seconds: float, delay: float, throttle: bool) -> dict[str, float]:
    import aioice.ice
    from aiortc import RTCPeerConnection
    from aiortc import RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError
    from lti_tool_video.ladder import load_ladder
    from lti_tool_video.media.tuning import throttle_keyframe_requests

    original = aioice.ice.StunProtocol.datagram_received

    def late(self: object, data: bytes, addr: tuple[str, int]) -> None:
        asyncio.get_running_loop().call_later(delay, original, self, data, addr)

    aioice.ice.StunProtocol.datagram_received = late  # type: ignore[method-assign]
    offer = json.loads(sys.stdin.readline())
    pc = RTCPeerConnection()
    arrivals: list[float] = []
    finished = asyncio.Event()

    async def consume(track: object) -> None:
        while True:
            try:
                await track.recv()  # type: ignore[attr-defined]
            except MediaStreamError:
                return  # the connection closed at the end of the run
            if track.kind == "video":  # type: ignore[attr-defined]
                arrivals.append(time.monotonic())
                if arrivals[-1] - arrivals[0] >= seconds:
                    finished.set()

    pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
    await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
    if throttle:
        for transceiver in pc.getTransceivers():
            throttle_keyframe_requests(transceiver.receiver, load_ladder().keyframe_min_interval_s)
    await pc.setLocalDescription(await pc.createAnswer())
    print(json.dumps({"sdp": pc.localDescription.sdp}), flush=True)
    try:
        await asyncio.wait_for(finished.wait(), timeout=seconds + 30)
    except TimeoutError:
        pass
    await pc.close()
    span = (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    count, total = freezes(arrivals)
    return {
        "frames": len(arrivals),
        "seconds": span,
        "fps": (len(arrivals) - 1) / span if span else 0.0,
        "freezes": count,
        "freeze_s": total,
    }


# -- the sender side and the link -------------------------------------------------------------


def shape_link(namespace: str) -> None:
    sh("ip", "netns", "add", namespace)
    sh("ip", "link", "add", "ltvb-s", "type", "veth", "peer", "name", "ltvb-r", "netns", namespace)
    sh("ip", "addr", "add", f"{SENDER_IP}/30", "dev", "ltvb-s")
    sh("ip", "link", "set", "ltvb-s", "up")
    sh("ip", "-n", namespace, "addr", "add", f"{RECEIVER_IP}/30", "dev", "ltvb-r")
    sh("ip", "-n", namespace, "link", "set", "ltvb-r", "up")
    sh("ip", "-n", namespace, "link", "set", "lo", "up")
    sh(
        "tc",
        "qdisc",
        "add",
        "dev",
        "ltvb-s",
        "root",
        "tbf",
        "rate",
        "300kbit",
        "burst",
        "4kb",
        "latency",
        "250ms",
    )
    sh("nft", "add", "table", "inet", "ltvb")
    sh("nft", "add", "chain", "inet", "ltvb", "out", "{ type filter hook postrouting priority 0; }")
    sh(
        "nft",
        "add",
        "rule",
        "inet",
        "ltvb",
        "out",
        "oifname",
        "ltvb-s",
        "numgen",
        "random",
        "mod",
        "100",
        "<",
        "2",
        "drop",
    )


def serve_page() -> str:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/bench.html":
                body = PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def translate_path(self, path: str) -> str:
            return str(STATIC / path.removeprefix("/static/").split("?")[0])

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/bench.html"


def run_once(name: str, namespace: str, url: str, seconds: float) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    optimizer = name != "baseline"
    receiver = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            namespace,
            sys.executable,
            __file__,
            "--receiver",
            "--seconds",
            str(seconds),
        ]
        + (["--throttle"] if optimizer else []),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert receiver.stdin is not None and receiver.stdout is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--autoplay-policy=no-user-gesture-required",
                "--disable-features=WebRtcHideLocalIpsWithMdns",
            ],
        )
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function("() => typeof window.offer === 'function'")
        receiver.stdin.write(
            json.dumps({"sdp": page.evaluate("(o) => window.offer(o)", optimizer)}) + "\n"
        )
        receiver.stdin.flush()
        page.evaluate("(sdp) => window.answer(sdp)", json.loads(receiver.stdout.readline())["sdp"])
        result: dict[str, float] = json.loads(receiver.stdout.readline())
        samples = page.evaluate("() => window.samples")
        browser.close()
    receiver.wait(timeout=30)
    rungs = [s["rung"] for s in samples]
    result["rung"] = max(set(rungs), key=rungs.count) if rungs else "-"  # type: ignore[assignment]
    result["sent_kbps"] = statistics.fmean([s["kbps"] or 0 for s in samples[2:]] or [0])
    if os.environ.get("BENCH_VERBOSE"):
        for sample in samples:
            print("   ", json.dumps(sample), file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--runs", default="baseline,optimizer")
    parser.add_argument("--receiver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--throttle", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.receiver:
        result = asyncio.run(receive(options.seconds, 0.100, options.throttle))
        print(json.dumps(result), flush=True)
        return
    if os.environ.get("LTI_TOOL_BENCH_NETNS") != "1":
        for tool in ("unshare", "ip", "tc", "nft"):
            if shutil.which(tool) is None:
                sys.exit(f"{tool} is missing (apt-get install -y iproute2 nftables util-linux)")
        env = {**os.environ, "LTI_TOOL_BENCH_NETNS": "1"}
        os.execvpe("unshare", ["unshare", "--net", sys.executable, *sys.argv], env)
    sh("ip", "link", "set", "lo", "up")
    namespace = f"ltvb-{os.getpid()}"
    shape_link(namespace)
    url = serve_page()
    try:
        print("300 kbit/s, 2 % loss, +100 ms; Chromium sends hard-to-compress 640x480@30 to aiortc")
        print(
            f"{'run':<10} {'fps':>6} {'freezes':>8} {'freeze s':>9} {'frames':>7}"
            f" {'sent kbit/s':>12}  profile"
        )
        for name in options.runs.split(","):
            r = run_once(name, namespace, url, options.seconds)
            print(
                f"{name:<10} {r['fps']:6.1f} {r['freezes']:8d} {r['freeze_s']:9.2f}"
                f" {r['frames']:7d} {r['sent_kbps']:12.0f}  {r['rung']}",
                flush=True,
            )
    finally:
        subprocess.run(["ip", "netns", "del", namespace], check=False)


if __name__ == "__main__":
    main()
