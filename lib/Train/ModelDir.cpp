//===- ModelDir.cpp - trained model folders -------------------------------===//

#include "ModelDir.h"

#include "kdc/Support/Error.h"
#include "kdc/Support/FileIO.h"
#include "kdc/Version.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace kdc;
using namespace kdc::train;
using nlohmann::json;
namespace fs = std::filesystem;

int64_t ModelConfig::maxTokens() const {
  return kind == "teacher" ? teacher.maxTokens
         : kind == "pqrnn" ? pqrnn.maxTokens
                           : cnn.maxTokens;
}

kdc_projection_config_t ModelConfig::projection() const {
  kdc_projection_config_t p;
  p.num_features = uint32_t(pqrnn.featureSize);
  p.flags = pqrnn.projectionFlags;
  p.seed = pqrnn.projectionSeed;
  return p;
}

std::string kdc::train::projectionJson(const PqrnnConfig &c) {
  char seed[24];
  std::snprintf(seed, sizeof seed, "0x%016llX",
                (unsigned long long)c.projectionSeed);
  auto flag = [&](uint32_t f) {
    return (c.projectionFlags & f) ? "true" : "false";
  };
  // Written by hand: the key order is fixed (nlohmann sorts keys).
  return "{\"features\": " + std::to_string(c.featureSize) +
         ", \"seed\": \"" + seed + "\", \"split_codepoints\": " +
         flag(KDC_PROJECTION_SPLIT_CODEPOINTS) +
         ", \"bos\": " + flag(KDC_PROJECTION_BOS) +
         ", \"eos\": " + flag(KDC_PROJECTION_EOS) + "}";
}

std::string kdc::train::architectureJson(const ModelConfig &c) {
  if (c.kind != "pqrnn")
    return "";
  const PqrnnConfig &p = c.pqrnn;
  return "{\"max_tokens\": " + std::to_string(p.maxTokens) +
         ", \"bottleneck\": " + std::to_string(p.bottleneck) +
         ", \"state\": " + std::to_string(p.state) +
         ", \"layers\": " + std::to_string(p.layers) +
         ", \"projection\": " + projectionJson(p) + "}";
}

namespace {

/// config.json's "pqrnn" and "projection" objects; errors name the key.
void readPqrnn(const std::string &path, const json &j, PqrnnConfig &p) {
  auto positive = [&](const json &obj, const std::string &where,
                      const char *key, int64_t max) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number_integer() ||
        it->get<int64_t>() < 1 || it->get<int64_t>() > max)
      throw Error(path + ": " + where + "." + key +
                  " must be an integer from 1 to " + std::to_string(max) +
                  (it == obj.end() ? std::string(", but it is missing")
                                   : ", got " + it->dump()));
    return it->get<int64_t>();
  };
  auto object = [&](const char *key) -> const json & {
    auto it = j.find(key);
    if (it == j.end() || !it->is_object())
      throw Error(path + ": a pqrnn model needs a JSON object \"" +
                  std::string(key) + "\"");
    return *it;
  };
  const json &q = object("pqrnn");
  p.bottleneck = positive(q, "pqrnn", "bottleneck", 1 << 20);
  p.state = positive(q, "pqrnn", "state", 1 << 20);
  p.layers = positive(q, "pqrnn", "layers", 64);
  p.dropout = q.value("dropout", 0.0);
  p.zoneout = q.value("zoneout", 0.0);
  const json &r = object("projection");
  p.featureSize =
      positive(r, "projection", "features", KDC_PROJECTION_MAX_FEATURES);
  auto seed = r.find("seed");
  std::string text = seed != r.end() && seed->is_string()
                         ? seed->get<std::string>()
                         : std::string();
  std::optional<uint64_t> value = parseProjectionSeed(text);
  if (!value)
    throw Error(path + ": projection.seed must be a string \"0x\" followed "
                "by 1 to 16 hex digits, got " +
                (seed == r.end() ? std::string("nothing") : seed->dump()));
  p.projectionSeed = *value;
  p.projectionFlags = 0;
  const std::pair<const char *, uint32_t> flags[] = {
      {"split_codepoints", KDC_PROJECTION_SPLIT_CODEPOINTS},
      {"bos", KDC_PROJECTION_BOS},
      {"eos", KDC_PROJECTION_EOS}};
  for (auto [key, bit] : flags) {
    auto it = r.find(key);
    if (it == r.end() || !it->is_boolean())
      throw Error(path + ": projection." + key +
                  " must be true or false, got " +
                  (it == r.end() ? std::string("nothing") : it->dump()));
    if (it->get<bool>())
      p.projectionFlags |= bit;
  }
}

} // namespace

std::optional<uint64_t> kdc::train::parseProjectionSeed(const std::string &s) {
  if (s.size() < 3 || s.size() > 18 || s[0] != '0' ||
      (s[1] != 'x' && s[1] != 'X'))
    return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 2; i < s.size(); ++i) {
    char c = s[i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0)
      return std::nullopt;
    v = v << 4 | uint64_t(d);
  }
  return v;
}

