// Drawing one frame of the playback: the map's points between two epochs, the fixed samples of
// an epoch and the loss curve with its cursor. Canvases only; the time lives in timeline.js.

export class PointsLayer {
  // canvas: .pb-points; history: frames.js loadHistory's arrays
  constructor(canvas, history) {
    this.canvas = canvas;
    this.history = history;
    this.view = null; // {scale, ox, oy}: device px = ox + scale * x, oy - scale * y
  }

  resize() {
    const canvas = this.canvas, dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr));
    canvas.height = Math.max(1, Math.round(canvas.clientHeight * dpr));
    this.image = new ImageData(canvas.width, canvas.height);
    this.pixels = new Uint32Array(this.image.data.buffer);
  }

  draw({ i, j, t }, box) {
    // The points of frames i and j mixed at t, fitted to box [x0, x1, y0, y1]
    const canvas = this.canvas, W = canvas.width, H = canvas.height, { maps: m, n, colorOf } = this.history;
    const scale = Math.min(W / (box[1] - box[0]), H / (box[3] - box[2]));
    const ox = W / 2 - scale * (box[0] + box[1]) / 2, oy = H / 2 + scale * (box[2] + box[3]) / 2;
    this.view = { scale, ox, oy };
    const px = this.pixels, fa = i * n * 2, fb = j * n * 2, s = 1 - t;
    const big = n > 20000; // dots of 2 x 2 device px, else 3 x 3
    const edge = big ? 2 : 3;
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
  }

  toData(clientX, clientY) {
    // A pointer's page position -> the map place under it (null before the first draw)
    if (!this.view) return null;
    const rect = this.canvas.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    const { scale, ox, oy } = this.view;
    return [((clientX - rect.left) * dpr - ox) / scale, (oy - (clientY - rect.top) * dpr) / scale];
  }
}

export function sampleGrid(canvas, shape) {
  // shape [S, H, W] (ui/playback.py sample_shape): the canvas holds S pictures in a square grid
  const [count, h, w] = shape, columns = Math.ceil(Math.sqrt(count));
  canvas.width = columns * w;
  canvas.height = Math.ceil(count / columns) * h;
  return { count, h, w, columns };
}

export function drawSamples(canvas, samples, frame, grid) {
  // The S fixed samples of one frame, uint8 [S, H, W] at samples[frame * S * H * W]
  const { count, h, w, columns } = grid, size = h * w, base = frame * count * size;
  const image = new ImageData(canvas.width, canvas.height), rgba = image.data;
  for (let s = 0; s < count; s++) {
    const x0 = (s % columns) * w, y0 = Math.floor(s / columns) * h;
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) {
      const v = samples[base + s * size + r * w + c], o = ((y0 + r) * canvas.width + x0 + c) * 4;
      rgba[o] = rgba[o + 1] = rgba[o + 2] = v;
      rgba[o + 3] = 255;
    }
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}

export class LossCurve {
  // canvas: .pb-loss; loss: {epochs [E], series [{name, values [E], color}]}. The curves are
  // drawn once, offscreen; each frame copies them and adds the cursor.
  constructor(canvas, loss) {
    this.canvas = canvas;
    const W = canvas.width, H = canvas.height, { epochs, series } = loss;
    this.base = new OffscreenCanvas(W, H);
    const g = this.base.getContext("2d"), last = epochs[epochs.length - 1] || 1;
    this.x = (e) => 4 + ((e - 1) / Math.max(1, last - 1)) * (W - 8);
    this.captions = [];
    for (const { name, values, color } of series) {
      const finite = values.filter(Number.isFinite), lo = Math.min(...finite), hi = Math.max(...finite);
      g.strokeStyle = color;
      g.lineWidth = 1.5;
      g.beginPath();
      values.forEach((v, q) => g.lineTo(this.x(epochs[q]), H - 6 - ((v - lo) / (hi - lo || 1)) * (H - 12)));
      g.stroke();
      this.captions.push(`<span style="color:${color}">${name}</span> ${lo.toPrecision(3)}–${hi.toPrecision(3)}`);
    }
  }

  get caption() { return this.captions.join(" · ") + " (each on its own scale)"; } // HTML

  draw(epoch) {
    const canvas = this.canvas, g = canvas.getContext("2d");
    g.clearRect(0, 0, canvas.width, canvas.height);
    g.drawImage(this.base, 0, 0);
    g.strokeStyle = "#31333f";
    g.beginPath();
    g.moveTo(this.x(epoch), 0);
    g.lineTo(this.x(epoch), canvas.height);
    g.stroke();
  }
}
