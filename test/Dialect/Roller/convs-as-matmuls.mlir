// NCHW convolutions as matmuls over their patches, on a fixed
// 2-core 16-lane CPU (cpu512: L2 512 KiB, L2 bandwidth equal to the peak, so
// the patch copy costs 16 / F of the matmul): taken where the matmul's
// OH x OW fills more lanes than a row of OW, copy counted, and the patches
// fit in L2. The CPU pipeline runs the pass with pointwise=false before
// welder; roller-construct takes the 1x1 stride-1 ones inside welder's tiles.
//
// RUN: fourfold-opt %s -split-input-file --roller-convs-as-matmuls=target=@%S/Inputs/cpu512.target | FileCheck %s
// RUN: fourfold-opt %s -split-input-file --roller-convs-as-matmuls | FileCheck %s --check-prefix=ATTACHED
// RUN: fourfold-opt %s -split-input-file --roller-convs-as-matmuls="target=@%S/Inputs/cpu512.target pointwise=false" | FileCheck %s --check-prefix=COPIES
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=@%S/Inputs/cpu512.target | FileCheck %s --check-prefix=CONSTRUCT
// RUN: fourfold-opt %s -split-input-file --roller-convs-as-matmuls=target=@%S/Inputs/cpu512.target --roller-construct=target=@%S/Inputs/cpu512.target --roller-lower=parallel=false | FileCheck %s --check-prefix=LOWER

// ResNet-50's 2048 -> 512 at 7 x 7: 7 of 16 lanes per row, 49 of 64 as a
// matmul over the pixels, no copy. The fill becomes a fill of the matrix
// (roller fuses it into the matmul's tiles).
// CHECK-LABEL: func.func @pointwise
// CHECK-SAME: (%[[X:.*]]: tensor<1x2048x7x7xf32>, %[[W:.*]]: tensor<512x2048x1x1xf32>)
// CHECK-DAG: %[[XM:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2, 3]] : tensor<1x2048x7x7xf32> into tensor<2048x49xf32>
// CHECK-DAG: %[[WM:.*]] = tensor.collapse_shape %[[W]] {{\[}}[0], [1, 2, 3]] : tensor<512x2048x1x1xf32> into tensor<512x2048xf32>
// CHECK-DAG: %[[OM:.*]] = tensor.empty() : tensor<512x49xf32>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[OM]] : tensor<512x49xf32>)
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[WM]], %[[XM]] : tensor<512x2048xf32>, tensor<2048x49xf32>) outs(%[[FILL]] : tensor<512x49xf32>)
// CHECK: %[[OUT:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2, 3]] output_shape [1, 512, 7, 7]
// CHECK: return %[[OUT]]
// COPIES-LABEL: func.func @pointwise
// COPIES-NOT: linalg.matmul
// CONSTRUCT-LABEL: func.func @pointwise
// CONSTRUCT: linalg.matmul {{.*}}roller.tile = {{.*}} ins(%{{.*}}, %{{.*}} : tensor<512x2048xf32>, tensor<2048x49xf32>)
// LOWER-LABEL: func.func @pointwise
// LOWER-NOT: linalg.conv_2d_nchw_fchw
// LOWER: vector.contract
func.func @pointwise(%x: tensor<1x2048x7x7xf32>, %w: tensor<512x2048x1x1xf32>) -> tensor<1x512x7x7xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x512x7x7xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x512x7x7xf32>) -> tensor<1x512x7x7xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x2048x7x7xf32>, tensor<512x2048x1x1xf32>) outs(%c : tensor<1x512x7x7xf32>) -> tensor<1x512x7x7xf32>
  return %r : tensor<1x512x7x7xf32>
}

// -----

