//===- torch-bench.cpp - kdc-bench-torch: LibTorch eager for kdc bench ----===//
//
// The LibTorch side of `kdc bench` (bench/run.py drives it):
//
//   kdc-bench-torch prepare (--model DIR | --tokenizer F.model --max-tokens T
//                   --num-classes C --vocab V) --data FILE --name NAME -o IN.json
//       the test utterances of FILE encoded with the model's tokenizer (the
//       runtime's C BPE encoder, which the compiled library embeds) and its
//       gold labels: bench/harness/inputs.h. Without --model the inputs are
//       for a fixed-shape model (S-server, S-edge) that has no labels.
//   kdc-bench-torch run (--model DIR | --onnx F.onnx) --inputs IN.json
//                   [--runs N] [--repetitions R] [--batches 1,32]
//                   [--threads 1] [--results OUT.json] [--logits OUT.logits]
//                   [--accuracy N] [--max-seconds S] [Google Benchmark flags]
//       LibTorch eager (c10::InferenceMode): a kdc model folder through
//       lib/Train's loadClassifier (CNN student, teacher, and any kind lib/Train
//       loads), or the Kim CNN of an ONNX file from bench/models/kim_cnn.py,
//       whose initializers are copied into lib/Train's CnnStudent (so LibTorch
//       runs the very weights kdc and ONNX Runtime run). --logits: the first N
//       utterances (--accuracy, 0 = all) at batch 1. Then latency.h's timing.
//   kdc-bench-torch score --inputs IN.json --logits F.logits...
//                   [--reference R.logits] [--json OUT.json]
//       accuracy and macro-F1 (kdc/Eval, as `kdc eval`) of each engine's
//       logits, and its agreement with a reference engine's (a JSON array).
//
//===----------------------------------------------------------------------===//

#include "inputs.h"
#include "latency.h"

#include "Dataset.h"
#include "ModelDir.h"

#include "kdc/Data/Corpus.h"
#include "kdc/Eval/Metrics.h"
#include "kdc/Support/Error.h"
#include "kdc/Tokenizer/RuntimeModel.h"
#include "kdc/runtime/projection.h"

#include "onnx/onnx_pb.h"

#include <CLI/CLI.hpp>
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>

using namespace kdc;
using namespace kdc::train;
using kdc_bench::Clock;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// prepare
//===----------------------------------------------------------------------===//

struct PrepareOptions {
  std::string model, tokenizer, data, name, out, role = "test";
  int64_t maxTokens = 0, numClasses = 0, vocab = 0;
  size_t limit = 0;
};

