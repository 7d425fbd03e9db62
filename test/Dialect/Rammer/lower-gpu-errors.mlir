// RUN: fourfold-opt %s -split-input-file -verify-diagnostics --rammer-lower="gpu=true target=sm_90"
// RUN: not fourfold-opt %s -split-input-file --rammer-lower="gpu=true target=host" 2>&1 | FileCheck %s --check-prefix=HOST
// RUN: not fourfold-opt %s -split-input-file --rammer-lower="gpu=true threads=2048" 2>&1 | FileCheck %s --check-prefix=THREADS

// HOST: rammer-lower: gpu=true needs a GPU target
// THREADS: rammer-lower: threads must be 0..1024

func.func @unscheduled(%x: memref<8xf32>) {
  // expected-error @+1 {{'rammer.program' op has no schedule: run --rammer-schedule before --rammer-lower}}
  rammer.program "p" vdevice <veus = 2> (%x) : (memref<8xf32>) -> () {
  ^bb0(%b: memref<8xf32>):
    rammer.yield
  }
  return
}

// -----

// Non-constant trips: no task loop to split into rTasks.
func.func @dynamic_trips(%x: memref<?xf32>, %n: index) {
  rammer.program "p" vdevice <veus = 2> (%x, %n) : (memref<?xf32>, index) -> () {
  ^bb0(%b: memref<?xf32>, %m: index):
    // expected-error @+1 {{'rammer.operator' op has 2 rTasks but no task loop to split (a single top-level scf.forall with constant bounds)}}
    rammer.operator "a" tasks 2 (%b, %m) : (memref<?xf32>, index) -> () {
    ^bb0(%o: memref<?xf32>, %k: index):
      %c = arith.constant 1.0 : f32
      scf.forall (%i) in (%k) {
        memref.store %c, %o[%i] : memref<?xf32>
      }
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

func.func private @host_only(memref<8xf32>)

func.func @call(%x: memref<8xf32>) {
  rammer.program "p" vdevice <veus = 1> (%x) : (memref<8xf32>) -> () {
  ^bb0(%b: memref<8xf32>):
    // expected-error @+1 {{'rammer.operator' op cannot run inside a GPU kernel: func.call is a call}}
    rammer.operator "a" tasks 1 (%b) : (memref<8xf32>) -> () {
    ^bb0(%o: memref<8xf32>):
      // expected-note @+1 {{here}}
      func.call @host_only(%o) : (memref<8xf32>) -> ()
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
    }
    rammer.yield
  }
  return
}

// -----

// 64 KiB of block-level buffer: more than a block's static shared memory.
func.func @too_much_shared(%x: memref<4x16384xf32>) {
  // expected-error @+1 {{'rammer.program' op needs 65536 B of shared memory per block, more than 49152 B of static shared memory}}
  rammer.program "p" vdevice <veus = 4> (%x) : (memref<4x16384xf32>) -> () {
  ^bb0(%b: memref<4x16384xf32>):
    rammer.operator "a" tasks 4 (%b) : (memref<4x16384xf32>) -> () {
    ^bb0(%o: memref<4x16384xf32>):
      scf.forall (%i) in (4) {
        %tile = memref.alloc() : memref<16384xf32>
        scf.forall (%k) in (256) {
          %v = memref.load %o[%i, %k] : memref<4x16384xf32>
          memref.store %v, %tile[%k] : memref<16384xf32>
        }
        memref.dealloc %tile : memref<16384xf32>
      }
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
      rammer.task "a"[1] on 1 at 0
      rammer.task "a"[2] on 2 at 0
      rammer.task "a"[3] on 3 at 0
    }
    rammer.yield
  }
  return
}

// -----

// A buffer the operator allocates outside its tile loop would need device
// code to allocate heap memory.
func.func @heap(%x: memref<8xf32>) {
  rammer.program "p" vdevice <veus = 1> (%x) : (memref<8xf32>) -> () {
  ^bb0(%b: memref<8xf32>):
    // expected-error @+1 {{'rammer.operator' op cannot run inside a GPU kernel: memref.alloc allocates or frees heap memory outside a tile loop (device code cannot)}}
    rammer.operator "a" tasks 1 (%b) : (memref<8xf32>) -> () {
    ^bb0(%o: memref<8xf32>):
      // expected-note @+1 {{here}}
      %t = memref.alloc() : memref<8xf32>
      memref.copy %o, %t : memref<8xf32> to memref<8xf32>
      memref.copy %t, %o : memref<8xf32> to memref<8xf32>
      memref.dealloc %t : memref<8xf32>
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
    }
    rammer.yield
  }
  return
}

// -----

func.func @body_write(%x: memref<8xf32>) {
  rammer.program "p" vdevice <veus = 1> (%x) : (memref<8xf32>) -> () {
  ^bb0(%b: memref<8xf32>):
    %c0 = arith.constant 0 : index
    %one = arith.constant 1.0 : f32
    // expected-error @+1 {{'memref.store' op in an rProgram's body (outside its operators) cannot run in every thread of its GPU kernel}}
    memref.store %one, %b[%c0] : memref<8xf32>
    rammer.operator "a" tasks 1 (%b) : (memref<8xf32>) -> () {
    ^bb0(%o: memref<8xf32>):
      rammer.yield
    }
    rammer.schedule {
      rammer.task "a"[0] on 0 at 0
    }
    rammer.yield
  }
  return
}
