// tests/web/filter_cli.test.mjs - `catdog filter` (native, no LibTorch) against outside references:
//   --model RUN --channel k  vs  the exported model.onnx's conv1 activation, channel k, run by
//                                onnxruntime-node, for AlexNet (random torchvision-layout weights,
//                                11x11 stride 4) and MobileNet V2 (Google's TFLite weights, 3x3
//                                stride 2 with TF 'SAME' padding, folded bias, ReLU6)
//   --preset / --weights     vs  torch's conv2d (tests/reference/filter_ref.py)
// and one-line errors. It is a native test; it lives here because it uses the page tests'
// run fixtures (web_make_run, web_make_run_alexnet).
//
// Usage: node filter_cli.test.mjs --catdog BIN --tensor-dump BIN --runs RUN1,RUN2 --shared DIR
//        --python /usr/bin/python3 --out DIR
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const ort = require(path.join(root, 'node_modules/onnxruntime-node'));

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
for (const k of ['catdog', 'tensor-dump', 'runs', 'shared', 'python', 'out'])
  if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
fs.rmSync(args.out, { recursive: true, force: true });
fs.mkdirSync(args.out, { recursive: true });
const out = (n) => path.join(args.out, n);
const PHOTO = path.join(args.shared, 'datasets/holdout-dev/cat.20240.jpg');

let failures = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try { await fn(); console.log(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) { failures++; console.log(`FAIL ${name}: ${e.stack || e.message}`); }
}

// NumPy .npy v1 float32 [h, w] (what filter --npy writes); checks the header as NumPy would.
function readNpy(file) {
  const b = fs.readFileSync(file);
  assert.equal(b.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  const hlen = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + hlen).toString('latin1');
  assert.equal((10 + hlen) % 64, 0, 'data 64-byte aligned');
  assert.match(header, /'descr': '<f4', 'fortran_order': False, 'shape': \((\d+), (\d+)\)/);
  const [, h, w] = header.match(/\((\d+), (\d+)\)/).map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + 10 + hlen, b.byteOffset + b.length));
  assert.equal(data.length, h * w);
  return { width: w, height: h, data };
}

function pngSize(file) {
  const b = fs.readFileSync(file);
  assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function filter(...argv) { return execFileSync(args.catdog, ['filter', '--image', PHOTO, ...argv], { encoding: 'utf8' }); }

function maxDiff(a, b, off = 0) {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[off + i]));
  return d;
}

const summary = [];
for (const run of args.runs.split(',')) {
  const info = JSON.parse(fs.readFileSync(path.join(run, 'model.json'), 'utf8'));
  const c1 = info.conv1;
  const S = info.input.size;
  const tensorFile = out(`${info.backbone}.input.f32`);
  fs.writeFileSync(tensorFile, execFileSync(args['tensor-dump'], [path.join(run, 'model.json'), PHOTO], { maxBuffer: 1 << 26 }));

  await check(`${info.backbone}: filter --model --channel k equals onnxruntime's ${c1.view} channel k (1e-4)`, async () => {
    assert.ok(c1.view && c1.activation !== 'none' && c1.stride > 1, `model.json conv1: ${JSON.stringify(c1)}`);
    const x = new Float32Array(fs.readFileSync(tensorFile).buffer.slice(0));
    const session = await ort.InferenceSession.create(path.join(run, 'model.onnx'), { intraOpNumThreads: 1 });
    const res = await session.run({ [info.input.name]: new ort.Tensor('float32', x, [1, 3, S, S]) }, [c1.view]);
    const map = res[c1.view];
    const [, O, h, w] = map.dims;
    assert.equal(O, c1.shape[0]);
    let worst = 0;
    for (const k of [0, 1, Math.floor(O / 2), O - 1]) {
      filter('--model', run, '--channel', String(k), '--npy', out(`${info.backbone}.${k}.npy`), '--png', out(`${info.backbone}.${k}.png`));
      const p = readNpy(out(`${info.backbone}.${k}.npy`));
      assert.deepEqual([p.height, p.width], [h, w], 'plane size = the ONNX map size');
      const d = maxDiff(p.data, map.data, k * h * w);
      worst = Math.max(worst, d);
      assert.ok(d <= 1e-4, `channel ${k}: max |diff| ${d}`);
      const png = pngSize(out(`${info.backbone}.${k}.png`));
      assert.equal(png.width % w, 0);
      assert.equal(png.width / w, png.height / h, 'PNG: the plane upscaled evenly');
    }
    summary.push(`${info.backbone} conv1 (${c1.shape.join('x')}, stride ${c1.stride}, pad [${c1.pad}], ${c1.activation}): ` +
      `filter vs onnxruntime max |diff| ${worst.toExponential(2)}`);
  });
}

