// Latent explorer: a 2-D latent map that decodes the code under the pointer, in the browser.
//
// Python (ui/explorer.py) sends `data` once per map: URLs of the arrays (served from static/),
// the inverse rule (map point -> latent code), the ONNX decoder's URL and the runtime's URL.
// Everything that follows a pointer stays here: hover, zoom, pan, drag and the sliders send
// nothing to the server. The only messages to Python are two trigger values:
//   click: {index: i | null, point: [x, y], code: [k numbers] | null}
//          a click without drag; index is the dataset index of the point under the pointer
//   pair:  {from: i, to: j}
//          a drag that starts on point i and is released on another point j
// `data.mode === "sliders"` mounts CodeSliders instead (the end of this file): no map, one
// slider per latent dimension of one code; it sends nothing to Python at all.
//
// The decoder runs in onnxruntime-web (WASM, one thread). One decode at a time: a move while
// one is in flight only replaces the pending code, so the preview always catches up with the
// latest position and never queues stale ones.

const CLASS_COLORS = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
]; // Tableau 10, as ui/plots.py
const HIT_RADIUS = 7; // css px: the pointer is "over" a point this close to it
const DRAG_THRESHOLD = 4; // css px moved before a press becomes a drag
const OFF_MAP_MARGIN = 0.25; // codes beyond the data's box widened by this share are not decoded (core/maps.py)
const STRIP_STEPS = 8; // decoded digits along a dragged path
const MAX_SLIDERS = 16;
const STATS_KEPT = 4000;

// Module state survives re-invocation (a new `data`), so the runtime, the sessions and the
// fetched arrays load once per page.
const fetched = new Map(); // url -> Promise<ArrayBuffer | ImageBitmap>
const sessions = new Map(); // decoder url -> Promise<InferenceSession>
let runtime = null; // {url, promise: Promise<ort module>}

// Read by tests and bench/explorer.py: per-key timings, the last decode, the map transform.
window.latentExplorer = window.latentExplorer || {};

function absolute(url) {
  // The component's JS is a blob: module, so resolve root-relative URLs against the page.
  return new URL(url, location.href).href;
}

async function fetchWhole(url) {
  // "Range: bytes=0-" asks for the whole file as one range. Streamlit gzips every response of
  // its /app/static/ route on every request (level 5, in the server process) except ranges:
  // for the 14 MB runtime that was 0.6 s of server CPU per session, shared with every click of
  // a class (bench/load.py). A range is served straight from the file.
  let response = await fetch(absolute(url), { headers: { Range: "bytes=0-" } });
  if (response.status === 416) response = await fetch(absolute(url)); // an empty file
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

function fetchOnce(url, kind) {
  if (!fetched.has(url)) {
    const promise = fetchWhole(url).then(async (response) =>
      kind === "image" ? createImageBitmap(await response.blob()) : response.arrayBuffer());
    promise.catch(() => fetched.delete(url));
    fetched.set(url, promise);
  }
  return fetched.get(url);
}

function loadRuntime(url) {
  if (!runtime || runtime.url !== url) {
    const href = absolute(url);
    // The bundle embeds its JS glue; only the .wasm is fetched, from beside the bundle, by us
    // (as a range, see fetchWhole) and handed over as bytes.
    const wasm = fetchOnce(new URL("ort-wasm-simd-threaded.wasm", href).href);
    const promise = Promise.all([import(href), wasm]).then(([ort, bytes]) => {
      ort.env.wasm.numThreads = 1; // no COOP/COEP headers: no shared memory, so no threads
      ort.env.wasm.proxy = false;
      ort.env.wasm.wasmBinary = bytes;
      return ort;
    });
    promise.catch(() => { runtime = null; });
    runtime = { url, promise };
  }
  return runtime.promise;
}

function loadSession(runtimeUrl, decoderUrl) {
  const id = `${runtimeUrl}|${decoderUrl}`;
  if (!sessions.has(id)) {
    const parts = [loadRuntime(runtimeUrl), fetchOnce(decoderUrl)];
    const promise = Promise.all(parts).then(([ort, bytes]) =>
      ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: ["wasm"] })
        .then((session) => ({ ort, session })));
    promise.catch(() => sessions.delete(id));
    sessions.set(id, promise);
  }
  return sessions.get(id);
}

