// The recorded history in the browser: its arrays, fetched once per page (the explorer's
// runtime.js), and where a fractional position between two epochs stands.

import { packColor } from "../explorer/renderer.js";
import { fetchOnce } from "../explorer/runtime.js";

export const ease = (t) => t * t * (3 - 2 * t); // smoothstep: frames glide in and out

export async function loadHistory(data) {
  // -> {maps: Float32Array [F * N * 2] | null (a GAN has no encoder), labels: Uint8Array [N],
  //     samples: Uint8Array [F * S * H * W], n: N, colorOf: Uint32Array [N] (ABGR per point)}
  const [maps, labels, samples] = await Promise.all([
    data.maps_url ? fetchOnce(data.maps_url) : null,
    fetchOnce(data.labels_url),
    fetchOnce(data.samples_url),
  ]);
  const colors = data.class_colors.map(packColor);
  const labelled = new Uint8Array(labels);
  return {
    maps: maps ? new Float32Array(maps) : null,
    labels: labelled,
    samples: new Uint8Array(samples),
    n: labelled.length,
    colorOf: Uint32Array.from(labelled, (label) => colors[label % colors.length]),
  };
}

export function frameAt(pos, count) {
  // The two frames around `pos` (0 .. count - 1, fractional) and how far between them, eased
  const i = Math.max(0, Math.min(Math.floor(pos), count - 2));
  const j = Math.min(i + 1, count - 1);
  return { i, j, t: ease(Math.max(0, Math.min(1, pos - i))) };
}

export function boxBetween(bounds, { i, j, t }) {
  // bounds [F][x0, x1, y0, y1] (ui/playback.py map_bounds) -> the box at t, eased like the points
  const a = bounds[i], b = bounds[j];
  return a.map((v, q) => v + (b[q] - v) * t);
}
