// tests/web/imagefolder.test.mjs - a run that is not Kaggle's cat/dog: an ImageFolder of PNG
// photos in three classes whose file names repeat across the class folders (cat/1.png,
// dog/1.png, other/1.png). `catdog serve` must give the page the run's own labels, sample names
// that do not collide, and each photo with its own content type; the page classifies the
// samples and the mistakes' photos as `catdog predict --json` does (the outside reference).
//
// Usage: node imagefolder.test.mjs --catdog BIN --web DIR --shared DIR --work DIR [--python PY] [--browser chromium|firefox]
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launch, browserName, frames, panelShot } from './harness.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
for (const k of ['catdog', 'web', 'shared', 'work'])
  if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
for (const d of ['datasets/dogs-vs-cats-3k', 'datasets/odd', 'weights/mobilenet_v2_1.0_224_quant']) {
  if (!fs.existsSync(path.join(args.shared, d))) {
    console.error(`MISSING TEST DATA: ${path.join(args.shared, d)} (../shared beside the checkout)`);
    process.exit(1);
  }
}
let failures = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try { await fn(); console.log(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) { failures++; console.log(`FAIL ${name}: ${e.stack || e.message}`); }
}

const work = path.resolve(args.work), data = path.join(work, 'data'), run = path.join(work, 'run');
const art = (n) => path.join(work, 'artifacts', n);
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(path.join(work, 'artifacts'), { recursive: true });

// The folder: 8 photos a class, re-encoded as PNG by PIL, named 1.png ... 8.png in each class.
const kaggle = path.join(args.shared, 'datasets/dogs-vs-cats-3k'), odd = path.join(args.shared, 'datasets/odd');
const pick = (dir, re) => fs.readdirSync(dir).filter((f) => re.test(f)).sort().slice(0, 8).map((f) => path.join(dir, f));
const classes = { cat: pick(kaggle, /^cat\./), dog: pick(kaggle, /^dog\./), other: pick(odd, /^notpet\./) };
const plan = Object.entries(classes).flatMap(([c, files]) => files.map((f, i) => [f, path.join(data, c, `${i + 1}.png`)]));
execFileSync(args.python || '/usr/bin/python3', ['-c', `
import json, os, sys
from PIL import Image
for src, dst in json.load(sys.stdin):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    im = Image.open(src).convert('RGB')
    im.thumbnail((320, 320))
    im.save(dst)
`], { input: JSON.stringify(plan) });

const weights = path.join(args.shared, 'weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite');
execFileSync(args.catdog, ['train', '--backbone', 'mobilenet_v2', '--weights', weights, '--data', data, '--val-split', '0.5',
  '--epochs', '1', '--batch-size', '8', '--seed', '3', '--workers', '2', '--out', run], { stdio: ['ignore', 'inherit', 'inherit'] });

const info = JSON.parse(fs.readFileSync(path.join(run, 'model.json'), 'utf8'));
const val = JSON.parse(fs.readFileSync(path.join(run, 'val_results.json'), 'utf8'));
const server = await startServer(args.catdog, run, args.web, ['--samples', '2']);
const get = async (u) => {
  const r = await fetch(new URL(u, server.url));
  return { status: r.status, type: r.headers.get('content-type'), bytes: Buffer.from(await r.arrayBuffer()) };
};

// The native reference for every photo the page will see.
const native = {};
const predict = (files) => {
  for (const line of execFileSync(args.catdog, ['predict', '--model', run, '--json', ...files], { encoding: 'utf8' }).trim().split('\n')) {
    const j = JSON.parse(line);
    native[path.resolve(j.file)] = j;
  }
};
predict(plan.map(([, dst]) => dst));
const vsNative = (file, probs) => Math.max(...info.labels.map((l, i) => Math.abs(probs[i] - native[path.resolve(file)].probs[l])));