// ResNet-50's 3x3 stride-2 512 -> 512 on a 9 x 9 (padded) input: rows of 4
// outputs (a quarter of the lanes) against one vector of 16 as a matmul;
// the 295 KB of patches fit in L2 and cost 16 / 512 of the matmul. An init
// that is not a fill is collapsed as it is.
// CHECK: #[[$STRIDED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 * 2 + d1, d5 * 2 + d2)>
// CHECK-LABEL: func.func @strided
// CHECK-SAME: (%[[X:.*]]: tensor<1x512x9x9xf32>, %[[W:.*]]: tensor<512x512x3x3xf32>, %[[O:.*]]: tensor<1x512x4x4xf32>)
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[$STRIDED]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<1x512x9x9xf32>) outs(%{{.*}} : tensor<512x3x3x1x4x4xf32>)
// CHECK: %[[PM:.*]] = tensor.collapse_shape %[[P]] {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<512x3x3x1x4x4xf32> into tensor<4608x16xf32>
// CHECK: %[[WM:.*]] = tensor.collapse_shape %[[W]] {{\[}}[0], [1, 2, 3]] : tensor<512x512x3x3xf32> into tensor<512x4608xf32>
// CHECK: %[[OM:.*]] = tensor.collapse_shape %[[O]] {{\[}}[0, 1], [2, 3]] : tensor<1x512x4x4xf32> into tensor<512x16xf32>
// CHECK: linalg.matmul ins(%[[WM]], %[[PM]] : tensor<512x4608xf32>, tensor<4608x16xf32>) outs(%[[OM]] : tensor<512x16xf32>)
// COPIES-LABEL: func.func @strided
// COPIES: linalg.matmul
// CONSTRUCT-LABEL: func.func @strided
// CONSTRUCT: linalg.conv_2d_nchw_fchw
// LOWER-LABEL: func.func @strided
// LOWER-NOT: linalg.conv_2d_nchw_fchw
// LOWER: vector.contract
func.func @strided(%x: tensor<1x512x9x9xf32>, %w: tensor<512x512x3x3xf32>, %o: tensor<1x512x4x4xf32>) -> tensor<1x512x4x4xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<1x512x9x9xf32>, tensor<512x512x3x3xf32>) outs(%o : tensor<1x512x4x4xf32>) -> tensor<1x512x4x4xf32>
  return %r : tensor<1x512x4x4xf32>
}

// -----

// Dilation 2 and a 1x3 filter: the patch map steps the window by the
// dilation; an odd 5 x 3 output (rows of 3, 15 outputs in one vector).
// CHECK: #[[$DIL:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1 * 2, d5 + d2 * 2)>
// CHECK-LABEL: func.func @dilated
// CHECK: linalg.generic {indexing_maps = [#[[$DIL]], {{.*}} outs(%{{.*}} : tensor<256x1x3x1x5x3xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<128x768xf32>, tensor<768x15xf32>)
func.func @dilated(%x: tensor<1x256x5x7xf32>, %w: tensor<128x256x1x3xf32>, %o: tensor<1x128x5x3xf32>) -> tensor<1x128x5x3xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x256x5x7xf32>, tensor<128x256x1x3xf32>) outs(%o : tensor<1x128x5x3xf32>) -> tensor<1x128x5x3xf32>
  return %r : tensor<1x128x5x3xf32>
}

// -----

