// --roller-construct / --roller-lower on a matmul whose row (53 columns)
// is narrower than the register tile's 4 vectors, on a fixed 16-lane CPU
// given as the module's target.
//
// RUN: fourfold-opt %s --roller-construct | FileCheck %s --check-prefix=TILE
// RUN: fourfold-opt %s --roller-construct --roller-lower=parallel=false | FileCheck %s

// A row narrower than the register tile's vectors (53 columns, 4 x 16
// lanes) is one static register tile vectorised whole, partial last vector
// included: the model counts it as vector work, not a scalar remainder (3 x
// 16 columns + 5 scalar ones ran 1.9x slower on the host).
// TILE-LABEL: func.func @odd
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [8, 64, 32], register = [1, 64, 8]>
// CHECK-LABEL: func.func @odd
// CHECK: scf.for {{.*}} -> (vector<1x53xf32>)
// CHECK:   vector.contract {{.*}} : vector<1x8xf32>, vector<8x53xf32> into vector<1x53xf32>
// CHECK: vector.contract {{.*}} : vector<1x5xf32>, vector<5x53xf32> into vector<1x53xf32>
// CHECK-NOT: linalg.matmul

// 48 columns in tiles of several rows: not one 48-wide register tile (three
// vectors, which LLVM widens to four registers per row and loads in pieces:
// 2048x48x512 ran at 26 GFLOP/s that way, 115 as 16-wide tiles) but three
// tiles of one vector each.
// TILE-LABEL: func.func @three_vectors
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [64, 48, 64], register = [8, 16, 8]>
module attributes {roller.target = #roller.target<"testcpu512", cpu, units = 4, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 32, vector_bits = 512, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 2048, bandwidth = 3072, transaction = 64>], peak = {f32 = 512.0 : f64}>} {
func.func @odd(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}
func.func @three_vectors(%a: tensor<256x64xf32>, %b: tensor<64x48xf32>, %c: tensor<256x48xf32>) -> tensor<256x48xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<256x64xf32>, tensor<64x48xf32>) outs(%c : tensor<256x48xf32>) -> tensor<256x48xf32>
  return %r : tensor<256x48xf32>
}
}
