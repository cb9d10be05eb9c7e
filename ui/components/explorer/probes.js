// What tests and benches read (harness/browser.py, bench/explorer.py): status, timeline,
// decode timings and the last picture, under window.latentExplorer[key]. Installed only when
// the page asks for it by defining window.latentExplorer before the app loads
// (harness/browser.py ask_for_probes); otherwise the records go nowhere.

import { STATS_KEPT } from "./constants.js";

export function installProbe(key, owner) {
  // owner: the explorer (tests reach its view and state through probe.explorer)
  const probe = {
    installed: !!window.latentExplorer, explorer: owner, status: "loading", timeline: {},
    stats: [], last: null,
  };
  if (probe.installed) window.latentExplorer[key] = probe;
  return probe;
}

export function removeProbe(key, probe) {
  if (probe.installed && window.latentExplorer[key] === probe) delete window.latentExplorer[key];
}

export function markStatus(probe, status) {
  probe.status = status;
  probe.timeline[status] ??= performance.now(); // ms since the page's navigation
}

export function recordRun(probe, record, last) {
  // record: {kind, event: the event's time, start, decoded: pictures drawn}; its `frame` is
  // filled at the next animation frame (the pictures on screen). last(): {code, image, ...}.
  if (!probe.installed) return;
  requestAnimationFrame(() => { record.frame = performance.now(); });
  probe.stats.push(record);
  if (probe.stats.length > STATS_KEPT) probe.stats.shift();
  if (last) probe.last = last();
}
