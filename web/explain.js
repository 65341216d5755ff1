// web/explain.js - why the network decided: the JS side of the explanation panel
// (wasm/panel_explain.cpp, wasm/panel_mistakes.cpp) and its window.catdog entry points.
//
//   window.catdog.explain(blob, {method, className, versus, layer, patch, stride})
//       -> Promise<{width, height, data: Float32Array, logit, method, className, versus, layer, signed, ms}>
//   window.catdog.imagenetTop5(blob) -> Promise<[{label, prob}]>
//   window.catdog.mistakes(trueClass, predClass) -> [{file, label, pred, probs}]
//   window.catdog.openMistake(k) -> Promise<classify result>
//   window.catdog.explainMap() -> Promise<the map the panel shows, once its job is done>
// (documented in web/catdog.js's header).
//
// [SECTION] Jobs: the wasm panel asks, this runs the network, the core computes the map
// [SECTION] The worker (web/explain_worker.js)
// [SECTION] Mistakes: val_results.json and its photos
// [SECTION] Boot and window.catdog
import { findInitializer } from './onnx_weights.js';
import { remember, fetchText, modelBase } from './model.js';
import { registerState } from './lesson_link.js';

const OCCLUSION_BATCH = 8;   // occluded crops per run in the worker
let ctx = null;              // {app(), host, model, classify, withString}
let App = null;
const jobWaiters = new Map();   // job id -> [{resolve, reject}]
let wantedId = 0;
let runner = null;
let lastRun = 0;

const json = (ptr) => JSON.parse(App.UTF8ToString(ptr));
const info = () => ctx.model.info;

//-----------------------------------------------------------------------------
// [SECTION] Jobs: the wasm panel asks, this runs the network, the core computes the map
//-----------------------------------------------------------------------------
function onNeeded(id) {
  wantedId = Math.max(wantedId, id);
  // Not inside the wasm call that asked: the job starts once the call has returned.
  if (!runner) runner = Promise.resolve().then(runJobs).finally(() => { runner = null; if (wantedId > lastRun) onNeeded(wantedId); });
}

async function runJobs() {
  for (let id = wantedId, done = 0; id !== done; id = wantedId) {
    const job = json(App._cd_explain_job(id));
    if (!job.stale && job.open) {
      try { await runJob(id, job); } catch (e) {
        ctx.withString(`${job.method}: ${e.message || e}`, (m) => App._cd_explain_fail(id, m));
      }
    }
    settle(id);
    done = lastRun = id;
  }
  for (const id of [...jobWaiters.keys()]) if (id < wantedId) settle(id);
}

// Resolves or rejects whoever waits for job `id`.
function settle(id) {
  const w = jobWaiters.get(id);
  if (!w) return;
  const job = json(App._cd_explain_job(id));
  if (!job.stale && job.open) return;   // still running (a later settle will come)
  jobWaiters.delete(id);
  for (const { resolve, reject } of w) {
    if (job.stale) reject(new Error('explain: replaced by a newer request'));
    else if (!job.done) reject(new Error(job.error || 'explain: failed'));
    else resolve(readMap());
  }
}

function waitJob(id) {
  return new Promise((resolve, reject) => {
    if (!jobWaiters.has(id)) jobWaiters.set(id, []);
    jobWaiters.get(id).push({ resolve, reject });
    settle(id);
    if (jobWaiters.has(id) && !runner) onNeeded(id);
  });
}

function readMap() {
  const m = json(App._cd_explain_map_info());
  const p = App._cd_explain_map_data() >> 2;
  return { ...m, data: App.HEAPF32.slice(p, p + m.width * m.height) };
}

// Copies floats into the wasm heap for one call.
function withFloats(arrays, fn) {
  const ptrs = arrays.map((a) => { const p = App._malloc(Math.max(4, a.length * 4)); App.HEAPF32.set(a, p >> 2); return p; });
  try { return fn(...ptrs); } finally { ptrs.forEach((p) => App._free(p)); }
}

const stale = (id) => json(App._cd_explain_job(id)).stale === true;

