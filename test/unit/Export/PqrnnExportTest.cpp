// kdc export of a pQRNN student: a tiny network (random weights of a fixed
// seed) on real projection features of utterances is exported, checked,
// run in ONNX Runtime and compared with LibTorch; plus its graph and
// metadata.
#include "Dataset.h"
#include "ModelDir.h"
#include "Trainer.h"

#include "kdc/Export/OnnxExport.h"
#include "kdc/Support/Error.h"

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
#include <sstream>

#include <unistd.h>

using namespace kdc;
using namespace kdc::train;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxTokens = 10, kFeatures = 32, kState = 6, kClasses = 4;

using kdc::unittest::slurp;
using kdc::unittest::sourceDir;

fs::path freshDir(const std::string &name) {
  return kdc::unittest::freshDir("kdc-pqrnn-export", name);
}

/// A pQRNN folder as lib/Train writes it, without training.
ModelConfig writePqrnn(const fs::path &dir, uint32_t flags = 0) {
  ModelConfig config;
  config.kind = "pqrnn";
  config.labels = {"alarm_set", "weather_query", "play_música", "takeaway"};
  PqrnnConfig &p = config.pqrnn;
  p.featureSize = kFeatures, p.bottleneck = 8, p.state = kState, p.layers = 2;
  p.numClasses = kClasses, p.maxTokens = kMaxTokens;
  p.projectionFlags = flags;
  config.trainedWith = "PqrnnExportTest";
  config.teacherFingerprint = "feedfacecafebeef";
  fs::create_directories(dir);
  Classifier c = makeClassifier(config, nullptr, /*initSeed=*/20240607);
  saveModule(*c.module, (dir / "model.pt").string());
  config.fingerprint = fingerprintModel(dir.string(), config);
  writeModelConfig(dir.string(), config);
  return config;
}

onnx::ModelProto readModel(const std::string &path) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(slurp(path))) << path;
  return model;
}

std::map<std::string, std::string> metadata(const onnx::ModelProto &m) {
  std::map<std::string, std::string> meta;
  for (const auto &p : m.metadata_props())
    meta[p.key()] = p.value();
  return meta;
}

class PqrnnExportTest : public ::testing::Test {
protected:
  void SetUp() override {
    work = freshDir("work");
    config = writePqrnn(work / "model");
  }
  void TearDown() override { fs::remove_all(work); }

  std::string exportModel(const fs::path &dir) {
    std::string out = (work / "pqrnn.onnx").string();
    std::ostringstream log;
    exporter::exportOnnx(dir.string(), out, log);
    EXPECT_NE(log.str().find("(pqrnn, 10 tokens, 4 classes)"),
              std::string::npos)
        << log.str();
    return out;
  }

  fs::path work;
  ModelConfig config;
};

TEST_F(PqrnnExportTest, OnnxRuntimeMatchesLibTorch) {
  fs::path ortDir = fs::path(sourceDir()) / "test" / "onnxruntime";
  if (std::system("node --version > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "node is not on PATH";
  if (!fs::exists(ortDir / "node_modules" / "onnxruntime-node" /
                  "package.json"))
    GTEST_SKIP() << "onnxruntime-node is missing: run 'npm install "
                    "--ignore-scripts' in "
                 << ortDir.string();
  std::string onnxPath = exportModel(work / "model");

  // Utterances of every length 1..T (the last ones truncated to T), with
  // mixed case and a non-ASCII token, through the runtime featurizer.
  std::vector<std::string> texts = {"hi",
                                    "wake me up",
                                    "Set An Alarm for seven",
                                    "¿qué tiempo hace mañana en Madrid?",
                                    "play some music by the beatles please",
                                    "one two three four five six seven eight "
                                    "nine ten",
                                    "a b c d e f g h i j k l m n o p"};
  for (int n = 1; n <= kMaxTokens; ++n) {
    std::string t;
    for (int k = 0; k < n; ++k)
      t += (k ? " w" : "w") + std::to_string(k * 7 + n);
    texts.push_back(t);
  }
  Classifier c = loadClassifier((work / "model").string());
  std::vector<std::string_view> views(texts.begin(), texts.end());
  Encoded data = encodeTexts(c.featurizer(), views,
                             [](size_t i) { return std::to_string(i); });
  EXPECT_EQ(data.truncated, 1u); // the 16-token one
  std::vector<size_t> rows(texts.size());
  for (size_t i = 0; i < rows.size(); ++i)
    rows[i] = i;
  Batch batch = makeBatch(data, rows, kMaxTokens);
  ASSERT_EQ(batch.features.sizes(),
            (std::vector<int64_t>{int64_t(texts.size()), kMaxTokens, kFeatures}));
  torch::Tensor ref;
  {
    torch::NoGradGuard noGrad;
    ref = c.forward(batch);
  }

  json inputs = json::array();
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<std::vector<float>> f(static_cast<size_t>(kMaxTokens));
    for (int64_t t = 0; t < kMaxTokens; ++t)
      for (int64_t j = 0; j < kFeatures; ++j)
        f[size_t(t)].push_back(batch.features[int64_t(i)][t][j].item<float>());
    inputs.push_back({{"features", f}, {"length", data.lengths[i]}});
  }
  fs::path inPath = work / "inputs.json", outPath = work / "logits.json",
           errPath = work / "node.err";
  std::ofstream(inPath) << inputs.dump();
  std::string cmd = "node '" + (ortDir / "run.js").string() + "' '" + onnxPath +
                    "' '" + inPath.string() + "' '" + outPath.string() +
                    "' 2> '" + errPath.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << slurp(errPath);
  auto ort = json::parse(slurp(outPath)).get<std::vector<std::vector<float>>>();
  ASSERT_EQ(ort.size(), texts.size());
  double maxDiff = 0, maxAbs = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(ort[i].size(), size_t(kClasses));
    for (int64_t k = 0; k < kClasses; ++k) {
      double want = ref[int64_t(i)][k].item<double>();
      maxDiff = std::max(maxDiff, std::abs(double(ort[i][size_t(k)]) - want));
      maxAbs = std::max(maxAbs, std::abs(want));
    }
  }
  std::cout << "max |logit| " << maxAbs << ", max |ONNX Runtime - LibTorch| "
            << maxDiff << "\n";
  RecordProperty("max_abs_logit_diff", std::to_string(maxDiff));
  EXPECT_LE(maxDiff, 1e-5);
  EXPECT_GT(maxAbs, 0.05); // logits near zero would prove nothing
}

