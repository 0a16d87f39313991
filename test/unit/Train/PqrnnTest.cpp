// The pQRNN student on tiny shapes: fo-pooling against hand-computed
// values in both directions, zoneout, the whole network against a plain
// loop implementation of the student dialect's semantics, independence of
// the padding (and of whatever the padded rows hold), the projection
// featurizer in batches, and exact resume.
#include "Dataset.h"
#include "Losses.h"
#include "ModelDir.h"
#include "Models.h"
#include "Trainer.h"

#include "kdc/Support/Error.h"

#include <torch/torch.h>

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

using namespace kdc::train;
namespace fs = std::filesystem;

namespace {

fs::path freshDir(const std::string &name) {
  return kdc::unittest::freshDir("kdc-pqrnn-test", name, /*create=*/false);
}

/// One utterance, 3 steps, 2 units: unit 0 has f = o = 1/2 (F = O = 0),
/// unit 1 has f = o = 3/4 (F = O = ln 3); z = tanh(Z) is chosen by atanh.
torch::Tensor handGates() {
  const float l3 = float(std::log(3.0));
  const float z0[3] = {0.8f, -0.4f, 0.2f}, z1[3] = {0.6f, 0.2f, -0.2f};
  torch::Tensor g = torch::zeros({1, 3, 6});
  for (int t = 0; t < 3; ++t) {
    g[0][t][0] = std::atanh(z0[t]); // Z, unit 0
    g[0][t][1] = std::atanh(z1[t]); // Z, unit 1
    g[0][t][3] = l3;                // F, unit 1
    g[0][t][5] = l3;                // O, unit 1
  }
  return g;
}

void expectRows(const torch::Tensor &h, std::vector<std::vector<double>> want) {
  ASSERT_EQ(h.sizes(), (std::vector<int64_t>{1, int64_t(want.size()), 2}));
  for (size_t t = 0; t < want.size(); ++t)
    for (size_t u = 0; u < 2; ++u)
      EXPECT_NEAR(h[0][int64_t(t)][int64_t(u)].item<double>(), want[t][u],
                  1e-6)
          << "t " << t << ", unit " << u;
}

TEST(FoPool, ForwardMatchesHandComputedValues) {
  // Unit 0: c = 0.4, 0.0, 0.1 -> h = c / 2. Unit 1: c = 0.15, 0.1625,
  // 0.071875 -> h = 3c / 4.
  torch::Tensor mask = torch::ones({1, 3});
  expectRows(foPool(handGates(), mask, false),
             {{0.2, 0.1125}, {0.0, 0.121875}, {0.05, 0.05390625}});
}

TEST(FoPool, BackwardRunsFromTheEnd) {
  // Unit 0 from t = 2: c = 0.1, -0.15, 0.325. Unit 1: c = -0.05, 0.0125,
  // 0.159375.
  torch::Tensor mask = torch::ones({1, 3});
  expectRows(foPool(handGates(), mask, true),
             {{0.1625, 0.11953125}, {-0.075, 0.009375}, {0.05, -0.0375}});
}

TEST(FoPool, MaskedStepsAreZeroAndTheBackwardPassStartsAtTheLength) {
  // n = 2: the backward pass starts at t = 1 from c = 0 (unit 0: c = -0.2,
  // 0.3; unit 1: c = 0.05, 0.1875); row 2 is 0 in both directions.
  torch::Tensor mask = torch::tensor({{1.0f, 1.0f, 0.0f}});
  expectRows(foPool(handGates(), mask, false),
             {{0.2, 0.1125}, {0.0, 0.121875}, {0.0, 0.0}});
  expectRows(foPool(handGates(), mask, true),
             {{0.15, 0.140625}, {-0.1, 0.0375}, {0.0, 0.0}});
}

TEST(FoPool, ZoneoutKeepsTheState) {
  // Zoneout 1 sets every forget gate to 1: the state stays at its initial 0.
  torch::manual_seed(0);
  torch::Tensor g = torch::randn({2, 4, 9});
  torch::Tensor mask = torch::ones({2, 4});
  EXPECT_TRUE(torch::equal(foPool(g, mask, false, 1.0), torch::zeros({2, 4, 3})));
  // Zoneout 0.5 changes some steps; without zoneout the result is fixed.
  EXPECT_FALSE(torch::allclose(foPool(g, mask, false, 0.5),
                               foPool(g, mask, false, 0.0)));
  EXPECT_TRUE(torch::equal(foPool(g, mask, false), foPool(g, mask, false)));
}

PqrnnConfig tinyPqrnn() {
  PqrnnConfig c;
  c.featureSize = 16, c.bottleneck = 8, c.state = 4, c.layers = 2;
  c.numClasses = 3, c.maxTokens = 12;
  return c;
}

/// The student dialect's semantics for one utterance of n tokens, written
/// as plain loops over the network's weights (double precision).
std::vector<double> referenceLogits(PqrnnStudentImpl &net,
                                    const torch::Tensor &features, int64_t n) {
  const PqrnnConfig &c = net.config;
  auto w = [](const torch::Tensor &t) { return t.to(torch::kDouble); };
  int64_t steps = features.size(0), h = c.state;
  // Bottleneck with ReLU; rows t >= n zero.
  torch::Tensor w0 = w(net.bottleneck->weight), b0 = w(net.bottleneck->bias);
  std::vector<std::vector<double>> x(size_t(steps),
                                     std::vector<double>(size_t(c.bottleneck)));
  for (int64_t t = 0; t < n; ++t)
    for (int64_t j = 0; j < c.bottleneck; ++j) {
      double s = b0[j].item<double>();
      for (int64_t k = 0; k < c.featureSize; ++k)
        s += w0[j][k].item<double>() * features[t][k].item<double>();
      x[size_t(t)][size_t(j)] = std::max(s, 0.0);
    }
  for (int64_t l = 0; l < c.layers; ++l) {
    int64_t cin = int64_t(x[0].size());
    std::vector<std::vector<double>> next(size_t(steps),
                                          std::vector<double>(size_t(2 * h)));
    for (int dir = 0; dir < 2; ++dir) {
      auto conv = (dir ? net.backwardGates : net.forwardGates)[size_t(l)]
                      ->as<torch::nn::Conv1d>();
      torch::Tensor cw = w(conv->weight), cb = w(conv->bias);
      // conv1d with padding [2, 0] (forward) or [0, 2] (backward).
      auto gate = [&](int64_t t, int64_t o) {
        double s = cb[o].item<double>();
        for (int64_t k = 0; k < 3; ++k) {
          int64_t src = dir ? t + k : t - 2 + k;
          if (src < 0 || src >= steps)
            continue;
          for (int64_t i = 0; i < cin; ++i)
            s += cw[o][i][k].item<double>() * x[size_t(src)][size_t(i)];
        }
        return s;
      };
      std::vector<double> cell(size_t(h), 0.0);
      for (int64_t k = 0; k < n; ++k) {
        int64_t t = dir ? n - 1 - k : k;
        for (int64_t u = 0; u < h; ++u) {
          double z = std::tanh(gate(t, u));
          double f = 1 / (1 + std::exp(-gate(t, h + u)));
          double o = 1 / (1 + std::exp(-gate(t, 2 * h + u)));
          cell[size_t(u)] = f * cell[size_t(u)] + (1 - f) * z;
          next[size_t(t)][size_t(dir * h + u)] = o * cell[size_t(u)];
        }
      }
    }
    x = next;
  }
  // Attention pooling over t < n, then the output layer.
  torch::Tensor q = w(net.query);
  std::vector<double> score(static_cast<size_t>(n)), pooled(size_t(2 * h), 0.0);
  double top = -INFINITY, sum = 0;
  for (int64_t t = 0; t < n; ++t) {
    double s = 0;
    for (int64_t j = 0; j < 2 * h; ++j)
      s += x[size_t(t)][size_t(j)] * q[j].item<double>();
    score[size_t(t)] = s;
    top = std::max(top, s);
  }
  for (double &s : score)
    sum += (s = std::exp(s - top));
  for (int64_t t = 0; t < n; ++t)
    for (int64_t j = 0; j < 2 * h; ++j)
      pooled[size_t(j)] += score[size_t(t)] / sum * x[size_t(t)][size_t(j)];
  torch::Tensor wo = w(net.output->weight), bo = w(net.output->bias);
  std::vector<double> logits;
  for (int64_t k = 0; k < c.numClasses; ++k) {
    double s = bo[k].item<double>();
    for (int64_t j = 0; j < 2 * h; ++j)
      s += wo[k][j].item<double>() * pooled[size_t(j)];
    logits.push_back(s);
  }
  return logits;
}

/// Ternary features like the projection's.
torch::Tensor ternary(std::vector<int64_t> shape) {
  return torch::randint(-1, 2, shape).to(torch::kFloat);
}

TEST(PqrnnStudent, MatchesTheDialectSemanticsWrittenAsLoops) {
  torch::manual_seed(5);
  PqrnnStudent net(tinyPqrnn());
  net->eval();
  torch::NoGradGuard noGrad;
  torch::Tensor x = ternary({3, 6, 16});
  torch::Tensor lengths = torch::tensor({1, 4, 6}, torch::kInt64);
  torch::Tensor logits = net->forward(x, lengths);
  ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{3, 3}));
  double maxAbs = 0;
  for (int64_t b = 0; b < 3; ++b) {
    std::vector<double> want =
        referenceLogits(*net, x[b], lengths[b].item<int64_t>());
    for (int64_t k = 0; k < 3; ++k) {
      EXPECT_NEAR(logits[b][k].item<double>(), want[size_t(k)], 1e-5)
          << "row " << b << ", class " << k;
      maxAbs = std::max(maxAbs, std::abs(want[size_t(k)]));
    }
  }
  EXPECT_GT(maxAbs, 1e-3); // not a comparison of zeros
}

