//===- FileIO.cpp - writing files that never appear half-written ----------===//

#include "kdc/Support/FileIO.h"

#include "kdc/Support/Error.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

void kdc::writeFileAtomically(const std::string &path,
                              const std::function<void(std::ostream &)> &write) {
  std::string tmp = path + ".tmp";
  std::error_code ignored;
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f)
      throw Error("cannot write '" + tmp + "': " + std::strerror(errno));
    try {
      write(f);
    } catch (...) { // the writer's own error, and no half file left behind
      f.close();
      fs::remove(tmp, ignored);
      throw;
    }
    f.close();
    if (!f) {
      fs::remove(tmp, ignored);
      throw Error("cannot write '" + tmp + "' (is the disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ignored);
    throw Error("cannot write '" + path + "': " + ec.message());
  }
}
