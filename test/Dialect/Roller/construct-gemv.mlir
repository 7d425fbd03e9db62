// GEMV-like shapes on the CPU (issue 9), on the fixed test CPU (4 cores,
// 8-lane vectors, 32 KiB L1):
// - x[1, k] @ B[k, n] streams B's rows: vectors along n (4 per register
//   tile at most), a reduction step of 4 and L1 panels of only 8 rows (few
//   streams in flight; the output panel stays in L1 between them), one
//   panel of columns per core, split evenly; so do a few rows of x that one
//   register tile holds;
// - x @ w.T (w[n, k] read in place) and linalg.matvec: dot products along
//   the contiguous k, an mr x nr <= 8 register tile of outputs (1 x 4 for
//   one row) each with vector accumulators along k, reduced horizontally
//   once; rows and columns past the tiles are peeled and vectorised too;
// - with k shorter than 4 vectors, w.T keeps vectors along n.
//
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target" | FileCheck %s --check-prefix=TILE
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target" --roller-lower=parallel=false | FileCheck %s

// TILE-LABEL: func.func @gemv
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [1, 1056, 8], register = [1, 32, 4]>
// CHECK-LABEL: func.func @gemv
// CHECK: scf.for {{.*}} = %c0 to %c4097 step %c1056
// CHECK:   scf.for {{.*}} = %c0 to %c4096 step %c8
// CHECK:     scf.for {{.*}} step %c32
// CHECK:       scf.for {{.*}} = %c0 to %c8 step %c4 {{.*}} -> (vector<1x32xf32>)
// CHECK:         vector.contract {{.*}} : vector<1x4xf32>, vector<4x32xf32> into vector<1x32xf32>
func.func @gemv(%x: tensor<1x4096xf32>, %b: tensor<4096x4097xf32>) -> tensor<1x4097xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4097xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x4097xf32>) -> tensor<1x4097xf32>
  %r = linalg.matmul ins(%x, %b : tensor<1x4096xf32>, tensor<4096x4097xf32>) outs(%c : tensor<1x4097xf32>) -> tensor<1x4097xf32>
  return %r : tensor<1x4097xf32>
}

// -----

// A few rows that one register tile holds (4 x 2 vectors here) stream B
// the same way: 8-row panels, one column panel per core.
// TILE-LABEL: func.func @four_rows
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [4, 1040, 8], register = [4, 16, 8]>
func.func @four_rows(%x: tensor<4x4096xf32>, %b: tensor<4096x4097xf32>, %c: tensor<4x4097xf32>) -> tensor<4x4097xf32> {
  %r = linalg.matmul ins(%x, %b : tensor<4x4096xf32>, tensor<4096x4097xf32>) outs(%c : tensor<4x4097xf32>) -> tensor<4x4097xf32>
  return %r : tensor<4x4097xf32>
}

// -----

// F.linear's x @ w.T, one row: 4 outputs at a time, each 2 x 8-lane
// accumulators along k (x's vector reads are shared by the 4 after cse).
// TILE-LABEL: func.func @linear
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [1, 252, 2048], register = [1, 4, 2048]>
// CHECK-LABEL: func.func @linear
// CHECK: scf.for {{.*}} step %c252
// CHECK:   scf.for {{.*}} step %c4
// CHECK:     scf.for {{.*}} = %c0 to %c2048 step %c16 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:       vector.transfer_read {{.*}} : tensor<1x2048xf32>, vector<8xf32>
// CHECK:       vector.transfer_read {{.*}} : tensor<4x2048xf32>, vector<8xf32>
// CHECK:       arith.mulf {{.*}} : vector<8xf32>
// CHECK:       arith.addf {{.*}} : vector<8xf32>
// CHECK:       scf.yield
// CHECK-COUNT-4: vector.reduction <add>, {{.*}} fastmath<reassoc> : vector<8xf32> into f32
// CHECK-NOT: vector.contract
// CHECK-NOT: vector.transpose
func.func @linear(%x: tensor<1x2048xf32>, %w: tensor<1000x2048xf32>) -> tensor<1x1000xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1000xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%x, %w : tensor<1x2048xf32>, tensor<1000x2048xf32>) outs(%c : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  return %r : tensor<1x1000xf32>
}

// -----

// Three rows: 2 x 4 tiles, and the third row (peeled) as 1 x 4 dot
// products, vectorised too (it used to stay a scalar matmul over every
// column). Only the last tile's one column past the 4s stays scalar.
// TILE-LABEL: func.func @linear3
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [4, 64, 1000], register = [2, 4, 1000]>
// CHECK-LABEL: func.func @linear3
// CHECK: scf.for {{.*}} step %c4
// CHECK:   scf.for {{.*}} = %c0 to %c1000 step %c8 {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-8: vector.reduction <add>
// CHECK: linalg.matmul {{.*}} ins({{.*}} : tensor<2x1000xf32>, tensor<?x1000xf32>)
// CHECK: tensor.extract_slice {{.*}}[2, %{{.*}}] [1, 4] [1, 1] : tensor<3x?xf32> to tensor<1x4xf32>
// CHECK:   scf.for {{.*}} = %c0 to %c1000 step %c8 {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-4: vector.reduction <add>
func.func @linear3(%x: tensor<3x1000xf32>, %w: tensor<4097x1000xf32>) -> tensor<3x4097xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4097xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<3x4097xf32>) -> tensor<3x4097xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%x, %w : tensor<3x1000xf32>, tensor<4097x1000xf32>) outs(%c : tensor<3x4097xf32>) -> tensor<3x4097xf32>
  return %r : tensor<3x4097xf32>
}

// -----

// linalg.matvec is the same dot product (A's rows along k); k = 2049 is
// one register tile of 2048 and a remainder of 1.
// TILE-LABEL: func.func @matvec
// TILE: linalg.matvec {{.*}}roller.tile = #roller.rtile<L2 = [252, 4096], register = [4, 2048]>
// CHECK-LABEL: func.func @matvec
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-4: vector.reduction <add>
func.func @matvec(%a: tensor<1000x2049xf32>, %x: tensor<2049xf32>, %c: tensor<1000xf32>) -> tensor<1000xf32> {
  %r = linalg.matvec ins(%a, %x : tensor<1000x2049xf32>, tensor<2049xf32>) outs(%c : tensor<1000xf32>) -> tensor<1000xf32>
  return %r : tensor<1000xf32>
}

// -----

// k = 29 is under 4 vectors: a horizontal reduction per output would cost
// more than it saves; vectors stay along n.
// TILE-LABEL: func.func @short_k
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [10, 64, 32], register = [5, 16, 8]>
func.func @short_k(%x: tensor<37x29xf32>, %w: tensor<53x29xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%x, %w : tensor<37x29xf32>, tensor<53x29xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

