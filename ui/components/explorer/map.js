// The explorer on one map (ui/explorer.py latent_explorer): hover decodes the code under the
// pointer, a click selects and tells Python, a drag from a point previews the path and tells
// Python on release, sliders edit the selected code. Messages to Python (trigger values):
//   click: {index: i | null, point: [x, y], code: [k numbers] | null}
//          a click without drag; index is the dataset index of the point under the pointer
//   pair:  {from: i, to: j}
//          a drag that starts on point i and is released on another point j

import { loadCodec } from "./codec.js";
import { STRIP_STEPS } from "./constants.js";
import { MapData } from "./mapdata.js";
import { listen, observeWidth } from "./interaction.js";
import * as panel from "./panel.js";
import { installProbe, markStatus, recordRun, removeProbe } from "./probes.js";
import { MapView } from "./renderer.js";
import { LatestQueue, fetchOnce, firstLine } from "./runtime.js";

export class Explorer {
  constructor(root, data, send) {
    this.root = root;
    this.data = data;
    this.send = send;
    this.k = data.latent_dim;
    this.codec = null; // codec.js loadCodec's, once the decoder is live
    this.queue = new LatestQueue((job) => this.decode(job), (error) => {
      this.codec = null;
      this.setStatus("fallback", `Live preview stopped: ${firstLine(error)}.`);
    });
    this.selection = null; // {index, point, code: Float32Array | null}
    this.hover = null; // {px, py, x, y, index}
    this.dragging = null; // {from} while dragging from a point
    this.probe = installProbe(data.key, this);
    this.map = panel.part(root, "map");
    this.offs = [];
    this.load();
  }

  // what tests read through the probe
  get busy() { return this.queue.busy; }
  get pending() { return this.queue.pending; }
  get n() { return this.points ? this.points.n : 0; }
  get width() { return this.view.width; }
  get height() { return this.view.height; }
  toPixel(x, y) { return this.view.toPixel(x, y); }
  toData(px, py) { return this.view.toData(px, py); }
  pointXY(i) { return this.points.pointXY(i); }

  async load() {
    const d = this.data;
    // The runtime and model (14 MB of WASM, the largest download) load while the arrays do.
    const spec = { kind: "onnx", latent_dim: this.k, decoder_url: d.decoder_url, encoder_url: null };
    const codec = d.decoder_url ? loadCodec(spec, d.runtime_url) : null;
    if (codec) codec.catch(() => {}); // handled below, after the map is drawn
    try {
      const [coords, labels, codes] = await Promise.all([
        fetchOnce(d.coords_url), fetchOnce(d.labels_url), d.codes_url ? fetchOnce(d.codes_url) : null,
      ]);
      this.points = new MapData(d, new Float32Array(coords), new Uint8Array(labels), codes ? new Float32Array(codes) : null);
    } catch (error) {
      return this.setStatus("error", `The map's data could not be loaded (${error.message}).`);
    }
    this.view = new MapView(this.map, this.points, d.class_colors, d.background, this.probe);
    panel.buildLegend(panel.part(this.root, "legend"), d.class_names, d.class_colors, d.overlays, (hidden) => {
      this.view.hidden = hidden;
      if (this.view.view) this.view.drawPoints();
    });
    if (d.sprites_url) fetchOnce(d.sprites_url, "image").then((atlas) => { this.atlas = atlas; });
    if (d.background) fetchOnce(d.background.url, "image").then((img) => { this.backdrop = img; this.redraw(); });
    this.offs.push(listen(this.map, this.view, this), observeWidth(this.map, () => this.maxHeight(), (w, h) => {
      this.view.size(w, h);
      this.redraw();
    }));
    if (d.selected != null && d.selected >= 0 && d.selected < this.n) this.select(d.selected, null);
    if (!d.decoder_url) return this.setStatus("fallback", d.notice || "No decoder for this model.");
    try {
      this.codec = await codec;
      this.setStatus("live", d.notice);
      if (this.selection && this.selection.code) this.request({ codes: this.selection.code, kind: "selection", t: performance.now() });
    } catch (error) {
      this.codec = null;
      this.setStatus("fallback", `Live preview off: the decoder could not run in this browser (${firstLine(error).split(". ")[0].slice(0, 100)}).`);
    }
  }

  maxHeight() { // large on a wide screen, never taller than most of the window
    return Math.max(this.data.height, 0.8 * window.innerHeight);
  }

  setStatus(status, notice) {
    markStatus(this.probe, status);
    panel.setStatus(this.root, status, notice);
  }

  redraw() {
    if (!this.view.view) return;
    this.view.drawBackground(this.backdrop);
    this.view.drawPoints();
    this.drawOverlay();
  }

  drawOverlay() {
    const s = this.selection, h = this.hover, drag = this.dragging;
    this.view.drawOverlay({
      marks: this.data.overlays,
      selected: s ? (s.index != null ? this.points.pointXY(s.index) : s.point) : null,
      hover: h ? h.index : null,
      dragLine: drag && h ? [this.points.pointXY(drag.from), [h.px, h.py]] : null,
    });
  }

  // --- the pointer (interaction.js calls these) ---------------------------------------------

  pointAt(px, py) { // hover state and the tooltip for the pointer at (px, py)
    const [x, y] = this.view.toData(px, py), index = this.view.nearestVisible(px, py);
    this.hover = { px, py, x, y, index };
    this.drawOverlay();
    const label = index == null ? null : `#${index} · ${this.data.class_names[this.points.labels[index]]}`;
    panel.placeTip(panel.part(this.root, "tip"), label, px, py);
    return this.hover;
  }

