#!/usr/bin/env bash
# Installs kdc's dependencies from Debian 12's packages and builds kdc.
# Idempotent: packages already present are not reinstalled, and the build is
# incremental (ccache makes a rebuild from a clean tree cheap too).
#
#   scripts/setup.sh            install + configure + build (Release) into ./build
#   scripts/setup.sh --deps     install the packages only
#
# Environment: KDC_BUILD_DIR (default: build), KDC_BUILD_TYPE (default: Release),
# KDC_JOBS (default: nproc).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${KDC_BUILD_DIR:-$here/build}"
build_type="${KDC_BUILD_TYPE:-Release}"
jobs="${KDC_JOBS:-$(nproc)}"

# Why each package is here: see README.md, "Dependencies".
packages=(
  # build
  cmake ninja-build ccache g++ clang-19 python3
  # compiler: MLIR/LLVM 19, lit + FileCheck
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  # training
  libtorch-dev libopenblas-dev
  # ONNX in and out
  libonnx-dev libprotobuf-dev protobuf-compiler
  # libraries used by the driver, the tokenizer and the tests
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libsentencepiece-dev libcli11-dev nlohmann-json3-dev zlib1g-dev libzstd-dev
  libicu-dev  # kdc augment: grapheme clusters (Thai letters with their marks)
  # cross targets: aarch64 (run under qemu) and Cortex-M
  g++-aarch64-linux-gnu qemu-user gcc-arm-none-eabi libnewlib-arm-none-eabi
  python3-torch  # tests: torch.onnx.export reference models (test/Import/pytorch)
  # kdc bench: its plots (bench/plots.py) and its instruction counts (--callgrind)
  python3-matplotlib valgrind
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${#missing[@]} packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# LibTorch links libblas.so.3 / liblapack.so.3; with Debian's reference BLAS
# behind them its convolutions and GEMMs are 10-20x slower than with OpenBLAS.
arch_triplet="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
for lib in libblas.so.3 liblapack.so.3; do
  target="/usr/lib/$arch_triplet/openblas-pthread/$lib"
  if [ -e "$target" ]; then
    "${sudo_cmd[@]}" update-alternatives --set "$lib-$arch_triplet" "$target" >/dev/null
  fi
done

# ONNX Runtime (npm's onnxruntime-node, prebuilt, no install scripts) is the
# reference for the export tests and for kdc bench; kdc itself never links it.
if command -v npm >/dev/null; then
  (cd "$here/test/onnxruntime" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error) ||
    echo "setup.sh: npm install failed; the ONNX Runtime checks and kdc bench's ONNX Runtime column will be skipped" >&2
else
  echo "setup.sh: no npm; the ONNX Runtime checks and kdc bench's ONNX Runtime column will be skipped" >&2
fi

[ "${1:-}" = "--deps" ] && exit 0

cmake -S "$here" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type"
cmake --build "$build_dir" -j "$jobs"
