// RUN: fourfold-opt %s --pass-pipeline="builtin.module(func.func(grinder-hoist-buffers),canonicalize)" --split-input-file | FileCheck %s

// One-shot bufferization's loop-carried state: a scratch buffer and a fresh
// buffer (with a copy) per iteration for the value carried on. Both move
// out; the carried buffer starts as a copy of the initial value and stands
// for the carried value and the loop's result, so nothing is carried.
// CHECK-LABEL: func.func @carried
// CHECK:       %[[TMP:.*]] = memref.alloc() : memref<4xf32>
// CHECK:       %[[NEXT:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT:  memref.copy %arg0, %[[NEXT]]
// CHECK-NEXT:  scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[NEXT]] : memref<4xf32>) outs(%[[TMP]] : memref<4xf32>)
// CHECK:         memref.copy %[[TMP]], %[[NEXT]]
// CHECK-NEXT:  }
// CHECK-NEXT:  memref.copy %[[NEXT]], %arg1
func.func @carried(%init: memref<4xf32>, %out: memref<4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%h = %init) -> memref<4xf32> {
    %tmp = memref.alloc() : memref<4xf32>
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        ins(%h : memref<4xf32>) outs(%tmp : memref<4xf32>) {
    ^bb0(%x: f32, %y: f32):
      %z = math.tanh %x : f32
      linalg.yield %z : f32
    }
    %next = memref.alloc() : memref<4xf32>
    memref.copy %tmp, %next : memref<4xf32> to memref<4xf32>
    scf.yield %next : memref<4xf32>
  }
  memref.copy %r, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// The carried value is still read after the allocation: its buffer must be
// a different one each iteration. It stays.
// CHECK-LABEL: func.func @still_live
// CHECK:       scf.for
// CHECK-NEXT:    memref.alloc
func.func @still_live(%init: memref<4xf32>, %out: memref<4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%h = %init) -> memref<4xf32> {
    %next = memref.alloc() : memref<4xf32>
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        ins(%h : memref<4xf32>) outs(%next : memref<4xf32>) {
    ^bb0(%x: f32, %y: f32):
      %z = math.tanh %x : f32
      linalg.yield %z : f32
    }
    scf.yield %next : memref<4xf32>
  }
  memref.copy %r, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Carried through a branch's result (the other side carries the old value
// on): not followed, it stays.
// CHECK-LABEL: func.func @through_branch
// CHECK:       scf.for
// CHECK-NEXT:    memref.alloc
func.func @through_branch(%init: memref<4xf32>, %out: memref<4xf32>, %n: index, %p: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%h = %init) -> memref<4xf32> {
    %next = memref.alloc() : memref<4xf32>
    %y = scf.if %p -> memref<4xf32> {
      memref.copy %h, %next : memref<4xf32> to memref<4xf32>
      scf.yield %next : memref<4xf32>
    } else {
      scf.yield %h : memref<4xf32>
    }
    scf.yield %y : memref<4xf32>
  }
  memref.copy %r, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// BlockDrop's shape: a branch either replaces the carried value (with a
// buffer it allocates) or hands it on. The loop keeps one buffer, updated
// in place at the end of the replacing side; the branch's buffer is then
// a temporary and leaves the loop too.
// CHECK-LABEL: func.func @branch_carried
// CHECK:       %[[X:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT:  memref.copy %arg0, %[[X]]
// CHECK-NEXT:  %[[NEW:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT:  scf.for
// CHECK-NEXT:    scf.if %arg3 {
// CHECK-NEXT:      linalg.generic {{.*}} ins(%[[X]] : memref<4xf32>) outs(%[[NEW]] : memref<4xf32>)
// CHECK:           memref.copy %[[NEW]], %[[X]]
// CHECK-NEXT:    }
// CHECK-NEXT:  }
// CHECK-NEXT:  memref.copy %[[X]], %arg1
func.func @branch_carried(%init: memref<4xf32>, %out: memref<4xf32>, %n: index, %p: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%h = %init) -> memref<4xf32> {
    %y = scf.if %p -> memref<4xf32> {
      %new = memref.alloc() : memref<4xf32>
      linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
          ins(%h : memref<4xf32>) outs(%new : memref<4xf32>) {
      ^bb0(%x: f32, %o: f32):
        %z = math.tanh %x : f32
        linalg.yield %z : f32
      }
      scf.yield %new : memref<4xf32>
    } else {
      scf.yield %h : memref<4xf32>
    }
    scf.yield %y : memref<4xf32>
  }
  memref.copy %r, %out : memref<4xf32> to memref<4xf32>
  return
}
