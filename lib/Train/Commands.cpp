//===- Commands.cpp - train-teacher, train-supervised, label, distill, eval ===//

#include "Dataset.h"
#include "Losses.h"
#include "ModelDir.h"
#include "TorchScriptTeacher.h"

#include "kdc/Data/LogitsStore.h"
#include "kdc/Eval/Report.h"
#include "kdc/Support/Error.h"
#include "kdc/Support/Progress.h"
#include "kdc/Tokenizer/BpeTrainer.h"
#include "kdc/Train/Pipeline.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <ostream>
#include <random>

using namespace kdc;
using namespace kdc::train;
namespace fs = std::filesystem;

namespace {

ReadOptions readOptions(const DataOptions &d, bool requireLabels) {
  ReadOptions o;
  o.format = parseCorpusFormat(d.format);
  o.textColumn = d.textColumn;
  o.labelColumn = d.labelColumn;
  o.skipBadLines = d.skipBadLines;
  o.requireLabels = requireLabels;
  return o;
}

void setThreads(int n) {
  if (n > 0)
    torch::set_num_threads(n);
}

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

/// The tokenizer of a new model folder: a copy of --tokenizer, the one a
/// resumed run already trained, or a new BPE model trained on `texts`.
std::shared_ptr<tokenizer::BpeTokenizer>
prepareTokenizer(const std::vector<std::string> &texts, int64_t vocabSize,
                 const std::string &existing, const std::string &outDir,
                 std::ostream &log) {
  fs::create_directories(outDir);
  fs::path dst = fs::path(outDir) / "tokenizer.model";
  if (!existing.empty()) {
    if (!fs::exists(existing))
      throw Error("cannot open tokenizer model '" + existing +
                  "': no such file");
    fs::copy_file(existing, dst, fs::copy_options::overwrite_existing);
  } else if (!fs::exists(dst)) {
    auto start = std::chrono::steady_clock::now();
    tokenizer::BpeTrainOptions o;
    o.vocabSize = int(vocabSize);
    tokenizer::trainBpeModelInChildProcess(texts, outDir, "tokenizer", o);
    log << "trained a BPE tokenizer (vocabulary " << vocabSize << ") on "
        << texts.size() << " utterances in " << secondsSince(start) << " s\n";
  }
  return std::make_shared<tokenizer::BpeTokenizer>(
      tokenizer::BpeTokenizer::fromSentencePieceFile(dst.string()));
}

TrainerOptions trainerOptions(const CommonTrainOptions &c) {
  TrainerOptions t;
  t.epochs = c.epochs, t.batchSize = c.batchSize;
  t.learningRate = c.learningRate, t.warmupEpochs = c.warmupEpochs;
  t.linearDecay = c.linearDecay, t.patience = c.patience, t.seed = c.seed;
  t.outDir = c.outDir, t.resume = c.resume;
  return t;
}

/// Splits off every tenth example (after a seeded shuffle) as dev data when
/// the user gave none.
std::pair<Encoded, Encoded> holdOut(const Encoded &all, uint64_t seed) {
  std::vector<size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  Encoded train = all.emptyLike(), dev = all.emptyLike();
  for (size_t k = 0; k < order.size(); ++k)
    (k % 10 == 0 ? dev : train).append(all, order[k]);
  train.truncated = all.truncated; // of all the labelled training data
  return {std::move(train), std::move(dev)};
}

double accuracy(const Classifier &c, const Encoded &data) {
  torch::Tensor logits = predict(c.forward, data, c.minLength);
  torch::Tensor gold = torch::tensor(data.labels, torch::kInt64);
  torch::Tensor known = gold >= 0;
  int64_t n = known.sum().item<int64_t>();
  if (n == 0)
    return 0.0;
  return (logits.argmax(1).eq(gold) & known).sum().item<double>() / double(n);
}

void finishModel(Classifier &c, const std::string &outDir,
                 const std::string &trainedWith) {
  c.config.trainedWith = trainedWith;
  c.config.fingerprint = fingerprintModel(outDir, c.config);
  writeModelConfig(outDir, c.config);
}

/// A folder that already holds a model must hold one of the kind and shape
/// this run trains: resuming another model's checkpoint would fail late or,
/// for a projection of other flags but the same shapes, silently train on
/// other features.
void checkOutputFolder(const std::string &outDir, const ModelConfig &want) {
  std::string path = (fs::path(outDir) / "config.json").string();
  if (!fs::exists(path))
    return;
  ModelConfig have = readModelConfig(outDir);
  if (have.kind != want.kind)
    throw Error("'" + outDir + "' holds a model of kind '" + have.kind +
                "' (" + path + "), not '" + want.kind +
                "': choose another --out for this " + want.kind + " model");
  std::string a = architectureJson(have), b = architectureJson(want);
  if (a != b)
    throw Error(path + ": the folder's " + have.kind + " model has " + a +
                ", but this run asks for " + b +
                ": pass the same options to continue it, or choose another "
                "--out");
}

/// The encoder of a new model: the BPE tokenizer (prepareTokenizer) for
/// BPE models; nothing for pQRNN, whose projection needs no training.
std::shared_ptr<tokenizer::BpeTokenizer>
prepareFeaturizer(ModelConfig &config, const std::vector<std::string> &texts,
                  int64_t vocabSize, const std::string &existing,
                  const std::string &outDir, std::ostream &log) {
  if (config.kind == "pqrnn") {
    fs::create_directories(outDir);
    return nullptr;
  }
  auto tok = prepareTokenizer(texts, vocabSize, existing, outDir, log);
  config.teacher.vocabSize = config.cnn.vocabSize = tok->vocabSize();
  return tok;
}

void reportTraining(const TrainResult &r, const std::string &what,
                    const std::string &outDir, std::ostream &log) {
  log << what << ": " << r.epochsDone << " epochs"
      << (r.finished ? "" : " (not finished: run again with --resume)")
      << ", best dev " << r.bestScore << " at epoch " << r.bestEpoch << ", "
      << r.seconds << " s this run, " << r.examplesPerSecond
      << " utterances/s; model in " << outDir << "\n";
}

/// Trains a classifier with cross-entropy on labelled corpora: the teacher,
/// and the supervised twin of a student.
void trainOnLabels(ModelConfig config, const std::vector<std::string> &trainFiles,
                   const std::vector<std::string> &devFiles,
                   const CommonTrainOptions &common, int64_t vocabSize,
                   const std::string &tokenizerModel, bool adamw,
                   const std::string &trainedWith, std::ostream &log) {
  setThreads(common.threads);
  auto start = std::chrono::steady_clock::now();
  checkOutputFolder(common.outDir, config);
  Corpus trainCorpus =
      readRole(trainFiles, readOptions(common.data, true), "train", log);
  LabelIndex labels = LabelIndex::fromCorpus(trainCorpus);
  std::vector<std::string> texts;
  for (const Example &e : trainCorpus.examples)
    texts.push_back(e.text);
  auto tok = prepareFeaturizer(config, texts, vocabSize, tokenizerModel,
                               common.outDir, log);

  config.labels = labels.names();
  config.teacher.numClasses = config.cnn.numClasses =
      config.pqrnn.numClasses = int64_t(labels.size());
  Classifier c = makeClassifier(config, tok, common.seed);
  writeModelConfig(common.outDir, c.config);

  Encoded trainSet = encodeCorpus(c.featurizer(), trainCorpus, &labels);
  Encoded devSet;
  if (devFiles.empty()) {
    std::tie(trainSet, devSet) = holdOut(trainSet, common.seed);
    log << "no --dev data: holding out " << devSet.size() << " of the "
        << trainCorpus.size() << " training utterances\n";
  } else {
    Corpus dev = readRole(devFiles, readOptions(common.data, true), "dev", log);
    devSet = encodeCorpus(c.featurizer(), dev, &labels, true);
  }
  log << "data ready in " << secondsSince(start) << " s: " << trainSet.size()
      << " training, " << devSet.size() << " dev utterances, "
      << labels.size() << " classes, " << trainSet.truncated
      << " truncated to " << c.maxTokens << " tokens\n";

  TrainHooks hooks;
  hooks.makeBatch = [&](const std::vector<size_t> &rows) {
    return makeBatch(trainSet, rows, c.minLength);
  };
  LossOptions ce;
  ce.kind = LossKind::Ce;
  hooks.loss = [&](const Batch &b) {
    return distillationLoss(c.forward(b), {}, b.labels, ce);
  };
  hooks.devScore = [&] { return accuracy(c, devSet); };
  TrainerOptions t = trainerOptions(common);
  t.adamw = adamw;
  t.weightDecay = adamw ? 0.01 : 0.0;
  t.clipNorm = adamw ? 1.0 : 0.0;
  TrainResult r = kdc::train::train(*c.module, trainSet.size(), hooks, t, log);
  if (r.finished)
    finishModel(c, common.outDir, trainedWith);
  reportTraining(r, trainedWith, common.outDir, log);
}

CnnConfig cnnConfig(const CnnOptions &o) {
  CnnConfig c;
  c.embedDim = o.embedDim, c.filters = o.filters, c.widths = o.widths;
  c.dropout = o.dropout, c.maxTokens = o.maxTokens;
  if (c.widths.empty())
    throw Error("--widths needs at least one kernel width");
  for (int64_t w : c.widths)
    if (w < 1 || w > o.maxTokens)
      throw Error("kernel width " + std::to_string(w) +
                  " must be between 1 and --max-tokens (" +
                  std::to_string(o.maxTokens) + ")");
  return c;
}

PqrnnConfig pqrnnConfig(const PqrnnOptions &o) {
  PqrnnConfig c;
  if (o.featureSize < 1 || o.featureSize > int64_t(KDC_PROJECTION_MAX_FEATURES))
    throw Error("--feature-size " + std::to_string(o.featureSize) +
                " must be between 1 and " +
                std::to_string(KDC_PROJECTION_MAX_FEATURES) +
                " (the projection's largest feature size)");
  auto positive = [](const char *flag, int64_t v) {
    if (v < 1)
      throw Error(std::string(flag) + " " + std::to_string(v) +
                  " must be a positive integer");
  };
  positive("--bottleneck", o.bottleneck);
  positive("--state", o.state);
  positive("--layers", o.layers);
  positive("--max-tokens", o.maxTokens);
  if (!(o.zoneout >= 0 && o.zoneout < 1))
    throw Error("--zoneout must be in [0, 1), got " + std::to_string(o.zoneout));
  if (!(o.dropout >= 0 && o.dropout < 1))
    throw Error("--dropout must be in [0, 1), got " + std::to_string(o.dropout));
  c.featureSize = o.featureSize;
  c.bottleneck = o.bottleneck, c.state = o.state, c.layers = o.layers;
  c.dropout = o.dropout, c.zoneout = o.zoneout, c.maxTokens = o.maxTokens;
  c.projectionFlags = (o.splitCodepoints ? KDC_PROJECTION_SPLIT_CODEPOINTS : 0) |
                      (o.bos ? KDC_PROJECTION_BOS : 0) |
                      (o.eos ? KDC_PROJECTION_EOS : 0);
  return c;
}

/// The config of a new student of kind `student`.
ModelConfig studentConfig(const std::string &student, const CnnOptions &cnn,
                          const PqrnnOptions &pqrnn) {
  ModelConfig config;
  config.kind = student;
  if (student == "cnn")
    config.cnn = cnnConfig(cnn);
  else if (student == "pqrnn")
    config.pqrnn = pqrnnConfig(pqrnn);
  else if (student == "transformer")
    throw Error("--student transformer: this build trains the 'cnn' and "
                "'pqrnn' students; the Transformer student is not "
                "implemented yet");
  else
    throw Error("--student " + student +
                ": unknown student (expected cnn or pqrnn)");
  return config;
}

/// A model's identity and size for eval's JSON report: parameters and their
/// float32 bytes (weights only; unknown for a TorchScript teacher).
nlohmann::ordered_json describeModel(const Classifier &c,
                                     const std::string &path) {
  nlohmann::ordered_json j;
  j["path"] = path;
  j["kind"] = c.config.kind.empty() ? "torchscript" : c.config.kind;
  if (c.module) {
    int64_t params = 0;
    for (const torch::Tensor &p : c.module->parameters())
      params += p.numel();
    j["parameters"] = params;
    j["float32_bytes"] = params * 4;
  }
  j["max_tokens"] = c.maxTokens;
  if (!c.config.fingerprint.empty())
    j["fingerprint"] = c.config.fingerprint;
  if (!c.config.teacherFingerprint.empty())
    j["teacher_fingerprint"] = c.config.teacherFingerprint;
  if (c.config.kind == "pqrnn")
    j["projection"] = nlohmann::ordered_json::parse(projectionJson(c.config.pqrnn));
  return j;
}

} // namespace

