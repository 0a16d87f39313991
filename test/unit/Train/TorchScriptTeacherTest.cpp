// kdc label with a TorchScript teacher: a scripted embedding-bag classifier
// built here in C++ (no Python), its logits in the store compared with the
// module's own outputs, padding, --max-tokens, and every load-time error.
#include "TorchScriptTeacher.h"
#include "ModelDir.h"
#include "Models.h"
#include "Trainer.h"

#include "kdc/Data/LogitsStore.h"
#include "kdc/Support/Error.h"
#include "kdc/Tokenizer/BpeTrainer.h"
#include "kdc/Tokenizer/RuntimeModel.h"
#include "kdc/Train/Pipeline.h"

#include <torch/script.h>

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace kdc;
using namespace kdc::train;
namespace fs = std::filesystem;

namespace {

fs::path freshDir(const std::string &name) {
  return kdc::unittest::freshDir("kdc-ts-test", name);
}

template <typename F> std::string errorOf(F f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

void writeFile(const fs::path &path, const std::string &text) {
  std::ofstream(path) << text;
}

const std::vector<std::string> &utterances() {
  static const std::vector<std::string> u = {
      "wake me up at seven tomorrow",
      "set an alarm for six thirty",
      "play some jazz",
      "play the new album by the beatles please",
      "what is the weather like in paris today",
      "will it rain",
      "turn the volume down a little bit",
      "hi",
      "remind me to call my mother on sunday afternoon",
      "how hot will it be this weekend in the mountains near the lake",
      "stop",
      "play music"};
  return u;
}

// Embedding bag: the mean of w[id] over the unmasked tokens, plus b. The
// asserts check the contract's dtypes (4 is torch.int64, a name the C++
// resolver does not know) and shapes.
constexpr const char *kBagForward = R"JIT(
def forward(self, ids, mask):
    assert ids.dtype == 4 and mask.dtype == 4
    assert ids.dim() == 2 and mask.size() == ids.size()
    m = mask.float().unsqueeze(2)
    e = torch.embedding(self.w, ids)
    return (e * m).sum(1) / m.sum(1).clamp(min=1.0) + self.b
)JIT";

/// Saves a scripted module with w [vocab, classes] and b [classes].
void saveScripted(const fs::path &path, int64_t vocab, int64_t classes,
                  const std::string &source) {
  torch::manual_seed(7);
  torch::jit::Module m("Teacher");
  m.register_parameter("w", torch::randn({vocab, classes}), false);
  m.register_parameter("b", torch::randn({classes}), false);
  m.define(source);
  m.save(path.string());
}

class TorchScriptTeacherTest : public ::testing::Test {
protected:
  // A tokenizer (trained in a child process running kdc-bpe-train), labels
  // and the embedding-bag teacher, once per process.
  static void SetUpTestSuite() {
    if (!std::getenv("KDC_BPE_TRAIN"))
      ::setenv("KDC_BPE_TRAIN", KDC_BPE_TRAIN_DEFAULT, 1);
    dir_ = new fs::path(freshDir("teacher"));
    tokenizer::BpeTrainOptions o;
    o.vocabSize = 300;
    tokenizer::trainBpeModelInChildProcess(utterances(), dir_->string(),
                                           "tokenizer", o);
    vocab_ = int64_t(tokenizer::BpeTokenizer::fromSentencePieceFile(
                         (*dir_ / "tokenizer.model").string())
                         .vocabSize());
    writeFile(*dir_ / "labels.txt", "alarm_set\nplay_music\nweather_query\n");
    saveScripted(*dir_ / "model.pt", vocab_, 3, kBagForward);
    std::string corpus;
    for (const std::string &u : utterances())
      corpus += u + "\n";
    writeFile(*dir_ / "pool.txt", corpus);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override { work = freshDir("work"); }
  void TearDown() override { fs::remove_all(work); }

  static std::string file(const char *name) { return (*dir_ / name).string(); }

  /// Runs kdc label with the teacher `pt` and returns the store's path.
  std::string labelWith(const std::string &pt, int64_t batchSize,
                        const TorchScriptOptions &ts = {},
                        const char *out = "pool.kdl") {
    LabelOptions o;
    o.teacher = pt;
    o.torchScript = ts;
    o.dataFiles = {file("pool.txt")};
    o.data.format = "text";
    o.out = (work / out).string();
    o.batchSize = batchSize;
    std::ostringstream log;
    label(o, log);
    EXPECT_NE(log.str().find("wrote 12 teacher logits"), std::string::npos)
        << log.str();
    return o.out;
  }

  /// The module's own logits for one utterance, unpadded.
  static torch::Tensor direct(const std::string &text, int64_t maxTokens) {
    auto tok =
        tokenizer::BpeTokenizer::fromSentencePieceFile(file("tokenizer.model"));
    std::vector<int32_t> ids32 = tok.encode(text);
    if (int64_t(ids32.size()) > maxTokens)
      ids32.resize(size_t(maxTokens));
    std::vector<int64_t> ids(ids32.begin(), ids32.end());
    int64_t n = int64_t(ids.size());
    torch::jit::Module m = torch::jit::load(file("model.pt"));
    torch::NoGradGuard noGrad;
    return m
        .forward({torch::tensor(ids).view({1, n}),
                  torch::ones({1, n}, torch::kInt64)})
        .toTensor()[0];
  }

  static void expectStoreMatchesModel(const std::string &store,
                                      int64_t maxTokens) {
    LogitsReader r = LogitsReader::open(store);
    ASSERT_EQ(r.size(), utterances().size());
    ASSERT_EQ(r.numClasses(), 3u);
    for (size_t i = 0; i < r.size(); ++i) {
      std::string text(r.record(i).text);
      EXPECT_EQ(text, utterances()[i]);
      float got[3];
      r.logits(i, got);
      torch::Tensor want = direct(text, maxTokens);
      for (int64_t c = 0; c < 3; ++c) {
        float w = want[c].item<float>();
        // fp16 storage: 11 significant bits.
        EXPECT_NEAR(got[c], w, 1e-3 + 1e-3 * std::abs(w))
            << "utterance " << i << " '" << text << "', class " << c;
      }
    }
  }

  static fs::path *dir_;
  static int64_t vocab_;
  fs::path work;
};

fs::path *TorchScriptTeacherTest::dir_ = nullptr;
int64_t TorchScriptTeacherTest::vocab_ = 0;

TEST_F(TorchScriptTeacherTest, StoreHoldsTheModelsOwnLogits) {
  // Batches of 5 mix short and long utterances, so most rows are padded.
  std::string store = labelWith(file("model.pt"), 5);
  expectStoreMatchesModel(store, kTorchScriptMaxTokens);
  LogitsReader r = LogitsReader::open(store);
  EXPECT_EQ(
      r.header().labels,
      (std::vector<std::string>{"alarm_set", "play_music", "weather_query"}));
  EXPECT_EQ(r.header().fingerprint,
            fingerprintFiles({file("model.pt"), file("tokenizer.model"),
                              file("labels.txt")}));
}

TEST_F(TorchScriptTeacherTest, PaddingDoesNotChangeTheLogits) {
  // One utterance per batch (no padding) against one batch of all twelve.
  LogitsReader alone =
      LogitsReader::open(labelWith(file("model.pt"), 1, {}, "a.kdl"));
  LogitsReader padded =
      LogitsReader::open(labelWith(file("model.pt"), 64, {}, "b.kdl"));
  ASSERT_EQ(alone.size(), padded.size());
  for (size_t i = 0; i < alone.size(); ++i) {
    float a[3], b[3];
    alone.logits(i, a);
    padded.logits(i, b);
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(a[c], b[c], 1e-3 + 1e-3 * std::abs(a[c]))
          << "utterance " << i << ", class " << c;
  }
  // The padding id's embedding row is not zero, so a mask of all ones would
  // change the padded rows.
  torch::jit::Module m = torch::jit::load(file("model.pt"));
  torch::NoGradGuard noGrad;
  torch::Tensor ids = torch::tensor(std::vector<int64_t>{5, 6, 0}).view({1, 3});
  torch::Tensor all = torch::ones({1, 3}, torch::kInt64);
  torch::Tensor two = torch::tensor(std::vector<int64_t>{1, 1, 0}).view({1, 3});
  EXPECT_FALSE(torch::allclose(m.forward({ids, all}).toTensor(),
                               m.forward({ids, two}).toTensor()));
}

TEST_F(TorchScriptTeacherTest, MaxTokensTruncates) {
  TorchScriptOptions ts;
  ts.maxTokens = 2;
  expectStoreMatchesModel(labelWith(file("model.pt"), 4, ts), 2);
}

TEST_F(TorchScriptTeacherTest, TokenizerAndLabelsCanLiveElsewhere) {
  fs::copy_file(file("model.pt"), work / "teacher.pt");
  fs::copy_file(file("tokenizer.model"), work / "spm.model");
  writeFile(work / "classes.txt", "a\r\nb\r\nc\r\n\r\n");
  TorchScriptOptions ts;
  ts.tokenizer = (work / "spm.model").string();
  ts.labels = (work / "classes.txt").string();
  Classifier c = loadTeacher((work / "teacher.pt").string(), ts);
  EXPECT_EQ(c.config.labels, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(c.maxTokens, kTorchScriptMaxTokens);
}

TEST_F(TorchScriptTeacherTest, NotTorchScript) {
  std::string labels = file("labels.txt");
  EXPECT_NE(errorOf([&] {
              loadTeacher(labels, {});
            }).find("'" + labels + "' is not a TorchScript model ("),
            std::string::npos);
}

TEST_F(TorchScriptTeacherTest, KdcWeightsFileIsNotATeacher) {
  CnnConfig cfg;
  cfg.vocabSize = 10, cfg.embedDim = 4, cfg.filters = 2, cfg.widths = {2};
  cfg.numClasses = 3;
  CnnStudent net(cfg);
  std::string pt = (work / "model.pt").string();
  kdc::train::saveModule(*net, pt);
  EXPECT_NE(errorOf([&] { loadTeacher(pt, {}); })
                .find("has no forward method (a kdc model folder's model.pt "
                      "holds weights only: pass the folder instead)"),
            std::string::npos);
}

TEST_F(TorchScriptTeacherTest, WrongClassCount) {
  fs::path pt = work / "model.pt";
  saveScripted(pt, vocab_, 5, kBagForward);
  TorchScriptOptions ts;
  ts.tokenizer = file("tokenizer.model");
  ts.labels = file("labels.txt");
  EXPECT_EQ(errorOf([&] { loadTeacher(pt.string(), ts); }),
            "teacher '" + pt.string() +
                "' returns 5 logits per utterance but '" + ts.labels +
                "' names 3 labels");
}

TEST_F(TorchScriptTeacherTest, MissingLabelsAndTokenizer) {
  fs::path pt = work / "model.pt";
  fs::copy_file(file("model.pt"), pt);
  std::string err = errorOf([&] { loadTeacher(pt.string(), {}); });
  EXPECT_EQ(err, "TorchScript teacher '" + pt.string() +
                     "' needs its sentencepiece model: '" +
                     (work / "tokenizer.model").string() +
                     "' does not exist (pass --tokenizer FILE)");
  fs::copy_file(file("tokenizer.model"), work / "tokenizer.model");
  err = errorOf([&] { loadTeacher(pt.string(), {}); });
  EXPECT_EQ(err, "TorchScript teacher '" + pt.string() +
                     "' needs its labels, one per line in logit order: '" +
                     (work / "labels.txt").string() +
                     "' does not exist (pass --labels FILE)");
  TorchScriptOptions ts;
  ts.labels = (work / "nowhere.txt").string();
  err = errorOf([&] { loadTeacher(pt.string(), ts); });
  EXPECT_EQ(err, "TorchScript teacher '" + pt.string() +
                     "' needs its labels, one per line in logit order: '" +
                     ts.labels + "' does not exist");
}

TEST_F(TorchScriptTeacherTest, BadLabelsFiles) {
  fs::path labels = work / "labels.txt";
  writeFile(labels, "\n\n");
  EXPECT_NE(
      errorOf([&] { readLabelsFile(labels.string()); }).find("names no labels"),
      std::string::npos);
  writeFile(labels, "a\n\nb\n");
  EXPECT_EQ(errorOf([&] { readLabelsFile(labels.string()); }),
            labels.string() + ":2: empty label (expected one label per line, "
                              "in the order of the teacher's logits)");
  writeFile(labels, "a\nb\na\n");
  EXPECT_EQ(errorOf([&] { readLabelsFile(labels.string()); }),
            labels.string() + ":3: label 'a' repeats line 1");
}

TEST_F(TorchScriptTeacherTest, ForwardWithTheWrongSignature) {
  fs::path pt = work / "model.pt";
  TorchScriptOptions ts;
  ts.tokenizer = file("tokenizer.model");
  ts.labels = file("labels.txt");
  saveScripted(pt, vocab_, 3, R"JIT(
def forward(self, ids):
    return torch.embedding(self.w, ids).mean(1) + self.b
)JIT");
  std::string err = errorOf([&] { loadTeacher(pt.string(), ts); });
  EXPECT_NE(err.find("TorchScript teacher '" + pt.string() +
                     "': forward must take two tensors, int64 token ids "
                     "[batch, tokens] and an int64 attention mask [batch, "
                     "tokens]; its signature is forward("),
            std::string::npos)
      << err;
  saveScripted(pt, vocab_, 3, R"JIT(
def forward(self, ids, n: int):
    return torch.embedding(self.w, ids).mean(1) + self.b
)JIT");
  err = errorOf([&] { loadTeacher(pt.string(), ts); });
  EXPECT_NE(err.find("forward must take two tensors"), std::string::npos)
      << err;
}

TEST_F(TorchScriptTeacherTest, ForwardReturningSomethingElse) {
  fs::path pt = work / "model.pt";
  TorchScriptOptions ts;
  ts.tokenizer = file("tokenizer.model");
  ts.labels = file("labels.txt");
  std::string prefix = "TorchScript teacher '" + pt.string() + "' returns ";
  saveScripted(pt, vocab_, 3, R"JIT(
def forward(self, ids, mask):
    return (torch.embedding(self.w, ids).mean(1), mask)
)JIT");
  EXPECT_EQ(errorOf([&] { loadTeacher(pt.string(), ts); }),
            prefix + "a Tuple from forward; kdc needs a float tensor of "
                     "logits [batch, classes]");
  saveScripted(pt, vocab_, 3, R"JIT(
def forward(self, ids, mask):
    return torch.embedding(self.w, ids)
)JIT");
  EXPECT_EQ(errorOf([&] { loadTeacher(pt.string(), ts); }),
            prefix + "logits of shape [2, 3, 3] for 2 utterances; kdc needs "
                     "[batch, classes] = [2, 3]");
  saveScripted(pt, vocab_, 3, R"JIT(
def forward(self, ids, mask):
    return ids
)JIT");
  EXPECT_EQ(errorOf([&] { loadTeacher(pt.string(), ts); }),
            prefix + "logits of type Long; kdc needs floating-point logits");
}

TEST_F(TorchScriptTeacherTest, ProbeFailureNamesTheVocabulary) {
  // A model whose embedding is smaller than the tokenizer's vocabulary.
  fs::path pt = work / "model.pt";
  saveScripted(pt, 10, 3, kBagForward);
  TorchScriptOptions ts;
  ts.tokenizer = file("tokenizer.model");
  ts.labels = file("labels.txt");
  std::string err = errorOf([&] { loadTeacher(pt.string(), ts); });
  EXPECT_NE(err.find("TorchScript teacher '" + pt.string() +
                     "' fails on a probe batch (int64 ids [2, 3] below the "
                     "vocabulary of " +
                     std::to_string(vocab_) + " pieces of '" + ts.tokenizer +
                     "', int64 attention mask [2, 3]): "),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("index out of range"), std::string::npos) << err;
}

TEST_F(TorchScriptTeacherTest, FailureOnACorpusBatchNamesTheTeacher) {
  // Passes the probe (3 tokens), fails on longer batches.
  fs::copy_file(file("tokenizer.model"), work / "tokenizer.model");
  fs::copy_file(file("labels.txt"), work / "labels.txt");
  fs::path pt = work / "model.pt";
  saveScripted(pt, vocab_, 3, R"JIT(
def forward(self, ids, mask):
    assert ids.size(1) <= 3, "too long"
    return torch.embedding(self.w, ids).mean(1) + self.b
)JIT");
  std::string err = errorOf([&] { labelWith(pt.string(), 4); });
  EXPECT_NE(err.find("TorchScript teacher '" + pt.string() +
                     "' fails on a batch of 4 utterances: "),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("too long"), std::string::npos) << err;
}

TEST_F(TorchScriptTeacherTest, ModelFolderTakesNoTorchScriptOptions) {
  TorchScriptOptions ts;
  ts.maxTokens = 16;
  EXPECT_EQ(errorOf([&] { loadTeacher(work.string(), ts); }),
            "'" + work.string() +
                "' is a kdc model folder, which carries its own tokenizer, "
                "labels and maximum tokens: these are given only with a "
                "TorchScript teacher (FILE.pt)");
}

} // namespace
