// RUN: fourfold-opt %s --rammer-schedule="target=@%S/Inputs/gpu.target" | FileCheck %s --check-prefix=SCHED
// RUN: fourfold-opt %s --rammer-schedule="target=@%S/Inputs/gpu.target" --rammer-lower="gpu=true target=@%S/Inputs/gpu.target" --canonicalize | FileCheck %s
// RUN: fourfold-opt %s --rammer-schedule="target=sm_90" --rammer-lower="gpu=true target=sm_90" --canonicalize | FileCheck %s --check-prefix=SM90

// On a GPU target the vdevice is compute units x the blocks of the
// program's block size one unit holds at once: 256 threads (the widest
// thread-level loop, 4 x 64) with >= 64 registers each, 4 per unit of the
// test GPU, so 2 x 4 = 8 vEUs (sm_90: 132 SMs x 4 = 528). An rTask of a
// roller kernel is one block tile (its block-level loop's iteration); a
// loop without a thread level gets an rTask per 256 iterations (one per
// thread). The reduction reads only %x: it runs beside the two branches.
// SCHED-LABEL: func.func @branches
// SCHED:         rammer.program "branches.p0" vdevice <veus = 8>
// SCHED:           rammer.operator "k0.forall" tasks {{[0-9]+}}
// SCHED:           rammer.operator "k1.forall" tasks {{[0-9]+}}
// SCHED:           rammer.operator "k2.forall" tasks 1 duration
// SCHED:           rammer.operator "k3.forall" tasks {{[0-9]+}}
// SCHED:           rammer.schedule {
// SCHED-NOT:         rammer.task "k3.forall"
// SCHED:             rammer.barrier at 1
// SCHED-NOT:         rammer.task "k0.forall"
// SCHED-NOT:         rammer.task "k1.forall"
// SCHED:           }

// Four kernels, one launch of 8 blocks (= vEUs, all resident: 4 per unit),
// one grid barrier.
// CHECK-LABEL: func.func @branches
// CHECK-NOT:     scf.forall
// CHECK:         gpu.launch_func @branches_p0_rammer::@branches_p0_rammer blocks in (%c8
// CHECK-NOT:     gpu.launch_func
// CHECK:         return
// CHECK:       gpu.func @branches_p0_rammer({{.*}}) kernel attributes {known_block_size = array<i32: 256, 1, 1>, known_grid_size = array<i32: 8, 1, 1>, nvvm.minctasm = 4 : i32}
// CHECK-COUNT-2: memref.atomic_rmw
// CHECK-NOT:     memref.atomic_rmw
// CHECK-NOT:     scf.forall
// CHECK:         gpu.return

// SM90-LABEL: func.func @branches
// SM90:         gpu.launch_func @branches_p0_rammer::@branches_p0_rammer blocks in (%c528{{.*}}, %c1{{.*}}, %c1{{.*}}) threads in (%c256
// SM90:       gpu.func @branches_p0_rammer({{.*}}) kernel attributes {known_block_size = array<i32: 256, 1, 1>, known_grid_size = array<i32: 528, 1, 1>, nvvm.minctasm = 4 : i32}
func.func @branches(%x: memref<256x64xf32>, %a: memref<256x64xf32>, %b: memref<256x64xf32>, %c: memref<256x64xf32>, %s: memref<256xf32>) {
  %two = arith.constant 2.0 : f32
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.forall (%i) = (0) to (256) step (4) {
    scf.forall (%r, %k) in (4, 64) {
      %row = arith.addi %i, %r : index
      %v = memref.load %x[%row, %k] : memref<256x64xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %a[%row, %k] : memref<256x64xf32>
    }
  }
  scf.forall (%i) = (0) to (256) step (4) {
    scf.forall (%r, %k) in (4, 64) {
      %row = arith.addi %i, %r : index
      %v = memref.load %x[%row, %k] : memref<256x64xf32>
      %w = arith.negf %v : f32
      memref.store %w, %b[%row, %k] : memref<256x64xf32>
    }
  }
  scf.forall (%i) in (256) {
    %acc = scf.for %k = %c0 to %c64 step %c1 iter_args(%t = %zero) -> f32 {
      %v = memref.load %x[%i, %k] : memref<256x64xf32>
      %u = arith.addf %t, %v : f32
      scf.yield %u : f32
    }
    memref.store %acc, %s[%i] : memref<256xf32>
  }
  scf.forall (%i) = (0) to (256) step (4) {
    scf.forall (%r, %k) in (4, 64) {
      %row = arith.addi %i, %r : index
      %v = memref.load %a[%row, %k] : memref<256x64xf32>
      %u = memref.load %b[%row, %k] : memref<256x64xf32>
      %w = arith.addf %v, %u : f32
      memref.store %w, %c[%row, %k] : memref<256x64xf32>
    }
  }
  return
}
