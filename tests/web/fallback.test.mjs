// tests/web/fallback.test.mjs - the page without WebGL2: chromium started with WebGL off
// (--disable-webgl --disable-3d-apis) and headless firefox-esr (webgl.disabled). The page
// must say so visibly and classify through its plain HTML fallback (web/fallback.js), with
// the probabilities `catdog predict --json` gives (outside reference: the native CLI).
//
// Usage: node fallback.test.mjs --catdog BIN --run RUN --web DIR --shared DIR --artifacts DIR [--browsers chromium,firefox]
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launch, putFile, classify, waitLive } from './harness.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
for (const k of ['catdog', 'run', 'web', 'shared', 'artifacts'])
  if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
fs.mkdirSync(args.artifacts, { recursive: true });
const holdout = path.join(args.shared, 'datasets/holdout-dev');
const CAT = path.join(holdout, 'cat.20240.jpg'), DOG = path.join(holdout, 'dog.20240.jpg');
const BAD = path.join(args.shared, 'datasets/odd/bad.truncated.png');
const art = (n) => path.join(args.artifacts, n);

let failures = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try { await fn(); console.log(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) { failures++; console.log(`FAIL ${name}: ${e.stack || e.message}`); }
}

const native = {};
for (const line of execFileSync(args.catdog, ['predict', '--model', args.run, '--json', CAT, DOG], { encoding: 'utf8' }).trim().split('\n')) {
  const j = JSON.parse(line);
  native[path.basename(j.file)] = j;
}
const labels = JSON.parse(fs.readFileSync(path.join(args.run, 'model.json'), 'utf8')).labels;

// Probabilities of a result list item vs native; returns the largest |dp|.
function compare(name, label, probs) {
  assert.equal(label, native[name].label, `${name}: page ${label}, native ${native[name].label}`);
  let worst = 0;
  labels.forEach((l, i) => { worst = Math.max(worst, Math.abs(probs[i] - native[name].probs[l])); });
  assert.ok(worst <= 1e-5, `${name}: max |dp| ${worst} vs catdog predict`);
  return worst;
}

const server = await startServer(args.catdog, args.run, args.web);
try {
  for (const browser of (args.browsers || 'chromium,firefox').split(',')) {
    const b = await launch({ browser, webgl: false, width: 1024, height: 768 });
    const { page } = b;
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    try {
      await check(`${browser} without WebGL2: the page says so and shows the HTML classifier`, async () => {
        await page.goto(server.url);
        await page.waitForFunction(() => !!document.getElementById('fallback-why'), undefined, { timeout: 30000 });
        await page.waitForFunction(() => !!window.catdog && document.getElementById('fallback-status').textContent.startsWith('Ready'),
          undefined, { timeout: 60000 });
        const seen = await page.evaluate(() => {
          const why = document.getElementById('fallback-why'), r = why.getBoundingClientRect();
          const canvas = document.getElementById('canvas');
          return { text: why.textContent, visible: r.width > 100 && r.height > 10 && getComputedStyle(why).visibility === 'visible',
            canvasShown: getComputedStyle(canvas).display !== 'none', info: window.catdog.info(),
            input: !!document.getElementById('fallback-file') };
        });
        assert.match(seen.text, /No WebGL2/);
        assert.ok(seen.visible, 'the message is on screen');
        assert.equal(seen.canvasShown, false, 'the empty canvas is hidden');
        assert.equal(seen.info.webgl, false);
        assert.equal(seen.info.isolated, true, 'catdog serve sends COOP/COEP');
        assert.ok(seen.input, 'a file input');
        assert.equal(await page.evaluate(() => document.getElementById('fallback-why').getAttribute('role')), 'alert',
          'screen readers hear it at once (the live region moves on to "Model ready")');
      });

      await check(`${browser} fallback: file input and drop classify as catdog predict (|dp| <= 1e-5)`, async () => {
        await page.setInputFiles('#fallback-file', CAT);
        await page.waitForFunction(() => !!document.querySelector('#fallback-results li[data-label]'), undefined, { timeout: 60000 });
        const first = await page.evaluate(() => {
          const li = document.querySelector('#fallback-results li');
          return { text: li.textContent, label: li.dataset.label,
            probs: [...li.querySelectorAll('.fallback-bar')].map((m) => Number(m.getAttribute('aria-valuenow'))),
            widths: [...li.querySelectorAll('.fallback-fill')].map((f) => f.getBoundingClientRect().width / f.parentElement.getBoundingClientRect().width) };
        });
        assert.match(first.text, /cat\.20240\.jpg/);
        const d1 = compare('cat.20240.jpg', first.label, first.probs);
        first.probs.forEach((p, i) => assert.ok(Math.abs(first.widths[i] - p) < 0.02, `bar ${i} is ${first.widths[i]} wide for p ${p}`));

        // A user's drop anywhere on the page.
        const n = await putFile(page, DOG);
        await page.evaluate((n) => {
          const dt = new DataTransfer();
          dt.items.add(window.__files[n]);
          document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        }, n);
        await page.waitForFunction(() => document.querySelectorAll('#fallback-results li[data-label]').length >= 2, undefined, { timeout: 60000 });
        const second = await page.evaluate(() => {
          const li = document.querySelector('#fallback-results li');
          return { text: li.textContent, label: li.dataset.label,
            probs: [...li.querySelectorAll('.fallback-bar')].map((m) => Number(m.getAttribute('aria-valuenow'))) };
        });
        assert.match(second.text, /dog\.20240\.jpg/);
        const d2 = compare('dog.20240.jpg', second.label, second.probs);
        // And through window.catdog, as scripts call it.
        const r = await classify(page, DOG);
        assert.ok(!r.error, r.error);
        const d3 = compare('dog.20240.jpg', r.label, r.probs);
        console.log(`     ${browser} (no WebGL2) vs catdog predict: max |dp| ${Math.max(d1, d2, d3).toExponential(2)}`);
        await page.screenshot({ path: art(`fallback-${browser}.png`), fullPage: true });
      });

      await check(`${browser} fallback: a broken file is a one-line error in the list, and the page keeps working`, async () => {
        await page.setInputFiles('#fallback-file', BAD);
        await page.waitForFunction(() => !!document.querySelector('#fallback-results li.fallback-error'), undefined, { timeout: 30000 });
        const text = await page.evaluate(() => document.querySelector('#fallback-results li.fallback-error').textContent);
        assert.match(text, /bad\.truncated\.png: .+/);
        assert.ok(!text.includes('\n'));
        await page.setInputFiles('#fallback-file', CAT);
        await page.waitForFunction(() => document.querySelectorAll('#fallback-results li[data-label]').length >= 3, undefined, { timeout: 60000 });
        assert.deepEqual(errors, []);
      });
    } finally {
      await b.close();
    }
  }
} finally {
  await server.stop();
}
console.log(failures ? `${failures} check(s) failed; artifacts in ${args.artifacts}` : `all checks passed; screenshots in ${args.artifacts}`);
process.exit(failures ? 1 : 0);
