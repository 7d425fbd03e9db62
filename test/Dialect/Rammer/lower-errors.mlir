// RUN: fourfold-opt %s -split-input-file -verify-diagnostics --rammer-lower

func.func @unscheduled(%x: memref<8xf32>) {
  // expected-error @+1 {{'rammer.program' op has no schedule: run --rammer-schedule before --rammer-lower}}
  rammer.program "p" vdevice <veus = 2> (%x) : (memref<8xf32>) -> () {
  ^bb0(%b: memref<8xf32>):
    rammer.yield
  }
  return
}

// -----

func.func @tensors(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'rammer.program' op works on tensors: --rammer-lower runs on buffers (bufferize first)}}
  %r = rammer.program "p" vdevice <veus = 1> (%x) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%b: tensor<8xf32>):
    %0 = rammer.operator "a" tasks 1 (%b) : (tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>):
      rammer.yield %y : tensor<8xf32>
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
    }
    rammer.yield %0 : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

func.func @no_task_loop(%x: memref<8xf32>) {
  rammer.program "p" vdevice <veus = 2> (%x) : (memref<8xf32>) -> () {
  ^bb0(%b: memref<8xf32>):
    // expected-error @+1 {{'rammer.operator' op has 2 rTasks but no task loop to split (a single top-level scf.forall with constant bounds)}}
    rammer.operator "a" tasks 2 (%b) : (memref<8xf32>) -> () {
    ^bb0(%o: memref<8xf32>):
      %c = arith.constant 1.0 : f32
      linalg.fill ins(%c : f32) outs(%o : memref<8xf32>)
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      rammer.task "a"[1] on 1 at 0
    }
    rammer.yield
  }
  return
}

// -----

func.func @too_many_tasks(%x: memref<8xf32>) {
  rammer.program "p" vdevice <veus = 4> (%x) : (memref<8xf32>) -> () {
  ^bb0(%b: memref<8xf32>):
    // expected-error @+1 {{'rammer.operator' op has 3 rTasks but its task loop only 2 iterations}}
    rammer.operator "a" tasks 3 (%b) : (memref<8xf32>) -> () {
    ^bb0(%o: memref<8xf32>):
      %c = arith.constant 1.0 : f32
      scf.forall (%i) = (0) to (8) step (4) {
        %s = memref.subview %o[%i] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: ?>>
        linalg.fill ins(%c : f32) outs(%s : memref<4xf32, strided<[1], offset: ?>>)
      }
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      rammer.task "a"[1] on 1 at 0
      rammer.task "a"[2] on 2 at 0
    }
    rammer.yield
  }
  return
}
