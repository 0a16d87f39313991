#!/usr/bin/env bash
# The main job. Today: the compiler front half on an example student (parse,
# verify, canonicalize, bit-pack the codebook weights). It grows into the
# whole pipeline (train teacher -> label -> distil -> export -> compile ->
# build -> classify) as those steps land.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${KDC_BUILD_DIR:-$here/build}/bin"
example="$here/examples/mlir/cnn-student.mlir"
echo "== kdc-opt $example --canonicalize --student-pack-bits"
"$bin/kdc-opt" "$example" --canonicalize --student-pack-bits
