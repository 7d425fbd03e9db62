// --roller-lower on the CPU: one loop nest per rTile level (outermost
// first), the register level peeled where the tile does not divide the
// sizes (the remainder stays a scalar linalg op on dynamic slices), full
// register tiles vectorised (vector.contract for a matmul) with the
// accumulator kept in a vector iter_arg across the reduction loop, and the
// module's roller.target dropped once lowered.
// Each module carries the fixed CPU of Inputs/cpu.target; the tiles are
// hand-written (kept by --roller-construct) or constructed.
//
// Sequential outer loops (parallel=false):
// RUN: fourfold-opt %s -split-input-file --roller-construct --roller-lower=parallel=false | FileCheck %s --check-prefixes=CHECK,SEQ
// The default spreads the outermost level's parallel loops over the cores
// (one scf.forall); its reduction loops and the inner levels are as above:
// RUN: fourfold-opt %s -split-input-file --roller-construct --roller-lower | FileCheck %s --check-prefixes=CHECK,PAR
// Under a GPU target --roller-lower changes nothing: the tiles stay as
// attributes for the GPU lowering, and so does the target.
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=sm_90 --roller-lower | FileCheck %s --check-prefix=GPU

// GPU:     module attributes {roller.target = #roller.target<"sm_90"
// GPU-NOT: {{scf|vector}}.
// GPU:     linalg.matmul {roller.tile = #roller.rtile<L2 = [10, 40, 16], register = [2, 8, 4]>}
// GPU-NOT: {{scf|vector}}.
// GPU:     module attributes {roller.target = #roller.target<"sm_90"
// GPU-NOT: {{scf|vector}}.
// GPU:     linalg.matmul {roller.tile = #roller.rtile<L2 = [8, 32, 16], register = [4, 8, 8]>}
// GPU-NOT: {{scf|vector}}.
// GPU:     module attributes {roller.target = #roller.target<"sm_90"
// GPU-NOT: {{scf|vector}}.
// GPU:     linalg.matmul {roller.predicted_us = {{.*}}, roller.tile = #roller.rtile<shared = [16, 16, 8], register = [1, 1, 1]>}
// GPU-NOT: {{scf|vector}}.
// GPU:     module attributes {roller.target = #roller.target<"sm_90"
// GPU-NOT: {{scf|vector}}.
// GPU:     linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, roller.tile = #roller.rtile<L2 = [1, 4, 7, 4, 3, 3, 3], register = [1, 2, 7, 4, 3, 3, 3]>
// GPU-NOT: {{scf|vector}}.

