// RUN: fourfold-opt %s --rammer-schedule="policy=wavefront explain=true" 2>&1 | FileCheck %s --check-prefix=WAVE
// RUN: fourfold-opt %s --rammer-schedule="policy=critical-path explain=true" 2>&1 | FileCheck %s --check-prefix=CP
// RUN: fourfold-opt %s --rammer-schedule="report=%t.svg" -o /dev/null && FileCheck %s --input-file=%t.svg --check-prefix=SVG

// "a" fills the 4 vEUs; "b" reads it; "c" is independent. Rammer's
// wavefront puts "c" in the first wave beside "a" (two steps deep, then "b":
// 3 rTask times); the critical-path policy sees that "c" has slack and puts
// it beside "b" where vEUs idle (2 rTask times). The durations are given, so
// the target's model is not asked; these rTasks have no loop to coarsen.
// With the CPU costs (launch 1.1 us, barrier 0.2 us, dispatch 0.02 us):
// wavefront 1.1 + 2 x 1.02 + 0.2 + 1.02 = 4.36 us, critical-path 3.34 us; one
// launch per operator 3 x (1.1 + 1) = 6.3 us.

// WAVE: remark: rammer: program 'cell': 3 operators, 8 rTasks on 4 vEUs in 2 segments (1 barriers); predicted 4.36 us vs 6.30 us with one launch per kernel; launches 3 -> 1
// WAVE:      rammer.schedule {
// WAVE-NEXT:   rammer.task "a"[0] on 0 at 0
// WAVE-NEXT:   rammer.task "a"[1] on 1 at 0
// WAVE-NEXT:   rammer.task "a"[2] on 2 at 0
// WAVE-NEXT:   rammer.task "a"[3] on 3 at 0
// WAVE-NEXT:   rammer.task "c"[0] on 0 at 1
// WAVE-NEXT:   rammer.task "c"[1] on 1 at 1
// WAVE-NEXT:   rammer.barrier at 2
// WAVE-NEXT:   rammer.task "b"[0] on 0 at 2
// WAVE-NEXT:   rammer.task "b"[1] on 1 at 2
// WAVE-NEXT: }

// CP: remark: rammer: program 'cell': 3 operators, 8 rTasks on 4 vEUs in 2 segments (1 barriers); predicted 3.34 us vs 6.30 us with one launch per kernel; launches 3 -> 1
// CP:      rammer.schedule {
// CP-NEXT:   rammer.task "a"[0] on 0 at 0
// CP-NEXT:   rammer.task "a"[1] on 1 at 0
// CP-NEXT:   rammer.task "a"[2] on 2 at 0
// CP-NEXT:   rammer.task "a"[3] on 3 at 0
// CP-NEXT:   rammer.barrier at 1
// CP-NEXT:   rammer.task "b"[0] on 0 at 1
// CP-NEXT:   rammer.task "b"[1] on 1 at 1
// CP-NEXT:   rammer.task "c"[0] on 2 at 1
// CP-NEXT:   rammer.task "c"[1] on 3 at 1
// CP-NEXT: }
// CP: rammer.program "scheduled"
// CP: rammer.schedule {
// CP-NEXT: rammer.task "x"[0] on 1 at 0
// CP-NEXT: }

// SVG: <svg
// SVG: cell: 3 operators, 2 segments, predicted 3.34 us (one launch per kernel: 6.30 us)
// SVG: vEU 3
// SVG-COUNT-8: <rect
// SVG: </svg>

func.func @cell(%x: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %r:2 = rammer.program "cell" vdevice <veus = 4> (%x) : (tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  ^bb0(%in: tensor<64xf32>):
    %a = rammer.operator "a" tasks 4 duration 1.0 (%in) : (tensor<64xf32>) -> tensor<64xf32> {
    ^bb0(%y: tensor<64xf32>):
      %e = linalg.exp ins(%y : tensor<64xf32>) outs(%y : tensor<64xf32>) -> tensor<64xf32>
      rammer.yield %e : tensor<64xf32>
    }
    %b = rammer.operator "b" tasks 2 duration 1.0 (%a) : (tensor<64xf32>) -> tensor<64xf32> {
    ^bb0(%y: tensor<64xf32>):
      %e = linalg.negf ins(%y : tensor<64xf32>) outs(%y : tensor<64xf32>) -> tensor<64xf32>
      rammer.yield %e : tensor<64xf32>
    }
    %c = rammer.operator "c" tasks 2 duration 1.0 (%in) : (tensor<64xf32>) -> tensor<64xf32> {
    ^bb0(%y: tensor<64xf32>):
      %e = linalg.abs ins(%y : tensor<64xf32>) outs(%y : tensor<64xf32>) -> tensor<64xf32>
      rammer.yield %e : tensor<64xf32>
    }
    rammer.yield %b, %c : tensor<64xf32>, tensor<64xf32>
  }
  return %r#0, %r#1 : tensor<64xf32>, tensor<64xf32>
}

// A program that already has a schedule is kept as written.
func.func @scheduled() {
  rammer.program "scheduled" vdevice <veus = 2> () : () -> () {
    rammer.operator "x" tasks 1 () : () -> () {
      rammer.yield
    }
    rammer.schedule {
      rammer.task "x"[0] on 1 at 0
    }
    rammer.yield
  }
  return
}
