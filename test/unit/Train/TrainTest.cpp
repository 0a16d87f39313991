// Training internals on tiny models: loss values computed by hand, the
// CNN's length masking, and exact resume after an interrupted run.
#include "Dataset.h"
#include "ModelDir.h"
#include "Losses.h"
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

using namespace kdc::train;
namespace fs = std::filesystem;

namespace {

fs::path freshDir(const std::string &name) {
  return kdc::unittest::freshDir("kdc-train-test", name, /*create=*/false);
}

TEST(Losses, MseIsMeanSquaredLogitError) {
  // ((1-0)^2 + (2-0)^2 + (0-1)^2 + (0-1)^2) / 4 = 7 / 4.
  auto s = torch::tensor({{1.0f, 2.0f}, {0.0f, 0.0f}});
  auto t = torch::tensor({{0.0f, 0.0f}, {1.0f, 1.0f}});
  auto labels = torch::tensor({-1, -1}, torch::kInt64);
  LossOptions o;
  EXPECT_NEAR(distillationLoss(s, t, labels, o).item<double>(), 1.75, 1e-6);
}

TEST(Losses, KlMatchesHandComputedValues) {
  // T = 1: p = softmax([ln 3, 0]) = [3/4, 1/4], q = [1/2, 1/2];
  // KL = 3/4 ln(3/2) + 1/4 ln(1/2) = 0.1308120.
  auto s = torch::tensor({{0.0f, 0.0f}});
  auto t = torch::tensor({{float(std::log(3.0)), 0.0f}});
  auto labels = torch::tensor({-1}, torch::kInt64);
  LossOptions o;
  o.kind = LossKind::Kl;
  EXPECT_NEAR(distillationLoss(s, t, labels, o).item<double>(), 0.1308120,
              1e-6);
  // T = 2: p = softmax([ln 3 / 2, 0]) = [0.6339746, 0.3660254];
  // KL = 0.6339746 ln(1.2679492) + 0.3660254 ln(0.7320508) = 0.0363410,
  // times T^2 = 0.1453641.
  o.temperature = 2.0;
  EXPECT_NEAR(distillationLoss(s, t, labels, o).item<double>(), 0.1453641,
              1e-6);
}

TEST(Losses, CrossEntropyUsesGoldOrTeacherArgMax) {
  // s = [0, 0]: -log(1/2) = ln 2 whatever the target.
  auto s = torch::tensor({{0.0f, 0.0f}, {2.0f, 0.0f}});
  auto t = torch::tensor({{0.0f, 5.0f}, {0.0f, 5.0f}});
  LossOptions o;
  o.kind = LossKind::Ce;
  // Row 1 has no gold label: the teacher says class 1, so its loss is
  // -log(e^0 / (e^2 + e^0)) = ln(1 + e^2) = 2.1269280.
  auto labels = torch::tensor({0, -1}, torch::kInt64);
  double want = (std::log(2.0) + std::log(1.0 + std::exp(2.0))) / 2.0;
  EXPECT_NEAR(distillationLoss(s, t, labels, o).item<double>(), want, 1e-6);
  // mix with alpha = 1 is pure KL.
  o.kind = LossKind::Mix;
  o.alpha = 1.0;
  LossOptions kl;
  kl.kind = LossKind::Kl;
  EXPECT_NEAR(distillationLoss(s, t, labels, o).item<double>(),
              distillationLoss(s, t, labels, kl).item<double>(), 1e-6);
}

TEST(Losses, UnknownLossNameIsAnError) {
  EXPECT_EQ(parseLossKind("kl"), LossKind::Kl);
  try {
    parseLossKind("hinge");
    FAIL() << "expected kdc::Error";
  } catch (const kdc::Error &e) {
    EXPECT_STREQ(e.what(), "unknown loss 'hinge': expected mse, kl, ce or mix");
  }
}

CnnConfig tinyCnn() {
  CnnConfig c;
  c.vocabSize = 20, c.embedDim = 6, c.filters = 4, c.numClasses = 3;
  c.widths = {2, 3};
  return c;
}

TEST(CnnStudent, LogitsDoNotDependOnBatchPadding) {
  torch::manual_seed(0);
  CnnStudent net(tinyCnn());
  net->eval();
  // Two utterances of 2 and 5 tokens, padded to 5 and to 9.
  auto ids5 = torch::tensor({{4, 7, 0, 0, 0}, {1, 2, 3, 4, 5}}, torch::kInt64);
  auto ids9 = torch::cat({ids5, torch::zeros({2, 4}, torch::kInt64)}, 1);
  auto lengths = torch::tensor({2, 5}, torch::kInt64);
  auto a = net->forward(ids5, lengths), b = net->forward(ids9, lengths);
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(torch::allclose(a, b, 1e-6, 1e-6));
  // ... but they do depend on the length: a 2-token utterance that pools
  // over a pad window would change.
  auto c = net->forward(ids5, torch::tensor({4, 5}, torch::kInt64));
  EXPECT_FALSE(torch::allclose(a[0], c[0]));
}

TEST(Teacher, LogitsDoNotDependOnBatchPadding) {
  torch::manual_seed(0);
  TeacherConfig c;
  c.vocabSize = 20, c.hidden = 8, c.layers = 2, c.heads = 2, c.ffn = 16;
  c.maxTokens = 12, c.numClasses = 3;
  Teacher net(c);
  net->eval();
  auto ids = torch::tensor({{4, 7, 0, 0}, {1, 2, 3, 4}}, torch::kInt64);
  auto longer = torch::cat({ids, torch::zeros({2, 3}, torch::kInt64)}, 1);
  auto lengths = torch::tensor({2, 4}, torch::kInt64);
  EXPECT_TRUE(torch::allclose(net->forward(ids, lengths),
                              net->forward(longer, lengths), 1e-5, 1e-5));
}

/// A learnable toy task: the class is the id of the first token mod 3.
struct ToyTask {
  torch::Tensor ids = torch::randint(1, 20, {64, 6}, torch::kInt64);
  torch::Tensor lengths = torch::randint(2, 7, {64}, torch::kInt64);
  torch::Tensor labels = ids.select(1, 0).remainder(3);

