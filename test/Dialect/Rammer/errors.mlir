// RUN: fourfold-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// #rammer.vdevice and the ops' own constraints
//===----------------------------------------------------------------------===//

func.func @no_veus() {
  // expected-error @+1 {{vdevice needs at least one vEU, got 0}}
  rammer.program "p" vdevice <veus = 0> () : () -> () {
    rammer.yield
  }
  return
}

// -----

// expected-error @+1 {{vdevice needs at least one vEU, got -4}}
module attributes {test.vdevice = #rammer.vdevice<veus = -4>} {}

// -----

func.func @zero_tasks() {
  rammer.program "p" vdevice <veus = 1> () : () -> () {
    // expected-error @+1 {{'rammer.operator' op attribute 'tasks' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
    rammer.operator "a" tasks 0 () : () -> () {
      rammer.yield
    }
    rammer.yield
  }
  return
}

// -----

func.func @barrier_at_zero() {
  rammer.program "p" vdevice <veus = 1> () : () -> () {
    rammer.operator "a" tasks 1 () : () -> () {
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      // A barrier at 0 would order nothing before it.
      // expected-error @+1 {{'rammer.barrier' op attribute 'step' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
      rammer.barrier at 0
    }
    rammer.yield
  }
  return
}

// -----

func.func @negative_step() {
  rammer.program "p" vdevice <veus = 1> () : () -> () {
    rammer.operator "a" tasks 1 () : () -> () {
      rammer.yield
    }
    rammer.schedule {
      // expected-error @+1 {{'rammer.task' op attribute 'step' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
      rammer.task "a"[0] on 0 at -1
    }
    rammer.yield
  }
  return
}

// -----

func.func @operator_outside_program() {
  // expected-error @+1 {{'rammer.operator' op expects parent op 'rammer.program'}}
  rammer.operator "a" tasks 1 () : () -> () {
    rammer.yield
  }
  return
}

// -----

func.func @task_outside_schedule() {
  rammer.program "p" vdevice <veus = 1> () : () -> () {
    // expected-error @+1 {{'rammer.task' op expects parent op 'rammer.schedule'}}
    rammer.task "a"[0] on 0 at 0
    rammer.yield
  }
  return
}

// -----

//===----------------------------------------------------------------------===//
// Bodies of rammer.program and rammer.operator
//===----------------------------------------------------------------------===//

func.func @program_arg_count(%a: tensor<8xf32>) {
  // expected-error @+1 {{'rammer.program' op body has 0 arguments but the program has 1 inputs}}
  rammer.program "p" vdevice <veus = 1> (%a) : (tensor<8xf32>) -> () {
    rammer.yield
  }
  return
}

// -----

func.func @operator_arg_type(%a: tensor<8xf32>) {
  rammer.program "p" vdevice <veus = 1> (%a) : (tensor<8xf32>) -> () {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'rammer.operator' op body argument #0 has type 'tensor<4xf32>' but input #0 has type 'tensor<8xf32>'}}
    rammer.operator "a" tasks 1 (%x) : (tensor<8xf32>) -> () {
    ^bb0(%y: tensor<4xf32>):
      rammer.yield
    }
    rammer.yield
  }
  return
}

// -----

func.func @program_yield(%a: tensor<8xf32>) -> tensor<8xf32> {
  %p = rammer.program "p" vdevice <veus = 1> (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'rammer.yield' op yields () but the program returns ('tensor<8xf32>')}}
    rammer.yield
  }
  return %p : tensor<8xf32>
}

// -----

func.func @operator_yield(%a: tensor<8xf32>) -> tensor<8xf32> {
  %p = rammer.program "p" vdevice <veus = 1> (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    %0 = rammer.operator "a" tasks 1 (%x) : (tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>):
      %c = arith.constant 0.0 : f32
      // expected-error @+1 {{'rammer.yield' op yields ('f32') but the operator returns ('tensor<8xf32>')}}
      rammer.yield %c : f32
    }
    rammer.yield %0 : tensor<8xf32>
  }
  return %p : tensor<8xf32>
}

// -----