// Left as convolutions: rows of 16 (every lane used either way); 32 filters
// (the copy would cost half the matmul); a 7x7 stem whose 1.8 MB of patches
// exceed L2; two images of a 1x1 with 32 filters (several images need a
// copy, which 32 filters do not repay); a depthwise convolution; a
// convolution that already has its rTile; integers.
// CHECK-LABEL: func.func @stay
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @stay(%x16: tensor<1x64x16x16xf32>, %w1: tensor<32x64x1x1xf32>, %x9: tensor<1x64x16x16xf32>,
                %w3: tensor<32x64x3x3xf32>, %xs: tensor<1x3x118x118xf32>, %ws: tensor<64x3x7x7xf32>,
                %x2: tensor<2x64x7x7xf32>, %xd: tensor<1x64x9x9xf32>, %wd: tensor<64x3x3xf32>,
                %xi: tensor<1x64x7x7xi32>, %wi: tensor<32x64x1x1xi32>)
    -> (tensor<1x32x16x16xf32>, tensor<1x32x14x14xf32>, tensor<1x64x56x56xf32>, tensor<2x32x7x7xf32>,
        tensor<1x64x7x7xf32>, tensor<1x32x7x7xf32>, tensor<1x32x7x7xi32>) {
  %z = arith.constant 0.0 : f32
  %zi = arith.constant 0 : i32
  %e0 = tensor.empty() : tensor<1x32x16x16xf32>
  %r0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x16, %w1 : tensor<1x64x16x16xf32>, tensor<32x64x1x1xf32>) outs(%e0 : tensor<1x32x16x16xf32>) -> tensor<1x32x16x16xf32>
  %e1 = tensor.empty() : tensor<1x32x14x14xf32>
  %r1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x9, %w3 : tensor<1x64x16x16xf32>, tensor<32x64x3x3xf32>) outs(%e1 : tensor<1x32x14x14xf32>) -> tensor<1x32x14x14xf32>
  %e2 = tensor.empty() : tensor<1x64x56x56xf32>
  %r2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%xs, %ws : tensor<1x3x118x118xf32>, tensor<64x3x7x7xf32>) outs(%e2 : tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %e3 = tensor.empty() : tensor<2x32x7x7xf32>
  %r3 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x2, %w1 : tensor<2x64x7x7xf32>, tensor<32x64x1x1xf32>) outs(%e3 : tensor<2x32x7x7xf32>) -> tensor<2x32x7x7xf32>
  %e4 = tensor.empty() : tensor<1x64x7x7xf32>
  %r4 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%xd, %wd : tensor<1x64x9x9xf32>, tensor<64x3x3xf32>) outs(%e4 : tensor<1x64x7x7xf32>) -> tensor<1x64x7x7xf32>
  %x7 = tensor.extract_slice %x16[0, 0, 0, 0] [1, 64, 7, 7] [1, 1, 1, 1] : tensor<1x64x16x16xf32> to tensor<1x64x7x7xf32>
  %e5 = tensor.empty() : tensor<1x32x7x7xf32>
  %r5 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>,
         roller.tile = #roller.rtile<L2 = [1, 32, 7, 7, 64, 1, 1], register = [1, 4, 1, 7, 1, 1, 1]>}
       ins(%x7, %w1 : tensor<1x64x7x7xf32>, tensor<32x64x1x1xf32>) outs(%e5 : tensor<1x32x7x7xf32>) -> tensor<1x32x7x7xf32>
  %e6 = tensor.empty() : tensor<1x32x7x7xi32>
  %r6 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%xi, %wi : tensor<1x64x7x7xi32>, tensor<32x64x1x1xi32>) outs(%e6 : tensor<1x32x7x7xi32>) -> tensor<1x32x7x7xi32>
  return %r0, %r1, %r2, %r3, %r4, %r5, %r6 : tensor<1x32x16x16xf32>, tensor<1x32x14x14xf32>, tensor<1x64x56x56xf32>,
         tensor<2x32x7x7xf32>, tensor<1x64x7x7xf32>, tensor<1x32x7x7xf32>, tensor<1x32x7x7xi32>
}

// -----

// Without the option each op's attached target decides: a GPU target's
// convolutions are left alone (they have kernels of their own). (With the
// option, the option's target wins, as in roller-construct.)
// ATTACHED-LABEL: func.func @gpu
// ATTACHED-NOT: linalg.matmul
// ATTACHED: linalg.conv_2d_nchw_fchw
module attributes {roller.target = #roller.target<"g", gpu, units = 4, blocks_per_unit = 4, threads_per_unit = 1024, warp = 32, regs_per_unit = 65536, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 500, transaction = 32>, #roller.level<"shared", capacity = 49152, bandwidth = 4000, transaction = 128, banks = 32>, #roller.level<"register", capacity = 262144, bandwidth = 20000, transaction = 4>], peak = {f32 = 10000.0 : f64}>} {
func.func @gpu(%x: tensor<1x2048x7x7xf32>, %w: tensor<512x2048x1x1xf32>, %o: tensor<1x512x7x7xf32>) -> tensor<1x512x7x7xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x2048x7x7xf32>, tensor<512x2048x1x1xf32>) outs(%o : tensor<1x512x7x7xf32>) -> tensor<1x512x7x7xf32>
  return %r : tensor<1x512x7x7xf32>
}
}

// -----

