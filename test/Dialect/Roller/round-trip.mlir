// RUN: fourfold-opt %s | fourfold-opt | FileCheck %s
// RUN: fourfold-opt %s --mlir-print-op-generic | fourfold-opt | FileCheck %s

// A GPU target on the module: three levels, banks on the banked ones only,
// a whole-number and a fractional bandwidth, two peak types.
// CHECK-LABEL: module attributes
// CHECK-SAME: roller.target = #roller.target<"sm_90", gpu, units = 132, blocks_per_unit = 32, threads_per_unit = 2048, warp = 32, regs_per_unit = 65536, vector_bits = 128,
// CHECK-SAME: levels = [#roller.level<"global", capacity = 85899345920, bandwidth = 3350, transaction = 32>,
// CHECK-SAME: #roller.level<"shared", capacity = 233472, bandwidth = 33000.5, transaction = 128, banks = 32>,
// CHECK-SAME: #roller.level<"register", capacity = 262144, bandwidth = 200000, transaction = 4, banks = 1>],
// CHECK-SAME: peak = {f16 = 9.890000e+05 : f64, f32 = 6.690000e+04 : f64}>
module attributes {roller.target = #roller.target<"sm_90", gpu, units = 132, blocks_per_unit = 32, threads_per_unit = 2048, warp = 32, regs_per_unit = 65536, vector_bits = 128, levels = [#roller.level<"global", capacity = 85899345920, bandwidth = 3350, transaction = 32>, #roller.level<"shared", capacity = 233472, bandwidth = 33000.5, transaction = 128, banks = 32>, #roller.level<"register", capacity = 262144, bandwidth = 200000.0, transaction = 4, banks = 1>], peak = {f32 = 66900.0 : f64, f16 = 989000.0 : f64}>} {

// A CPU target on a function. `banks = 0` is the default and is not printed;
// exponent forms keep a dot so that they parse back.
// CHECK-LABEL: func.func @cpu_target
// CHECK-SAME: attributes {roller.target = #roller.target<"znver3", cpu, units = 16, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 16, vector_bits = 256,
// CHECK-SAME: levels = [#roller.level<"dram", capacity = 68719476736, bandwidth = 1.5e+07, transaction = 64>,
// CHECK-SAME: #roller.level<"L2 cache", capacity = 524288, bandwidth = 1.0e-05, transaction = 64>],
// CHECK-SAME: peak = {f32 = 1.000000e+03 : f64}>}
func.func @cpu_target() attributes {roller.target = #roller.target<"znver3", cpu, units = 16, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 16, vector_bits = 256, levels = [#roller.level<"dram", capacity = 68719476736, bandwidth = 1.5e7, transaction = 64, banks = 0>, #roller.level<"L2 cache", capacity = 524288, bandwidth = 0.00001, transaction = 64>], peak = {f32 = 1000.0 : f64}>} {
  return
}

// rTiles with one, two and three levels, a quoted level name, and a
// predicted time on a linalg op and on a function.
// CHECK-LABEL: func.func @rtiles
// CHECK-SAME: attributes {roller.predicted_us = 2.500000e+01 : f64}
// CHECK: linalg.fill {roller.tile = #roller.rtile<global = [64, 16]>}
// CHECK: linalg.matmul {roller.predicted_us = 1.500000e+00 : f64, roller.tile = #roller.rtile<shared = [32, 16, 8], register = [4, 4, 1]>}
// CHECK: linalg.generic
// CHECK-SAME: roller.tile = #roller.rtile<global = [64, 16], shared = [16, 16], "L0 regs" = [1, 4]>
func.func @rtiles(%a: tensor<64x32xf32>, %b: tensor<32x16xf32>) -> tensor<64x16xf32> attributes {roller.predicted_us = 25.0 : f64} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x16xf32>
  %c = linalg.fill {roller.tile = #roller.rtile<global = [64, 16]>} ins(%zero : f32) outs(%e : tensor<64x16xf32>) -> tensor<64x16xf32>
  %r = linalg.matmul {roller.tile = #roller.rtile<shared = [32, 16, 8], register = [4, 4, 1]>, roller.predicted_us = 1.5 : f64} ins(%a, %b : tensor<64x32xf32>, tensor<32x16xf32>) outs(%c : tensor<64x16xf32>) -> tensor<64x16xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%r : tensor<64x16xf32>) outs(%e : tensor<64x16xf32>) attrs = {roller.tile = #roller.rtile<global = [64, 16], shared = [16, 16], "L0 regs" = [1, 4]>} {
  ^bb0(%x: f32, %y: f32):
    %m = arith.maximumf %x, %zero : f32
    linalg.yield %m : f32
  } -> tensor<64x16xf32>
  return %g : tensor<64x16xf32>
}

// Ops that tile through TilingInterface without being linalg structured ops:
// tensor.pad (one loop per result dim) and linalg.pack (one per source dim).
// CHECK-LABEL: func.func @tiling_interface
// CHECK: tensor.pad
// CHECK: } {roller.tile = #roller.rtile<shared = [4, 8]>} : tensor<10x10xf32> to tensor<12x14xf32>
// CHECK: linalg.pack
// CHECK-SAME: {roller.tile = #roller.rtile<shared = [2, 4]>}
func.func @tiling_interface(%t: tensor<10x10xf32>, %p: f32, %s: tensor<16x32xf32>, %d: tensor<4x8x4x4xf32>) -> (tensor<12x14xf32>, tensor<4x8x4x4xf32>) {
  %0 = tensor.pad %t low[1, 2] high[1, 2] {
  ^bb0(%i: index, %j: index):
    tensor.yield %p : f32
  } {roller.tile = #roller.rtile<shared = [4, 8]>} : tensor<10x10xf32> to tensor<12x14xf32>
  %1 = linalg.pack %s inner_dims_pos = [0, 1] inner_tiles = [4, 4] into %d {roller.tile = #roller.rtile<shared = [2, 4]>} : tensor<16x32xf32> -> tensor<4x8x4x4xf32>
  return %0, %1 : tensor<12x14xf32>, tensor<4x8x4x4xf32>
}

// A zero predicted time is allowed (an op folded away, say).
// CHECK-LABEL: func.func @zero_time
// CHECK-SAME: roller.predicted_us = 0.000000e+00 : f64
func.func @zero_time() attributes {roller.predicted_us = 0.0 : f64} {
  return
}

}