void prepare(const PrepareOptions &o) {
  Featurizer featurizer;
  std::vector<std::string> labels;
  size_t numClasses = size_t(o.numClasses);
  bool fixedShape = o.model.empty();
  if (!o.model.empty()) {
    // The model's own featurizer: BPE ids (teacher, CNN) or projection
    // features (pQRNN), from the runtime's C code the library runs.
    Classifier c = loadClassifier(o.model);
    featurizer = c.featurizer();
    labels = c.config.labels;
    numClasses = labels.size();
  } else {
    if (o.tokenizer.empty() || o.maxTokens <= 0 || numClasses == 0)
      throw Error("prepare: give --model DIR, or --tokenizer, --max-tokens and "
                  "--num-classes for a fixed-shape model");
    featurizer.bpe = std::make_shared<tokenizer::BpeTokenizer>(
        tokenizer::BpeTokenizer::fromSentencePieceFile(o.tokenizer));
    featurizer.maxTokens = o.maxTokens;
    if (o.vocab > 0 && int64_t(featurizer.bpe->vocabSize()) > o.vocab)
      throw Error("prepare: the tokenizer has " +
                  std::to_string(featurizer.bpe->vocabSize()) +
                  " pieces, more than the model's vocabulary of " +
                  std::to_string(o.vocab));
  }
  ReadOptions ro;
  ro.requireLabels = !labels.empty();
  std::ostringstream log;
  Corpus corpus = readRole({o.data}, ro, o.role, log);
  if (o.limit && corpus.examples.size() > o.limit)
    corpus.examples.resize(o.limit);
  LabelIndex index;
  if (!labels.empty())
    index = LabelIndex(labels);
  Encoded enc = encodeCorpus(featurizer, corpus,
                             labels.empty() ? nullptr : &index,
                             /*unknownAsMissing=*/true);
  const bool features = featurizer.projection.has_value();
  json utts = json::array();
  size_t unknown = 0;
  for (size_t i = 0; i < enc.size(); ++i) {
    const Example &e = corpus.examples[i];
    // A gold label the model does not know (a model trained on a sample)
    // stays in: it counts as an error, as the model can never predict it.
    int label = -1;
    if (!labels.empty()) {
      if (enc.labels[i] >= 0)
        label = int(enc.labels[i]);
      else
        ++unknown, label = int(numClasses); // never an arg-max
    }
    utts.push_back({{"text", e.text},
                    {"ids", features ? std::vector<int32_t>() : enc.ids[i]},
                    {"n", enc.lengths[i]},
                    {"label", label}});
  }
  json j = {{"format", "kdc-bench-inputs"}, {"version", 1},
            {"model", o.name},           {"input", features ? "features" : "ids"},
            {"max_tokens", featurizer.maxTokens},
            {"fixed_shape", fixedShape}, {"num_classes", numClasses},
            {"labels", labels},          {"data", o.data},
            {"role", o.role},            {"truncated", enc.truncated},
            {"unknown_labels", unknown}, {"utterances", utts}};
  if (features) {
    // The projection's rows, int8, utterance after utterance.
    const kdc_projection_config_t &cfg = *featurizer.projection;
    const size_t p = cfg.num_features;
    std::string file = fs::path(o.out).filename().string() + ".features";
    std::ofstream f((fs::path(o.out).parent_path() / file).string(), std::ios::binary);
    std::vector<float> rows(size_t(featurizer.maxTokens) * p);
    std::vector<signed char> bytes(p);
    for (size_t i = 0; i < enc.size(); ++i) {
      const std::string &text = corpus.examples[i].text;
      int n = kdc_projection_features(&cfg, text.data(), text.size(), rows.data(),
                                      size_t(featurizer.maxTokens), p);
      if (n != enc.lengths[i])
        throw Error("prepare: the projection of utterance " + std::to_string(i) +
                    " has " + std::to_string(n) + " rows, not " +
                    std::to_string(enc.lengths[i]));
      for (int t = 0; t < n; ++t) {
        for (size_t k = 0; k < p; ++k)
          bytes[k] = static_cast<signed char>(rows[size_t(t) * p + k]);
        f.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(p));
      }
    }
    if (!f)
      throw Error("cannot write '" + file + "'");
    j["num_features"] = p;
    j["features_file"] = file;
  }
  std::ofstream out(o.out);
  out << j.dump() << "\n";
  if (!out)
    throw Error("cannot write '" + o.out + "'");
  std::cerr << "kdc-bench-torch: " << utts.size() << " " << o.role
            << " utterances for " << o.name << " (" << enc.truncated
            << " truncated to " << featurizer.maxTokens << " tokens"
            << (unknown ? ", " + std::to_string(unknown) +
                              " with a label the model does not know"
                        : std::string())
            << ") -> " << o.out << "\n";
}

//===----------------------------------------------------------------------===//
// run
//===----------------------------------------------------------------------===//

struct RunOptions {
  std::string model, onnx, inputs, results, logits, name;
  size_t runs = 1000, repetitions = 3, accuracy = 0;
  std::vector<int> batches{1, 32};
  int threads = 1;
  double maxSeconds = 0;
};

