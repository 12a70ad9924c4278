// The local camera, microphone and screen, and which of them is being sent.
//
// Turning the camera off stops the track (so the camera light goes out) rather than only
// disabling it; muting the microphone only disables the track, so unmuting is instant.

export class LocalMedia extends EventTarget {
  constructor(capture) {
    super();
    this.capture = capture; // {width, height, fps} from the ladder
    this.camera = null;
    this.mic = null;
    this.screen = null;
    this.cameraId = undefined;
    this.micId = undefined;
    this.micOn = true;
    this.errors = [];
  }

  get state() {
    return { camera: Boolean(this.camera), mic: Boolean(this.mic && this.micOn), screen: Boolean(this.screen) };
  }

  // What goes out on the video sender: the screen while it is shared, else the camera.
  get outgoingVideo() {
    return this.screen || this.camera;
  }

  get sourceHeight() {
    return this.outgoingVideo?.getSettings().height || this.capture.height;
  }

  tracks() {
    return { audio: this.mic, video: this.outgoingVideo };
  }

  async start() {
    await Promise.all([this._openCamera(), this._openMic()]);
    this._changed();
  }

  async setCamera(on) {
    if (on && !this.camera) {
      await this._openCamera();
    } else if (!on && this.camera) {
      this.camera.stop();
      this.camera = null;
    }
    this._changed();
  }

  setMic(on) {
    this.micOn = on;
    if (this.mic) {
      this.mic.enabled = on;
    }
    this._changed();
  }

  async useDevice(kind, deviceId) {
    if (kind === "videoinput") {
      this.cameraId = deviceId;
      if (this.camera) {
        this.camera.stop();
        this.camera = null;
        await this._openCamera();
      }
    } else {
      this.micId = deviceId;
      this.mic?.stop();
      this.mic = null;
      await this._openMic();
    }
    this._changed();
  }

  async devices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      videoinput: all.filter((d) => d.kind === "videoinput"),
      audioinput: all.filter((d) => d.kind === "audioinput"),
    };
  }

  async startScreen() {
    if (this.screen) {
      return;
    }
    const stream = await navigator.mediaDevices.getDisplayMedia({
      video: { frameRate: { ideal: 5, max: 15 } },
      audio: false,
    });
    const track = stream.getVideoTracks()[0];
    // Text and slides must stay legible: the encoder keeps detail and drops frames instead.
    track.contentHint = "detail";
    track.addEventListener("ended", () => this.stopScreen());
    this.screen = track;
    this._changed();
  }

  stopScreen() {
    if (!this.screen) {
      return;
    }
    this.screen.stop();
    this.screen = null;
    this._changed();
  }

  async _openCamera() {
    const { width, height, fps } = this.capture;
    const video = {
      width: { ideal: width },
      height: { ideal: height },
      frameRate: { ideal: fps },
      ...(this.cameraId ? { deviceId: { exact: this.cameraId } } : {}),
    };
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video });
      this.camera = stream.getVideoTracks()[0];
    } catch (error) {
      this.errors.push(`camera: ${error.name}`);
    }
  }

  async _openMic() {
    const audio = this.micId ? { deviceId: { exact: this.micId } } : true;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio });
      this.mic = stream.getAudioTracks()[0];
      this.mic.enabled = this.micOn;
    } catch (error) {
      this.errors.push(`microphone: ${error.name}`);
    }
  }

  _changed() {
    this.dispatchEvent(new CustomEvent("change", { detail: this.state }));
  }
}
