// Tile propagation through each kind of indexing map. Every group below is
// written by hand with the sink's tile; --welder-tile-graph derives the tile
// of every other node (backward, through the consumer's operand map and the
// producer's output map) and writes it as welder.tile. The last case pins a
// producer's tile instead and derives the sink's (forward).
//
// RUN: fourfold-opt %s -split-input-file --welder-tile-graph="target=@%S/../Roller/Inputs/cpu.target" | FileCheck %s

// Transpose: the consumer reads the producer as (j, i); a 4x16 tile of the
// consumer needs a 16x4 tile of the producer.
//
// The model's figures, by hand (testcpu: 4 cores, DRAM 64 GB/s, 0.2 us per
// kernel: a barrier in rammer's parallel region): 32/4 x 64/16 = 32 tiles,
// each reading a 16x4 and writing a 4x16 f32 tile: 32 x 512 B = 16384 B.
// Apart, each operator reads and writes 8 KiB: 32768 B. Time: 16384 B /
// 64 GB/s = 0.256 us (the flops take less), plus the kernel: 0.456 us.
// CHECK-LABEL: func.func @transpose
// CHECK: welder.group "t" tile [4, 16]({{.*}}) {welder.bytes = 16384 : i64, welder.predicted_us = 4.56{{[0-9]*}}e-01 : f64, welder.unfused_bytes = 32768 : i64}
// CHECK: linalg.generic {{.*}}welder.tile = array<i64: 16, 4>
// CHECK: linalg.generic {{.*}}welder.tile = array<i64: 4, 16>
func.func @transpose(%x: tensor<64x32xf32>) -> tensor<32x64xf32> {
  %r = welder.group "t" tile [4, 16] (%x) : (tensor<64x32xf32>) -> tensor<32x64xf32> {
  ^bb0(%a: tensor<64x32xf32>):
    %e = tensor.empty() : tensor<64x32xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%a : tensor<64x32xf32>) outs(%e : tensor<64x32xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = arith.negf %v : f32
      linalg.yield %y : f32
    } -> tensor<64x32xf32>
    %e2 = tensor.empty() : tensor<32x64xf32>
    %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%n : tensor<64x32xf32>) outs(%e2 : tensor<32x64xf32>) {
    ^bb0(%v: f32, %o: f32):
      linalg.yield %v : f32
    } -> tensor<32x64xf32>
    welder.yield %t : tensor<32x64xf32>
  }
  return %r : tensor<32x64xf32>
}

// -----

// Broadcast and reduction: a row sum (loops i, j; j reduced) feeds x - sum
// broadcast along j. A 8x64 tile of the consumer needs 8 rows of the sum,
// which reduce over all 96 columns; the sum's init (a fill) follows it.
// CHECK-LABEL: func.func @broadcast_reduction
// CHECK: linalg.fill {{.*}}welder.tile = array<i64: 8>
// CHECK: linalg.generic {{.*}}welder.tile = array<i64: 8, 96>
// CHECK: linalg.generic {{.*}}welder.tile = array<i64: 8, 64>
func.func @broadcast_reduction(%x: tensor<32x96xf32>) -> tensor<32x96xf32> {
  %r = welder.group "b" tile [8, 64] (%x) : (tensor<32x96xf32>) -> tensor<32x96xf32> {
  ^bb0(%a: tensor<32x96xf32>):
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<32xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<32xf32>) -> tensor<32xf32>
    %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
        ins(%a : tensor<32x96xf32>) outs(%f : tensor<32xf32>) {
    ^bb0(%v: f32, %acc: f32):
      %y = arith.addf %v, %acc : f32
      linalg.yield %y : f32
    } -> tensor<32xf32>
    %e2 = tensor.empty() : tensor<32x96xf32>
    %d = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%a, %s : tensor<32x96xf32>, tensor<32xf32>) outs(%e2 : tensor<32x96xf32>) {
    ^bb0(%v: f32, %m: f32, %o: f32):
      %y = arith.subf %v, %m : f32
      linalg.yield %y : f32
    } -> tensor<32x96xf32>
    welder.yield %d : tensor<32x96xf32>
  }
  return %r : tensor<32x96xf32>
}

// -----

