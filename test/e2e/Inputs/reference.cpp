//===- reference.cpp - LibTorch logits of a model folder on a corpus ------===//
//
// kdc-e2e-reference --model DIR --test FILE [--role test] [--limit N] -o OUT
//
// Loads a model folder written by `kdc train-supervised` or `kdc distill`
// (lib/Train's loadClassifier), encodes the corpus with the featurizer
// training uses (encodeCorpus: the runtime's C BPE encoder, or for a pQRNN
// the runtime's projection), runs the LibTorch network (lib/Train's predict,
// batch 1 so no padding is involved) and writes, for every utterance, its
// text, its token ids (or projection features) and its logits. The driver
// (driver.cpp), linked with a library that `kdc compile` generated, reads
// this file and compares.
//
// File format (text, one record of three lines per utterance):
//   kdc-e2e-reference 1 N C              header: utterances, classes
//   <utterance text, as read>            line 1
//   <n> <id_1> ... <id_n>                line 2 (n <= the model's max tokens)
//   <logit_1> ... <logit_C>              line 3 (%.9g: exact float round trip)
//
// A projection (pQRNN) model has no ids. Its header carries three more
// fields, and line 2 holds the n feature rows that training computed with
// kdc_projection_features (max_tokens = T), each as P characters '-', '0',
// '+' for -1, 0, +1:
//   kdc-e2e-reference 1 N C projection P T
//   <n> <row_1> ... <row_n>
//
//===----------------------------------------------------------------------===//

#include "Dataset.h"
#include "ModelDir.h"

#include "kdc/Data/Corpus.h"
#include "kdc/Support/Error.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

using namespace kdc;
using namespace kdc::train;

namespace {

[[noreturn]] void usage(const char *why) {
  std::cerr << "error: " << why << "\n"
            << "usage: kdc-e2e-reference --model DIR --test FILE "
               "[--role test] [--limit N] [--batch B] [--threads T] -o OUT\n";
  std::exit(2);
}

} // namespace

int main(int argc, char **argv) {
  std::string model, test, out, role = "test";
  long limit = -1, batch = 1;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--model")
      model = value();
    else if (a == "--test")
      test = value();
    else if (a == "--role")
      role = value();
    else if (a == "--limit")
      limit = std::stol(value());
    else if (a == "--batch")
      batch = std::stol(value());
    else if (a == "--threads")
      threads = std::stoi(value());
    else if (a == "-o")
      out = value();
    else
      usage(("unknown argument '" + a + "'").c_str());
  }
  if (model.empty() || test.empty() || out.empty())
    usage("--model, --test and -o are required");
  if (batch < 1)
    usage("--batch must be >= 1");
  try {
    torch::set_num_threads(threads);
    Classifier c = loadClassifier(model);
    ReadOptions ro;
    ro.requireLabels = false;
    Corpus corpus = readRole({test}, ro, role, std::cerr);
    if (limit >= 0 && size_t(limit) < corpus.examples.size())
      corpus.examples.resize(size_t(limit));
    LabelIndex labels(c.config.labels);
    Encoded data = encodeCorpus(c.featurizer(), corpus, &labels,
                                /*unknownAsMissing=*/true);
    bool projection = data.projection.has_value();
    auto start = std::chrono::steady_clock::now();
    // Batch 1 by default: every utterance runs at its own length, as the
    // compiled library does (larger batches pad with id 0; the CNN masks
    // the padding, so the logits agree to rounding).
    torch::Tensor logits =
        predict(c.forward, data, c.minLength, batch).contiguous();
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    std::FILE *f = std::fopen(out.c_str(), "w");
    if (!f)
      throw Error("cannot write '" + out + "'");
    size_t n = data.size(), classes = size_t(logits.size(1));
    std::fprintf(f, "kdc-e2e-reference 1 %zu %zu", n, classes);
    if (projection)
      std::fprintf(f, " projection %u %lld", data.projection->num_features,
                   (long long)c.maxTokens);
    std::fprintf(f, "\n");
    const float *l = logits.data_ptr<float>();
    for (size_t i = 0; i < n; ++i) {
      const std::string &text = corpus.examples[i].text;
      if (text.find('\n') != std::string::npos)
        throw Error("utterance " + std::to_string(i) + " contains a newline");
      std::fprintf(f, "%s\n%lld", text.c_str(), (long long)data.lengths[i]);
      if (projection) {
        // The rows of the batch the network saw (batch of one, unpadded).
        torch::Tensor rows = makeBatch(data, {i}, 1).features[0];
        auto a = rows.accessor<float, 2>();
        std::string row;
        for (int64_t t = 0; t < rows.size(0); ++t) {
          row.clear();
          for (int64_t j = 0; j < rows.size(1); ++j) {
            float v = a[t][j];
            row += v > 0 ? '+' : v < 0 ? '-' : '0';
          }
          std::fprintf(f, " %s", row.c_str());
        }
      } else {
        for (int32_t id : data.ids[i])
          std::fprintf(f, " %d", int(id));
      }
      std::fprintf(f, "\n");
      for (size_t k = 0; k < classes; ++k)
        std::fprintf(f, k ? " %.9g" : "%.9g", double(l[i * classes + k]));
      std::fprintf(f, "\n");
    }
    if (std::fclose(f) != 0)
      throw Error("cannot write '" + out + "'");
    std::cerr << "kdc-e2e-reference: " << n << " utterances ("
              << data.truncated << " truncated to " << c.maxTokens
              << " tokens), " << classes << " classes, LibTorch "
              << seconds << " s (batch " << batch << "); wrote " << out
              << "\n";
  } catch (const std::exception &e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
