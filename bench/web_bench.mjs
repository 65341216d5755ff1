// bench/web_bench.mjs - run by bench/web; see there.
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launch, putFile, classifyPut } from '../tests/web/harness.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
const holdout = path.join(args.shared, 'datasets/holdout-dev');
const photos = fs.readdirSync(holdout).filter((f) => f.endsWith('.jpg')).sort().filter((_, i) => i % 6 === 0).map((f) => path.join(holdout, f));
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const f0 = (x) => x.toFixed(0), f1 = (x) => x.toFixed(1);

const server = await startServer(args.catdog, args.run, args.web);
const b = await launch();
const { page } = b;
const navToFirst = async () => {
  const t0 = Date.now();
  await page.goto(server.url);
  await page.evaluate(() => window.catdog.ready);
  const ready = Date.now() - t0;
  const n = await putFile(page, photos[0]);
  const r = await classifyPut(page, n);
  if (r.error) throw new Error(r.error);
  return { ready, first: Date.now() - t0, info: await page.evaluate(() => window.catdog.info()) };
};
try {
  const cold = await navToFirst();
  await page.evaluate(() => navigator.serviceWorker.ready);
  const warm = await navToFirst();
  await server.stop();
  const offline = await navToFirst();

  const e2e = [], bare = [], bareIdle = [], parts = { read: [], decode: [], preprocess: [], inference: [], outputs: [] };
  for (const f of photos) {
    // As a user drops one photo after another: the page has drawn the last result and is idle.
    const n = await putFile(page, f);
    await page.waitForTimeout(300);
    const r = await classifyPut(page, n);
    if (r.error) throw new Error(r.error);
    e2e.push(r.ms.total);
    for (const k of Object.keys(parts)) parts[k].push(r.ms[k]);
    bare.push(await page.evaluate(() => window.catdog.run(window.catdog.tensor())));
    // The same run after the same idle pause as the end-to-end one: ORT's threads asleep again.
    await page.waitForTimeout(300);
    bareIdle.push(await page.evaluate(() => window.catdog.run(window.catdog.tensor())));
  }
  const bytes = fs.statSync(path.join(args.run, 'model.web.onnx')).size;
  const info = cold.info;
  console.log(`catdog web bench (headless chromium, ${info.threads} thread(s), cross-origin isolated: ${info.isolated})`);
  console.log(`  model.web.onnx                 ${bytes} bytes (${(bytes / 1048576).toFixed(1)} MiB)`);
  console.log(`  page ready, first visit        ${f0(cold.ready)} ms  (download ${f0(info.downloadMs)}, session ${f0(info.createMs)}, warm-up ${f0(info.warmupMs)})`);
  console.log(`  first prediction, first visit  ${f0(cold.first)} ms`);
  console.log(`  page ready, from cache         ${f0(warm.ready)} ms (server up), ${f0(offline.ready)} ms (server stopped)`);
  console.log(`  first prediction, from cache   ${f0(warm.first)} ms (server up), ${f0(offline.first)} ms (server stopped)   target <= 3000`);
  console.log(`  per photo (${photos.length} holdout-dev photos, median): end-to-end ${f1(median(e2e))} ms` +
    ` (read ${f1(median(parts.read))}, decode ${f1(median(parts.decode))}, preprocess ${f1(median(parts.preprocess))},` +
    ` inference ${f1(median(parts.inference))}, outputs to wasm ${f1(median(parts.outputs))})`);
  console.log(`  bare session.run, same tensor  ${f1(median(bare))} ms right after a run, ${f1(median(bareIdle))} ms after the same 300 ms idle`);
  console.log(`  overhead (end-to-end / bare run after the same idle) ${(median(e2e) / median(bareIdle)).toFixed(2)}x   target <= 1.3x` +
              `   (against the back-to-back run: ${(median(e2e) / median(bare)).toFixed(2)}x)`);
} finally {
  await b.close();
  await server.stop();
}
