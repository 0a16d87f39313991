//===- Dataset.cpp - encoded corpora and batches --------------------------===//

#include "Dataset.h"

#include "kdc/Data/LogitsStore.h"
#include "kdc/Support/Error.h"
#include "kdc/runtime/status.h"

#include <torch/torch.h>

#include <algorithm>
#include <set>
#include <ostream>

using namespace kdc;
using namespace kdc::train;

Encoded Encoded::emptyLike() const {
  Encoded out;
  out.projection = projection;
  return out;
}

void Encoded::append(const Encoded &other, size_t i) {
  if (other.projection)
    texts.push_back(other.texts[i]);
  else
    ids.push_back(other.ids[i]);
  lengths.push_back(other.lengths[i]);
  labels.push_back(other.labels[i]);
  locales.push_back(other.locales[i]);
}

Encoded kdc::train::encodeTexts(const Featurizer &featurizer,
                                const std::vector<std::string_view> &texts,
                                const std::function<std::string(size_t)> &where) {
  Encoded out;
  out.projection = featurizer.projection;
  out.lengths.reserve(texts.size());
  std::vector<int32_t> ids;
  std::vector<uint8_t> scratch;
  for (size_t i = 0; i < texts.size(); ++i) {
    int64_t count;
    if (featurizer.projection) {
      int status = kdc_projection_count_tokens(
          &*featurizer.projection, texts[i].data(), texts[i].size());
      if (status < 0)
        throw Error(where(i) + ": cannot split the utterance into tokens: " +
                    kdc_status_string(status));
      count = status;
    } else {
      int status = featurizer.bpe->encode(texts[i], ids, scratch);
      if (status < 0)
        throw Error(where(i) + ": cannot tokenize the utterance: " +
                    kdc_status_string(status));
      count = int64_t(ids.size());
    }
    if (count == 0)
      throw Error(where(i) + ": the utterance has no tokens");
    if (count > featurizer.maxTokens) {
      count = featurizer.maxTokens;
      ++out.truncated;
    }
    if (featurizer.projection) {
      out.texts.emplace_back(texts[i]);
    } else {
      ids.resize(size_t(count));
      out.ids.push_back(ids);
    }
    out.lengths.push_back(count);
  }
  out.labels.assign(texts.size(), -1);
  out.locales.assign(texts.size(), "");
  return out;
}

Encoded kdc::train::encodeCorpus(const Featurizer &featurizer,
                                 const Corpus &corpus, const LabelIndex *labels,
                                 bool unknownAsMissing) {
  std::vector<std::string_view> texts;
  texts.reserve(corpus.size());
  for (const Example &e : corpus.examples)
    texts.push_back(e.text);
  Encoded out = encodeTexts(featurizer, texts, [&](size_t i) {
    return corpus.where(corpus.examples[i]);
  });
  for (size_t i = 0; i < corpus.size(); ++i) {
    const Example &e = corpus.examples[i];
    out.locales[i] = e.locale;
    if (!labels || e.label.empty())
      continue;
    if (std::optional<size_t> id = labels->find(e.label))
      out.labels[i] = int64_t(*id);
    else if (!unknownAsMissing)
      throw Error(corpus.where(e) + ": label '" + e.label +
                  "' is not one of the model's " +
                  std::to_string(labels->size()) + " classes");
  }
  return out;
}

namespace {
Featurizer bpeFeaturizer(const tokenizer::BpeTokenizer &tok, int64_t maxTokens) {
  Featurizer f;
  // Not owned: the caller's tokenizer outlives the call.
  f.bpe = std::shared_ptr<tokenizer::BpeTokenizer>(
      std::shared_ptr<tokenizer::BpeTokenizer>(),
      const_cast<tokenizer::BpeTokenizer *>(&tok));
  f.maxTokens = maxTokens;
  return f;
}
} // namespace

Encoded kdc::train::encodeTexts(const tokenizer::BpeTokenizer &tok,
                                const std::vector<std::string_view> &texts,
                                int64_t maxTokens,
                                const std::function<std::string(size_t)> &where) {
  return encodeTexts(bpeFeaturizer(tok, maxTokens), texts, where);
}

Encoded kdc::train::encodeCorpus(const tokenizer::BpeTokenizer &tok,
                                 const Corpus &corpus, const LabelIndex *labels,
                                 int64_t maxTokens, bool unknownAsMissing) {
  return encodeCorpus(bpeFeaturizer(tok, maxTokens), corpus, labels,
                      unknownAsMissing);
}

