//===- HostTargetTest.cpp - which targets this machine runs ---------------===//
//
// CPUID (through __builtin_cpu_supports) against an independent witness, the
// flags line the kernel writes to /proc/cpuinfo.
//
//===----------------------------------------------------------------------===//

#include "kdc/Support/HostTarget.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

using namespace kdc;

namespace {

std::set<std::string> procCpuFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0 || line.rfind("Features", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      std::set<std::string> flags;
      for (std::string w; words >> w;)
        flags.insert(w);
      return flags;
    }
  return {};
}

TEST(HostTarget, EveryListedTargetIsNamedOnce) {
  std::set<std::string> names;
  for (const CodegenTarget &t : codegenTargets()) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_STRNE(t.kernels, "");
  }
  EXPECT_EQ(names, (std::set<std::string>{"x86-64-avx512", "x86-64-avx2",
                                          "aarch64-neon", "cortex-m4",
                                          "generic"}));
}

TEST(HostTarget, GenericAlwaysRunsCortexM4AndUnknownNever) {
  EXPECT_TRUE(runsOnHost("generic"));
  EXPECT_FALSE(runsOnHost("cortex-m4"));
  EXPECT_FALSE(runsOnHost("host"));
  EXPECT_FALSE(runsOnHost(""));
  EXPECT_FALSE(runsOnHost("x86-64-avx2 "));
}

TEST(HostTarget, WidestRunsAndNoListedTargetBeforeItRuns) {
  std::string widest = widestHostTarget();
  EXPECT_TRUE(runsOnHost(widest));
  for (const CodegenTarget &t : codegenTargets()) {
    if (widest == t.name)
      break;
    EXPECT_FALSE(runsOnHost(t.name)) << t.name << " runs but " << widest
                                     << " was picked";
  }
}

TEST(HostTarget, AgreesWithProcCpuinfo) {
  std::set<std::string> flags = procCpuFlags();
  if (flags.empty())
    GTEST_SKIP() << "no /proc/cpuinfo flags line";
#if defined(__x86_64__)
  bool avx2 = flags.count("avx2") && flags.count("fma");
  EXPECT_EQ(runsOnHost("x86-64-avx2"), avx2);
  EXPECT_EQ(runsOnHost("x86-64-avx512"), avx2 && flags.count("avx512f"));
  EXPECT_FALSE(runsOnHost("aarch64-neon"));
#elif defined(__aarch64__)
  EXPECT_TRUE(runsOnHost("aarch64-neon"));
  EXPECT_FALSE(runsOnHost("x86-64-avx2"));
#endif
}

} // namespace
