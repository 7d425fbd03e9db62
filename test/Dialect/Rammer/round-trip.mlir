// RUN: fourfold-opt %s | fourfold-opt | FileCheck %s
// RUN: fourfold-opt %s --mlir-print-op-generic | fourfold-opt | FileCheck %s

// Three operators: "exp" and "neg" are independent and share step 0 on
// different vEUs; "add" reads both, so a barrier separates it from them.
// "neg" carries a predicted duration, the others do not.
// CHECK-LABEL: func.func @scheduled
// CHECK: %[[P:.*]]:2 = rammer.program "cell" vdevice <veus = 4>(%{{.*}}) : (tensor<64x16xf32>) -> (tensor<64x16xf32>, tensor<64x16xf32>) {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<64x16xf32>):
// CHECK-NEXT: %[[E:.*]] = rammer.operator "exp" tasks 2(%[[X]]) : (tensor<64x16xf32>) -> tensor<64x16xf32> {
// CHECK: rammer.yield %{{.*}} : tensor<64x16xf32>
// CHECK: %[[N:.*]] = rammer.operator "neg" tasks 2 duration 1.500000e+00(%[[X]]) : (tensor<64x16xf32>) -> tensor<64x16xf32> {
// CHECK: %[[A:.*]] = rammer.operator "add" tasks 4(%[[E]], %[[N]]) : (tensor<64x16xf32>, tensor<64x16xf32>) -> tensor<64x16xf32> {
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<64x16xf32>, %{{.*}}: tensor<64x16xf32>):
// CHECK:      rammer.schedule {
// CHECK-NEXT:   rammer.task "exp"[0] on 0 at 0
// CHECK-NEXT:   rammer.task "exp"[1] on 1 at 0
// CHECK-NEXT:   rammer.task "neg"[0] on 2 at 0
// CHECK-NEXT:   rammer.task "neg"[1] on 3 at 0
// CHECK-NEXT:   rammer.barrier at 1
// CHECK-NEXT:   rammer.task "add"[0] on 0 at 1
// CHECK-NEXT:   rammer.task "add"[1] on 1 at 1
// CHECK-NEXT:   rammer.task "add"[2] on 2 at 1
// CHECK-NEXT:   rammer.task "add"[3] on 0 at 2
// CHECK-NEXT: }
// CHECK-NEXT: rammer.yield %[[A]], %[[N]] : tensor<64x16xf32>, tensor<64x16xf32>
// CHECK: return %[[P]]#0, %[[P]]#1
func.func @scheduled(%a: tensor<64x16xf32>) -> (tensor<64x16xf32>, tensor<64x16xf32>) {
  %p:2 = rammer.program "cell" vdevice <veus = 4> (%a) : (tensor<64x16xf32>) -> (tensor<64x16xf32>, tensor<64x16xf32>) {
  ^bb0(%x: tensor<64x16xf32>):
    %0 = rammer.operator "exp" tasks 2 (%x) : (tensor<64x16xf32>) -> tensor<64x16xf32> {
    ^bb0(%y: tensor<64x16xf32>):
      %e = linalg.exp ins(%y : tensor<64x16xf32>) outs(%y : tensor<64x16xf32>) -> tensor<64x16xf32>
      rammer.yield %e : tensor<64x16xf32>
    }
    %1 = rammer.operator "neg" tasks 2 duration 1.5 (%x) : (tensor<64x16xf32>) -> tensor<64x16xf32> {
    ^bb0(%y: tensor<64x16xf32>):
      %e = linalg.negf ins(%y : tensor<64x16xf32>) outs(%y : tensor<64x16xf32>) -> tensor<64x16xf32>
      rammer.yield %e : tensor<64x16xf32>
    }
    %2 = rammer.operator "add" tasks 4 (%0, %1) : (tensor<64x16xf32>, tensor<64x16xf32>) -> tensor<64x16xf32> {
    ^bb0(%y: tensor<64x16xf32>, %z: tensor<64x16xf32>):
      %e = linalg.add ins(%y, %z : tensor<64x16xf32>, tensor<64x16xf32>) outs(%y : tensor<64x16xf32>) -> tensor<64x16xf32>
      rammer.yield %e : tensor<64x16xf32>
    }
    rammer.schedule {
      rammer.task "exp"[0] on 0 at 0
      rammer.task "exp"[1] on 1 at 0
      rammer.task "neg"[0] on 2 at 0
      rammer.task "neg"[1] on 3 at 0
      rammer.barrier at 1
      rammer.task "add"[0] on 0 at 1
      rammer.task "add"[1] on 1 at 1
      rammer.task "add"[2] on 2 at 1
      rammer.task "add"[3] on 0 at 2
    }
    rammer.yield %2, %1 : tensor<64x16xf32>, tensor<64x16xf32>
  }
  return %p#0, %p#1 : tensor<64x16xf32>, tensor<64x16xf32>
}

