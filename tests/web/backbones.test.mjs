#!/usr/bin/env node
// tests/web/backbones.test.mjs - the page classifies with each backbone's web model exactly as
// `catdog predict --json` (LibTorch) does: the same label and every probability within 1e-5 (5
// digits), for SqueezeNet 1.1 (Concat, a conv head), ResNet-18 and torchvision's MobileNet V2
// (BatchNorm) runs; prints the page's end-to-end ms per photo.
//
//   node tests/web/backbones.test.mjs --catdog BIN --runs RUN1,RUN2,... --web build-wasm/web --shared ../shared
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, launch, browserName, classify } from './harness.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
for (const k of ['catdog', 'runs', 'web', 'shared'])
  if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
const holdout = path.join(args.shared, 'datasets/holdout-dev');
const all = fs.readdirSync(holdout).filter((f) => f.endsWith('.jpg')).sort();
const photos = [all[0], all[1], all[all.length - 2], all[all.length - 1]].map((f) => path.join(holdout, f));

let failures = 0;
for (const run of args.runs.split(',')) {
  const info = JSON.parse(fs.readFileSync(path.join(run, 'model.json'), 'utf8'));
  const native = {};
  for (const line of execFileSync(args.catdog, ['predict', '--model', run, '--json', ...photos], { encoding: 'utf8' }).trim().split('\n')) {
    const j = JSON.parse(line);
    native[j.file] = j;
  }
  const server = await startServer(args.catdog, run, args.web);
  const b = await launch({ browser: browserName(args) });
  try {
    await b.page.goto(server.url);
    await b.page.evaluate(() => window.catdog.ready);
    let worst = 0;
    const ms = [];
    for (const f of photos) {
      const r = await classify(b.page, f);
      if (r.error) throw new Error(`${info.backbone}: ${path.basename(f)}: ${r.error}`);
      const want = native[f];
      if (r.label !== want.label) { failures++; console.log(`FAIL ${info.backbone} ${path.basename(f)}: page ${r.label}, catdog predict ${want.label}`); }
      info.labels.forEach((l, i) => {
        const d = Math.abs(r.probs[i] - want.probs[l]);
        worst = Math.max(worst, d);
        if (!(d <= 1e-5)) { failures++; console.log(`FAIL ${info.backbone} ${path.basename(f)} p(${l}): page ${r.probs[i]} native ${want.probs[l]}`); }
      });
      ms.push(r.ms.total);
    }
    ms.sort((x, y) => x - y);
    console.log(`${failures ? '    ' : 'ok  '} ${info.backbone}: ${photos.length} photos, page vs catdog predict max |dp| ${worst.toExponential(2)}, ` +
                `median ${ms[ms.length >> 1].toFixed(0)} ms per photo end to end`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${info.backbone}: ${e.stack || e.message}`);
  } finally {
    await b.close();
    await server.stop();
  }
}
process.exit(failures ? 1 : 0);
