#!/usr/bin/env bash
# The whole test suite: set-up and build (incremental), then lit (test/**/*.mlir) and pytest
# (test/python). Ends with one line "N passed, N failed" over both.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/tools/setup.sh" || { echo "0 passed, 1 failed"; exit 1; }
source "$ROOT/tools/env.sh"
PYTHON=${PYTHON:-python3}
log=$(mktemp -d)

echo "== lit: $ROOT/test"
lit -sv "$BUILD/test" 2>&1 | tee "$log/lit.txt"
lit_rc=${PIPESTATUS[0]}

echo "== pytest: $ROOT/test/python"
"$PYTHON" -m pytest -q -p no:cacheprovider "$ROOT/test/python" "$@" 2>&1 | tee "$log/pytest.txt"
py_rc=${PIPESTATUS[0]}

count() { grep -oE "$1" "$2" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}'; }
lit_pass=$(count 'Passed *: *[0-9]+' "$log/lit.txt")
lit_fail=$(( $(count 'Failed *: *[0-9]+' "$log/lit.txt") + $(count 'Unresolved *: *[0-9]+' "$log/lit.txt") ))
py_pass=$(tail -n 1 "$log/pytest.txt" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
py_fail=$(( $(tail -n 1 "$log/pytest.txt" | grep -oE '[0-9]+ (failed|error|errors)' | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}') ))
# pytest exits 5 when it collected nothing: that is a failure of the suite, not a pass.
if (( py_rc != 0 && py_fail == 0 )); then py_fail=1; fi
if (( lit_rc != 0 && lit_fail == 0 )); then lit_fail=1; fi
rm -rf "$log"
echo "lit: $lit_pass passed, $lit_fail failed; pytest: $py_pass passed, $py_fail failed"
echo "$((lit_pass + py_pass)) passed, $((lit_fail + py_fail)) failed"
(( lit_fail + py_fail == 0 ))
