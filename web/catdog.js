// web/catdog.js - the page: boots the wasm app, owns the model and the inputs, and offers
// window.catdog for screen readers, scripts and tests.
//
//   window.catdog.classify(blob)         -> Promise<{label, probs, ms: {decode, preprocess, inference, total}}>
//   window.catdog.layers()               -> [{name, kind, shape}] (model.json's visualisable layers)
//   window.catdog.featureMap(layer, ch)  -> {layer, channel, width, height, data: Float32Array}; also shows it
//   window.catdog.ready                  -> Promise that resolves when the model is warmed up
//
// [SECTION] Live region and errors
// [SECTION] The host object the wasm app calls (Module.host)
// [SECTION] Classifying: bytes to the core, huge photos through the browser's decoder
// [SECTION] Boot
import createCatdogApp from './app.js';
import { Model, modelBase, fetchText, fetchBytes, remember } from './model.js';
import { findInitializer } from './onnx_weights.js';
import { imageSize, browserDecode, wireInputs, wireTouch, Camera, CORE_PIXEL_LIMIT } from './inputs.js';

const $ = (id) => document.getElementById(id);
const canvas = $('canvas');
const model = new Model();
const camera = new Camera($('camera'));
let App = null;              // the emscripten module
let nextReq = 1;
const pending = new Map();   // request id -> {resolve, reject, blob, name, tried, t0}
const rects = {};            // panel name -> {x, y, w, h} in CSS px
let lastOutputs = null;      // name -> {dims, data} of the last finished run
let timing = {};

//-----------------------------------------------------------------------------
// [SECTION] Live region and errors
//-----------------------------------------------------------------------------
function announce(text) {
  const live = $('live');
  // Clearing first makes screen readers repeat an identical message.
  live.textContent = '';
  setTimeout(() => { live.textContent = text; }, 30);
}

function fail(req, message) {
  const p = pending.get(req);
  pending.delete(req);
  announce(`Error: ${message}`);
  p?.reject(new Error(message));
}

//-----------------------------------------------------------------------------
// [SECTION] The host object the wasm app calls (Module.host)
//-----------------------------------------------------------------------------
const host = {
  // wasm prepared the tensor for request `req`: run the network, hand every output back.
  infer(req, tensor) {
    const p = pending.get(req);
    if (p) p.tInfer = performance.now();
    model.runRaw(tensor).then(({ out, ms }) => {
      if (p) { p.inferMs = ms; p.tRan = performance.now(); }
      const outs = {};
      for (const [name, t] of Object.entries(out)) {
        outs[name] = { dims: t.dims, data: t.data };
        const d = t.dims;
        const [c, h, w] = d.length === 4 ? [d[1], d[2], d[3]] : [t.data.length, 1, 1];
        const bytes = t.data.length * 4;
        const ptr = App._malloc(bytes);
        App.HEAPF32.set(t.data, ptr >> 2);
        withString(name, (np) => App._cd_result_output(req, np, ptr, c, h, w));
        App._free(ptr);
      }
      App._cd_result_done(req, ms);
      lastOutputs = outs;
      finish(req, outs);
    }).catch((e) => {
      const msg = `inference failed: ${e.message || e}`;
      withString(msg, (m) => App._cd_fail(req, m));
      fail(req, msg);
    });
  },
  // wasm could not decode or preprocess the file.
  fail(req, message) {
    const p = pending.get(req);
    // The core refused a photo over its pixel limit: let the browser decode it instead.
    if (p && !p.tried && /pixel/i.test(message)) { p.tried = true; classifyWithBrowser(req, p, null); return; }
    fail(req, message);
  },
  openPicker() { $('file').click(); },
  loadSample(name) {
    fetch(new URL(`samples/${encodeURIComponent(name)}`, location.href))
      .then((r) => { if (!r.ok) throw new Error(`samples/${name}: HTTP ${r.status}`); return r.blob(); })
      .then((b) => classify(b, name)).catch((e) => announce(`Error: ${e.message}`));
  },
  camera(on, front) {
    if (!on) { camera.stop(); return; }
    camera.start(front).catch((e) => { App._cd_set_camera(0, front ? 1 : 0); report(`camera: ${e.message || e}`); });
  },
  cameraSnap() { snapCamera().catch(() => {}); },
  cameraVideo() { return camera.active(); },
  panelRect(name, x, y, w, h) { rects[name] = { x, y, w, h }; },
  layerChanged(name, ch) { window.catdog.selected = { layer: name, channel: ch }; },
};

// An error that belongs to no request (camera, samples): into the UI and the live region.
function report(message) {
  withString(message, (m) => App?._cd_fail(0, m));
  announce(`Error: ${message}`);
}