Batch kdc::train::makeBatch(const Encoded &data, const std::vector<size_t> &rows,
                            int64_t minLength, const LogitsReader *teacher,
                            const std::vector<size_t> *teacherRows) {
  int64_t len = minLength;
  for (size_t r : rows)
    len = std::max<int64_t>(len, data.lengths[r]);
  int64_t b = int64_t(rows.size());
  torch::Tensor lengths = torch::empty({b}, torch::kInt64);
  torch::Tensor labels = torch::empty({b}, torch::kInt64);
  for (int64_t i = 0; i < b; ++i) {
    lengths[i] = data.lengths[rows[size_t(i)]];
    labels[i] = data.labels[rows[size_t(i)]];
  }
  Batch batch{{}, lengths, labels, {}, {}};
  if (data.projection) {
    // The rows the generated library computes from the same text with the
    // same call (max_tokens = the model's), zero rows past them.
    const kdc_projection_config_t &cfg = *data.projection;
    int64_t p = cfg.num_features;
    batch.features = torch::zeros({b, len, p}, torch::kFloat32);
    float *out = batch.features.data_ptr<float>();
    for (int64_t i = 0; i < b; ++i) {
      size_t r = rows[size_t(i)];
      const std::string &text = data.texts[r];
      int written = kdc_projection_features(&cfg, text.data(), text.size(),
                                            out + i * len * p,
                                            size_t(data.lengths[r]), size_t(p));
      if (written != data.lengths[r])
        throw Error("internal error: the projection of utterance " +
                    std::to_string(r) + " gave " + std::to_string(written) +
                    " rows instead of " + std::to_string(data.lengths[r]));
    }
  } else {
    batch.ids = torch::zeros({b, len}, torch::kInt64);
    auto idsA = batch.ids.accessor<int64_t, 2>();
    for (int64_t i = 0; i < b; ++i) {
      const std::vector<int32_t> &row = data.ids[rows[size_t(i)]];
      for (size_t t = 0; t < row.size(); ++t)
        idsA[i][int64_t(t)] = row[t];
    }
  }
  if (teacher) {
    int64_t c = int64_t(teacher->numClasses());
    batch.teacher = torch::empty({b, c}, torch::kFloat32);
    float *out = batch.teacher.data_ptr<float>();
    for (int64_t i = 0; i < b; ++i) {
      size_t r = rows[size_t(i)];
      teacher->logits(teacherRows ? (*teacherRows)[r] : r, out + i * c);
    }
  }
  return batch;
}

torch::Tensor kdc::train::predict(
    const std::function<torch::Tensor(const Batch &)> &forward,
    const Encoded &data, int64_t minLength, int64_t batchSize) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> parts;
  for (size_t lo = 0; lo < data.size(); lo += size_t(batchSize)) {
    std::vector<size_t> rows;
    for (size_t r = lo; r < std::min(data.size(), lo + size_t(batchSize)); ++r)
      rows.push_back(r);
    parts.push_back(forward(makeBatch(data, rows, minLength)));
  }
  return torch::cat(parts, 0);
}

Corpus kdc::train::readRole(const std::vector<std::string> &files,
                            const ReadOptions &opts, const std::string &role,
                            std::ostream &log) {
  Corpus corpus = readCorpora(files, opts);
  if (!role.empty()) {
    // Per file: does it have several partitions, one of them the role's?
    std::vector<std::set<std::string>> partsOf(corpus.paths.size());
    for (const Example &e : corpus.examples)
      if (e.source < partsOf.size())
        partsOf[e.source].insert(e.partition);
    auto filtered = [&](size_t source) {
      return source < partsOf.size() && partsOf[source].size() > 1 &&
             partsOf[source].count(role);
    };
    size_t before = corpus.size();
    std::vector<Example> kept;
    for (Example &e : corpus.examples)
      if (!filtered(e.source) || e.partition.empty() || e.partition == role)
        kept.push_back(std::move(e));
    corpus.examples = std::move(kept);
    if (corpus.size() != before)
      log << "using the " << corpus.size() << " '" << role
          << "' utterances of " << before << " in the " << role << " data\n";
  }
  if (corpus.empty())
    throw Error("no utterances to use as " + (role.empty() ? "data" : role) +
                " data");
  return corpus;
}
