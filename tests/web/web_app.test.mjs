// tests/web/web_app.test.mjs - the browser app in Debian's chromium (headless) or firefox-esr
// (--browser firefox, under xvfb-run) against `catdog serve` of a real run. References:
// `catdog predict --json` (LibTorch) for the probabilities, the native core (web_tensor_dump)
// for the input tensor, and the browser itself for rendering, requests, the service worker and
// the live region.
//
// Usage: node web_app.test.mjs --catdog BIN --tensor-dump BIN --run RUN --web DIR --shared DIR --artifacts DIR
//        [--browser chromium|firefox]
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startServer, launch, browserName, classify, classifyPut, putFile, dropFile, waitLive, frames, panelShot } from './harness.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
for (const k of ['catdog', 'tensor-dump', 'run', 'web', 'shared', 'artifacts'])
  if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
for (const k of ['catdog', 'tensor-dump', 'run', 'web', 'shared'])
  if (!fs.existsSync(args[k])) { console.error(`--${k} ${args[k]}: not found (build it first: make native wasm)`); process.exit(1); }
fs.mkdirSync(args.artifacts, { recursive: true });
const holdout = path.join(args.shared, 'datasets/holdout-dev');
const odd = path.join(args.shared, 'datasets/odd');
const CAT = path.join(holdout, 'cat.20240.jpg'), DOG = path.join(holdout, 'dog.20240.jpg');
const art = (n) => path.join(args.artifacts, n);

let failures = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try { await fn(); console.log(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) { failures++; console.log(`FAIL ${name}: ${e.stack || e.message}`); }
}

// --- references -----------------------------------------------------------------------------
const native = {};
for (const line of execFileSync(args.catdog, ['predict', '--model', args.run, '--json', CAT, DOG], { encoding: 'utf8' }).trim().split('\n')) {
  const j = JSON.parse(line);
  native[path.basename(j.file)] = j;
}
const labels = JSON.parse(fs.readFileSync(path.join(args.run, 'model.json'), 'utf8')).labels;
const nativeTensorHash = crypto.createHash('sha256')
  .update(execFileSync(args['tensor-dump'], [path.join(args.run, 'model.json'), CAT], { maxBuffer: 1 << 26 })).digest('hex');

// --- the page -------------------------------------------------------------------------------
const server = await startServer(args.catdog, args.run, args.web);
const origin = new URL(server.url).origin;
// A fake camera (the browser's test pattern) stands in for getUserMedia.
const BROWSER = browserName(args);
console.log(`browser: ${BROWSER}`);
const browser = await launch({ browser: BROWSER, fakeCamera: true });
const { page, context } = browser;
const requests = [];
context.on('request', (r) => requests.push(r.url()));
const problems = [];
page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
const online = {};

