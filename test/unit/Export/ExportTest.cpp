// kdc export: a tiny CNN student (random weights of a fixed seed, a real
// sentencepiece tokenizer) is exported, checked, run in ONNX Runtime and
// compared with LibTorch; plus the metadata and every error a user can cause.
#include "ModelDir.h"
#include "Trainer.h"

#include "kdc/Export/OnnxExport.h"
#include "kdc/Support/Error.h"
#include "kdc/Tokenizer/BpeTrainer.h"
#include "kdc/Tokenizer/RuntimeModel.h"
#include "kdc/Version.h"

#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>
#include <torch/torch.h>

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <unistd.h>

using namespace kdc;
using namespace kdc::train;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxTokens = 12;

using kdc::unittest::slurp;
using kdc::unittest::sourceDir;

fs::path freshDir(const std::string &name) {
  return kdc::unittest::freshDir("kdc-export-test", name);
}

std::string decodeBase64(const std::string &text) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char ch : text) {
    int v;
    if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z')
      v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9')
      v = ch - '0' + 52;
    else if (ch == '+')
      v = 62;
    else if (ch == '/')
      v = 63;
    else
      break; // '=' padding ends the data
    bits = bits << 6 | uint32_t(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += char((bits >> count) & 0xff);
    }
  }
  return out;
}

/// A few dozen utterances, enough for sentencepiece to learn some merges.
std::vector<std::string> utterances() {
  const char *verbs[] = {"set an alarm for",   "what is the weather in",
                         "play some music by", "order a pizza from",
                         "remind me to call",  "turn off the lights in"};
  const char *objects[] = {"seven am",   "paris",     "the beatles",
                           "the corner", "my mother", "the kitchen",
                           "tomorrow",   "new york"};
  std::vector<std::string> out;
  for (const char *v : verbs)
    for (const char *o : objects)
      out.push_back(std::string(v) + " " + o);
  return out;
}

/// Writes a CNN student folder as lib/Train would, without training:
/// weights are LibTorch's initialisation under a fixed seed.
ModelConfig writeStudent(const fs::path &dir, const std::string &tokenizerFile,
                         int64_t vocabSize) {
  ModelConfig config;
  config.kind = "cnn";
  // One label outside ASCII: kdc.labels must carry UTF-8 through JSON.
  config.labels = {"alarm_set", "weather_query", "play_música", "takeaway",
                   "iot_lights"};
  config.cnn.vocabSize = vocabSize;
  config.cnn.embedDim = 8;
  config.cnn.filters = 6;
  config.cnn.widths = {2, 3, 4};
  config.cnn.numClasses = int64_t(config.labels.size());
  config.cnn.maxTokens = kMaxTokens;
  config.trainedWith = "ExportTest";
  fs::create_directories(dir);
  if (fs::path(tokenizerFile) != dir / "tokenizer.model")
    fs::copy_file(tokenizerFile, dir / "tokenizer.model",
                  fs::copy_options::overwrite_existing);
  Classifier c = makeClassifier(config, nullptr, /*initSeed=*/20240607);
  saveModule(*c.module, (dir / "model.pt").string());
  config.fingerprint = fingerprintFiles(
      {(dir / "model.pt").string(), (dir / "tokenizer.model").string()});
  writeModelConfig(dir.string(), config);
  return config;
}

/// Runs `f` and returns the kdc::Error's message ("" if nothing was thrown).
template <typename F> std::string errorOf(F f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

class ExportTest : public ::testing::Test {
protected:
  // ctest runs each test in its own process, so every process builds the
  // folder once (a child process trains the tokenizer in well under 1 s).
  static void SetUpTestSuite() {
    if (!std::getenv("KDC_BPE_TRAIN"))
      ::setenv("KDC_BPE_TRAIN", KDC_BPE_TRAIN_DEFAULT, 1);
    dir_ = new fs::path(freshDir("student"));
    tokenizer::BpeTrainOptions o;
    o.vocabSize = 300;
    std::string model = tokenizer::trainBpeModelInChildProcess(
        utterances(), dir_->string(), "tokenizer", o);
    auto tok = tokenizer::BpeTokenizer::fromSentencePieceFile(model);
    config_ = new ModelConfig(writeStudent(*dir_, model, tok.vocabSize()));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete config_;
  }

  void SetUp() override { work = freshDir("work"); }
  void TearDown() override { fs::remove_all(work); }

  std::string exportStudent(const fs::path &modelDir) {
    std::string out = (work / "student.onnx").string();
    std::ostringstream log;
    exporter::exportOnnx(modelDir.string(), out, log);
    EXPECT_NE(log.str().find("to " + out), std::string::npos) << log.str();
    return out;
  }

  static fs::path *dir_;
  static ModelConfig *config_;
  fs::path work;
};

fs::path *ExportTest::dir_ = nullptr;
ModelConfig *ExportTest::config_ = nullptr;

onnx::ModelProto readModel(const std::string &path) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(slurp(path))) << path;
  return model;
}

