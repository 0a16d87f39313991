//===- kdc.cpp - the kdc driver -------------------------------------------===//
//
// One driver, one subcommand per pipeline step. The driver only parses
// arguments; the libraries under lib/ do the work. A subcommand is listed
// here only once it works end to end.
//
//===----------------------------------------------------------------------===//

#include "kdc/Version.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char **argv) {
  CLI::App app{"kdc: distil Transformer text classifiers into tiny students "
               "and compile them to C++ or object code",
               "kdc"};
  app.set_version_flag("--version", std::string("kdc ") + KDC_VERSION_STRING);
  app.require_subcommand(0, 1);
  app.footer("Run 'kdc SUBCOMMAND --help' for the options of a subcommand.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return 0;
  }
  return 0;
}
