#!/usr/bin/env node
// Runs an ONNX model in onnxruntime (npm onnxruntime-node, or onnxruntime-web's wasm backend
// under node) and dumps every output, so C++ tests can compare them with LibTorch.
//
//   node tests/reference/ort_parity.mjs --model M.onnx --input X.bin[,Y.bin...] --shape -1,3,224,224 \
//        --out DIR [--backend node|web] [--threads 1] [--bench K] [--outputs logits,probs]
//
// Each input file is raw little-endian float32, one batch; a leading -1 in --shape takes the
// batch size from the file size. Outputs of all batches are concatenated along axis 0:
// DIR/<output name>.bin (float32) and DIR/outputs.json
// {"outputs": {name: shape}, "backend", "create_ms", "run_ms": [...]}.
// --outputs fetches only those outputs; with --bench K the first batch runs K more times.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['model', 'input', 'shape', 'out'])
  if (!args[k]) { console.error(`ort_parity: missing --${k}`); process.exit(2); }
const backend = args.backend || 'node';
const threads = parseInt(args.threads || '1', 10);
const bench = parseInt(args.bench || '0', 10);

// node_modules lives at the repository root.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ort = require(path.join(root, 'node_modules', backend === 'web' ? 'onnxruntime-web' : 'onnxruntime-node'));
if (backend === 'web') { ort.env.wasm.numThreads = threads; }

const shape0 = args.shape.split(',').map(Number);
const per = shape0.slice(1).reduce((a, b) => a * b, 1);
const files = args.input.split(',');

const opts = backend === 'web' ? { executionProviders: ['wasm'] }
                                : { intraOpNumThreads: threads, interOpNumThreads: 1 };
// --fold-dq 1: as web/model.js does, let ORT fold DequantizeLinear initializers into float32.
if (args['fold-dq'] === '1') opts.extra = { session: { disable_quant_qdq: '1' } };
let t0 = performance.now();
const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(args.model)), opts);
const createMs = performance.now() - t0;
const fetch = args.outputs ? args.outputs.split(',') : session.outputNames;
const runMs = [];
const chunks = {}, dims = {};
for (const name of fetch) chunks[name] = [];
for (const [fi, file] of files.entries()) {
  const buf = fs.readFileSync(file);
  const batch = shape0[0] > 0 ? shape0[0] : buf.length / 4 / per;
  if (!Number.isInteger(batch) || buf.length !== batch * per * 4) {
    console.error(`ort_parity: ${file}: ${buf.length} bytes is not a whole batch of ${args.shape}`);
    process.exit(2);
  }
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [batch, ...shape0.slice(1)]) };
  const reps = fi === 0 ? 1 + bench : 1;
  let result;
  for (let k = 0; k < reps; ++k) {
    t0 = performance.now();
    result = await session.run(feeds, fetch);
    runMs.push(performance.now() - t0);
  }
  for (const name of fetch) {
    const t = result[name];
    chunks[name].push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    dims[name] = dims[name] ? [dims[name][0] + t.dims[0], ...t.dims.slice(1)] : [...t.dims];
  }
}
fs.mkdirSync(args.out, { recursive: true });
for (const name of fetch) fs.writeFileSync(path.join(args.out, name + '.bin'), Buffer.concat(chunks[name]));
fs.writeFileSync(path.join(args.out, 'outputs.json'),
  JSON.stringify({ backend, threads, create_ms: createMs, run_ms: runMs, outputs: dims }, null, 1));
console.log(`ort_parity: ${backend} ${path.basename(args.model)}: ${fetch.length} outputs, ${files.length} batch(es), ` +
  `create ${createMs.toFixed(0)} ms, run ${runMs.map(x => x.toFixed(1)).join(' ')} ms`);