std::vector<int64_t> dimsOf(const onnx::ValueInfoProto &v) {
  std::vector<int64_t> dims;
  for (const auto &d : v.type().tensor_type().shape().dim())
    dims.push_back(d.dim_value());
  return dims;
}

TEST_F(ExportTest, OnnxRuntimeMatchesLibTorch) {
  fs::path ortDir = fs::path(sourceDir()) / "test" / "onnxruntime";
  if (std::system("node --version > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "node is not on PATH: install nodejs to compare the "
                    "export with ONNX Runtime";
  if (!fs::exists(ortDir / "node_modules" / "onnxruntime-node" /
                  "package.json"))
    GTEST_SKIP() << "onnxruntime-node is missing: run 'npm install "
                    "--ignore-scripts' in "
                 << ortDir.string();
  std::string onnxPath = exportStudent(*dir_);

  // Random utterances of every length 1..T, padded with id 0 as the ONNX
  // contract says; the two extremes are always included.
  const int64_t n = 64, vocab = config_->cnn.vocabSize;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> lengthDist(1, kMaxTokens);
  std::uniform_int_distribution<int64_t> idDist(1, vocab - 1);
  std::vector<int64_t> ids(static_cast<size_t>(n * kMaxTokens), 0);
  std::vector<int64_t> lengths(static_cast<size_t>(n), 0);
  json inputs = json::array();
  for (int64_t i = 0; i < n; ++i) {
    int64_t len = i == 0 ? 1 : i == 1 ? kMaxTokens : lengthDist(rng);
    lengths[size_t(i)] = len;
    for (int64_t t = 0; t < len; ++t)
      ids[size_t(i * kMaxTokens + t)] = idDist(rng);
    inputs.push_back(
        {{"ids", std::vector<int64_t>(ids.begin() + i * kMaxTokens,
                                      ids.begin() + (i + 1) * kMaxTokens)},
         {"length", len}});
  }
  fs::path inPath = work / "inputs.json", outPath = work / "logits.json",
           errPath = work / "node.err";
  std::ofstream(inPath) << inputs.dump();
  std::string cmd = "node '" + (ortDir / "run.js").string() + "' '" + onnxPath +
                    "' '" + inPath.string() + "' '" + outPath.string() +
                    "' 2> '" + errPath.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << slurp(errPath);
  auto ort = json::parse(slurp(outPath)).get<std::vector<std::vector<float>>>();
  ASSERT_EQ(int64_t(ort.size()), n);

  Classifier c = loadClassifier(dir_->string());
  torch::NoGradGuard noGrad;
  Batch batch;
  batch.ids = torch::tensor(ids, torch::kInt64).view({n, kMaxTokens});
  batch.lengths = torch::tensor(lengths, torch::kInt64);
  torch::Tensor ref = c.forward(batch);
  ASSERT_EQ(ref.sizes(), (std::vector<int64_t>{n, 5}));

  double maxDiff = 0, maxAbs = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(ort[size_t(i)].size(), 5u);
    for (int64_t k = 0; k < 5; ++k) {
      double want = ref[i][k].item<double>();
      maxDiff =
          std::max(maxDiff, std::abs(double(ort[size_t(i)][size_t(k)]) - want));
      maxAbs = std::max(maxAbs, std::abs(want));
    }
  }
  std::cout << "max |logit| " << maxAbs << ", max |ONNX Runtime - LibTorch| "
            << maxDiff << "\n";
  RecordProperty("max_abs_logit_diff", std::to_string(maxDiff));
  EXPECT_LE(maxDiff, 1e-4);
  // Logits near zero would make the comparison meaningless.
  EXPECT_GT(maxAbs, 0.1);
}

TEST_F(ExportTest, GraphHasTheContractsInputsOutputsAndOpset) {
  onnx::ModelProto m = readModel(exportStudent(*dir_));
  EXPECT_EQ(m.ir_version(), exporter::kOnnxIrVersion);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), 13);
  const onnx::GraphProto &g = m.graph();
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0).name(), "ids");
  EXPECT_EQ(g.input(0).type().tensor_type().elem_type(),
            onnx::TensorProto::INT64);
  EXPECT_EQ(dimsOf(g.input(0)), (std::vector<int64_t>{1, kMaxTokens}));
  EXPECT_EQ(g.input(1).name(), "length");
  EXPECT_EQ(g.input(1).type().tensor_type().elem_type(),
            onnx::TensorProto::INT64);
  EXPECT_EQ(dimsOf(g.input(1)), (std::vector<int64_t>{1}));
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0).name(), "logits");
  EXPECT_EQ(g.output(0).type().tensor_type().elem_type(),
            onnx::TensorProto::FLOAT);
  EXPECT_EQ(dimsOf(g.output(0)), (std::vector<int64_t>{1, 5}));
  std::map<std::string, std::vector<int64_t>> inits;
  for (const onnx::TensorProto &t : g.initializer())
    inits[t.name()] = std::vector<int64_t>(t.dims().begin(), t.dims().end());
  int64_t v = config_->cnn.vocabSize;
  EXPECT_EQ(inits["embedding"], (std::vector<int64_t>{v, 8}));
  EXPECT_EQ(inits["conv_2.weight"], (std::vector<int64_t>{6, 8, 2}));
  EXPECT_EQ(inits["conv_4.bias"], (std::vector<int64_t>{6}));
  EXPECT_EQ(inits["pos_3"], (std::vector<int64_t>{kMaxTokens - 2}));
  EXPECT_EQ(inits["output.weight"], (std::vector<int64_t>{5, 18}));
}