func.func @not_yield() {
  // expected-error @+1 {{'rammer.program' op body must end with rammer.yield}}
  rammer.program "p" vdevice <veus = 1> () : () -> () {
    llvm.unreachable
  }
  return
}

// -----

func.func @duplicate_operator() {
  rammer.program "p" vdevice <veus = 1> () : () -> () {
    // expected-note @+1 {{first used here}}
    rammer.operator "a" tasks 1 () : () -> () {
      rammer.yield
    }
    // expected-error @+1 {{'rammer.operator' op name 'a' is already used in this program}}
    rammer.operator "a" tasks 1 () : () -> () {
      rammer.yield
    }
    rammer.yield
  }
  return
}

// -----

func.func @two_schedules() {
  rammer.program "p" vdevice <veus = 1> () : () -> () {
    rammer.schedule {
    }
    // expected-error @+1 {{'rammer.schedule' op a program has at most one schedule}}
    rammer.schedule {
    }
    rammer.yield
  }
  return
}

// -----

//===----------------------------------------------------------------------===//
// The schedule
//===----------------------------------------------------------------------===//

func.func @not_a_task() {
  rammer.program "p" vdevice <veus = 1> () : () -> () {
    rammer.schedule {
      // expected-error @+1 {{'arith.constant' op is not allowed in a rammer.schedule (only rammer.task and rammer.barrier)}}
      %c = arith.constant 0 : index
    }
    rammer.yield
  }
  return
}

// -----

func.func @unknown_operator() {
  rammer.program "p" vdevice <veus = 1> () : () -> () {
    rammer.operator "a" tasks 1 () : () -> () {
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      // expected-error @+1 {{'rammer.task' op refers to unknown operator 'b'}}
      rammer.task "b"[0] on 0 at 1
    }
    rammer.yield
  }
  return
}

// -----

func.func @tile_out_of_range() {
  rammer.program "p" vdevice <veus = 4> () : () -> () {
    rammer.operator "a" tasks 2 () : () -> () {
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      rammer.task "a"[1] on 1 at 0
      // expected-error @+1 {{'rammer.task' op rTask 2 is out of range: operator 'a' has 2 rTasks}}
      rammer.task "a"[2] on 2 at 0
    }
    rammer.yield
  }
  return
}

// -----

func.func @veu_out_of_range() {
  rammer.program "p" vdevice <veus = 2> () : () -> () {
    rammer.operator "a" tasks 3 () : () -> () {
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      rammer.task "a"[1] on 1 at 0
      // expected-error @+1 {{'rammer.task' op vEU 2 is out of range: the vdevice has 2 vEUs}}
      rammer.task "a"[2] on 2 at 0
    }
    rammer.yield
  }
  return
}

// -----

func.func @placed_twice() {
  rammer.program "p" vdevice <veus = 2> () : () -> () {
    rammer.operator "a" tasks 2 () : () -> () {
      rammer.yield
    }
    rammer.schedule {
      // expected-note @+1 {{first placed here}}
      rammer.task "a"[0] on 0 at 0
      rammer.task "a"[1] on 1 at 0
      // expected-error @+1 {{'rammer.task' op rTask 'a'[0] is placed twice}}
      rammer.task "a"[0] on 0 at 1
    }
    rammer.yield
  }
  return
}

// -----

func.func @double_booked() {
  rammer.program "p" vdevice <veus = 2> () : () -> () {
    rammer.operator "a" tasks 2 () : () -> () {
      rammer.yield
    }
    rammer.operator "b" tasks 1 () : () -> () {
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      // expected-note @+1 {{other rTask placed here}}
      rammer.task "a"[1] on 1 at 0
      // expected-error @+1 {{'rammer.task' op vEU 1 is double-booked at step 0: 'a'[1] already runs there}}
      rammer.task "b"[0] on 1 at 0
    }
    rammer.yield
  }
  return
}

// -----

func.func @not_placed() {
  rammer.program "p" vdevice <veus = 2> () : () -> () {
    rammer.operator "a" tasks 3 () : () -> () {
      rammer.yield
    }
    // expected-error @+1 {{'rammer.schedule' op rTask 'a'[1] is not placed}}
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      rammer.task "a"[2] on 1 at 0
    }
    rammer.yield
  }
  return
}

// -----

