// One map on the page: the view transform (data <-> css px, zoom, pan), hit testing and the
// drawing on three stacked canvases: background picture, points, overlay (rings and marks).

import { HIT_RADIUS } from "./constants.js";

export function packColor(hex) {
  // "#rrggbb" -> ABGR uint32 for a little-endian Uint32Array view of ImageData
  const v = parseInt(hex.slice(1), 16);
  return (0xff << 24) | ((v & 0xff) << 16) | (v & 0xff00) | (v >> 16);
}

function union(boxes) { // [[x0, y0, x1, y1], ...] -> their bounding box, or null for none
  if (!boxes.length) return null;
  return boxes.reduce((a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]);
}

export class MapView {
  // box: the .lx-map element (holds the canvases: background, when there is one, points and
  // overlay); points: a MapData; colors: the class colours ["#rrggbb", ...];
  // background: {extent, opacity} | null; probe: timings
  constructor(box, points, colors, background, probe) {
    this.box = box;
    this.points = points;
    this.colors = colors.map(packColor);
    this.background = background;
    this.probe = probe;
    this.hidden = new Set(); // class labels switched off in the legend
    this.view = null; // {x0, y1, sx, sy}: data x0 at px 0, data y1 at py 0, css px per unit
    const canvas = (name) => box.querySelector(`.lx-${name}`);
    this.canvases = { background: canvas("background"), points: canvas("points"), overlay: canvas("overlay") };
    // With no picture behind them the points are drawn on opaque white: the compositor copies
    // that layer instead of blending it over the page (it is repainted wherever a hover damages
    // the screen, and twin maps damage a box across both maps and their pictures).
    this.opaque = !background;
    this.pointsContext = this.canvases.points.getContext("2d", { alpha: !this.opaque });
  }

  size(width, height) {
    // The map's css size changed: new canvas buffers, the view kept (or fitted the first time).
    this.dpr = window.devicePixelRatio || 1;
    const first = !this.view || !this.width;
    const [oldW, oldH] = [this.width, this.height];
    this.width = width; this.height = height;
    for (const c of Object.values(this.canvases).filter(Boolean)) {
      c.width = Math.round(width * this.dpr); c.height = Math.round(height * this.dpr);
    }
    if (first) this.fit();
    else { // keep the same data at the centre, at a scale that follows the size
      const [cx, cy] = this.toData(oldW / 2, oldH / 2), f = Math.min(width / oldW, height / oldH);
      this.view.sx *= f; this.view.sy *= f;
      this.view.x0 = cx - width / 2 / this.view.sx; this.view.y1 = cy + height / 2 / this.view.sy;
    }
  }

