#!/usr/bin/env node
// Runs model.explain.onnx (inputs "input" and "seed") in onnxruntime and dumps the outputs, so
// the explain tests compare its gradients with torch autograd.
//
//   node tests/reference/ort_explain.mjs --model RUN/model.explain.onnx --input X.bin --seed S.bin \
//        --out DIR [--outputs logits,features.10,grad:features.10] [--backend node|web] [--bench K]
//
// X.bin: float32 [1,3,S,S]; S.bin: float32 [1,K] (raw little-endian). Writes DIR/<name>.bin
// (':' in a name becomes '_') and DIR/outputs.json {"outputs": {name: dims}, "create_ms", "run_ms"}.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['model', 'input', 'seed', 'out'])
  if (!args[k]) { console.error(`ort_explain: missing --${k}`); process.exit(2); }
const backend = args.backend || 'node';
const bench = parseInt(args.bench || '0', 10);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ort = require(path.join(root, 'node_modules', backend === 'web' ? 'onnxruntime-web' : 'onnxruntime-node'));
if (backend === 'web') ort.env.wasm.numThreads = 1;
const opts = backend === 'web' ? { executionProviders: ['wasm'] } : { intraOpNumThreads: 1, interOpNumThreads: 1 };

const f32 = (file) => {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
let t0 = performance.now();
const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(args.model)), opts);
const createMs = performance.now() - t0;
const x = f32(args.input), seed = f32(args.seed);
const S = Math.round(Math.sqrt(x.length / 3));
if (3 * S * S !== x.length) { console.error(`ort_explain: ${args.input} is not [1,3,S,S]`); process.exit(2); }
const feeds = { input: new ort.Tensor('float32', x, [1, 3, S, S]), seed: new ort.Tensor('float32', seed, [1, seed.length]) };
const fetch = args.outputs ? args.outputs.split(',') : session.outputNames;
const runMs = [];
let result;
for (let k = 0; k <= bench; ++k) {
  t0 = performance.now();
  result = await session.run(feeds, fetch);
  runMs.push(performance.now() - t0);
}
fs.mkdirSync(args.out, { recursive: true });
const dims = {};
for (const name of fetch) {
  const t = result[name];
  fs.writeFileSync(path.join(args.out, name.replace(/:/g, '_') + '.bin'),
                   Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  dims[name] = [...t.dims];
}
fs.writeFileSync(path.join(args.out, 'outputs.json'),
                 JSON.stringify({ backend, create_ms: createMs, run_ms: runMs, outputs: dims }, null, 1));
console.log(`ort_explain: ${backend} ${path.basename(args.model)}: ${fetch.length} outputs, create ${createMs.toFixed(0)} ms, ` +
            `run ${runMs.map((v) => v.toFixed(1)).join(' ')} ms`);
