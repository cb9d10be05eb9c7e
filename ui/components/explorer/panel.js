// What sits beside a map: the status notice, the digit pictures, the place and code under the
// pointer, the interpolation strip, the sliders and the legend. DOM only; no model, no map.

import { PIXELS } from "./constants.js";

export function part(root, name) { return root.querySelector(`.lx-${name}`); }

export function setStatus(root, status, notice, lost = "Click a point to see it decoded.") {
  // status "loading" | "live" | "fallback" | "error"; the notice line says what is lost
  root.dataset.status = status;
  const line = part(root, "notice");
  const text = status === "fallback" ? `${notice} ${lost}` : notice;
  line.hidden = !text;
  line.textContent = text || "";
  if (status !== "live" && part(root, "where")) part(root, "where").textContent = "Click the map to inspect a point.";
}

export function setText(element, text) { // a DOM write only when the text changed
  if (element.textContent !== text) element.textContent = text;
}

export function placeTip(tip, text, px, py) {
  // The tooltip beside the pointer at (px, py) css px, or hidden (text null). A transform on its
  // own layer and visibility, never left/top or display: a move lays nothing out again.
  tip.style.visibility = text == null ? "hidden" : "visible";
  if (text == null) return;
  setText(tip, text);
  tip.style.transform = `translate(${px + 12}px, ${py + 10}px)`;
}

export function drawDigit(canvas, values, offset = 0) {
  // values[offset .. offset + 784] in [0, 1] (clipped) -> a 28 x 28 grey picture
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(28, 28), px = image.data;
  for (let p = 0; p < PIXELS; p++) {
    const g = Math.round(Math.min(1, Math.max(0, values[offset + p])) * 255);
    px[4 * p] = px[4 * p + 1] = px[4 * p + 2] = g; px[4 * p + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

export function drawSprite(canvas, atlas, columns, index) {
  // Digit `index` of a sprite atlas (ui/explorer.py sprite_atlas: column i % C, row i // C)
  const ctx = canvas.getContext("2d");
  ctx.drawImage(atlas, (index % columns) * 28, Math.floor(index / columns) * 28, 28, 28, 0, 0, 28, 28);
}

export function spritePixels(atlas, columns, index) {
  // The same digit as Float32Array [784] in [0, 1]: what an encoder takes
  const canvas = new OffscreenCanvas(28, 28);
  drawSprite(canvas, atlas, columns, index);
  const rgba = canvas.getContext("2d").getImageData(0, 0, 28, 28).data, out = new Float32Array(PIXELS);
  for (let p = 0; p < PIXELS; p++) out[p] = rgba[4 * p] / 255;
  return out;
}

export function drawStrip(canvas, values, n) {
  // n decoded digits [n * 784] side by side
  canvas.hidden = false;
  canvas.width = 28 * n;
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(28 * n, 28), px = image.data;
  for (let s = 0; s < n; s++) {
    for (let p = 0; p < PIXELS; p++) {
      const g = Math.round(Math.min(1, Math.max(0, values[s * PIXELS + p])) * 255);
      const q = 4 * ((p / 28 | 0) * 28 * n + s * 28 + (p % 28));
      px[q] = px[q + 1] = px[q + 2] = g; px[q + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}

export function formatCode(code) {
  return Array.from(code, (v) => (v >= 0 ? " " : "") + v.toFixed(3)).join("  ");
}

export function describe(root, code, text, approx) {
  // The line under the pictures (approx: t-SNE's place, shown in amber) and the code's numbers
  const where = part(root, "where");
  where.textContent = text;
  where.classList.toggle("approx", !!approx);
  part(root, "code").textContent = code ? `z = ${formatCode(code)}` : "";
}

export function buildSliders(box, code, ranges, onInput) {
  // One slider per shown dimension (ranges.length of them) over `code` (edited in place);
  // onInput(event) after each move.
  box.replaceChildren();
  if (!code) return;
  ranges.forEach(([lo, hi], d) => {
    const label = document.createElement("span"), input = document.createElement("input"), value = document.createElement("span");
    label.textContent = `z${d + 1}`;
    Object.assign(input, { type: "range", min: lo, max: hi, step: (hi - lo) / 400, value: code[d] });
    input.dataset.dim = d;
    value.textContent = code[d].toFixed(2);
    input.addEventListener("input", (e) => {
      code[d] = Number(input.value);
      value.textContent = code[d].toFixed(2);
      onInput(e);
    });
    box.append(label, input, value);
  });
}

export function buildLegend(legend, names, colors, marks, onToggle) {
  // A button per class (click: hide or show it; onToggle(hidden set)) and a key per labelled mark
  legend.replaceChildren();
  const hidden = new Set();
  names.forEach((name, c) => {
    const button = document.createElement("button");
    button.innerHTML = `<i style="background:${colors[c % colors.length]}"></i>`;
    button.append(name);
    button.dataset.class = c;
    button.addEventListener("click", () => {
      if (hidden.has(c)) hidden.delete(c); else hidden.add(c);
      button.classList.toggle("off", hidden.has(c));
      onToggle(hidden);
    });
    legend.append(button);
  });
  for (const mark of marks.filter((m) => m.label)) { // a key, no toggle
    const key = document.createElement("span");
    key.className = "lx-mark";
    key.innerHTML = `<i style="border-color:${mark.color}"></i>`;
    key.append(mark.label);
    legend.append(key);
  }
}
