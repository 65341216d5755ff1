// web/sw.js - offline use: the app and the model are cached on the first visit.
//
// App files and small model files: network first (so a rebuilt app or a new export shows up
// at once), the cache when the network fails. The ONNX model: cache first (it is large, and
// the page removes a stale copy when model.json changes). Only same-origin GETs are handled.
const CACHE = 'catdog-v1';
const SHELL = ['./', 'index.html', 'style.css', 'catdog.js', 'model.js', 'inputs.js', 'onnx_weights.js',
  'app.js', 'app.wasm', 'ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('catdog-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function networkFirst(req) {
  const c = await caches.open(CACHE);
  try {
    const r = await fetch(req);
    if (r.ok && r.status === 200) c.put(req, r.clone());
    return r;
  } catch (err) {
    const hit = await c.match(req, { ignoreSearch: req.mode === 'navigate' });
    if (hit) return hit;
    throw err;
  }
}

async function cacheFirst(req) {
  const c = await caches.open(CACHE);
  const hit = await c.match(req);
  if (hit) return hit;
  return fetch(req);   // the page stores the model itself once it has checked it
}

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
  e.respondWith(url.pathname.endsWith('.onnx') ? cacheFirst(e.request) : networkFirst(e.request));
});
