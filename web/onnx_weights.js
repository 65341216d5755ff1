// web/onnx_weights.js - reads one initializer (a weight tensor) out of an ONNX file's bytes.
//
// ORT-web does not expose weights, but the kernel panel needs conv1's. An ONNX file is a
// protobuf ModelProto; only three messages are walked here:
//   ModelProto.graph = 7  ->  GraphProto.initializer = 5  ->  TensorProto
//   TensorProto: dims = 1, data_type = 2 (1 = FLOAT), float_data = 4, name = 8, raw_data = 9
// Anything else is skipped by its wire type, so the walk costs no copies.

function varint(buf, pos) {
  let v = 0, mul = 1, b;
  do {
    if (pos.i >= buf.length) throw new Error('truncated varint');
    b = buf[pos.i++];
    v += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  return v;
}

// Calls fn(field, wireType, start, end) for each field of the message in buf[start, end).
function fields(buf, start, end, fn) {
  const pos = { i: start };
  while (pos.i < end) {
    const key = varint(buf, pos), field = Math.floor(key / 8), wt = key & 7;
    if (wt === 0) { const s = pos.i; varint(buf, pos); if (fn(field, wt, s, pos.i) === false) return; }
    else if (wt === 1) { pos.i += 8; }
    else if (wt === 5) { pos.i += 4; }
    else if (wt === 2) {
      const len = varint(buf, pos), s = pos.i;
      pos.i += len;
      if (pos.i > end) throw new Error('truncated field');
      if (fn(field, wt, s, pos.i) === false) return;
    } else throw new Error(`unsupported wire type ${wt}`);
  }
}

const utf8 = new TextDecoder();

function readTensor(buf, s, e) {
  const t = { name: '', dims: [], dataType: 0, raw: null, floats: null };
  fields(buf, s, e, (f, wt, a, b) => {
    if (f === 8 && wt === 2) t.name = utf8.decode(buf.subarray(a, b));
    else if (f === 1 && wt === 0) t.dims.push(varint(buf, { i: a }));
    else if (f === 1 && wt === 2) { const p = { i: a }; while (p.i < b) t.dims.push(varint(buf, p)); }
    else if (f === 2 && wt === 0) t.dataType = varint(buf, { i: a });
    else if (f === 9 && wt === 2) t.raw = [a, b];
    else if (f === 4 && wt === 2) t.floats = [a, b];
  });
  return t;
}

// Returns {dims, data: Float32Array} for the FLOAT initializer `name`, or null if absent.
export function findInitializer(bytes, name) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let found = null;
  fields(buf, 0, buf.length, (f, wt, a, b) => {
    if (f !== 7 || wt !== 2) return;
    fields(buf, a, b, (g, gwt, ga, gb) => {
      if (g !== 5 || gwt !== 2) return;
      const t = readTensor(buf, ga, gb);
      if (t.name !== name) return;
      if (t.dataType !== 1) throw new Error(`${name}: not a float tensor (type ${t.dataType})`);
      const n = t.dims.reduce((x, y) => x * y, 1);
      const [ds, de] = t.raw || t.floats || [0, 0];
      if (de - ds !== n * 4) throw new Error(`${name}: ${de - ds} bytes for ${n} floats`);
      const data = new Float32Array(n);   // copy: the source may be unaligned
      new Uint8Array(data.buffer).set(buf.subarray(ds, de));
      found = { dims: t.dims, data };
      return false;
    });
    return false;
  });
  return found;
}
