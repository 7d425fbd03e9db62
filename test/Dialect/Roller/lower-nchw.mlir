// NCHW (PyTorch's layout) convolutions and pooling on the CPU (issue 9). The
// vector loop is the output's image row ow, which slides the window kw over
// the input: the register tile holds rows of filters f (each input row vector
// reused by every f), unit oh and window (kh, kw) loops, and unrolled channels
// c. --roller-lower drops the tile's unit loops: a convolution tile becomes a
// matmul (f x c times c x ow) emitted as FMAs of a filter scalar broadcast
// from memory and an input row; a depthwise or pooling tile an elementwise
// update per row; rows that are not whole vectors are masked (in_bounds
// false), rows that step by 2 are read contiguously and every second lane kept.
// Nothing stays a linalg op and no vector.contract is left to transpose.
//
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target" | FileCheck %s --check-prefix=TILE
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target" --roller-lower=parallel=false | FileCheck %s

// 32 filters of 16 channels, 3x3, on 32-wide rows (8 lanes of 256 bits).
// TILE-LABEL: func.func @conv(
// TILE:       linalg.conv_2d_nchw_fchw
// TILE-SAME:  register = [1, 4, 1, 16, 8, 1, 1]
// CHECK-LABEL: func.func @conv(
// CHECK-NOT:     linalg.
// The accumulator tile (4 filters x 16 columns) is read once, outside the
// channel and window loops ...
// CHECK:         %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<4x16xf32>, vector<4x16xf32>
// CHECK:         scf.for {{.*}} step %c8 iter_args(%{{.*}} = %[[ACC]]) -> (vector<4x16xf32>)
// CHECK:           scf.for {{.*}} to %c3 step %c1 {{.*}} -> (vector<4x16xf32>)
// CHECK:             scf.for {{.*}} to %c3 step %c1 {{.*}} -> (vector<4x16xf32>)
// ... each channel's input row is one vector, each filter tap one scalar.
// CHECK:               %[[ROW:.*]] = vector.transfer_read {{.*}}[%c0, %c0]{{.*}} {in_bounds = [true]} : tensor<8x16xf32>, vector<16xf32>
// CHECK:               %[[W:.*]] = tensor.extract {{.*}}[%c0, %c0] : tensor<4x8xf32>
// CHECK:               %[[WB:.*]] = vector.broadcast %[[W]] : f32 to vector<16xf32>
// CHECK:               vector.fma %[[WB]], %[[ROW]], %{{.*}} : vector<16xf32>
// CHECK-COUNT-31:      vector.fma
// CHECK-NOT:           vector.contract
// CHECK:         vector.transfer_write {{.*}} : vector<4x16xf32>, tensor<4x16xf32>
// CHECK-NOT:     linalg.

func.func @conv(%x: tensor<1x16x18x34xf32>, %w: tensor<32x16x3x3xf32>, %c: tensor<1x32x16x32xf32>) -> tensor<1x32x16x32xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x16x18x34xf32>, tensor<32x16x3x3xf32>) outs(%c : tensor<1x32x16x32xf32>) -> tensor<1x32x16x32xf32>
  return %r : tensor<1x32x16x32xf32>
}

// -----

// Stride 2 and 13 output columns: the rows are padded to 16 lanes and masked,
// the input rows read as 32 contiguous floats of which every second is kept.
// TILE-LABEL: func.func @conv_stride2(
// TILE:       register = [1, 4, 1, 16, 3, 1, 1]
// CHECK-LABEL: func.func @conv_stride2(
// CHECK-NOT:     linalg.
// CHECK:         vector.transfer_read {{.*}} {in_bounds = [true, false]} : tensor<4x13xf32>, vector<4x16xf32>
// CHECK:         %[[WIDE:.*]] = vector.transfer_read {{.*}} : tensor<3x25xf32>, vector<32xf32>
// CHECK:         %[[ROW:.*]] = vector.shuffle %[[WIDE]], %[[WIDE]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK:         vector.fma %{{.*}}, %[[ROW]], %{{.*}} : vector<16xf32>
// CHECK:         vector.transfer_write {{.*}} {in_bounds = [true, false]} : vector<4x16xf32>, tensor<4x13xf32>
// CHECK-NOT:     linalg.

