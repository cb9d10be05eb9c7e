// A map's points and the ways between a place on the map and a latent code. Pure arithmetic
// on typed arrays; knows nothing of pixels or the page.

export class MapData {
  // data: the component's data (inverse rule, background, off_map_margin);
  // coords Float32Array [N * 2], labels Uint8Array [N], codes Float32Array [N * k] | null
  constructor(data, coords, labels, codes) {
    this.rule = data.inverse; // {kind: "raw"} | {kind: "pca", mean, components} | {kind: "tsne", neighbours}
    this.margin = data.off_map_margin;
    this.k = data.latent_dim;
    this.coords = coords;
    this.labels = labels;
    this.codes = codes;
    this.n = labels.length;
    this.order = drawOrder(this.n);
    this.bounds = dataBounds(coords, this.n, data.background && data.background.extent);
  }

  pointXY(i) { return [this.coords[2 * i], this.coords[2 * i + 1]]; }

  codeOf(i) { // a dataset point's own code (its reconstruction's input), or null
    if (this.codes) return this.codes.subarray(i * this.k, (i + 1) * this.k);
    return this.rule.kind === "raw" ? this.coords.subarray(2 * i, 2 * i + 2) : null;
  }

  offMap(x, y) { // beyond the data's box widened by the margin: nothing is decoded there
    const b = this.bounds, mx = b.w * this.margin, my = b.h * this.margin;
    return !(x >= b.x0 - mx && x <= b.x1 + mx && y >= b.y0 - my && y <= b.y1 + my);
  }

  get approximate() { return this.rule.kind === "tsne"; } // t-SNE has no exact inverse

  inverse(x, y) {
    // Map place -> code, as core/maps.py Projection.inverse: raw is the place itself, PCA is
    // mean + p . components, t-SNE the inverse-distance-weighted mean of the nearest codes.
    const rule = this.rule, k = this.k;
    if (rule.kind === "raw") return Float32Array.of(x, y);
    if (rule.kind === "pca") {
      const z = new Float32Array(k), [c0, c1] = rule.components;
      for (let d = 0; d < k; d++) z[d] = rule.mean[d] + x * c0[d] + y * c1[d];
      return z;
    }
    return weightedMean(nearest(this.coords, 2, this.n, [x, y], rule.neighbours), this.codes, k);
  }

  project(z) {
    // Code -> map place (where another model's picture lands): raw is the code, PCA is
    // (z - mean) . components, t-SNE the weighted mean of the places of the nearest codes.
    const rule = this.rule, k = this.k;
    if (rule.kind === "raw") return [z[0], z[1]];
    if (rule.kind === "pca") {
      let x = 0, y = 0;
      for (let d = 0; d < k; d++) {
        const c = z[d] - rule.mean[d];
        x += c * rule.components[0][d]; y += c * rule.components[1][d];
      }
      return [x, y];
    }
    const place = weightedMean(nearest(this.codes, k, this.n, z, rule.neighbours), this.coords, 2);
    return [place[0], place[1]];
  }

  ranges() {
    // Per dimension [min, max] of the dataset's codes widened by the margin: the sliders'.
    const k = this.k, source = this.codes || (this.rule.kind === "raw" ? this.coords : null);
    const ranges = [];
    for (let d = 0; d < k; d++) {
      let lo = Infinity, hi = -Infinity;
      if (source && this.n) {
        for (let i = 0; i < this.n; i++) { const v = source[i * k + d]; if (v < lo) lo = v; if (v > hi) hi = v; }
      } else { lo = -3; hi = 3; }
      const pad = (hi - lo) * this.margin || 1;
      ranges.push([lo - pad, hi + pad]);
    }
    return ranges;
  }
}

function nearest(rows, width, n, query, m) {
  // The m rows of `rows` [n * width] nearest to `query`: {idx, dist (euclidean)}, nearest first
  m = Math.min(m, n);
  const idx = new Int32Array(m).fill(-1), dist = new Float64Array(m).fill(Infinity);
  for (let i = 0; i < n; i++) { // keep the m nearest, sorted, by insertion
    let d = 0;
    for (let c = 0; c < width; c++) { const u = rows[i * width + c] - query[c]; d += u * u; }
    if (d >= dist[m - 1]) continue;
    let j = m - 1;
    while (j > 0 && dist[j - 1] > d) { dist[j] = dist[j - 1]; idx[j] = idx[j - 1]; j--; }
    dist[j] = d; idx[j] = i;
  }
  return { idx, dist: dist.map(Math.sqrt) };
}

function weightedMean({ idx, dist }, rows, width) {
  // The inverse-distance-weighted mean of rows[idx] ([n * width] typed array)
  const out = new Float64Array(width);
  let total = 0;
  for (let j = 0; j < idx.length; j++) {
    const w = 1 / Math.max(dist[j], 1e-9);
    total += w;
    for (let c = 0; c < width; c++) out[c] += w * rows[idx[j] * width + c];
  }
  return Float32Array.from(out, (v) => v / total);
}

function drawOrder(n) {
  // A fixed shuffle, so no class is always drawn on top of the others.
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let seed = 12345;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function dataBounds(coords, n, extent) {
  // The box of the points, and of the background's extent [x0, x1, y0, y1] when there is one.
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const x = coords[2 * i], y = coords[2 * i + 1];
    if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
  }
  if (extent) {
    x0 = Math.min(x0, extent[0]); x1 = Math.max(x1, extent[1]);
    y0 = Math.min(y0, extent[2]); y1 = Math.max(y1, extent[3]);
  }
  const w = Math.max(x1 - x0, 1e-6), h = Math.max(y1 - y0, 1e-6);
  return { x0, x1, y0, y1, w, h };
}
