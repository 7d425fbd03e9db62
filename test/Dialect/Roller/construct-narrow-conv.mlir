// A 1x1, stride-1 NCHW convolution of one image whose output rows are at
// most half a vector wide is a matmul over its pixels: roller-construct
// rewrites it as W[F, C] x X[C, H x W] between collapse_shape and
// expand_shape, and gives the matmul a contraction's rTile (the 7 x 7
// stages of ResNet-50: 7 of 16 lanes as a convolution). Wider rows,
// strides, larger filters, batches and tiles that cut image rows stay
// convolutions.
//
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=@%S/Inputs/cpu512.target | FileCheck %s
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=@%S/Inputs/cpu512.target --roller-lower=parallel=false | FileCheck %s --check-prefix=LOWER

// CHECK-LABEL: func.func @r50_layer4
// CHECK-SAME: (%[[X:.*]]: tensor<1x2048x7x7xf32>, %[[W:.*]]: tensor<512x2048x1x1xf32>)
// CHECK-DAG: %[[XM:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2, 3]] : tensor<1x2048x7x7xf32> into tensor<2048x49xf32>
// CHECK-DAG: %[[WM:.*]] = tensor.collapse_shape %[[W]] {{\[}}[0], [1, 2, 3]] : tensor<512x2048x1x1xf32> into tensor<512x2048xf32>
// CHECK-DAG: %[[OM:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2, 3]] : tensor<1x512x7x7xf32> into tensor<512x49xf32>
// CHECK: %[[MM:.*]] = linalg.matmul {{.*}}roller.tile = {{.*}} ins(%[[WM]], %[[XM]] : tensor<512x2048xf32>, tensor<2048x49xf32>) outs(%[[OM]] : tensor<512x49xf32>)
// CHECK: %[[OUT:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2, 3]] output_shape [1, 512, 7, 7]
// CHECK: return %[[OUT]]
// LOWER-LABEL: func.func @r50_layer4
// LOWER-NOT: linalg.conv_2d_nchw_fchw
// LOWER: vector.contract
func.func @r50_layer4(%x: tensor<1x2048x7x7xf32>, %w: tensor<512x2048x1x1xf32>) -> tensor<1x512x7x7xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x512x7x7xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x512x7x7xf32>) -> tensor<1x512x7x7xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x2048x7x7xf32>, tensor<512x2048x1x1xf32>) outs(%c : tensor<1x512x7x7xf32>) -> tensor<1x512x7x7xf32>
  return %r : tensor<1x512x7x7xf32>
}

// -----

// Rows of 14 (14 of 16 lanes), a stride, two images: convolutions (the 3x3
// filter becomes a run along the row pitch, construct-row-runs.mlir).
// CHECK-LABEL: func.func @stay
// CHECK-NOT: linalg.matmul
// CHECK-COUNT-2: linalg.conv_2d_nchw_fchw
// CHECK-NOT: linalg.matmul
// CHECK: linalg.generic
// CHECK-NOT: linalg.matmul
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NOT: linalg.matmul
func.func @stay(%x14: tensor<1x64x14x14xf32>, %w1: tensor<32x64x1x1xf32>, %x15: tensor<1x64x15x15xf32>,
                %x9: tensor<1x64x9x9xf32>, %w3: tensor<32x64x3x3xf32>, %x2: tensor<2x64x7x7xf32>)
    -> (tensor<1x32x14x14xf32>, tensor<1x32x8x8xf32>, tensor<1x32x7x7xf32>, tensor<2x32x7x7xf32>) {
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x32x14x14xf32>
  %c0 = linalg.fill ins(%z : f32) outs(%e0 : tensor<1x32x14x14xf32>) -> tensor<1x32x14x14xf32>
  %r0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x14, %w1 : tensor<1x64x14x14xf32>, tensor<32x64x1x1xf32>) outs(%c0 : tensor<1x32x14x14xf32>) -> tensor<1x32x14x14xf32>
  %e1 = tensor.empty() : tensor<1x32x8x8xf32>
  %c1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32>
  %r1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x15, %w1 : tensor<1x64x15x15xf32>, tensor<32x64x1x1xf32>) outs(%c1 : tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32>
  %e2 = tensor.empty() : tensor<1x32x7x7xf32>
  %c2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<1x32x7x7xf32>) -> tensor<1x32x7x7xf32>
  %r2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x9, %w3 : tensor<1x64x9x9xf32>, tensor<32x64x3x3xf32>) outs(%c2 : tensor<1x32x7x7xf32>) -> tensor<1x32x7x7xf32>
  %e3 = tensor.empty() : tensor<2x32x7x7xf32>
  %c3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<2x32x7x7xf32>) -> tensor<2x32x7x7xf32>
  %x2s = tensor.extract_slice %x2[0, 0, 0, 0] [2, 64, 7, 7] [1, 1, 1, 1] : tensor<2x64x7x7xf32> to tensor<2x64x7x7xf32>
  %r3 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x2s, %w1 : tensor<2x64x7x7xf32>, tensor<32x64x1x1xf32>) outs(%c3 : tensor<2x32x7x7xf32>) -> tensor<2x32x7x7xf32>
  return %r0, %r1, %r2, %r3 : tensor<1x32x14x14xf32>, tensor<1x32x8x8xf32>, tensor<1x32x7x7xf32>, tensor<2x32x7x7xf32>
}

