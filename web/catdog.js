// web/catdog.js - the page: boots the wasm app, owns the model and the inputs, and offers
// window.catdog for screen readers, scripts and tests.
//
//   window.catdog.classify(blob)         -> Promise<{label, probs, ms: {decode, preprocess, inference, total}}>
//   window.catdog.layers()               -> [{name, kind, shape}] (model.json's visualisable layers)
//   window.catdog.featureMap(layer, ch)  -> {layer, channel, width, height, data: Float32Array}; also shows it
//   window.catdog.convolve({weights: Float32Array, shape: [C, kh, kw], stride = 1, pad = 'same', bias = 0,
//                           activation = 'none'})
//                                        -> {width, height, data: Float32Array}: the shared core's convolution
//                                           (catdog::convolve, as the playground runs it) of the current photo's
//                                           network input tensor (C x S x S, normalised). pad: 'same' (TensorFlow's
//                                           SAME for this kernel and stride), a number, or [top, left, bottom, right];
//                                           activation: 'none' | 'relu' | 'relu6'.
//   window.catdog.convolve({layer, channel})
//                                        -> the same with the network's own kernel `channel` of `layer` ('conv1', or
//                                           model.json's conv1.view / conv1.weight name) and that layer's own stride,
//                                           padding, bias and activation: equals the network's feature map.
//   window.catdog.playground()           -> {source, kernel, shape, weights, stride, pad, bias, activation, ms, editMs,
//                                           width, height, data}: what the playground panel draws (editMs: an edit's
//                                           convolve + colouring + texture upload)
//   window.catdog.step(x?, y?)           -> the step-through at output (x, y) (or where it is): {x, y, ix, iy, patch,
//                                           weights, products, sum, bias, pre, value, drawn, network?}
//   window.catdog.showPanel(name)        -> brings a panel to the front (its tab), as clicking its tab does
//   window.catdog.presenter(on, panel?)  -> presenter mode on/off (one panel full-screen, text x1.6)
//   window.catdog.layoutReport()         -> [{panel, contentWidth, visibleWidth, overflowX, contentHeight, visibleHeight,
//                                           scrollbarY, clippedGlyphs, clippedAt}] for the last drawn frame (CSS px)
//   window.catdog.ready                  -> Promise that resolves when the model is warmed up (and the
//                                           lesson link the page was opened with is restored)
//   window.catdog.info()                 -> {webgl, isolated, threads, ...}: webgl false = no WebGL2, the page
//                                           shows web/fallback.js's plain HTML classifier (classify() still works)
//
// Lesson links (web/lesson_link.js): the page's state is a plain object, kept in the URL hash
// ("#s=" + encodeURIComponent(JSON)); opening such a link restores it, offline too.
//   window.catdog.state()                -> {v, photo, panel, presenter, layer, channel, playground, <part>: ...}
//       photo:      {sample: NAME} | {stored: HASH, name} (a photo the user opened, kept in this browser's
//                   Cache Storage under its content hash) | {url: SAME-ORIGIN PATH} | {camera: true} | null
//       panel:      the panel shown in presenter mode and on narrow screens ("Feature maps", "Playground", ...)
//       presenter:  true = that one panel full-screen, text x1.6
//       layer, channel: the feature-map panel's layer (ONNX output name) and enlarged channel (-1 none)
//       playground: {source: "conv1"|"preset"|"edited", kernel, preset, size, grey, shape: [C, kh, kw],
//                    weights: base64 float32 (edited only), stride, bias, activation, step: [x, y] | null}
//       other parts registered with registerState(key, {get, set}) (part 2's "explain", ...)
//   window.catdog.setState(obj)          -> Promise; applies the parts obj names (the photo first)
//   window.catdog.lessonLink()           -> this page's address with the current state in its hash
//
// Explanations (web/explain.js; the maps are computed by the core, catdog/explain.h, in wasm):
//   window.catdog.explain(blob, {method: 'cam'|'gradcam'|'occlusion', className, versus, layer, patch, stride})
//       -> Promise<{width, height, data: Float32Array, logit, signed, method, className, versus, layer, ms}>
//       data is the raw map at the layer's resolution (7x7 for MobileNet V2's last conv; the occlusion
//       grid for occlusion), row-major; logit is the score it explains (the class's logit, or
//       logit(className) - logit(versus) for the signed two-class map). Defaults: the model's best
//       method, the predicted class, no versus, the last explain layer, patch 32 / stride 16.
//       blob null: the photo already shown. The panel shows the same map.
//   window.catdog.imagenetTop5(blob)     -> Promise<[{label, index, prob}]>: the backbone's own ImageNet head
//   window.catdog.mistakes(true, pred)   -> [{file, label, pred, probs}]: a confusion cell's validation photos,
//                                           worst first (as a click on the cell shows them)
//   window.catdog.openMistake(k)         -> Promise<classify result>: loads the k-th into every view
//   window.catdog.explainMap()           -> Promise<the panel's current map> once its job is done
//   lesson-link part "explain": {method, className, versus, layer, opacity, patch, stride, tab}
//
// [SECTION] Live region and errors
// [SECTION] The host object the wasm app calls (Module.host)
// [SECTION] Classifying: bytes to the core, huge photos through the browser's decoder
// [SECTION] Lesson links: the photo and the wasm app's view as parts of the page state
// [SECTION] Boot
import createCatdogApp from './app.js';
import { Model, modelBase, fetchText, fetchBytes, remember, CACHE } from './model.js';
import { findInitializer } from './onnx_weights.js';
import { registerState, state, setState, toHash, fromHash, followHash, contentHash } from './lesson_link.js';
import { imageSize, browserDecode, wireInputs, wireTouch, Camera, CORE_PIXEL_LIMIT } from './inputs.js';
import { installExplain, explainBoot } from './explain.js';
import { showFallback } from './fallback.js';

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
let photoSource = null;      // what a lesson link records of the shown photo (see the header)
let noWebGL = null;          // why the wasm app has no window (no WebGL2): the HTML fallback is shown
let fallback = null;         // web/fallback.js's UI, when noWebGL

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
      .then((b) => classify(b, name, { sample: name })).catch((e) => announce(`Error: ${e.message}`));
  },
  camera(on, front) {
    if (!on) { camera.stop(); return; }
    camera.start(front).catch((e) => { App._cd_set_camera(0, front ? 1 : 0); report(`camera: ${e.message || e}`); });
  },
  cameraSnap() { snapCamera().catch(() => {}); },
  cameraVideo() { return camera.active(); },
  panelRect(name, x, y, w, h) { rects[name] = { x, y, w, h }; },
  layerChanged(name, ch) { window.catdog.selected = { layer: name, channel: ch }; },
  // main() found no WebGL2: it keeps the runtime alive for the core, the page shows web/fallback.js.
  noWebGL(reason) { noWebGL = reason; },
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
  photoSource = p.source ?? null;
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
  const done = new Promise((resolve, reject) => pending.set(req, { resolve, reject, name: 'camera', t0: performance.now(), tried: true,
    source: { camera: true } }));
  sendRgba(req, frame.rgba, frame.w, frame.h, 'camera', 0);
  return done;
}

