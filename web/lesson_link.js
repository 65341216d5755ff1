// web/lesson_link.js - lesson links: the page's whole state as a plain object, kept in the URL hash.
//
// A teacher sets the page up (photo, panel, layer, channel, kernel, presenter mode, part 2's
// explanation...) and copies the address: opening it restores the same view, offline too (the
// service worker serves the app; a photo the user opened is kept in Cache Storage under a
// content hash, samples are cached by the service worker when first fetched).
//
//   registerState(key, {get: () => plainObject, set: (obj) => Promise|void})
//       adds one part of the state; a link that arrived before its part registered is applied
//       to it on registration.
//   registerState(key, {get, set, fields: ['a', 'b']}): a part whose get() object is spread into
//       the top level (state().a, state().b); set() receives the fields a link gives, together.
//   state()        -> {v: 1, photo, panel, layer, channel, playground, presenter, <key>: ...}
//   setState(obj)  -> Promise: applies the parts `obj` names, the photo first (the rest depends on it)
//   toHash(obj) / fromHash(hash): the serialisation, "#s=" + encodeURIComponent(JSON).
//
// The core parts (photo and the wasm app's view) are registered by web/catdog.js; the hash is
// refreshed with history.replaceState (no history entry per click) a few times a second.

const VERSION = 1;
const parts = new Map();          // key -> {get, set}
let waiting = {};                 // parts of an applied state whose key has not registered yet
let applying = 0;                 // > 0 while setState runs: the hash is not rewritten meanwhile
let lastHash = null;

export function registerState(key, { get, set, fields = null }) {
  if (typeof key !== 'string' || !key || key === 'v') throw new Error(`registerState: bad key ${JSON.stringify(key)}`);
  if (typeof get !== 'function' || typeof set !== 'function') throw new Error(`registerState(${key}): needs get and set functions`);
  parts.set(key, { get, set, fields });
  const v = pick(waiting, key, fields);
  if (v !== undefined) applyPart(key, v).catch((e) => console.warn(`lesson link: ${key}: ${e.message || e}`));
}

// The value of part `key` in `obj` (removed from it), or undefined when obj has none.
function pick(obj, key, fields) {
  if (!fields) {
    if (!(key in obj)) return undefined;
    const v = obj[key];
    delete obj[key];
    return v;
  }
  const sub = {};
  for (const f of fields) if (f in obj) { sub[f] = obj[f]; delete obj[f]; }
  return Object.keys(sub).length ? sub : undefined;
}

export function state() {
  const out = { v: VERSION };
  for (const [key, p] of parts) {
    try {
      const v = p.get();
      if (v === undefined) continue;
      if (p.fields) for (const f of p.fields) { if (v[f] !== undefined) out[f] = v[f]; }
      else out[key] = v;
    } catch (e) { console.warn(`lesson link: ${key}.get: ${e.message || e}`); }
  }
  return JSON.parse(JSON.stringify(out));   // a plain, detached object
}

async function applyPart(key, value) {
  applying++;
  try { await parts.get(key).set(value); } finally { applying--; }
}

// Parts are applied one after another in registration order (the photo first: the views
// that show it come after); whatever no registered part takes waits for its part.
export async function setState(obj) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('setState: expected a plain object');
  if (obj.v !== undefined && obj.v !== VERSION) throw new Error(`setState: lesson link version ${obj.v}, this page reads ${VERSION}`);
  const rest = JSON.parse(JSON.stringify(obj));
  delete rest.v;
  applying++;
  try {
    for (const [key, p] of parts) {
      const v = pick(rest, key, p.fields);
      if (v !== undefined) await applyPart(key, v);
    }
    Object.assign(waiting, rest);
  } finally { applying--; }
  writeHash(true);
}

export function toHash(obj) { return `#s=${encodeURIComponent(JSON.stringify(obj))}`; }

// null when the hash holds no lesson state; throws with a one-line reason when it is malformed.
export function fromHash(hash) {
  const m = /^#?s=(.*)$/s.exec(hash || '');
  if (!m) return null;
  let obj;
  try { obj = JSON.parse(decodeURIComponent(m[1])); } catch (e) { throw new Error(`lesson link: not readable (${e.message})`); }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('lesson link: not an object');
  return obj;
}

function writeHash(force = false) {
  if (applying && !force) return;
  const h = toHash(state());
  if (h === lastHash && location.hash === h) return;
  lastHash = h;
  history.replaceState(history.state, '', `${location.pathname}${location.search}${h}`);
}

// Starts keeping the hash up to date and answers links pasted into this tab. Call once the
// page is ready, after restoring the link it was opened with.
export function followHash({ intervalMs = 400, onError = (e) => console.warn(e.message) } = {}) {
  setInterval(() => writeHash(), intervalMs);
  window.addEventListener('hashchange', () => {
    if (location.hash === lastHash) return;
    let obj;
    try { obj = fromHash(location.hash); } catch (e) { onError(e); return; }
    if (obj) setState(obj).catch(onError);
  });
}

// Bytes -> a short content hash (hex), used to keep the user's own photo for the link.
export async function contentHash(bytes) {
  const d = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(d).slice(0, 12)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Float32Array <-> base64 (the edited kernel's exact weights, compactly).
export function floatsToBase64(f) {
  const b = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return btoa(s);
}
export function base64ToFloats(s) {
  const bin = atob(s);
  if (bin.length % 4) throw new Error('weights: not whole float32 values');
  const b = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
  return new Float32Array(b.buffer);
}
