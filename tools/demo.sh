#!/usr/bin/env bash
# The main job: set-up and build (incremental), then compile and run the bundled model.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/tools/setup.sh"
source "$ROOT/tools/env.sh"
exec "${PYTHON:-python3}" -m fourfold demo "$@"