void kdc::train::trainTeacher(const TeacherTrainOptions &o, std::ostream &log) {
  ModelConfig config;
  config.kind = "teacher";
  config.teacher.hidden = o.hidden, config.teacher.layers = o.layers;
  config.teacher.heads = o.heads, config.teacher.ffn = o.ffn;
  config.teacher.dropout = o.dropout, config.teacher.maxTokens = o.maxTokens;
  if (o.hidden % o.heads != 0)
    throw Error("--hidden " + std::to_string(o.hidden) +
                " must be a multiple of --heads " + std::to_string(o.heads));
  trainOnLabels(config, o.trainFiles, o.devFiles, o.common, o.vocabSize,
                o.tokenizerModel, /*adamw=*/true, "train-teacher", log);
}

void kdc::train::trainSupervised(const SupervisedTrainOptions &o,
                                 std::ostream &log) {
  ModelConfig config = studentConfig(o.student, o.cnn, o.pqrnn);
  trainOnLabels(config, o.trainFiles, o.devFiles, o.common, o.cnn.vocabSize,
                o.cnn.tokenizerModel, /*adamw=*/false, "train-supervised", log);
}

void kdc::train::label(const LabelOptions &o, std::ostream &log) {
  setThreads(o.threads);
  ShardSpec shard = parseShardSpec(o.shard);
  Classifier teacher = loadTeacher(o.teacher, o.torchScript);
  Corpus corpus = readCorpora(o.dataFiles, readOptions(o.data, false));
  if (!o.partitions.empty()) {
    size_t before = corpus.size();
    corpus.keepPartitions(o.partitions);
    if (corpus.empty())
      throw Error("no utterance of the data is in partition(s) given by "
                  "--partition");
    log << "labelling the " << corpus.size() << " of " << before
        << " utterances in the chosen partitions\n";
  }
  LabelIndex labels(teacher.config.labels);
  Encoded data = encodeCorpus(teacher.featurizer(), corpus, &labels,
                              /*unknownAsMissing=*/true);

  LogitsHeader header;
  header.labels = teacher.config.labels;
  header.fingerprint = teacher.config.fingerprint;
  header.locales = corpus.locales();
  for (const std::string &f : o.dataFiles)
    header.source += (header.source.empty() ? "" : " ") + f;
  header.shard = shard.shard, header.numShards = shard.numShards;
  std::map<std::string, int32_t> localeId;
  for (size_t i = 0; i < header.locales.size(); ++i)
    localeId[header.locales[i]] = int32_t(i);

  std::vector<size_t> mine;
  for (size_t i = 0; i < data.size(); ++i)
    if (inShard(i, shard.shard, shard.numShards))
      mine.push_back(i);
  bool resuming = fs::exists(o.out);
  LogitsWriter writer = resuming ? LogitsWriter::resume(o.out, header)
                                 : LogitsWriter::create(o.out, header);
  size_t done = writer.size();
  if (resuming)
    log << "resuming " << o.out << ": " << done << " of " << mine.size()
        << " utterances already labelled\n";

  Progress::Options progressOptions;
  progressOptions.alreadyDone = done;
  Progress progress("label", mine.size(), log, progressOptions);
  torch::NoGradGuard noGrad;
  size_t c = teacher.numClasses();
  for (size_t lo = done; lo < mine.size(); lo += size_t(o.batchSize)) {
    std::vector<size_t> rows(mine.begin() + lo,
                             mine.begin() + std::min(mine.size(), lo + size_t(o.batchSize)));
    torch::Tensor logits =
        teacher.forward(makeBatch(data, rows, teacher.minLength)).contiguous();
    const float *p = logits.data_ptr<float>();
    for (size_t k = 0; k < rows.size(); ++k) {
      const Example &e = corpus.examples[rows[k]];
      writer.append(e.text, p + k * c, int32_t(data.labels[rows[k]]),
                    e.locale.empty() ? -1 : localeId[e.locale]);
    }
    progress.tick(rows.size());
  }
  progress.finish();
  writer.close();
  log << "wrote " << writer.size() << " teacher logits to " << o.out << "\n";
}

