// A register tile whose accumulators would not fit the register file stays
// in memory across its reduction loops (roller-lower's hoisting skips its
// loop), and so do the loops around it: hoisting the same subsets past the
// inner loop's iter_args left an scf.for yielding a value from its nested
// loop's body, and the next canonicalization crashed. Here 8 filters x 33
// columns, padded to 4 registers per row: 32 accumulators on a 32-register
// target (written by hand: roller-construct now counts the padding and
// picks 6 rows).
//
// RUN: fourfold-opt %s -split-input-file --roller-lower=parallel=false | FileCheck %s
// RUN: fourfold-opt %s -split-input-file --roller-construct --roller-lower=parallel=false | FileCheck %s --check-prefix=POLICY

// CHECK-LABEL: func.func @conv
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: vector.transfer_read {{.*}} : tensor<8x33xf32>, vector<8x64xf32>
// CHECK: vector.fma
// POLICY-LABEL: func.func @conv_policy
// POLICY: scf.for {{.*}} iter_args({{.*}}) -> (vector<6x64xf32>)
// POLICY: vector.fma
module attributes {roller.target = #roller.target<"testcpu512", cpu, units = 1, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 32, vector_bits = 512, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 2048, bandwidth = 3072, transaction = 64>], peak = {f32 = 128.0 : f64}>} {
func.func @conv(%x: tensor<1x32x3x35xf32>, %w: tensor<48x32x3x3xf32>) -> tensor<1x48x1x33xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x48x1x33xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x48x1x33xf32>) -> tensor<1x48x1x33xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>,
                                 roller.tile = #roller.rtile<L2 = [1, 24, 1, 48, 32, 3, 3], register = [1, 8, 1, 48, 8, 1, 1]>}
       ins(%x, %w : tensor<1x32x3x35xf32>, tensor<48x32x3x3xf32>) outs(%c : tensor<1x48x1x33xf32>) -> tensor<1x48x1x33xf32>
  return %r : tensor<1x48x1x33xf32>
}
}

// -----

module attributes {roller.target = #roller.target<"testcpu512", cpu, units = 1, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 32, vector_bits = 512, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 2048, bandwidth = 3072, transaction = 64>], peak = {f32 = 128.0 : f64}>} {
func.func @conv_policy(%x: tensor<1x32x3x35xf32>, %w: tensor<48x32x3x3xf32>) -> tensor<1x48x1x33xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x48x1x33xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x48x1x33xf32>) -> tensor<1x48x1x33xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x32x3x35xf32>, tensor<48x32x3x3xf32>) outs(%c : tensor<1x48x1x33xf32>) -> tensor<1x48x1x33xf32>
  return %r : tensor<1x48x1x33xf32>
}
}
