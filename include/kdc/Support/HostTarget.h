//===- HostTarget.h - kdc's targets and which of them this CPU runs -*- C++ -*-===//
//
// One answer to "what does this machine run?" for `kdc compile --target
// host`, `kdc targets`, the demo, the lit features host-avx2/host-avx512 and
// kdc bench, which used to read /proc/cpuinfo each their own way.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_SUPPORT_HOSTTARGET_H
#define KDC_SUPPORT_HOSTTARGET_H

#include <string>
#include <string_view>
#include <vector>

namespace kdc {

struct CodegenTarget {
  const char *name;
  const char *kernels; // what the generated code calls, one line
};

/// kdc compile's targets, in the order `kdc targets` lists them.
const std::vector<CodegenTarget> &codegenTargets();

/// Whether code kdc compiles for `target` runs on this machine: the CPU has
/// the instructions and the OS saves their registers (x86: CPUID and XCR0,
/// as GCC's __builtin_cpu_supports checks them). cortex-m4 never does.
bool runsOnHost(std::string_view target);

/// The widest target this machine runs: x86-64-avx512, x86-64-avx2,
/// aarch64-neon or generic. What `--target host` means.
std::string widestHostTarget();

} // namespace kdc

#endif // KDC_SUPPORT_HOSTTARGET_H