  TrainHooks hooks(CnnStudent &net) {
    TrainHooks h;
    h.makeBatch = [this](const std::vector<size_t> &idx) {
      std::vector<int64_t> i(idx.begin(), idx.end());
      auto sel = torch::tensor(i, torch::kInt64);
      return Batch{ids.index_select(0, sel), lengths.index_select(0, sel),
                   labels.index_select(0, sel), {}};
    };
    h.loss = [&net](const Batch &b) {
      LossOptions o;
      o.kind = LossKind::Ce;
      return distillationLoss(net->forward(b.ids, b.lengths), {}, b.labels, o);
    };
    h.devScore = [this, &net] {
      return net->forward(ids, lengths).argmax(1).eq(labels).to(torch::kFloat)
          .mean().item<double>();
    };
    return h;
  }
};

TEST(Trainer, ResumeGivesTheSameWeightsAsAnUninterruptedRun) {
  torch::manual_seed(1);
  ToyTask task;
  TrainerOptions o;
  o.epochs = 4, o.batchSize = 16, o.patience = 100, o.seed = 7;
  o.learningRate = 1e-2;
  std::ostringstream log;

  torch::manual_seed(3);
  CnnStudent straight(tinyCnn());
  o.outDir = freshDir("straight").string();
  TrainResult full = train(*straight, 64, task.hooks(straight), o, log);
  EXPECT_EQ(full.epochsDone, 4);
  EXPECT_TRUE(full.finished);

  // The same run, killed after 2 epochs and resumed in a new "process"
  // (fresh model object with different initial weights).
  torch::manual_seed(3);
  CnnStudent first(tinyCnn());
  o.outDir = freshDir("resumed").string();
  o.stopAfterEpochs = 2;
  TrainResult half = train(*first, 64, task.hooks(first), o, log);
  EXPECT_EQ(half.epochsDone, 2);
  EXPECT_FALSE(half.finished);

  torch::manual_seed(99);
  CnnStudent second(tinyCnn());
  o.stopAfterEpochs = 0;
  o.resume = true;
  TrainResult rest = train(*second, 64, task.hooks(second), o, log);
  EXPECT_EQ(rest.epochsDone, 4);
  EXPECT_EQ(rest.bestEpoch, full.bestEpoch);

  auto a = straight->named_parameters(), b = second->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto &p : a)
    EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
  EXPECT_GT(full.bestScore, 0.5); // it learned something
  fs::remove_all(freshDir("straight"));
  fs::remove_all(freshDir("resumed"));
}