// 20x40x29 (M x N x K) with L2 tile [10, 40, 16] and register tile
// [2, 8, 4]: j's L2 tile is its whole range (no loop); k = 29 leaves L2
// tiles of 16 and 13, and in each the register loop runs to the last
// multiple of 4 (16 or 12) with the rest (0 or 1) peeled, one k at a time.
// CHECK-LABEL: module {
// CHECK-LABEL: func.func @partial(
// L2 level: i (parallel), then k (reduction).
// SEQ:         scf.for %[[I:.*]] = %c0 to %c20 step %c10 iter_args(%{{.*}} = %{{.*}}) -> (tensor<20x40xf32>) {
// PAR:         scf.forall (%[[I:.*]]) = (0) to (20) step (10) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<20x40xf32>) {
// CHECK:         scf.for %[[K:.*]] = %c0 to %c29 step %c16 iter_args(
// CHECK:           %[[KC:.*]] = affine.min #{{.*}}(%[[K]])
// CHECK:           %[[KFULL:.*]] = affine.apply #{{.*}}()[%[[KC]]]
// Register level: i, j, then k up to the last whole step.
// CHECK:           scf.for %{{.*}} = %c0 to %c10 step %c2 iter_args(
// CHECK:             scf.for %{{.*}} = %c0 to %c40 step %c8 iter_args(
// The accumulator is read once before the reduction loop ...
// CHECK:               %[[ACC:.*]] = vector.transfer_read %{{.*}} : tensor<2x8xf32>, vector<2x8xf32>
// CHECK:               %[[SUM:.*]] = scf.for %{{.*}} = %c0 to %[[KFULL]] step %c4 iter_args(%[[A:.*]] = %[[ACC]]) -> (vector<2x8xf32>) {
// CHECK-NOT:             tensor<2x8xf32>
// CHECK:                 vector.transfer_read %{{.*}} : tensor<2x4xf32>, vector<2x4xf32>
// CHECK:                 vector.transfer_read %{{.*}} : tensor<4x8xf32>, vector<4x8xf32>
// CHECK:                 %[[C:.*]] = vector.contract {{.*}}iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %{{.*}}, %{{.*}}, %[[A]] : vector<2x4xf32>, vector<4x8xf32> into vector<2x8xf32>
// CHECK-NEXT:            scf.yield %[[C]] : vector<2x8xf32>
// The peeled remainder of k (a count known at run time): one k per step,
// an outer product on the same accumulator ...
// CHECK:               %[[REST:.*]] = scf.for %{{.*}} = %[[KFULL]] to %[[KC]] step %c4 iter_args(%[[R:.*]] = %[[SUM]]) -> (vector<2x8xf32>) {
// CHECK:                 scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%[[R1:.*]] = %[[R]]) -> (vector<2x8xf32>) {
// CHECK:                   vector.contract {{.*}} %{{.*}}, %{{.*}}, %[[R1]] : vector<2x1xf32>, vector<1x8xf32> into vector<2x8xf32>
// ... and the accumulator written once after both.
// CHECK:               vector.transfer_write %[[REST]], %{{.*}} : vector<2x8xf32>, tensor<2x8xf32>
// CHECK-NOT:           linalg.matmul
// PAR:         scf.forall.in_parallel {
// CHECK-NOT:   roller.
module attributes {roller.target = #roller.target<"testcpu", cpu, units = 4, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 16, vector_bits = 256, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 512, bandwidth = 1536, transaction = 32>], peak = {f32 = 256.0 : f64, f64 = 128.0 : f64}>} {
  func.func @partial(%a: tensor<20x29xf32>, %b: tensor<29x40xf32>, %c: tensor<20x40xf32>) -> tensor<20x40xf32> {
    %r = linalg.matmul {roller.tile = #roller.rtile<L2 = [10, 40, 16], register = [2, 8, 4]>} ins(%a, %b : tensor<20x29xf32>, tensor<29x40xf32>) outs(%c : tensor<20x40xf32>) -> tensor<20x40xf32>
    return %r : tensor<20x40xf32>
  }
}

// -----

// 16x32x16 with L2 [8, 32, 16] and register [4, 8, 8]: every tile divides,
// nothing is peeled and no scalar matmul is left.
// CHECK-LABEL: module {
// CHECK-LABEL: func.func @divides(
// SEQ:         scf.for %{{.*}} = %c0 to %c16 step %c8 iter_args(
// PAR:         scf.forall (%{{.*}}) = (0) to (16) step (8) shared_outs(
// CHECK:         scf.for %{{.*}} = %c0 to %c8 step %c4 iter_args(
// CHECK:           scf.for %{{.*}} = %c0 to %c32 step %c8 iter_args(
// CHECK:             vector.transfer_read %{{.*}} : tensor<4x8xf32>, vector<4x8xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c16 step %c8 iter_args(%{{.*}} = %{{.*}}) -> (vector<4x8xf32>) {
// CHECK:               vector.contract {{.*}} : vector<4x8xf32>, vector<8x8xf32> into vector<4x8xf32>
// CHECK:             vector.transfer_write {{.*}} : vector<4x8xf32>, tensor<4x8xf32>
// CHECK-NOT:   linalg.matmul
// CHECK-NOT:   affine.min
// CHECK:       return
module attributes {roller.target = #roller.target<"testcpu", cpu, units = 4, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 16, vector_bits = 256, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 512, bandwidth = 1536, transaction = 32>], peak = {f32 = 256.0 : f64, f64 = 128.0 : f64}>} {
  func.func @divides(%a: tensor<16x16xf32>, %b: tensor<16x32xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
    %r = linalg.matmul {roller.tile = #roller.rtile<L2 = [8, 32, 16], register = [4, 8, 8]>} ins(%a, %b : tensor<16x16xf32>, tensor<16x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
    return %r : tensor<16x32xf32>
  }
}

// -----

// 37x53x29 with the constructed tile (L2 [10, 64, 32], register [5, 16, 8],
// see construct.mlir): i in L2 tiles of 10 (the last one 7), rows in
// register tiles of 5; j and k fit their L2 tile, so the register level
// runs j over 48 = 3 x 16 and k over 24 = 3 x 8. Every remainder of static
// size is vectorised too: k's 5 (5x5 by 5x16), j's 5 columns (5x8 by 8x5
// over k, then 5x5 by 5x5; as a scalar matmul over k, a column remainder
// of 8 made 2048x72x512 run at 38 GFLOP/s instead of 108); the 2 rows a
// last L2 tile of 7 leaves have a dynamic count and stay scalar.
// CHECK-LABEL: module {
// CHECK-LABEL: func.func @constructed(
// SEQ:         scf.for %{{.*}} = %c0 to %c37 step %c10 iter_args(
// PAR:         scf.forall (%{{.*}}) = (0) to (37) step (10) shared_outs(
// CHECK:         scf.for %{{.*}} = %c0 to %{{.*}} step %c5 iter_args(
// CHECK:           scf.for %{{.*}} = %c0 to %c48 step %c16 iter_args(
// CHECK:             scf.for %{{.*}} = %c0 to %c24 step %c8 iter_args(%{{.*}} = %{{.*}}) -> (vector<5x16xf32>) {
// CHECK:               vector.contract {{.*}} : vector<5x8xf32>, vector<8x16xf32> into vector<5x16xf32>
// CHECK:             vector.contract {{.*}} : vector<5x5xf32>, vector<5x16xf32> into vector<5x16xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c24 step %c8 iter_args(%{{.*}} = %{{.*}}) -> (vector<5x5xf32>) {
// CHECK:             vector.contract {{.*}} : vector<5x8xf32>, vector<8x5xf32> into vector<5x5xf32>
// CHECK:           vector.contract {{.*}} : vector<5x5xf32>, vector<5x5xf32> into vector<5x5xf32>
// CHECK-NOT:   roller.
module attributes {roller.target = #roller.target<"testcpu", cpu, units = 4, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 16, vector_bits = 256, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 512, bandwidth = 1536, transaction = 32>], peak = {f32 = 256.0 : f64, f64 = 128.0 : f64}>} {
  func.func @constructed(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
    %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
    return %r : tensor<37x53xf32>
  }
}

// -----

// A 2-D convolution tile whose window rows are not unit (here kh = 3 and
// two output rows) is not a 1-D convolution, which is all the vectoriser
// handles: its tiles stay scalar linalg ops (static full tiles, dynamic
// remainders), in the same loop nests. roller-construct keeps kh = kw = 1 in
// the register tile so that this does not happen to the tiles it chooses.
// CHECK-LABEL: module {
// CHECK-LABEL: func.func @conv(
// SEQ:         scf.for %{{.*}} = %c0 to %c7 step %c4 iter_args(
// PAR:         scf.forall (%{{.*}}) = (0) to (7) step (4) shared_outs(
// CHECK:         scf.for %{{.*}} step %c2 iter_args(
// CHECK:           linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x9x3xf32>, tensor<3x3x3x4xf32>) outs(%{{.*}} : tensor<1x2x7x4xf32>)
// CHECK:         scf.for %{{.*}} step %c2 iter_args(
// CHECK:           linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x?x9x3xf32>, tensor<3x3x3x4xf32>) outs(%{{.*}} : tensor<1x?x7x4xf32>)
// CHECK-NOT:   vector.
// CHECK-NOT:   roller.
module attributes {roller.target = #roller.target<"testcpu", cpu, units = 4, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 16, vector_bits = 256, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 512, bandwidth = 1536, transaction = 32>], peak = {f32 = 256.0 : f64, f64 = 128.0 : f64}>} {
  func.func @conv(%x: tensor<1x9x9x3xf32>, %w: tensor<3x3x3x4xf32>, %c: tensor<1x7x7x4xf32>) -> tensor<1x7x7x4xf32> {
    %r = linalg.conv_2d_nhwc_hwcf {roller.tile = #roller.rtile<L2 = [1, 4, 7, 4, 3, 3, 3], register = [1, 2, 7, 4, 3, 3, 3]>, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x9x9x3xf32>, tensor<3x3x3x4xf32>) outs(%c : tensor<1x7x7x4xf32>) -> tensor<1x7x7x4xf32>
    return %r : tensor<1x7x7x4xf32>
  }
}
