// RUN: fourfold-opt %s --grinder-lower --split-input-file | FileCheck %s

// device: one parallel region for the whole loop; the tile loop is shared
// out (its implicit barrier ends it); the copy runs once; a barrier goes
// before the copy only if some thread may still be reading (here the
// worksharing loop's barrier is enough), and before the first kernel of an
// iteration (the previous iteration's reads). The loop's carried scalar and
// the condition are computed by every thread.
// CHECK-LABEL: func.func @device
// CHECK:       omp.parallel {
// CHECK-NEXT:    scf.for
// CHECK-NEXT:      omp.barrier
// CHECK:           omp.wsloop {
// CHECK-NEXT:        omp.loop_nest (%[[I:.*]]) : index = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK:               linalg.matmul
// CHECK:               omp.yield
// CHECK:           omp.single {
// CHECK-NEXT:        memref.copy
// CHECK-NEXT:        omp.terminator
// CHECK:         omp.terminator
// CHECK-NOT:   grinder.place
func.func @device(%a: memref<128x64xf32>, %b: memref<64x64xf32>, %c: memref<128x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  scf.for %t = %c0 to %c10 step %c1 {
    scf.forall (%i) = (0) to (128) step (16) {
      %sa = memref.subview %a[%i, 0] [16, 64] [1, 1] : memref<128x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
      %sc = memref.subview %c[%i, 0] [16, 64] [1, 1] : memref<128x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
      linalg.matmul ins(%sa, %b : memref<16x64xf32, strided<[64, 1], offset: ?>>, memref<64x64xf32>) outs(%sc : memref<16x64xf32, strided<[64, 1], offset: ?>>)
    }
    memref.copy %c, %a : memref<128x64xf32> to memref<128x64xf32>
  } {grinder.place = #grinder.place<device>}
  return
}

// -----

// A while whose condition reads memory: every thread reads it (after the
// barrier that ended the previous iteration's last write); the write that
// follows the read waits for all reads first. The loop's result is used
// after it, so the region runs to the end of the block; the buffer made
// there is made once, before the threads start.
// CHECK-LABEL: func.func @while_result
// CHECK:       memref.alloc() : memref<4xf32>
// CHECK-NEXT:  omp.parallel {
// CHECK:         scf.while
// CHECK:           memref.load
// CHECK:           scf.condition
// CHECK:         } do {
// CHECK:           omp.barrier
// CHECK-NEXT:      omp.single {
// CHECK-NEXT:        memref.store
// CHECK:         omp.single {
// CHECK-NEXT:      memref.store
// CHECK:         omp.terminator
func.func @while_result(%flag: memref<f32>, %a: memref<1x8xf32>, %b: memref<8x8xf32>, %c: memref<1x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  %n = scf.while (%t = %c0) : (index) -> index {
    %v = memref.load %flag[] : memref<f32>
    %go = arith.cmpf ogt, %v, %zero : f32
    scf.condition(%go) %t : index
  } do {
  ^bb0(%t: index):
    %v = memref.load %flag[] : memref<f32>
    %w = arith.subf %v, %one : f32
    memref.store %w, %flag[] : memref<f32>
    scf.forall (%i) = (0) to (1) step (1) {
      linalg.matmul ins(%a, %b : memref<1x8xf32>, memref<8x8xf32>) outs(%c : memref<1x8xf32>)
    }
    %c1 = arith.constant 1 : index
    %t2 = arith.addi %t, %c1 : index
    scf.yield %t2 : index
  } attributes {grinder.place = #grinder.place<device>}
  %out = memref.alloc() : memref<4xf32>
  %f = arith.index_cast %n : index to i32
  %g = arith.sitofp %f : i32 to f32
  memref.store %g, %out[%c0] : memref<4xf32>
  return
}

// -----

// block: tile loops become sequential loops; no parallel region.
// CHECK-LABEL: func.func @block
// CHECK-NOT:   omp.
// CHECK-NOT:   scf.forall
// CHECK:       scf.if
// CHECK:         scf.for %{{.*}} = %c0{{.*}} to %c4{{.*}} step %c1
// CHECK:           scf.for %{{.*}} = %c0{{.*}} to %c8{{.*}} step %c2
// CHECK:             memref.subview
// CHECK-NOT:   grinder.place
func.func @block(%p: i1, %a: memref<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.if %p {
    scf.forall (%i, %j) = (0, 0) to (4, 8) step (1, 2) {
      %s = memref.subview %a[%i, %j] [1, 2] [1, 1] : memref<4x8xf32> to memref<1x2xf32, strided<[8, 1], offset: ?>>
      linalg.fill ins(%zero : f32) outs(%s : memref<1x2xf32, strided<[8, 1], offset: ?>>)
    }
  } {grinder.place = #grinder.place<block>}
  return
}

// -----

// host: only the placement goes.
// CHECK-LABEL: func.func @host
// CHECK:       scf.forall
// CHECK-NOT:   grinder.place
// CHECK-NOT:   omp.
func.func @host(%p: i1, %a: memref<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.if %p {
    scf.forall (%i) = (0) to (4) step (1) {
      %s = memref.subview %a[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<1x8xf32, strided<[8, 1], offset: ?>>
      linalg.fill ins(%zero : f32) outs(%s : memref<1x8xf32, strided<[8, 1], offset: ?>>)
    }
  } {grinder.place = #grinder.place<host>}
  return
}
