// RUN: fourfold-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// #roller.target
//===----------------------------------------------------------------------===//

// expected-error @+1 {{target needs a name}}
module attributes {roller.target = #roller.target<"", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': units must be positive, got 0}}
module attributes {roller.target = #roller.target<"x", gpu, units = 0, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': blocks_per_unit must be positive, got 0}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 0, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': threads_per_unit must be positive, got 0}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 0, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': warp must be positive, got -32}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = -32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': regs_per_unit must be positive, got 0}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 0, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': vector_bits must be positive, got 0}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 0, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': threads_per_unit (48) is not a multiple of warp (32)}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 48, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': needs at least two memory levels (the outermost and one on-chip), got 1}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': levels[1] must be a #roller.level, got "shared"}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, "shared"], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': memory level 'global' appears twice}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>, #roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// expected-error @+1 {{target 'x': peak must state GFLOP/s for at least one type}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {}>} {}

// -----

// expected-error @+1 {{target 'x': peak.f32 must be a positive float (GFLOP/s), got 0.000000e+00 : f64}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f16 = 10.0 : f64, f32 = 0.0 : f64}>} {}

// -----

// An integer is not a float: GFLOP/s are stated as floats.
// expected-error @+1 {{target 'x': peak.f32 must be a positive float (GFLOP/s), got 100 : i64}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 100}>} {}

// -----

// expected-error @+2 {{expected ::mlir::fourfold::roller::TargetKind to be one of: gpu, cpu}}
// expected-error @+1 {{failed to parse Roller_TargetAttr parameter 'kind'}}
module attributes {roller.target = #roller.target<"x", tpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

// Every field is required: with `warp` left out the parser runs out of
// fields at the closing `>`.
// expected-error @+1 {{expected ','}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>} {}

// -----

//===----------------------------------------------------------------------===//
// #roller.level
//===----------------------------------------------------------------------===//

// expected-error @+1 {{memory level needs a name}}
module attributes {test.level = #roller.level<"", capacity = 1, bandwidth = 1, transaction = 1>} {}

// -----

// expected-error @+1 {{memory level 'l1': capacity must be positive, got 0}}
module attributes {test.level = #roller.level<"l1", capacity = 0, bandwidth = 1, transaction = 1>} {}

// -----

// expected-error @+1 {{memory level 'l1': capacity must be positive, got -4096}}
module attributes {test.level = #roller.level<"l1", capacity = -4096, bandwidth = 1, transaction = 1>} {}

// -----

// expected-error @+1 {{memory level 'l1': bandwidth must be positive, got 0}}
module attributes {test.level = #roller.level<"l1", capacity = 1, bandwidth = 0, transaction = 1>} {}

// -----

// expected-error @+1 {{memory level 'l1': bandwidth must be positive, got -1.5}}
module attributes {test.level = #roller.level<"l1", capacity = 1, bandwidth = -1.5, transaction = 1>} {}

// -----

// expected-error @+1 {{memory level 'l1': transaction must be a positive power of two, got 48}}
module attributes {test.level = #roller.level<"l1", capacity = 1, bandwidth = 1, transaction = 48>} {}

// -----

// expected-error @+1 {{memory level 'l1': transaction must be a positive power of two, got 0}}
module attributes {test.level = #roller.level<"l1", capacity = 1, bandwidth = 1, transaction = 0>} {}

// -----

// expected-error @+1 {{memory level 'l1': banks must be non-negative, got -1}}
module attributes {test.level = #roller.level<"l1", capacity = 1, bandwidth = 1, transaction = 4, banks = -1>} {}

// -----

// A bad level nested in a target is reported at the level.
// expected-error @+2 {{memory level 'shared': transaction must be a positive power of two, got 100}}
// expected-error @+1 {{failed to parse Roller_TargetAttr parameter 'levels'}}
module attributes {roller.target = #roller.target<"x", gpu, units = 1, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 100>], peak = {f32 = 1.0 : f64}>} {}

// -----

//===----------------------------------------------------------------------===//
// #roller.rtile
//===----------------------------------------------------------------------===//

// expected-error @+1 {{rtile needs at least one memory level}}
module attributes {test.tile = #roller.rtile<>} {}

// -----

// expected-error @+1 {{rtile level 'shared' has no entries; a tile covers at least one loop}}
module attributes {test.tile = #roller.rtile<shared = []>} {}

// -----

// expected-error @+1 {{rtile names memory level 'shared' twice}}
module attributes {test.tile = #roller.rtile<shared = [8, 8], shared = [4, 4]>} {}

// -----

// expected-error @+1 {{rtile level 'register' has 3 entries, level 'shared' has 2}}
module attributes {test.tile = #roller.rtile<shared = [8, 8], register = [4, 4, 1]>} {}

// -----

// expected-error @+1 {{rtile level 'shared': entry 1 must be positive, got 0}}
module attributes {test.tile = #roller.rtile<shared = [8, 0]>} {}

// -----

// expected-error @+1 {{rtile level 'register': entry 0 must be positive, got -4}}
module attributes {test.tile = #roller.rtile<shared = [8, 8], register = [-4, 4]>} {}

// -----

// expected-error @+1 {{rtile level 'register': entry 1 (16) exceeds the enclosing level 'shared' (8)}}
module attributes {test.tile = #roller.rtile<global = [64, 64], shared = [32, 8], register = [4, 16]>} {}

// -----

// expected-error @+1 {{expected integer value}}
module attributes {test.tile = #roller.rtile<shared = [8, 1.5]>} {}

// -----

//===----------------------------------------------------------------------===//
// roller.* attributes on operations
//===----------------------------------------------------------------------===//

func.func @rank_mismatch(%a: tensor<8x4xf32>, %b: tensor<4x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  // matmul has three loops (i, j, k).
  // expected-error @+1 {{'linalg.matmul' op has 3 loops but its 'roller.tile' has 2 entries per level}}
  %r = linalg.matmul {roller.tile = #roller.rtile<shared = [8, 8]>} ins(%a, %b : tensor<8x4xf32>, tensor<4x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// -----

func.func @rank_mismatch_pad(%t: tensor<10x10xf32>, %p: f32) -> tensor<12x14xf32> {
  // expected-error @+1 {{'tensor.pad' op has 2 loops but its 'roller.tile' has 3 entries per level}}
  %0 = tensor.pad %t low[1, 2] high[1, 2] {
  ^bb0(%i: index, %j: index):
    tensor.yield %p : f32
  } {roller.tile = #roller.rtile<shared = [4, 8, 1]>} : tensor<10x10xf32> to tensor<12x14xf32>
  return %0 : tensor<12x14xf32>
}

// -----

// A rank-0 linalg op has no loops, and a tile has at least one entry.
func.func @rank_zero(%x: tensor<f32>, %y: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'linalg.generic' op has 0 loops but its 'roller.tile' has 1 entries per level}}
  %r = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []} ins(%x : tensor<f32>) outs(%y : tensor<f32>) attrs = {roller.tile = #roller.rtile<shared = [1]>} {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

func.func @no_loops() -> index {
  // expected-error @+1 {{'arith.constant' op carries 'roller.tile' but has no loop nest to tile (not a linalg op and no TilingInterface)}}
  %c = arith.constant {roller.tile = #roller.rtile<shared = [2]>} 0 : index
  return %c : index
}

// -----

// expected-error @+1 {{'func.func' op carries 'roller.tile' but has no loop nest to tile}}
func.func @tile_on_func() attributes {roller.tile = #roller.rtile<shared = [2]>} {
  return
}

// -----

func.func @tile_wrong_kind(%a: tensor<8x4xf32>, %b: tensor<4x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  // expected-error @+1 {{'linalg.matmul' op 'roller.tile' must be a #roller.rtile, got array<i64: 8, 8, 4>}}
  %r = linalg.matmul {roller.tile = array<i64: 8, 8, 4>} ins(%a, %b : tensor<8x4xf32>, tensor<4x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// -----

// expected-error @+1 {{'builtin.module' op 'roller.target' must be a #roller.target, got "sm_90"}}
module attributes {roller.target = "sm_90"} {}

// -----

// expected-error @+1 {{'func.func' op 'roller.target' must be a #roller.target, got #roller.level<"global", capacity = 1, bandwidth = 1, transaction = 1>}}
func.func @target_wrong_kind() attributes {roller.target = #roller.level<"global", capacity = 1, bandwidth = 1, transaction = 1>} {
  return
}

// -----

// expected-error @+1 {{'func.func' op 'roller.predicted_us' must be a non-negative float (microseconds), got -1.000000e+00 : f64}}
func.func @negative_time() attributes {roller.predicted_us = -1.0 : f64} {
  return
}

// -----

// expected-error @+1 {{'func.func' op 'roller.predicted_us' must be a non-negative float (microseconds), got 3 : i64}}
func.func @integer_time() attributes {roller.predicted_us = 3} {
  return
}

// -----

// expected-error @+1 {{'func.func' op 'roller.predicted_us' must be a non-negative float (microseconds), got 0x7FF8000000000000 : f64}}
func.func @nan_time() attributes {roller.predicted_us = 0x7FF8000000000000 : f64} {
  return
}

// -----

// expected-error @+1 {{'func.func' op unknown roller attribute 'roller.tiles'}}
func.func @unknown_attr() attributes {roller.tiles = #roller.rtile<shared = [2]>} {
  return
}

// -----

// roller.pack names inputs to pack into panels (CPU); the output is none.
func.func @pack_output(%a: tensor<16x32xf32>, %b: tensor<32x32xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  // expected-error @+1 {{'roller.pack' names operand 2, which is not one of its inputs}}
  %r = linalg.matmul {roller.pack = array<i64: 2>} ins(%a, %b : tensor<16x32xf32>, tensor<32x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %r : tensor<16x32xf32>
}

// -----

func.func @pack_not_array(%a: tensor<16x32xf32>, %b: tensor<32x32xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  // expected-error @+1 {{'roller.pack' must be an array<i64> of input operand numbers, got 1 : i64}}
  %r = linalg.matmul {roller.pack = 1} ins(%a, %b : tensor<16x32xf32>, tensor<32x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %r : tensor<16x32xf32>
}
