//===- BenchCommand.cpp - kdc bench ---------------------------------------===//
//
// `kdc bench` is a thin launcher: it checks the arguments a user can get
// wrong (flags, model names, model folders, the corpus), then runs
// bench/run.py, which does the work (bench/README.md): S-server, S-edge, the
// CNN and pQRNN students and the teacher, each in the kdc-compiled library
// (every --target this CPU runs), LibTorch eager and ONNX Runtime, side by
// side, and the report (Markdown, JSON, PNG) in --out.
//
// The script lives in kdc's source tree; its tools (kdc-bench-torch, kdcrt)
// beside this kdc. KDC_BENCH_SCRIPT and KDC_BENCH_PYTHON override the script
// and the interpreter.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "NumberChecks.h"

#include "kdc/Support/Error.h"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using namespace kdc;
using namespace kdc::driver;
namespace fs = std::filesystem;

#ifndef KDC_BENCH_SOURCE_DIR
#define KDC_BENCH_SOURCE_DIR ""
#endif
#ifndef KDC_BENCH_SHARED_DATA
#define KDC_BENCH_SHARED_DATA ""
#endif

namespace {

const std::vector<std::string> kModels = {"s-server", "s-edge", "cnn", "pqrnn",
                                          "teacher"};
const std::vector<std::string> kTargets = {"x86-64-avx2", "x86-64-avx512",
                                           "aarch64-neon", "generic"};

struct BenchOptions {
  std::string out = "bench-report";
  std::vector<std::string> models = kModels;
  std::vector<std::string> targets;
  std::vector<std::string> emit;
  std::string cnn, teacher, pqrnn, data, cache;
  bool quick = false, callgrind = false, callgrindOnly = false, dryRun = false,
       noPlots = false;
  int repetitions = 0, runs = 0, accuracy = -1, callgrindInferences = 0;
  double maxSeconds = -1;
};

fs::path selfExecutable() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p;
}

std::string findPython() {
  if (const char *env = std::getenv("KDC_BENCH_PYTHON"))
    return env;
  // Debian's interpreter: python3-matplotlib and python3-torch are its
  // packages (a pyenv python3 first on PATH has neither).
  if (access("/usr/bin/python3", X_OK) == 0)
    return "/usr/bin/python3";
  return "python3";
}