std::vector<float> initializerFloats(const onnx::TensorProto &t) {
  if (t.data_type() != onnx::TensorProto::FLOAT)
    throw Error("initializer '" + t.name() + "' is not float");
  int64_t n = 1;
  for (int64_t d : t.dims())
    n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  if (t.has_raw_data()) {
    if (t.raw_data().size() != v.size() * 4)
      throw Error("initializer '" + t.name() + "' has the wrong raw size");
    std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
  } else {
    if (t.float_data_size() != n)
      throw Error("initializer '" + t.name() + "' has the wrong size");
    std::copy(t.float_data().begin(), t.float_data().end(), v.begin());
  }
  return v;
}

/// The network under test: a forward over a batch of utterance rows.
struct Network {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const Batch &)> forward;
  int64_t minLength = 1;
  std::string kind, source;
  bool fixedShape = false;
  int64_t maxTokens = 0;
  /// A model folder's utterances, encoded by its own featurizer (lib/Train's
  /// Encoded: BPE ids, or the texts the projection featurizes in makeBatch).
  std::shared_ptr<Encoded> encoded;
};

/// A Kim CNN written by bench/models/kim_cnn.py: embedding.weight [V, D],
/// convs.I.weight [F, D, K] and .bias, fc.weight [C, nF] and .bias, copied
/// into lib/Train's CnnStudent. Run with every row's length = T, the
/// student's masked max-pool covers all T positions, which is the fixed
/// shape the ONNX graph computes.
Network loadKimCnnOnnx(const std::string &path, int64_t maxTokens) {
  onnx::ModelProto model;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in || !model.ParseFromIstream(&in))
      throw Error(path + ": cannot read the ONNX model");
  }
  std::map<std::string, const onnx::TensorProto *> init;
  for (const onnx::TensorProto &t : model.graph().initializer())
    init[t.name()] = &t;
  auto get = [&](const std::string &n) -> const onnx::TensorProto & {
    auto it = init.find(n);
    if (it == init.end())
      throw Error(path + ": no initializer '" + n +
                  "' (not a Kim CNN from bench/models/kim_cnn.py)");
    return *it->second;
  };
  CnnConfig cfg;
  const onnx::TensorProto &emb = get("embedding.weight");
  cfg.vocabSize = emb.dims(0);
  cfg.embedDim = emb.dims(1);
  cfg.widths.clear();
  for (int i = 0; init.count("convs." + std::to_string(i) + ".weight"); ++i) {
    const onnx::TensorProto &w = get("convs." + std::to_string(i) + ".weight");
    cfg.filters = w.dims(0);
    cfg.widths.push_back(w.dims(2));
  }
  cfg.numClasses = get("fc.weight").dims(0);
  cfg.dropout = 0.0;
  cfg.maxTokens = maxTokens;
  CnnStudent net(cfg);
  torch::NoGradGuard noGrad;
  for (auto &p : net->named_parameters()) {
    std::string name = p.key();
    if (name.rfind("output.", 0) == 0)
      name = "fc." + name.substr(7);
    std::vector<float> v = initializerFloats(get(name));
    if (int64_t(v.size()) != p.value().numel())
      throw Error(path + ": initializer '" + name + "' does not fit");
    p.value().copy_(torch::from_blob(v.data(), p.value().sizes()));
  }
  net->eval();
  Network n;
  n.module = net.ptr();
  n.forward = [net](const Batch &b) mutable {
    return net->forward(b.ids, b.lengths);
  };
  n.minLength = maxTokens;
  n.kind = "kim-cnn";
  n.source = path;
  n.fixedShape = true;
  n.maxTokens = maxTokens;
  return n;
}

