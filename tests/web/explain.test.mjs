// tests/web/explain.test.mjs - the explanation panel in Debian's chromium (headless) against
// `catdog serve` of a real run. Outside references only:
//   CAM        NumPy (tests/web/explain_ref.py) from the head's initializers in model.web.onnx and
//              the last conv's activations, both the page's own and onnxruntime-node's; mean + bias
//              vs the network's logit
//   Grad-CAM   torch autograd through the ONNX graph run op by op in torch (explain_ref.py)
//   occlusion  onnxruntime-node on the same patches, occluded by this file's own loop
//   ImageNet   tests/reference/mobilenet_reference.py (TFLite in NumPy) top-5
//   mistakes   the run's val_results.json (the trainer's LibTorch probabilities)
// plus chromium itself for clicks, long tasks, screenshots, the service worker and the URL hash.
//
// Usage: node explain.test.mjs --catdog BIN --tensor-dump BIN --run RUN --web DIR --shared DIR
//        --artifacts DIR [--python /usr/bin/python3] [--run-alexnet RUN]
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, launch, putFile, waitLive, frames, panelShot } from './harness.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../..');
const ort = require(path.join(root, 'node_modules/onnxruntime-node'));

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
for (const k of ['catdog', 'tensor-dump', 'run', 'web', 'shared', 'artifacts'])
  if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
for (const k of ['catdog', 'tensor-dump', 'run', 'web', 'shared'])
  if (!fs.existsSync(args[k])) { console.error(`--${k} ${args[k]}: not found (build it first: make native wasm)`); process.exit(1); }
const PY = args.python || '/usr/bin/python3';
fs.mkdirSync(args.artifacts, { recursive: true });
const art = (n) => path.join(args.artifacts, n);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'catdog-explain-'));
const holdout = path.join(args.shared, 'datasets/holdout-dev');
const CAT = path.join(holdout, 'cat.20240.jpg'), DOG = path.join(holdout, 'dog.20240.jpg');

let failures = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try { await fn(); console.log(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) { failures++; console.log(`FAIL ${name}: ${e.stack || e.message}`); }
}

// --- references -----------------------------------------------------------------------------
const info = JSON.parse(fs.readFileSync(path.join(args.run, 'model.json'), 'utf8'));
const labels = info.labels, K = labels.length, S = info.input.size;
const tensorOf = (run, f) => new Float32Array(new Uint8Array(execFileSync(args['tensor-dump'], [path.join(run, 'model.json'), f], { maxBuffer: 1 << 26 })).buffer);
const py = (argv) => JSON.parse(execFileSync(PY, [path.join(here, 'explain_ref.py'), ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 }));
const writeF32 = (name, a) => { const f = path.join(tmp, name); fs.writeFileSync(f, Buffer.from(new Float32Array(a).buffer)); return f; };
const argmax = (a) => a.reduce((b, v, i) => (v > a[b] ? i : b), 0);

// |page - ref| over the map, relative to the reference's largest |value|.
function compareMaps(what, page, ref, tol) {
  assert.equal(page.width, ref.width, `${what}: width`);
  assert.equal(page.height, ref.height, `${what}: height`);
  let scale = 0, diff = 0;
  for (let i = 0; i < ref.data.length; i++) {
    scale = Math.max(scale, Math.abs(ref.data[i]));
    diff = Math.max(diff, Math.abs(page.data[i] - ref.data[i]));
  }
  const rel = diff / Math.max(scale, 1e-12);
  console.log(`     ${what}: ${page.width}x${page.height}, max |page - ref| ${diff.toExponential(2)}, relative ${rel.toExponential(2)} (max |ref| ${scale.toFixed(4)})`);
  assert.ok(scale > 0, `${what}: the reference map is all zero`);
  assert.ok(rel <= tol, `${what}: relative difference ${rel} > ${tol}`);
  return rel;
}