TEST_F(ExportTest, MetadataIsPresentAndDecodable) {
  onnx::ModelProto m = readModel(exportStudent(*dir_));
  std::map<std::string, std::string> meta;
  for (const auto &p : m.metadata_props())
    meta[p.key()] = p.value();
  EXPECT_EQ(meta["kdc.version"], KDC_VERSION_STRING);
  EXPECT_EQ(meta["kdc.kind"], "cnn");
  EXPECT_EQ(meta["kdc.max_tokens"], std::to_string(kMaxTokens));
  EXPECT_EQ(meta["kdc.featurizer"], "bpe");
  EXPECT_EQ(meta["kdc.fingerprint"], config_->fingerprint);
  EXPECT_EQ(meta.count("kdc.teacher_fingerprint"), 0u);
  std::string tokenizer = slurp(*dir_ / "tokenizer.model");
  ASSERT_FALSE(tokenizer.empty());
  EXPECT_EQ(decodeBase64(meta["kdc.tokenizer"]), tokenizer);
  EXPECT_EQ(json::parse(meta["kdc.labels"]).get<std::vector<std::string>>(),
            config_->labels);
}

TEST_F(ExportTest, TeacherFingerprintIsCarriedWhenTheFolderNamesIt) {
  fs::path copy = work / "distilled";
  fs::copy(*dir_, copy, fs::copy_options::recursive);
  json config = json::parse(slurp(copy / "config.json"));
  config["teacher_fingerprint"] = "0123456789abcdef";
  std::ofstream(copy / "config.json") << config.dump(2);
  onnx::ModelProto m = readModel(exportStudent(copy));
  std::string found;
  for (const auto &p : m.metadata_props())
    if (p.key() == "kdc.teacher_fingerprint")
      found = p.value();
  EXPECT_EQ(found, "0123456789abcdef");
}

TEST_F(ExportTest, ExportedFilePassesTheChecker) {
  std::string out = exportStudent(*dir_);
  EXPECT_NO_THROW(exporter::checkOnnxFile(out));
  // The rename leaves no temporary behind.
  EXPECT_FALSE(fs::exists(out + ".tmp"));
}

TEST_F(ExportTest, FolderWithoutWeightsIsAnError) {
  fs::path copy = work / "no-weights";
  fs::copy(*dir_, copy, fs::copy_options::recursive);
  fs::remove(copy / "model.pt");
  std::string msg = errorOf([&] { exportStudent(copy); });
  EXPECT_NE(msg.find((copy / "model.pt").string()), std::string::npos) << msg;
}

TEST_F(ExportTest, TokenizerLargerThanTheEmbeddingIsAnError) {
  fs::path small = work / "small-embedding";
  writeStudent(small, (*dir_ / "tokenizer.model").string(), 100);
  std::string msg = errorOf([&] { exportStudent(small); });
  EXPECT_EQ(msg, small.string() + ": tokenizer.model has " +
                     std::to_string(config_->cnn.vocabSize) +
                     " pieces but the embedding only 100 rows");
}