TEST(PqrnnStudent, LogitsDoNotDependOnPaddingOrPaddedRows) {
  torch::manual_seed(0);
  PqrnnStudent net(tinyPqrnn());
  net->eval();
  torch::NoGradGuard noGrad;
  // Two utterances of 2 and 5 tokens, padded to 5 with zero rows, to 9
  // with zero rows, and to 9 with garbage rows: the bottleneck's bias would
  // make padding rows non-zero, and the backward gates read t + 1, t + 2.
  torch::Tensor x = ternary({2, 5, 16});
  x[0].slice(0, 2, 5).zero_();
  torch::Tensor lengths = torch::tensor({2, 5}, torch::kInt64);
  torch::Tensor a = net->forward(x, lengths);
  torch::Tensor zeros9 = torch::cat({x, torch::zeros({2, 4, 16})}, 1);
  torch::Tensor garbage9 = zeros9.clone();
  garbage9[0].slice(0, 2, 9).copy_(ternary({7, 16}));
  garbage9[1].slice(0, 5, 9).copy_(ternary({4, 16}));
  EXPECT_TRUE(torch::allclose(a, net->forward(zeros9, lengths), 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(a, net->forward(garbage9, lengths), 1e-6, 1e-6));
  // One utterance alone, unpadded, gives its row of the batch.
  EXPECT_TRUE(torch::allclose(
      a[0], net->forward(x.slice(0, 0, 1).slice(1, 0, 2),
                         torch::tensor({2}, torch::kInt64))[0],
      1e-6, 1e-6));
  // ... but the logits do depend on the length.
  torch::Tensor longer = net->forward(garbage9, torch::tensor({4, 5}, torch::kInt64));
  EXPECT_FALSE(torch::allclose(a[0], longer[0]));
}

TEST(PqrnnStudent, TrainingModeUsesDropoutAndZoneout) {
  torch::manual_seed(0);
  PqrnnConfig cfg = tinyPqrnn();
  cfg.dropout = 0.0, cfg.zoneout = 0.5;
  PqrnnStudent net(cfg);
  torch::Tensor x = ternary({2, 5, 16});
  torch::Tensor lengths = torch::tensor({3, 5}, torch::kInt64);
  net->eval();
  torch::Tensor a = net->forward(x, lengths).detach();
  net->train();
  torch::Tensor b = net->forward(x, lengths).detach();
  EXPECT_FALSE(torch::allclose(a, b)); // zoneout changes training logits
  net->eval();
  EXPECT_TRUE(torch::equal(a, net->forward(x, lengths).detach()));
}

TEST(Projection, BatchesHoldTheRuntimeFeaturesOfEachUtterance) {
  Featurizer f;
  kdc_projection_config_t cfg{16, 0, KDC_PROJECTION_DEFAULT_SEED};
  f.projection = cfg;
  f.maxTokens = 4;
  std::vector<std::string_view> texts = {"Set an ALARM", "one two three four five",
                                         "  x  "};
  Encoded e = encodeTexts(f, texts, [](size_t i) { return std::to_string(i); });
  EXPECT_EQ(e.lengths, (std::vector<int64_t>{3, 4, 1}));
  EXPECT_EQ(e.truncated, 1u);
  Batch b = makeBatch(e, {0, 1, 2}, 1);
  ASSERT_EQ(b.features.sizes(), (std::vector<int64_t>{3, 4, 16}));
  EXPECT_FALSE(b.ids.defined());
  // Row t of utterance 0 is the runtime's features of its token t (case
  // folded); rows past the length are zero.
  std::vector<int8_t> token(16);
  ASSERT_EQ(kdc_projection_token_features(&cfg, "alarm", 5, token.data()), 0);
  for (int64_t j = 0; j < 16; ++j)
    EXPECT_EQ(b.features[0][2][j].item<float>(), float(token[size_t(j)]));
  EXPECT_TRUE(torch::equal(b.features[0][3], torch::zeros({16})));
  EXPECT_TRUE(torch::equal(b.features[2].slice(0, 1, 4), torch::zeros({3, 16})));
  EXPECT_GT(b.features[1].abs().sum().item<float>(), 0.0f);
  // An utterance without tokens is an error that names it.
  std::vector<std::string_view> blank = {"ok", " \t "};
  try {
    encodeTexts(f, blank, [](size_t i) { return "file.txt:" + std::to_string(i + 1); });
    FAIL() << "expected kdc::Error";
  } catch (const kdc::Error &err) {
    EXPECT_STREQ(err.what(), "file.txt:2: the utterance has no tokens");
  }
}

/// A learnable toy task: the class is decided by the first token's first
/// feature (-1, 0, +1).
struct ToyTask {
  torch::Tensor x = ternary({64, 6, 16});
  torch::Tensor lengths = torch::randint(2, 7, {64}, torch::kInt64);
  torch::Tensor labels = (x.select(1, 0).select(1, 0) + 1).to(torch::kInt64);

  TrainHooks hooks(PqrnnStudent &net) {
    TrainHooks h;
    h.makeBatch = [this](const std::vector<size_t> &idx) {
      std::vector<int64_t> i(idx.begin(), idx.end());
      auto sel = torch::tensor(i, torch::kInt64);
      Batch b{{}, lengths.index_select(0, sel), labels.index_select(0, sel), {}, {}};
      b.features = x.index_select(0, sel);
      return b;
    };
    h.loss = [&net](const Batch &b) {
      LossOptions o;
      o.kind = LossKind::Ce;
      return distillationLoss(net->forward(b.features, b.lengths), {}, b.labels, o);
    };
    h.devScore = [this, &net] {
      return net->forward(x, lengths).argmax(1).eq(labels).to(torch::kFloat)
          .mean().item<double>();
    };
    return h;
  }
};

TEST(PqrnnStudent, ResumeGivesTheSameWeightsAsAnUninterruptedRun) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  ToyTask task;
  TrainerOptions o;
  o.epochs = 12, o.batchSize = 16, o.patience = 100, o.seed = 7;
  o.learningRate = 3e-2, o.warmupEpochs = 1;
  std::ostringstream log;
  // Dropout and zoneout on: their randomness must replay too.
  PqrnnConfig cfg = tinyPqrnn();
  cfg.dropout = 0.2, cfg.zoneout = 0.2;

  torch::manual_seed(3);
  PqrnnStudent straight(cfg);
  o.outDir = freshDir("straight").string();
  TrainResult full = train(*straight, 64, task.hooks(straight), o, log);
  EXPECT_EQ(full.epochsDone, 12);

  torch::manual_seed(3);
  PqrnnStudent first(cfg);
  o.outDir = freshDir("resumed").string();
  o.stopAfterEpochs = 5;
  TrainResult half = train(*first, 64, task.hooks(first), o, log);
  EXPECT_EQ(half.epochsDone, 5);
  EXPECT_FALSE(half.finished);

  torch::manual_seed(99);
  PqrnnStudent second(cfg);
  o.stopAfterEpochs = 0;
  o.resume = true;
  TrainResult rest = train(*second, 64, task.hooks(second), o, log);
  EXPECT_EQ(rest.epochsDone, 12);
  EXPECT_EQ(rest.bestEpoch, full.bestEpoch);

  auto a = straight->named_parameters(), b = second->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto &p : a)
    EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
  EXPECT_GT(full.bestScore, 0.6); // it learned something (chance: 1/3)
  fs::remove_all(freshDir("straight"));
  fs::remove_all(freshDir("resumed"));
}

