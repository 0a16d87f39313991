//===- kdc-torchscript-gen.cpp - TorchScript source -> .pt ----------------===//
//
// Writes a TorchScript module for the lit tests of TorchScript teachers,
// without Python:
//
//   kdc-torchscript-gen SOURCE --vocab V --classes C -o OUT.pt
//
// The module has parameters w [V, C] and b [C] (seeded normal draws) and the
// methods SOURCE defines (e.g. "def forward(self, ids, mask): ...").
//
//===----------------------------------------------------------------------===//

#include <torch/script.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char **argv) {
  std::string source, out;
  int64_t vocab = 0, classes = 0;
  bool ok = true;
  for (int i = 1; ok && i < argc; ++i) {
    std::string arg = argv[i];
    bool hasValue = i + 1 < argc;
    if (arg == "--vocab" && hasValue)
      vocab = std::atoll(argv[++i]);
    else if (arg == "--classes" && hasValue)
      classes = std::atoll(argv[++i]);
    else if (arg == "-o" && hasValue)
      out = argv[++i];
    else if (source.empty() && arg[0] != '-')
      source = arg;
    else
      ok = false;
  }
  if (!ok || source.empty() || out.empty() || vocab <= 0 || classes <= 0) {
    std::cerr << "usage: kdc-torchscript-gen SOURCE --vocab V --classes C "
                 "-o OUT.pt\n";
    return 2;
  }
  std::ifstream in(source);
  if (!in) {
    std::cerr << "kdc-torchscript-gen: cannot open '" << source << "'\n";
    return 1;
  }
  std::stringstream code;
  code << in.rdbuf();
  try {
    torch::manual_seed(1);
    torch::jit::Module m("Teacher");
    m.register_parameter("w", torch::randn({vocab, classes}), false);
    m.register_parameter("b", torch::randn({classes}), false);
    m.define(code.str());
    m.save(out);
  } catch (const c10::Error &e) {
    std::cerr << "kdc-torchscript-gen: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "kdc-torchscript-gen: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