  fit() {
    const b = this.points.bounds, pad = 0.04;
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

  zoomAt(px, py, factor) { // the data under (px, py) stays under it
    const [x, y] = this.toData(px, py), v = this.view;
    v.sx *= factor; v.sy *= factor;
    v.x0 = x - px / v.sx; v.y1 = y + py / v.sy;
  }

  panFrom(start, dx, dy) { // start: the view when the drag began; dx, dy: css px moved
    this.view.x0 = start.x0 - dx / this.view.sx;
    this.view.y1 = start.y1 + dy / this.view.sy;
  }

  nearestVisible(px, py) {
    // Brute force over N points: ~0.1-0.3 ms for 60,000 (bench/explorer.py), no index to keep.
    const v = this.view, c = this.points.coords, labels = this.points.labels;
    let best = -1, bestD = HIT_RADIUS * HIT_RADIUS;
    for (let i = 0; i < this.points.n; i++) {
      if (this.hidden.size && this.hidden.has(labels[i])) continue;
      const dx = (c[2 * i] - v.x0) * v.sx - px, dy = (v.y1 - c[2 * i + 1]) * v.sy - py;
      const d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best < 0 ? null : best;
  }

  drawBackground(image) {
    const canvas = this.canvases.background, ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!image || !this.view) return;
    const [x0, x1, y0, y1] = this.background.extent;
    const [px0, py0] = this.toPixel(x0, y1), [px1, py1] = this.toPixel(x1, y0), s = this.dpr;
    ctx.imageSmoothingEnabled = false;
    ctx.globalAlpha = this.background.opacity ?? 0.45;
    ctx.drawImage(image, px0 * s, py0 * s, (px1 - px0) * s, (py1 - py0) * s);
  }

  drawPoints() {
    // Points straight into an ImageData: a (2r+1)^2 square per point, no path per point.
    const t0 = performance.now();
    const canvas = this.canvases.points, w = canvas.width, h = canvas.height;
    if (!this.pointsImage || this.pointsImage.width !== w || this.pointsImage.height !== h) {
      this.pointsImage = new ImageData(w, h); // reused: a new one per redraw is GC work
    }
    const image = this.pointsImage, pixels = new Uint32Array(image.data.buffer);
    pixels.fill(this.opaque ? 0xffffffff : 0);
    const { coords, labels, order, n } = this.points, v = this.view, s = this.dpr;
    const r = Math.max(1, Math.round(1.3 * s)), colors = this.colors;
    for (let o = 0; o < n; o++) {
      const i = order[o], label = labels[i];
      if (this.hidden.size && this.hidden.has(label)) continue;
      const cx = Math.round((coords[2 * i] - v.x0) * v.sx * s);
      const cy = Math.round((v.y1 - coords[2 * i + 1]) * v.sy * s);
      if (cx < -r || cy < -r || cx >= w + r || cy >= h + r) continue;
      const color = colors[label % colors.length];
      for (let y = Math.max(0, cy - r); y <= Math.min(h - 1, cy + r); y++) {
        const row = y * w;
        for (let x = Math.max(0, cx - r); x <= Math.min(w - 1, cx + r); x++) pixels[row + x] = color;
      }
    }
    this.pointsContext.putImageData(image, 0, 0);
    this.probe.lastPointsDrawMs = performance.now() - t0;
    this.probe.timeline.mapDrawn ??= performance.now();
  }

  drawOverlay(scene) {
    // scene: {marks: page overlays, selected: [x, y] | null, hover: index | null,
    //         dragLine: [[x, y] data, [px, py] css] | null, linked: index | null (the same
    //         digit hovered on the other map), landed: [x, y] | null (where the other model's
    //         picture lands on this map)}
    // Only the box around what moved since the last call (rings, star, drag line) is cleared
    // and redrawn, clipped: a canvas change damages only that box, so the compositor (software
    // without a GPU) repaints a few hundred pixels per hover, not all three canvases of the map
    // (a Chromium trace of 150 moves, 800 px tall: 14.5 -> 3.2 ms of drawing per frame).
    if (!this.view) return; // not sized yet: the first size() is followed by a redraw
    const canvas = this.canvases.overlay, ctx = canvas.getContext("2d");
    const at = (i) => this.toPixel(...this.points.pointXY(i));
    const shapes = []; // [draw(), [px, py, radius]]: what may move, each with its bounds
    const ring = (p, radius, color, width) => shapes.push([() => {
      ctx.beginPath(); ctx.arc(p[0], p[1], radius, 0, 2 * Math.PI);
      ctx.strokeStyle = color; ctx.lineWidth = width; ctx.stroke();
    }, [p[0], p[1], radius + width]]);
    if (scene.selected) ring(this.toPixel(...scene.selected), 7, "black", 2.5);
    if (scene.dragLine) {
      const [[x, y], [px, py]] = scene.dragLine, [ax, ay] = this.toPixel(x, y);
      shapes.push([() => {
        ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(px, py);
        ctx.strokeStyle = "black"; ctx.lineWidth = 2; ctx.setLineDash([5, 4]); ctx.stroke(); ctx.setLineDash([]);
      }, [(ax + px) / 2, (ay + py) / 2, Math.hypot(px - ax, py - ay) / 2 + 2]]);
    }
    if (scene.hover != null) ring(at(scene.hover), 5, "black", 1.5);
    if (scene.linked != null) { ring(at(scene.linked), 8, "white", 4.5); ring(at(scene.linked), 8, "black", 2.5); }
    if (scene.landed) {
      const p = this.toPixel(...scene.landed);
      shapes.push([() => this.drawMark(ctx, { kind: "star", color: "#d62728", points: [scene.landed] }), [p[0], p[1], 9]]);
    }
    // a shape's box, its radius naming its kind: "x0,y0,x1,y1"
    const boxes = new Set(shapes.map(([, [px, py, r]]) => [px - r - 2, py - r - 2, px + r + 2, py + r + 2].join()));
    const before = this.overlayBoxes || new Set(), moved = [...boxes, ...before].filter((b) => !(boxes.has(b) && before.has(b)));
    const v = this.view, stamp = `${v.x0},${v.y1},${v.sx},${v.sy},${canvas.width},${canvas.height}`;
    const whole = stamp !== this.overlayStamp || scene.marks !== this.overlayMarks;
    const dirty = whole ? null : union(moved.map((b) => b.split(",").map(Number)));
    this.overlayStamp = stamp; this.overlayMarks = scene.marks; this.overlayBoxes = boxes;
    if (!whole && !dirty) return; // nothing moved
    ctx.save();
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    if (dirty) { // device-pixel aligned, so the clear and the clip cover the same pixels
      const s = this.dpr, [x0, y0] = [Math.floor(dirty[0] * s) / s, Math.floor(dirty[1] * s) / s];
      const [x1, y1] = [Math.ceil(dirty[2] * s) / s, Math.ceil(dirty[3] * s) / s];
      ctx.beginPath(); ctx.rect(x0, y0, x1 - x0, y1 - y0); ctx.clip();
      ctx.clearRect(x0, y0, x1 - x0, y1 - y0);
    } else ctx.clearRect(0, 0, this.width, this.height);
    for (const mark of scene.marks || []) this.drawMark(ctx, mark);
    for (const [draw] of shapes) draw();
    ctx.restore();
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
}