func.func @operator_not_placed() {
  rammer.program "p" vdevice <veus = 2> () : () -> () {
    rammer.operator "a" tasks 1 () : () -> () {
      rammer.yield
    }
    rammer.operator "b" tasks 1 () : () -> () {
      rammer.yield
    }
    // expected-error @+1 {{'rammer.schedule' op rTask 'b'[0] is not placed}}
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
    }
    rammer.yield
  }
  return
}

// -----

func.func @two_barriers() {
  rammer.program "p" vdevice <veus = 1> () : () -> () {
    rammer.operator "a" tasks 2 () : () -> () {
      rammer.yield
    }
    // expected-error @+1 {{'rammer.schedule' op has two barriers at step 1}}
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      rammer.barrier at 1
      rammer.task "a"[1] on 0 at 1
      rammer.barrier at 1
    }
    rammer.yield
  }
  return
}

// -----

// "neg" reads "exp" but runs beside it at step 0.
func.func @dependency_same_step(%a: tensor<8xf32>) -> tensor<8xf32> {
  %p = rammer.program "p" vdevice <veus = 2> (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    %0 = rammer.operator "exp" tasks 1 (%x) : (tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>):
      rammer.yield %y : tensor<8xf32>
    }
    %1 = rammer.operator "neg" tasks 1 (%0) : (tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>):
      rammer.yield %y : tensor<8xf32>
    }
    // expected-error @+1 {{'rammer.schedule' op operator 'neg' reads 'exp' but its first rTask (step 0) is not separated by a barrier from 'exp''s last rTask (step 0)}}
    rammer.schedule {
      rammer.task "exp"[0] on 0 at 0
      rammer.task "neg"[0] on 1 at 0
    }
    rammer.yield %1 : tensor<8xf32>
  }
  return %p : tensor<8xf32>
}

// -----

// A barrier exists, but "exp"'s last rTask runs after it: the barrier must
// come after the producer's last step, not its first.
func.func @dependency_early_barrier(%a: tensor<8xf32>) -> tensor<8xf32> {
  %p = rammer.program "p" vdevice <veus = 2> (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    %0 = rammer.operator "exp" tasks 2 (%x) : (tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>):
      rammer.yield %y : tensor<8xf32>
    }
    %1 = rammer.operator "neg" tasks 1 (%0) : (tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>):
      rammer.yield %y : tensor<8xf32>
    }
    // expected-error @+1 {{'rammer.schedule' op operator 'neg' reads 'exp' but its first rTask (step 1) is not separated by a barrier from 'exp''s last rTask (step 1)}}
    rammer.schedule {
      rammer.task "exp"[0] on 0 at 0
      rammer.barrier at 1
      rammer.task "exp"[1] on 0 at 1
      rammer.task "neg"[0] on 1 at 1
    }
    rammer.yield %1 : tensor<8xf32>
  }
  return %p : tensor<8xf32>
}

// -----

// Steps without a barrier between them do not order anything: "neg" at step
// 2 still may overlap "exp" at step 0.
func.func @dependency_no_barrier(%a: tensor<8xf32>) -> tensor<8xf32> {
  %p = rammer.program "p" vdevice <veus = 1> (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    %0 = rammer.operator "exp" tasks 1 (%x) : (tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>):
      rammer.yield %y : tensor<8xf32>
    }
    %1 = rammer.operator "neg" tasks 1 (%0) : (tensor<8xf32>) -> tensor<8xf32> {
    ^bb0(%y: tensor<8xf32>):
      rammer.yield %y : tensor<8xf32>
    }
    // expected-error @+1 {{'rammer.schedule' op operator 'neg' reads 'exp' but its first rTask (step 2) is not separated by a barrier from 'exp''s last rTask (step 0)}}
    rammer.schedule {
      rammer.task "exp"[0] on 0 at 0
      rammer.task "neg"[0] on 0 at 2
      rammer.barrier at 3
    }
    rammer.yield %1 : tensor<8xf32>
  }
  return %p : tensor<8xf32>
}

// -----