  move(px, py, e) {
    const t0 = performance.now();
    const { x, y, index } = this.pointAt(px, py), t = e.timeStamp;
    this.showOriginal(index);
    const caption = panel.part(this.root, "decoded-caption");
    const code = index != null ? this.points.codeOf(index) : null;
    if (code) {
      caption.textContent = "reconstruction";
      panel.describe(this.root, code, `#${index} · label ${this.data.class_names[this.points.labels[index]]}`, false);
      this.request({ codes: code, kind: "point", t });
    } else if (this.points.offMap(x, y)) {
      caption.textContent = "decoded g(z)";
      panel.describe(this.root, null, "Off the map: nothing decoded here.", false);
    } else {
      caption.textContent = "decoded g(z)";
      const approx = this.points.approximate, place = `(${x.toFixed(2)}, ${y.toFixed(2)})`;
      const z = this.points.inverse(x, y);
      panel.describe(this.root, z, approx ? `${place} · approximate: t-SNE has no inverse` : place, approx);
      this.request({ codes: z, kind: "space", t });
    }
    this.probe.lastMoveMs = performance.now() - t0; // hit test + inverse + overlay, no decode
  }

  drag(from, px, py, e) {
    // Decode STRIP_STEPS codes from point `from` to the pointer (or to the point under it).
    this.dragging = { from };
    const { x, y, index: to } = this.pointAt(px, py), a = this.points.codeOf(from);
    if (!a) return;
    const end = to != null ? this.points.codeOf(to) : null;
    const b = end || (this.points.offMap(x, y) ? null : this.points.inverse(x, y));
    if (!b) return;
    const k = this.k, codes = new Float32Array(STRIP_STEPS * k);
    for (let s = 0; s < STRIP_STEPS; s++) {
      const w = s / (STRIP_STEPS - 1);
      for (let d = 0; d < k; d++) codes[s * k + d] = (1 - w) * a[d] + w * b[d];
    }
    this.showOriginal(to); // the digit the path ends on, if any; the strip shows the path
    panel.describe(this.root, null, to != null ? `path #${from} → #${to}: release to interpolate` : `path from #${from}`, false);
    this.request({ codes, n: STRIP_STEPS, kind: "path", t: e.timeStamp, strip: true });
  }

  drop(from, px, py) {
    this.dragging = null;
    const to = this.view.nearestVisible(px, py);
    if (to != null && to !== from) this.send("pair", { from, to });
    this.drawOverlay();
  }

  click(px, py) {
    const index = this.view.nearestVisible(px, py), [x, y] = this.view.toData(px, py);
    const code = index != null ? this.points.codeOf(index) : (this.points.offMap(x, y) ? null : this.points.inverse(x, y));
    this.select(index, index == null ? [x, y] : null, code);
    this.send("click", {
      index, point: index != null ? this.points.pointXY(index) : [x, y], code: code ? Array.from(code) : null,
    });
  }

  leave() {
    this.hover = null;
    panel.placeTip(panel.part(this.root, "tip"), null);
    this.drawOverlay();
    if (this.selection && this.selection.code) {
      this.request({ codes: this.selection.code, kind: "selection", t: performance.now() });
      panel.describe(this.root, this.selection.code, "selected", false);
    }
  }

  select(index, point, code) {
    code = code || (index != null ? this.points.codeOf(index) : null);
    this.selection = { index, point, code: code ? Float32Array.from(code) : null };
    if (this.view.view) this.drawOverlay();
    const ranges = this.points.ranges().slice(0, this.data.max_sliders);
    panel.buildSliders(panel.part(this.root, "sliders"), this.selection.code, ranges, (e) => {
      panel.part(this.root, "decoded-caption").textContent = "decoded g(z)";
      this.showOriginal(null);
      panel.describe(this.root, this.selection.code, "selected code, edited", false);
      this.request({ codes: Float32Array.from(this.selection.code), kind: "slider", t: e.timeStamp });
    });
  }

  showOriginal(index) {
    const box = panel.part(this.root, "original-box");
    box.hidden = index == null || !this.atlas;
    if (!box.hidden) panel.drawSprite(panel.part(this.root, "original"), this.atlas, this.data.sprite_columns, index);
  }

  // --- decoding -----------------------------------------------------------------------------

  request(job) {
    // job: {codes: Float32Array [n*k], n, kind, t: event time, strip?: bool}
    if (!this.codec) return;
    for (const v of job.codes) if (!Number.isFinite(v)) return; // never decode a non-finite code
    this.queue.push(job);
  }

  async decode(job) {
    const start = performance.now(), n = job.n || 1;
    const image = await this.codec.decode(job.codes, n); // [n * 784] in [0, 1]
    if (job.strip) panel.drawStrip(panel.part(this.root, "strip"), image, n);
    else panel.drawDigit(panel.part(this.root, "decoded"), image);
    const record = { kind: job.kind, event: job.t, start, decoded: performance.now(), frame: null };
    recordRun(this.probe, record, job.strip ? null : () => ({ code: Array.from(job.codes), image: Array.from(image) }));
  }

  destroy() {
    this.offs.forEach((off) => off());
    removeProbe(this.data.key, this.probe);
  }
}