function packColor(hex) {
  // "#rrggbb" -> ABGR uint32 for a little-endian Uint32Array view of ImageData
  const v = parseInt(hex.slice(1), 16);
  return (0xff << 24) | ((v & 0xff) << 16) | (v & 0xff00) | (v >> 16);
}

function formatCode(code) {
  return Array.from(code, (v) => (v >= 0 ? " " : "") + v.toFixed(3)).join("  ");
}

class Explorer {
  constructor(root, data, setTriggerValue) {
    this.root = root;
    this.data = data;
    this.send = setTriggerValue;
    this.k = data.latent_dim;
    this.hidden = new Set();
    this.session = null; // {ort, session} once the decoder is live
    this.pending = null; // the latest decode job not started yet
    this.busy = false;
    this.selection = null; // {index, code: Float32Array}
    this.drag = null; // {from, x0, y0, moved, panStart}
    // timeline: performance.now() (ms since the page's navigation) at the map drawn and live
    this.probe = { stats: [], last: null, status: "loading", explorer: this, timeline: {} };
    window.latentExplorer[data.key] = this.probe;
    this.el = (name) => root.querySelector(`.lx-${name}`);
    this.map = this.el("map");
    this.map.style.height = `${data.height}px`;
    this.canvases = {
      background: this.el("background"), points: this.el("points"), overlay: this.el("overlay"),
    };
    this.listeners = [];
    this.buildLegend();
    this.listen();
    this.resizer = new ResizeObserver(() => this.resize());
    this.load();
  }

  // --- loading ---------------------------------------------------------------------------

  async load() {
    const d = this.data;
    // The runtime and model (14 MB of WASM, the largest download) load while the arrays do.
    const session = d.decoder_url ? loadSession(d.runtime_url, d.decoder_url) : null;
    if (session) session.catch(() => {}); // handled below, after the map is drawn
    try {
      const [coords, labels, codes] = await Promise.all([
        fetchOnce(d.coords_url), fetchOnce(d.labels_url),
        d.codes_url ? fetchOnce(d.codes_url) : null,
      ]);
      this.coords = new Float32Array(coords); // [N * 2]
      this.labels = new Uint8Array(labels); // [N]
      this.codes = codes ? new Float32Array(codes) : null; // [N * k]
      this.n = this.labels.length;
    } catch (error) {
      this.setStatus("error", `The map's data could not be loaded (${error.message}).`);
      return;
    }
    this.order = this.drawOrder();
    this.bounds = this.dataBounds();
    this.sliderRanges = this.rangesOfCodes();
    if (d.sprites_url) fetchOnce(d.sprites_url, "image").then((atlas) => { this.atlas = atlas; });
    if (d.background) {
      fetchOnce(d.background.url, "image").then((img) => { this.backdrop = img; this.drawBackground(); });
    }
    this.resizer.observe(this.map);
    if (d.selected != null && d.selected >= 0 && d.selected < this.n) this.select(d.selected, null);
    if (!d.decoder_url) {
      this.setStatus("fallback", d.notice || "No decoder for this model.");
      return;
    }
    try {
      this.session = await session;
      await this.runDecoder(new Float32Array(this.k), 1); // warm-up: the first run allocates
      this.setStatus("live", d.notice);
      if (this.selection) this.request({ codes: this.selection.code, kind: "selection", t: performance.now() });
    } catch (error) {
      this.session = null;
      const reason = String(error && error.message ? error.message : error).split("\n")[0];
      this.setStatus("fallback", `Live preview off: the decoder could not run in this browser (${reason.split(". ")[0].slice(0, 100)}).`);
    }
  }

  setStatus(status, notice) {
    this.probe.status = status;
    this.probe.timeline[status] ??= performance.now();
    this.root.dataset.status = status;
    const line = this.el("notice");
    const text = status === "fallback" ? `${notice} Click a point to see it decoded.` : notice;
    line.hidden = !text;
    line.textContent = text || "";
    if (status !== "live") this.el("where").textContent = "Click the map to inspect a point.";
  }