// `source`: where the photo came from, for lesson links; a photo the user opened is kept in
// Cache Storage under its content hash (the link names the hash).
async function classify(blob, name, source = null) {
  await modelReady;
  if (!(blob instanceof Blob)) throw new Error('classify: expected a Blob or File');
  name = name || blob.name || 'photo';
  const req = nextReq++;
  const done = new Promise((resolve, reject) => pending.set(req, { resolve, reject, blob, name, t0: performance.now(), source }));
  const p = pending.get(req);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  p.readMs = performance.now() - p.t0;
  if (!source) { p.source = { stored: null, name }; keepPhoto(bytes, blob.type, p.source); }
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
// [SECTION] Lesson links: the photo and the wasm app's view as parts of the page state
//-----------------------------------------------------------------------------
const KEPT_PHOTOS = 40;
const keptUrl = (hash) => new URL(`lesson-photos/${hash}`, location.href);

// Stores a photo the user opened (bytes) so that a lesson link can reopen it; fills source.stored.
async function keepPhoto(bytes, type, source) {
  try {
    const hash = await contentHash(bytes);
    const c = await caches.open(CACHE);
    if (!(await c.match(keptUrl(hash)))) {
      await c.put(keptUrl(hash), new Response(bytes, { headers: { 'Content-Type': type || 'application/octet-stream' } }));
      const kept = (await c.keys()).filter((r) => new URL(r.url).pathname.includes('/lesson-photos/'));
      for (const r of kept.slice(0, Math.max(0, kept.length - KEPT_PHOTOS))) await c.delete(r);
    }
    source.stored = hash;
  } catch (e) { console.warn(`lesson link: cannot keep ${source.name}: ${e.message || e}`); }
}

const sameSource = (a, b) => !!a && !!b && JSON.stringify(a) === JSON.stringify(b);

async function fetchBlob(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url.pathname}: HTTP ${r.status}`);
  return r.blob();
}

async function setPhoto(v) {
  if (!v || sameSource(v, photoSource)) return;
  if (v.sample) return classify(await fetchBlob(new URL(`samples/${encodeURIComponent(v.sample)}`, location.href)), v.sample, { sample: v.sample });
  if (v.stored) {
    const r = await caches.open(CACHE).then((c) => c.match(keptUrl(v.stored))).catch(() => null);
    if (!r) throw new Error(`lesson link: the photo ${v.name || v.stored} is not kept in this browser (open it once here)`);
    return classify(await r.blob(), v.name || 'photo', { stored: v.stored, name: v.name });
  }
  if (v.url) {
    const u = new URL(v.url, location.href);
    if (u.origin !== location.origin) throw new Error(`lesson link: photo ${v.url} is not on this site`);
    return classify(await fetchBlob(u), u.pathname.split('/').pop(), { url: v.url });
  }
  if (v.camera) throw new Error('lesson link: a camera snapshot cannot be reopened; take a new one');
  throw new Error(`lesson link: photo ${JSON.stringify(v)} not understood`);
}

function planeOut() {
  const w = App._cd_conv_width(), h = App._cd_conv_height(), p = App._cd_conv_data() >> 2;
  return { width: w, height: h, data: App.HEAPF32.slice(p, p + w * h) };
}

// window.catdog.convolve (see the header).
function convolve(spec = {}) {
  if (!App) throw new Error('convolve: the app is not started');
  const conv1 = model.info?.conv1 || {};
  let ok;
  if (spec.layer !== undefined) {
    const names = ['conv1', conv1.view, conv1.weight].filter(Boolean);
    if (!names.includes(spec.layer)) throw new Error(`convolve: layer "${spec.layer}": only conv1 runs in the page (${names.join(', ')})`);
    ok = App._cd_convolve_conv1(spec.channel | 0);
  } else {
    const { weights, shape } = spec;
    if (!(weights instanceof Float32Array)) throw new Error('convolve: weights must be a Float32Array');
    if (!Array.isArray(shape) || shape.length !== 3) throw new Error('convolve: shape must be [C, kh, kw]');
    if (shape[0] * shape[1] * shape[2] !== weights.length) throw new Error(`convolve: ${weights.length} weights for shape [${shape}]`);
    let pad = spec.pad ?? 'same';
    if (typeof pad === 'number') pad = [pad, pad, pad, pad];
    if (pad !== 'same' && !(Array.isArray(pad) && pad.length === 4)) throw new Error("convolve: pad must be 'same', a number or [top, left, bottom, right]");
    const p4 = pad === 'same' ? [-1, -1, -1, -1] : pad.map((v) => v | 0);
    const ptr = App._malloc(Math.max(4, weights.length * 4));
    App.HEAPF32.set(weights, ptr >> 2);
    ok = withString(spec.activation || 'none', (act) =>
      App._cd_convolve(ptr, shape[0], shape[1], shape[2], spec.stride ?? 1, ...p4, spec.bias ?? 0, act));
    App._free(ptr);
  }
  if (!ok) throw new Error(`convolve: ${App.UTF8ToString(App._cd_conv_error())}`);
  return planeOut();
}

function viewState() {
  return JSON.parse(App.UTF8ToString(App._cd_state_json()));
}
function setViewState(v) {
  const ok = withString(JSON.stringify(v), (s) => App._cd_set_state(s));
  if (!ok) throw new Error(`lesson link: ${App.UTF8ToString(App._cd_state_error())}`);
}

//-----------------------------------------------------------------------------
// [SECTION] Boot
//-----------------------------------------------------------------------------
function status(text, progress, ready = 0) {
  $('boot-text').textContent = text;
  fallback?.status(text);
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

let readyResolve, readyReject, modelReadyResolve, modelReadyReject;
const modelReady = new Promise((res, rej) => { modelReadyResolve = res; modelReadyReject = rej; });
modelReady.catch(() => {});
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
  info: () => ({ webgl: !noWebGL, isolated: model.isolated, threads: model.threads, modelBytes: model.bytes,
    loadMs: model.loadMs, createMs: model.createMs, warmupMs: model.warmupMs, downloadMs: model.downloadMs }),
  // The last input tensor, read from the wasm heap (tests hash it against native).
  tensor() { const n = App._cd_tensor_size(), p = App._cd_tensor_ptr(); return App.HEAPF32.slice(p >> 2, (p >> 2) + n); },
  run: (tensor) => model.runRaw(tensor).then(({ ms }) => ms),   // bare session.run (bench)
  selected: null,
  convolve: (spec) => convolve(spec),
  playground() {
    const j = JSON.parse(App.UTF8ToString(App._cd_playground_json()));
    return { ...j, weights: Float32Array.from(j.weights), data: planeOut().data };
  },
  step(x, y) {
    if (x !== undefined) App._cd_step_to(x | 0, y | 0);
    const j = JSON.parse(App.UTF8ToString(App._cd_step_json()));
    if (j?.error) throw new Error(`step: ${j.error}`);
    return j;
  },
  // Brings a panel to the front (its tab on wide screens; presenter mode shows it if on).
  showPanel(name) { setViewState({ panel: name }); },
  presenter(on, panel) {
    const v = { presenter: !!on };
    if (panel) v.panel = panel;
    setViewState(v);
  },
  layoutReport: () => JSON.parse(App.UTF8ToString(App._cd_layout_json())),
  state: () => state(),
  setState: (obj) => setState(obj),
  lessonLink: () => `${location.origin}${location.pathname}${location.search}${toHash(state())}`,
};
registerState('photo', { get: () => photoSource, set: setPhoto });
registerState('view', { fields: ['panel', 'presenter', 'layer', 'channel', 'playground'], get: viewState, set: setViewState });
installExplain({ host, model, classify, withString, announce });   // web/explain.js: explanations, mistakes

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
  if (noWebGL) {
    console.warn(`no WebGL2 (${noWebGL}): showing the HTML fallback`);
    fallback = showFallback({ reason: noWebGL, classify, labels: () => model.info?.labels || [] });
    announce(`This browser has no WebGL2, so only the plain classifier is shown. ${noWebGL}.`);
  }
  wireInputs({ onFile: (f, n) => (fallback ? fallback.open(f, n) : classify(f, n)).catch(() => {}), fileInput: $('file') });
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
    // Its bias, for the playground (the layer's own numbers).
    const b = info.conv1?.bias ? findInitializer(model.onnxBytes, info.conv1.bias) : null;
    if (b) {
      const p = App._malloc(b.data.length * 4);
      App.HEAPF32.set(b.data, p >> 2);
      App._cd_set_conv1_bias(p, b.data.length);
      App._free(p);
    }
  } catch (e) { console.warn('conv1 weights:', e.message); }
  explainBoot(App, model.onnxBytes, info, base);   // the CAM head's weights, val_results.json
  model.onnxBytes = null;

  const [metrics, summary, samples] = await Promise.all([
    optionalText(new URL('metrics.csv', base)), optionalText(new URL('summary.json', base)),
    optionalText(new URL('samples/index.json', location.href))]);
  if (metrics) withString(metrics, (t) => App._cd_set_metrics(t));
  if (summary) withString(summary, (t) => App._cd_set_summary(t));
  if (samples) withString(samples, (t) => App._cd_set_samples(t));

  status(model.isolated ? `Ready (${model.threads} threads)` : 'Ready (1 thread: not cross-origin isolated)', -1, 1);
  modelReadyResolve();
  // The lesson link the page was opened with (a bad one is reported; the page works anyway).
  try {
    const linked = fromHash(location.hash);
    if (linked) await setState(linked);
  } catch (e) { console.warn(e.message); announce(`Error: ${e.message}`); }
  followHash({ onError: (e) => announce(`Error: ${e.message}`) });
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
  modelReadyReject(e);
  readyReject(e);
});
window.catdog.ready.catch(() => {});
