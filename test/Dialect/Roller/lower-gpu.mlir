// --roller-lower{gpu=true}: block and thread tile loops for the GPU; a
// contraction with whole tiles stages its operands in block-level tiles
// (shared memory once roller-map-gpu maps the block).
//
// RUN: fourfold-opt %s -split-input-file --roller-lower=gpu=true | FileCheck %s

// 64x64x64 in 16x16 blocks, 8-deep steps, 2x2 per thread: 4x4 blocks of
// 8x8 threads. Per step the block copies A's 16x8 and B's 8x16 slices
// (rows of 4 per thread) into tiles, then the threads multiply them.
// CHECK-LABEL: func.func @staged
// The tiles' tensor.empty is hoisted out of the step loop: one buffer per
// block, refilled every step.
// CHECK: scf.forall (%[[I:.*]], %[[J:.*]]) = (0, 0) to (64, 64) step (16, 16)
// CHECK: %[[AS:.*]] = tensor.empty() : tensor<16x8xf32>
// CHECK: %[[BS:.*]] = tensor.empty() : tensor<8x16xf32>
// CHECK: scf.for %[[K:.*]] = %c0 to %c64 step %c8
// CHECK: scf.forall {{.*}} = (0, 0) to (16, 8) step (1, 4) shared_outs({{.*}} = %[[AS]])
// CHECK: scf.forall {{.*}} = (0, 0) to (8, 16) step (1, 4) shared_outs({{.*}} = %[[BS]])
// CHECK: scf.forall {{.*}} = (0, 0) to (16, 16) step (2, 2)
// CHECK: vector.contract
func.func @staged(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32>
    attributes {roller.target = #roller.target<"sm_90", gpu, units = 132, blocks_per_unit = 32, threads_per_unit = 2048, warp = 32, regs_per_unit = 65536, vector_bits = 128, levels = [#roller.level<"global", capacity = 85899345920, bandwidth = 3350, transaction = 32>, #roller.level<"shared", capacity = 233472, bandwidth = 33454.08, transaction = 128, banks = 32>, #roller.level<"register", capacity = 262144, bandwidth = 401448.96, transaction = 4>], peak = {f32 = 66900.0 : f64}>} {
  %r = linalg.matmul {roller.tile = #roller.rtile<shared = [16, 16, 8], register = [2, 2, 8]>}
      ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// -----

// Partial block tiles (37 rows in 16s): no staging; each thread walks its
// own reduction steps.
// CHECK-LABEL: func.func @partial
// CHECK-NOT: tensor.empty
// CHECK: scf.forall {{.*}} = (0, 0) to (37, 53) step (16, 16)
// CHECK: scf.forall {{.*}} in (%{{.*}}, %{{.*}})
// CHECK: scf.for {{.*}} = %c0 to %c24 step %c8
func.func @partial(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32>
    attributes {roller.target = #roller.target<"sm_90", gpu, units = 132, blocks_per_unit = 32, threads_per_unit = 2048, warp = 32, regs_per_unit = 65536, vector_bits = 128, levels = [#roller.level<"global", capacity = 85899345920, bandwidth = 3350, transaction = 32>, #roller.level<"shared", capacity = 233472, bandwidth = 33454.08, transaction = 128, banks = 32>, #roller.level<"register", capacity = 262144, bandwidth = 401448.96, transaction = 4>], peak = {f32 = 66900.0 : f64}>} {
  %r = linalg.matmul {roller.tile = #roller.rtile<shared = [16, 16, 8], register = [1, 1, 8]>}
      ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

// -----

// Inside a block-level loop (a welder group's tile) an operator gets only
// its threads' loop; its thread tile grows until the block has at most
// 1024 threads (64x64 elements at 1x1 would be 4096).
// CHECK-LABEL: func.func @in_block
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: scf.forall {{.*}} = (0, 0) to (64, 64) step (2, 2)
// CHECK-NOT: scf.forall
// CHECK: arith.mulf
func.func @in_block(%x: tensor<128x64xf32>) -> tensor<128x64xf32>
    attributes {roller.target = #roller.target<"sm_90", gpu, units = 132, blocks_per_unit = 32, threads_per_unit = 2048, warp = 32, regs_per_unit = 65536, vector_bits = 128, levels = [#roller.level<"global", capacity = 85899345920, bandwidth = 3350, transaction = 32>, #roller.level<"shared", capacity = 233472, bandwidth = 33454.08, transaction = 128, banks = 32>, #roller.level<"register", capacity = 262144, bandwidth = 401448.96, transaction = 4>], peak = {f32 = 66900.0 : f64}>} {
  %e = tensor.empty() : tensor<128x64xf32>
  %r = scf.forall (%b) in (2) shared_outs(%o = %e) -> (tensor<128x64xf32>) {
    %row = affine.apply affine_map<(d) -> (d * 64)>(%b)
    %in = tensor.extract_slice %x[%row, 0] [64, 64] [1, 1] : tensor<128x64xf32> to tensor<64x64xf32>
    %out = tensor.extract_slice %o[%row, 0] [64, 64] [1, 1] : tensor<128x64xf32> to tensor<64x64xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%in : tensor<64x64xf32>) outs(%out : tensor<64x64xf32>) attrs = {roller.tile = #roller.rtile<shared = [64, 64], register = [1, 1]>} {
    ^bb0(%v: f32, %w: f32):
      %t = arith.mulf %v, %v : f32
      linalg.yield %t : f32
    } -> tensor<64x64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %y into %o[%row, 0] [64, 64] [1, 1] : tensor<64x64xf32> into tensor<128x64xf32>
    }
  }
  return %r : tensor<128x64xf32>
}