  drawOrder() {
    // A fixed shuffle, so no class is always drawn on top of the others.
    const order = new Uint32Array(this.n);
    for (let i = 0; i < this.n; i++) order[i] = i;
    let seed = 12345;
    for (let i = this.n - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  }

  dataBounds() {
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < this.n; i++) {
      const x = this.coords[2 * i], y = this.coords[2 * i + 1];
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (this.data.background) { // the background's extent is part of the map too
      const [bx0, bx1, by0, by1] = this.data.background.extent;
      x0 = Math.min(x0, bx0); x1 = Math.max(x1, bx1); y0 = Math.min(y0, by0); y1 = Math.max(y1, by1);
    }
    const w = Math.max(x1 - x0, 1e-6), h = Math.max(y1 - y0, 1e-6);
    return { x0, x1, y0, y1, w, h };
  }

  rangesOfCodes() {
    // Per dimension [min, max] of the dataset's codes, widened a quarter: the sliders' range.
    const k = this.k, source = this.codes || (this.data.inverse.kind === "raw" ? this.coords : null);
    const ranges = [];
    for (let d = 0; d < k; d++) {
      let lo = Infinity, hi = -Infinity;
      if (source && this.n) {
        for (let i = 0; i < this.n; i++) { const v = source[i * k + d]; if (v < lo) lo = v; if (v > hi) hi = v; }
      } else { lo = -3; hi = 3; }
      const pad = (hi - lo) * OFF_MAP_MARGIN || 1;
      ranges.push([lo - pad, hi + pad]);
    }
    return ranges;
  }

  // --- the map: transform, drawing -------------------------------------------------------

  resize() {
    const rect = this.map.getBoundingClientRect();
    if (rect.width < 10) return;
    this.dpr = window.devicePixelRatio || 1;
    this.width = rect.width; this.height = rect.height;
    for (const canvas of Object.values(this.canvases)) {
      canvas.width = Math.round(rect.width * this.dpr);
      canvas.height = Math.round(rect.height * this.dpr);
    }
    if (!this.view) this.fit();
    this.redraw();
  }

  fit() {
    const b = this.bounds, pad = 0.04;
    const sx = this.width / (b.w * (1 + 2 * pad)), sy = this.height / (b.h * (1 + 2 * pad));
    this.view = { x0: b.x0 - b.w * pad, y1: b.y1 + b.h * pad, sx, sy };
  }

  toPixel(x, y) { // data -> css px inside the map
    const v = this.view;
    return [(x - v.x0) * v.sx, (v.y1 - y) * v.sy];
  }

  toData(px, py) {
    const v = this.view;
    return [v.x0 + px / v.sx, v.y1 - py / v.sy];
  }

  redraw() {
    this.drawBackground();
    this.drawPoints();
    this.drawOverlay();
  }

  scheduleRedraw() { // wheel and pan events come faster than frames: one redraw per frame
    if (this.redrawQueued) return;
    this.redrawQueued = true;
    requestAnimationFrame(() => { this.redrawQueued = false; this.redraw(); });
  }

  drawBackground() {
    const canvas = this.canvases.background, ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!this.backdrop || !this.view) return;
    const [x0, x1, y0, y1] = this.data.background.extent;
    const [px0, py0] = this.toPixel(x0, y1), [px1, py1] = this.toPixel(x1, y0);
    ctx.imageSmoothingEnabled = false;
    ctx.globalAlpha = this.data.background.opacity ?? 0.45;
    ctx.drawImage(this.backdrop, px0 * this.dpr, py0 * this.dpr, (px1 - px0) * this.dpr, (py1 - py0) * this.dpr);
  }