Network loadNetwork(const RunOptions &o, const kdc_bench::Inputs &inputs) {
  if (!o.onnx.empty())
    return loadKimCnnOnnx(o.onnx, int64_t(inputs.maxTokens));
  Classifier c = loadClassifier(o.model);
  Network n;
  n.module = c.module;
  n.forward = c.forward;
  n.minLength = c.minLength;
  n.kind = c.config.kind;
  n.source = o.model;
  n.maxTokens = c.maxTokens;
  std::vector<std::string_view> texts;
  for (const kdc_bench::Utterance &u : inputs.utterances)
    texts.push_back(u.text);
  n.encoded = std::make_shared<Encoded>(encodeTexts(
      c.featurizer(), texts,
      [&](size_t i) { return o.inputs + ": utterance " + std::to_string(i); }));
  for (size_t i = 0; i < inputs.utterances.size(); ++i)
    if (size_t(n.encoded->lengths[i]) != inputs.utterances[i].n)
      throw Error(o.inputs + ": utterance " + std::to_string(i) + " has " +
                  std::to_string(inputs.utterances[i].n) + " tokens, but " +
                  std::to_string(n.encoded->lengths[i]) + " for " + o.model +
                  "'s featurizer (inputs of another model?)");
  return n;
}

/// One batch of prepared tensors: a model folder's through lib/Train's
/// makeBatch (padded to the longest row, at least the network's minimum);
/// a fixed-shape model's ids padded with 0 to T.
Batch makeRows(const kdc_bench::Inputs &in, size_t first, size_t count,
               const Network &net) {
  const size_t n = in.utterances.size();
  if (net.encoded) {
    std::vector<size_t> rows;
    for (size_t i = 0; i < count; ++i)
      rows.push_back((first + i) % n);
    return makeBatch(*net.encoded, rows, net.minLength);
  }
  int64_t len = net.fixedShape ? int64_t(in.maxTokens) : net.minLength;
  for (size_t i = 0; i < count; ++i)
    len = std::max<int64_t>(len, int64_t(in.utterances[(first + i) % n].ids.size()));
  torch::Tensor ids = torch::zeros({int64_t(count), len}, torch::kInt64);
  torch::Tensor lengths = torch::empty({int64_t(count)}, torch::kInt64);
  auto a = ids.accessor<int64_t, 2>();
  auto l = lengths.accessor<int64_t, 1>();
  for (size_t i = 0; i < count; ++i) {
    const std::vector<int32_t> &row = in.utterances[(first + i) % n].ids;
    for (size_t t = 0; t < row.size(); ++t)
      a[int64_t(i)][int64_t(t)] = row[t];
    l[int64_t(i)] = net.fixedShape ? int64_t(in.maxTokens) : int64_t(row.size());
  }
  return Batch{ids, lengths, {}, {}};
}

/// The BLAS LibTorch calls: what it was built against, and the shared
/// library the process actually mapped (Debian: the libblas.so.3
/// alternative, OpenBLAS after scripts/setup.sh).
json blasInfo() {
  json j;
  std::string config = torch::show_config();
  std::smatch m;
  if (std::regex_search(config, m, std::regex("BLAS_INFO=([^,\\n]*)")))
    j["built_with"] = m[1].str();
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> libs;
  for (std::string line; std::getline(maps, line);) {
    size_t slash = line.find('/');
    if (slash == std::string::npos)
      continue;
    std::string path = line.substr(slash);
    std::string base = fs::path(path).filename().string();
    if (base.find("blas") != std::string::npos ||
        base.find("mkl") != std::string::npos) {
      std::error_code ec;
      fs::path real = fs::canonical(path, ec);
      libs.insert(ec ? path : real.string());
    }
  }
  j["loaded"] = std::vector<std::string>(libs.begin(), libs.end());
  return j;
}

