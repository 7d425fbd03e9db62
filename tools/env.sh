# Sourced by the tools/*.sh scripts: puts the build's fourfold-opt, LLVM's tools and the fourfold
# Python package on the paths.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FOURFOLD_BUILD_DIR:-$ROOT/build}
export PATH="$BUILD/bin:/usr/lib/llvm-22/bin:$PATH"
export PYTHONPATH="$BUILD/python_packages${PYTHONPATH:+:$PYTHONPATH}"
