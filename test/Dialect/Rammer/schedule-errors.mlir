// RUN: not fourfold-opt %s --rammer-schedule="policy=random" 2>&1 | FileCheck %s --check-prefix=POLICY
// RUN: not fourfold-opt %s --rammer-schedule="target=sm_70" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not fourfold-opt %s --rammer-schedule="report=/nonexistent/dir/s.svg" 2>&1 | FileCheck %s --check-prefix=REPORT

// POLICY: error: rammer-schedule: unknown policy 'random' (known: wavefront, critical-path)
// TARGET: error: rammer-schedule: {{.*}}sm_70
// REPORT: error: rammer-schedule: cannot write report '/nonexistent/dir/s.svg'
func.func @f() {
  return
}
