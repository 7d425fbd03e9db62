// --roller-fold-transposes: x @ linalg.transpose(w) with at most max-rows
// (16) rows of x reads w in place through the matmul's B map (n, k); the
// transpose goes when nothing else uses it. More rows keep the transpose.
//
// RUN: fourfold-opt %s -split-input-file --roller-fold-transposes | FileCheck %s
// RUN: fourfold-opt %s -split-input-file --roller-fold-transposes=max-rows=0 | FileCheck %s --check-prefix=NONE

// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear(
// CHECK-SAME: %[[X:.+]]: tensor<1x2048xf32>, %[[W:.+]]: tensor<1000x2048xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#[[A]], #[[B]], #[[C]]]
// CHECK-SAME: {roller.tile = #roller.rtile<L2 = [1, 500, 2048], register = [1, 4, 2048]>}
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<1x2048xf32>, tensor<1000x2048xf32>)
// NONE-LABEL: func.func @linear(
// NONE: linalg.transpose
// NONE: linalg.matmul ins
func.func @linear(%x: tensor<1x2048xf32>, %w: tensor<1000x2048xf32>) -> tensor<1x1000xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1000xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  %te = tensor.empty() : tensor<2048x1000xf32>
  %t = linalg.transpose ins(%w : tensor<1000x2048xf32>) outs(%te : tensor<2048x1000xf32>) permutation = [1, 0]
  %r = linalg.matmul {roller.tile = #roller.rtile<L2 = [1, 500, 2048], register = [1, 4, 2048]>}
       ins(%x, %t : tensor<1x2048xf32>, tensor<2048x1000xf32>) outs(%c : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  return %r : tensor<1x1000xf32>
}

// -----

// 17 rows: the outer-product kernel wants B along n; the transpose stays.
// CHECK-LABEL: func.func @many_rows
// CHECK: linalg.transpose
// CHECK: linalg.matmul ins
func.func @many_rows(%x: tensor<17x64xf32>, %w: tensor<32x64xf32>, %c: tensor<17x32xf32>) -> tensor<17x32xf32> {
  %te = tensor.empty() : tensor<64x32xf32>
  %t = linalg.transpose ins(%w : tensor<32x64xf32>) outs(%te : tensor<64x32xf32>) permutation = [1, 0]
  %r = linalg.matmul ins(%x, %t : tensor<17x64xf32>, tensor<64x32xf32>) outs(%c : tensor<17x32xf32>) -> tensor<17x32xf32>
  return %r : tensor<17x32xf32>
}

// -----

// The transpose has another user: it stays for that one, the matmul reads
// w in place.
// CHECK-LABEL: func.func @shared
// CHECK: %[[T:.+]] = linalg.transpose
// CHECK: linalg.matmul indexing_maps
// CHECK: return {{.*}}, %[[T]]
func.func @shared(%x: tensor<2x64xf32>, %w: tensor<32x64xf32>, %c: tensor<2x32xf32>) -> (tensor<2x32xf32>, tensor<64x32xf32>) {
  %te = tensor.empty() : tensor<64x32xf32>
  %t = linalg.transpose ins(%w : tensor<32x64xf32>) outs(%te : tensor<64x32xf32>) permutation = [1, 0]
  %r = linalg.matmul ins(%x, %t : tensor<2x64xf32>, tensor<64x32xf32>) outs(%c : tensor<2x32xf32>) -> tensor<2x32xf32>
  return %r, %t : tensor<2x32xf32>, tensor<64x32xf32>
}

// -----

// A matmul that already has maps (here B transposed) is left alone.
// CHECK-LABEL: func.func @already_mapped
// CHECK: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] ins(%{{.*}}, %{{.*}} : tensor<2x64xf32>, tensor<64x64xf32>)
func.func @already_mapped(%x: tensor<2x64xf32>, %w: tensor<64x64xf32>, %c: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %te = tensor.empty() : tensor<64x64xf32>
  %t = linalg.transpose ins(%w : tensor<64x64xf32>) outs(%te : tensor<64x64xf32>) permutation = [1, 0]
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%x, %t : tensor<2x64xf32>, tensor<64x64xf32>) outs(%c : tensor<2x64xf32>) -> tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}

// -----

// An unsigned integer matmul stays unsigned: the folded op's body extends
// the i8 operands with extui.
// CHECK-LABEL: func.func @unsigned
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] {cast = #linalg.type_fn<cast_unsigned>}
func.func @unsigned(%x: tensor<2x64xi8>, %w: tensor<32x64xi8>, %c: tensor<2x32xi32>) -> tensor<2x32xi32> {
  %te = tensor.empty() : tensor<64x32xi8>
  %t = linalg.transpose ins(%w : tensor<32x64xi8>) outs(%te : tensor<64x32xi8>) permutation = [1, 0]
  %r = linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%x, %t : tensor<2x64xi8>, tensor<64x32xi8>) outs(%c : tensor<2x32xi32>) -> tensor<2x32xi32>
  return %r : tensor<2x32xi32>
}

// -----

// The other way: a generic q @ k^T (k read with its contiguous dimension
// along the reduction) with more than max-rows rows gets k transposed once
// (n contiguous) and becomes linalg.matmul, roller's outer-product kernel.
// CHECK-LABEL: func.func @scores
// CHECK-SAME: %[[Q:.+]]: tensor<37x29xf32>, %[[K:.+]]: tensor<53x29xf32>
// CHECK: %[[T:.+]] = linalg.transpose ins(%[[K]] : tensor<53x29xf32>) outs(%{{.*}} : tensor<29x53xf32>) permutation = [1, 0]
// CHECK: linalg.matmul ins(%[[Q]], %[[T]] : tensor<37x29xf32>, tensor<29x53xf32>)
func.func @scores(%q: tensor<37x29xf32>, %k: tensor<53x29xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j, l) -> (i, l)>, affine_map<(i, j, l) -> (j, l)>, affine_map<(i, j, l) -> (i, j)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%q, %k : tensor<37x29xf32>, tensor<53x29xf32>) outs(%c : tensor<37x53xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

// -----

// Per head (batch), attention's scores: k^T per head, then batch_matmul.
// CHECK-LABEL: func.func @heads
// CHECK: linalg.transpose ins(%{{.*}} : tensor<3x197x64xf32>) outs(%{{.*}} : tensor<3x64x197xf32>) permutation = [0, 2, 1]
// CHECK: linalg.batch_matmul ins
func.func @heads(%q: tensor<3x197x64xf32>, %k: tensor<3x197x64xf32>, %c: tensor<3x197x197xf32>) -> tensor<3x197x197xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(h, i, j, l) -> (h, i, l)>, affine_map<(h, i, j, l) -> (h, j, l)>, affine_map<(h, i, j, l) -> (h, i, j)>],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
       ins(%q, %k : tensor<3x197x64xf32>, tensor<3x197x64xf32>) outs(%c : tensor<3x197x197xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x197x197xf32>
  return %r : tensor<3x197x197xf32>
}

// -----

// Few rows and k long enough for dot products: read in place.
// CHECK-LABEL: func.func @few_rows_in_place
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps
func.func @few_rows_in_place(%x: tensor<4x64xf32>, %w: tensor<100x64xf32>, %c: tensor<4x100xf32>) -> tensor<4x100xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%x, %w : tensor<4x64xf32>, tensor<100x64xf32>) outs(%c : tensor<4x100xf32>) -> tensor<4x100xf32>
  return %r : tensor<4x100xf32>
}
