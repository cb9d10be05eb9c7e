// Twin maps (ui/explorer.py twin_maps): two models' maps of the same digits, side by side and
// linked, each model decoding (and encoding) in the browser.
//   Over a digit in either map: it is ringed in both, and both models' reconstructions are
//   shown beside the original.
//   Over empty space in one map (say A): A decodes the place, g_A(z); B encodes that picture,
//   z_B = f_B(g_A(z)), and B's map marks where z_B lands, beside B's picture g_B(z_B): what B
//   makes of what A draws.
// Nothing is sent while hovering. The message to Python (a trigger value):
//   click: {side: 0 | 1, index: i | null, point: [x, y] on that side's map, code: [k] | null}

import { loadCodec } from "./codec.js";
import { PIXELS } from "./constants.js";
import { listen, observeWidth } from "./interaction.js";
import { MapData } from "./mapdata.js";
import * as panel from "./panel.js";
import { installProbe, markStatus, recordRun, removeProbe } from "./probes.js";
import { MapView } from "./renderer.js";
import { LatestQueue, fetchOnce, firstLine } from "./runtime.js";

// A pointer move changes both maps and the pictures below them, so the screen's damaged box
// spans all three: every write per move keeps the layout as it is (no background canvas, fixed
// text boxes, visibility instead of display, the tooltip moved by a transform) and all of them
// happen in one animation frame (paint).
const COLUMN = `<div class="lx-heading"><b class="lx-title"></b><div class="lx-subtitle"></div></div>
  <div class="lx-map"><canvas class="lx-points"></canvas>
  <canvas class="lx-overlay"></canvas><div class="lx-tip"></div></div>`;
const PREVIEWS = `<figure class="lx-original-box"><canvas class="lx-original" width="28" height="28"></canvas>
  <figcaption>original</figcaption></figure>
  <figure><canvas class="lx-picture" width="28" height="28"></canvas><figcaption></figcaption></figure>
  <figure><canvas class="lx-picture" width="28" height="28"></canvas><figcaption></figcaption></figure>
  <div class="lx-where">Point at either map.</div>`;

export class TwinMaps {
  constructor(root, data, send) {
    this.root = root;
    this.data = data;
    this.send = send;
    this.probe = installProbe(data.key, this);
    this.queue = new LatestQueue((job) => this.run(job), (error) => {
      this.sides.forEach((side) => { side.codec = null; });
      this.setStatus("fallback", `Live preview stopped: ${firstLine(error)}.`);
    });
    this.hover = null; // {side, index, x, y, px, py}
    this.landed = null; // {side, place: [x, y]}: where the other model's picture lands
    this.selection = null; // {side, index, point}
    this.text = { where: "Point at either map.", captions: data.sides.map((s) => s.short) }; // to show
    this.frame = null; // the animation frame that paints, once requested
    root.dataset.mode = "twin";
    const twin = document.createElement("div"), previews = document.createElement("div");
    twin.className = "lx-twin"; previews.className = "lx-previews";
    this.sides = data.sides.map((spec) => {
      const column = document.createElement("div");
      column.className = "lx-column";
      column.innerHTML = COLUMN;
      panel.part(column, "title").textContent = spec.title;
      panel.part(column, "subtitle").textContent = spec.subtitle || "";
      twin.append(column);
      return { spec, column, box: panel.part(column, "map"), codec: null };
    });
    previews.innerHTML = PREVIEWS;
    this.pictures = [...previews.querySelectorAll(".lx-picture")];
    this.captions = [...previews.querySelectorAll("figure:not(.lx-original-box) figcaption")];
    this.captions.forEach((caption, s) => { caption.textContent = data.sides[s].short; });
    panel.part(root, "notice").before(twin, previews);
    this.previews = previews;
    this.offs = [];
    this.load();
  }

  get busy() { return this.queue.busy; }
  get pending() { return this.queue.pending; }