void kdc::train::distill(const DistillOptions &o, std::ostream &log) {
  ModelConfig config = studentConfig(o.student, o.cnn, o.pqrnn);
  setThreads(o.common.threads);
  if (!(o.fraction > 0.0 && o.fraction <= 1.0))
    throw Error("--fraction must be in (0, 1], got " + std::to_string(o.fraction));
  LossOptions lossOpts;
  lossOpts.kind = parseLossKind(o.loss);
  lossOpts.temperature = o.temperature;
  lossOpts.alpha = o.alpha;
  if (!(o.temperature > 0))
    throw Error("--temperature must be positive");

  LogitsReader store = LogitsReader::open(o.logits);
  const LogitsHeader &header = store.header();
  if (store.size() == 0)
    throw Error(o.logits + ": the logits store holds no utterances");
  checkOutputFolder(o.common.outDir, config);

  // A fraction stratified by locale: the same share of every locale, chosen
  // by a seeded shuffle.
  std::map<int32_t, std::vector<size_t>> byLocale;
  for (size_t i = 0; i < store.size(); ++i)
    byLocale[store.record(i).locale].push_back(i);
  std::vector<size_t> chosen;
  std::mt19937_64 rng(o.common.seed);
  for (auto &[locale, rows] : byLocale) {
    std::shuffle(rows.begin(), rows.end(), rng);
    size_t keep = std::max<size_t>(1, size_t(std::ceil(o.fraction * double(rows.size()))));
    chosen.insert(chosen.end(), rows.begin(), rows.begin() + std::min(keep, rows.size()));
  }
  std::sort(chosen.begin(), chosen.end());
  log << "distilling on " << chosen.size() << " of " << store.size()
      << " labelled utterances (fraction " << o.fraction << ")\n";

  std::vector<std::string> texts;
  std::vector<std::string_view> views;
  for (size_t i : chosen)
    texts.emplace_back(store.record(i).text);
  auto tok = prepareFeaturizer(config, texts, o.cnn.vocabSize,
                               o.cnn.tokenizerModel, o.common.outDir, log);
  config.cnn.numClasses = config.pqrnn.numClasses =
      int64_t(header.labels.size());
  config.labels = header.labels;
  config.teacherFingerprint = header.fingerprint;
  Classifier c = makeClassifier(config, tok, o.common.seed);
  writeModelConfig(o.common.outDir, c.config);

  for (const std::string &t : texts)
    views.push_back(t);
  Encoded all = encodeTexts(c.featurizer(), views, [&](size_t k) {
    return o.logits + ": record " + std::to_string(chosen[k]);
  });
  for (size_t k = 0; k < chosen.size(); ++k)
    all.labels[k] = store.record(chosen[k]).gold;
  texts.clear();

  // Dev: labelled files (accuracy), or else a held-out tenth of the store
  // scored by the negative distillation loss.
  Encoded trainSet = all, devSet;
  std::vector<size_t> trainRows = chosen, devRows;
  bool devLabelled = !o.devFiles.empty();
  if (devLabelled) {
    Corpus dev = readRole(o.devFiles, readOptions(o.common.data, true), "dev", log);
    LabelIndex labels(header.labels);
    devSet = encodeCorpus(c.featurizer(), dev, &labels, true);
  } else {
    trainSet = all.emptyLike(), devSet = all.emptyLike(), trainRows.clear();
    for (size_t k = 0; k < chosen.size(); ++k) {
      bool toDev = k % 10 == 0;
      (toDev ? devSet : trainSet).append(all, k);
      (toDev ? devRows : trainRows).push_back(chosen[k]);
    }
    log << "no --dev data: holding out " << devSet.size()
        << " utterances, scored by the distillation loss\n";
  }
  all = Encoded{};

  TrainHooks hooks;
  hooks.makeBatch = [&](const std::vector<size_t> &rows) {
    return makeBatch(trainSet, rows, c.minLength, &store, &trainRows);
  };
  hooks.loss = [&](const Batch &b) {
    return distillationLoss(c.forward(b), b.teacher, b.labels, lossOpts);
  };
  hooks.devScore = [&] {
    if (devLabelled)
      return accuracy(c, devSet);
    double sum = 0;
    for (size_t lo = 0; lo < devSet.size(); lo += 256) {
      std::vector<size_t> rows;
      for (size_t r = lo; r < std::min(devSet.size(), lo + 256); ++r)
        rows.push_back(r);
      Batch b = makeBatch(devSet, rows, c.minLength, &store, &devRows);
      sum += distillationLoss(c.forward(b), b.teacher, b.labels, lossOpts)
                 .item<double>() * double(rows.size());
    }
    return -sum / double(devSet.size());
  };
  TrainResult r = kdc::train::train(*c.module, trainSet.size(), hooks,
                        trainerOptions(o.common), log);
  if (r.finished)
    finishModel(c, o.common.outDir, "distill --loss " + o.loss);
  reportTraining(r, "distill", o.common.outDir, log);
}

