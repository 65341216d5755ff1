// web/sw.js - offline use: the app and the model are cached on the first visit.
//
// App files (index.html, JS, wasm): from the cache at once, refreshed in the background, so a
// warm start never waits for the network and a rebuilt app shows up on the next visit.
// Small model files (model.json, metrics, samples): network first, the cache when offline.
// The ONNX model: cache first (it is large; the page drops a stale copy when model.json
// changes). Only same-origin GETs are handled.
const CACHE = 'catdog-v1';
const SHELL = ['./', 'index.html', 'style.css', 'catdog.js', 'model.js', 'inputs.js', 'onnx_weights.js', 'lesson_link.js',
  'explain.js', 'explain_worker.js', 'fallback.js',
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

async function staleWhileRevalidate(e) {
  const c = await caches.open(CACHE);
  const hit = await c.match(e.request, { ignoreSearch: e.request.mode === 'navigate' });
  const refresh = fetch(e.request).then((r) => {
    if (r.ok && r.status === 200) return c.put(e.request, r.clone()).then(() => r);
    return r;
  });
  if (hit) {
    e.waitUntil(refresh.catch(() => {}));
    return hit;
  }
  return refresh;
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
  const scope = new URL(self.registration.scope);
  const rel = url.pathname.startsWith(scope.pathname) ? url.pathname.slice(scope.pathname.length) : null;
  if (url.pathname.endsWith('.onnx')) e.respondWith(cacheFirst(e.request));
  else if (rel !== null && (rel === '' || SHELL.includes(rel))) e.respondWith(staleWhileRevalidate(e));
  else e.respondWith(networkFirst(e.request));
});
