// Training playback: the map of a fixed validation set after each epoch of a training, its 16
// fixed samples and its loss curve, animated and scrubbed in the browser.
//
// Python (ui/playback.py) sends `data`; big arrays come by URL from static/cache/:
//   maps_url float32 [F * N * 2] (null for a GAN: no encoder), labels_url uint8 [N],
//   samples_url uint8 [F * 16 * 28 * 28]; inline: epochs [F] (1-based), bounds [F][x0, x1, y0, y1],
//   loss {epochs [E], series [{name, values [E], color}]}, class_names, class_colors,
//   keyframes {epoch: ONNX decoder URL} (2-D models), runtime_url, live, probes.
// Nothing goes back to Python: play, scrub, keyframe jumps and hover send no message.
// At a keyframe epoch (and only there) hovering the map decodes the code under the pointer with
// that epoch's decoder, in onnxruntime-web: one decode in flight, a newer move replaces the
// pending one.

const FRAMES_PER_SECOND = 6; // epochs per second while playing
const SEEK_MS = 180; // a scrubber move or a keyframe jump glides this long
const STATS_KEPT = 4000;
const fetched = new Map(); // url -> Promise<ArrayBuffer>, kept across re-invocations
const sessions = new Map(); // decoder url -> Promise<{ort, session}>
window.latentPlayback = window.latentPlayback || {};

async function fetchBytes(url) {
  // One whole-file range: Streamlit serves ranges of /app/static/ without gzipping them.
  if (!fetched.has(url)) {
    const href = new URL(url, location.href).href; // the JS is a blob: module
    const promise = fetch(href, { headers: { Range: "bytes=0-" } }).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.arrayBuffer();
    });
    promise.catch(() => fetched.delete(url));
    fetched.set(url, promise);
  }
  return fetched.get(url);
}

function loadSession(runtimeUrl, decoderUrl) {
  if (!sessions.has(decoderUrl)) {
    const href = new URL(runtimeUrl, location.href).href;
    const wasm = fetchBytes(new URL("ort-wasm-simd-threaded.wasm", href).href);
    const promise = Promise.all([import(href), wasm, fetchBytes(decoderUrl)]).then(
      async ([ort, wasmBytes, model]) => {
        ort.env.wasm.numThreads = 1; // no COOP/COEP headers: no shared memory, no threads
        ort.env.wasm.wasmBinary = wasmBytes;
        const session = await ort.InferenceSession.create(new Uint8Array(model));
        return { ort, session };
      });
    promise.catch(() => sessions.delete(decoderUrl));
    sessions.set(decoderUrl, promise);
  }
  return sessions.get(decoderUrl);
}

function packColor(hex) { // "#rrggbb" -> ABGR uint32 for a little-endian Uint32Array of ImageData
  const v = parseInt(hex.slice(1), 16);
  return ((0xff << 24) | ((v & 0xff) << 16) | (v & 0xff00) | (v >> 16)) >>> 0;
}

const ease = (t) => t * t * (3 - 2 * t); // smoothstep: frames glide in and out

class Playback {
  constructor(root, data, startAt) {
    this.root = root;
    this.d = data;
    this.el = (name) => root.querySelector(`.pb-${name}`);
    this.F = data.epochs.length;
    this.pos = Math.min(startAt ?? this.F - 1, this.F - 1);
    this.playing = false;
    this.glide = null; // {from, to, t0}
    this.raf = null;
    this.shownSample = -1;
    this.shownKeyframe = undefined;
    this.pending = null; // the latest hover code not decoded yet
    this.busy = false;
    this.probe = { status: "loading", intervals: [], draws: [], lastDecode: null, playback: this };
    if (data.probes) window.latentPlayback[data.key] = this.probe;
    this.el("map").style.height = `${data.height}px`;
    this.colors = data.class_colors.map(packColor);
    this.listening = new AbortController(); // the DOM outlives this object: its listeners do not
    this.buildStatic();
    this.load();
  }

