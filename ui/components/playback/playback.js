// One playback element: its controls (play, scrubber, keyframe buttons), what each frame shows,
// and at a keyframe epoch the map decoding under the pointer with that epoch's decoder.

import { drawDigit } from "../explorer/panel.js";
import { LatestQueue, firstLine, loadSession, runSession } from "../explorer/runtime.js";
import { LossCurve, PointsLayer, drawSamples, sampleGrid } from "./drawing.js";
import { boxBetween, frameAt, loadHistory } from "./frames.js";
import { Timeline } from "./timeline.js";

export class Playback {
  // root: the .pb element; data: ui/playback.py playback_element's; startAt: the frame to
  // start from (a live element's previous position), else the last
  constructor(root, data, startAt) {
    this.root = root;
    this.d = data;
    this.el = (name) => root.querySelector(`.pb-${name}`);
    this.F = data.epochs.length;
    this.shownSample = -1;
    this.shownKeyframe = undefined;
    this.keyframe = null; // the keyframe epoch shown at rest, else null
    this.probe = { status: "loading", intervals: [], draws: [], lastDecode: null, playback: this };
    if (data.probes) window.latentPlayback[data.key] = this.probe;
    this.timeline = new Timeline(this.F, startAt, () => this.draw(), (playing) => {
      this.el("play").textContent = playing ? "❚❚ pause" : "▶ play";
    }, this.probe);
    this.queue = new LatestQueue((job) => this.decode(job), (error) => {
      this.setStatus("ready", `Keyframe decoding is off in this browser (${firstLine(error)}).`);
    });
    this.el("map").style.height = `${data.height}px`;
    this.grid = sampleGrid(this.el("samples"), data.sample_shape);
    this.loss = new LossCurve(this.el("loss"), data.loss);
    this.listening = new AbortController(); // the DOM outlives this object: its listeners do not
    this.buildStatic();
    // The history and the keyframe decoders are fetched when the element first comes near the
    // screen, not when it mounts: the Latent map and the studios mount it in a closed expander,
    // where a class opening the page would otherwise make every browser fetch and compile
    // them at once, beside the map. (A closed expander's content has no box: never in view.)
    this.nearScreen = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      this.nearScreen.disconnect();
      this.load();
    }, { rootMargin: "600px 0px" });
    this.nearScreen.observe(root);
  }

  get pos() { return this.timeline.pos; } // what tests and benches read
  get glide() { return this.timeline.glide; }

  async load() {
    const d = this.d;
    try {
      this.history = await loadHistory(d);
    } catch (error) {
      return this.setStatus("error", `The training history could not be loaded (${error.message}).`);
    }
    if (this.history.maps) this.points = new PointsLayer(this.el("points"), this.history);
    else this.el("map").hidden = true;
    this.resizer = new ResizeObserver(() => {
      if (this.points) this.points.resize();
      this.draw();
    });
    this.resizer.observe(this.el("map"));
    this.setStatus("ready", d.notice);
    if (d.live && this.pos < this.F - 1) this.timeline.seek(this.F - 1); // a new epoch: glide to it
    for (const url of Object.values(d.keyframes)) loadSession(d.runtime_url, url).catch(() => {});
  }

  setStatus(status, notice) {
    this.probe.status = status;
    this.root.dataset.status = status;
    const line = this.el("notice");
    line.hidden = !notice;
    line.textContent = notice || "";
  }

  buildStatic() {
    const d = this.d, scrub = this.el("scrub"), time = this.timeline;
    scrub.max = String(this.F - 1);
    scrub.value = String(this.pos);
    const on = { signal: this.listening.signal };
    scrub.addEventListener("input", () => { time.pause(); time.seek(Number(scrub.value)); }, on);
    this.el("play").addEventListener("click", () => (time.playing ? time.pause() : time.play()), on);
    this.el("samples-caption").textContent = d.sample_caption;
    this.el("legend").replaceChildren(...d.class_names.map((name, c) => {
      const span = document.createElement("span");
      span.innerHTML = `<i style="background:${d.class_colors[c % d.class_colors.length]}"></i>`;
      span.append(name);
      return span;
    }));
    const epochs = Object.keys(d.keyframes).map(Number).sort((a, b) => a - b);
    const keys = this.el("keys");
    keys.replaceChildren(...(epochs.length ? ["keyframes:"] : []));
    for (const epoch of epochs) {
      const button = Object.assign(document.createElement("button"), { type: "button", textContent: String(epoch) });
      button.dataset.epoch = epoch;
      button.addEventListener("click", () => { time.pause(); time.seek(d.epochs.indexOf(epoch)); }, on);
      keys.append(button);
    }
    this.el("decode-box").hidden = !epochs.length;
    const map = this.el("map");
    map.addEventListener("pointermove", (e) => this.hover(e), on);
    map.addEventListener("pointerleave", () => { this.queue.pending = null; }, on);
    this.el("loss-caption").innerHTML = this.loss.caption;
  }

  // --- one frame ------------------------------------------------------------------------------

  draw() {
    const d = this.d, pos = this.pos, frame = frameAt(pos, this.F), { i, j, t } = frame;
    const epoch = d.epochs[i] + (d.epochs[j] - d.epochs[i]) * t;
    const whole = Math.round(pos);
    const atKey = this.timeline.still && Math.abs(pos - whole) < 1e-6 && d.keyframes[d.epochs[whole]];
    this.keyframe = atKey ? d.epochs[whole] : null;
    this.text("epoch", `epoch ${Math.round(epoch)} of ${d.loss.epochs.length}`);
    if (document.activeElement !== this.el("scrub")) this.el("scrub").value = String(pos);
    if (this.keyframe !== this.shownKeyframe) { // DOM writes only when something changed
      this.shownKeyframe = this.keyframe;
      for (const b of this.el("keys").querySelectorAll("button")) b.classList.toggle("on", Number(b.dataset.epoch) === this.keyframe);
      this.text("decode-caption", this.keyframe
        ? `hover the map: epoch ${this.keyframe}'s decoder` : "stop at a keyframe to decode under the pointer");
    }
    if (this.points && this.points.pixels) {
      const box = boxBetween(d.bounds, frame);
      this.points.draw(frame, box);
      const fmt = (v) => v.toFixed(1);
      this.text("axes", `x ${fmt(box[0])}…${fmt(box[1])}  y ${fmt(box[2])}…${fmt(box[3])}`);
    }
    if (this.history && whole !== this.shownSample) {
      this.shownSample = whole;
      drawSamples(this.el("samples"), this.history.samples, whole, this.grid);
    }
    this.loss.draw(epoch);
  }

  text(name, value) {
    const el = this.el(name);
    if (el.textContent !== value) el.textContent = value;
  }

  // --- keyframe decoding under the pointer ----------------------------------------------------

  hover(event) {
    const place = this.keyframe && this.points ? this.points.toData(event.clientX, event.clientY) : null;
    if (!place) return;
    this.queue.push({ epoch: this.keyframe, code: Float32Array.of(...place), t: performance.now() });
  }

  async decode(job) { // code: Float32Array [2] -> the decoder's picture [784] in [0, 1]
    const session = await loadSession(this.d.runtime_url, this.d.keyframes[job.epoch]);
    const pixels = await runSession(session, job.code, [1, job.code.length]);
    drawDigit(this.el("decoded"), pixels);
    this.probe.lastDecode = {
      epoch: job.epoch, code: Array.from(job.code), pixels: Array.from(pixels), ms: performance.now() - job.t,
    };
  }

  destroy() {
    this.nearScreen.disconnect();
    this.timeline.stop();
    if (this.resizer) this.resizer.disconnect();
    this.listening.abort();
    if (window.latentPlayback[this.d.key] === this.probe) delete window.latentPlayback[this.d.key];
  }
}
