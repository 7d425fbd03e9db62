// Transposing copies on the CPU (issue 9): linalg.transpose and welder's
// generic copies with a permuted map get register tiles of one vector each
// way (8 x 8 on this 256-bit target, 16 x 16 with AVX-512) inside 64 x 64
// cache tiles; --roller-lower reads a tile as input rows, transposes it
// with shuffles (upstream's 16x16 network there, one flat shuffle here) and
// writes output rows. Partial tiles (197 = 3 x 64 + 5, inside a partial
// cache tile: dynamic sizes) are masked vector blocks (rows and lanes past
// the tile are neither read as data nor written): no scalar loop, no
// element-wise transpose.
//
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target" | FileCheck %s --check-prefix=TILE
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target" --roller-lower=parallel=false | FileCheck %s

// TILE-LABEL: func.func @square
// TILE: linalg.transpose {{.*}}roller.tile = #roller.rtile<L1 = [64, 64], register = [8, 8]>
// CHECK-LABEL: func.func @square
// CHECK: vector.transfer_read {{.*}} {in_bounds = [true, true]} : tensor<8x8xf32>, vector<8x8xf32>
// CHECK: vector.shuffle {{.*}} : vector<64xf32>, vector<64xf32>
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true, true]} : vector<8x8xf32>, tensor<8x8xf32>
// CHECK-NOT: vector.transpose
// CHECK-NOT: linalg.transpose
func.func @square(%a: tensor<256x128xf32>) -> tensor<128x256xf32> {
  %e = tensor.empty() : tensor<128x256xf32>
  %t = linalg.transpose ins(%a : tensor<256x128xf32>) outs(%e : tensor<128x256xf32>) permutation = [1, 0]
  return %t : tensor<128x256xf32>
}

// -----

// Odd sizes and a rank-3 permutation (attention's k^T per head): the
// partial tiles (of 197 rows and 77 columns) are masked 8 x 8 blocks.
// TILE-LABEL: func.func @odd
// TILE: linalg.generic {{.*}}roller.tile = #roller.rtile<L1 = [1, 64, 64], register = [1, 8, 8]>
// CHECK-LABEL: func.func @odd
// CHECK-DAG: vector.transfer_read {{.*}} {in_bounds = [true, true]} : tensor<8x8xf32>, vector<8x8xf32>
// CHECK-DAG: vector.transfer_read {{.*}} {in_bounds = [false, true]} : tensor<?x8xf32>, vector<8x8xf32>
// CHECK-DAG: vector.transfer_read {{.*}} {in_bounds = [true, false]} : tensor<8x?xf32>, vector<8x8xf32>
// CHECK-DAG: vector.transfer_read {{.*}} : tensor<?x?xf32>, vector<8x8xf32>
// CHECK-DAG: vector.transfer_write {{.*}} {in_bounds = [true, false]} : vector<8x8xf32>, tensor<8x?xf32>
// CHECK-DAG: vector.transfer_write {{.*}} {in_bounds = [false, true]} : vector<8x8xf32>, tensor<?x8xf32>
// CHECK-DAG: vector.transfer_write {{.*}} : vector<8x8xf32>, tensor<?x?xf32>
// CHECK-NOT: vector.transpose
// CHECK-NOT: linalg.generic
func.func @odd(%k: tensor<3x197x77xf32>) -> tensor<3x77x197xf32> {
  %e = tensor.empty() : tensor<3x77x197xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(h, d, t) -> (h, t, d)>, affine_map<(h, d, t) -> (h, d, t)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
       ins(%k : tensor<3x197x77xf32>) outs(%e : tensor<3x77x197xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<3x77x197xf32>
  return %t : tensor<3x77x197xf32>
}

// -----

// A permutation that keeps the contiguous dimension (heads split off the
// columns) is a plain vectorised copy, not a transposing one.
// TILE-LABEL: func.func @rows_only
// TILE-NOT: register = [1, 8, 8]
// CHECK-LABEL: func.func @rows_only
// CHECK-NOT: vector.shuffle
func.func @rows_only(%a: tensor<8x256x32xf32>) -> tensor<256x8x32xf32> {
  %e = tensor.empty() : tensor<256x8x32xf32>
  %t = linalg.transpose ins(%a : tensor<8x256x32xf32>) outs(%e : tensor<256x8x32xf32>) permutation = [1, 0, 2]
  return %t : tensor<256x8x32xf32>
}