// Convolution window: an output tile of 2 rows x 4 columns of a 3x3
// convolution (stride 1) reads (2-1)+(3-1)+1 = 4 rows and (4-1)+(3-1)+1 = 6
// columns of its input, so the producer's tile is 1x4x6x4. The group's
// reduction loops (kh, kw, c) are whole.
// CHECK-LABEL: func.func @conv_window
// CHECK: welder.group "c" tile [1, 2, 4, 8, 3, 3, 4]
// CHECK: linalg.generic {{.*}}welder.tile = array<i64: 1, 4, 6, 4>
// CHECK: linalg.fill {{.*}}welder.tile = array<i64: 1, 2, 4, 8>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}}welder.tile = array<i64: 1, 2, 4, 8, 3, 3, 4>
func.func @conv_window(%x: tensor<1x10x10x4xf32>, %w: tensor<3x3x4x8xf32>) -> tensor<1x8x8x8xf32> {
  %r = welder.group "c" tile [1, 2, 4, 8, 1, 1, 1] (%x, %w) : (tensor<1x10x10x4xf32>, tensor<3x3x4x8xf32>) -> tensor<1x8x8x8xf32> {
  ^bb0(%a: tensor<1x10x10x4xf32>, %b: tensor<3x3x4x8xf32>):
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x10x10x4xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%a : tensor<1x10x10x4xf32>) outs(%e : tensor<1x10x10x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = arith.maximumf %v, %z : f32
      linalg.yield %y : f32
    } -> tensor<1x10x10x4xf32>
    %e2 = tensor.empty() : tensor<1x8x8x8xf32>
    %f = linalg.fill ins(%z : f32) outs(%e2 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
    %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%n, %b : tensor<1x10x10x4xf32>, tensor<3x3x4x8xf32>) outs(%f : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
    welder.yield %c : tensor<1x8x8x8xf32>
  }
  return %r : tensor<1x8x8x8xf32>
}

// -----

// Strided pooling: 2 output rows of a 3x3 window with stride 2 read
// (2-1)*2+(3-1)+1 = 5 input rows; 3 output columns read 7 input columns.
// CHECK-LABEL: func.func @strided_pool
// CHECK: linalg.generic {{.*}}welder.tile = array<i64: 1, 5, 7, 8>
// CHECK: linalg.pooling_nhwc_max {{.*}}welder.tile = array<i64: 1, 2, 3, 8, 3, 3>
func.func @strided_pool(%x: tensor<1x17x17x8xf32>) -> tensor<1x8x8x8xf32> {
  %r = welder.group "p" tile [1, 2, 3, 8, 3, 3] (%x) : (tensor<1x17x17x8xf32>) -> tensor<1x8x8x8xf32> {
  ^bb0(%a: tensor<1x17x17x8xf32>):
    %ninf = arith.constant 0xFF800000 : f32
    %e = tensor.empty() : tensor<1x17x17x8xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%a : tensor<1x17x17x8xf32>) outs(%e : tensor<1x17x17x8xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = arith.negf %v : f32
      linalg.yield %y : f32
    } -> tensor<1x17x17x8xf32>
    %win = tensor.empty() : tensor<3x3xf32>
    %e2 = tensor.empty() : tensor<1x8x8x8xf32>
    %f = linalg.fill ins(%ninf : f32) outs(%e2 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
    %p = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
        ins(%n, %win : tensor<1x17x17x8xf32>, tensor<3x3xf32>) outs(%f : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
    welder.yield %p : tensor<1x8x8x8xf32>
  }
  return %r : tensor<1x8x8x8xf32>
}

// -----

// Forward: no group tile, but the producer carries one (16x4 of a 64x32
// tensor); the transposing consumer's tile follows (4x16), and becomes the
// group's.
// CHECK-LABEL: func.func @forward
// CHECK: welder.group "fw" tile [4, 16]
func.func @forward(%x: tensor<64x32xf32>) -> tensor<32x64xf32> {
  %r = welder.group "fw" (%x) : (tensor<64x32xf32>) -> tensor<32x64xf32> {
  ^bb0(%a: tensor<64x32xf32>):
    %e = tensor.empty() : tensor<64x32xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%a : tensor<64x32xf32>) outs(%e : tensor<64x32xf32>) attrs = {welder.tile = array<i64: 16, 4>} {
    ^bb0(%v: f32, %o: f32):
      %y = arith.negf %v : f32
      linalg.yield %y : f32
    } -> tensor<64x32xf32>
    %e2 = tensor.empty() : tensor<32x64xf32>
    %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%n : tensor<64x32xf32>) outs(%e2 : tensor<32x64xf32>) {
    ^bb0(%v: f32, %o: f32):
      linalg.yield %v : f32
    } -> tensor<32x64xf32>
    welder.yield %t : tensor<32x64xf32>
  }
  return %r : tensor<32x64xf32>
}
