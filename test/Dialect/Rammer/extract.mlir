// RUN: fourfold-opt %s --rammer-schedule="target=@%S/../Roller/Inputs/cpu.target" | FileCheck %s
// RUN: fourfold-opt %s --rammer-schedule="target=@%S/../Roller/Inputs/cpu.target extract=false" | FileCheck %s --check-prefix=NONE
// RUN: fourfold-opt %s --rammer-schedule="target=@%S/../Roller/Inputs/cpu.target veus=1" | FileCheck %s --check-prefix=ONE
// RUN: fourfold-opt %s --rammer-schedule="target=@%S/../Roller/Inputs/cpu.target force=true" | FileCheck %s --check-prefix=FORCE

// NONE-NOT: rammer.program

// On one vEU co-scheduling gains nothing over one launch per kernel but a
// launch, and two launches cost more than one program: the program stays.
// ONE-LABEL: func.func @cell
// ONE: rammer.program "cell.p0" vdevice <veus = 1>
// ONE-LABEL: func.func @split


// Three kernels on buffers: "exp" (x -> a) and "neg" (y -> b) are
// independent; "add" reads a and b. Allocations and deallocations between
// kernels move out of the program's way.
// The allocations move above the program and the deallocations below it;
// the program takes whole buffers (views are cloned in); it replaces 3
// launches (parallel regions). The rTasks of "k0" are coarsened to 2 tiles
// each: with "k1" beside it, 4 vEUs are full.
// CHECK-LABEL: func.func @cell
// CHECK-SAME: (%[[X:.*]]: memref<64x32xf32>, %[[Y:.*]]: memref<64x32xf32>, %[[OUT:.*]]: memref<64x32xf32>)
// CHECK:      %[[A:.*]] = memref.alloc() : memref<64x32xf32>
// CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<64x32xf32>
// CHECK-NEXT: rammer.program "cell.p0" vdevice <veus = 4>(%[[X]], %[[A]], %[[Y]], %[[B]], %[[OUT]]) {rammer.launches = 3 : i64, rammer.predicted_us = 1.45{{[0-9.e+]*}} : f64, rammer.unscheduled_us = 3.44{{[0-9.e+]*}} : f64}
// CHECK:      rammer.operator "k0.forall" tasks 2 duration 6.400000e-02(%{{.*}}, %{{.*}})
// CHECK:        scf.forall
// CHECK:          linalg.exp
// CHECK:      rammer.operator "k1.forall" tasks 2 duration 6.400000e-02
// CHECK:          linalg.negf
// CHECK:      rammer.operator "k2.forall" tasks 4 duration 4.800000e-02
// CHECK:          linalg.add
// CHECK:      rammer.schedule {
// CHECK-NEXT:   rammer.task "k0.forall"[0] on 0 at 0
// CHECK-NEXT:   rammer.task "k0.forall"[1] on 1 at 0
// CHECK-NEXT:   rammer.task "k1.forall"[0] on 2 at 0
// CHECK-NEXT:   rammer.task "k1.forall"[1] on 3 at 0
// CHECK-NEXT:   rammer.barrier at 1
// CHECK-NEXT:   rammer.task "k2.forall"[0] on 0 at 1
// CHECK-NEXT:   rammer.task "k2.forall"[1] on 1 at 1
// CHECK-NEXT:   rammer.task "k2.forall"[2] on 2 at 1
// CHECK-NEXT:   rammer.task "k2.forall"[3] on 3 at 1
// CHECK-NEXT: }
// CHECK:      memref.dealloc %[[A]]
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK-NEXT: return
func.func @cell(%x: memref<64x32xf32>, %y: memref<64x32xf32>, %out: memref<64x32xf32>) {
  %a = memref.alloc() : memref<64x32xf32>
  scf.forall (%i) = (0) to (64) step (16) {
    %sx = memref.subview %x[%i, 0] [16, 32] [1, 1] : memref<64x32xf32> to memref<16x32xf32, strided<[32, 1], offset: ?>>
    %sa = memref.subview %a[%i, 0] [16, 32] [1, 1] : memref<64x32xf32> to memref<16x32xf32, strided<[32, 1], offset: ?>>
    linalg.exp ins(%sx : memref<16x32xf32, strided<[32, 1], offset: ?>>) outs(%sa : memref<16x32xf32, strided<[32, 1], offset: ?>>)
  }
  %b = memref.alloc() : memref<64x32xf32>
  scf.forall (%i) = (0) to (64) step (32) {
    %sy = memref.subview %y[%i, 0] [32, 32] [1, 1] : memref<64x32xf32> to memref<32x32xf32, strided<[32, 1], offset: ?>>
    %sb = memref.subview %b[%i, 0] [32, 32] [1, 1] : memref<64x32xf32> to memref<32x32xf32, strided<[32, 1], offset: ?>>
    linalg.negf ins(%sy : memref<32x32xf32, strided<[32, 1], offset: ?>>) outs(%sb : memref<32x32xf32, strided<[32, 1], offset: ?>>)
  }
  scf.forall (%i, %j) in (4, 2) {
    %r = affine.apply affine_map<(d) -> (d * 16)>(%i)
    %c = affine.apply affine_map<(d) -> (d * 16)>(%j)
    %sa = memref.subview %a[%r, %c] [16, 16] [1, 1] : memref<64x32xf32> to memref<16x16xf32, strided<[32, 1], offset: ?>>
    %sb = memref.subview %b[%r, %c] [16, 16] [1, 1] : memref<64x32xf32> to memref<16x16xf32, strided<[32, 1], offset: ?>>
    %so = memref.subview %out[%r, %c] [16, 16] [1, 1] : memref<64x32xf32> to memref<16x16xf32, strided<[32, 1], offset: ?>>
    linalg.add ins(%sa, %sb : memref<16x16xf32, strided<[32, 1], offset: ?>>, memref<16x16xf32, strided<[32, 1], offset: ?>>) outs(%so : memref<16x16xf32, strided<[32, 1], offset: ?>>)
  }
  memref.dealloc %a : memref<64x32xf32>
  memref.dealloc %b : memref<64x32xf32>
  return
}

