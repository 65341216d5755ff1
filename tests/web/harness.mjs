// tests/web/harness.mjs - shared by the browser tests and bench/web: `catdog serve` as a child
// process, Debian's chromium through playwright-core or Debian's firefox-esr through
// puppeteer-core (WebDriver BiDi), and photos handed to the page.
//
// launch({browser: 'chromium' | 'firefox'}) gives the same {page, context, close()} for both:
// for Firefox, `page` is a thin adapter with playwright's call shapes (waitForFunction(fn, arg,
// {timeout}), setViewportSize, waitForTimeout, context.on('request'), context.setOffline), so a
// test written once runs in both. Firefox needs a display for WebGL2 (Mesa's llvmpipe): run the
// test under `xvfb-run -a`; {headless: true} gives a Firefox without WebGL2 at all.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const { chromium } = require(path.join(root, 'node_modules/playwright-core'));

// The browser a test runs in: --browser on its command line, else CATDOG_BROWSER, else chromium.
export function browserName(args = {}) { return args.browser || process.env.CATDOG_BROWSER || 'chromium'; }

// The flags TOOLCHAIN.md gives for headless chromium with WebGL2 through SwiftShader.
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

// Starts `catdog serve` on a free port; resolves with {url, proc, stop()} once it listens.
export function startServer(catdog, run, web, extra = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(catdog, ['serve', '--model', run, '--web', web, '--port', '0', ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`catdog serve did not start:\n${out}${err}`)); }, 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/[^\s/]+:(\d+)\//);
      if (m) {
        clearTimeout(timer);
        const stop = () => new Promise((res) => {
          if (proc.exitCode !== null) return res();
          proc.once('exit', () => res());
          proc.kill('SIGTERM');
        });
        resolve({ url: `http://127.0.0.1:${m[1]}/`, proc, stop, log: () => out + err });
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`catdog serve exited with ${code}:\n${out}${err}`)); });
  });
}