int runBench(const RunOptions &o, int argc, char **argv) {
  torch::set_num_threads(o.threads);
  at::set_num_interop_threads(1);
  kdc_bench::Inputs inputs = kdc_bench::readInputs(o.inputs);
  Network net = loadNetwork(o, inputs);
  c10::InferenceMode inference;

  int64_t parameters = 0;
  for (const torch::Tensor &p : net.module->parameters())
    parameters += p.numel();

  // Accuracy: every utterance once at batch 1, as the compiled library runs.
  if (!o.logits.empty()) {
    size_t n = o.accuracy ? std::min(o.accuracy, inputs.utterances.size())
                          : inputs.utterances.size();
    std::vector<float> all;
    for (size_t i = 0; i < n; ++i) {
      torch::Tensor y = net.forward(makeRows(inputs, i, 1, net)).contiguous();
      if (size_t(y.size(1)) != inputs.numClasses)
        throw Error("the network has " + std::to_string(y.size(1)) +
                    " classes, the inputs " + std::to_string(inputs.numClasses));
      all.insert(all.end(), y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
    }
    kdc_bench::writeLogits(o.logits, all);
  }

  std::vector<std::unique_ptr<kdc_bench::Configuration>> configs;
  for (int batch : o.batches) {
    auto c = std::make_unique<kdc_bench::Configuration>();
    c->engine = "libtorch";
    c->model = inputs.model;
    c->variant = "eager";
    c->batch = batch;
    c->threads = o.threads;
    c->calls = (o.runs + size_t(batch) - 1) / size_t(batch);
    // The tensors are made before the timing, as an application would have
    // them: the timed call is the forward alone.
    auto batches = std::make_shared<std::vector<Batch>>();
    for (size_t k = 0; k < c->calls; ++k)
      batches->push_back(makeRows(inputs, k * size_t(batch), size_t(batch), net));
    if (o.maxSeconds > 0) {
      // Two untimed calls of this batch estimate its cost.
      std::vector<double> probe;
      for (size_t i = 0; i < 3; ++i) {
        const auto t0 = Clock::now();
        net.forward((*batches)[i % batches->size()]);
        probe.push_back(kdc_bench::microsecondsBetween(t0, Clock::now()));
      }
      size_t capped = kdc_bench::cappedCalls(
          c->calls, batch, o.repetitions, o.maxSeconds,
          kdc_bench::summarize(probe, {}).median / double(batch));
      c->capped = capped < c->calls;
      c->calls = capped;
      batches->resize(std::min(batches->size(), capped));
    }
    kdc_bench::Configuration *cfg = c.get();
    configs.push_back(std::move(c));
    std::string name = "libtorch/" + inputs.model + "/batch:" + std::to_string(batch);
    kdc_bench::configureTimed(benchmark::RegisterBenchmark(
        name.c_str(),
        [cfg, batches, &net](benchmark::State &state) {
          c10::InferenceMode guard;
          const auto load = kdc_bench::readLoadAverage();
          size_t warm = kdc_bench::warmUpCalls(cfg->calls);
          for (size_t w = 0; w < warm; ++w)
            benchmark::DoNotOptimize(net.forward((*batches)[w % batches->size()]));
          std::vector<double> samples;
          samples.reserve(cfg->calls);
          size_t call = 0;
          for (auto _ : state) {
            const auto t0 = Clock::now();
            torch::Tensor y = net.forward((*batches)[call % batches->size()]);
            const auto t1 = Clock::now();
            benchmark::DoNotOptimize(y.data_ptr<float>());
            const double us = kdc_bench::microsecondsBetween(t0, t1);
            state.SetIterationTime(us * 1e-6);
            samples.push_back(us);
            ++call;
          }
          kdc_bench::recordRepetition(cfg, std::move(samples), load, state);
        }),
        cfg->calls, o.repetitions);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  if (!o.results.empty()) {
    json info = {{"kind", net.kind},
                 {"source", net.source},
                 {"parameters", parameters},
                 {"torch_version", TORCH_VERSION},
                 {"intra_op_threads", torch::get_num_threads()},
                 {"inference_mode", true},
                 {"blas", blasInfo()}};
    std::ofstream out(o.results);
    out << "{\"engine\": \"libtorch\", \"info\": " << info.dump()
        << ", \"configurations\": [";
    bool first = true;
    for (const auto &c : configs) {
      if (c->repetitions.empty())
        continue;
      out << (first ? "\n" : ",\n") << kdc_bench::toJson(*c);
      first = false;
    }
    out << "\n]}\n";
    if (!out)
      throw Error("cannot write '" + o.results + "'");
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// score
//===----------------------------------------------------------------------===//

struct ScoreOptions {
  std::string inputs, reference, json;
  std::vector<std::string> logits;
};

std::vector<float> readLogitsFile(const std::string &path, size_t classes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    throw Error("cannot open '" + path + "'");
  size_t bytes = size_t(in.tellg());
  if (classes == 0 || bytes % (classes * 4) != 0)
    throw Error("'" + path + "' is not N x " + std::to_string(classes) +
                " float32 logits (" + std::to_string(bytes) + " bytes)");
  std::vector<float> v(bytes / 4);
  in.seekg(0);
  in.read(reinterpret_cast<char *>(v.data()), std::streamsize(bytes));
  return v;
}

json scoreOne(const kdc_bench::Inputs &inputs, const std::string &path,
              const std::vector<float> *ref) {
  const size_t c = inputs.numClasses;
  std::vector<float> logits = readLogitsFile(path, c);
  eval::ScoreMatrix scores = eval::ScoreMatrix::fromFlat(logits, c, path);
  const size_t n = scores.numRows();
  if (n > inputs.utterances.size())
    throw Error("'" + path + "' has more rows than there are utterances");
  eval::checkScores(scores, path, c);
  std::vector<int> predictions = eval::argmaxRows(scores);
  json j = {{"logits", path}, {"utterances", n}};
  std::vector<int> gold;
  for (size_t i = 0; i < n; ++i)
    gold.push_back(inputs.utterances[i].label);
  bool labelled = !inputs.labels.empty() &&
                  std::all_of(gold.begin(), gold.end(), [](int l) { return l >= 0; });
  if (labelled) {
    // A gold label the model does not know is class C (prepare): one more
    // class that is never predicted, so it counts as an error.
    size_t unknown = size_t(std::count(gold.begin(), gold.end(), int(c)));
    eval::ClassificationMetrics m =
        eval::classificationMetrics(gold, predictions, unknown ? c + 1 : c);
    j["unknown_labels"] = unknown;
    j["accuracy"] = m.Accuracy;
    j["macro_f1"] = m.MacroF1;
  } else {
    j["accuracy"] = nullptr;
    j["macro_f1"] = nullptr;
  }
  if (ref) {
    if (ref->size() != logits.size())
      throw Error("the reference and '" + path + "' have different sizes");
    std::vector<int> refPred =
        eval::argmaxRows(eval::ScoreMatrix::fromFlat(*ref, c, "reference"));
    size_t agree = 0;
    double maxDiff = 0;
    for (size_t i = 0; i < n; ++i) {
      agree += refPred[i] == predictions[i];
      for (size_t k = 0; k < c; ++k)
        maxDiff = std::max(maxDiff, double(std::fabs(logits[i * c + k] - (*ref)[i * c + k])));
    }
    j["agreement"] = double(agree) / double(n);
    j["max_abs_diff"] = maxDiff;
  }
  return j;
}

/// Scores every --logits file; writes a JSON array in the same order.
void score(const ScoreOptions &o) {
  kdc_bench::Inputs inputs = kdc_bench::readInputs(o.inputs);
  std::vector<float> ref;
  if (!o.reference.empty())
    ref = readLogitsFile(o.reference, inputs.numClasses);
  json all = json::array();
  for (const std::string &path : o.logits)
    all.push_back(scoreOne(inputs, path, o.reference.empty() ? nullptr : &ref));
  std::string text = all.dump(2);
  if (o.json.empty()) {
    std::cout << text << "\n";
    return;
  }
  std::ofstream out(o.json);
  out << text << "\n";
  if (!out)
    throw Error("cannot write '" + o.json + "'");
}

} // namespace

int main(int argc, char **argv) {
  // Google Benchmark's flags (--benchmark_*) go to `run`, past CLI11.
  std::vector<char *> own{argv[0]}, gbench{argv[0]};
  for (int i = 1; i < argc; ++i)
    (std::strncmp(argv[i], "--benchmark_", 12) == 0 ? gbench : own).push_back(argv[i]);

  CLI::App app{"LibTorch eager side of kdc bench: prepare inputs, run, score",
               "kdc-bench-torch"};
  app.require_subcommand(1);
  PrepareOptions p;
  CLI::App *prep = app.add_subcommand("prepare", "Encode the test utterances");
  prep->add_option("--model", p.model, "kdc model folder")->check(CLI::ExistingDirectory);
  prep->add_option("--tokenizer", p.tokenizer, "sentencepiece .model (fixed-shape models)")
      ->check(CLI::ExistingFile);
  prep->add_option("--max-tokens", p.maxTokens)->check(CLI::PositiveNumber);
  prep->add_option("--num-classes", p.numClasses)->check(CLI::PositiveNumber);
  prep->add_option("--vocab", p.vocab, "The model's vocabulary (ids must fit)");
  prep->add_option("--data", p.data, "Labelled corpus")->required()->check(CLI::ExistingFile);
  prep->add_option("--role", p.role)->capture_default_str();
  prep->add_option("--limit", p.limit, "At most this many utterances");
  prep->add_option("--name", p.name, "Model name in the report")->required();
  prep->add_option("-o,--out", p.out)->required();

  RunOptions r;
  CLI::App *run = app.add_subcommand("run", "Time LibTorch eager (and write logits)");
  run->add_option("--model", r.model, "kdc model folder")->check(CLI::ExistingDirectory);
  run->add_option("--onnx", r.onnx, "Kim CNN ONNX file (bench/models/kim_cnn.py)")
      ->check(CLI::ExistingFile);
  run->add_option("--inputs", r.inputs)->required()->check(CLI::ExistingFile);
  run->add_option("--runs", r.runs, "Inferences per repetition")
      ->capture_default_str()->check(CLI::PositiveNumber);
  run->add_option("--repetitions", r.repetitions)->capture_default_str()->check(CLI::PositiveNumber);
  run->add_option("--batches", r.batches)->delimiter(',')->capture_default_str();
  run->add_option("--threads", r.threads)->capture_default_str()->check(CLI::PositiveNumber);
  run->add_option("--results", r.results);
  run->add_option("--logits", r.logits);
  run->add_option("--accuracy", r.accuracy, "Utterances for --logits (0: all)");
  run->add_option("--max-seconds", r.maxSeconds,
                  "Cap on one configuration's repetitions (0: none)");

  ScoreOptions s;
  CLI::App *sc = app.add_subcommand("score", "Accuracy of an engine's logits");
  sc->add_option("--inputs", s.inputs)->required()->check(CLI::ExistingFile);
  sc->add_option("--logits", s.logits, "One or more engines' logits")
      ->required()
      ->check(CLI::ExistingFile);
  sc->add_option("--reference", s.reference)->check(CLI::ExistingFile);
  sc->add_option("--json", s.json);

  int ownArgc = int(own.size());
  try {
    app.parse(ownArgc, own.data());
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  try {
    if (prep->parsed()) {
      prepare(p);
    } else if (run->parsed()) {
      if (r.model.empty() == r.onnx.empty())
        throw Error("run: give --model DIR or --onnx FILE");
      int gArgc = int(gbench.size());
      return runBench(r, gArgc, gbench.data());
    } else {
      score(s);
    }
  } catch (const std::exception &e) {
    std::cerr << "kdc-bench-torch: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
