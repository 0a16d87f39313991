# lit configuration for kdc: FileCheck tests of the dialect, passes, import,
# conversion, emission and the driver.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "kdc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kdc_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "Inputs"]

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
llvm_config.add_tool_substitutions(
    ["kdc-opt", "kdc-onnx-gen", "kdc-torchscript-gen", "kdc"], [config.kdc_tools_dir, config.llvm_tools_dir])
config.substitutions.append(("%shared_data", config.kdc_shared_data))
if config.kdc_training.upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("training")
# Generated libraries (test/Target) are built with the host compiler against
# the runtime's headers and static library; their numerical reference is
# NumPy, which Debian's python3-torch pulls into /usr/bin/python3.
config.substitutions.append(("%runtime_include",
                             os.path.join(config.kdc_src_root, "runtime", "include")))
config.substitutions.append(("%kdcrt", os.path.join(config.kdc_obj_root, "lib", "libkdcrt.a")))
llvm_config.add_tool_substitutions(["kdc-bpe-train"], [config.kdc_tools_dir])
# test/cmake: install this build tree and build examples/ against it.
config.substitutions.append(("%kdc_obj_root", config.kdc_obj_root))
config.substitutions.append(("%kdc_src_root", config.kdc_src_root))
# Which generated code this machine runs: kdc's own answer (kdc targets),
# the one kdc compile --target host, the demo and kdc bench use.
import subprocess as _subprocess
try:
    _runnable = _subprocess.run([os.path.join(config.kdc_tools_dir, "kdc"), "targets", "--runnable"],
                                capture_output=True, text=True, timeout=60).stdout.split()
except OSError:
    _runnable = []
# kdc targets --runnable lists the widest first.
config.substitutions.append(("%host_target", _runnable[0] if _runnable else "generic"))
if "x86-64-avx2" in _runnable:
    config.available_features.add("host-avx2")
if "x86-64-avx512" in _runnable:
    config.available_features.add("host-avx512")
# Cross builds of generated libraries (test/Target/cross-*.test): AArch64
# Linux run under qemu-user with the target's libraries, and Cortex-M4F
# compiled only. Without the tools those tests are UNSUPPORTED.
import shutil as _shutil
if all(_shutil.which(t) for t in ("aarch64-linux-gnu-gcc", "aarch64-linux-gnu-g++",
                                   "aarch64-linux-gnu-ar", "qemu-aarch64")) \
        and os.path.isdir("/usr/aarch64-linux-gnu"):
    config.available_features.add("aarch64-cross")
if all(_shutil.which(t) for t in ("arm-none-eabi-gcc", "arm-none-eabi-g++",
                                   "arm-none-eabi-size")):
    config.available_features.add("arm-none-eabi")
# qemu-arm (Linux user mode) runs the Thumb-2/VFPv4 code of a Cortex-M4F
# image linked with Target/Inputs/qemu_arm_runner.c.
if _shutil.which("qemu-arm"):
    config.available_features.add("qemu-arm")
import subprocess as _subprocess
if _subprocess.run(["/usr/bin/python3", "-c", "import numpy"],
                   stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL).returncode == 0:
    config.available_features.add("python-numpy")
# torch.onnx.export reference models (test/Import/pytorch): Debian's
# python3-torch, installed for /usr/bin/python3. Importing torch takes a few
# seconds, so it is probed once here.
import subprocess

config.substitutions.append(("%torch_python", "/usr/bin/python3"))
try:
    if subprocess.run(["/usr/bin/python3", "-c", "import torch"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                      timeout=120).returncode == 0:
        config.available_features.add("python-torch")
except (OSError, subprocess.TimeoutExpired):
    pass
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