void kdc::train::evaluate(const EvalOptions &o, std::ostream &out,
                          std::ostream &log) {
  setThreads(o.threads);
  Classifier model = loadClassifier(o.model);
  Corpus test = readRole(o.testFiles, readOptions(o.data, true), "test", log);
  LabelIndex labels(model.config.labels);

  auto scores = [&](const Classifier &c) {
    Encoded data = encodeCorpus(c.featurizer(), test, &labels);
    auto start = std::chrono::steady_clock::now();
    torch::Tensor logits = predict(c.forward, data, c.minLength).contiguous();
    log << c.dir << ": " << data.size() << " utterances in "
        << secondsSince(start) << " s (batch 256)\n";
    return std::make_pair(data, logits);
  };
  auto [data, logits] = scores(model);
  std::vector<int> gold(data.labels.begin(), data.labels.end());
  eval::EvalOptions eo;
  eo.ClassNames = model.config.labels;
  eval::ScoreMatrix student(logits.data_ptr<float>(), size_t(logits.size(0)),
                            size_t(logits.size(1)));
  std::string markdown, json;
  nlohmann::ordered_json teacherInfo;
  if (!o.teacher.empty()) {
    Classifier teacher = loadTeacher(o.teacher, o.teacherTorchScript);
    teacherInfo = describeModel(teacher, o.teacher);
    if (teacher.config.labels != model.config.labels)
      throw Error("teacher '" + o.teacher + "' has " +
                  std::to_string(teacher.numClasses()) +
                  " classes that differ from the model's " +
                  std::to_string(model.numClasses()) +
                  " (a student is evaluated against the teacher it was "
                  "distilled from)");
    auto [tdata, tlogits] = scores(teacher);
    eval::ScoreMatrix tm(tlogits.data_ptr<float>(), size_t(tlogits.size(0)),
                         size_t(tlogits.size(1)));
    eval::Comparison cmp = eval::compare(student, tm, gold, data.locales, eo);
    markdown = eval::toMarkdown(cmp, false);
    json = eval::toJson(cmp);
  } else {
    eval::EvalReport rep = eval::evaluate(student, gold, data.locales, eo);
    markdown = eval::toMarkdown(rep, false);
    json = eval::toJson(rep);
  }
  out << markdown;
  if (!o.json.empty()) {
    // What was evaluated, with its size, beside the metrics.
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(json);
    j["model"] = describeModel(model, o.model);
    if (!o.teacher.empty())
      j["teacher_model"] = teacherInfo;
    json = j.dump(2);
    std::ofstream f(o.json);
    if (!(f << json << "\n"))
      throw Error("cannot write '" + o.json + "'");
    log << "wrote " << o.json << "\n";
  }
}