void kdc::train::writeModelConfig(const std::string &dir,
                                  const ModelConfig &c) {
  json j;
  j["kdc_version"] = KDC_VERSION_STRING;
  j["kind"] = c.kind;
  j["labels"] = c.labels;
  j["fingerprint"] = c.fingerprint;
  j["trained_with"] = c.trainedWith;
  if (!c.teacherFingerprint.empty())
    j["teacher_fingerprint"] = c.teacherFingerprint;
  if (c.kind != "pqrnn")
    j["tokenizer"] = "tokenizer.model";
  if (c.kind == "teacher") {
    const TeacherConfig &t = c.teacher;
    j["max_tokens"] = t.maxTokens;
    j["teacher"] = {{"vocab_size", t.vocabSize}, {"hidden", t.hidden},
                    {"layers", t.layers},        {"heads", t.heads},
                    {"ffn", t.ffn},              {"dropout", t.dropout}};
  } else if (c.kind == "pqrnn") {
    const PqrnnConfig &p = c.pqrnn;
    j["max_tokens"] = p.maxTokens;
    j["pqrnn"] = {{"bottleneck", p.bottleneck}, {"state", p.state},
                  {"layers", p.layers},         {"dropout", p.dropout},
                  {"zoneout", p.zoneout}};
    j["projection"] = json::parse(projectionJson(p));
  } else {
    const CnnConfig &s = c.cnn;
    j["max_tokens"] = s.maxTokens;
    j["cnn"] = {{"vocab_size", s.vocabSize}, {"embed_dim", s.embedDim},
                {"filters", s.filters},      {"widths", s.widths},
                {"dropout", s.dropout}};
  }
  writeFileAtomically((fs::path(dir) / "config.json").string(),
                      [&](std::ostream &f) { f << j.dump(2) << "\n"; });
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
    c.teacherFingerprint = j.value("teacher_fingerprint", "");
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
    } else if (c.kind == "pqrnn") {
      readPqrnn(path, j, c.pqrnn);
      c.pqrnn.maxTokens = maxTokens;
      c.pqrnn.numClasses = int64_t(c.labels.size());
    } else {
      throw Error(path + ": unknown model kind '" + c.kind +
                  "' (expected \"teacher\", \"cnn\" or \"pqrnn\")");
    }
  } catch (const json::exception &e) {
    throw Error(path + ": malformed model config: " + e.what());
  }
  if (c.labels.empty())
    throw Error(path + ": the model has no labels");
  if (c.maxTokens() < 1)
    throw Error(path + ": max_tokens must be a positive integer, got " +
                std::to_string(c.maxTokens()));
  return c;
}

std::string kdc::train::fingerprintFiles(const std::vector<std::string> &paths,
                                         const std::string &extra) {
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
  for (char c : extra) {
    h ^= uint8_t(c);
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", (unsigned long long)h);
  return out;
}

std::string kdc::train::fingerprintModel(const std::string &dir,
                                         const ModelConfig &config) {
  std::string weights = (fs::path(dir) / "model.pt").string();
  // pQRNN has no tokenizer file: the projection's configuration decides
  // what the network sees, so it is part of the fingerprint instead.
  if (config.kind == "pqrnn")
    return fingerprintFiles({weights}, projectionJson(config.pqrnn));
  return fingerprintFiles(
      {weights, (fs::path(dir) / "tokenizer.model").string()});
}

Featurizer Classifier::featurizer() const {
  Featurizer f;
  f.bpe = tokenizer;
  if (config.kind == "pqrnn")
    f.projection = config.projection();
  f.maxTokens = maxTokens;
  return f;
}

Classifier kdc::train::makeClassifier(
    const ModelConfig &config,
    std::shared_ptr<tokenizer::BpeTokenizer> tokenizer, uint64_t initSeed) {
  torch::manual_seed(initSeed);
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
  } else if (config.kind == "pqrnn") {
    PqrnnStudent net(config.pqrnn);
    c.module = net.ptr();
    c.forward = [net](const Batch &b) mutable {
      return net->forward(b.features, b.lengths);
    };
    c.maxTokens = config.pqrnn.maxTokens;
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
  std::shared_ptr<tokenizer::BpeTokenizer> tok;
  if (config.kind != "pqrnn")
    tok = std::make_shared<tokenizer::BpeTokenizer>(
        tokenizer::BpeTokenizer::fromSentencePieceFile(
            (fs::path(dir) / "tokenizer.model").string()));
  Classifier c = makeClassifier(config, tok, /*initSeed=*/0); // loaded next
  c.dir = dir;
  loadModule(*c.module, (fs::path(dir) / "model.pt").string());
  c.module->eval();
  return c;
}
