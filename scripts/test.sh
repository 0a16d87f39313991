#!/usr/bin/env bash
# Builds kdc (if needed) and runs every test: the GoogleTest unit tests
# through ctest, and the lit/FileCheck suite. Ends with one line
# "N passed, N failed" counting both.
#
# Environment: KDC_BUILD_DIR (default: build), KDC_JOBS (default: nproc).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${KDC_BUILD_DIR:-$here/build}"
jobs="${KDC_JOBS:-$(nproc)}"
lit="${LLVM_EXTERNAL_LIT:-/usr/lib/llvm-19/build/utils/lit/lit.py}"
results="$build_dir/test-results"

if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$here" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${KDC_BUILD_TYPE:-Release}" || exit 1
fi
cmake --build "$build_dir" -j "$jobs" || { echo "0 passed, 1 failed (build)"; exit 1; }

rm -rf "$results" && mkdir -p "$results"
status=0

echo "== unit tests (ctest)"
ctest --test-dir "$build_dir" -j "$jobs" --output-on-failure \
  --output-junit "$results/unit.xml" || status=1

if [ -f "$build_dir/test/lit.site.cfg.py" ]; then
  echo "== lit tests"
  python3 "$lit" -sv --xunit-xml-output "$results/lit.xml" "$build_dir/test" || status=1
fi

# One closing line over both runners, read from their JUnit reports.
python3 - "$results" <<'PY' || status=1
import glob, sys
import xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.xml"):
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            failed += 1
        elif "skipped" in kinds or case.get("status") in ("notrun", "disabled"):
            skipped += 1
        else:
            passed += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed or passed == 0 else 0)
PY
exit $status