// LibTorch seeds its default generator from the OS at start-up, so initial
// weights (and hence a whole run) followed no --seed before makeClassifier
// took one. Touching the generator in between must not matter either.
TEST(Trainer, InitialWeightsFollowTheSeedAlone) {
  for (const char *kind : {"cnn", "teacher", "pqrnn"}) {
    ModelConfig config;
    config.kind = kind;
    config.labels = {"a", "b", "c"};
    config.cnn.vocabSize = config.teacher.vocabSize = 50;
    config.cnn.embedDim = 8, config.cnn.filters = 4, config.cnn.widths = {2, 3};
    config.teacher.layers = 1, config.teacher.hidden = 16;
    config.teacher.heads = 2, config.teacher.ffn = 32;
    config.pqrnn.featureSize = 16, config.pqrnn.bottleneck = 8;
    config.pqrnn.state = 8, config.pqrnn.layers = 1;
    config.cnn.numClasses = config.teacher.numClasses =
        config.pqrnn.numClasses = 3;
    auto params = [&](uint64_t seed) {
      torch::randn({int64_t(seed % 7 + 1)}); // some earlier use of the generator
      return makeClassifier(config, nullptr, seed).module->named_parameters();
    };
    auto a = params(5), b = params(5), c = params(6);
    ASSERT_EQ(a.size(), b.size()) << kind;
    bool anyDiffers = false;
    for (const auto &p : a) {
      EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << kind << " " << p.key();
      anyDiffers |= !torch::equal(p.value(), c[p.key()]);
    }
    EXPECT_TRUE(anyDiffers) << kind << ": seeds 5 and 6 gave the same weights";
  }
}

TEST(Trainer, RefusesToOverwriteACheckpointWithoutResume) {
  ToyTask task;
  CnnStudent net(tinyCnn());
  TrainerOptions o;
  o.epochs = 1, o.batchSize = 32;
  o.outDir = freshDir("overwrite").string();
  std::ostringstream log;
  train(*net, 64, task.hooks(net), o, log);
  try {
    train(*net, 64, task.hooks(net), o, log);
    FAIL() << "expected kdc::Error";
  } catch (const kdc::Error &e) {
    EXPECT_NE(std::string(e.what()).find("already holds a training checkpoint; "
                                         "pass --resume"),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(o.outDir);
}

TEST(Trainer, LoadingWeightsOfAnotherShapeIsAClearError) {
  fs::path dir = freshDir("shape");
  fs::create_directories(dir);
  CnnStudent small(tinyCnn());
  saveModule(*small, (dir / "model.pt").string());
  CnnConfig other = tinyCnn();
  other.filters = 5;
  CnnStudent big(other);
  try {
    loadModule(*big, (dir / "model.pt").string());
    FAIL() << "expected kdc::Error";
  } catch (const kdc::Error &e) {
    EXPECT_NE(std::string(e.what()).find("model.pt"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("tensor 'convs.0.weight' has shape "
                                         "[4, 6, 2], the model expects "
                                         "[5, 6, 2]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(loadModule(*big, (dir / "missing.pt").string()), kdc::Error);
  fs::remove_all(dir);
}

} // namespace

// A file whose rows all share one partition (a Schuster file named eval-*)
// is used whole for the role it is given; a file with several partitions
// (MASSIVE) contributes only the role's rows.
TEST(Dataset, ReadRoleFiltersOnlyFilesWithSeveralPartitions) {
  fs::path dir = freshDir("roles");
  fs::create_directories(dir);
  auto write = [&](const std::string &name, const std::string &text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  const std::string row = "\ten_XX\t{}\n";
  std::string eval = write("eval-en.tsv", "alarm/set_alarm\t\twake me up" + row +
                                              "weather/find\t\tis it raining" + row);
  std::string train = write("train-es.tsv", "alarm/set_alarm\t\tdespiertame" + row);
  std::string massive = write(
      "massive.jsonl",
      R"({"locale": "en-US", "partition": "train", "utt": "a", "intent": "x"})"
      "\n"
      R"({"locale": "en-US", "partition": "dev", "utt": "b", "intent": "x"})"
      "\n"
      R"({"locale": "en-US", "partition": "test", "utt": "c", "intent": "y"})"
      "\n");
  kdc::ReadOptions opts;
  std::ostringstream log;
  EXPECT_EQ(readRole({eval, train}, opts, "train", log).size(), 3u);
  kdc::Corpus m = readRole({massive}, opts, "train", log);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m.examples[0].text, "a");
  kdc::Corpus mixed = readRole({massive, eval}, opts, "test", log);
  ASSERT_EQ(mixed.size(), 3u); // MASSIVE's test row and both eval-en rows
  EXPECT_EQ(mixed.examples[0].text, "c");
  fs::remove_all(dir);
}

