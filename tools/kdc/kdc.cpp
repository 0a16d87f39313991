//===- kdc.cpp - the kdc driver -------------------------------------------===//
//
// One driver, one subcommand per pipeline step. The driver only parses
// arguments; the libraries under lib/ do the work. A subcommand is listed
// here only once it works end to end.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "kdc/Data/LogitsStore.h"
#include "kdc/Support/Error.h"
#include "kdc/Version.h"

#include <CLI/CLI.hpp>

#include <iostream>

using namespace kdc;

int main(int argc, char **argv) {
  CLI::App app{"kdc: distil Transformer text classifiers into tiny students "
               "and compile them to C++ or object code",
               "kdc"};
  app.set_version_flag("--version", std::string("kdc ") + KDC_VERSION_STRING);
  app.require_subcommand(0, 1);
  app.footer("Run 'kdc SUBCOMMAND --help' for the options of a subcommand.");

  std::vector<driver::Action> actions;
  driver::addAugmentCommand(app, actions);
#ifdef KDC_WITH_TRAINING
  driver::addTrainCommands(app, actions);
#endif
#ifdef KDC_WITH_COMPILER
  driver::addCompileCommands(app, actions);
#endif
  driver::addBenchCommand(app, actions);
  driver::addTargetsCommand(app, actions);

  std::vector<std::string> mergeInputs;
  std::string mergeOut;
  CLI::App *merge = app.add_subcommand(
      "merge-logits", "Merge the shards of 'kdc label --shard I/N' into one store");
  merge->add_option("inputs", mergeInputs, "Shard files (.kdl)")
      ->required()
      ->check(CLI::ExistingFile);
  merge->add_option("-o,--out", mergeOut, "Merged store")->required();
  merge->callback([&] {
    actions.push_back([&] {
      mergeLogitStores(mergeInputs, mergeOut);
      std::cerr << "merged " << mergeInputs.size() << " stores into " << mergeOut
                << "\n";
    });
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return 0;
  }
  try {
    for (driver::Action &action : actions)
      action();
  } catch (const kdc::Error &e) {
    std::cerr << "kdc: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception &e) {
    // Not a failure kdc anticipated: say so, rather than dressing it up.
    std::cerr << "kdc: internal error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
