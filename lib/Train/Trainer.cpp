//===- Trainer.cpp - the training loop ------------------------------------===//

#include "Trainer.h"

#include "kdc/Support/Error.h"
#include "kdc/Support/FileIO.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <ostream>
#include <random>

using namespace kdc::train;
namespace fs = std::filesystem;

void kdc::train::saveModule(torch::nn::Module &module, const std::string &path) {
  torch::serialize::OutputArchive archive;
  module.save(archive);
  kdc::writeFileAtomically(path, [&](std::ostream &os) { archive.save_to(os); });
}

namespace {
std::string shapeString(at::IntArrayRef sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i)
    out += (i ? ", " : "") + std::to_string(sizes[i]);
  return out + "]";
}

/// Module::load copies a tensor of any shape into a parameter; a weight file
/// of another model must be an error that names the tensor instead.
void loadChecked(torch::nn::Module &module,
                 torch::serialize::InputArchive &archive,
                 const std::string &path, const std::string &prefix) {
  torch::NoGradGuard noGrad;
  auto check = [&](const std::string &name, torch::Tensor &dst, bool buffer) {
    torch::Tensor src;
    if (!archive.try_read(name, src, buffer))
      throw kdc::Error("model weights '" + path + "' have no tensor '" +
                       prefix + name + "': they belong to another model");
    if (src.sizes() != dst.sizes())
      throw kdc::Error("model weights '" + path + "': tensor '" + prefix +
                       name + "' has shape " + shapeString(src.sizes()) +
                       ", the model expects " + shapeString(dst.sizes()) +
                       " (weights of a model of another shape)");
    dst.copy_(src);
  };
  for (auto &p : module.named_parameters(/*recurse=*/false))
    check(p.key(), p.value(), false);
  for (auto &b : module.named_buffers(/*recurse=*/false))
    check(b.key(), b.value(), true);
  for (auto &child : module.named_children()) {
    torch::serialize::InputArchive sub;
    if (!archive.try_read(child.key(), sub))
      throw kdc::Error("model weights '" + path + "' have no module '" +
                       prefix + child.key() + "': they belong to another model");
    loadChecked(*child.value(), sub, path, prefix + child.key() + ".");
  }
}
} // namespace

void kdc::train::loadModule(torch::nn::Module &module, const std::string &path) {
  if (!fs::exists(path))
    throw kdc::Error("cannot open model weights '" + path +
                     "': no such file");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    loadChecked(module, archive, path, "");
  } catch (const c10::Error &e) {
    throw kdc::Error("cannot load model weights '" + path +
                     "': the file is damaged or belongs to a model of "
                     "another shape (" +
                     e.what_without_backtrace() + ")");
  }
}

namespace {
/// Training state that must survive a kill, besides model and optimizer.
struct State {
  int64_t epochsDone = 0, bestEpoch = 0, badEpochs = 0, step = 0;
  int64_t finished = 0;
  double bestScore = -INFINITY;
};

void setLearningRate(torch::optim::Optimizer &opt, double lr) {
  for (auto &group : opt.param_groups())
    group.options().set_lr(lr);
}

void saveCheckpoint(const std::string &path, torch::nn::Module &model,
                    torch::optim::Optimizer &opt, const State &s) {
  torch::serialize::OutputArchive archive, modelArchive, optArchive;
  model.save(modelArchive);
  opt.save(optArchive);
  archive.write("model", modelArchive);
  archive.write("optimizer", optArchive);
  archive.write("state", torch::tensor({s.epochsDone, s.bestEpoch, s.badEpochs,
                                        s.step, s.finished},
                                       torch::kInt64));
  archive.write("best", torch::tensor({s.bestScore}, torch::kFloat64));
  // A kill or a full disk leaves the old checkpoint or the new one.
  kdc::writeFileAtomically(path, [&](std::ostream &os) { archive.save_to(os); });
}

State loadCheckpoint(const std::string &path, torch::nn::Module &model,
                     torch::optim::Optimizer &opt) {
  State s;
  try {
    torch::serialize::InputArchive archive, modelArchive, optArchive;
    archive.load_from(path);
    archive.read("model", modelArchive);
    archive.read("optimizer", optArchive);
    loadChecked(model, modelArchive, path, "");
    opt.load(optArchive);
    torch::Tensor state, best;
    archive.read("state", state);
    archive.read("best", best);
    auto v = state.accessor<int64_t, 1>();
    s.epochsDone = v[0], s.bestEpoch = v[1], s.badEpochs = v[2],
    s.step = v[3], s.finished = v[4];
    s.bestScore = best.item<double>();
  } catch (const c10::Error &e) {
    throw kdc::Error("cannot resume from '" + path +
                     "': the checkpoint is damaged or was written for "
                     "another model (" +
                     e.what_without_backtrace() + ")");
  }
  return s;
}
} // namespace

