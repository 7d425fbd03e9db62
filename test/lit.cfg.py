# lit configuration for fourfold: every .mlir under test/ is a test.
import glob
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "fourfold"
config.test_format = lit.formats.ShTest()
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.fourfold_obj_root, "test")
config.excludes = ["python", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]

llvm_config.with_system_environment(["HOME", "PATH", "TMPDIR"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.fourfold_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PYTHONPATH", config.fourfold_python_dir, append_path=True)

tools = ["fourfold-opt", "FileCheck", "not", "count"]
llvm_config.add_tool_substitutions(tools, [config.fourfold_tools_dir, config.llvm_tools_dir])
config.substitutions.append(("%python", config.python_executable))

# ptxas assembles the PTX we emit; tests that need it say `REQUIRES: ptxas`.
if shutil.which("ptxas"):
    config.available_features.add("ptxas")

# A CUDA toolkit with libdevice (for math functions on the GPU): `REQUIRES: cuda-toolkit`, and
# %cuda_toolkit is its root.
def find_cuda_toolkit():
    roots = [os.environ.get(v) for v in ("CUDA_HOME", "CUDA_PATH")]
    roots += sorted(glob.glob("/usr/local/cuda*"), reverse=True)
    for root in filter(None, roots):
        if os.path.exists(os.path.join(root, "nvvm", "libdevice", "libdevice.10.bc")):
            return root
    return None


toolkit = find_cuda_toolkit()
if toolkit:
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%cuda_toolkit", toolkit))