// A call (unknown effects) splits the kernels into runs of one: nothing to
// co-schedule. The second function writes a buffer the first kernel reads
// (write after read) and a third kernel overwrites it again (write after
// write): three segments.
// CHECK-LABEL: func.func @split
// CHECK-NOT: rammer.program
// CHECK: call @opaque
// CHECK-NOT: rammer.program
// CHECK: return
func.func private @opaque()
func.func @split(%x: memref<64xf32>, %y: memref<64xf32>) {
  scf.forall (%i) in (4) {
    %o = affine.apply affine_map<(d) -> (d * 16)>(%i)
    %sx = memref.subview %x[%o] [16] [1] : memref<64xf32> to memref<16xf32, strided<[1], offset: ?>>
    %sy = memref.subview %y[%o] [16] [1] : memref<64xf32> to memref<16xf32, strided<[1], offset: ?>>
    linalg.exp ins(%sx : memref<16xf32, strided<[1], offset: ?>>) outs(%sy : memref<16xf32, strided<[1], offset: ?>>)
  }
  func.call @opaque() : () -> ()
  scf.forall (%i) in (4) {
    %o = affine.apply affine_map<(d) -> (d * 16)>(%i)
    %sx = memref.subview %x[%o] [16] [1] : memref<64xf32> to memref<16xf32, strided<[1], offset: ?>>
    %sy = memref.subview %y[%o] [16] [1] : memref<64xf32> to memref<16xf32, strided<[1], offset: ?>>
    linalg.negf ins(%sx : memref<16xf32, strided<[1], offset: ?>>) outs(%sy : memref<16xf32, strided<[1], offset: ?>>)
  }
  return
}

// Three serial kernels (no parallel loop, so no launch each) gain nothing
// from a program: left alone, unless forced. Forced, the fill waits for the
// copy that reads x (write after read) and the last copy for the fill (both
// write x).
// CHECK-LABEL: func.func @hazards
// CHECK-NOT: rammer.program
// CHECK: memref.copy
// CHECK-NEXT: memref.subview
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: memref.copy
// FORCE-LABEL: func.func @hazards
// FORCE: rammer.program "hazards.p0"
// FORCE: rammer.operator "k0.copy"
// FORCE: rammer.operator "k1.fill"
// FORCE: rammer.operator "k2.copy"
// FORCE: rammer.schedule {
// FORCE-NEXT: rammer.task "k0.copy"[0] on 0 at 0
// FORCE-NEXT: rammer.barrier at 1
// FORCE-NEXT: rammer.task "k1.fill"[0] on 0 at 1
// FORCE-NEXT: rammer.barrier at 2
// FORCE-NEXT: rammer.task "k2.copy"[0] on 0 at 2
func.func @hazards(%x: memref<4096xf32>, %y: memref<4096xf32>, %z: memref<4096xf32>) {
  %c = arith.constant 1.0 : f32
  memref.copy %x, %y : memref<4096xf32> to memref<4096xf32>
  %v = memref.subview %x[0] [2048] [1] : memref<4096xf32> to memref<2048xf32, strided<[1]>>
  linalg.fill ins(%c : f32) outs(%v : memref<2048xf32, strided<[1]>>)
  memref.copy %z, %x : memref<4096xf32> to memref<4096xf32>
  return
}
