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
    ["kdc-opt", "kdc-onnx-gen", "kdc"], [config.kdc_tools_dir, config.llvm_tools_dir])
config.substitutions.append(("%shared_data", config.kdc_shared_data))
if config.kdc_training.upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("training")
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