// onnxruntime-node on the native core's tensor: the activations and logits the page must match.
const webOnnx = path.join(args.run, 'model.web.onnx');
const nodeSession = await ort.InferenceSession.create(webOnnx);
async function nodeRun(tensor, n, fetches) {
  const out = await nodeSession.run({ [info.input.name || 'input']: new ort.Tensor('float32', tensor, [n, 3, S, S]) }, fetches);
  return out;
}
const refTensor = { cat: tensorOf(args.run, CAT), dog: tensorOf(args.run, DOG) };

// --- the page -------------------------------------------------------------------------------
const server = await startServer(args.catdog, args.run, args.web);
const browser = await launch({ width: 1400, height: 900 });
const { page } = browser;
const problems = [];
page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
const figures = {};

// A real click on a rectangle the app published (window.catdog.panelRect(name)), at fraction fx, fy.
async function click(name, fx = 0.5, fy = 0.5) {
  await frames(page, 2);
  const r = await page.evaluate((n) => window.catdog.panelRect(n), name);
  if (!r) throw new Error(`no rectangle "${name}" on the page`);
  const x = r.x + r.w * fx, y = r.y + r.h * fy;
  await page.mouse.move(x, y);
  await frames(page, 2);
  await page.mouse.down();
  await frames(page, 2);
  await page.mouse.up();
  await frames(page, 3);
}
const explainState = () => page.evaluate(() => window.catdog.state().explain);
const explainOf = (n, opts) => page.evaluate(async ({ n, opts }) => {
  const t0 = performance.now();
  const m = await window.catdog.explain(n ? window.__files[n] : null, opts);
  return { ...m, data: Array.from(m.data), wall: performance.now() - t0 };
}, { n, opts });
const shownMap = () => page.evaluate(async () => { const m = await window.catdog.explainMap(); return m && { ...m, data: Array.from(m.data) }; });

