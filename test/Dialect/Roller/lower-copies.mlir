// --roller-lower-copies: after bufferization, a memref.copy into or out of a
// view that is not contiguous (a padded input's interior) becomes linalg.copy
// (loops LLVM vectorises) instead of a call of the runtime's element-wise
// memrefCopy; copies between contiguous buffers stay memref.copy (memcpy).
// RUN: fourfold-opt %s --pass-pipeline="builtin.module(func.func(roller-lower-copies))" | FileCheck %s

// CHECK-LABEL: func.func @interior(
// CHECK-SAME:    %[[X:.*]]: memref<1x4x5x7xf32>, %[[P:.*]]: memref<1x4x7x9xf32>)
// CHECK:         %[[V:.*]] = memref.subview %[[P]][0, 0, 1, 1] [1, 4, 5, 7] [1, 1, 1, 1]
// CHECK-NEXT:    linalg.copy ins(%[[X]] : memref<1x4x5x7xf32>) outs(%[[V]] : memref<1x4x5x7xf32, strided<[252, 63, 9, 1], offset: 10>>)
// CHECK-NOT:     memref.copy
func.func @interior(%x: memref<1x4x5x7xf32>, %p: memref<1x4x7x9xf32>) {
  %v = memref.subview %p[0, 0, 1, 1] [1, 4, 5, 7] [1, 1, 1, 1] : memref<1x4x7x9xf32> to memref<1x4x5x7xf32, strided<[252, 63, 9, 1], offset: 10>>
  memref.copy %x, %v : memref<1x4x5x7xf32> to memref<1x4x5x7xf32, strided<[252, 63, 9, 1], offset: 10>>
  return
}

// CHECK-LABEL: func.func @contiguous(
// CHECK:         memref.copy
// CHECK-NOT:     linalg.copy
func.func @contiguous(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  memref.copy %x, %y : memref<4x8xf32> to memref<4x8xf32>
  return
}

// A contiguous slab of a larger buffer (whole rows) is still a memcpy.
// CHECK-LABEL: func.func @rows(
// CHECK:         memref.copy
// CHECK-NOT:     linalg.copy
func.func @rows(%x: memref<2x8xf32>, %y: memref<4x8xf32>) {
  %v = memref.subview %y[1, 0] [2, 8] [1, 1] : memref<4x8xf32> to memref<2x8xf32, strided<[8, 1], offset: 8>>
  memref.copy %x, %v : memref<2x8xf32> to memref<2x8xf32, strided<[8, 1], offset: 8>>
  return
}
