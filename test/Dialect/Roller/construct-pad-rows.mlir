// NCHW convolutions broadcast their filter from as many rows as the
// register tile has filters. A 1x1 filter of 1024 channels has its rows 4
// KiB apart: 16 rows fall into one set of an 8-way L1 and evict each other
// every reduction step (ResNet-50's 14x14 1024 -> 256 ran at 44 GFLOP/s at
// 1 thread against 100 with 1040 channels). roller-construct copies such a
// filter once per call into rows a cache line longer (a tiled copy with an
// rTile of its own) and the convolution reads it from there; 8 rows per set
// (512 channels) stay where they are, as does everything with pack=false.
// The 1x1 cases are 16 x 16, where they stay convolutions (at 14 x 14 they
// are matmuls over the pixels now, which fill more lanes: see
// convs-as-matmuls.mlir).
//
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=@%S/Inputs/cpu512.target | FileCheck %s
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu512.target explain=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu512.target pack=false" | FileCheck %s --check-prefix=OFF
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=@%S/Inputs/cpu512.target --roller-lower=parallel=false | FileCheck %s --check-prefix=LOWER

// CHECK-LABEL: func.func @conv1x1_1024
// CHECK-SAME: (%[[X:.*]]: tensor<1x1024x16x16xf32>, %[[W:.*]]: tensor<256x1024x1x1xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[W]] {{\[}}[0], [1, 2, 3]] : tensor<256x1024x1x1xf32> into tensor<256x1024xf32>
// CHECK: %[[PADDED:.*]] = tensor.empty() : tensor<256x1040xf32>
// CHECK: %[[INTERIOR:.*]] = tensor.extract_slice %[[PADDED]][0, 0] [256, 1024] [1, 1]
// CHECK: %[[COPY:.*]] = linalg.copy {{.*}}roller.tile = #roller.rtile<{{.*}}>} ins(%[[FLAT]] : tensor<256x1024xf32>) outs(%[[INTERIOR]] : tensor<256x1024xf32>)
// CHECK: %[[VIEW:.*]] = tensor.expand_shape %[[COPY]] {{\[}}[0], [1, 2, 3]] output_shape [256, 1024, 1, 1]
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}register = [1, 16, {{.*}} ins(%[[X]], %[[VIEW]] :
// REMARK: remark: roller: the register tiles of linalg.conv_2d_nchw_fchw broadcast from rows of operand 1 that share an L1 set; copied once per call into rows 16 longer along dimension 1
// OFF-LABEL: func.func @conv1x1_1024
// OFF-NOT: linalg.copy
// OFF: linalg.conv_2d_nchw_fchw
// LOWER-LABEL: func.func @conv1x1_1024
// LOWER: tensor.empty() : tensor<256x1040xf32>
// LOWER: vector.fma
func.func @conv1x1_1024(%x: tensor<1x1024x16x16xf32>, %w: tensor<256x1024x1x1xf32>) -> tensor<1x256x16x16xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x256x16x16xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x256x16x16xf32>) -> tensor<1x256x16x16xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x1024x16x16xf32>, tensor<256x1024x1x1xf32>) outs(%c : tensor<1x256x16x16xf32>) -> tensor<1x256x16x16xf32>
  return %r : tensor<1x256x16x16xf32>
}

// -----

// 512 channels: 16 rows 2 KiB apart, 8 per set, as fast as unaliased rows
// (98 GFLOP/s with 512 channels, 99 with 528): no copy.
// CHECK-LABEL: func.func @conv1x1_512
// CHECK-NOT: linalg.copy
// CHECK: linalg.conv_2d_nchw_fchw
func.func @conv1x1_512(%x: tensor<1x512x16x16xf32>, %w: tensor<128x512x1x1xf32>) -> tensor<1x128x16x16xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x128x16x16xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x128x16x16xf32>) -> tensor<1x128x16x16xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x512x16x16xf32>, tensor<128x512x1x1xf32>) outs(%c : tensor<1x128x16x16xf32>) -> tensor<1x128x16x16xf32>
  return %r : tensor<1x128x16x16xf32>
}

// -----

// A 3x3 filter of 1024 channels (rows 36 KiB apart, 16 per set): padded by
// whole channels (9 elements each) until the rows spread, here 2.
// CHECK-LABEL: func.func @conv3x3_1024
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<32x1024x3x3xf32> into tensor<32x9216xf32>
// CHECK: tensor.empty() : tensor<32x9234xf32>
// CHECK: linalg.copy
// CHECK: tensor.expand_shape {{.*}} output_shape [32, 1024, 3, 3]
func.func @conv3x3_1024(%x: tensor<1x1024x16x16xf32>, %w: tensor<32x1024x3x3xf32>) -> tensor<1x32x14x14xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x32x14x14xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x32x14x14xf32>) -> tensor<1x32x14x14xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x1024x16x16xf32>, tensor<32x1024x3x3xf32>) outs(%c : tensor<1x32x14x14xf32>) -> tensor<1x32x14x14xf32>
  return %r : tensor<1x32x14x14xf32>
}

// -----

// Inside a welder group's tile the filter is a slice of the argument: the
// argument is copied once, at the top of the function (not per tile), and
// the slice taken from the copy.
// CHECK-LABEL: func.func @in_group
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<256x1024x1x1xf32>
// CHECK-NEXT: tensor.collapse_shape %[[W]]
// CHECK-NEXT: tensor.empty() : tensor<256x1040xf32>
// CHECK: %[[VIEW:.*]] = tensor.expand_shape
// CHECK: scf.forall
// CHECK: tensor.extract_slice %[[VIEW]][%{{.*}}, 0, 0, 0] [128, 1024, 1, 1]
// CHECK: linalg.conv_2d_nchw_fchw
func.func @in_group(%x: tensor<1x1024x16x16xf32>, %w: tensor<256x1024x1x1xf32>) -> tensor<1x256x16x16xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x256x16x16xf32>
  %r = scf.forall (%f) = (0) to (256) step (128) shared_outs(%s = %e) -> (tensor<1x256x16x16xf32>) {
    %wt = tensor.extract_slice %w[%f, 0, 0, 0] [128, 1024, 1, 1] [1, 1, 1, 1] : tensor<256x1024x1x1xf32> to tensor<128x1024x1x1xf32>
    %o = tensor.extract_slice %s[0, %f, 0, 0] [1, 128, 16, 16] [1, 1, 1, 1] : tensor<1x256x16x16xf32> to tensor<1x128x16x16xf32>
    %c = linalg.fill ins(%z : f32) outs(%o : tensor<1x128x16x16xf32>) -> tensor<1x128x16x16xf32>
    %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %wt : tensor<1x1024x16x16xf32>, tensor<128x1024x1x1xf32>) outs(%c : tensor<1x128x16x16xf32>) -> tensor<1x128x16x16xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %0 into %s[0, %f, 0, 0] [1, 128, 16, 16] [1, 1, 1, 1] : tensor<1x128x16x16xf32> into tensor<1x256x16x16xf32>
    }
  }
  return %r : tensor<1x256x16x16xf32>
}