void runBench(const BenchOptions &o) {
  fs::path self = selfExecutable();
  if (self.empty())
    throw Error("bench: cannot find the kdc executable (/proc/self/exe)");
  fs::path binDir = self.parent_path();

  std::string script;
  if (const char *env = std::getenv("KDC_BENCH_SCRIPT"))
    script = env;
  else if (std::strlen(KDC_BENCH_SOURCE_DIR))
    script = (fs::path(KDC_BENCH_SOURCE_DIR) / "bench" / "run.py").string();
  if (script.empty() || !fs::exists(script))
    throw Error("bench: cannot find bench/run.py" +
                (script.empty() ? std::string() : " at '" + script + "'") +
                "; kdc bench runs from kdc's source tree (set "
                "KDC_BENCH_SCRIPT to the script)");

  std::vector<std::string> args = {findPython(), script, "--kdc",
                                   self.string(), "--tools-dir",
                                   binDir.string()};
  auto add = [&](const std::string &flag, const std::string &value) {
    if (!value.empty()) {
      args.push_back(flag);
      args.push_back(value);
    }
  };
  auto join = [](const std::vector<std::string> &v) {
    std::string s;
    for (const std::string &x : v)
      s += (s.empty() ? "" : ",") + x;
    return s;
  };
  add("--out", o.out);
  add("--models", join(o.models));
  add("--targets", join(o.targets));
  add("--emit", join(o.emit));
  add("--cnn", o.cnn);
  add("--teacher", o.teacher);
  add("--pqrnn", o.pqrnn);
  add("--cache", o.cache);
  std::string data = o.data;
  if (data.empty() && std::strlen(KDC_BENCH_SHARED_DATA))
    data = (fs::path(KDC_BENCH_SHARED_DATA) / "massive" / "en-US.jsonl").string();
  add("--data", data);
  if (o.repetitions > 0)
    add("--repetitions", std::to_string(o.repetitions));
  if (o.runs > 0)
    add("--runs", std::to_string(o.runs));
  if (o.maxSeconds >= 0) {
    std::ostringstream s;
    s << o.maxSeconds;
    add("--max-seconds", s.str());
  }
  if (o.accuracy >= 0)
    add("--accuracy", std::to_string(o.accuracy));
  if (o.callgrindInferences > 0)
    add("--callgrind-inferences", std::to_string(o.callgrindInferences));
  if (o.quick)
    args.push_back("--quick");
  if (o.callgrind)
    args.push_back("--callgrind");
  if (o.callgrindOnly)
    args.push_back("--callgrind-only");
  if (o.dryRun)
    args.push_back("--dry-run");
  if (o.noPlots)
    args.push_back("--no-plots");

  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = fork();
  if (pid < 0)
    throw Error(std::string("bench: fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    execvp(argv[0], argv.data());
    std::cerr << "kdc: error: bench: cannot run '" << argv[0]
              << "': " << std::strerror(errno)
              << " (install python3, or set KDC_BENCH_PYTHON)\n";
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    std::exit(1); // the child said why
  // run.py printed its own "kdc bench: error: ..." line.
  std::exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

} // namespace

void kdc::driver::addBenchCommand(CLI::App &app, std::vector<Action> &actions) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App *cmd = app.add_subcommand(
      "bench", "Side-by-side benchmark: kdc-compiled libraries vs LibTorch "
               "eager and ONNX Runtime (latency, size, accuracy)");
  cmd->add_option("--out", o->out, "Report folder (report.md, report.json, "
                                   "*.png; created)")
      ->capture_default_str();
  cmd->add_option("--models", o->models,
                  "Models to run, comma-separated: s-server, s-edge (fixed-shape "
                  "ConvNets, fixed-seed weights), cnn, pqrnn (students), teacher")
      ->delimiter(',')
      ->check(CLI::IsMember(kModels))
      ->capture_default_str();
  cmd->add_option("--targets", o->targets,
                  "kdc compile --target list (default: every target this CPU "
                  "runs)")
      ->delimiter(',')
      ->check(CLI::IsMember(kTargets));
  cmd->add_option("--emit", o->emit,
                  "kdc compile --emit forms, each a kdc variant: c++ (the "
                  "generated C++, built with the host compiler) and obj (the "
                  "object kdc writes with LLVM) (default: both)")
      ->delimiter(',')
      ->check(CLI::IsMember({"c++", "obj"}));
  cmd->add_option("--cnn", o->cnn,
                  "CNN student folder (default: build/demo/student, from "
                  "scripts/demo.sh)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--teacher", o->teacher,
                  "Teacher folder (default: build/demo/teacher)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--pqrnn", o->pqrnn,
                  "pQRNN student folder (default: build/demo/pqrnn)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--data", o->data,
                  "MASSIVE en-US JSONL; its test split is the input set "
                  "(default: the shared data's massive/en-US.jsonl)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--repetitions", o->repetitions,
                  "Repetitions per configuration (default 3; --quick 2)")
      ->check(between(o->repetitions, 1, 1 << 30));
  cmd->add_option("--runs", o->runs,
                  "Inferences per repetition (default 1000; --quick 50); "
                  "batch 32 makes ceil(runs / 32) calls")
      ->check(between(o->runs, 1, 1 << 30));
  cmd->add_option("--max-seconds", o->maxSeconds,
                  "Time cap per configuration (all its repetitions): a slower "
                  "one runs fewer inferences, at least 100 per repetition, and "
                  "is marked 'capped' (default 40, --quick 10; 0: no cap)")
      ->check(nonNegative(o->maxSeconds));
  cmd->add_option("--accuracy", o->accuracy,
                  "Test utterances scored per engine (default: all; 0: all)")
      ->check(nonNegative(o->accuracy));
  cmd->add_option("--cache", o->cache,
                  "Folder for the generated S-server/S-edge models and "
                  "tokenizer (default: ~/.cache/kdc/bench)");
  cmd->add_flag("--quick", o->quick,
                "Few runs and utterances: checks the pipeline, not a "
                "measurement");
  cmd->add_flag("--callgrind", o->callgrind,
                "Also count instructions per inference of S-edge and the CNN "
                "student under valgrind --tool=callgrind");
  cmd->add_flag("--callgrind-only", o->callgrindOnly,
                "Only the instruction counts (no timing, no accuracy); what "
                "test/bench/callgrind.test runs");
  cmd->add_option("--callgrind-inferences", o->callgrindInferences,
                  "Inferences counted by --callgrind (default 50)")
      ->check(between(o->callgrindInferences, 1, 1 << 30));
  cmd->add_flag("--dry-run", o->dryRun,
                "Print what would run and what is skipped (and why), then stop");
  cmd->add_flag("--no-plots", o->noPlots, "Write report.md and report.json only");
  cmd->callback([&actions, o] { actions.push_back([o] { runBench(*o); }); });
}