function withString(s, fn) {
  const n = App.lengthBytesUTF8(s) + 1;
  const p = App._malloc(n);
  App.stringToUTF8(s, p, n);
  try { return fn(p); } finally { App._free(p); }
}

function finish(req, outs) {
  const p = pending.get(req);
  if (!p) return;
  pending.delete(req);
  const labels = model.info.labels || [];
  const probs = Array.from(outs[model.info.outputs?.probs || 'probs'].data);
  let best = 0;
  probs.forEach((v, i) => { if (v > probs[best]) best = i; });
  const now = performance.now();
  // read: the file's bytes; outputs: handing every output to wasm; total: classify() to here.
  const ms = { read: p.readMs ?? 0, decode: p.decodeMs ?? 0, preprocess: p.preMs ?? 0, inference: p.inferMs ?? 0,
    queued: p.tRan ? p.tRan - p.tInfer - p.inferMs : 0, outputs: p.tRan ? now - p.tRan : 0, total: now - p.t0 };
  timing = ms;
  const label = labels[best] ?? String(best);
  const parts = probs.map((v, i) => `${labels[i] ?? i} ${(v * 100).toFixed(1)}%`).join(', ');
  announce(`${p.name}: ${label} (${parts}).`);
  p.resolve({ label, probs, ms });
}

//-----------------------------------------------------------------------------
// [SECTION] Classifying: bytes to the core, huge photos through the browser's decoder
//-----------------------------------------------------------------------------
function sendRgba(req, rgba, w, h, name, decodeMs) {
  const ptr = App._malloc(rgba.length);
  App.HEAPU8.set(rgba, ptr);
  withString(name, (np) => App._cd_classify_rgba(req, ptr, w, h, np, decodeMs));
  const p = pending.get(req);
  if (p) { p.decodeMs = decodeMs; p.preMs = App._cd_ms(1); }
  App._free(ptr);
}

async function classifyWithBrowser(req, p, size) {
  try {
    const t0 = performance.now();
    if (!size) size = imageSize(new Uint8Array(await p.blob.slice(0, 65536).arrayBuffer()));
    if (!size) throw new Error('unknown size');
    const shorter = 2 * (model.info.input?.resize || 256);
    const { rgba, w, h } = await browserDecode(p.blob, size, shorter);
    sendRgba(req, rgba, w, h, p.name, performance.now() - t0);
  } catch (e) {
    const msg = `${p.name}: browser decoder: ${e.message || 'cannot decode this file'}`;
    withString(msg, (m) => App._cd_fail(req, m));
    fail(req, msg);
  }
}

// Classifies the camera's current frame (the camera must be on).
function snapCamera() {
  let frame;
  try { frame = camera.snap(); } catch (e) { report(e.message); return Promise.reject(e); }
  const req = nextReq++;
  const done = new Promise((resolve, reject) => pending.set(req, { resolve, reject, name: 'camera', t0: performance.now(), tried: true }));
  sendRgba(req, frame.rgba, frame.w, frame.h, 'camera', 0);
  return done;
}

async function classify(blob, name) {
  await window.catdog.ready;
  if (!(blob instanceof Blob)) throw new Error('classify: expected a Blob or File');
  name = name || blob.name || 'photo';
  const req = nextReq++;
  const done = new Promise((resolve, reject) => pending.set(req, { resolve, reject, blob, name, t0: performance.now() }));
  const p = pending.get(req);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  p.readMs = performance.now() - p.t0;
  const size = imageSize(bytes);
  if (size && size.w * size.h > CORE_PIXEL_LIMIT) {
    p.tried = true;
    classifyWithBrowser(req, p, size);
    return done;
  }
  const ptr = App._malloc(Math.max(1, bytes.length));
  App.HEAPU8.set(bytes, ptr);
  withString(name, (np) => App._cd_classify_bytes(req, ptr, bytes.length, np));
  App._free(ptr);
  p.decodeMs = App._cd_ms(0);   // measured inside wasm
  p.preMs = App._cd_ms(1);
  return done;
}

//-----------------------------------------------------------------------------
// [SECTION] Boot
//-----------------------------------------------------------------------------
function status(text, progress, ready = 0) {
  $('boot-text').textContent = text;
  if (progress >= 0) $('boot-progress').value = progress; else $('boot-progress').removeAttribute('value');
  if (App) withString(text, (t) => App._cd_set_status(t, progress, ready));
}

async function optionalText(url) {
  try {
    const t = await fetchText(url);
    remember(url, t, 'text/plain');
    return t;
  } catch { return null; }
}

