//===- TestSupport.h - folders and files for kdc's unit tests ---*- C++ -*-===//
//
// What every test binary needs and used to write for itself: where the
// source tree and the shared corpora are, a fresh scratch folder, a file's
// bytes. Header-only; add_kdc_unittest puts test/unit on the include path.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_TEST_UNIT_TESTSUPPORT_H
#define KDC_TEST_UNIT_TESTSUPPORT_H

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

namespace kdc::unittest {

/// $KDC_SOURCE_DIR, else the source tree CMake was configured from.
inline std::string sourceDir() {
  if (const char *dir = std::getenv("KDC_SOURCE_DIR"); dir && *dir)
    return dir;
  return KDC_SOURCE_DIR_DEFAULT;
}

/// $KDC_SHARED_DATA, else the shared data folder CMake was configured with
/// ("" when there is none: tests that need it skip).
inline std::string sharedDataDir() {
  if (const char *dir = std::getenv("KDC_SHARED_DATA"); dir && *dir)
    return dir;
  return KDC_SHARED_DATA_DEFAULT;
}

/// TMPDIR/PREFIX-NAME-PID, emptied; created unless `create` is false (for
/// code that must create it itself).
inline std::filesystem::path freshDir(const std::string &prefix,
                                      const std::string &name,
                                      bool create = true) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (prefix + "-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  if (create)
    std::filesystem::create_directories(dir);
  return dir;
}

/// The bytes of a file ("" if it cannot be read).
inline std::string slurp(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace kdc::unittest

#endif // KDC_TEST_UNIT_TESTSUPPORT_H
