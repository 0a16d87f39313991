//===- ModelDir.cpp - trained model folders -------------------------------===//

#include "ModelDir.h"

#include "kdc/Support/Error.h"
#include "kdc/Version.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace kdc;
using namespace kdc::train;
using nlohmann::json;
namespace fs = std::filesystem;

void kdc::train::writeModelConfig(const std::string &dir,
                                  const ModelConfig &c) {
  json j;
  j["kdc_version"] = KDC_VERSION_STRING;
  j["kind"] = c.kind;
  j["labels"] = c.labels;
  j["fingerprint"] = c.fingerprint;
  j["trained_with"] = c.trainedWith;
  j["tokenizer"] = "tokenizer.model";
  if (c.kind == "teacher") {
    const TeacherConfig &t = c.teacher;
    j["max_tokens"] = t.maxTokens;
    j["teacher"] = {{"vocab_size", t.vocabSize}, {"hidden", t.hidden},
                    {"layers", t.layers},        {"heads", t.heads},
                    {"ffn", t.ffn},              {"dropout", t.dropout}};
  } else {
    const CnnConfig &s = c.cnn;
    j["max_tokens"] = s.maxTokens;
    j["cnn"] = {{"vocab_size", s.vocabSize}, {"embed_dim", s.embedDim},
                {"filters", s.filters},      {"widths", s.widths},
                {"dropout", s.dropout}};
  }
  std::string path = (fs::path(dir) / "config.json").string();
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << j.dump(2) << "\n";
  fs::rename(tmp, path);
}

ModelConfig kdc::train::readModelConfig(const std::string &dir) {
  std::string path = (fs::path(dir) / "config.json").string();
  std::ifstream in(path);
  if (!in)
    throw Error("cannot open '" + path +
                "': is '" + dir + "' a model folder written by kdc?");
  ModelConfig c;
  try {
    json j = json::parse(in);
    c.kind = j.at("kind").get<std::string>();
    c.labels = j.at("labels").get<std::vector<std::string>>();
    c.fingerprint = j.value("fingerprint", "");
    c.trainedWith = j.value("trained_with", "");
    int64_t maxTokens = j.at("max_tokens").get<int64_t>();
    if (c.kind == "teacher") {
      const json &t = j.at("teacher");
      c.teacher.vocabSize = t.at("vocab_size"), c.teacher.hidden = t.at("hidden");
      c.teacher.layers = t.at("layers"), c.teacher.heads = t.at("heads");
      c.teacher.ffn = t.at("ffn"), c.teacher.dropout = t.at("dropout");
      c.teacher.maxTokens = maxTokens;
      c.teacher.numClasses = int64_t(c.labels.size());
    } else if (c.kind == "cnn") {
      const json &s = j.at("cnn");
      c.cnn.vocabSize = s.at("vocab_size"), c.cnn.embedDim = s.at("embed_dim");
      c.cnn.filters = s.at("filters");
      c.cnn.widths = s.at("widths").get<std::vector<int64_t>>();
      c.cnn.dropout = s.at("dropout");
      c.cnn.maxTokens = maxTokens;
      c.cnn.numClasses = int64_t(c.labels.size());
    } else {
      throw Error(path + ": unknown model kind '" + c.kind +
                  "' (expected \"teacher\" or \"cnn\")");
    }
  } catch (const json::exception &e) {
    throw Error(path + ": malformed model config: " + e.what());
  }
  if (c.labels.empty())
    throw Error(path + ": the model has no labels");
  return c;
}

std::string kdc::train::fingerprintFiles(const std::vector<std::string> &paths) {
  uint64_t h = 1469598103934665603ull;
  for (const std::string &p : paths) {
    std::ifstream in(p, std::ios::binary);
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      for (std::streamsize i = 0; i < in.gcount(); ++i) {
        h ^= uint8_t(buf[i]);
        h *= 1099511628211ull;
      }
    }
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", (unsigned long long)h);
  return out;
}

Classifier kdc::train::makeClassifier(
    const ModelConfig &config,
    std::shared_ptr<tokenizer::BpeTokenizer> tokenizer) {
  Classifier c;
  c.config = config;
  c.tokenizer = std::move(tokenizer);
  if (config.kind == "teacher") {
    Teacher net(config.teacher);
    c.module = net.ptr();
    c.forward = [net](const Batch &b) mutable {
      return net->forward(b.ids, b.lengths);
    };
    c.maxTokens = config.teacher.maxTokens;
  } else {
    CnnStudent net(config.cnn);
    c.module = net.ptr();
    c.forward = [net](const Batch &b) mutable {
      return net->forward(b.ids, b.lengths);
    };
    c.maxTokens = config.cnn.maxTokens;
    c.minLength = *std::max_element(config.cnn.widths.begin(),
                                    config.cnn.widths.end());
  }
  return c;
}

Classifier kdc::train::loadClassifier(const std::string &dir) {
  ModelConfig config = readModelConfig(dir);
  auto tok = std::make_shared<tokenizer::BpeTokenizer>(
      tokenizer::BpeTokenizer::fromSentencePieceFile(
          (fs::path(dir) / "tokenizer.model").string()));
  Classifier c = makeClassifier(config, tok);
  c.dir = dir;
  loadModule(*c.module, (fs::path(dir) / "model.pt").string());
  c.module->eval();
  return c;
}
