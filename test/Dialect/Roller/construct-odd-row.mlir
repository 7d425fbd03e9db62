// --roller-construct / --roller-lower on a matmul whose row (53 columns)
// is narrower than the register tile's 4 vectors, on a fixed 16-lane CPU
// given as the module's target.
//
// RUN: fourfold-opt %s --roller-construct | FileCheck %s --check-prefix=TILE
// RUN: fourfold-opt %s --roller-construct --roller-lower=parallel=false | FileCheck %s

// A row narrower than 4 vectors (53 columns of 16 lanes). Covered whole by
// one 53-wide register tile, each row of accumulators would be a
// vector<53xf32> that LLVM widens to four registers and loads in pieces
// (one row per tile was the most that paid: 37x53x29 at 41 GFLOP/s on the
// host); roller-lower now vectorises the remainder tiles of static width,
// so tiles of 16 columns with several rows win (50 GFLOP/s, numpy 46). Here
// the cache tile of 32 columns leaves a last one of 21 whose 5-column
// partial has a dynamic width and stays a scalar matmul, as the model
// prices it.
// TILE-LABEL: func.func @odd
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [21, 32, 32], register = [7, 16, 8]>
// CHECK-LABEL: func.func @odd
// CHECK: scf.for {{.*}} -> (vector<7x16xf32>)
// CHECK:   vector.contract {{.*}} : vector<7x8xf32>, vector<8x16xf32> into vector<7x16xf32>
// CHECK: vector.contract {{.*}} : vector<7x5xf32>, vector<5x16xf32> into vector<7x16xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<7x8xf32>, tensor<8x?xf32>)

// 48 columns in tiles of several rows: not one 48-wide register tile (three
// vectors, which LLVM widens to four registers per row and loads in pieces:
// 2048x48x512 ran at 26 GFLOP/s that way, 115 as 32-wide tiles and a
// 16-wide remainder) but tiles of two vectors and a remainder of one.
// TILE-LABEL: func.func @three_vectors
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [64, 64, 64], register = [8, 32, 8]>
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
