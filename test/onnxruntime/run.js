#!/usr/bin/env node
// Runs a kdc student (ONNX) in ONNX Runtime's CPU provider, so the export
// tests compare kdc's own LibTorch logits with an independent implementation
// of the ONNX operators.
//
//   node run.js MODEL.onnx INPUTS.json OUT.json
//
// INPUTS.json: [{"ids": [T ints], "length": n}, ...]; each entry runs as one
// utterance (ids [1, T], length [1]). OUT.json: [[C floats], ...], one row of
// logits per input, in order. Exits non-zero with a message on any failure.
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

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
  for (const input of inputs) {
    const ids = BigInt64Array.from(input.ids, (v) => BigInt(v));
    const feeds = {
      ids: new ort.Tensor('int64', ids, [1, ids.length]),
      length: new ort.Tensor('int64', BigInt64Array.of(BigInt(input.length)), [1]),
    };
    const result = await session.run(feeds);
    rows.push(Array.from(result.logits.data));
  }
  fs.writeFileSync(outPath, JSON.stringify(rows));
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`run.js: ${err.message || err}`);
  process.exit(1);
});