  async load() {
    const d = this.data;
    // Both models load while the arrays do; the maps are drawn before they are live.
    const codecs = this.sides.map(({ spec }) => loadCodec(spec.codec, d.runtime_url));
    codecs.forEach((c) => c.catch(() => {}));
    try {
      const labels = new Uint8Array(await fetchOnce(d.sides[0].labels_url));
      for (const side of this.sides) {
        const s = side.spec;
        const [coords, codes] = await Promise.all([fetchOnce(s.coords_url), s.codes_url ? fetchOnce(s.codes_url) : null]);
        const data = { ...d, inverse: s.inverse, latent_dim: s.latent_dim, background: null };
        side.points = new MapData(data, new Float32Array(coords), labels, codes ? new Float32Array(codes) : null);
        side.view = new MapView(side.box, side.points, d.class_colors, null, this.probe);
      }
    } catch (error) {
      return this.setStatus("error", `The maps' data could not be loaded (${error.message}).`);
    }
    this.labels = this.sides[0].points.labels;
    panel.buildLegend(panel.part(this.root, "legend"), d.class_names, d.class_colors, [], (hidden) => {
      for (const side of this.sides) { side.view.hidden = hidden; if (side.view.view) side.view.drawPoints(); }
    });
    if (d.sides[0].sprites_url) fetchOnce(d.sides[0].sprites_url, "image").then((atlas) => { this.atlas = atlas; });
    this.sides.forEach((side, s) => {
      const on = {
        move: (px, py, e) => this.move(s, px, py, e),
        leave: () => this.leave(),
        click: (px, py) => this.click(s, px, py),
        redraw: () => this.redraw(side),
      };
      this.offs.push(listen(side.box, side.view, on), observeWidth(side.box, () => 0.75 * window.innerHeight, (w, h) => {
        side.view.size(w, h);
        this.redraw(side);
      }));
    });
    if (d.selected != null && d.selected >= 0 && d.selected < this.labels.length) {
      this.selection = { side: 0, index: d.selected, point: null };
    }
    try {
      const loaded = await Promise.all(codecs);
      this.sides.forEach((side, s) => { side.codec = loaded[s]; });
      this.setStatus("live", this.sides.map((side) => side.spec.notice).filter(Boolean).join(" ") || null);
    } catch (error) {
      this.setStatus("fallback", `Live preview off: a model could not run in this browser (${firstLine(error).slice(0, 100)}).`);
    }
  }

  setStatus(status, notice) {
    markStatus(this.probe, status);
    panel.setStatus(this.root, status, notice, "Click a point to select it.");
  }

  redraw(side) {
    if (!side.view.view) return;
    side.view.drawPoints();
    this.drawOverlay(side);
  }

  drawOverlay(side) {
    const s = this.sides.indexOf(side), h = this.hover, sel = this.selection;
    let selected = null;
    if (sel && sel.index != null) selected = side.points.pointXY(sel.index);
    else if (sel && sel.side === s) selected = sel.point;
    side.view.drawOverlay({
      selected,
      hover: h && h.side === s ? h.index : null,
      linked: h && h.side !== s ? h.index : null,
      landed: this.landed && this.landed.side === s ? this.landed.place : null,
    });
  }

  drawOverlays() { this.sides.forEach((side) => side.view && side.view.view && this.drawOverlay(side)); }

  // --- the pointer --------------------------------------------------------------------------

  move(s, px, py, e) {
    const t0 = performance.now(), side = this.sides[s], t = e.timeStamp;
    const [x, y] = side.view.toData(px, py), index = side.view.nearestVisible(px, py);
    this.hover = { side: s, index, x, y, px, py };
    if (index != null || side.points.offMap(x, y)) this.landed = null; // a new star comes with a run
    if (index != null) {
      this.text.where = `#${index} · label ${this.data.class_names[this.labels[index]]}`;
      this.request({ kind: "point", index, t });
    } else if (side.points.offMap(x, y)) {
      this.text.where = "Off the map: nothing decoded here.";
    } else {
      const approx = side.points.approximate ? " · approximate: t-SNE has no inverse" : "";
      this.text.where = `${side.spec.short} at (${x.toFixed(2)}, ${y.toFixed(2)})${approx}; the star: where ${this.sides[1 - s].spec.short} puts its picture`;
      this.request({ kind: "space", side: s, code: side.points.inverse(x, y), t });
    }
    this.paint();
    this.probe.lastMoveMs = performance.now() - t0; // hit test + inverse, no model, no drawing
  }

