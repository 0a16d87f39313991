#!/usr/bin/env node
// ONNX Runtime (npm onnxruntime-node: ORT's CPU library behind N-API) side
// of `kdc bench`, driven by bench/run.py:
//
//   node bench.js --model F.onnx --inputs IN.json [--runs N]
//                 [--repetitions R] [--batches 1,32] [--threads 1]
//                 [--results OUT.json] [--logits OUT.logits] [--accuracy N]
//                 [--max-seconds S]   (as bench/harness/latency.h's cappedCalls)
//   node bench.js --probe        prints {"version", "path"} of the package
//
// IN.json is bench/harness/inputs.h's file. Inputs are kdc's ONNX form
// (ids int64 [1, T] padded with 0, or pQRNN's features float [1, T, P]
// with zero rows past n, + length int64 [1], docs/onnx.md) or a fixed-shape
// graph with ids only (bench/models/kim_cnn.py, padded to T).
// Batch 32 runs as one [32, T] call when the graph takes it (dynamic batch
// axis, no length input): "batching": "native"; kdc's own form is batch 1,
// so there it is 32 calls in a row: "sequential". Feeds are built before
// the timing; a timed call is `await session.run(feeds)`. The session uses
// intraOpNumThreads = --threads, interOpNumThreads 1, sequential execution
// and all graph optimisations. Results follow bench/harness/latency.h.
//
// onnxruntime-node is looked up in bench/node_modules and
// test/onnxruntime/node_modules (`npm install --ignore-scripts` there), or
// only in $KDC_BENCH_ORT_MODULES when that is set.
'use strict';

const fs = require('fs');
const path = require('path');

function findOrt() {
  // $KDC_BENCH_ORT_MODULES, when set, is the only place looked at.
  const roots = process.env.KDC_BENCH_ORT_MODULES
    ? [process.env.KDC_BENCH_ORT_MODULES]
    : [path.join(__dirname, '..', 'node_modules'),
       path.join(__dirname, '..', '..', 'test', 'onnxruntime', 'node_modules')];
  for (const root of roots) {
    const pkg = path.join(root, 'onnxruntime-node', 'package.json');
    if (fs.existsSync(pkg)) {
      const dir = path.dirname(pkg);
      return {dir, version: JSON.parse(fs.readFileSync(pkg, 'utf8')).version};
    }
  }
  throw new Error('onnxruntime-node is not installed: run `npm install ' +
                  '--ignore-scripts` in test/onnxruntime (searched ' +
                  roots.join(', ') + ')');
}

function parseArgs(argv) {
  const o = {runs: 1000, repetitions: 3, batches: [1, 32], threads: 1, accuracy: 0, maxSeconds: 0};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value after ${a}`);
      return argv[++i];
    };
    const count = (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${a} needs a count, not '${v}'`);
      return n;
    };
    switch (a) {
      case '--model': o.model = value(); break;
      case '--inputs': o.inputs = value(); break;
      case '--runs': o.runs = count(value()); break;
      case '--repetitions': o.repetitions = count(value()); break;
      case '--batches': o.batches = value().split(',').map(count); break;
      case '--threads': o.threads = count(value()); break;
      case '--results': o.results = value(); break;
      case '--logits': o.logits = value(); break;
      case '--accuracy': o.accuracy = count(value()); break;
      case '--max-seconds': o.maxSeconds = Number(value()); break;
      case '--probe': o.probe = true; break;
      default: throw new Error(`unknown argument '${a}'`);
    }
  }
  return o;
}

function loadAverage() {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch (e) {
    return [-1, -1, -1];
  }
}