  drawPoints() {
    // Points straight into an ImageData: a (2r+1)^2 square per point, no path per point.
    const t0 = performance.now();
    const canvas = this.canvases.points, w = canvas.width, h = canvas.height;
    if (!this.pointsImage || this.pointsImage.width !== w || this.pointsImage.height !== h) {
      this.pointsImage = new ImageData(w, h); // reused: a new one per redraw is GC work
    }
    const image = this.pointsImage, pixels = new Uint32Array(image.data.buffer);
    pixels.fill(0);
    const colors = CLASS_COLORS.map(packColor), v = this.view, s = this.dpr;
    const r = Math.max(1, Math.round(1.3 * s));
    for (let o = 0; o < this.n; o++) {
      const i = this.order[o], label = this.labels[i];
      if (this.hidden.has(label)) continue;
      const cx = Math.round((this.coords[2 * i] - v.x0) * v.sx * s);
      const cy = Math.round((v.y1 - this.coords[2 * i + 1]) * v.sy * s);
      if (cx < -r || cy < -r || cx >= w + r || cy >= h + r) continue;
      const color = colors[label % 10];
      for (let y = Math.max(0, cy - r); y <= Math.min(h - 1, cy + r); y++) {
        const row = y * w;
        for (let x = Math.max(0, cx - r); x <= Math.min(w - 1, cx + r); x++) pixels[row + x] = color;
      }
    }
    canvas.getContext("2d").putImageData(image, 0, 0);
    this.probe.lastPointsDrawMs = performance.now() - t0;
    this.probe.timeline.mapDrawn ??= performance.now();
  }