// Without a schedule (not yet placed), the ops between operators are free,
// and a dependency needs no barrier.
// CHECK-LABEL: func.func @unscheduled
// CHECK: rammer.program "p" vdevice <veus = 528>(%{{.*}}) : (tensor<8xf32>) -> tensor<8xf32> {
// CHECK: tensor.empty
// CHECK: rammer.operator "exp" tasks 1 duration 2.000000e-01(%{{.*}}, %{{.*}}) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
// CHECK: rammer.operator "neg" tasks 3(%{{.*}})
// CHECK-NOT: rammer.schedule
// CHECK: rammer.yield %{{.*}} : tensor<8xf32>
func.func @unscheduled(%a: tensor<8xf32>) -> tensor<8xf32> {
  %p = rammer.program "p" vdevice <veus = 528> (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    %init = tensor.empty() : tensor<8xf32>
    %0 = rammer.operator "exp" tasks 1 duration 0.2 (%x, %init) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>, %o: tensor<8xf32>):
      %e = linalg.exp ins(%y : tensor<8xf32>) outs(%o : tensor<8xf32>) -> tensor<8xf32>
      rammer.yield %e : tensor<8xf32>
    }
    %1 = rammer.operator "neg" tasks 3 (%0) : (tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>):
      %e = linalg.negf ins(%y : tensor<8xf32>) outs(%y : tensor<8xf32>) -> tensor<8xf32>
      rammer.yield %e : tensor<8xf32>
    }
    rammer.yield %1 : tensor<8xf32>
  }
  return %p : tensor<8xf32>
}

// A program with no inputs and no results, an operator with no inputs and
// no results, and an empty schedule (nothing to place).
// CHECK-LABEL: func.func @empty
// CHECK: rammer.program "nothing" vdevice <veus = 1>() : () -> () {
// CHECK-NEXT: rammer.schedule {
// CHECK-NEXT: }
// CHECK-NEXT: rammer.yield{{$}}
func.func @empty() {
  rammer.program "nothing" vdevice <veus = 1> () : () -> () {
    rammer.schedule {
    }
    rammer.yield
  }
  return
}

// A schedule with attributes on it and on its ops, an operator whose rTasks
// run on one vEU over several steps, with a chain of barriers.
// CHECK-LABEL: func.func @serial
// CHECK: rammer.operator "a" tasks 2() : () -> () {
// CHECK-NEXT: rammer.yield
// CHECK: rammer.operator "b" tasks 1() : () -> () {
// CHECK: rammer.schedule attributes {test.note = "serial"} {
// CHECK-NEXT: rammer.task "a"[0] on 0 at 0 {test.note = "first"}
// CHECK-NEXT: rammer.barrier at 1
// CHECK-NEXT: rammer.task "a"[1] on 0 at 1
// CHECK-NEXT: rammer.barrier at 2 {test.note = "last"}
// CHECK-NEXT: rammer.task "b"[0] on 0 at 2
func.func @serial() {
  rammer.program "serial" vdevice <veus = 1> () : () -> () {
    rammer.operator "a" tasks 2 () : () -> () {
      rammer.yield
    }
    rammer.operator "b" tasks 1 () : () -> () {
      rammer.yield
    }
    rammer.schedule attributes {test.note = "serial"} {
      rammer.task "a"[0] on 0 at 0 {test.note = "first"}
      rammer.barrier at 1
      rammer.task "a"[1] on 0 at 1
      rammer.barrier at 2 {test.note = "last"}
      rammer.task "b"[0] on 0 at 2
    }
    rammer.yield
  }
  return
}

// A dependency through a plain op between operators, separated by a barrier.
// CHECK-LABEL: func.func @through_cast
// CHECK: %[[E:.*]] = rammer.operator "exp"
// CHECK: %[[C:.*]] = tensor.cast %[[E]] : tensor<8xf32> to tensor<?xf32>
// CHECK: rammer.operator "neg" tasks 1(%[[C]]) : (tensor<?xf32>) -> tensor<?xf32>
// CHECK: rammer.schedule {
// CHECK-NEXT: rammer.task "exp"[0] on 0 at 0
// CHECK-NEXT: rammer.barrier at 1
// CHECK-NEXT: rammer.task "neg"[0] on 1 at 1
func.func @through_cast(%a: tensor<8xf32>) -> tensor<?xf32> {
  %p = rammer.program "p" vdevice <veus = 2> (%a) : (tensor<8xf32>) -> tensor<?xf32> {
  ^bb0(%x: tensor<8xf32>):
    %0 = rammer.operator "exp" tasks 1 (%x) : (tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>):
      rammer.yield %y : tensor<8xf32>
    }
    %c = tensor.cast %0 : tensor<8xf32> to tensor<?xf32>
    %1 = rammer.operator "neg" tasks 1 (%c) : (tensor<?xf32>) -> tensor<?xf32> {
    ^bb0(%y: tensor<?xf32>):
      rammer.yield %y : tensor<?xf32>
    }
    rammer.schedule {
      rammer.task "exp"[0] on 0 at 0
      rammer.barrier at 1
      rammer.task "neg"[0] on 1 at 1
    }
    rammer.yield %1 : tensor<?xf32>
  }
  return %p : tensor<?xf32>
}
