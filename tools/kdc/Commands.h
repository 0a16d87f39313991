//===- Commands.h - kdc driver subcommands ----------------------*- C++ -*-===//
#ifndef KDC_TOOLS_KDC_COMMANDS_H
#define KDC_TOOLS_KDC_COMMANDS_H

#include <functional>
#include <vector>

namespace CLI {
class App;
}

namespace kdc::driver {
/// Each registers its subcommands on `app` and appends the action to run
/// when one of them was chosen.
using Action = std::function<void()>;
void addTrainCommands(CLI::App &app, std::vector<Action> &actions);
void addCompileCommands(CLI::App &app, std::vector<Action> &actions);
void addBenchCommand(CLI::App &app, std::vector<Action> &actions);
void addAugmentCommand(CLI::App &app, std::vector<Action> &actions);
void addTargetsCommand(CLI::App &app, std::vector<Action> &actions);
} // namespace kdc::driver

#endif // KDC_TOOLS_KDC_COMMANDS_H