// -----

// In a welder group's tile: rows 2..4 of the image, whole (a contiguous run
// of 21 pixels) become a matmul; a tile of half rows stays a convolution.
// CHECK-LABEL: func.func @tiles
// CHECK: scf.forall
// CHECK: linalg.matmul {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x64xf32>, tensor<64x21xf32>)
// CHECK: scf.forall
// CHECK-NOT: linalg.matmul
// CHECK: linalg.conv_2d_nchw_fchw
func.func @tiles(%x: tensor<1x64x7x7xf32>, %w: tensor<32x64x1x1xf32>, %o: tensor<1x32x7x7xf32>) -> (tensor<1x32x7x7xf32>, tensor<1x32x7x7xf32>) {
  %z = arith.constant 0.0 : f32
  %r = scf.forall (%i) = (0) to (7) step (3) shared_outs(%s = %o) -> (tensor<1x32x7x7xf32>) {
    %xs = tensor.extract_slice %x[0, 0, 2, 0] [1, 64, 3, 7] [1, 1, 1, 1] : tensor<1x64x7x7xf32> to tensor<1x64x3x7xf32>
    %os = tensor.extract_slice %s[0, 0, 2, 0] [1, 32, 3, 7] [1, 1, 1, 1] : tensor<1x32x7x7xf32> to tensor<1x32x3x7xf32>
    %c = linalg.fill ins(%z : f32) outs(%os : tensor<1x32x3x7xf32>) -> tensor<1x32x3x7xf32>
    %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%xs, %w : tensor<1x64x3x7xf32>, tensor<32x64x1x1xf32>) outs(%c : tensor<1x32x3x7xf32>) -> tensor<1x32x3x7xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %0 into %s[0, 0, 2, 0] [1, 32, 3, 7] [1, 1, 1, 1] : tensor<1x32x3x7xf32> into tensor<1x32x7x7xf32>
    }
  }
  %r2 = scf.forall (%i) = (0) to (7) step (3) shared_outs(%s = %o) -> (tensor<1x32x7x7xf32>) {
    %xs = tensor.extract_slice %x[0, 0, 0, 0] [1, 64, 7, 4] [1, 1, 1, 1] : tensor<1x64x7x7xf32> to tensor<1x64x7x4xf32>
    %os = tensor.extract_slice %s[0, 0, 0, 0] [1, 32, 7, 4] [1, 1, 1, 1] : tensor<1x32x7x7xf32> to tensor<1x32x7x4xf32>
    %c = linalg.fill ins(%z : f32) outs(%os : tensor<1x32x7x4xf32>) -> tensor<1x32x7x4xf32>
    %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%xs, %w : tensor<1x64x7x4xf32>, tensor<32x64x1x1xf32>) outs(%c : tensor<1x32x7x4xf32>) -> tensor<1x32x7x4xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %0 into %s[0, 0, 0, 0] [1, 32, 7, 4] [1, 1, 1, 1] : tensor<1x32x7x4xf32> into tensor<1x32x7x7xf32>
    }
  }
  return %r, %r2 : tensor<1x32x7x7xf32>, tensor<1x32x7x7xf32>
}
