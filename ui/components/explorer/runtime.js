// Loading: the arrays, the pictures, onnxruntime-web and the models' ONNX graphs, each fetched
// once per page (module state survives a new `data`); and the queue that keeps one model run
// in flight with only the latest request waiting.

const fetched = new Map(); // url -> Promise<ArrayBuffer | ImageBitmap>
const sessions = new Map(); // runtime url | model url -> Promise<{ort, session}>
let runtime = null; // {url, promise: Promise<ort module>}

export function absolute(url) {
  // The component's JS is a blob: module, so resolve root-relative URLs against the page.
  return new URL(url, location.href).href;
}

async function fetchWhole(url) {
  // "Range: bytes=0-" asks for the whole file as one range. Streamlit gzips every response of
  // its /app/static/ route on every request (level 5, in the server process) except ranges:
  // for the 14 MB runtime that was 0.6 s of server CPU per session, shared with every click of
  // a class (bench/load.py). A range is served straight from the file.
  let response = await fetch(absolute(url), { headers: { Range: "bytes=0-" } });
  if (response.status === 416) response = await fetch(absolute(url)); // an empty file
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

export function fetchOnce(url, kind) {
  // kind "image": an ImageBitmap (a PNG); otherwise the bytes as an ArrayBuffer
  if (!fetched.has(url)) {
    const promise = fetchWhole(url).then(async (response) =>
      kind === "image" ? createImageBitmap(await response.blob()) : response.arrayBuffer());
    promise.catch(() => fetched.delete(url));
    fetched.set(url, promise);
  }
  return fetched.get(url);
}

function loadRuntime(url) {
  if (!runtime || runtime.url !== url) {
    const href = absolute(url);
    // The bundle embeds its JS glue; only the .wasm is fetched, from beside the bundle, by us
    // (as a range, see fetchWhole) and handed over as bytes.
    const wasm = fetchOnce(new URL("ort-wasm-simd-threaded.wasm", href).href);
    const promise = Promise.all([import(href), wasm]).then(([ort, bytes]) => {
      ort.env.wasm.numThreads = 1; // no COOP/COEP headers: no shared memory, so no threads
      ort.env.wasm.proxy = false;
      ort.env.wasm.wasmBinary = bytes;
      return ort;
    });
    promise.catch(() => { runtime = null; });
    runtime = { url, promise };
  }
  return runtime.promise;
}

export function loadSession(runtimeUrl, modelUrl) {
  // -> Promise<{ort, session}>: one InferenceSession per ONNX file per page
  const id = `${runtimeUrl}|${modelUrl}`;
  if (!sessions.has(id)) {
    const parts = [loadRuntime(runtimeUrl), fetchOnce(modelUrl)];
    const promise = Promise.all(parts).then(([ort, bytes]) =>
      ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: ["wasm"] })
        .then((session) => ({ ort, session })));
    promise.catch(() => sessions.delete(id));
    sessions.set(id, promise);
  }
  return sessions.get(id);
}

export async function runSession({ ort, session }, input, shape) {
  // One input, one output: Float32Array input of `shape` -> the output's Float32Array
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", input, shape) };
  const out = await session.run(feeds);
  return out[session.outputNames[0]].data;
}

export function firstLine(error) {
  // An error as one short line a notice can show.
  return String(error && error.message ? error.message : error).split("\n")[0].slice(0, 160);
}

export class LatestQueue {
  // Runs `work(job)` one job at a time. A job pushed while one runs replaces the waiting one,
  // so the pictures always catch up with the latest pointer position and never queue stale
  // ones. `onError(error)` is told when a job throws; the queue then empties.
  constructor(work, onError) {
    this.work = work;
    this.onError = onError;
    this.pending = null;
    this.busy = false;
  }

  push(job) {
    this.pending = job;
    if (!this.busy) this.pump();
  }

  async pump() {
    this.busy = true;
    while (this.pending) {
      const job = this.pending;
      this.pending = null;
      try {
        await this.work(job);
      } catch (error) {
        this.pending = null;
        this.onError(error);
      }
    }
    this.busy = false;
  }
}