  drawOverlay() {
    if (!this.view) return; // not sized yet (a selection given at mount): resize() draws it
    const canvas = this.canvases.overlay, ctx = canvas.getContext("2d"), s = this.dpr;
    ctx.setTransform(s, 0, 0, s, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    const ring = (x, y, radius, color, width) => {
      ctx.beginPath(); ctx.arc(x, y, radius, 0, 2 * Math.PI);
      ctx.strokeStyle = color; ctx.lineWidth = width; ctx.stroke();
    };
    for (const mark of this.data.overlays || []) this.drawMark(ctx, mark);
    if (this.selection) {
      const [x, y] = this.selection.index != null ? this.pointXY(this.selection.index) : this.selection.point;
      const [px, py] = this.toPixel(x, y);
      ring(px, py, 7, "black", 2.5);
    }
    if (this.drag && this.drag.moved && this.drag.from != null && this.hover) {
      const [ax, ay] = this.toPixel(...this.pointXY(this.drag.from));
      ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(this.hover.px, this.hover.py);
      ctx.strokeStyle = "black"; ctx.lineWidth = 2; ctx.setLineDash([5, 4]); ctx.stroke(); ctx.setLineDash([]);
    }
    if (this.hover && this.hover.index != null) {
      const [px, py] = this.toPixel(...this.pointXY(this.hover.index));
      ring(px, py, 5, "black", 1.5);
    }
  }

  drawMark(ctx, mark) {
    // The page's overlays (ui/explorer.py overlay): a path, open rings or stars at map points.
    const pixels = mark.points.map(([x, y]) => this.toPixel(x, y));
    ctx.strokeStyle = ctx.fillStyle = mark.color;
    if (mark.kind === "path") {
      ctx.beginPath();
      pixels.forEach(([px, py], i) => (i ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
      ctx.lineWidth = 2; ctx.stroke();
    }
    for (const [px, py] of pixels) {
      ctx.beginPath();
      if (mark.kind === "star") {
        for (let j = 0; j < 10; j++) {
          const r = j % 2 ? 3.5 : 8, a = Math.PI * (j / 5 - 0.5);
          ctx.lineTo(px + r * Math.cos(a), py + r * Math.sin(a));
        }
        ctx.closePath(); ctx.fill(); ctx.lineWidth = 0.8; ctx.strokeStyle = "white"; ctx.stroke();
        ctx.strokeStyle = mark.color;
      } else if (mark.radius) { // a page's own point (a labelled ring): white halo, then colour
        ctx.arc(px, py, mark.radius, 0, 2 * Math.PI);
        ctx.lineWidth = 4.5; ctx.strokeStyle = "white"; ctx.stroke();
        ctx.lineWidth = 2.5; ctx.strokeStyle = mark.color; ctx.stroke();
      } else {
        ctx.arc(px, py, mark.kind === "path" ? 3 : 3.5, 0, 2 * Math.PI);
        ctx.lineWidth = 1;
        if (mark.kind === "path") ctx.fill(); else ctx.stroke();
      }
    }
  }

  pointXY(i) { return [this.coords[2 * i], this.coords[2 * i + 1]]; }

  nearestVisible(px, py) {
    // Brute force over N points: ~0.1-0.3 ms for 60,000 (bench/explorer.py), no index to keep.
    const v = this.view;
    let best = -1, bestD = HIT_RADIUS * HIT_RADIUS;
    for (let i = 0; i < this.n; i++) {
      if (this.hidden.has(this.labels[i])) continue;
      const dx = (this.coords[2 * i] - v.x0) * v.sx - px, dy = (v.y1 - this.coords[2 * i + 1]) * v.sy - py;
      const d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best < 0 ? null : best;
  }

  // --- map point -> latent code ----------------------------------------------------------

  codeOf(i) { // a dataset point's own code (its reconstruction's input)
    if (this.codes) return this.codes.subarray(i * this.k, (i + 1) * this.k);
    return this.data.inverse.kind === "raw" ? this.coords.subarray(2 * i, 2 * i + 2) : null;
  }

  offMap(x, y) {
    const b = this.bounds, mx = b.w * OFF_MAP_MARGIN, my = b.h * OFF_MAP_MARGIN;
    return !(x >= b.x0 - mx && x <= b.x1 + mx && y >= b.y0 - my && y <= b.y1 + my);
  }

  inverse(x, y) {
    // The page's rule (core/projection.py Projection.inverse): raw is the point itself, PCA is
    // mean + p . components, t-SNE is the inverse-distance-weighted mean of the nearest codes.
    const rule = this.data.inverse, k = this.k;
    if (rule.kind === "raw") return Float32Array.of(x, y);
    if (rule.kind === "pca") {
      const z = new Float32Array(k), [c0, c1] = rule.components;
      for (let d = 0; d < k; d++) z[d] = rule.mean[d] + x * c0[d] + y * c1[d];
      return z;
    }
    const m = Math.min(rule.neighbours, this.n), idx = new Int32Array(m).fill(-1), dist = new Float64Array(m).fill(Infinity);
    for (let i = 0; i < this.n; i++) { // keep the m nearest, sorted, by insertion
      const dx = this.coords[2 * i] - x, dy = this.coords[2 * i + 1] - y, d = dx * dx + dy * dy;
      if (d >= dist[m - 1]) continue;
      let j = m - 1;
      while (j > 0 && dist[j - 1] > d) { dist[j] = dist[j - 1]; idx[j] = idx[j - 1]; j--; }
      dist[j] = d; idx[j] = i;
    }
    const z = new Float64Array(k);
    let total = 0;
    for (let j = 0; j < m; j++) {
      const w = 1 / Math.max(Math.sqrt(dist[j]), 1e-9);
      total += w;
      for (let d = 0; d < k; d++) z[d] += w * this.codes[idx[j] * k + d];
    }
    return Float32Array.from(z, (v) => v / total);
  }

  // --- decoding --------------------------------------------------------------------------

  async runDecoder(codes, n) {
    const { ort, session } = this.session;
    const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", codes, [n, this.k]) };
    const out = await session.run(feeds);
    return out[session.outputNames[0]].data; // Float32Array [n * 784] in [0, 1]
  }

  request(job) {
    // job: {codes: Float32Array [n*k], n, kind, t: event time, strip?: bool}
    if (!this.session) return;
    for (const v of job.codes) if (!Number.isFinite(v)) return; // never decode a non-finite code
    this.pending = job;
    if (!this.busy) this.pump();
  }

  async pump() {
    this.busy = true;
    while (this.pending) {
      const job = this.pending;
      this.pending = null;
      const start = performance.now();
      let image;
      try {
        image = await this.runDecoder(job.codes, job.n || 1);
      } catch (error) {
        this.setStatus("fallback", `Live preview stopped: ${String(error.message || error).slice(0, 160)}.`);
        this.session = null;
        break;
      }
      if (job.strip) this.drawStrip(image, job.n); else this.drawDigit(this.el("decoded"), image, 0);
      const drawn = performance.now();
      const record = { kind: job.kind, event: job.t, start, decoded: drawn, frame: null };
      if (!job.strip) this.probe.last = { code: Array.from(job.codes), image: Array.from(image) };
      requestAnimationFrame(() => { record.frame = performance.now(); });
      this.probe.stats.push(record);
      if (this.probe.stats.length > STATS_KEPT) this.probe.stats.shift();
    }
    this.busy = false;
  }

  drawDigit(canvas, values, offset) {
    const ctx = canvas.getContext("2d"), image = ctx.createImageData(28, 28), px = image.data;
    for (let p = 0; p < 784; p++) {
      const g = Math.round(Math.min(1, Math.max(0, values[offset + p])) * 255);
      px[4 * p] = px[4 * p + 1] = px[4 * p + 2] = g; px[4 * p + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  }

  drawStrip(values, n) {
    const strip = this.el("strip"), ctx = strip.getContext("2d");
    strip.hidden = false;
    strip.width = 28 * n;
    const image = ctx.createImageData(28 * n, 28), px = image.data;
    for (let s = 0; s < n; s++) {
      for (let p = 0; p < 784; p++) {
        const g = Math.round(Math.min(1, Math.max(0, values[s * 784 + p])) * 255);
        const q = 4 * ((p / 28 | 0) * 28 * n + s * 28 + (p % 28));
        px[q] = px[q + 1] = px[q + 2] = g; px[q + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
  }

  showOriginal(index) {
    const box = this.el("original-box");
    box.hidden = index == null || !this.atlas;
    if (box.hidden) return;
    const cols = this.data.sprite_columns, ctx = this.el("original").getContext("2d");
    ctx.drawImage(this.atlas, (index % cols) * 28, Math.floor(index / cols) * 28, 28, 28, 0, 0, 28, 28);
  }

  describe(code, text, approx) {
    const where = this.el("where");
    where.textContent = text;
    where.classList.toggle("approx", !!approx);
    this.el("code").textContent = code ? `z = ${formatCode(code)}` : "";
  }

  // --- pointer, wheel, legend, sliders ---------------------------------------------------

  listen() {
    const on = (target, type, fn, opts) => {
      target.addEventListener(type, fn, opts);
      this.listeners.push(() => target.removeEventListener(type, fn, opts));
    };
    const local = (e) => { const r = this.map.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
    on(this.map, "pointermove", (e) => this.onMove(e, ...local(e)));
    on(this.map, "pointerdown", (e) => {
      if (!this.view || e.button !== 0) return;
      const [px, py] = local(e);
      this.map.setPointerCapture(e.pointerId);
      this.drag = { from: this.nearestVisible(px, py), px, py, moved: false, view: { ...this.view } };
    });
    on(this.map, "pointerup", (e) => this.onUp(e, ...local(e)));
    on(this.map, "pointerleave", () => this.onLeave());
    on(this.map, "dblclick", () => { this.fit(); this.redraw(); });
    on(this.map, "wheel", (e) => {
      if (!this.view) return;
      e.preventDefault();
      const [px, py] = local(e), [x, y] = this.toData(px, py), f = Math.exp(-e.deltaY * 0.0015);
      this.view.sx *= f; this.view.sy *= f;
      this.view.x0 = x - px / this.view.sx; this.view.y1 = y + py / this.view.sy;
      this.scheduleRedraw();
    }, { passive: false });
  }

  onMove(e, px, py) {
    if (!this.view) return;
    const t0 = performance.now();
    this.handle(e, px, py);
    this.probe.lastMoveMs = performance.now() - t0; // hit test + inverse + overlay, no decode
  }

  handle(e, px, py) {
    const drag = this.drag;
    if (drag && !drag.moved && Math.hypot(px - drag.px, py - drag.py) > DRAG_THRESHOLD) drag.moved = true;
    if (drag && drag.moved && drag.from == null) { // pan
      this.view.x0 = drag.view.x0 - (px - drag.px) / this.view.sx;
      this.view.y1 = drag.view.y1 + (py - drag.py) / this.view.sy;
      this.scheduleRedraw();
      return;
    }
    const [x, y] = this.toData(px, py), index = this.nearestVisible(px, py);
    this.hover = { px, py, x, y, index };
    this.drawOverlay();
    const tip = this.el("tip");
    tip.hidden = index == null;
    if (index != null) {
      tip.textContent = `#${index} · ${this.data.class_names[this.labels[index]]}`;
      tip.style.left = `${px + 12}px`; tip.style.top = `${py + 10}px`;
    }
    const t = e.timeStamp;
    if (drag && drag.moved) return this.previewPath(drag.from, index, x, y, t);
    this.showOriginal(index);
    if (index != null && this.codeOf(index)) {
      const code = this.codeOf(index);
      this.el("decoded-caption").textContent = "reconstruction";
      this.describe(code, `#${index} · label ${this.data.class_names[this.labels[index]]}`, false);
      return this.request({ codes: code, kind: "point", t });
    }
    this.el("decoded-caption").textContent = "decoded g(z)";
    if (this.offMap(x, y)) return this.describe(null, "Off the map: nothing decoded here.", false);
    const code = this.inverse(x, y), approx = this.data.inverse.kind === "tsne";
    this.describe(code, approx ? `(${x.toFixed(2)}, ${y.toFixed(2)}) · approximate: t-SNE has no inverse`
      : `(${x.toFixed(2)}, ${y.toFixed(2)})`, approx);
    this.request({ codes: code, kind: "space", t });
  }

  previewPath(from, to, x, y, t) {
    // Decode STRIP_STEPS codes from point `from` to the pointer (or to point `to`) in one batch.
    if (from == null || !this.codeOf(from)) return;
    const a = this.codeOf(from), b = to != null && this.codeOf(to) ? this.codeOf(to) : (this.offMap(x, y) ? null : this.inverse(x, y));
    if (!b) return;
    const k = this.k, codes = new Float32Array(STRIP_STEPS * k);
    for (let s = 0; s < STRIP_STEPS; s++) {
      const w = s / (STRIP_STEPS - 1);
      for (let d = 0; d < k; d++) codes[s * k + d] = (1 - w) * a[d] + w * b[d];
    }
    this.showOriginal(to); // the digit the path ends on, if any; the strip shows the path
    this.describe(null, to != null ? `path #${from} → #${to}: release to interpolate` : `path from #${from}`, false);
    this.request({ codes, n: STRIP_STEPS, kind: "path", t, strip: true });
  }

  onUp(e, px, py) {
    const drag = this.drag;
    this.drag = null;
    if (!drag || !this.view) return;
    if (drag.moved) {
      const to = this.nearestVisible(px, py);
      if (drag.from != null && to != null && to !== drag.from) this.send("pair", { from: drag.from, to });
      this.drawOverlay();
      return;
    }
    const index = this.nearestVisible(px, py), [x, y] = this.toData(px, py);
    const code = index != null ? this.codeOf(index) : (this.offMap(x, y) ? null : this.inverse(x, y));
    this.select(index, index == null ? [x, y] : null, code);
    this.send("click", {
      index, point: index != null ? this.pointXY(index) : [x, y], code: code ? Array.from(code) : null,
    });
  }

  onLeave() {
    this.hover = null;
    this.el("tip").hidden = true;
    this.drawOverlay();
    if (this.selection && this.selection.code) {
      this.request({ codes: this.selection.code, kind: "selection", t: performance.now() });
      this.describe(this.selection.code, "selected", false);
    }
  }

  select(index, point, code) {
    code = code || (index != null ? this.codeOf(index) : null);
    this.selection = { index, point, code: code ? Float32Array.from(code) : null };
    this.drawOverlay();
    this.buildSliders();
  }

  buildSliders() {
    const box = this.el("sliders");
    box.replaceChildren();
    const code = this.selection && this.selection.code;
    if (!code) return;
    for (let d = 0; d < Math.min(this.k, MAX_SLIDERS); d++) {
      const [lo, hi] = this.sliderRanges[d];
      const label = document.createElement("span"), input = document.createElement("input"), value = document.createElement("span");
      label.textContent = `z${d + 1}`;
      Object.assign(input, { type: "range", min: lo, max: hi, step: (hi - lo) / 400, value: code[d] });
      input.dataset.dim = d;
      value.textContent = code[d].toFixed(2);
      input.addEventListener("input", (e) => {
        code[d] = Number(input.value);
        value.textContent = code[d].toFixed(2);
        this.el("decoded-caption").textContent = "decoded g(z)";
        this.showOriginal(null);
        this.describe(code, "selected code, edited", false);
        this.request({ codes: Float32Array.from(code), kind: "slider", t: e.timeStamp });
      });
      box.append(label, input, value);
    }
  }

  buildLegend() {
    const legend = this.el("legend");
    legend.replaceChildren();
    this.data.class_names.forEach((name, c) => {
      const button = document.createElement("button");
      button.innerHTML = `<i style="background:${CLASS_COLORS[c % 10]}"></i>`;
      button.append(name);
      button.dataset.class = c;
      button.addEventListener("click", () => {
        if (this.hidden.has(c)) this.hidden.delete(c); else this.hidden.add(c);
        button.classList.toggle("off", this.hidden.has(c));
        if (this.view) this.drawPoints();
      });
      legend.append(button);
    });
    for (const mark of (this.data.overlays || []).filter((m) => m.label)) { // a key, no toggle
      const key = document.createElement("span");
      key.className = "lx-mark";
      key.innerHTML = `<i style="border-color:${mark.color}"></i>`;
      key.append(mark.label);
      legend.append(key);
    }
  }

  destroy() {
    this.resizer.disconnect();
    for (const off of this.listeners) off();
    if (window.latentExplorer[this.data.key] === this.probe) delete window.latentExplorer[this.data.key];
  }
}

// --- sliders-only mode (ui/explorer.py code_sliders) -------------------------------------
// No map: one code (data.code, k numbers), one slider per dimension (the first MAX_SLIDERS),
// decoded as a slider moves, and a reset to the starting code. The decode loop, the digit
// drawing, the code's numbers and the sliders themselves are the explorer's (borrowed below,
// not copied), so a slider behaves the same here and beside a map.

class CodeSliders {
  constructor(root, data) {
    this.root = root;
    this.data = data;
    this.k = data.latent_dim;
    this.session = null;
    this.pending = null;
    this.busy = false;
    this.sliderRanges = data.ranges; // [[lo, hi], ...] per shown dimension
    this.probe = { stats: [], last: null, status: "loading", explorer: this, timeline: {} };
    window.latentExplorer[data.key] = this.probe;
    this.el = (name) => root.querySelector(`.lx-${name}`);
    root.dataset.mode = "sliders";
    this.el("decoded-caption").textContent = "decoded g(z)";
    const reset = document.createElement("button");
    Object.assign(reset, { className: "lx-reset", type: "button", textContent: "reset" });
    reset.addEventListener("click", () => this.reset());
    this.el("digits").append(reset);
    this.reset();
    this.load();
  }

  reset() { // back to the code Python sent: sliders, numbers and digit
    this.selection = { index: null, point: null, code: Float32Array.from(this.data.code) };
    this.buildSliders();
    this.describe(this.selection.code, this.data.caption || "the starting code", false);
    this.request({ codes: Float32Array.from(this.selection.code), kind: "reset", t: performance.now() });
  }

  async load() {
    const d = this.data;
    if (!d.decoder_url) return this.setStatus("fallback", d.notice || "No decoder for this model.");
    try {
      this.session = await loadSession(d.runtime_url, d.decoder_url);
      this.setStatus("live", d.notice);
      this.request({ codes: Float32Array.from(this.selection.code), kind: "selection", t: performance.now() });
    } catch (error) {
      this.session = null;
      const reason = String(error && error.message ? error.message : error).split("\n")[0];
      this.setStatus("fallback", `Live preview off: the decoder could not run in this browser (${reason.slice(0, 160)}).`);
    }
  }

  setStatus(status, notice) { // the explorer's, with the fallback line saying what is lost here
    Explorer.prototype.setStatus.call(this, status, notice);
    if (status !== "fallback") return;
    this.el("notice").textContent = `${notice} The sliders need it; the pictures above come from the server.`;
    this.el("where").textContent = "";
    this.el("sliders").replaceChildren();
  }

  showOriginal() {} // a free code has no original digit

  destroy() {
    if (window.latentExplorer[this.data.key] === this.probe) delete window.latentExplorer[this.data.key];
  }
}
for (const name of ["runDecoder", "request", "pump", "drawDigit", "describe", "buildSliders"]) {
  CodeSliders.prototype[name] = Explorer.prototype[name];
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".lx");
  if (root.explorer) root.explorer.destroy(); // new data for the same element: start over
  root.explorer = data.mode === "sliders" ? new CodeSliders(root, data) : new Explorer(root, data, setTriggerValue);
  return () => root.explorer && root.explorer.destroy();
}