// A fresh browser profile (so no cache or service worker survives from an earlier run).
// fakeCamera: a test pattern stands in for getUserMedia; webgl: false starts chromium without
// WebGL (Firefox: headless, which has none).
export async function launch({ browser = browserName(), width = 1400, height = 860, scale = 1, userDataDir, args = [],
  fakeCamera = false, webgl = true, headless } = {}) {
  if (browser === 'firefox') return launchFirefox({ width, height, scale, userDataDir, fakeCamera, webgl, headless });
  if (browser !== 'chromium') throw new Error(`unknown browser "${browser}" (chromium, firefox)`);
  const dir = userDataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'catdog-chromium-'));
  const extra = [...(fakeCamera ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] : []),
    ...(webgl ? [] : ['--disable-webgl', '--disable-3d-apis'])];
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CATDOG_CHROMIUM || '/usr/bin/chromium', headless: headless ?? true,
    args: [...CHROMIUM_ARGS, ...extra, ...args], viewport: { width, height }, deviceScaleFactor: scale,
  });
  const page = context.pages()[0] || await context.newPage();
  return { browser, context, page, dir, close: async () => { await context.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

// Debian's firefox-esr over WebDriver BiDi (TOOLCHAIN.md: headless: false under xvfb-run has
// WebGL2, is cross-origin isolated and runs ORT-web on 2 threads).
async function launchFirefox({ width, height, scale, userDataDir, fakeCamera, webgl, headless }) {
  const puppeteer = require(path.join(root, 'node_modules/puppeteer-core'));
  if (webgl && !headless && !process.env.DISPLAY)
    throw new Error('Firefox needs a display for WebGL2: run the test under xvfb-run -a (or CATDOG_BROWSER=chromium)');
  const dir = userDataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'catdog-firefox-'));
  const prefs = {
    'media.navigator.streams.fake': fakeCamera, 'media.navigator.permission.disabled': fakeCamera,
    'browser.shell.checkDefaultBrowser': false, 'datareporting.policy.dataSubmissionEnabled': false,
    'app.update.enabled': false, 'browser.startup.homepage_override.mstone': 'ignore',
    'webgl.disabled': !webgl,  // headless Firefox under a display still finds Mesa's GL
  };
  const ff = await puppeteer.launch({
    browser: 'firefox', executablePath: process.env.CATDOG_FIREFOX || '/usr/bin/firefox-esr',
    headless: headless ?? !webgl, userDataDir: dir, extraPrefsFirefox: prefs,
    defaultViewport: { width, height, deviceScaleFactor: scale },
  });
  const raw = (await ff.pages())[0] || await ff.newPage();
  await raw.setViewport({ width, height, deviceScaleFactor: scale });   // defaultViewport alone leaves Firefox at its window size
  const context = {
    on: (ev, fn) => { if (ev !== 'request') throw new Error(`firefox adapter: no context event "${ev}"`); raw.on('request', fn); },
    setOffline: (on) => raw.setOfflineMode(on),
    pages: () => [page],
  };
  // playwright's call shapes on top of puppeteer's page; everything else passes through.
  const own = {
    waitForFunction: (fn, arg, opts = {}) => raw.waitForFunction(fn, { timeout: opts.timeout ?? 30000, polling: opts.polling ?? 100 }, arg),
    waitForTimeout: (ms) => new Promise((r) => setTimeout(r, ms)),
    setViewportSize: ({ width: w, height: h }) => raw.setViewport({ width: w, height: h, deviceScaleFactor: scale }),
    viewportSize: () => raw.viewport(),
    context: () => context,
    goto: (url, opts = {}) => raw.goto(url, { waitUntil: 'load', ...opts }),
    reload: (opts = {}) => raw.reload({ waitUntil: 'load', ...opts }),
    setInputFiles: async (selector, files) => (await raw.$(selector)).uploadFile(...[].concat(files)),
    raw,
  };
  const page = new Proxy(raw, { get: (t, k) => (k in own ? own[k] : (typeof t[k] === 'function' ? t[k].bind(t) : t[k])) });
  return { browser: 'firefox', context, page, dir, close: async () => { await ff.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

// Hands a file's bytes to the page as a File and returns a page-side handle name.
export async function putFile(page, file, name = path.basename(file)) {
  const b64 = fs.readFileSync(file).toString('base64');
  await page.evaluate(({ b64, name }) => {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    (window.__files ||= {})[name] = new File([bytes], name);
  }, { b64, name });
  return name;
}

// Classifies a file through window.catdog.classify; resolves {label, probs, ms} or {error}.
export async function classify(page, file, name) {
  return classifyPut(page, await putFile(page, file, name));
}

// Classifies a file already handed over with putFile.
export async function classifyPut(page, n) {
  return page.evaluate(async (n) => {
    try {
      const r = await window.catdog.classify(window.__files[n], n);
      return { label: r.label, probs: r.probs, ms: r.ms };
    } catch (e) { return { error: e.message }; }
  }, n);
}

// Drops a file on the canvas as a user would (a DataTransfer with one File).
export async function dropFile(page, file, name) {
  const n = await putFile(page, file, name);
  await page.evaluate((n) => {
    const dt = new DataTransfer();
    dt.items.add(window.__files[n]);
    document.getElementById('canvas').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, n);
}

export async function liveText(page) { return page.evaluate(() => document.getElementById('live').textContent); }

// Waits until the live region mentions `needle` (the page announces every result and error).
export async function waitLive(page, needle, timeout = 60000) {
  await page.waitForFunction((s) => document.getElementById('live').textContent.includes(s), needle, { timeout });
  return liveText(page);
}

// Two frames, so ImGui has drawn the latest state.
export async function frames(page, n = 3) {
  for (let i = 0; i < n; i++) await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
}

export async function panelShot(page, name, file) {
  // Panels can be tabs: bring this one to the front first.
  if (await page.evaluate((n) => { if (!window.catdog.showPanel) return false; window.catdog.showPanel(n); return true; }, name)) await frames(page, 4);
  const r = await page.evaluate((n) => window.catdog.panelRect(n), name);
  if (!r) throw new Error(`no panel "${name}" on the page`);
  return page.screenshot({ path: file, clip: { x: r.x, y: r.y, width: r.w, height: r.h } });
}
