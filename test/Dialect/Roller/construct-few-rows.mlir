// Few-row contractions on a fixed 2-core, 16-lane CPU given as the module's
// target: a register tile that holds every row streams the matrix (the input
// the row loop does not index) in 8-row panels, like a GEMV, only when that
// matrix comes from beyond L2; one that L2 holds gets the general
// contraction's tiles. And roller-lower keeps a cache tile's register tiles
// in registers across its reduction loop only when they fit the register
// file.
//
// RUN: fourfold-opt %s -split-input-file --roller-construct | FileCheck %s --check-prefix=TILE
// RUN: fourfold-opt %s -split-input-file --roller-construct --roller-lower=parallel=false | FileCheck %s

// MobileNetV2's 96 -> 16 projection on a welder group's 7 x 28 tile (one
// core's work inside the group's loop): 16 filters fit one register tile,
// but the 96 x 7 x 32 input is 86 KB, in L2. 8 x 32 tiles (most reuse per
// load) with the whole reduction per cache tile: 16 x 16 with k in steps of
// 8 ran 89 us per block against 72 (host, 1 thread). Written here as a 7 x
// 32 tile: at 7 x 28 the convolution is now a matmul over its 196 pixels
// (roller-convs-as-matmuls), which fills more vector lanes.
// TILE-LABEL: func.func @projection
// TILE: linalg.conv_2d_nchw_fchw {{.*}}roller.tile = #roller.rtile<L2 = [1, 16, 1, 32, 96, 1, 1], register = [1, 8, 1, 32, 8, 1, 1]>
// CHECK-LABEL: func.func @projection
// CHECK: scf.for {{.*}} = %c0 to %c96 step %c8 iter_args({{.*}}) -> (vector<8x32xf32>)
module attributes {roller.target = #roller.target<"testcpu512", cpu, units = 2, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 32, vector_bits = 512, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 2048, bandwidth = 3072, transaction = 64>], peak = {f32 = 256.0 : f64}>} {
func.func @projection(%x: tensor<1x96x7x32xf32>, %w: tensor<16x96x1x1xf32>, %o: tensor<1x16x7x32xf32>) -> tensor<1x16x7x32xf32> {
  %e = tensor.empty() : tensor<1x16x7x32xf32>
  %r = scf.forall (%i) in (1) shared_outs(%s = %e) -> (tensor<1x16x7x32xf32>) {
    %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x96x7x32xf32>, tensor<16x96x1x1xf32>) outs(%o : tensor<1x16x7x32xf32>) -> tensor<1x16x7x32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %0 into %s[0, 0, 0, 0] [1, 16, 7, 32] [1, 1, 1, 1] : tensor<1x16x7x32xf32> into tensor<1x16x7x32xf32>
    }
  }
  return %r : tensor<1x16x7x32xf32>
}
}

// -----

// That tile by hand: the cache tile's reduction step covers a full 16 x 16
// register tile and its 16 x 12 remainder, 32 vector registers of
// accumulators together: they stay in the output (L1) between the steps
// rather than spill.
// CHECK-LABEL: func.func @hand_tiled
// CHECK: scf.for {{.*}} = %c0 to %c96 step %c8 iter_args({{.*}}) -> (tensor<1x16x1x28xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<16x16xf32>, vector<16x16xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<16x12xf32>, vector<16x16xf32>
module attributes {roller.target = #roller.target<"testcpu512", cpu, units = 2, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 32, vector_bits = 512, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 2048, bandwidth = 3072, transaction = 64>], peak = {f32 = 256.0 : f64}>} {
func.func @hand_tiled(%x: tensor<1x96x1x28xf32>, %w: tensor<16x96x1x1xf32>, %o: tensor<1x16x1x28xf32>) -> tensor<1x16x1x28xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>, roller.tile = #roller.rtile<L2 = [1, 16, 1, 32, 8, 1, 1], register = [1, 16, 1, 16, 8, 1, 1]>} ins(%x, %w : tensor<1x96x1x28xf32>, tensor<16x96x1x1xf32>) outs(%o : tensor<1x16x1x28xf32>) -> tensor<1x16x1x28xf32>
  return %0 : tensor<1x16x1x28xf32>
}
}

// -----

// One register tile per cache tile (8 x 32, 16 registers) stays in
// registers across the reduction step.
// CHECK-LABEL: func.func @hand_tiled_one
// CHECK: scf.for {{.*}} = %c0 to %c96 step %c8 iter_args({{.*}}) -> (vector<8x32xf32>)
module attributes {roller.target = #roller.target<"testcpu512", cpu, units = 2, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 32, vector_bits = 512, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 2048, bandwidth = 3072, transaction = 64>], peak = {f32 = 256.0 : f64}>} {
func.func @hand_tiled_one(%x: tensor<1x96x1x28xf32>, %w: tensor<8x96x1x1xf32>, %o: tensor<1x8x1x28xf32>) -> tensor<1x8x1x28xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>, roller.tile = #roller.rtile<L2 = [1, 8, 1, 32, 8, 1, 1], register = [1, 8, 1, 32, 8, 1, 1]>} ins(%x, %w : tensor<1x96x1x28xf32>, tensor<8x96x1x1xf32>) outs(%o : tensor<1x8x1x28xf32>) -> tensor<1x8x1x28xf32>
  return %0 : tensor<1x8x1x28xf32>
}
}

// -----

// A matrix beyond L2 (64 MB) is streamed: every row in one register tile,
// 8-row panels, one column panel per core.
// TILE-LABEL: func.func @four_rows
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [4, 2064, 8], register = [4, 16, 8]>
module attributes {roller.target = #roller.target<"testcpu512", cpu, units = 2, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 32, vector_bits = 512, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 2048, bandwidth = 3072, transaction = 64>], peak = {f32 = 256.0 : f64}>} {
func.func @four_rows(%x: tensor<4x4096xf32>, %b: tensor<4096x4097xf32>, %c: tensor<4x4097xf32>) -> tensor<4x4097xf32> {
  %r = linalg.matmul ins(%x, %b : tensor<4x4096xf32>, tensor<4096x4097xf32>) outs(%c : tensor<4x4097xf32>) -> tensor<4x4097xf32>
  return %r : tensor<4x4097xf32>
}
}

// -----

// The same rows against a 100 KB matrix: L1-sized panels (88 rows of k).
// TILE-LABEL: func.func @four_rows_small
// TILE: linalg.matmul {{.*}}roller.tile = #roller.rtile<L2 = [4, 64, 88], register = [4, 32, 8]>
module attributes {roller.target = #roller.target<"testcpu512", cpu, units = 2, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 32, vector_bits = 512, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 2048, bandwidth = 3072, transaction = 64>], peak = {f32 = 256.0 : f64}>} {
func.func @four_rows_small(%x: tensor<4x256xf32>, %b: tensor<256x100xf32>, %c: tensor<4x100xf32>) -> tensor<4x100xf32> {
  %r = linalg.matmul ins(%x, %b : tensor<4x256xf32>, tensor<256x100xf32>) outs(%c : tensor<4x100xf32>) -> tensor<4x100xf32>
  return %r : tensor<4x100xf32>
}
}