func.func @conv_stride2(%x: tensor<1x3x15x27xf32>, %w: tensor<8x3x3x3xf32>, %c: tensor<1x8x7x13xf32>) -> tensor<1x8x7x13xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<1x3x15x27xf32>, tensor<8x3x3x3xf32>) outs(%c : tensor<1x8x7x13xf32>) -> tensor<1x8x7x13xf32>
  return %r : tensor<1x8x7x13xf32>
}

// -----

// Depthwise (loops n, oh, ow, c, kh, kw): no filter rows to share an input
// row, so rows of oh; per row the channel's tap is one broadcast scalar.
// TILE-LABEL: func.func @depthwise(
// TILE:       linalg.depthwise_conv_2d_nchw_chw
// TILE-SAME:  register = [1, 4, 16, 1, 1, 1]
// CHECK-LABEL: func.func @depthwise(
// CHECK-NOT:     linalg.
// CHECK:         vector.transfer_read {{.*}} : tensor<4x16xf32>, vector<4x16xf32>
// CHECK:         scf.for {{.*}} -> (vector<4x16xf32>)
// CHECK:           scf.for {{.*}} -> (vector<4x16xf32>)
// CHECK:             %[[TAP:.*]] = tensor.extract {{.*}}[] : tensor<f32>
// CHECK:             %[[TB:.*]] = vector.broadcast %[[TAP]] : f32 to vector<16xf32>
// CHECK:             %[[IN:.*]] = vector.transfer_read {{.*}} : tensor<4x16xf32>, vector<16xf32>
// CHECK:             %[[P:.*]] = arith.mulf %[[IN]], %[[TB]] : vector<16xf32>
// CHECK:             arith.addf %{{.*}}, %[[P]] : vector<16xf32>
// CHECK-NOT:     linalg.

func.func @depthwise(%x: tensor<1x12x10x18xf32>, %w: tensor<12x3x3xf32>, %c: tensor<1x12x8x16xf32>) -> tensor<1x12x8x16xf32> {
  %r = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x12x10x18xf32>, tensor<12x3x3xf32>) outs(%c : tensor<1x12x8x16xf32>) -> tensor<1x12x8x16xf32>
  return %r : tensor<1x12x8x16xf32>
}

// -----

// Grouped (loops n, g, f, oh, ow, c, kh, kw): a matmul per group.
// TILE-LABEL: func.func @grouped(
// TILE:       linalg.conv_2d_ngchw_gfchw
// TILE-SAME:  register = [1, 1, 4, 1, 16, 8, 1, 1]
// CHECK-LABEL: func.func @grouped(
// CHECK-NOT:     linalg.
// CHECK:         vector.transfer_read {{.*}} : tensor<8x16xf32>, vector<16xf32>
// CHECK:         tensor.extract {{.*}} : tensor<4x8xf32>
// CHECK:         vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:     linalg.

func.func @grouped(%x: tensor<1x2x8x10x18xf32>, %w: tensor<2x8x8x3x3xf32>, %c: tensor<1x2x8x8x16xf32>) -> tensor<1x2x8x8x16xf32> {
  %r = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x2x8x10x18xf32>, tensor<2x8x8x3x3xf32>) outs(%c : tensor<1x2x8x8x16xf32>) -> tensor<1x2x8x8x16xf32>
  return %r : tensor<1x2x8x8x16xf32>
}

// -----

// Max pooling 3x3, stride 2: rows of oh, strided input rows.
// TILE-LABEL: func.func @maxpool(
// TILE:       linalg.pooling_nchw_max
// TILE-SAME:  register = [1, 1, 4, 16, 1, 1]
// CHECK-LABEL: func.func @maxpool(
// CHECK-NOT:     linalg.
// CHECK:         vector.transfer_read {{.*}} : tensor<4x16xf32>, vector<4x16xf32>
// CHECK:         %[[WIDE:.*]] = vector.transfer_read {{.*}} : tensor<4x31xf32>, vector<32xf32>
// CHECK:         %[[ROW:.*]] = vector.shuffle %[[WIDE]], %[[WIDE]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK:         arith.maximumf %{{.*}}, %[[ROW]] : vector<16xf32>
// CHECK-NOT:     linalg.

func.func @maxpool(%x: tensor<1x4x17x33xf32>, %c: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %win = tensor.empty() : tensor<3x3xf32>
  %r = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %win : tensor<1x4x17x33xf32>, tensor<3x3xf32>) outs(%c : tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %r : tensor<1x4x8x16xf32>
}
