//===- FileIOTest.cpp - writeFileAtomically -------------------------------===//

#include "kdc/Support/FileIO.h"

#include "kdc/Support/Error.h"

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

using namespace kdc;
namespace fs = std::filesystem;

namespace {

using kdc::unittest::slurp;

class FileIOTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = kdc::unittest::freshDir(
        "kdc-fileio",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

TEST_F(FileIOTest, WritesAndReplaces) {
  std::string path = (dir / "a.bin").string();
  writeFileAtomically(path, [](std::ostream &os) { os << "first"; });
  EXPECT_EQ(slurp(path), "first");
  writeFileAtomically(path, [](std::ostream &os) { os << "second"; });
  EXPECT_EQ(slurp(path), "second");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(FileIOTest, AThrowingWriterKeepsTheOldFileAndLeavesNoTemporary) {
  std::string path = (dir / "a.bin").string();
  writeFileAtomically(path, [](std::ostream &os) { os << "old"; });
  EXPECT_THROW(writeFileAtomically(path,
                                   [](std::ostream &os) {
                                     os << "half";
                                     throw std::runtime_error("writer failed");
                                   }),
               std::runtime_error);
  EXPECT_EQ(slurp(path), "old");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(FileIOTest, AMissingFolderIsAnErrorNamingTheFile) {
  std::string path = (dir / "no-such-folder" / "a.bin").string();
  try {
    writeFileAtomically(path, [](std::ostream &os) { os << "x"; });
    FAIL() << "expected kdc::Error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find(path + ".tmp"), std::string::npos)
        << e.what();
  }
}

TEST_F(FileIOTest, AFolderInTheWayIsAnErrorAndLeavesNoTemporary) {
  std::string path = (dir / "taken").string();
  fs::create_directories(dir / "taken" / "child");
  try {
    writeFileAtomically(path, [](std::ostream &os) { os << "x"; });
    FAIL() << "expected kdc::Error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("cannot write '" + path + "'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  EXPECT_TRUE(fs::is_directory(path));
}

} // namespace