async function runJob(id, job) {
  const S = job.size, K = job.classes, n = 3 * S * S;
  const inputName = info().input?.name || 'input';
  const logitsName = info().outputs?.logits || 'logits';
  if (job.method === 'cam') { App._cd_explain_cam(id); return; }
  const tp = App._cd_explain_tensor(id) >> 2;
  const tensor = App.HEAPF32.slice(tp, tp + n);
  if (job.method === 'gradcam') {
    const seed = new Float32Array(K);
    seed[job.cls] = 1;
    if (job.versus >= 0) seed[job.versus] = -1;
    const L = job.layer;
    const r = await run('explain', { [inputName]: { data: tensor, dims: [1, 3, S, S] },
      [info().explain.seed || 'seed']: { data: seed, dims: [1, K] } }, [L, `grad:${L}`, logitsName]);
    if (stale(id)) return;
    const a = r.outputs[L], g = r.outputs[`grad:${L}`], lg = r.outputs[logitsName];
    const [, c, h, w] = a.dims;
    withFloats([a.data, g.data, lg.data], (pa, pg, pl) => App._cd_explain_gradcam(id, pa, pg, c, h, w, pl, lg.data.length));
    return;
  }
  // Occlusion: the photo itself, then the occluded crops in batches; between batches the
  // main thread only fills the next batch (the core's occlude) and goes back to drawing.
  // Each synchronous piece is timed: its longest is window.catdog.explainTimings().mainMs.
  const timed = (fn) => { const t0 = performance.now(); try { return fn(); } finally { timings.mainMs = Math.max(timings.mainMs, performance.now() - t0); } };
  const base = await run('web', { [inputName]: { data: tensor, dims: [1, 3, S, S] } }, [logitsName]);
  if (stale(id)) return;
  timed(() => withFloats([base.outputs[logitsName].data], (pl) => App._cd_explain_occlusion_scores(id, -1, 1, pl, K)));
  for (let first = 0; first < job.count; first += OCCLUSION_BATCH) {
    const count = Math.min(OCCLUSION_BATCH, job.count - first);
    const batch = timed(() => {
      const bp = App._cd_explain_occlude(id, first, count);
      return bp ? App.HEAPF32.slice(bp >> 2, (bp >> 2) + count * n) : null;
    });
    if (!batch) return;   // stale: a newer job takes over
    const r = await run('web', { [inputName]: { data: batch, dims: [count, 3, S, S] } }, [logitsName]);
    if (stale(id)) return;
    timed(() => withFloats([r.outputs[logitsName].data], (pl) => App._cd_explain_occlusion_scores(id, first, count, pl, K)));
  }
}

//-----------------------------------------------------------------------------
// [SECTION] The worker (web/explain_worker.js)
//-----------------------------------------------------------------------------
let worker = null, nextMsg = 1;
const replies = new Map();

// A short, stable tag of model.json: the worker's cache key for the explain graph.
function modelTag() {
  const s = JSON.stringify(info());
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16);
}

function post(msg, transfer = []) {
  return new Promise((resolve, reject) => {
    const id = nextMsg++;
    replies.set(id, { resolve, reject });
    worker.postMessage({ ...msg, id }, transfer);
  });
}