TEST_F(ExportTest, UnwritableOutputIsAnError) {
  // A path below a regular file: unwritable even for root.
  std::string below = (*dir_ / "config.json" / "student.onnx").string();
  std::ostringstream log;
  std::string msg =
      errorOf([&] { exporter::exportOnnx(dir_->string(), below, log); });
  EXPECT_EQ(msg, "cannot write '" + below + ".tmp': Not a directory");

  // An existing folder in the way: the temporary is written, the rename
  // fails, and the temporary is removed again.
  fs::path folder = work / "taken.onnx";
  fs::create_directories(folder / "inside");
  msg = errorOf(
      [&] { exporter::exportOnnx(dir_->string(), folder.string(), log); });
  EXPECT_EQ(msg.rfind("cannot write '" + folder.string() + "': ", 0), 0u)
      << msg;
  EXPECT_FALSE(fs::exists(folder.string() + ".tmp"));
}

// Errors that need no trained folder.
class ExportErrors : public ::testing::Test {
protected:
  void SetUp() override { work = freshDir("errors"); }
  void TearDown() override { fs::remove_all(work); }
  std::string exportError(const fs::path &modelDir) {
    std::ostringstream log;
    return errorOf([&] {
      exporter::exportOnnx(modelDir.string(), (work / "out.onnx").string(),
                           log);
    });
  }
  fs::path work;
};

TEST_F(ExportErrors, MissingFolder) {
  fs::path missing = work / "no-such-model";
  EXPECT_EQ(exportError(missing),
            "model folder '" + missing.string() + "' does not exist");
  EXPECT_FALSE(fs::exists(work / "out.onnx"));
  // A file where the folder should be, e.g. model.pt passed by mistake.
  fs::path file = work / "model.pt";
  std::ofstream(file) << "weights";
  EXPECT_EQ(exportError(file),
            "'" + file.string() + "' is not a model folder but a file");
}

TEST_F(ExportErrors, FolderWithoutConfig) {
  fs::path empty = work / "empty";
  fs::create_directories(empty);
  EXPECT_EQ(exportError(empty),
            "cannot open '" + (empty / "config.json").string() + "': is '" +
                empty.string() + "' a model folder written by kdc?");
}

TEST_F(ExportErrors, TeacherFolder) {
  ModelConfig teacher;
  teacher.kind = "teacher";
  teacher.labels = {"a", "b"};
  writeModelConfig(work.string(), teacher);
  EXPECT_EQ(exportError(work),
            (work / "config.json").string() +
                ": a model of kind 'teacher' cannot be exported yet; kdc "
                "export writes CNN and pQRNN students (kind \"cnn\" or "
                "\"pqrnn\")");
}

TEST_F(ExportErrors, MaxTokensBelowTheWidestKernel) {
  ModelConfig cnn;
  cnn.kind = "cnn";
  cnn.labels = {"a", "b"};
  cnn.cnn.widths = {2, 3, 4};
  cnn.cnn.maxTokens = 3;
  writeModelConfig(work.string(), cnn);
  EXPECT_EQ(exportError(work),
            (work / "config.json").string() +
                ": max_tokens 3 is below the widest kernel (4), so a "
                "fixed-length graph would have no window to pool");
}

TEST_F(ExportErrors, CheckerRejectsBrokenFiles) {
  fs::path missing = work / "missing.onnx";
  EXPECT_EQ(errorOf([&] { exporter::checkOnnxFile(missing.string()); }),
            "cannot open '" + missing.string() +
                "': No such file or directory");

  fs::path garbage = work / "garbage.onnx";
  std::ofstream(garbage) << "this is not onnx";
  EXPECT_EQ(errorOf([&] { exporter::checkOnnxFile(garbage.string()); }),
            garbage.string() +
                ": not an ONNX model (the protobuf does not parse)");

  // Well-formed protobuf, invalid graph: a node reads a value nobody makes.
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  onnx::GraphProto *g = m.mutable_graph();
  g->set_name("broken");
  onnx::NodeProto *relu = g->add_node();
  relu->set_op_type("Relu");
  relu->add_input("nowhere");
  relu->add_output("y");
  onnx::ValueInfoProto *y = g->add_output();
  y->set_name("y");
  onnx::TypeProto_Tensor *type = y->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  type->mutable_shape()->add_dim()->set_dim_value(1);
  fs::path broken = work / "broken.onnx";
  std::ofstream(broken, std::ios::binary) << m.SerializeAsString();
  std::string msg = errorOf([&] { exporter::checkOnnxFile(broken.string()); });
  EXPECT_EQ(msg.rfind(broken.string() + ": fails the ONNX checker: ", 0), 0u)
      << msg;
  EXPECT_NE(msg.find("nowhere"), std::string::npos) << msg;
}

} // namespace
