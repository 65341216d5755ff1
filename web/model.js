// web/model.js - the model: download with progress, onnxruntime-web session, warm-up, runs.
//
// ORT-web 1.30 is loaded from this folder (ort.wasm.min.mjs + ort-wasm-simd-threaded.{mjs,wasm}),
// never from a CDN. It uses wasm threads only when the page is cross-origin isolated
// (COOP + COEP headers, as `catdog serve` sends); otherwise one thread.
import * as ort from './ort.wasm.min.mjs';

export const CACHE = 'catdog-v1';

// Where the model lives: ?model=DIR (relative or absolute path on this origin), else ./model/.
export function modelBase() {
  let dir = new URL(location.href).searchParams.get('model') || 'model/';
  if (!dir.endsWith('/')) dir += '/';
  const url = new URL(dir, location.href);
  if (url.origin !== location.origin) throw new Error(`model folder ${dir}: must be on this site (${location.origin})`);
  return url;
}

async function cachedText(url) {
  try {
    const r = await (await caches.open(CACHE)).match(url);
    return r ? await r.text() : null;
  } catch { return null; }
}

// Copies a fetched body into the offline cache (the service worker serves it from there).
export async function remember(url, body, type) {
  try {
    const c = await caches.open(CACHE);
    await c.put(url, new Response(body, { headers: { 'Content-Type': type, 'Content-Length': String(body.byteLength ?? body.length) } }));
  } catch { /* no Cache Storage (private mode): the page still works online */ }
}

// GET with progress callbacks (fraction, or -1 when the size is unknown).
export async function fetchBytes(url, onProgress) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url.pathname}: HTTP ${r.status}`);
  const total = Number(r.headers.get('Content-Length')) || 0;
  if (!r.body || !total) { const b = new Uint8Array(await r.arrayBuffer()); onProgress?.(1); return b; }
  const out = new Uint8Array(total);
  const reader = r.body.getReader();
  let got = 0, last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (got + value.length > total) throw new Error(`${url.pathname}: more bytes than announced`);
    out.set(value, got);
    got += value.length;
    const now = performance.now();
    if (now - last > 50) { onProgress?.(got / total); last = now; }
  }
  if (got !== total) throw new Error(`${url.pathname}: truncated download (${got} of ${total} bytes)`);
  onProgress?.(1);
  return out;
}

export async function fetchText(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url.pathname}: HTTP ${r.status}`);
  return r.text();
}

export class Model {
  constructor() { this.session = null; this.info = null; this.queue = Promise.resolve(); this.bytes = 0; }

  // Downloads model.json + model.web.onnx, creates the session and runs it once (warm-up).
  async load(base, status) {
    const t0 = performance.now();
    const jsonUrl = new URL('model.json', base), onnxUrl = new URL('model.web.onnx', base);
    const old = await cachedText(jsonUrl);
    const jsonText = await fetchText(jsonUrl);
    this.info = JSON.parse(jsonText);
    if (old !== null && old !== jsonText) {
      // A new export: the cached weights are stale.
      try { await (await caches.open(CACHE)).delete(onnxUrl); } catch { /* ignore */ }
    }
    remember(jsonUrl, jsonText, 'application/json');
    status('Downloading the model...', 0);
    const bytes = await fetchBytes(onnxUrl, (f) => status('Downloading the model...', f));
    this.bytes = bytes.length;
    this.onnxBytes = bytes;
    const cached = await caches.open(CACHE).then((c) => c.match(onnxUrl)).catch(() => null);
    if (!cached) await remember(onnxUrl, bytes, 'application/octet-stream');
    this.downloadMs = performance.now() - t0;

    status('Starting the network...', -1);
    ort.env.wasm.wasmPaths = new URL('./', import.meta.url).href;
    this.isolated = globalThis.crossOriginIsolated === true;
    this.threads = this.isolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2)) : 1;
    ort.env.wasm.numThreads = this.threads;
    ort.env.wasm.proxy = false;
    const t1 = performance.now();
    // The int8 weights arrive as DequantizeLinear(int8, scale) initializers. ORT keeps those
    // nodes by default (for QDQ fusion) and so dequantizes ~55 M weights on every run; this
    // lets it fold them into float32 once at load: the download stays int8 and each run costs
    // what the fp32 model costs (the fastest encoding in ORT-web, see the export tests), for
    // more memory: AlexNet's 217 MiB of float32 weights (onnxruntime-web under node: +340 MB RSS).
    this.session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['wasm'], graphOptimizationLevel: 'all',
      extra: { session: { disable_quant_qdq: '1' } },
    });
    this.createMs = performance.now() - t1;

    status('Warming up...', -1);
    const size = this.info.input?.size || 224;
    const t2 = performance.now();
    await this.runRaw(new Float32Array(3 * size * size));
    this.warmupMs = performance.now() - t2;
    this.loadMs = performance.now() - t0;
    return this.info;
  }

  inputName() { return this.info.input?.name || 'input'; }

  // Runs the model on one CHW tensor; runs are queued (a session runs one at a time).
  runRaw(tensor) {
    const size = this.info.input?.size || 224;
    const job = this.queue.then(async () => {
      const feeds = { [this.inputName()]: new ort.Tensor('float32', tensor, [1, 3, size, size]) };
      const t0 = performance.now();
      const out = await this.session.run(feeds);
      return { out, ms: performance.now() - t0 };
    });
    this.queue = job.catch(() => {});
    return job;
  }
}
