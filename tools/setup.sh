#!/usr/bin/env bash
# Installs what fourfold needs on a Debian 12 machine and builds it, reusing whatever is already
# there: Debian's LLVM/MLIR 22 packages, the Python packages, the matching LLVM source (for the MLIR
# Python bindings, which Debian does not package), then a CMake + Ninja build in build/.
#
#   tools/setup.sh            # everything, incremental
#   FOURFOLD_BUILD_DIR=...    # another build directory (default: <repo>/build)
#   FOURFOLD_CACHE=...        # where the LLVM source is kept (default: ~/.cache/fourfold)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FOURFOLD_BUILD_DIR:-$ROOT/build}
CACHE=${FOURFOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fourfold}
PYTHON=${PYTHON:-python3}
LLVM_MAJOR=22
LLVM_PREFIX=/usr/lib/llvm-$LLVM_MAJOR
# sha256 of Debian's llvm-toolchain-22_<version>.orig.tar.xz, for the versions we have checked.
declare -A LLVM_SRC_SHA256=(
  [22.1.8]=b49b9277aef97616320b2da259e1f8174c65b0ce2fbe2e8629644a97693402fe
)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages -----------------------------------------------------------------------------
apt_packages=(llvm-$LLVM_MAJOR-dev llvm-$LLVM_MAJOR-tools libmlir-$LLVM_MAJOR-dev mlir-$LLVM_MAJOR-tools
              clang-$LLVM_MAJOR lld-$LLVM_MAJOR libomp-$LLVM_MAJOR-dev libzstd-dev cmake ninja-build curl xz-utils)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
fi
LLVM_VERSION=$("$LLVM_PREFIX/bin/llvm-config" --version)
say "LLVM/MLIR $LLVM_VERSION in $LLVM_PREFIX"

# 2. Python packages -----------------------------------------------------------------------------
# nanobind 2.9.x: with 2.15 upstream's bindings change casting behaviour (four upstream tests fail).
# torch 2.13.0 (CPU build, installed from a local file on these machines): the reference the demo,
# the benchmarks and their smoke test compare against. Pinned so pip never pulls a CUDA build.
# matplotlib: the pictures of `fourfold report`.
# apache-tvm 0.27 (about 320 MB with its FFI): fourfold.tvm, the Relax external codegen, and its tests.
# apache-tvm-ffi pinned to 0.1.14.post0: with 0.1.15 (what pip would pick) tvm.ir.save_json segfaults.
py_requirements=("nanobind==2.9.2" "numpy>=1.24,<2.3" "PyYAML>=5.4" "ml_dtypes>=0.1" "pytest>=7"
                 "torch==2.13.0" "matplotlib>=3.7" "apache-tvm==0.27.0.post1" "apache-tvm-ffi==0.1.14.post0")
if ! "$PYTHON" - "${py_requirements[@]}" <<'PY'
import sys
from importlib import metadata
try:
    from packaging.requirements import Requirement
except ImportError:
    sys.exit(1)
for req in map(Requirement, sys.argv[1:]):
    try:
        if not req.specifier.contains(metadata.version(req.name), prereleases=True):
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
PY
then
  say "installing Python packages: ${py_requirements[*]}"
  "$PYTHON" -m pip install -q "packaging" "${py_requirements[@]}"
fi

# 3. The LLVM source matching the installed MLIR (only mlir/ parts the bindings build needs) -----
SRC=$CACHE/llvm-$LLVM_VERSION
if [[ ! -f $SRC/mlir/python/CMakeLists.txt ]]; then
  tarball=llvm-toolchain-${LLVM_MAJOR}_${LLVM_VERSION}.orig.tar.xz
  mkdir -p "$CACHE"
  if [[ ! -f $CACHE/$tarball ]]; then
    # The archive's base URIs come from this machine's apt configuration (deb822 and one-line forms).
    mapfile -t bases < <( { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i=2;i<=NF;i++) print $i}';
                            grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'; } |
                          grep -v -- '-security' | awk '!seen[$0]++')
    for base in "${bases[@]}"; do
      url=${base%/}/pool/main/l/llvm-toolchain-$LLVM_MAJOR/$tarball
      say "fetching the LLVM source: $url"
      if curl -fsSL --retry 3 -o "$CACHE/$tarball.part" "$url"; then
        mv "$CACHE/$tarball.part" "$CACHE/$tarball"; break
      fi
    done
    [[ -f $CACHE/$tarball ]] || { say "could not fetch $tarball from: ${bases[*]}"; exit 1; }
  fi
  expected=${LLVM_SRC_SHA256[$LLVM_VERSION]:-}
  if [[ -n $expected ]]; then
    actual=$(sha256sum "$CACHE/$tarball" | cut -d' ' -f1)
    [[ $actual == "$expected" ]] || { say "sha256 mismatch for $tarball: $actual"; rm -f "$CACHE/$tarball"; exit 1; }
  else
    say "warning: no recorded sha256 for LLVM $LLVM_VERSION; using the tarball unchecked"
  fi
  say "extracting mlir/ from $tarball"
  rm -rf "$SRC.part" && mkdir -p "$SRC.part"
  top=llvm-toolchain-${LLVM_MAJOR}_$LLVM_VERSION
  tar -xJf "$CACHE/$tarball" -C "$SRC.part" --strip-components=1 \
    "$top/mlir/python" "$top/mlir/lib/Bindings" "$top/mlir/include" "$top/mlir/cmake"
  rm -rf "$SRC" && mv "$SRC.part" "$SRC"
  rm -f "$CACHE/$tarball"   # 190 MB; the extracted 20 MB is what we keep
fi

# 4. Configure and build -------------------------------------------------------------------------
if [[ -f $BUILD/build.ninja ]]; then
  # Re-run CMake so that new Python files (globbed at configure time) join the package.
  cmake "$BUILD" >/dev/null
else
  say "configuring $BUILD"
  CC=$LLVM_PREFIX/bin/clang CXX=$LLVM_PREFIX/bin/clang++ cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=$LLVM_PREFIX/lib/cmake/mlir \
    -DLLVM_USE_LINKER=lld \
    -DFOURFOLD_MLIR_SOURCE_DIR="$SRC/mlir" \
    -DPython3_EXECUTABLE="$(command -v "$PYTHON")" >/dev/null
fi
say "building (ninja -C $BUILD)"
start=$SECONDS
if ! ninja -C "$BUILD" > "$BUILD/last-build.log" 2>&1; then
  grep -E 'error|FAILED' -A8 "$BUILD/last-build.log" | head -n 60 >&2
  say "build failed; full log: $BUILD/last-build.log"
  exit 1
fi
say "build up to date ($((SECONDS - start)) s)"