TrainResult kdc::train::train(torch::nn::Module &model, size_t numExamples,
                              const TrainHooks &hooks,
                              const TrainerOptions &o, std::ostream &log) {
  if (numExamples == 0)
    throw kdc::Error("no training examples");
  fs::create_directories(o.outDir);
  std::string ckpt = (fs::path(o.outDir) / "checkpoint.pt").string();
  std::string best = (fs::path(o.outDir) / "model.pt").string();

  std::unique_ptr<torch::optim::Optimizer> opt;
  if (o.adamw)
    opt = std::make_unique<torch::optim::AdamW>(
        model.parameters(),
        torch::optim::AdamWOptions(o.learningRate).weight_decay(o.weightDecay));
  else
    opt = std::make_unique<torch::optim::Adam>(
        model.parameters(),
        torch::optim::AdamOptions(o.learningRate).weight_decay(o.weightDecay));

  State s;
  if (fs::exists(ckpt)) {
    if (!o.resume)
      throw kdc::Error("'" + o.outDir +
                       "' already holds a training checkpoint; pass --resume "
                       "to continue it, or choose another --out");
    s = loadCheckpoint(ckpt, model, *opt);
    log << "resuming from " << ckpt << " after epoch " << s.epochsDone << "\n";
  }

  int64_t batchesPerEpoch =
      (int64_t(numExamples) + o.batchSize - 1) / o.batchSize;
  int64_t warmupSteps = int64_t(std::ceil(o.warmupEpochs * batchesPerEpoch));
  int64_t totalSteps = int64_t(o.epochs) * batchesPerEpoch;

  TrainResult r;
  int ranThisCall = 0;
  size_t examplesSeen = 0;
  auto start = std::chrono::steady_clock::now();
  std::ofstream jsonLog((fs::path(o.outDir) / "train-log.jsonl").string(),
                        std::ios::app);

  while (!s.finished && s.epochsDone < o.epochs) {
    if (o.stopAfterEpochs && ranThisCall == o.stopAfterEpochs)
      break;
    int64_t epoch = s.epochsDone + 1;
    auto epochStart = std::chrono::steady_clock::now();
    // Everything random in an epoch derives from (seed, epoch): a resumed
    // run replays exactly what the uninterrupted one would have done.
    torch::manual_seed(o.seed * 1000003ull + uint64_t(epoch));
    std::vector<size_t> order(numExamples);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(o.seed * 7919ull + uint64_t(epoch));
    std::shuffle(order.begin(), order.end(), rng);

    model.train();
    double lossSum = 0;
    for (int64_t b = 0; b < batchesPerEpoch; ++b) {
      size_t lo = size_t(b * o.batchSize);
      size_t hi = std::min(numExamples, lo + size_t(o.batchSize));
      std::vector<size_t> idx(order.begin() + lo, order.begin() + hi);
      double lr = o.learningRate;
      if (s.step < warmupSteps)
        lr *= double(s.step + 1) / double(warmupSteps);
      else if (o.linearDecay)
        lr *= std::max(0.0, double(totalSteps - s.step) /
                                double(std::max<int64_t>(1, totalSteps - warmupSteps)));
      setLearningRate(*opt, lr);
      opt->zero_grad();
      torch::Tensor loss = hooks.loss(hooks.makeBatch(idx));
      loss.backward();
      if (o.clipNorm > 0)
        torch::nn::utils::clip_grad_norm_(model.parameters(), o.clipNorm);
      opt->step();
      lossSum += loss.item<double>() * double(hi - lo);
      ++s.step;
    }
    examplesSeen += numExamples;

    double dev;
    {
      torch::NoGradGuard noGrad;
      model.eval();
      dev = hooks.devScore();
      model.train();
    }
    double secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - epochStart)
                      .count();
    s.epochsDone = epoch;
    if (dev > s.bestScore) {
      s.bestScore = dev, s.bestEpoch = epoch, s.badEpochs = 0;
      saveModule(model, best);
    } else if (++s.badEpochs >= o.patience) {
      s.finished = 1;
    }
    if (s.epochsDone >= o.epochs)
      s.finished = 1;
    saveCheckpoint(ckpt, model, *opt, s);
    ++ranThisCall;

    char line[256];
    std::snprintf(line, sizeof line,
                  "epoch %3lld  loss %.5f  dev %.4f  best %.4f (epoch %lld)  "
                  "%.1fs  %.0f utt/s%s\n",
                  (long long)epoch, lossSum / double(numExamples), dev,
                  s.bestScore, (long long)s.bestEpoch, secs,
                  double(numExamples) / secs,
                  s.finished && s.epochsDone < o.epochs ? "  (early stop)" : "");
    log << line << std::flush;
    jsonLog << "{\"epoch\": " << epoch
            << ", \"train_loss\": " << lossSum / double(numExamples)
            << ", \"dev\": " << dev << ", \"seconds\": " << secs
            << ", \"examples_per_second\": " << double(numExamples) / secs
            << "}\n"
            << std::flush;
  }

  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            start)
                  .count();
  r.examplesPerSecond = r.seconds > 0 ? double(examplesSeen) / r.seconds : 0;
  r.epochsDone = int(s.epochsDone);
  r.bestEpoch = int(s.bestEpoch);
  r.bestScore = s.bestScore;
  r.finished = s.finished != 0;
  // The caller continues with the best weights, not the last ones.
  if (fs::exists(best))
    loadModule(model, best);
  return r;
}
