//===- TargetsCommand.cpp - kdc targets -----------------------------------===//
//
// Lists kdc compile's targets and which of them this machine runs. Scripts
// ask it instead of reading /proc/cpuinfo: --host prints what
// `--target host` means, --runnable one runnable target per line.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "kdc/Support/HostTarget.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

using namespace kdc;

namespace {
struct TargetsOptions {
  bool host = false, runnable = false;
};

void runTargets(const TargetsOptions &o) {
  if (o.host) {
    std::cout << widestHostTarget() << "\n";
    return;
  }
  for (const CodegenTarget &t : codegenTargets()) {
    bool runs = runsOnHost(t.name);
    if (o.runnable) {
      if (runs)
        std::cout << t.name << "\n";
      continue;
    }
    char line[160];
    std::snprintf(line, sizeof line, "%-14s %-10s %s", t.name,
                  runs ? "runs here" : "-", t.kernels);
    std::cout << line << "\n";
  }
  if (!o.runnable)
    std::cout << "host: " << widestHostTarget() << "\n";
}
} // namespace

void kdc::driver::addTargetsCommand(CLI::App &app, std::vector<Action> &actions) {
  auto o = std::make_shared<TargetsOptions>();
  CLI::App *cmd = app.add_subcommand(
      "targets", "List kdc compile's targets and which of them this machine runs");
  CLI::Option *host = cmd->add_flag(
      "--host", o->host, "Print only the widest target this machine runs "
                         "(what kdc compile --target host picks)");
  cmd->add_flag("--runnable", o->runnable,
                "Print the targets this machine runs, one per line")
      ->excludes(host);
  cmd->callback([&actions, o] { actions.push_back([o] { runTargets(*o); }); });
}