TEST_F(PqrnnExportTest, GraphAndMetadataFollowTheContract) {
  std::string out = exportModel(work / "model");
  EXPECT_NO_THROW(exporter::checkOnnxFile(out));
  onnx::ModelProto m = readModel(out);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).version(), 13);
  const onnx::GraphProto &g = m.graph();
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0).name(), "features");
  EXPECT_EQ(g.input(0).type().tensor_type().elem_type(),
            onnx::TensorProto::FLOAT);
  std::vector<int64_t> dims;
  for (const auto &d : g.input(0).type().tensor_type().shape().dim())
    dims.push_back(d.dim_value());
  EXPECT_EQ(dims, (std::vector<int64_t>{1, kMaxTokens, kFeatures}));
  EXPECT_EQ(g.input(1).name(), "length");
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0).name(), "logits");

  // Two Scans per layer, with the QRNN step as their body; causal and
  // anti-causal gate convolutions of width 3 producing 3H channels.
  int scans = 0, backward = 0;
  std::vector<std::vector<int64_t>> pads;
  for (const onnx::NodeProto &n : g.node()) {
    if (n.op_type() == "Scan") {
      ++scans;
      for (const auto &a : n.attribute()) {
        if (a.name() == "body") {
          EXPECT_EQ(a.g().node_size(), 12);
        }
        if (a.name() == "scan_input_directions") {
          backward += a.ints(0) == 1;
        }
      }
    }
    if (n.op_type() == "Conv")
      for (const auto &a : n.attribute())
        if (a.name() == "pads")
          pads.emplace_back(a.ints().begin(), a.ints().end());
  }
  EXPECT_EQ(scans, 4);
  EXPECT_EQ(backward, 2);
  EXPECT_EQ(pads, (std::vector<std::vector<int64_t>>{{2, 0}, {0, 2}, {2, 0}, {0, 2}}));
  std::map<std::string, std::vector<int64_t>> inits;
  for (const onnx::TensorProto &t : g.initializer())
    inits[t.name()] = std::vector<int64_t>(t.dims().begin(), t.dims().end());
  EXPECT_EQ(inits["bottleneck.weight"], (std::vector<int64_t>{8, kFeatures}));
  EXPECT_EQ(inits["qrnn_1.forward.weight"], (std::vector<int64_t>{18, 8, 3}));
  EXPECT_EQ(inits["qrnn_2.backward.weight"], (std::vector<int64_t>{18, 12, 3}));
  EXPECT_EQ(inits["attention.query"], (std::vector<int64_t>{12, 1}));
  EXPECT_EQ(inits["output.weight"], (std::vector<int64_t>{kClasses, 12}));

  auto meta = metadata(m);
  EXPECT_EQ(meta["kdc.kind"], "pqrnn");
  EXPECT_EQ(meta["kdc.featurizer"], "projection");
  EXPECT_EQ(meta["kdc.max_tokens"], "10");
  EXPECT_EQ(meta["kdc.projection"],
            "{\"features\": 32, \"seed\": \"0x6B64632D70726F6A\", "
            "\"split_codepoints\": false, \"bos\": false, \"eos\": false}");
  EXPECT_EQ(meta["kdc.fingerprint"], config.fingerprint);
  EXPECT_EQ(meta["kdc.teacher_fingerprint"], "feedfacecafebeef");
  EXPECT_EQ(json::parse(meta["kdc.labels"]).get<std::vector<std::string>>(),
            config.labels);
  EXPECT_EQ(meta.count("kdc.tokenizer"), 0u);
}

TEST_F(PqrnnExportTest, ProjectionFlagsReachTheMetadataAndTheFingerprint) {
  ModelConfig split = writePqrnn(work / "split", KDC_PROJECTION_SPLIT_CODEPOINTS |
                                                     KDC_PROJECTION_BOS);
  // Same weights (same seed), other featurizer: another fingerprint.
  EXPECT_NE(split.fingerprint, config.fingerprint);
  auto meta = metadata(readModel(exportModel(work / "split")));
  json p = json::parse(meta["kdc.projection"]);
  EXPECT_EQ(p["split_codepoints"], true);
  EXPECT_EQ(p["bos"], true);
  EXPECT_EQ(p["eos"], false);
}

} // namespace