// NumPy's default (linear) quantile of sorted values, as latency.h.
function quantile(sorted, q) {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function summarize(samples, load) {
  const s = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return {loadavg: load, median_us: quantile(s, 0.5), p90_us: quantile(s, 0.9),
          mean_us: sum / s.length, min_us: s[0], max_us: s[s.length - 1], calls: s.length};
}

async function main(argv) {
  const o = parseArgs(argv);
  const found = findOrt();
  if (o.probe) {
    console.log(JSON.stringify({version: found.version, path: found.dir}));
    return;
  }
  if (!o.model || !o.inputs) throw new Error('--model and --inputs are required');
  const ort = require(found.dir);
  const inputs = JSON.parse(fs.readFileSync(o.inputs, 'utf8'));
  const T = inputs.max_tokens, C = inputs.num_classes;
  const utts = inputs.utterances;
  const session = await ort.InferenceSession.create(o.model, {
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const hasLength = session.inputNames.includes('length');
  const features = inputs.input === 'features';
  const P = inputs.num_features || 0;
  const idsName = session.inputNames.includes('ids') ? 'ids' : session.inputNames[0];
  if (features) {
    // pQRNN: the projection's rows that kdc-bench-torch prepare wrote (int8,
    // n rows of P per utterance), the same rows every engine runs.
    const raw = fs.readFileSync(path.resolve(path.dirname(o.inputs), inputs.features_file));
    let offset = 0;
    for (const u of utts) {
      u.rows = new Int8Array(raw.buffer, raw.byteOffset + offset, u.n * P);
      offset += u.n * P;
    }
    if (offset !== raw.length) throw new Error(`${inputs.features_file} does not match the inputs`);
  }

  // Feeds for utterances first..first+count-1 (cyclic), padded to T.
  const feeds = (first, count) => {
    let f;
    if (features) {
      const x = new Float32Array(count * T * P);
      for (let b = 0; b < count; b++) {
        const u = utts[(first + b) % utts.length];
        for (let k = 0; k < u.rows.length; k++) x[b * T * P + k] = u.rows[k];
      }
      f = {features: new ort.Tensor('float32', x, [count, T, P])};
    } else {
      const ids = new BigInt64Array(count * T);
      for (let b = 0; b < count; b++) {
        const u = utts[(first + b) % utts.length];
        for (let t = 0; t < u.ids.length; t++) ids[b * T + t] = BigInt(u.ids[t]);
      }
      f = {[idsName]: new ort.Tensor('int64', ids, [count, T])};
    }
    if (hasLength) {
      if (count !== 1) throw new Error('a model with a length input is batch 1');
      f.length = new ort.Tensor('int64', BigInt64Array.of(BigInt(utts[first % utts.length].n)), [1]);
    }
    return f;
  };
  const outName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];

  if (o.logits) {
    const n = o.accuracy ? Math.min(o.accuracy, utts.length) : utts.length;
    const all = new Float32Array(n * C);
    for (let i = 0; i < n; i++) {
      const r = await session.run(feeds(i, 1));
      const y = r[outName].data;
      if (y.length !== C) throw new Error(`the model has ${y.length} outputs, the inputs ${C} classes`);
      all.set(y, i * C);
    }
    fs.writeFileSync(o.logits, Buffer.from(all.buffer));
  }

  // Can batch 32 run as one call?
  let nativeBatch = !hasLength;
  if (nativeBatch && o.batches.some((b) => b > 1)) {
    try {
      await session.run(feeds(0, 2));
    } catch (e) {
      nativeBatch = false;
    }
  }

  const configurations = [];
  for (const batch of o.batches) {
    const native = batch === 1 || nativeBatch;
    let calls = Math.ceil(o.runs / batch);
    let capped = false;
    if (o.maxSeconds > 0) {
      // Three untimed calls of this batch estimate its cost (latency.h).
      const probe = [];
      for (let i = 0; i < 3; i++) {
        const group = native ? [feeds(i * batch, batch)]
                             : Array.from({length: batch}, (_, b) => feeds(i * batch + b, 1));
        const t0 = process.hrtime.bigint();
        for (const f of group) await session.run(f);
        probe.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
      const perCall = probe.sort((a, b) => a - b)[1];
      const fit = Math.floor(o.maxSeconds * 1e6 / o.repetitions / perCall);
      const floor = Math.ceil(100 / batch);
      const c = Math.min(calls, Math.max(fit, floor));
      capped = c < calls;
      calls = c;
    }
    // Prepared before the timing: one feed per call (native) or per utterance.
    const prepared = [];
    for (let k = 0; k < calls; k++) {
      if (native) prepared.push([feeds(k * batch, batch)]);
      else prepared.push(Array.from({length: batch}, (_, b) => feeds(k * batch + b, 1)));
    }
    const cfg = {engine: 'onnxruntime', model: inputs.model, variant: 'cpu', batch,
                 batching: native ? 'native' : 'sequential', threads: o.threads,
                 calls, capped, inferences: calls * batch, repetitions: [], samples_us: []};
    for (let rep = 0; rep < o.repetitions; rep++) {
      const load = loadAverage();
      const warm = Math.min(100, Math.max(1, Math.floor(calls / 10)));  // latency.h
      for (let w = 0; w < warm; w++)
        for (const f of prepared[w % calls]) await session.run(f);
      const samples = new Array(calls);
      for (let k = 0; k < calls; k++) {
        const group = prepared[k];
        const t0 = process.hrtime.bigint();
        for (const f of group) await session.run(f);
        const t1 = process.hrtime.bigint();
        samples[k] = Number(t1 - t0) / 1000;
      }
      cfg.repetitions.push(summarize(samples, load));
      for (const v of samples) cfg.samples_us.push(Math.round(v * 1000) / 1000);
      const r = cfg.repetitions[cfg.repetitions.length - 1];
      console.log(`onnxruntime/${inputs.model}/batch:${batch}/rep:${rep} ` +
                  `median ${r.median_us.toFixed(2)} us, p90 ${r.p90_us.toFixed(2)} us, load ${load[0]}`);
    }
    configurations.push(cfg);
  }
  if (o.results) {
    const info = {version: found.version, path: found.dir, node: process.version,
                  intra_op_threads: o.threads, inputs: session.inputNames,
                  max_rss_kib: process.resourceUsage().maxRSS};
    fs.writeFileSync(o.results, JSON.stringify({engine: 'onnxruntime', info, configurations}));
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`bench.js: error: ${err.message || err}`);
  process.exit(1);
});
