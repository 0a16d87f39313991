//===- inputs.h - the utterances every engine of `kdc bench` runs -*- C++ -*-===//
//
// `kdc-bench-torch prepare` writes one inputs file per model: the MASSIVE
// test utterances encoded with that model's tokenizer (the runtime's C BPE
// encoder, the one the compiled library embeds), truncated to the model's
// T, with gold label indices in the model's label order (-1 for a model
// without labels, e.g. S-server/S-edge):
//
//   {"format": "kdc-bench-inputs", "version": 1, "model": NAME,
//    "input": "ids" | "features", "max_tokens": T, "fixed_shape": BOOL,
//    "num_classes": C, "labels": [...],
//    "utterances": [{"text", "ids": [...], "n", "label"}...]}
//
// fixed_shape: the model pools over all T positions (no length input); every
// engine pads the ids with 0 to T and runs the whole sequence.
//
// input "features" (pQRNN): no ids; the projection featurizer's rows
// (runtime/include/kdc/runtime/projection.h, the code the library runs) are
// in "features_file" (relative to the JSON file): for each utterance in
// order, n rows of "num_features" int8 values in {-1, 0, 1}.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_BENCH_INPUTS_H
#define KDC_BENCH_INPUTS_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace kdc_bench {

struct Utterance {
  std::string text;
  std::vector<int32_t> ids;
  size_t n = 0;                // tokens
  std::vector<float> features; // n x numFeatures (input "features")
  int label = -1;
};

struct Inputs {
  std::string model;
  bool features = false; // input "features" instead of "ids"
  size_t numFeatures = 0;
  size_t maxTokens = 0;
  bool fixedShape = false;
  size_t numClasses = 0;
  std::vector<std::string> labels;
  std::vector<Utterance> utterances;
};

inline Inputs readInputs(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot open inputs file '" + path + "'");
  Inputs r;
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    if (j.at("format") != "kdc-bench-inputs" || j.at("version") != 1)
      throw std::runtime_error("'" + path + "' is not a kdc-bench-inputs file");
    r.model = j.at("model").get<std::string>();
    r.features = j.value("input", "ids") == "features";
    r.maxTokens = j.at("max_tokens").get<size_t>();
    r.fixedShape = j.at("fixed_shape").get<bool>();
    r.numClasses = j.at("num_classes").get<size_t>();
    r.labels = j.at("labels").get<std::vector<std::string>>();
    for (const auto &u : j.at("utterances")) {
      Utterance x;
      x.text = u.at("text").get<std::string>();
      x.ids = u.at("ids").get<std::vector<int32_t>>();
      x.n = r.features ? u.at("n").get<size_t>() : x.ids.size();
      x.label = u.at("label").get<int>();
      if (x.n == 0 || x.n > r.maxTokens)
        throw std::runtime_error("'" + path + "': an utterance has " +
                                 std::to_string(x.n) + " tokens (1.." +
                                 std::to_string(r.maxTokens) + " expected)");
      r.utterances.push_back(std::move(x));
    }
    if (r.features) {
      r.numFeatures = j.at("num_features").get<size_t>();
      std::string file = j.at("features_file").get<std::string>();
      size_t slash = path.find_last_of('/');
      if (file.empty() || file[0] != '/')
        file = (slash == std::string::npos ? "" : path.substr(0, slash + 1)) + file;
      std::ifstream f(file, std::ios::binary);
      if (!f)
        throw std::runtime_error("cannot open features file '" + file + "'");
      std::vector<signed char> row(r.numFeatures);
      for (Utterance &u : r.utterances) {
        u.features.resize(u.n * r.numFeatures);
        for (size_t t = 0; t < u.n; ++t) {
          if (!f.read(reinterpret_cast<char *>(row.data()), std::streamsize(row.size())))
            throw std::runtime_error("'" + file + "' is too short");
          for (size_t k = 0; k < r.numFeatures; ++k)
            u.features[t * r.numFeatures + k] = float(row[k]);
        }
      }
    }
  } catch (const nlohmann::json::exception &e) {
    throw std::runtime_error("'" + path + "': malformed inputs: " + e.what());
  }
  if (r.utterances.empty())
    throw std::runtime_error("'" + path + "' holds no utterances");
  return r;
}

/// Writes N x C float32 logits (native byte order, row-major) to `path`.
inline void writeLogits(const std::string &path, const std::vector<float> &v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(v.data()),
            std::streamsize(v.size() * sizeof(float)));
  if (!out)
    throw std::runtime_error("cannot write '" + path + "'");
}

} // namespace kdc_bench

#endif // KDC_BENCH_INPUTS_H