function startWorker() {
  if (worker) return;
  worker = new Worker(new URL('./explain_worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    const r = replies.get(data.id);
    replies.delete(data.id);
    if (data.error) r?.reject(new Error(data.error)); else r?.resolve(data);
  };
  worker.onerror = (e) => {
    for (const r of replies.values()) r.reject(new Error(`explain worker: ${e.message || 'failed to start'}`));
    replies.clear();
  };
  post({ type: 'init', base: modelBase().href, web: 'model.web.onnx', explain: info().explain?.file || 'model.explain.onnx',
    // One core fewer than the page's session: the main thread keeps one to draw and answer input.
    explainKey: modelTag(), threads: Math.max(1, (ctx.model.threads || 1) - 1) });
}

const timings = { web: [], explain: [], mainMs: 0 };
async function run(which, feeds, fetches) {
  startWorker();
  const transfer = Object.values(feeds).map((t) => t.data.buffer);
  const t0 = performance.now();
  const r = await new Promise((resolve, reject) => {
    const t = performance.now();
    post({ type: 'run', which, feeds, fetches }, transfer).then(resolve, reject);
    timings.mainMs = Math.max(timings.mainMs, performance.now() - t);   // the hand-over itself
  });
  r.wallMs = performance.now() - t0;
  timings[which].push(r.ms);
  return r;
}

//-----------------------------------------------------------------------------
// [SECTION] Mistakes: val_results.json and its photos
//-----------------------------------------------------------------------------
const THUMB = 128;
const photoUrl = (file) => new URL(`photos/${file.split('/').map(encodeURIComponent).join('/')}`, modelBase());
let thumbQueue = Promise.resolve();

function onThumb(i, file) {
  // One at a time: the browser decodes; the page stays free.
  thumbQueue = thumbQueue.then(async () => {
    try {
      const r = await fetch(photoUrl(file));
      if (!r.ok) throw new Error(`${file}: HTTP ${r.status}${r.status === 404 ? ' (the photo is gone from the run\'s data folder)' : ''}`);
      const bmp = await createImageBitmap(await r.blob());
      const s = Math.min(1, THUMB / Math.max(bmp.width, bmp.height));
      const w = Math.max(1, Math.round(bmp.width * s)), h = Math.max(1, Math.round(bmp.height * s));
      const c = new OffscreenCanvas(w, h);
      const g = c.getContext('2d');
      g.drawImage(bmp, 0, 0, w, h);
      bmp.close();
      const px = g.getImageData(0, 0, w, h).data;
      const p = App._malloc(px.length);
      App.HEAPU8.set(px, p);
      App._cd_mistakes_thumb(i, p, w, h);
      App._free(p);
    } catch (e) {
      ctx.withString(String(e.message || e), (m) => App._cd_mistakes_thumb_failed(i, m));
    }
  });
}

async function openPhoto(file) {
  const u = photoUrl(file);
  const r = await fetch(u);
  if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
  return ctx.classify(await r.blob(), file.split('/').pop(), { url: u.pathname });
}

let cell = [];
function selectCell(truth, pred) {
  const labels = info().labels;
  const idx = (c) => (typeof c === 'number' ? c : labels.indexOf(c));
  const t = idx(truth), p = idx(pred);
  if (t < 0 || p < 0 || t >= labels.length || p >= labels.length)
    throw new Error(`mistakes: classes are ${labels.join(', ')}; got ${truth}, ${pred}`);
  cell = json(App._cd_mistakes_cell(t, p));
  return cell.map(({ file, label, pred: pr, probs }) => ({ file, label: labels[label], pred: labels[pr], probs }));
}

//-----------------------------------------------------------------------------
// [SECTION] Boot and window.catdog
//-----------------------------------------------------------------------------
function applySettings(obj) {
  const id = ctx.withString(JSON.stringify(obj), (s) => App._cd_explain_set(s));
  if (id < 0) throw new Error(App.UTF8ToString(App._cd_explain_error()));
  return id;
}

async function explain(blob, opts = {}) {
  if (blob) await ctx.classify(blob, blob.name || 'photo');
  const o = { method: opts.method ?? null, className: opts.className ?? null, versus: opts.versus ?? null, layer: opts.layer ?? null };
  if (opts.patch !== undefined) o.patch = opts.patch;
  if (opts.stride !== undefined) o.stride = opts.stride;
  const id = applySettings(o);
  if (!id) throw new Error('explain: no photo yet (pass a Blob)');
  return waitJob(id);
}

async function imagenetTop5(blob) {
  if (!info().imagenet?.output) throw new Error('imagenetTop5: this export kept no ImageNet head (no "imagenet" in model.json)');
  if (blob) await ctx.classify(blob, blob.name || 'photo');
  if (!App._cd_imagenet_request()) throw new Error('imagenetTop5: no photo yet (pass a Blob)');
  const ip = App._malloc(5 * 4), pp = App._malloc(5 * 4);
  try {
    const n = App._cd_imagenet_topk(5, ip, pp);
    const labels = info().imagenet.labels || [];
    return Array.from({ length: n }, (_, i) => {
      const k = App.HEAP32[(ip >> 2) + i];
      return { label: labels[k] ?? String(k), index: k, prob: App.HEAPF32[(pp >> 2) + i] };
    });
  } finally { App._free(ip); App._free(pp); }
}

// Called once window.catdog exists: the host hooks the wasm panels call, and the API.
export function installExplain(c) {
  ctx = c;
  Object.assign(c.host, {
    explainNeeded: (id) => onNeeded(id),
    mistakeThumb: (i, file) => onThumb(i, file),
    mistakeOpen: (i, file) => openPhoto(file).catch((e) => c.announce(`Error: ${e.message}`)),
  });
  Object.assign(window.catdog, {
    explain: (blob, opts) => explain(blob, opts),
    imagenetTop5: (blob) => imagenetTop5(blob),
    explainMap: () => { const id = App._cd_explain_refresh(); return id ? waitJob(id) : Promise.resolve(null); },
    // Worker run times (ms) per session, and the longest synchronous piece of explanation work on
    // the main thread (filling a batch, handing it over, taking the scores back).
    explainTimings: () => ({ web: [...timings.web], explain: [...timings.explain], mainMs: timings.mainMs }),
    resetExplainTimings: () => { timings.web = []; timings.explain = []; timings.mainMs = 0; },
    mistakes: (truth, pred) => selectCell(truth, pred),
    openMistake: (k) => {
      if (!cell[k]) throw new Error(`openMistake: the selected cell has ${cell.length} photos`);
      return openPhoto(cell[k].file);
    },
  });
  // Lesson links carry the method, class, opacity and layer (and the occlusion patch).
  registerState('explain', {
    get: () => (App ? { ...json(App._cd_explain_state()) } : undefined),
    set: (v) => { if (v && typeof v === 'object') applySettings(v); },
  });
}

// At boot, while the ONNX bytes are still at hand: the CAM head's weights, and the run's
// per-photo validation results.
export async function explainBoot(app, onnxBytes, modelInfo, base) {
  App = app;
  const cam = modelInfo.cam;
  if (cam?.weight) {
    try {
      const w = findInitializer(onnxBytes, cam.weight), b = findInitializer(onnxBytes, cam.bias);
      if (!w || !b || w.dims.length !== 2) throw new Error(`head ${cam.weight} / ${cam.bias} not found in model.web.onnx`);
      withFloats([w.data, b.data], (pw, pb) => App._cd_explain_set_head(pw, w.dims[0], w.dims[1], pb));
    } catch (e) { console.warn('CAM:', e.message); }
  }
  try {
    const url = new URL('val_results.json', base);
    const text = await fetchText(url);
    remember(url, text, 'application/json');
    ctx.withString(text, (t) => App._cd_mistakes_set(t));
  } catch { /* no per-photo results in this run: the tab says so */ }
}
