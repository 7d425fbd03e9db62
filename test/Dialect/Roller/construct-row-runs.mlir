// A stride-1 NCHW convolution of one image with a filter wider than 1x1 and
// output rows at most half a vector wide (ResNet-50's 3x3 convolutions at 7
// x 7: 7 of 16 lanes per row) runs along the input's row pitch instead:
// roller-construct rewrites it as a 1-D convolution over q = oh x IW + ow on
// the image flattened to [C, IH x IW], reading q + d (kh x IW + kw), into a
// [F, OH x IW] buffer whose first OW columns per row are the output. q stops
// after the last output ((OH - 1) x IW + OW), so nothing is read past the
// image. Wider rows, strides and initial values that are not fills stay
// convolutions.
//
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=@%S/Inputs/cpu512.target | FileCheck %s
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=@%S/Inputs/cpu512.target --roller-lower=parallel=false | FileCheck %s --check-prefix=LOWER

// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1 + d3 * 9 + d4)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3, d4)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1)>
// CHECK-LABEL: func.func @r50_layer4_3x3
// CHECK-SAME: (%[[X:.*]]: tensor<1x512x9x9xf32>, %[[F:.*]]: tensor<512x512x3x3xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2, 3]] : tensor<1x512x9x9xf32> into tensor<512x81xf32>
// CHECK: %[[BUF:.*]] = tensor.empty() : tensor<512x63xf32>
// CHECK: %[[SEG:.*]] = tensor.extract_slice %[[BUF]][0, 0] [512, 61] [1, 1]
// CHECK: %[[INIT:.*]] = linalg.fill {{.*}} outs(%[[SEG]] : tensor<512x61xf32>)
// CHECK: %[[CONV:.*]] = linalg.generic {indexing_maps = [#[[IN]], #[[W]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[FLAT]], %[[F]] : tensor<512x81xf32>, tensor<512x512x3x3xf32>) outs(%[[INIT]] : tensor<512x61xf32>)
// CHECK-SAME: roller.tile
// CHECK: %[[WHOLE:.*]] = tensor.insert_slice %[[CONV]] into %[[BUF]][0, 0] [512, 61] [1, 1]
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %[[WHOLE]] {{\[}}[0, 1], [2, 3]] output_shape [1, 512, 7, 9]
// CHECK: %[[OUTV:.*]] = tensor.extract_slice %[[ROWS]][0, 0, 0, 0] [1, 512, 7, 7] [1, 1, 1, 1]
// CHECK: return %[[OUTV]]
// LOWER-LABEL: func.func @r50_layer4_3x3
// LOWER-NOT: linalg.generic
// LOWER: vector.fma
func.func @r50_layer4_3x3(%x: tensor<1x512x9x9xf32>, %w: tensor<512x512x3x3xf32>) -> tensor<1x512x7x7xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x512x7x7xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x512x7x7xf32>) -> tensor<1x512x7x7xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x512x9x9xf32>, tensor<512x512x3x3xf32>) outs(%c : tensor<1x512x7x7xf32>) -> tensor<1x512x7x7xf32>
  return %r : tensor<1x512x7x7xf32>
}

// -----

// Dilation 2 on a 5x7 filter: the row pitch times the dilation between taps
// of kh, the dilation between taps of kw; q ends at (3 - 1) x 15 + 3 = 33.
// CHECK: affine_map<(d0, d1, d2, d3, d4) -> (d2, d1 + d3 * 30 + d4 * 2)>
// CHECK-LABEL: func.func @dilated
// CHECK: tensor.empty() : tensor<8x45xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [8, 33] [1, 1]
func.func @dilated(%x: tensor<1x4x11x15xf32>, %w: tensor<8x4x5x7xf32>) -> tensor<1x8x3x3xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x3x3xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x4x11x15xf32>, tensor<8x4x5x7xf32>) outs(%c : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  return %r : tensor<1x8x3x3xf32>
}

// -----

// Stay convolutions: rows of 14, a stride, an initial value that is not a
// fill (a bias already in the output).
// CHECK-LABEL: func.func @stay
// CHECK-NOT: linalg.generic
// CHECK-COUNT-3: linalg.conv_2d_nchw_fchw
func.func @stay(%x16: tensor<1x8x16x16xf32>, %x9: tensor<1x8x9x9xf32>, %w: tensor<8x8x3x3xf32>,
                %bias: tensor<1x8x7x7xf32>) -> (tensor<1x8x14x14xf32>, tensor<1x8x4x4xf32>, tensor<1x8x7x7xf32>) {
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x8x14x14xf32>
  %c0 = linalg.fill ins(%z : f32) outs(%e0 : tensor<1x8x14x14xf32>) -> tensor<1x8x14x14xf32>
  %r0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x16, %w : tensor<1x8x16x16xf32>, tensor<8x8x3x3xf32>) outs(%c0 : tensor<1x8x14x14xf32>) -> tensor<1x8x14x14xf32>
  %e1 = tensor.empty() : tensor<1x8x4x4xf32>
  %c1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %r1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x9, %w : tensor<1x8x9x9xf32>, tensor<8x8x3x3xf32>) outs(%c1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %r2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x9, %w : tensor<1x8x9x9xf32>, tensor<8x8x3x3xf32>) outs(%bias : tensor<1x8x7x7xf32>) -> tensor<1x8x7x7xf32>
  return %r0, %r1, %r2 : tensor<1x8x14x14xf32>, tensor<1x8x4x4xf32>, tensor<1x8x7x7xf32>
}
