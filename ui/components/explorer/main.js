// Latent explorer: 2-D latent maps that decode the code under the pointer, in the browser.
//
// Python (ui/explorer.py) sends `data` once per mount: URLs of the arrays (served from
// static/), the inverse rule (map place -> latent code), the ONNX models' and the runtime's
// URLs, and the constants Python also knows (class_colors, off_map_margin, max_sliders).
// Everything that follows a pointer stays here: hover, zoom, pan, drag and the sliders send
// nothing to the server. The messages to Python are trigger values, listed in map.js
// and twin.js. `data.mode` picks what is mounted:
//   "map" (default)  map.js Explorer: one map and its preview
//   "twin"           twin.js TwinMaps: two models' maps of the same digits, linked
//   "sliders"        sliders.js CodeSliders: one code and a slider per dimension
//
// Modules (joined into one script by ui/components/modules.py; each is a plain ES module):
//   runtime.js   fetches, onnxruntime-web, the one-run-at-a-time queue
//   codec.js     a model's decode / encode (ONNX graphs, or PCA's linear maps)
//   mapdata.js   points, codes, map place <-> code
//   renderer.js  view transform, hit testing, drawing      interaction.js  the pointer
//   panel.js     pictures, text, sliders, legend            probes.js  what tests read

import { Explorer } from "./map.js";
import { CodeSliders } from "./sliders.js";
import { TwinMaps } from "./twin.js";

const MODES = { map: Explorer, twin: TwinMaps, sliders: CodeSliders };

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".lx");
  if (root.explorer) root.explorer.destroy(); // new data for the same element: start over
  root.explorer = new MODES[data.mode || "map"](root, data, setTriggerValue);
  return () => root.explorer && root.explorer.destroy();
}