// Presets and edited kernels vs torch's conv2d on the ImageNet-normalised crop (no --model).
await check('filter --preset NAME --size N and --weights FILE equal torch conv2d (1e-5)', async () => {
  const alex = args.runs.split(',').find((r) => JSON.parse(fs.readFileSync(path.join(r, 'model.json'), 'utf8')).backbone === 'alexnet');
  assert.ok(alex, 'an AlexNet run (ImageNet mean/std, 256/224: the default input)');
  const tensorFile = out('alexnet.input.f32');
  let seed = 7;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
  const cases = [
    { name: 'sobel_x_3', preset: 'sobel_x', size: 3 },
    { name: 'gaussian_5', preset: 'gaussian', size: 5 },
    { name: 'sharpen_11', preset: 'sharpen', size: 11 },
    { name: 'emboss_3', preset: 'emboss', size: 3 },
    { name: 'edited_s2', shape: [3, 5, 5], weights: Array.from({ length: 75 }, rnd), stride: 2, pad: [1, 0, 2, 1], bias: 0.3, activation: 'relu6' },
    { name: 'edited_s4', shape: [3, 11, 11], weights: Array.from({ length: 363 }, rnd), stride: 4, pad: [2, 2, 2, 2], bias: -0.1, activation: 'relu' },
    { name: 'edited_grey', shape: [3, 3, 3], weights: Array.from({ length: 27 }, rnd), stride: 1, pad: [1, 1, 1, 1], bias: 0, activation: 'none' },
  ];
  fs.writeFileSync(out('cases.json'), JSON.stringify(cases));
  execFileSync(args.python, [path.join(root, 'tests/reference/filter_ref.py'), '--input', tensorFile, '--size', '224',
    '--cases', out('cases.json'), '--out', out('torch')], { stdio: 'inherit' });
  let worst = 0;
  for (const c of cases) {
    if (c.preset) filter('--preset', c.preset, '--size', String(c.size), '--npy', out(`${c.name}.npy`), '--png', out(`${c.name}.png`));
    else {
      fs.writeFileSync(out(`${c.name}.json`), JSON.stringify(c));
      filter('--weights', out(`${c.name}.json`), '--npy', out(`${c.name}.npy`), '--json', out(`${c.name}.plane.json`));
      const j = JSON.parse(fs.readFileSync(out(`${c.name}.plane.json`), 'utf8'));
      const n = readNpy(out(`${c.name}.npy`));
      assert.deepEqual([j.width, j.height], [n.width, n.height]);
      assert.ok(maxDiff(Float32Array.from(j.data), n.data) === 0, '--json and --npy hold the same plane');
    }
    const p = readNpy(out(`${c.name}.npy`));
    const ref = new Float32Array(fs.readFileSync(out(`torch/${c.name}.f32`)).buffer.slice(0));
    assert.equal(p.data.length, ref.length, `${c.name}: size`);
    const d = maxDiff(p.data, ref);
    worst = Math.max(worst, d);
    assert.ok(d <= 1e-5, `${c.name}: max |diff| ${d} vs torch`);
  }
  summary.push(`presets and edited kernels (${cases.length}) vs torch conv2d: max |diff| ${worst.toExponential(2)}`);
});

await check('bad input: one line naming the file or option, non-zero exit', async () => {
  const run = args.runs.split(',')[0];
  fs.writeFileSync(out('bad.json'), '{"shape": [3, 3, 3], "weights": [1, 2]}');
  fs.writeFileSync(out('notjson.json'), '{"shape": ');
  const cases = [
    [['--model', run, '--channel', '9999', '--npy', out('x.npy')], /--channel 9999 is out of range/],
    [['--model', run, '--npy', out('x.npy')], /needs --channel/],
    [['--preset', 'blur', '--npy', out('x.npy')], /unknown preset "blur"/],
    [['--preset', 'sobel_x', '--size', '4', '--npy', out('x.npy')], /odd/],
    [['--preset', 'sobel_x'], /--png, --npy or --json/],
    [['--weights', out('bad.json'), '--npy', out('x.npy')], /bad\.json: "weights" must be an array of C\*kh\*kw = 27 numbers/],
    [['--weights', out('notjson.json'), '--npy', out('x.npy')], /notjson\.json: not JSON/],
    [['--weights', out('missing.json'), '--npy', out('x.npy')], /missing\.json: cannot open \(No such file or directory\)/],
    [['--model', '/nonexistent-run', '--channel', '0', '--npy', out('x.npy')], /nonexistent-run/],
  ];
  for (const [argv, re] of cases) {
    const r = spawnSync(args.catdog, ['filter', '--image', PHOTO, ...argv], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, `${argv.join(' ')}: exit 0`);
    const err = r.stderr.trim();
    assert.match(err, re, `${argv.join(' ')}: ${err}`);
    assert.ok(!err.includes('\n'), `one line: ${err}`);
  }
  const r = spawnSync(args.catdog, ['filter', '--image', out('cases.json'), '--preset', 'sobel_x', '--npy', out('x.npy')], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.trim(), /cases\.json/);
});

for (const s of summary) console.log(`     ${s}`);
console.log(failures ? `${failures} check(s) failed; files in ${args.out}` : 'all checks passed');
process.exit(failures ? 1 : 0);
