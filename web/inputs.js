// web/inputs.js - where photos come from, and how huge ones are decoded without freezing.
//
// Files go to the wasm core as bytes (decoded exactly like native). A photo whose header
// declares more pixels than the core's limit here (wasm/pipeline.h: 8 MP) is decoded by the
// browser instead, off the main thread (createImageBitmap with a resize), and handed over as
// RGBA; the page says so beside the prediction.
export const CORE_PIXEL_LIMIT = 8_000_000;

// Width and height from the first bytes of a JPEG, PNG, GIF, BMP or WebP; null if unknown.
export function imageSize(b) {
  const u16be = (i) => (b[i] << 8) | b[i + 1], u16le = (i) => b[i] | (b[i + 1] << 8);
  const u32le = (i) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + b[i + 3] * 16777216;
  if (b.length > 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47)
    return { w: u16be(16) * 65536 + u16be(18), h: u16be(20) * 65536 + u16be(22) };
  if (b.length > 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return { w: u16le(6), h: u16le(8) };
  if (b.length > 26 && b[0] === 0x42 && b[1] === 0x4d) return { w: Math.abs(u32le(18) | 0), h: Math.abs(u32le(22) | 0) };
  if (b.length > 30 && b[0] === 0x52 && b[8] === 0x57 && b[12] === 0x56 && b[13] === 0x50 && b[14] === 0x38) {
    if (b[15] === 0x58) return { w: 1 + b[24] + (b[25] << 8) + (b[26] << 16), h: 1 + b[27] + (b[28] << 8) + (b[29] << 16) };
    if (b[15] === 0x4c) { const v = u32le(21); return { w: 1 + (v & 0x3fff), h: 1 + ((v >>> 14) & 0x3fff) }; }
    if (b[15] === 0x20) return { w: u16le(26) & 0x3fff, h: u16le(28) & 0x3fff };
  }
  if (b.length > 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) { i++; continue; }
      const m = b[i + 1];
      if (m === 0xff) { i++; continue; }
      if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return { w: u16be(i + 7), h: u16be(i + 5) };
      i += 2 + u16be(i + 2);
    }
  }
  return null;
}

// Decodes with the browser, shrinking so the shorter side is `shorter` px (2x the network's
// Resize, which the core then applies with PIL's filter). Returns {rgba, w, h}.
export async function browserDecode(blob, size, shorter) {
  const s = Math.min(1, shorter / Math.min(size.w, size.h));
  const opts = { imageOrientation: 'from-image', resizeQuality: 'high' };
  if (s < 1) { opts.resizeWidth = Math.max(1, Math.round(size.w * s)); opts.resizeHeight = Math.max(1, Math.round(size.h * s)); }
  const bmp = await createImageBitmap(blob, opts);
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return { rgba: img.data, w: img.width, h: img.height };
}

// Drag & drop and paste anywhere on the page, and the (screen-reader visible) file input.
export function wireInputs({ onFile, fileInput }) {
  const take = (files) => { if (files && files.length) onFile(files[0], files[0].name || 'photo'); };
  document.addEventListener('dragover', (e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; });
  document.addEventListener('drop', (e) => { e.preventDefault(); take(e.dataTransfer?.files); });
  document.addEventListener('paste', (e) => {
    const items = [...(e.clipboardData?.items || [])].filter((i) => i.kind === 'file');
    if (items.length) { e.preventDefault(); const f = items[0].getAsFile(); onFile(f, f.name || 'pasted image'); }
  });
  fileInput.addEventListener('change', () => { take(fileInput.files); fileInput.value = ''; });
}

// The camera: getUserMedia with the front ('user') or rear ('environment') lens.
export class Camera {
  constructor(video) { this.video = video; this.stream = null; }
  async start(front) {
    this.stop();
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('camera: not available in this browser (or not https)');
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: front ? 'user' : 'environment' }, audio: false });
    this.video.setAttribute('playsinline', '');   // iOS: play inline, not fullscreen
    this.video.muted = true;
    this.video.srcObject = this.stream;
    await this.video.play();
  }
  stop() {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
  }
  active() { return this.stream ? this.video : null; }
  // The current frame as RGBA.
  snap() {
    const v = this.video;
    if (!this.stream || !v.videoWidth) throw new Error('camera: no frame yet');
    const c = new OffscreenCanvas(v.videoWidth, v.videoHeight);
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(v, 0, 0);
    const img = ctx.getImageData(0, 0, c.width, c.height);
    return { rgba: img.data, w: img.width, h: img.height };
  }
}

// Touch: one finger acts as the mouse (ImGui's GLFW backend listens for mouse events only),
// two fingers scroll.
export function wireTouch(canvas) {
  let last = null;
  const mouse = (type, t) => canvas.dispatchEvent(new MouseEvent(type, {
    clientX: t.clientX, clientY: t.clientY, screenX: t.screenX, screenY: t.screenY, button: 0,
    buttons: type === 'mouseup' ? 0 : 1, bubbles: true, cancelable: true, view: window }));
  canvas.addEventListener('touchstart', (e) => {
    e.preventDefault();
    if (e.touches.length === 1) { const t = e.touches[0]; mouse('mousemove', t); mouse('mousedown', t); }
    last = e.touches.length === 2 ? e.touches[0].clientY : null;
  }, { passive: false });
  canvas.addEventListener('touchmove', (e) => {
    e.preventDefault();
    if (e.touches.length === 1) mouse('mousemove', e.touches[0]);
    else if (e.touches.length === 2 && last !== null) {
      const y = e.touches[0].clientY;
      canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: last - y, clientX: e.touches[0].clientX, clientY: y, bubbles: true, cancelable: true }));
      last = y;
    }
  }, { passive: false });
  canvas.addEventListener('touchend', (e) => {
    e.preventDefault();
    const t = e.changedTouches[0];
    if (t && e.touches.length === 0) mouse('mouseup', t);
  }, { passive: false });
}
