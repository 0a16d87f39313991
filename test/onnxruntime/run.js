#!/usr/bin/env node
// Runs a kdc student (ONNX) in ONNX Runtime's CPU provider, so the export
// tests compare kdc's own LibTorch logits with an independent implementation
// of the ONNX operators.
//
//   node run.js MODEL.onnx INPUTS.json OUT.json
//
// INPUTS.json: [{"ids": [T ints], "length": n}, ...] for a BPE student, or
// [{"features": F, "length": n}, ...] for a projection (pQRNN) student, where
// F is T rows of P floats ([[P floats], ...]) or T * P floats in row order
// with "shape": [T, P] beside it. Each entry runs as one utterance (ids
// [1, T] or features [1, T, P], and length [1]). OUT.json: [[C floats],
// ...], one row of logits per input, in order. Exits non-zero with a
// message on any failure.
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

// [1, T, P] float features of one input entry.
function featureTensor(input, index) {
  const f = input.features;
  if (!Array.isArray(f) || f.length === 0) {
    throw new Error(`input ${index}: "features" must be a non-empty array`);
  }
  let rows, cols, flat;
  if (Array.isArray(f[0])) {
    rows = f.length;
    cols = f[0].length;
    if (f.some((row) => !Array.isArray(row) || row.length !== cols)) {
      throw new Error(`input ${index}: every row of "features" needs ${cols} values`);
    }
    flat = Float32Array.from(f.flat());
  } else {
    if (!Array.isArray(input.shape) || input.shape.length !== 2 ||
        input.shape[0] * input.shape[1] !== f.length) {
      throw new Error(`input ${index}: flat "features" need "shape": [T, P] with T * P = ${f.length}`);
    }
    [rows, cols] = input.shape;
    flat = Float32Array.from(f);
  }
  return new ort.Tensor('float32', flat, [1, rows, cols]);
}

async function main(argv) {
  if (argv.length !== 3) {
    throw new Error('usage: node run.js MODEL.onnx INPUTS.json OUT.json');
  }
  const [modelPath, inputsPath, outPath] = argv;
  const inputs = JSON.parse(fs.readFileSync(inputsPath, 'utf8'));
  // One thread: the results must not depend on the machine's core count, and
  // the tests share two cores with the rest of the build.
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const rows = [];
  for (const [index, input] of inputs.entries()) {
    const feeds = {
      length: new ort.Tensor('int64', BigInt64Array.of(BigInt(input.length)), [1]),
    };
    if (input.features !== undefined) {
      feeds.features = featureTensor(input, index);
    } else {
      const ids = BigInt64Array.from(input.ids, (v) => BigInt(v));
      feeds.ids = new ort.Tensor('int64', ids, [1, ids.length]);
    }
    const result = await session.run(feeds);
    rows.push(Array.from(result.logits.data));
  }
  fs.writeFileSync(outPath, JSON.stringify(rows));
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`run.js: ${err.message || err}`);
  process.exit(1);
});