try {
  await check('page loads, model warms up, cross-origin isolated', async () => {
    await page.goto(server.url);
    await page.evaluate(() => window.catdog.ready);
    const info = await page.evaluate(() => window.catdog.info());
    assert.equal(info.isolated, true, 'catdog serve sends COOP/COEP, so the page must be isolated');
    assert.ok(info.threads >= 2 || (await page.evaluate(() => navigator.hardwareConcurrency)) < 2, `threads ${info.threads}`);
    console.log(`     ${BROWSER}: cross-origin isolated ${info.isolated}, ORT-web on ${info.threads} threads`);
    const layers = await page.evaluate(() => window.catdog.layers());
    assert.ok(layers.length >= 2, 'model.json lists the conv layers');
    assert.match(await waitLive(page, 'Model ready', 10000), /Model ready/);
  });

  await check('dropped cat and dog photos: labels and probabilities equal catdog predict --json (1e-3)', async () => {
    await dropFile(page, CAT);
    const said = await waitLive(page, 'cat.20240.jpg:');
    assert.match(said, new RegExp(`cat\\.20240\\.jpg: ${native['cat.20240.jpg'].label} `), said);
    await frames(page);
    await page.screenshot({ path: art('page-cat.png') });
    let worst = 0;
    for (const f of [CAT, DOG]) {
      const n = path.basename(f);
      const r = await classify(page, f);
      assert.ok(!r.error, r.error);
      online[n] = r;
      assert.equal(r.label, native[n].label, `${n}: page says ${r.label}, native ${native[n].label}`);
      labels.forEach((l, i) => {
        const d = Math.abs(r.probs[i] - native[n].probs[l]);
        worst = Math.max(worst, d);
        assert.ok(d <= 1e-3, `${n} p(${l}): page ${r.probs[i]} native ${native[n].probs[l]} (diff ${d})`);
      });
      console.log(`     ${n}: ${r.label} [${r.probs.map((p) => p.toFixed(5))}] native [${labels.map((l) => native[n].probs[l].toFixed(5))}]` +
        ` ms decode ${r.ms.decode.toFixed(1)} preprocess ${r.ms.preprocess.toFixed(1)} inference ${r.ms.inference.toFixed(1)}`);
    }
    console.log(`     ${BROWSER} vs catdog predict: max |dp| ${worst.toExponential(2)}`);
    await frames(page);
    await page.screenshot({ path: art('page-dog.png') });
  });

  await check('WASM preprocessing tensor hash equals the native core', async () => {
    const r = await classify(page, CAT);
    assert.ok(!r.error, r.error);
    const hash = await page.evaluate(async () => {
      const t = window.catdog.tensor();
      const d = await crypto.subtle.digest('SHA-256', t.buffer);
      return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
    });
    assert.equal(hash, nativeTensorHash);
  });

  await check('switching layers changes the feature-map panel (screenshots saved)', async () => {
    const layers = await page.evaluate(() => window.catdog.layers());
    const shots = [];
    // Chromium draws every layer; Firefox (same WASM, its own WebGL) the first, a middle and the last.
    const shown = BROWSER === 'firefox' ? [0, Math.floor(layers.length / 2), layers.length - 1].map((i) => [i, layers[i]])
                                        : [...layers.entries()];
    for (const [i, l] of shown) {
      const fm = await page.evaluate(({ n }) => { const m = window.catdog.featureMap(n, 0); return { w: m.width, h: m.height, c: m.channels, min: Math.min(...m.data), max: Math.max(...m.data) }; }, { n: l.name });
      assert.deepEqual([fm.c, fm.h, fm.w], l.shape.map(Number), `${l.name}: shape vs model.json`);
      await frames(page);
      shots.push(await panelShot(page, 'Feature maps', art(`featuremaps-${i}-${l.name}.png`)));
    }
    for (let i = 1; i < shots.length; i++)
      assert.ok(!shots[i].equals(shots[i - 1]), `layers ${i - 1} and ${i} drew the same pixels`);
    // For the page screenshot: a middle layer, enlarged on its most active channel.
    const mid = layers[Math.floor(layers.length / 3)].name;
    await page.evaluate((n) => {
      const c = window.catdog.featureMap(n, 0).channels;
      let best = 0, bestSum = -1;
      for (let k = 0; k < c; k++) { const s = window.catdog.featureMap(n, k).data.reduce((a, b) => a + b, 0); if (s > bestSum) { bestSum = s; best = k; } }
      window.catdog.featureMap(n, best);
    }, mid);
    await page.mouse.move(5, 5);
    await frames(page);
    await panelShot(page, 'Kernels', art('kernels.png'));
    await panelShot(page, 'Training', art('training.png'));
    await page.screenshot({ path: art('page-featuremaps.png') });
  });

  await check('corrupt and unsupported files: a message in the UI and the live region, app keeps working', async () => {
    const txt = art('notes.txt');
    fs.writeFileSync(txt, 'this is not a photo\n');
    for (const f of [path.join(odd, 'bad.random_after_jpeg_header.jpg'), path.join(odd, 'bad.truncated.png'), txt]) {
      await dropFile(page, f);
      const said = await waitLive(page, `Error: ${path.basename(f)}`);
      assert.match(said, /Error: .+: .+/);
      const r = await classify(page, f);
      assert.ok(r.error && r.error.includes(path.basename(f)), `classify must reject naming the file: ${JSON.stringify(r)}`);
    }
    await frames(page);
    await panelShot(page, 'Prediction', art('prediction-error.png'));
    const ok = await classify(page, DOG);
    assert.equal(ok.label, online['dog.20240.jpg'].label, 'still classifies after errors');
  });

  await check('every file of ../shared/datasets/odd: a label where catdog predict gives one, a one-line error where its MANIFEST says error', async () => {
    const rows = fs.readFileSync(path.join(args.shared, 'datasets/odd.MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1)
      .map((l) => l.split('\t')).map(([name, expected]) => ({ name, expected }));
    const nativeOdd = {};
    const files = rows.map((r) => path.join(odd, r.name));
    let out = '';
    try { out = execFileSync(args.catdog, ['predict', '--model', args.run, '--json', ...files], { encoding: 'utf8', maxBuffer: 1 << 24 }); }
    catch (e) { out = e.stdout; }  // exit 1: some files are errors by design
    for (const line of out.trim().split('\n')) { const j = JSON.parse(line); nativeOdd[path.basename(j.file)] = j; }
    let labelled = 0, refused = 0;
    // Firefox runs the same WASM decoders: it takes the files its own decoder handles (over 8 MP),
    // every error and every third of the rest.
    const sweep = BROWSER === 'firefox' ? rows.filter((r, i) => /huge|large/.test(r.name) || r.expected === 'error' || i % 3 === 0) : rows;
    for (const r of sweep) {
      const got = await classify(page, path.join(odd, r.name));
      if (r.expected === 'error') {
        assert.ok(got.error && got.error.includes(r.name) && !got.error.includes('\n'), `${r.name}: must be a one-line error naming it: ${JSON.stringify(got)}`);
        refused++;
      } else {
        assert.ok(!got.error && got.label, `${r.name}: must get a label: ${JSON.stringify(got)}`);
        // Over 8 MP the page decodes with the browser's own decoder (never freezing), so its
        // tensor is close to but not the core's: there a label is all that is required.
        if (!got.decodedByBrowser && !/huge|large/.test(r.name))
          assert.equal(got.label, nativeOdd[r.name].label, `${r.name}: page and catdog predict disagree`);
        labelled++;
      }
    }
    console.log(`odd files in the page: ${labelled} labelled as native, ${refused} refused`);
    const ok = await classify(page, CAT);
    assert.equal(ok.label, online['cat.20240.jpg'].label, 'still classifies after the odd files');
  });

  await check('camera: preview in the input panel, a snapshot is classified', async () => {
    await page.evaluate(() => window.catdog.camera(true, false));
    await page.waitForTimeout(500);
    await frames(page);
    await panelShot(page, 'Input', art('input-camera.png'));
    const r = await page.evaluate(async () => { const x = await window.catdog.snap(); return { label: x.label, probs: x.probs }; });
    assert.ok(labels.includes(r.label), JSON.stringify(r));
    assert.ok(Math.abs(r.probs.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'probabilities sum to 1');
    await page.evaluate(() => window.catdog.camera(false));
  });

  await check('a 24 MP photo never blocks the page for more than 2 s', async () => {
    const big = path.join(odd, 'cat.huge_6000x4000.jpg');
    const n = await putFile(page, big);   // before the stall monitor: the base64 hand-over is the test's own cost
    await page.evaluate(() => {
      window.__gap = 0; let last = performance.now();
      window.__tick = setInterval(() => { const now = performance.now(); window.__gap = Math.max(window.__gap, now - last); last = now; }, 20);
    });
    const r = await classifyPut(page, n);
    const gap = await page.evaluate(() => { clearInterval(window.__tick); return window.__gap; });
    assert.ok(!r.error, r.error);
    console.log(`     ${path.basename(big)}: ${r.label}, longest main-thread stall ${gap.toFixed(0)} ms, total ${r.ms.total.toFixed(0)} ms`);
    assert.ok(gap < 2000, `main thread blocked ${gap} ms`);
  });

  await check('any static server (no COOP/COEP): one thread, and the page says so', async () => {
    // A plain file server: the app folder at /, the run's files at /model/ (the page's default).
    const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
      '.css': 'text/css', '.json': 'application/json' };
    const plain = http.createServer((req, res) => {
      const u = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      const runDir = path.resolve(args.run), webDir = path.resolve(args.web);
      const f = u.startsWith('/model/') ? path.join(runDir, u.slice(7)) : path.join(webDir, u === '/' ? 'index.html' : u);
      if (!f.startsWith(runDir) && !f.startsWith(webDir)) { res.writeHead(403); return res.end(); }
      fs.readFile(f, (err, data) => {
        if (err) { res.writeHead(404); return res.end(); }
        res.writeHead(200, { 'Content-Type': types[path.extname(f)] || 'application/octet-stream' });
        res.end(data);
      });
    });
    await new Promise((r) => plain.listen(0, '127.0.0.1', r));
    const b2 = await launch({ browser: BROWSER });
    try {
      await b2.page.goto(`http://127.0.0.1:${plain.address().port}/`);
      await b2.page.evaluate(() => window.catdog.ready);
      const info = await b2.page.evaluate(() => window.catdog.info());
      assert.equal(info.isolated, false);
      assert.equal(info.threads, 1);
      // announce() clears the region and fills it 30 ms later (so screen readers re-read it): wait.
      assert.match(await waitLive(b2.page, 'not cross-origin isolated', 10000),
                   /one thread because the page is not cross-origin isolated/);
      const r = await classify(b2.page, DOG);
      r.probs.forEach((p, i) => assert.ok(Math.abs(p - online['dog.20240.jpg'].probs[i]) < 1e-5, 'same probabilities on 1 thread'));
      await frames(b2.page);
      await panelShot(b2.page, 'Input', art('input-one-thread.png'));
    } finally {
      await b2.close();
      plain.close();
    }
  });

  await check('offline: server stopped, the page reloads from the service worker and classifies', async () => {
    await page.evaluate(() => navigator.serviceWorker.ready);
    await server.stop();
    await page.reload();
    await page.evaluate(() => window.catdog.ready);
    const r = await classify(page, DOG);
    assert.ok(!r.error, r.error);
    assert.equal(r.label, online['dog.20240.jpg'].label);
    r.probs.forEach((p, i) => assert.ok(Math.abs(p - online['dog.20240.jpg'].probs[i]) < 1e-6, 'same probabilities offline'));
    await frames(page);
    await page.screenshot({ path: art('page-offline.png') });
  });

  await check('every request stayed on the page origin; no CSP violation', async () => {
    const foreign = requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin);
    assert.ok(requests.length > 5, 'requests were recorded');
    assert.deepEqual(foreign, [], `requests outside ${origin}`);
    assert.deepEqual(problems, []);
  });
} finally {
  await browser.close();
  await server.stop();
}
console.log(failures ? `${failures} check(s) failed; artifacts in ${args.artifacts}` : `all checks passed; screenshots in ${args.artifacts}`);
process.exit(failures ? 1 : 0);
