// RUN: fourfold-opt %s --pass-pipeline="builtin.module(func.func(grinder-reshape-results),buffer-results-to-out-params{modify-public-functions=1 hoist-static-allocs=1})" --split-input-file | FileCheck %s

// A 1x1 convolution's matmul result returned as NCHW: the buffer is made in
// the returned shape, the kernel writes it through a collapsed view, and
// buffer-results-to-out-params then hands the caller's buffer in: no
// allocation and no copy of the result.
// CHECK-LABEL: func.func @expanded(
// CHECK-SAME: %[[OUT:.*]]: memref<1x4x2x3xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[OUT]] {{\[}}[0, 1, 2, 3]] : memref<1x4x2x3xf32> into memref<24xf32>
// CHECK: %[[VIEW:.*]] = memref.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [4, 6] : memref<24xf32> into memref<4x6xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[VIEW]] : memref<4x6xf32>)
// CHECK-NOT: memref.copy
// CHECK: return
func.func @expanded() -> memref<1x4x2x3xf32> {
  %z = arith.constant 0.0 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<4x6xf32>
  linalg.fill ins(%z : f32) outs(%a : memref<4x6xf32>)
  %e = memref.expand_shape %a [[0, 1], [2, 3]] output_shape [1, 4, 2, 3] : memref<4x6xf32> into memref<1x4x2x3xf32>
  return %e : memref<1x4x2x3xf32>
}

// -----

// A flattened result: the buffer is made flat, the kernel writes an
// expanded view of it.
// CHECK-LABEL: func.func @collapsed(
// CHECK-SAME: %[[OUT:.*]]: memref<24xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[VIEW:.*]] = memref.expand_shape %[[OUT]] {{\[}}[0, 1, 2]] output_shape [2, 3, 4] : memref<24xf32> into memref<2x3x4xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[VIEW]] : memref<2x3x4xf32>)
// CHECK-NOT: memref.copy
func.func @collapsed() -> memref<24xf32> {
  %z = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<2x3x4xf32>
  linalg.fill ins(%z : f32) outs(%a : memref<2x3x4xf32>)
  %c = memref.collapse_shape %a [[0, 1, 2]] : memref<2x3x4xf32> into memref<24xf32>
  return %c : memref<24xf32>
}

// -----

// A chain of reshapes (flatten, then a view of another shape), as the
// frontend writes x.view(...): the same, by way of one dimension.
// CHECK-LABEL: func.func @chain(
// CHECK-SAME: %[[OUT:.*]]: memref<5x3x2xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[OUT]] {{\[}}[0, 1, 2]] : memref<5x3x2xf32> into memref<30xf32>
// CHECK: %[[VIEW:.*]] = memref.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [6, 5] : memref<30xf32> into memref<6x5xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[VIEW]] : memref<6x5xf32>)
// CHECK-NOT: memref.copy
func.func @chain() -> memref<5x3x2xf32> {
  %z = arith.constant 2.0 : f32
  %a = memref.alloc() : memref<6x5xf32>
  linalg.fill ins(%z : f32) outs(%a : memref<6x5xf32>)
  %c = memref.collapse_shape %a [[0, 1]] : memref<6x5xf32> into memref<30xf32>
  %e = memref.expand_shape %c [[0, 1, 2]] output_shape [5, 3, 2] : memref<30xf32> into memref<5x3x2xf32>
  return %e : memref<5x3x2xf32>
}

// -----

// A reshape of an argument is no allocation of ours: left as it is (the
// result is copied out).
// CHECK-LABEL: func.func @argument(
// CHECK: memref.expand_shape %arg0
// CHECK: memref.copy
func.func @argument(%x: memref<4x6xf32>) -> memref<1x4x2x3xf32> {
  %e = memref.expand_shape %x [[0, 1], [2, 3]] output_shape [1, 4, 2, 3] : memref<4x6xf32> into memref<1x4x2x3xf32>
  return %e : memref<1x4x2x3xf32>
}

// -----

// A dynamic shape: left as it is.
// CHECK-LABEL: func.func @dynamic(
// CHECK: %[[A:.*]] = memref.alloc(%{{.*}}) : memref<?x6xf32>
// CHECK: memref.expand_shape %[[A]]
func.func @dynamic(%n: index) -> memref<?x2x3xf32> {
  %a = memref.alloc(%n) : memref<?x6xf32>
  %e = memref.expand_shape %a [[0], [1, 2]] output_shape [%n, 2, 3] : memref<?x6xf32> into memref<?x2x3xf32>
  return %e : memref<?x2x3xf32>
}
