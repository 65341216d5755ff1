// web/explain_worker.js - the explanation's network runs, off the page's main thread.
//
// Occlusion runs model.web.onnx on batches of occluded crops (its batch dimension is
// dynamic), Grad-CAM runs model.explain.onnx (the forward graph plus the explicit backward
// graph the export wrote). Both are ORT-web sessions of their own here, created the first
// time they are needed, so the page's classification session stays as it is and a long
// occlusion never blocks drawing or input.
//
// Messages in:  {id, type: 'init', base, web, explain, explainKey, threads}
//               {id, type: 'run', which: 'web'|'explain', feeds: {name: {data, dims}}, fetches: [names]}
// Messages out: {id, ok} | {id, outputs: {name: {data, dims}}, ms, createMs} | {id, error}
import * as ort from './ort.wasm.min.mjs';

const CACHE = 'catdog-v1';   // the page's offline cache (web/model.js)
let cfg = null;
const sessions = {};         // which -> Promise<InferenceSession>
const createMs = {};

// model.web.onnx comes from the service worker's cache (the page stored it); the explain graph
// is stored here the first time, under a key that changes with model.json, so a new export is
// fetched again and the graph works offline after one online use.
async function bytesOf(which) {
  const url = new URL(which === 'web' ? cfg.web : cfg.explain, cfg.base);
  const key = which === 'explain' ? new URL(`${url.pathname}?model=${cfg.explainKey}`, url) : null;
  if (key) {
    const hit = await caches.open(CACHE).then((c) => c.match(key)).catch(() => null);
    if (hit) return new Uint8Array(await hit.arrayBuffer());
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url.pathname}: HTTP ${r.status}`);
  const bytes = new Uint8Array(await r.arrayBuffer());
  if (key) {
    try {
      await (await caches.open(CACHE)).put(key, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } }));
    } catch { /* no Cache Storage: works online only */ }
  }
  return bytes;
}

function session(which) {
  if (!sessions[which]) {
    sessions[which] = (async () => {
      const bytes = await bytesOf(which);
      const t0 = performance.now();
      const s = await ort.InferenceSession.create(bytes, {
        executionProviders: ['wasm'], graphOptimizationLevel: 'all',
        // int8 Linear weights folded to float32 once at load, as the page's session does.
        extra: { session: { disable_quant_qdq: '1' } },
      });
      createMs[which] = performance.now() - t0;
      return s;
    })();
    sessions[which].catch(() => { delete sessions[which]; });
  }
  return sessions[which];
}

self.onmessage = async ({ data: m }) => {
  try {
    if (m.type === 'init') {
      cfg = m;
      ort.env.wasm.wasmPaths = new URL('./', import.meta.url).href;
      ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.max(1, m.threads || 1) : 1;
      ort.env.wasm.proxy = false;
      self.postMessage({ id: m.id, ok: true });
      return;
    }
    if (m.type !== 'run') throw new Error(`explain worker: unknown message ${m.type}`);
    const s = await session(m.which);
    const feeds = {};
    for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
    const t0 = performance.now();
    const out = await s.run(feeds, m.fetches);
    const ms = performance.now() - t0;
    const outputs = {}, transfer = [];
    for (const [name, t] of Object.entries(out)) {
      const data = new Float32Array(t.data);   // own buffer, so it can be transferred
      outputs[name] = { data, dims: t.dims };
      transfer.push(data.buffer);
    }
    self.postMessage({ id: m.id, outputs, ms, createMs: createMs[m.which] }, transfer);
  } catch (e) {
    self.postMessage({ id: m.id, error: String(e?.message || e) });
  }
};
