#!/usr/bin/env python3
"""Cross-compiles kdcrt into a static library, for the tests that link a
generated model for another target (runtime/CMakeLists.txt is the real
build; this follows its source list: the shared sources, every kernel's
scalar.c, and the one vector variant of the target).

  build_kdcrt.py --cc aarch64-linux-gnu-gcc --ar aarch64-linux-gnu-ar \
      --runtime RUNTIME_DIR --variant neon -o OUT/libkdcrt.a [-- CFLAGS...]
"""
import argparse
import os
import subprocess
import sys


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    p = argparse.ArgumentParser()
    p.add_argument("--cc", required=True)
    p.add_argument("--ar", required=True)
    p.add_argument("--runtime", required=True, help="kdc's runtime/ folder")
    p.add_argument("--variant", default="", help="neon, avx2-fma or none")
    p.add_argument("-o", dest="out", required=True)
    a = p.parse_args(argv)

    src = os.path.join(a.runtime, "src")
    sources = [os.path.join(src, f) for f in
               ("bpe.c", "dispatch.c", "isa.c", "pack.c", "status.c", "utf8.c",
                os.path.join("f32-convbank", "common.c"))]
    # The projection featurizer, row copies and conv1d's shared checks
    # (pQRNN libraries), where this runtime has them.
    for extra_source in ("projection.c", "rows.c",
                         os.path.join("f32-conv1d", "common.c")):
        if os.path.exists(os.path.join(src, extra_source)):
            sources.append(os.path.join(src, extra_source))
    for kernel in sorted(os.listdir(src)):
        if not kernel.startswith("f32-"):
            continue
        sources.append(os.path.join(src, kernel, "scalar.c"))
        if a.variant and a.variant != "none":
            sources.append(os.path.join(src, kernel, a.variant + ".c"))

    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    objects = []
    for s in sources:
        rel = os.path.relpath(s, src).replace(os.sep, "-")
        obj = os.path.join(out_dir, rel[:-2] + ".o")
        cmd = [a.cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror",
               "-Wdouble-promotion", "-Wvla",
               "-I", os.path.join(a.runtime, "include"), "-I", src,
               *extra, "-c", s, "-o", obj]
        if subprocess.run(cmd).returncode != 0:
            print("failed: " + " ".join(cmd), file=sys.stderr)
            return 1
        objects.append(obj)
    if os.path.exists(a.out):
        os.remove(a.out)
    return subprocess.run([a.ar, "rcs", a.out, *objects]).returncode


if __name__ == "__main__":
    sys.exit(main())
