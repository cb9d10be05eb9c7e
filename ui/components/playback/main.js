// Training playback: the map of a fixed validation set after each epoch of a training, its
// fixed samples and its loss curve, animated and scrubbed in the browser.
//
// Python (ui/playback.py) sends `data`; big arrays come by URL from static/cache/:
//   maps_url float32 [F * N * 2] (null for a GAN: no encoder), labels_url uint8 [N],
//   samples_url uint8 [F * S * H * W] with sample_shape [S, H, W]; inline: epochs [F]
//   (1-based), bounds [F][x0, x1, y0, y1], loss {epochs [E], series [{name, values [E], color}]},
//   class_names, class_colors, keyframes {epoch: ONNX decoder URL} (2-D models), runtime_url,
//   live, probes, height.
// Nothing goes back to Python: play, scrub, keyframe jumps and hover send no message.
// At a keyframe epoch (and only there) hovering the map decodes the code under the pointer with
// that epoch's decoder, in onnxruntime-web: one decode in flight, a newer move replaces the
// pending one.
//
// Modules (joined into one script by ui/components/modules.py, with the explorer's runtime.js,
// constants.js, renderer.js's packColor and panel.js's drawDigit):
//   frames.js    the history's arrays; where a position between two epochs stands
//   timeline.js  play, glide to a scrubbed epoch, one draw per animation frame
//   drawing.js   the map's points, the fixed samples, the loss curve and its cursor
//   playback.js  the element: controls, what a frame shows, keyframe decoding

import { Playback } from "./playback.js";

window.latentPlayback = window.latentPlayback || {}; // probes: tests read timings, the last decode

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".pb");
  // New data for the same element (the Train page after another epoch): start from where the
  // old one stood, and glide to the newest frame.
  const startAt = root.playback && data.live ? root.playback.pos : undefined;
  if (root.playback) root.playback.destroy();
  root.playback = new Playback(root, data, startAt);
  return () => root.playback && root.playback.destroy();
}