try {
  await check('page loads; model.json offers CAM, an explain graph and the ImageNet head', async () => {
    await page.goto(server.url);
    await page.evaluate(() => window.catdog.ready);
    assert.ok(info.cam?.layer && info.cam?.weight, 'model.json has "cam" (MobileNet V2: pooling + Linear)');
    assert.ok(info.explain?.file && info.explain.layers.length >= 2, 'model.json has "explain" with layers');
    assert.ok(fs.existsSync(path.join(args.run, info.explain.file)), `${info.explain.file} in the run`);
    assert.ok(info.imagenet?.output, 'model.json has "imagenet"');
    await putFile(page, CAT);
    await putFile(page, DOG);
  });

  const camRef = {};
  await check('CAM equals NumPy from the head\'s initializers and the activations; mean + bias = logit (1e-4)', async () => {
    for (const [n, file] of [['cat', 'cat.20240.jpg'], ['dog', 'dog.20240.jpg']]) {
      const page1 = await explainOf(file, { method: 'cam' });
      const L = info.cam.layer;
      // The page's own activations (window.catdog.featureMap) and onnxruntime-node's, each through NumPy.
      const acts = await page.evaluate((L) => {
        const c = window.catdog.featureMap(L, 0).channels, out = [];
        for (let k = 0; k < c; k++) out.push(...window.catdog.featureMap(L, k).data);
        return { c, h: window.catdog.featureMap(L, 0).height, w: window.catdog.featureMap(L, 0).width, data: out };
      }, L);
      const node = await nodeRun(refTensor[n], 1, [L, info.outputs.logits]);
      const nodeLogits = Array.from(node[info.outputs.logits].data);
      for (const [cls, versus] of [[0, -1], [1, -1], [1, 0]]) {
        const m = cls === argmax(nodeLogits) && versus < 0 ? page1
          : await explainOf(null, { method: 'cam', className: labels[cls], versus: versus >= 0 ? labels[versus] : null });
        const what = `CAM ${n} ${labels[cls]}${versus >= 0 ? ` vs ${labels[versus]}` : ''}`;
        const base = ['cam', '--onnx', webOnnx, '--weight', info.cam.weight, '--bias', info.cam.bias,
          '--shape', `${acts.c},${acts.h},${acts.w}`, '--cls', String(cls), '--versus', String(versus)];
        const refPage = py([...base, '--acts', writeF32(`acts-${n}.f32`, acts.data)]);
        const refNode = py([...base, '--acts', writeF32(`acts-node-${n}.f32`, node[L].data)]);
        figures[`${what} vs NumPy(page acts)`] = compareMaps(`${what} vs NumPy(page activations)`, m, refPage, 1e-5);
        figures[`${what} vs NumPy(ORT-node acts)`] = compareMaps(`${what} vs NumPy(onnxruntime-node activations)`, m, refNode, 1e-3);
        const logit = nodeLogits[cls] - (versus >= 0 ? nodeLogits[versus] : 0);
        const d1 = Math.abs(m.logit - m.networkLogit), d2 = Math.abs(refNode.mean_plus_bias - logit);
        console.log(`     ${what}: mean + bias ${m.logit.toFixed(6)}, page network ${m.networkLogit.toFixed(6)} (diff ${d1.toExponential(2)}),` +
          ` NumPy(node) ${refNode.mean_plus_bias.toFixed(6)} vs onnxruntime-node ${logit.toFixed(6)} (diff ${d2.toExponential(2)}); ${m.ms.toFixed(1)} ms`);
        assert.ok(d1 <= 1e-4, `${what}: mean + bias ${m.logit} vs the page's logit ${m.networkLogit}`);
        assert.ok(d2 <= 1e-4, `${what}: reference mean + bias ${refNode.mean_plus_bias} vs onnxruntime-node ${logit}`);
        assert.equal(m.signed, versus >= 0);
        camRef[`${n} ${cls} ${versus}`] = m;
      }
      assert.equal(page1.width, 7, 'MobileNet V2: 7x7 at the last conv');
      (figures.camMs ||= []).push(page1.ms);
    }
  });

  await check('Grad-CAM equals torch autograd (last conv and an earlier layer, one class and signed; 1e-4 relative)', async () => {
    const layers = info.explain.layers;
    const picks = [layers[layers.length - 1], layers[Math.floor(layers.length / 2)]];
    await explainOf('cat.20240.jpg', { method: 'cam' });   // the cat photo in the views
    const x = writeF32('cat.f32', refTensor.cat);
    for (const layer of picks)
      for (const [cls, versus] of [[0, -1], [1, 0]]) {
        const m = await explainOf(null, { method: 'gradcam', layer, className: labels[cls], versus: versus >= 0 ? labels[versus] : null });
        const ref = py(['gradcam', '--onnx', path.join(args.run, 'model.onnx'), '--input', x, '--size', String(S), '--layer', layer,
          '--cls', String(cls), '--versus', String(versus)]);
        const what = `Grad-CAM ${layer} ${labels[cls]}${versus >= 0 ? ` vs ${labels[versus]}` : ''}`;
        figures[what] = compareMaps(what, m, ref, 1e-4);
        assert.ok(Math.abs(m.logit - ref.score) <= 1e-3 * Math.max(1, Math.abs(ref.score)), `${what}: score ${m.logit} vs torch ${ref.score}`);
        console.log(`     ${what}: score ${m.logit.toFixed(5)} (torch ${ref.score.toFixed(5)}), page ${m.ms.toFixed(0)} ms (wall ${m.wall.toFixed(0)} ms)`);
        (figures.gradcamMs ||= []).push(m.ms);
      }
  });

  await check('occlusion equals onnxruntime-node on the same patches; its main-thread work < 200 ms at a time, the page no slower than its plain redraws', async () => {
    const patch = 32, stride = 24;
    // The baseline: the same monitor over a few seconds of mouse moves, with no explanation
    // running but one core taken by another process, as occlusion's worker takes one. On 2
    // cores the page's software-WebGL redraws then share a core, and that alone doubles
    // its timer gaps; what the explanation may add on top is what is checked below.
    const monitor = () => page.evaluate(() => {
      const s = window.__stall = { long: 0, gap: 0, raf: 0, n: 0 };
      s.po = new PerformanceObserver((l) => { for (const e of l.getEntries()) { s.long = Math.max(s.long, e.duration); s.n++; } });
      s.po.observe({ type: 'longtask' });
      let last = performance.now();
      s.tick = setInterval(() => { const now = performance.now(); s.gap = Math.max(s.gap, now - last); last = now; }, 10);
      let lr = performance.now();
      const raf = () => { const now = performance.now(); s.raf = Math.max(s.raf, now - lr); lr = now; if (!s.stop) requestAnimationFrame(raf); };
      requestAnimationFrame(raf);
    });
    const stop = () => page.evaluate(() => { const s = window.__stall; s.stop = true; clearInterval(s.tick); s.po.disconnect(); return s; });
    await page.evaluate(() => window.catdog.setState({ explain: { tab: 0, show: true } }));
    await frames(page, 4);
    const busy = spawn(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 10000);'], { stdio: 'ignore' });
    await monitor();
    for (let i = 0; i < 20; i++) { await page.mouse.move(600 + 10 * i, 500); await page.waitForTimeout(150); }
    const idle = await stop();
    busy.kill();
    await page.evaluate(() => window.catdog.resetExplainTimings());
    await monitor();
    // Started through window.catdog; the panel shows its progress bar meanwhile.
    const running = explainOf(null, { method: 'occlusion', patch, stride });
    await page.waitForFunction(() => { const r = window.catdog.panelRect('explain progress'); return r && r.w > 0; }, null, { timeout: 60000 });
    await page.waitForTimeout(1500);
    await frames(page);
    await panelShot(page, 'Explain', art('explain-occlusion-running.png'));
    const m = await running;
    const stall = await stop();
    const work = await page.evaluate(() => window.catdog.explainTimings());
    // The reference: this file's own occlusion of the same tensor, batched through onnxruntime-node.
    const n = (S - patch) / stride + 1 | 0, cls = argmax(Array.from((await nodeRun(refTensor.cat, 1, [info.outputs.logits]))[info.outputs.logits].data));
    const fill = [0, 1, 2].map((c) => (0.5 - info.input.mean[c]) / info.input.std[c]);
    const base = (await nodeRun(refTensor.cat, 1, [info.outputs.logits]))[info.outputs.logits].data[cls];
    const ref = { width: n, height: n, data: [] };
    for (let r = 0; r < n; r++) {
      const batch = new Float32Array(n * 3 * S * S);
      for (let c = 0; c < n; c++) {
        const t = batch.subarray(c * 3 * S * S, (c + 1) * 3 * S * S);
        t.set(refTensor.cat);
        for (let ch = 0; ch < 3; ch++)
          for (let y = r * stride; y < r * stride + patch; y++) t.fill(fill[ch], ch * S * S + y * S + c * stride, ch * S * S + y * S + c * stride + patch);
      }
      const lg = (await nodeRun(batch, n, [info.outputs.logits]))[info.outputs.logits].data;
      for (let c = 0; c < n; c++) ref.data.push(base - lg[c * K + cls]);
    }
    figures.occlusion = compareMaps(`occlusion patch ${patch} stride ${stride} (${n * n} positions)`, m, ref, 1e-3);
    const runs = work.web.length, perRun = work.web.reduce((a, b) => a + b, 0) / Math.max(1, runs);
    console.log(`     occlusion: ${m.ms.toFixed(0)} ms for ${n * n} positions (${runs} worker runs, ${perRun.toFixed(0)} ms each);` +
      ` its longest main-thread piece ${work.mainMs.toFixed(1)} ms; page while it ran: longest long task ${stall.long.toFixed(0)} ms` +
      ` (${stall.n} over 50 ms), timer gap ${stall.gap.toFixed(0)} ms, frame gap ${stall.raf.toFixed(0)} ms;` +
      ` the same page redrawing with one core busy elsewhere: long task ${idle.long.toFixed(0)} ms, timer gap ${idle.gap.toFixed(0)} ms`);
    figures.occlusionMs = m.ms;
    figures.stall = { occlusionMainMs: work.mainMs, longTask: stall.long, timerGap: stall.gap, frameGap: stall.raf,
      redrawLongTask: idle.long, redrawTimerGap: idle.gap };
    // The explanation's own work on the main thread stays below 200 ms (~10-25 ms). The page's redraws
    // (software WebGL here) can take longer than that on a loaded machine, with or without an
    // explanation running: the long tasks and timer gaps meanwhile must stay within 200 ms or twice
    // the baseline's (the network itself on the main thread, 8 crops a run, would be seconds).
    assert.ok(work.mainMs < 200, `occlusion held the main thread ${work.mainMs} ms at once`);
    const allowed = Math.max(200, 2 * Math.max(idle.long, idle.gap));
    assert.ok(stall.long < allowed && stall.gap < allowed,
      `main thread stalled during occlusion: long task ${stall.long} ms, timer gap ${stall.gap} ms (allowed ${allowed.toFixed(0)} ms)`);
    await frames(page);
    await panelShot(page, 'Explain', art('explain-occlusion.png'));
  });

  await check('ImageNet top-5 equals the TFLite reference (MobileNet V2)', async () => {
    const pt = path.join(tmp, 'mobilenet-ref.pt');
    const W = path.join(args.shared, 'weights/mobilenet_v2_1.0_224_quant');
    execFileSync(PY, [path.join(root, 'tests/reference/mobilenet_reference.py'), path.join(W, 'mobilenet_v2_1.0_224_quant.tflite'),
      path.join(W, 'imagenet_labels.txt'), holdout, pt, '--limit', '2'], { encoding: 'utf8' });
    const ref = py(['imagenet', '--pt', pt, '--labels', path.join(W, 'imagenet_labels.txt'), '--classes', String(info.imagenet.labels.length)]);
    for (const f of ['cat.20240.jpg', 'dog.20240.jpg']) {
      const top = await page.evaluate((n) => window.catdog.imagenetTop5(window.__files[n]), f);
      let worst = 0;
      top.forEach((t, i) => {
        const [index, label, prob] = ref[f][i];
        assert.equal(t.index, index, `${f}: #${i + 1} page ${t.label} (${t.index}), TFLite ${label} (${index})`);
        assert.equal(t.label, info.imagenet.labels[index]);
        worst = Math.max(worst, Math.abs(t.prob - prob));
      });
      console.log(`     ${f}: ${top.map((t) => `${t.label.split(',')[0]} ${(t.prob * 100).toFixed(2)}%`).join(', ')}; max |p - TFLite| ${worst.toExponential(2)}`);
      figures[`imagenet ${f}`] = worst;
      assert.ok(worst <= 5e-3, `${f}: probabilities differ by ${worst}`);
    }
    await page.evaluate(() => window.catdog.setState({ explain: { tab: 1, show: true } }));
    await frames(page, 4);
    await panelShot(page, 'Explain', art('explain-imagenet.png'));
  });

  await check('the panel by clicks: method, class, two-class evidence, opacity (screenshots)', async () => {
    await page.evaluate((n) => window.catdog.classify(window.__files[n], n), 'dog.20240.jpg');
    await page.evaluate(() => window.catdog.setState({ explain: { tab: 0, show: true, method: 'cam', className: null, versus: null } }));
    await shownMap();
    await frames(page);
    await panelShot(page, 'Explain', art('explain-cam-dog.png'));
    await click('explain method gradcam');
    assert.equal((await explainState()).method, 'gradcam');
    await click(`explain class ${labels[0]}`);
    assert.equal((await explainState()).className, labels[0]);
    let m = await shownMap();
    assert.equal(m.method, 'gradcam');
    assert.equal(m.className, labels[0]);
    await frames(page);
    await panelShot(page, 'Explain', art(`explain-gradcam-${labels[0]}.png`));
    await click(`explain versus ${labels[1]}`);
    m = await shownMap();
    assert.equal(m.versus, labels[1]);
    assert.equal(m.signed, true);
    assert.ok(m.data.some((v) => v < 0) && m.data.some((v) => v > 0), 'a signed map has both signs');
    await click('explain opacity', 0.25);
    const op = (await explainState()).opacity;
    assert.ok(Math.abs(op - 0.25) < 0.08, `opacity after clicking a quarter along the slider: ${op}`);
    await frames(page);
    await panelShot(page, 'Explain', art('explain-signed.png'));
    await click('explain method cam');
    await click('explain versus none');
    await click('explain opacity', 0.9);
    m = await shownMap();
    assert.equal(m.method, 'cam');
    await frames(page);
    await panelShot(page, 'Explain', art('explain-cam-opaque.png'));
  });

  await check('mistakes: a confusion cell click lists its validation photos worst first; a thumbnail click loads one', async () => {
    const val = JSON.parse(fs.readFileSync(path.join(args.run, 'val_results.json'), 'utf8'));
    // The fullest off-diagonal cell, else the fullest cell.
    const count = (t, p) => val.photos.filter((x) => x.label === t && x.pred === p).length;
    let cell = [0, 0];
    for (let t = 0; t < K; t++) for (let p = 0; p < K; p++)
      if ((t !== p && count(t, p) > 0 && (cell[0] === cell[1] || count(t, p) > count(...cell))) || (cell[0] === cell[1] && t === p && count(t, p) > count(...cell))) cell = [t, p];
    await page.evaluate(() => window.catdog.setState({ panel: 'Training' }));
    await frames(page, 4);
    await click(`confusion ${cell[0]},${cell[1]}`);
    const expected = val.photos.filter((x) => x.label === cell[0] && x.pred === cell[1])
      .sort((a, b) => a.probs[a.label] - b.probs[b.label]).map((x) => x.file);
    assert.ok(expected.length > 0, 'the chosen cell has photos');
    const shown = await page.evaluate(({ t, p }) => window.catdog.mistakes(t, p), { t: cell[0], p: cell[1] });
    assert.deepEqual(shown.map((x) => x.file), expected, 'worst first (lowest probability of the true class)');
    assert.equal((await explainState()).tab, 2, 'the click brought the Mistakes tab up');
    await page.waitForFunction((n) => { for (let k = 0; k < n; k++) if (!window.catdog.panelRect(`mistake ${k}`)) return false; return true; },
      Math.min(expected.length, 4), { timeout: 30000 });
    await page.waitForTimeout(1500);   // the thumbnails decode in the browser
    await frames(page, 4);
    await panelShot(page, 'Explain', art('explain-mistakes.png'));
    await page.screenshot({ path: art('page-mistakes.png') });
    await click('mistake 0');
    const said = await waitLive(page, `${path.basename(expected[0])}:`, 30000);
    const probs = await page.evaluate(() => window.catdog.timing() && window.catdog.state().photo);
    assert.ok(probs?.url?.endsWith(expected[0].split('/').map(encodeURIComponent).join('/')), `the photo in the views: ${JSON.stringify(probs)}`);
    const row = val.photos.find((x) => x.file === expected[0]);
    const r = await page.evaluate(async (u) => { const b = await (await fetch(u)).blob(); const x = await window.catdog.classify(b, 'again'); return x.probs; },
      probs.url);
    const d = Math.max(...r.map((p, i) => Math.abs(p - row.probs[i])));
    console.log(`     cell ${labels[cell[0]]} -> ${labels[cell[1]]}: ${expected.length} photos; opened ${expected[0]} (${said.trim()}); page vs val_results ${d.toExponential(2)}`);
    assert.ok(d <= 2e-3, `page probabilities ${r} vs the trainer's ${row.probs}`);
  });

  await check('a lesson link restores the explanation after an offline reload', async () => {
    await page.evaluate((n) => window.catdog.classify(window.__files[n], n), 'cat.20240.jpg');
    const layer = info.explain.layers[Math.floor(info.explain.layers.length / 2)];
    await page.evaluate((layer) => window.catdog.setState({ explain: { tab: 0, show: true, method: 'gradcam', className: 'cat', versus: null, layer, opacity: 0.35 } }), layer);
    const before = await shownMap();
    const state = await explainState();
    await page.waitForTimeout(600);   // the hash is refreshed a few times a second
    const link = await page.evaluate(() => window.catdog.lessonLink());
    await page.evaluate(() => navigator.serviceWorker.ready);
    await server.stop();
    await page.goto('about:blank');
    await page.goto(link);
    await page.evaluate(() => window.catdog.ready);
    const after = await shownMap();
    assert.deepEqual(await explainState(), state);
    assert.equal(after.method, 'gradcam');
    assert.equal(after.layer, layer);
    assert.equal(after.className, 'cat');
    assert.ok(before.data.some((v) => v > 0), 'a map with something in it');
    const d = Math.max(...after.data.map((v, i) => Math.abs(v - before.data[i])));
    assert.ok(d <= 1e-6, `the restored map differs by ${d}`);
    await frames(page, 4);
    await panelShot(page, 'Explain', art('explain-offline-link.png'));
  });

  await check('AlexNet (no global pooling: no CAM): Grad-CAM equals torch autograd at the last conv and an earlier layer', async () => {
    const run = args['run-alexnet'];
    if (!run || !fs.existsSync(path.join(run, 'model.json'))) { console.log('     skipped: no --run-alexnet run'); return; }
    const ainfo = JSON.parse(fs.readFileSync(path.join(run, 'model.json'), 'utf8'));
    assert.ok(!ainfo.cam?.layer, 'AlexNet has no "cam" (its head is not pooling + Linear)');
    const layers = ainfo.explain.layers;
    const srv = await startServer(args.catdog, run, args.web);
    const b = await launch({ width: 1400, height: 900 });
    try {
      await b.page.goto(srv.url);
      await b.page.evaluate(() => window.catdog.ready);
      await putFile(b.page, DOG);
      const x = writeF32('alex-dog.f32', tensorOf(run, DOG));
      const err = await b.page.evaluate(async (n) => { try { await window.catdog.explain(window.__files[n], { method: 'cam' }); return null; } catch (e) { return e.message; } }, 'dog.20240.jpg');
      assert.match(err || '', /cam: .*gradcam/, 'CAM is refused with a reason');
      for (const [layer, cls, versus] of [[layers[layers.length - 1], 1, -1], [layers[1], 0, 1]]) {
        {
          const m = await b.page.evaluate(async (o) => { const r = await window.catdog.explain(null, o); return { ...r, data: Array.from(r.data) }; },
            { method: 'gradcam', layer, className: ainfo.labels[cls], versus: versus >= 0 ? ainfo.labels[versus] : null });
          const ref = py(['gradcam', '--onnx', path.join(run, 'model.onnx'), '--input', x, '--size', String(ainfo.input.size), '--layer', layer,
            '--cls', String(cls), '--versus', String(versus)]);
          const what = `AlexNet Grad-CAM ${layer} ${ainfo.labels[cls]}${versus >= 0 ? ` vs ${ainfo.labels[versus]}` : ''}`;
          figures[what] = compareMaps(what, m, ref, 1e-4);
          console.log(`     ${what}: page ${m.ms.toFixed(0)} ms`);
        }
      }
      await b.page.evaluate(() => window.catdog.setState({ explain: { tab: 0, show: true } }));
      await frames(b.page, 4);
      await panelShot(b.page, 'Explain', art('explain-alexnet-gradcam.png'));
    } finally {
      await b.close();
      await srv.stop();
    }
  });

  await check('no page errors, no CSP violations', async () => { assert.deepEqual(problems, []); });
} finally {
  await browser.close();
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`figures: ${JSON.stringify(figures)}`);
console.log(failures ? `${failures} check(s) failed; artifacts in ${args.artifacts}` : `all checks passed; screenshots in ${args.artifacts}`);
process.exit(failures ? 1 : 0);
