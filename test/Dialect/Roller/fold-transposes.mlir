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