let readyResolve, readyReject;
window.catdog = {
  ready: new Promise((res, rej) => { readyResolve = res; readyReject = rej; }),
  classify: (blob, name) => classify(blob, name),
  layers: () => (model.info?.layers || []).map((l) => ({ ...l })),
  featureMap(layer, channel = 0) {
    const o = lastOutputs?.[layer];
    if (!o) throw new Error(`featureMap: no layer "${layer}" (layers: ${this.layers().map((l) => l.name).join(', ')})`);
    const [, c, h, w] = o.dims;
    if (channel < 0 || channel >= c) throw new Error(`featureMap: ${layer} has ${c} channels`);
    withString(layer, (l) => App._cd_select_layer(l, channel));
    return { layer, channel, width: w, height: h, channels: c, data: o.data.slice(channel * h * w, (channel + 1) * h * w) };
  },
  panelRect: (name) => rects[name] || null,
  // The camera, as the panel's buttons drive it: on/off with the front or rear lens, and a snapshot.
  camera: async (on, front = false) => {
    App._cd_set_camera(on ? 1 : 0, front ? 1 : 0);
    if (on) await camera.start(front); else camera.stop();
  },
  snap: () => snapCamera(),
  timing: () => ({ ...timing }),
  info: () => ({ isolated: model.isolated, threads: model.threads, modelBytes: model.bytes,
    loadMs: model.loadMs, createMs: model.createMs, warmupMs: model.warmupMs, downloadMs: model.downloadMs }),
  // The last input tensor, read from the wasm heap (tests hash it against native).
  tensor() { const n = App._cd_tensor_size(), p = App._cd_tensor_ptr(); return App.HEAPF32.slice(p >> 2, (p >> 2) + n); },
  run: (tensor) => model.runRaw(tensor).then(({ ms }) => ms),   // bare session.run (bench)
  selected: null,
};

async function boot() {
  const t0 = performance.now();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker:', e.message));
  }
  App = await createCatdogApp({
    canvas, host,
    locateFile: (p) => new URL(p, import.meta.url).href,
    print: (t) => console.log(t), printErr: (t) => console.warn(t),
  });
  $('boot').classList.add('gone');
  window.catdog.appMs = performance.now() - t0;
  wireInputs({ onFile: (f, n) => classify(f, n).catch(() => {}), fileInput: $('file') });
  wireTouch(canvas);
  // The app draws only when something changes: any input wakes it.
  const wake = () => App._cd_wake();
  for (const ev of ['mousemove', 'mousedown', 'mouseup', 'wheel', 'keydown', 'keyup', 'touchstart', 'touchmove', 'touchend', 'focus', 'blur'])
    window.addEventListener(ev, wake, { capture: true, passive: true });
  window.addEventListener('resize', wake);
  document.addEventListener('visibilitychange', wake);
  canvas.focus();

  const base = modelBase();
  const info = await model.load(base, (t, p) => status(t, p));
  if (!withString(JSON.stringify(info), (j) => App._cd_set_model_info(j))) throw new Error('model.json: not understood');
  App._cd_set_runtime(model.threads, model.isolated ? 1 : 0);
  $('isolation').textContent = model.isolated ? `Running on ${model.threads} threads.`
    : 'Running on 1 thread: this page is not cross-origin isolated.';

  // conv1's kernels, straight from the ONNX file's initializers.
  try {
    const name = info.conv1?.weight;
    const k = name ? findInitializer(model.onnxBytes, name) : null;
    if (k && k.dims.length === 4) {
      const p = App._malloc(k.data.length * 4);
      App.HEAPF32.set(k.data, p >> 2);
      App._cd_set_kernels(p, k.dims[0], k.dims[1], k.dims[2], k.dims[3]);
      App._free(p);
    }
  } catch (e) { console.warn('conv1 weights:', e.message); }
  model.onnxBytes = null;

  const [metrics, summary, samples] = await Promise.all([
    optionalText(new URL('metrics.csv', base)), optionalText(new URL('summary.json', base)),
    optionalText(new URL('samples/index.json', location.href))]);
  if (metrics) withString(metrics, (t) => App._cd_set_metrics(t));
  if (summary) withString(summary, (t) => App._cd_set_summary(t));
  if (samples) withString(samples, (t) => App._cd_set_samples(t));

  status(model.isolated ? `Ready (${model.threads} threads)` : 'Ready (1 thread: not cross-origin isolated)', -1, 1);
  window.catdog.readyMs = performance.now() - t0;
  announce(`Model ready: ${info.backbone}, classes ${info.labels.join(' and ')}. ` +
    (model.isolated ? '' : 'Running on one thread because the page is not cross-origin isolated.'));
  readyResolve();
}

boot().catch((e) => {
  const msg = `Could not start: ${e.message || e}`;
  status(msg, -1);
  if (!App) { $('boot').classList.remove('gone'); $('boot-text').textContent = msg; }
  announce(`Error: ${msg}`);
  readyReject(e);
});
window.catdog.ready.catch(() => {});
