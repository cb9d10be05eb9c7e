// Sliders-only mode (ui/explorer.py code_sliders): no map, one code (data.code, k numbers),
// one slider per dimension (the first data.max_sliders), decoded as a slider moves, and a
// reset to the starting code. Sends nothing to Python. The sliders, the picture and the decode
// queue are the same modules the map's panel uses.

import { loadCodec } from "./codec.js";
import * as panel from "./panel.js";
import { installProbe, markStatus, recordRun, removeProbe } from "./probes.js";
import { LatestQueue, firstLine } from "./runtime.js";

export class CodeSliders {
  constructor(root, data) {
    this.root = root;
    this.data = data;
    this.k = data.latent_dim;
    this.codec = null;
    this.queue = new LatestQueue((job) => this.decode(job), (error) => {
      this.codec = null;
      this.setStatus("fallback", `Live preview stopped: ${firstLine(error)}.`);
    });
    this.probe = installProbe(data.key, this);
    root.dataset.mode = "sliders";
    panel.part(root, "decoded-caption").textContent = "decoded g(z)";
    const reset = document.createElement("button");
    Object.assign(reset, { className: "lx-reset", type: "button", textContent: "reset" });
    reset.addEventListener("click", () => this.reset());
    panel.part(root, "digits").append(reset);
    this.reset();
    this.load();
  }

  get busy() { return this.queue.busy; }
  get pending() { return this.queue.pending; }

  reset() { // back to the code Python sent: sliders, numbers and digit
    this.code = Float32Array.from(this.data.code);
    panel.buildSliders(panel.part(this.root, "sliders"), this.code, this.data.ranges, (e) => {
      panel.describe(this.root, this.code, "selected code, edited", false);
      this.request("slider", e.timeStamp);
    });
    panel.describe(this.root, this.code, this.data.caption || "the starting code", false);
    this.request("reset", performance.now());
  }

  async load() {
    const d = this.data;
    if (!d.decoder_url) return this.setStatus("fallback", d.notice || "No decoder for this model.");
    try {
      const spec = { kind: "onnx", latent_dim: this.k, decoder_url: d.decoder_url, encoder_url: null };
      this.codec = await loadCodec(spec, d.runtime_url);
      this.setStatus("live", d.notice);
      this.request("selection", performance.now());
    } catch (error) {
      this.codec = null;
      this.setStatus("fallback", `Live preview off: the decoder could not run in this browser (${firstLine(error)}).`);
    }
  }

  setStatus(status, notice) {
    markStatus(this.probe, status);
    panel.setStatus(this.root, status, notice, "The sliders need it; the pictures above come from the server.");
    if (status !== "fallback") return;
    panel.part(this.root, "where").textContent = "";
    panel.part(this.root, "sliders").replaceChildren();
  }

  request(kind, t) {
    if (!this.codec) return;
    for (const v of this.code) if (!Number.isFinite(v)) return;
    this.queue.push({ codes: Float32Array.from(this.code), kind, t });
  }

  async decode(job) {
    const start = performance.now();
    const image = await this.codec.decode(job.codes, 1);
    panel.drawDigit(panel.part(this.root, "decoded"), image);
    const record = { kind: job.kind, event: job.t, start, decoded: performance.now(), frame: null };
    recordRun(this.probe, record, () => ({ code: Array.from(job.codes), image: Array.from(image) }));
  }

  destroy() {
    removeProbe(this.data.key, this.probe);
  }
}