// A dependency through a plain op between operators still counts.
func.func @dependency_through_cast(%a: tensor<8xf32>) -> tensor<?xf32> {
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
    // expected-error @+1 {{'rammer.schedule' op operator 'neg' reads 'exp' but its first rTask (step 0) is not separated by a barrier from 'exp''s last rTask (step 0)}}
    rammer.schedule {
      rammer.task "exp"[0] on 0 at 0
      rammer.task "neg"[0] on 1 at 0
    }
    rammer.yield %1 : tensor<?xf32>
  }
  return %p : tensor<?xf32>
}

// -----

// On buffers, dependences are memory ones: "b" reads (a view of) the buffer
// "a" writes, with no barrier between them.
func.func @memory_read_after_write(%x: memref<8xf32>, %y: memref<8xf32>) {
  rammer.program "p" vdevice <veus = 2> (%x, %y) : (memref<8xf32>, memref<8xf32>) -> () {
  ^bb0(%bx: memref<8xf32>, %by: memref<8xf32>):
    rammer.operator "a" tasks 1 (%bx) : (memref<8xf32>) -> () {
    ^bb0(%o: memref<8xf32>):
      %c = arith.constant 1.0 : f32
      linalg.fill ins(%c : f32) outs(%o : memref<8xf32>)
      rammer.yield
    }
    %v = memref.subview %bx[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
    rammer.operator "b" tasks 1 (%v, %by) : (memref<4xf32, strided<[1]>>, memref<8xf32>) -> () {
    ^bb0(%i: memref<4xf32, strided<[1]>>, %o: memref<8xf32>):
      %s = memref.subview %o[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
      memref.copy %i, %s : memref<4xf32, strided<[1]>> to memref<4xf32, strided<[1]>>
      rammer.yield
    }
    // expected-error @+1 {{'rammer.schedule' op operator 'b' reads memory written by 'a' but its first rTask (step 0) is not separated by a barrier from 'a''s last rTask (step 0)}}
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      rammer.task "b"[0] on 1 at 0
    }
    rammer.yield
  }
  return
}

// -----

// "b" overwrites the buffer "a" still reads.
func.func @memory_write_after_read(%x: memref<8xf32>, %y: memref<8xf32>) {
  rammer.program "p" vdevice <veus = 2> (%x, %y) : (memref<8xf32>, memref<8xf32>) -> () {
  ^bb0(%bx: memref<8xf32>, %by: memref<8xf32>):
    rammer.operator "a" tasks 1 (%bx, %by) : (memref<8xf32>, memref<8xf32>) -> () {
    ^bb0(%i: memref<8xf32>, %o: memref<8xf32>):
      memref.copy %i, %o : memref<8xf32> to memref<8xf32>
      rammer.yield
    }
    rammer.operator "b" tasks 1 (%bx) : (memref<8xf32>) -> () {
    ^bb0(%o: memref<8xf32>):
      %c = arith.constant 1.0 : f32
      linalg.fill ins(%c : f32) outs(%o : memref<8xf32>)
      rammer.yield
    }
    // expected-error @+1 {{'rammer.schedule' op operator 'b' overwrites memory read by 'a' but its first rTask (step 0) is not separated by a barrier from 'a''s last rTask (step 0)}}
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      rammer.task "b"[0] on 1 at 0
    }
    rammer.yield
  }
  return
}

// -----

// An operator whose effects cannot be traced (a call) conflicts with every
// operator that touches memory.
func.func private @opaque()
func.func @memory_unknown(%x: memref<8xf32>) {
  rammer.program "p" vdevice <veus = 2> (%x) : (memref<8xf32>) -> () {
  ^bb0(%bx: memref<8xf32>):
    rammer.operator "a" tasks 1 () : () -> () {
      func.call @opaque() : () -> ()
      rammer.yield
    }
    rammer.operator "b" tasks 1 (%bx) : (memref<8xf32>) -> () {
    ^bb0(%o: memref<8xf32>):
      %c = arith.constant 1.0 : f32
      linalg.fill ins(%c : f32) outs(%o : memref<8xf32>)
      rammer.yield
    }
    // expected-error @+1 {{'rammer.schedule' op operator 'b' writes memory also written by 'a'}}
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      rammer.task "b"[0] on 1 at 0
    }
    rammer.yield
  }
  return
}