  async load() {
    const d = this.d;
    try {
      const [maps, labels, samples] = await Promise.all([
        d.maps_url ? fetchBytes(d.maps_url) : null, fetchBytes(d.labels_url), fetchBytes(d.samples_url)]);
      this.maps = maps ? new Float32Array(maps) : null; // [F * N * 2]
      this.labels = new Uint8Array(labels); // [N]
      this.samples = new Uint8Array(samples); // [F * 16 * 784]
    } catch (error) {
      return this.setStatus("error", `The training history could not be loaded (${error.message}).`);
    }
    this.n = this.labels.length;
    this.colorOf = Uint32Array.from(this.labels, (label) => this.colors[label % this.colors.length]);
    if (!this.maps) this.el("map").hidden = true;
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(this.el("map"));
    this.setStatus("ready", d.notice);
    if (d.live && this.pos < this.F - 1) this.seek(this.F - 1); // a new epoch arrived: glide to it
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
    const d = this.d, scrub = this.el("scrub");
    scrub.max = String(this.F - 1);
    scrub.value = String(this.pos);
    const on = { signal: this.listening.signal };
    scrub.addEventListener("input", () => { this.pause(); this.seek(Number(scrub.value)); }, on);
    this.el("play").addEventListener("click", () => (this.playing ? this.pause() : this.play()), on);
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
      button.addEventListener("click", () => { this.pause(); this.seek(d.epochs.indexOf(epoch)); }, on);
      keys.append(button);
    }
    this.el("decode-box").hidden = !epochs.length;
    const map = this.el("map");
    map.addEventListener("pointermove", (e) => this.hover(e), on);
    map.addEventListener("pointerleave", () => { this.pending = null; }, on);
    this.drawLossBase();
  }

  // --- time: play, seek, the animation loop ---------------------------------------------------

  play() {
    if (this.pos >= this.F - 1) this.pos = 0; // from the start again
    this.playing = true;
    this.el("play").textContent = "❚❚ pause";
    this.kick();
  }

  pause() {
    this.playing = false;
    this.el("play").textContent = "▶ play";
  }

  seek(to) {
    this.glide = { from: this.pos, to: Math.max(0, Math.min(this.F - 1, to)), t0: performance.now() };
    this.kick();
  }

  kick() {
    if (this.raf === null) {
      this.last = null;
      this.raf = requestAnimationFrame((t) => this.tick(t));
    }
  }

  tick(now) {
    const dt = this.last === null ? 0 : Math.max(0, now - this.last); // rAF's time may precede kick's
    this.last = now;
    if (this.playing) {
      this.pos = Math.min(this.F - 1, this.pos + (dt / 1000) * FRAMES_PER_SECOND);
      if (this.pos >= this.F - 1) this.pause();
    } else if (this.glide) {
      const t = Math.min(1, (now - this.glide.t0) / SEEK_MS);
      this.pos = this.glide.from + (this.glide.to - this.glide.from) * ease(t);
      if (t >= 1) this.glide = null;
    }
    const start = performance.now();
    this.draw();
    if (dt > 0) this.record(dt, performance.now() - start); // the first tick has no interval
    this.raf = this.playing || this.glide ? requestAnimationFrame((t) => this.tick(t)) : null;
  }

  record(interval, draw) {
    const p = this.probe;
    p.intervals.push(interval);
    p.draws.push(draw);
    if (p.intervals.length > STATS_KEPT) { p.intervals.shift(); p.draws.shift(); }
  }

  // --- drawing --------------------------------------------------------------------------------

  resize() {
    const canvas = this.el("points"), dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr));
    canvas.height = Math.max(1, Math.round(canvas.clientHeight * dpr));
    this.image = new ImageData(canvas.width, canvas.height);
    this.pixels = new Uint32Array(this.image.data.buffer);
    this.draw();
  }

  frameAt(pos) { // the two frames around pos and how far between them (eased)
    const i = Math.max(0, Math.min(Math.floor(pos), this.F - 2));
    const j = Math.min(i + 1, this.F - 1);
    return { i, j, t: ease(Math.max(0, Math.min(1, pos - i))) };
  }

  draw() {
    const { i, j, t } = this.frameAt(this.pos);
    const epoch = this.d.epochs[i] + (this.d.epochs[j] - this.d.epochs[i]) * t;
    const whole = Math.round(this.pos);
    const atKey = !this.playing && !this.glide && Math.abs(this.pos - whole) < 1e-6
      && this.d.keyframes[this.d.epochs[whole]];
    this.keyframe = atKey ? this.d.epochs[whole] : null;
    this.text("epoch", `epoch ${Math.round(epoch)} of ${this.d.loss.epochs.length}`);
    if (document.activeElement !== this.el("scrub")) this.el("scrub").value = String(this.pos);
    if (this.keyframe !== this.shownKeyframe) { // DOM writes only when something changed
      this.shownKeyframe = this.keyframe;
      for (const b of this.el("keys").querySelectorAll("button")) b.classList.toggle("on", Number(b.dataset.epoch) === this.keyframe);
      this.text("decode-caption", this.keyframe
        ? `hover the map: epoch ${this.keyframe}'s decoder` : "stop at a keyframe to decode under the pointer");
    }
    if (this.maps && this.pixels) this.drawMap(i, j, t);
    if (whole !== this.shownSample) this.drawSamples(whole);
    this.drawLoss(epoch);
  }

  text(name, value) {
    const el = this.el(name);
    if (el.textContent !== value) el.textContent = value;
  }

  drawMap(i, j, t) {
    const canvas = this.el("points"), W = canvas.width, H = canvas.height, n = this.n;
    const a = this.d.bounds[i], b = this.d.bounds[j];
    const box = a.map((v, q) => v + (b[q] - v) * t); // [x0, x1, y0, y1], eased like the points
    const scale = Math.min(W / (box[1] - box[0]), H / (box[3] - box[2]));
    const ox = W / 2 - scale * (box[0] + box[1]) / 2, oy = H / 2 + scale * (box[2] + box[3]) / 2;
    this.view = { scale, ox, oy };
    const px = this.pixels, m = this.maps, fa = i * n * 2, fb = j * n * 2, s = 1 - t;
    const big = n > 20000; // dots of 2 x 2 device px, else 3 x 3
    const edge = big ? 2 : 3, colorOf = this.colorOf;
    px.fill(0xffffffff);
    for (let p = 0; p < n; p++) { // the hot loop: plain writes, no calls (60,000 points)
      const x = (ox + scale * (m[fa + 2 * p] * s + m[fb + 2 * p] * t)) | 0;
      const y = (oy - scale * (m[fa + 2 * p + 1] * s + m[fb + 2 * p + 1] * t)) | 0;
      if (x < 0 || y < 0 || x > W - edge || y > H - edge) continue;
      const c = colorOf[p];
      let o = y * W + x;
      px[o] = px[o + 1] = c;
      if (!big) px[o + 2] = c;
      o += W;
      px[o] = px[o + 1] = c;
      if (!big) { px[o + 2] = c; o += W; px[o] = px[o + 1] = px[o + 2] = c; }
    }
    canvas.getContext("2d").putImageData(this.image, 0, 0);
    const fmt = (v) => v.toFixed(1);
    this.text("axes", `x ${fmt(box[0])}…${fmt(box[1])}  y ${fmt(box[2])}…${fmt(box[3])}`);
  }

  drawSamples(frame) {
    this.shownSample = frame;
    const image = new ImageData(112, 112), rgba = image.data, base = frame * 16 * 784;
    for (let s = 0; s < 16; s++) {
      const x0 = (s % 4) * 28, y0 = Math.floor(s / 4) * 28;
      for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) {
        const v = this.samples[base + s * 784 + r * 28 + c], o = ((y0 + r) * 112 + x0 + c) * 4;
        rgba[o] = rgba[o + 1] = rgba[o + 2] = v;
        rgba[o + 3] = 255;
      }
    }
    this.el("samples").getContext("2d").putImageData(image, 0, 0);
  }

  drawLossBase() { // the curves once, into an offscreen canvas; each frame adds the cursor
    const canvas = this.el("loss"), W = canvas.width, H = canvas.height, { epochs, series } = this.d.loss;
    this.lossBase = new OffscreenCanvas(W, H);
    const g = this.lossBase.getContext("2d"), last = epochs[epochs.length - 1] || 1;
    this.lossX = (e) => 4 + ((e - 1) / Math.max(1, last - 1)) * (W - 8);
    const captions = [];
    for (const { name, values, color } of series) {
      const finite = values.filter(Number.isFinite), lo = Math.min(...finite), hi = Math.max(...finite);
      g.strokeStyle = color;
      g.lineWidth = 1.5;
      g.beginPath();
      values.forEach((v, q) => g.lineTo(this.lossX(epochs[q]), H - 6 - ((v - lo) / (hi - lo || 1)) * (H - 12)));
      g.stroke();
      captions.push(`<span style="color:${color}">${name}</span> ${lo.toPrecision(3)}–${hi.toPrecision(3)}`);
    }
    this.el("loss-caption").innerHTML = captions.join(" · ") + " (each on its own scale)";
  }

  drawLoss(epoch) {
    const canvas = this.el("loss"), g = canvas.getContext("2d");
    g.clearRect(0, 0, canvas.width, canvas.height);
    g.drawImage(this.lossBase, 0, 0);
    g.strokeStyle = "#31333f";
    g.beginPath();
    g.moveTo(this.lossX(epoch), 0);
    g.lineTo(this.lossX(epoch), canvas.height);
    g.stroke();
  }

  // --- keyframe decoding under the pointer ----------------------------------------------------

  hover(event) {
    if (!this.keyframe || !this.view) return;
    const rect = this.el("points").getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    const { scale, ox, oy } = this.view;
    const x = ((event.clientX - rect.left) * dpr - ox) / scale;
    const y = (oy - (event.clientY - rect.top) * dpr) / scale;
    this.pending = { epoch: this.keyframe, code: Float32Array.of(x, y), t: performance.now() };
    this.pump();
  }

  async pump() {
    if (this.busy || !this.pending) return;
    const job = this.pending;
    this.pending = null;
    this.busy = true;
    try {
      const pixels = await this.decode(job.epoch, job.code);
      this.drawDecoded(pixels);
      this.probe.lastDecode = { epoch: job.epoch, code: Array.from(job.code), pixels: Array.from(pixels), ms: performance.now() - job.t };
    } catch (error) {
      this.setStatus("ready", `Keyframe decoding is off in this browser (${String(error.message || error).slice(0, 120)}).`);
    } finally {
      this.busy = false;
      this.pump();
    }
  }

  async decode(epoch, code) { // code: Float32Array [2] -> Float32Array [784] in [0, 1]
    const { ort, session } = await loadSession(this.d.runtime_url, this.d.keyframes[epoch]);
    const out = await session.run({ z: new ort.Tensor("float32", code, [1, code.length]) });
    return out.image.data;
  }

  drawDecoded(pixels) {
    const image = new ImageData(28, 28);
    for (let q = 0; q < 784; q++) {
      const v = Math.round(Math.max(0, Math.min(1, pixels[q])) * 255);
      image.data[4 * q] = image.data[4 * q + 1] = image.data[4 * q + 2] = v;
      image.data[4 * q + 3] = 255;
    }
    this.el("decoded").getContext("2d").putImageData(image, 0, 0);
  }

  destroy() {
    if (this.raf !== null) cancelAnimationFrame(this.raf);
    if (this.resizer) this.resizer.disconnect();
    this.listening.abort();
    if (window.latentPlayback[this.d.key] === this.probe) delete window.latentPlayback[this.d.key];
  }
}

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".pb");
  // New data for the same element (the Train page after another epoch): start from where the
  // old one stood, and glide to the newest frame.
  const startAt = root.playback && data.live ? root.playback.pos : undefined;
  if (root.playback) root.playback.destroy();
  root.playback = new Playback(root, data, startAt);
  return () => root.playback && root.playback.destroy();
}