// In a welder group's tile: rows 2..4 of the image, whole (one run of 21
// pixels, 21 of 32 lanes against 7 of 16 per row), become a matmul; a tile
// of half rows stays a convolution (collapsing its H and W would not be a
// view).
// CHECK-LABEL: func.func @tiles
// CHECK: scf.forall
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<32x64xf32>, tensor<64x21xf32>)
// CHECK: scf.forall
// CHECK-NOT: linalg.matmul
// CHECK: linalg.conv_2d_nchw_fchw
// CONSTRUCT-LABEL: func.func @tiles
// CONSTRUCT: linalg.matmul {{.*}}roller.tile = {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x64xf32>, tensor<64x21xf32>)
// CONSTRUCT: linalg.conv_2d_nchw_fchw
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

// -----

// A 1x1 convolution of an input larger than its output (it reads the
// top-left 5 x 5) takes the patch path: its image is not P as it is.
// CHECK-LABEL: func.func @larger_input
// CHECK: linalg.generic
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x64xf32>, tensor<64x25xf32>)
func.func @larger_input(%x: tensor<1x64x7x7xf32>, %w: tensor<64x64x1x1xf32>, %o: tensor<1x64x5x5xf32>) -> tensor<1x64x5x5xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x64x7x7xf32>, tensor<64x64x1x1xf32>) outs(%o : tensor<1x64x5x5xf32>) -> tensor<1x64x5x5xf32>
  return %r : tensor<1x64x5x5xf32>
}

// -----

// Four images: the patches of all of them are the matmul's columns
// (P[c, i, j, n, y, z]), one matmul [F, CKK] x [CKK, N x OH x OW], and its
// [F, N, OH, OW] result transposed into NCHW. A fill is refilled in the
// matrix's shape.
// CHECK-LABEL: func.func @images
// CHECK-SAME: (%[[X:.*]]: tensor<4x256x9x9xf32>, %[[W:.*]]: tensor<256x256x3x3xf32>)
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4x256x9x9xf32>) outs(%{{.*}} : tensor<256x3x3x4x4x4xf32>)
// CHECK: %[[PM:.*]] = tensor.collapse_shape %[[P]] {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<256x3x3x4x4x4xf32> into tensor<2304x64xf32>
// CHECK: %[[WM:.*]] = tensor.collapse_shape %[[W]]
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<256x64xf32>)
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[WM]], %[[PM]] : tensor<256x2304xf32>, tensor<2304x64xf32>) outs(%[[FILL]] : tensor<256x64xf32>)
// CHECK: %[[BY:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0], [1, 2, 3]] output_shape [256, 4, 4, 4]
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[BY]] : tensor<256x4x4x4xf32>) outs(%{{.*}} : tensor<4x256x4x4xf32>) permutation = [1, 0, 2, 3]
// CHECK: return %[[T]]
func.func @images(%x: tensor<4x256x9x9xf32>, %w: tensor<256x256x3x3xf32>) -> tensor<4x256x4x4xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x256x4x4xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<4x256x4x4xf32>) -> tensor<4x256x4x4xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<4x256x9x9xf32>, tensor<256x256x3x3xf32>) outs(%c : tensor<4x256x4x4xf32>) -> tensor<4x256x4x4xf32>
  return %r : tensor<4x256x4x4xf32>
}

// -----

// Two images and an initial value that is not a fill: it is transposed
// into the matrix first. A 1x1 over several images needs the copy too.
// CHECK-LABEL: func.func @images_accumulate
// CHECK: linalg.generic
// CHECK: %[[T0:.*]] = linalg.transpose ins(%{{.*}} : tensor<2x128x7x7xf32>) outs(%{{.*}} : tensor<128x2x7x7xf32>) permutation = [1, 0, 2, 3]
// CHECK: %[[I:.*]] = tensor.collapse_shape %[[T0]] {{\[}}[0], [1, 2, 3]] : tensor<128x2x7x7xf32> into tensor<128x98xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<128x64xf32>, tensor<64x98xf32>) outs(%[[I]] : tensor<128x98xf32>)
// CHECK: linalg.transpose
func.func @images_accumulate(%x: tensor<2x64x7x7xf32>, %w: tensor<128x64x1x1xf32>, %o: tensor<2x128x7x7xf32>) -> tensor<2x128x7x7xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<2x64x7x7xf32>, tensor<128x64x1x1xf32>) outs(%o : tensor<2x128x7x7xf32>) -> tensor<2x128x7x7xf32>
  return %r : tensor<2x128x7x7xf32>
}
