// --roller-normalize-contractions: einsums as (batch) matmuls.
// RUN: fourfold-opt %s -split-input-file --roller-normalize-contractions | FileCheck %s

// Attention's scores with heads between tokens and dims: q and k are
// transposed to [heads, tokens, dims] / [heads, dims, tokens], then one
// batch_matmul; the output is already [heads, i, j]; the zero fill is
// remade for the new shape.
// CHECK-LABEL: func.func @scores
// CHECK: %[[Q:.*]] = linalg.transpose ins(%arg0 : tensor<16x4x8xf32>) outs(%{{.*}} : tensor<4x16x8xf32>) permutation = [1, 0, 2]
// CHECK: %[[K:.*]] = linalg.transpose ins(%arg1 : tensor<16x4x8xf32>) outs(%{{.*}} : tensor<4x8x16xf32>) permutation = [1, 2, 0]
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<4x16x16xf32>
// CHECK: %[[S:.*]] = linalg.batch_matmul ins(%[[Q]], %[[K]] : tensor<4x16x8xf32>, tensor<4x8x16xf32>) outs(%[[Z]] : tensor<4x16x16xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: return %[[S]]
func.func @scores(%q: tensor<16x4x8xf32>, %k: tensor<16x4x8xf32>) -> tensor<4x16x16xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16x16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(h, i, j, d) -> (i, h, d)>, affine_map<(h, i, j, d) -> (j, h, d)>, affine_map<(h, i, j, d) -> (h, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<16x4x8xf32>, tensor<16x4x8xf32>) outs(%f : tensor<4x16x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<4x16x16xf32>
  return %s : tensor<4x16x16xf32>
}

// -----

// An output projection reducing over heads and dims at once: the two
// reduction dims collapse into one k of 32, one matmul.
// CHECK-LABEL: func.func @projection
// CHECK: %[[X:.*]] = linalg.transpose ins(%arg0 : tensor<4x16x8xf32>) outs(%{{.*}} : tensor<16x4x8xf32>) permutation = [1, 0, 2]
// CHECK: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2]] : tensor<16x4x8xf32> into tensor<16x32xf32>
// CHECK: %[[WC:.*]] = tensor.collapse_shape %arg1 {{\[}}[0, 1], [2]] : tensor<4x8x24xf32> into tensor<32x24xf32>
// CHECK: linalg.matmul ins(%[[XC]], %[[WC]] : tensor<16x32xf32>, tensor<32x24xf32>) outs(%arg2 : tensor<16x24xf32>)
func.func @projection(%x: tensor<4x16x8xf32>, %w: tensor<4x8x24xf32>, %c: tensor<16x24xf32>) -> tensor<16x24xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(i, n, h, d) -> (h, i, d)>, affine_map<(i, n, h, d) -> (h, d, n)>, affine_map<(i, n, h, d) -> (i, n)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<4x16x8xf32>, tensor<4x8x24xf32>) outs(%c : tensor<16x24xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %p, %o : f32
    linalg.yield %r : f32
  } -> tensor<16x24xf32>
  return %s : tensor<16x24xf32>
}

// -----

// An output in another layout than [batch, m, n]: transposed back.
// CHECK-LABEL: func.func @out_layout
// CHECK: linalg.batch_matmul
// CHECK: linalg.transpose ins(%{{.*}} : tensor<4x16x8xf32>) outs(%{{.*}} : tensor<16x4x8xf32>) permutation = [1, 0, 2]
func.func @out_layout(%p: tensor<4x16x16xf32>, %v: tensor<16x4x8xf32>, %c: tensor<16x4x8xf32>) -> tensor<16x4x8xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(h, i, d, j) -> (h, i, j)>, affine_map<(h, i, d, j) -> (j, h, d)>, affine_map<(h, i, d, j) -> (i, h, d)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<4x16x16xf32>, tensor<16x4x8xf32>) outs(%c : tensor<16x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<16x4x8xf32>
  return %s : tensor<16x4x8xf32>
}

// -----

// Already matmul's layout, and an integer body: left alone.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic
// CHECK: linalg.generic
func.func @left_alone(%a: tensor<8x4xf32>, %b: tensor<4x6xf32>, %c: tensor<8x6xf32>, %ai: tensor<4x8xi32>, %bi: tensor<4x6xi32>, %ci: tensor<8x6xi32>) -> (tensor<8x6xf32>, tensor<8x6xi32>) {
  %s = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<8x4xf32>, tensor<4x6xf32>) outs(%c : tensor<8x6xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<8x6xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (k, i)>, affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ai, %bi : tensor<4x8xi32>, tensor<4x6xi32>) outs(%ci : tensor<8x6xi32>) {
  ^bb0(%x: i32, %y: i32, %o: i32):
    %p = arith.muli %x, %y : i32
    %r = arith.addi %o, %p : i32
    linalg.yield %r : i32
  } -> tensor<8x6xi32>
  return %s, %t : tensor<8x6xf32>, tensor<8x6xi32>
}