  leave() {
    this.hover = null;
    this.landed = null;
    this.paint();
  }

  click(s, px, py) {
    const side = this.sides[s], index = side.view.nearestVisible(px, py), [x, y] = side.view.toData(px, py);
    const code = index != null ? side.points.codeOf(index) : (side.points.offMap(x, y) ? null : side.points.inverse(x, y));
    this.selection = { side: s, index, point: index == null ? [x, y] : null };
    this.drawOverlays();
    this.send("click", {
      side: s, index, point: index != null ? side.points.pointXY(index) : [x, y], code: code ? Array.from(code) : null,
    });
  }

  paint() {
    // Everything a move or a model run changed, drawn in the next animation frame, once: the
    // tooltip, the original digit, both maps' rings and star, the line and the captions.
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      const h = this.hover, index = h ? h.index : null;
      this.sides.forEach((side, s) => {
        const label = h && h.side === s && index != null ? `#${index} · ${this.data.class_names[this.labels[index]]}` : null;
        panel.placeTip(panel.part(side.column, "tip"), label, h && h.px, h && h.py);
      });
      const box = this.previews.querySelector(".lx-original-box"), shown = index != null && !!this.atlas;
      box.style.visibility = shown ? "visible" : "hidden"; // its place kept: nothing moves
      if (shown) panel.drawSprite(panel.part(this.previews, "original"), this.atlas, this.data.sides[0].sprite_columns, index);
      this.drawOverlays();
      panel.setText(panel.part(this.previews, "where"), this.text.where);
      this.text.captions.forEach((text, s) => panel.setText(this.captions[s], text));
    });
  }

  // --- the models ---------------------------------------------------------------------------

  request(job) {
    // job: {kind: "point", index} | {kind: "space", side, code: Float32Array [k]}; t: event time
    if (this.sides.some((side) => !side.codec)) return;
    if (job.code) for (const v of job.code) if (!Number.isFinite(v)) return;
    this.queue.push(job);
  }

  async run(job) {
    const start = performance.now();
    let images, landed = null, captions;
    if (job.kind === "point") { // both reconstructions of one digit
      images = await Promise.all(this.sides.map((side) => side.codec.decode(side.points.codeOf(job.index), 1)));
      captions = this.sides.map((side) => `${side.spec.short}: reconstruction`);
    } else { // g_A(z), then B's encoding of it and B's picture of that
      const a = this.sides[job.side], b = this.sides[1 - job.side];
      const drawn = await a.codec.decode(job.code, 1);
      const picture = drawn.slice(0, PIXELS).map((v) => Math.min(1, Math.max(0, v))); // as shown
      const zb = await b.codec.encode(picture, 1);
      const redrawn = await b.codec.decode(zb, 1);
      landed = { side: 1 - job.side, place: b.points.project(zb), code: Array.from(zb) };
      images = job.side === 0 ? [drawn, redrawn] : [redrawn, drawn];
      captions = [0, 1].map((s) => (s === job.side ? `${a.spec.short} decodes the place`
        : `${b.spec.short}'s reading of it`));
    }
    images.forEach((image, s) => panel.drawDigit(this.pictures[s], image));
    this.text.captions = captions;
    const hovering = this.hover && (job.kind === "point" ? this.hover.index === job.index : this.hover.index == null);
    this.landed = hovering ? landed : null;
    this.paint();
    const record = { kind: job.kind, event: job.t, start, decoded: performance.now(), frame: null };
    recordRun(this.probe, record, () => ({
      kind: job.kind, side: job.side ?? null, index: job.index ?? null, landed,
      code: job.code ? Array.from(job.code) : null, // the hovered place's code on side `side`
      images: images.map((image) => Array.from(image)),
    }));
  }

  destroy() {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.offs.forEach((off) => off());
    removeProbe(this.data.key, this.probe);
    this.root.querySelectorAll(".lx-twin, .lx-previews").forEach((el) => el.remove());
    delete this.root.dataset.mode;
  }
}