TEST(ModelDir, PqrnnConfigRoundTripsAndNamesBadKeys) {
  fs::path dir = freshDir("config");
  fs::create_directories(dir);
  ModelConfig c;
  c.kind = "pqrnn";
  c.labels = {"a", "b"};
  c.pqrnn = tinyPqrnn();
  c.pqrnn.projectionFlags = KDC_PROJECTION_SPLIT_CODEPOINTS | KDC_PROJECTION_EOS;
  c.teacherFingerprint = "00112233aabbccdd";
  writeModelConfig(dir.string(), c);
  ModelConfig r = readModelConfig(dir.string());
  EXPECT_EQ(r.kind, "pqrnn");
  EXPECT_EQ(r.pqrnn.featureSize, 16);
  EXPECT_EQ(r.pqrnn.state, 4);
  EXPECT_EQ(r.pqrnn.maxTokens, 12);
  EXPECT_EQ(r.pqrnn.projectionFlags,
            KDC_PROJECTION_SPLIT_CODEPOINTS | KDC_PROJECTION_EOS);
  EXPECT_EQ(r.pqrnn.projectionSeed, KDC_PROJECTION_DEFAULT_SEED);
  EXPECT_EQ(r.teacherFingerprint, "00112233aabbccdd");
  EXPECT_EQ(projectionJson(r.pqrnn),
            "{\"features\": 16, \"seed\": \"0x6B64632D70726F6A\", "
            "\"split_codepoints\": true, \"bos\": false, \"eos\": true}");
  EXPECT_FALSE(fs::exists(dir / "tokenizer.model"));

  // A damaged projection is an error naming the file and the key.
  std::string path = (dir / "config.json").string();
  auto damage = [&](const std::string &from, const std::string &to) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(path) << text;
  };
  damage("\"features\": 16", "\"features\": 5000");
  try {
    readModelConfig(dir.string());
    FAIL() << "expected kdc::Error";
  } catch (const kdc::Error &e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": projection.features must be an integer from 1 to "
                     "4096, got 5000");
  }
  damage("\"features\": 5000", "\"features\": 16");
  damage("\"0x6B64632D70726F6A\"", "\"kdc\"");
  try {
    readModelConfig(dir.string());
    FAIL() << "expected kdc::Error";
  } catch (const kdc::Error &e) {
    EXPECT_NE(std::string(e.what()).find(path + ": projection.seed must be"),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

} // namespace