const b = await launch({ browser: browserName(args), width: 1280, height: 800 });
const { page } = b;
const problems = [];
page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
try {
  await check('the run: three classes from the folder names, PNG photos, relative names in val_results.json', async () => {
    assert.deepEqual(info.labels, ['cat', 'dog', 'other']);
    assert.ok(val.photos.length >= 9, `val photos: ${val.photos.length}`);
    for (const p of val.photos) assert.match(p.file, /^(cat|dog|other)\/[1-8]\.png$/);
  });

  let samples = [];
  const sampleFile = {};   // sample name -> the photo in the run folder it is (by its bytes)
  await check('serve: the labels, unique sample names, and every photo with its own bytes and image/png', async () => {
    const m = await get('model/model.json');
    assert.equal(m.status, 200);
    assert.deepEqual(JSON.parse(m.bytes.toString()).labels, info.labels);
    samples = JSON.parse((await get('samples/index.json')).bytes.toString());
    assert.equal(samples.length, 6, `two a class: ${samples}`);
    assert.equal(new Set(samples).size, samples.length, `names do not collide: ${samples}`);
    for (const s of samples) {
      const r = await get(`samples/${encodeURIComponent(s)}`);
      assert.equal(r.status, 200, s);
      assert.equal(r.type, 'image/png', `${s}: ${r.type}`);
      // "dog-1.png" where 1.png is in several class folders, else the name itself.
      const m = s.match(/^(cat|dog|other)-(.+)$/);
      const candidates = (m ? [m[1]] : Object.keys(classes)).map((c) => path.join(data, c, m ? m[2] : s));
      sampleFile[s] = candidates.find((f) => fs.existsSync(f) && fs.readFileSync(f).equals(r.bytes));
      assert.ok(sampleFile[s], `${s}: the bytes of a photo in the run`);
    }
    for (const p of val.photos) {
      const r = await get(`model/photos/${p.file.split('/').map(encodeURIComponent).join('/')}`);
      assert.equal(r.status, 200, p.file);
      assert.equal(r.type, 'image/png', `${p.file}: ${r.type}`);
      assert.ok(r.bytes.equals(fs.readFileSync(path.join(data, p.file))), `${p.file}: its own bytes`);
    }
    assert.equal((await get('model/photos/cat%2F1.jpg')).status, 404, 'only listed photos are served');
  });

  await page.goto(server.url);
  await page.evaluate(() => window.catdog.ready);
  await frames(page, 4);

  await check('the page: three classes; each sample classifies as catdog predict (|dp| <= 1e-5)', async () => {
    assert.deepEqual(await page.evaluate(() => window.catdog.layers().length > 0), true);
    let worst = 0;
    for (const s of samples) {
      const r = await page.evaluate(async (s) => {
        const blob = await (await fetch(`samples/${encodeURIComponent(s)}`)).blob();
        const x = await window.catdog.classify(blob, s);
        return { label: x.label, probs: Array.from(x.probs) };
      }, s);
      assert.equal(r.probs.length, 3, `${s}: three probabilities`);
      const d = vsNative(sampleFile[s], r.probs);
      assert.ok(d <= 1e-5, `${s}: max |dp| ${d} vs catdog predict`);
      worst = Math.max(worst, d);
    }
    console.log(`     ${samples.length} samples: max |dp| ${worst.toExponential(2)} vs catdog predict`);
  });

  await check('the mistakes view: a cell of the 3x3 confusion matrix lists its photos; one loads from the server', async () => {
    const cells = [];
    for (let t = 0; t < 3; t++) for (let p = 0; p < 3; p++) {
      const n = val.photos.filter((x) => x.label === t && x.pred === p).length;
      if (n) cells.push([n, t, p]);
    }
    cells.sort((a, b) => b[0] - a[0]);
    const [, t, p] = cells[0];
    const shown = await page.evaluate(({ t, p }) => window.catdog.mistakes(t, p), { t, p });
    assert.equal(shown.length, cells[0][0]);
    const r = await page.evaluate(() => window.catdog.openMistake(0).then((x) => ({ label: x.label, probs: Array.from(x.probs) })));
    const d = vsNative(path.join(data, shown[0].file), r.probs);
    assert.ok(d <= 1e-5, `${shown[0].file}: max |dp| ${d} vs catdog predict`);
    await frames(page, 4);
    await page.screenshot({ path: art('imagefolder-page.png') });
    await panelShot(page, 'Explain', art('imagefolder-mistakes.png')).catch(() => {});
  });

  await check('no page errors', async () => { assert.deepEqual(problems, []); });
} finally {
  await b.close();
  await server.stop();
}
if (failures) { console.log(`${failures} check(s) failed; artifacts in ${path.join(work, 'artifacts')}`); process.exit(1); }
console.log('all checks passed');
