// A model's two directions, run in the browser: decode z [n, k] -> pictures [n, 784] and
// encode pictures [n, 784] -> z [n, k]. An autoencoder's are its ONNX graphs (core/export.py);
// PCA's are its own linear maps, computed here from the arrays the page sends.

import { PIXELS } from "./constants.js";
import { fetchOnce, loadSession, runSession } from "./runtime.js";

export async function loadCodec(spec, runtimeUrl) {
  // spec {kind: "onnx", latent_dim, decoder_url, encoder_url | null}
  //   or {kind: "linear", latent_dim, mean_url: float32 [784], components_url: float32 [k, 784]}
  // -> {k, decode(codes, n), encode(pictures, n) | null}, both async, warmed up once.
  const k = spec.latent_dim;
  let codec;
  if (spec.kind === "linear") {
    const [mean, components] = await Promise.all([spec.mean_url, spec.components_url]
      .map((url) => fetchOnce(url).then((bytes) => new Float32Array(bytes))));
    codec = linearCodec(k, mean, components);
  } else {
    const [decoder, encoder] = await Promise.all([
      loadSession(runtimeUrl, spec.decoder_url),
      spec.encoder_url ? loadSession(runtimeUrl, spec.encoder_url) : null,
    ]);
    codec = {
      k,
      decode: (codes, n) => runSession(decoder, codes, [n, k]), // -> [n, 1, 28, 28] flat
      encode: encoder ? (pictures, n) => runSession(encoder, pictures, [n, 1, 28, 28]) : null,
    };
  }
  await codec.decode(new Float32Array(k), 1); // warm-up: the first run allocates
  if (codec.encode) await codec.encode(new Float32Array(PIXELS), 1);
  return codec;
}

function linearCodec(k, mean, components) {
  // PCA as the autoencoder whose maps are linear (core/compare.py pca_reconstruct):
  // z = W (x - mean), x' = W^T z + mean, W = components [k, 784].
  return {
    k,
    async decode(codes, n) {
      const out = new Float32Array(n * PIXELS);
      for (let s = 0; s < n; s++) {
        for (let p = 0; p < PIXELS; p++) {
          let v = mean[p];
          for (let d = 0; d < k; d++) v += codes[s * k + d] * components[d * PIXELS + p];
          out[s * PIXELS + p] = v;
        }
      }
      return out;
    },
    async encode(pictures, n) {
      const out = new Float32Array(n * k);
      for (let s = 0; s < n; s++) {
        for (let d = 0; d < k; d++) {
          let v = 0;
          for (let p = 0; p < PIXELS; p++) {
            v += (pictures[s * PIXELS + p] - mean[p]) * components[d * PIXELS + p];
          }
          out[s * k + d] = v;
        }
      }
      return out;
    },
  };
}
