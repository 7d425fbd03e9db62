// --roller-construct on every operator family, for each target:
//   sm_80, sm_90 (the named GPUs: their figures are fixed, so the tiles and
//   the model's time are exact), a fixed hand-written CPU
//   (Inputs/cpu.target, read with target=@file), and the host (it varies
//   from machine to machine: only that a tile of the operator's rank is
//   attached). Sizes are odd or prime (37x53x29, 1x1000x1, 1x1x1) on purpose.
// Every RUN's output is parsed and verified again by a second fourfold-opt:
// the attached roller.tile has one entry per loop (the dialect's verifier
// rejects anything else).
//
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=sm_80 | fourfold-opt -split-input-file | FileCheck %s --check-prefixes=SM80,ALL
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=sm_90 | fourfold-opt -split-input-file | FileCheck %s --check-prefixes=SM90,ALL
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target" | fourfold-opt -split-input-file | FileCheck %s --check-prefixes=CPU,ALL
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=host | fourfold-opt -split-input-file | FileCheck %s --check-prefixes=HOST,ALL
//
// top-k=3 keeps the three best candidates (best first, the first is the
// attached tile); fewer where the construction visits fewer, and none
// (no roller.candidates) where it finds only one.
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=sm_80 top-k=3" | FileCheck %s --check-prefix=TOPK80
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target top-k=3" | FileCheck %s --check-prefix=TOPKCPU

// The module gets the target it was tiled for.
// SM80: module attributes {roller.target = #roller.target<"sm_80", gpu, units = 108,
// SM90: module attributes {roller.target = #roller.target<"sm_90", gpu, units = 132,
// CPU: module attributes {roller.target = #roller.target<"testcpu", cpu, units = 4,
// HOST: module attributes {roller.target = #roller.target<"host-{{[^"]*}}", cpu,

// TOPK80-LABEL: func.func @matmul(
// TOPK80: linalg.matmul {roller.candidates = [#roller.rtile<shared = [16, 16, 8], register = [1, 1, 1]>, #roller.rtile<shared = [14, 16, 8], register = [1, 1, 1]>, #roller.rtile<shared = [12, 16, 8], register = [1, 1, 1]>], roller.predicted_us = 0.36312056737588649 : f64, roller.tile = #roller.rtile<shared = [16, 16, 8], register = [1, 1, 1]>}
// TOPKCPU-LABEL: func.func @matmul(
// TOPKCPU: linalg.matmul {roller.candidates = [#roller.rtile<L2 = [10, 64, 32], register = [5, 16, 8]>, #roller.rtile<L2 = [18, 32, 32], register = [6, 16, 8]>, #roller.rtile<L2 = [8, 64, 32], register = [4, 16, 8]>], roller.predicted_us = 7.520000e-01 : f64, roller.tile = #roller.rtile<L2 = [10, 64, 32], register = [5, 16, 8]>}

// SM80-LABEL: func.func @matmul(
// SM80:      linalg.matmul
// SM80-SAME: roller.predicted_us = 0.36312056737588649 : f64, roller.tile = #roller.rtile<shared = [16, 16, 8], register = [1, 1, 1]>
// SM90-LABEL: func.func @matmul(
// SM90:      linalg.matmul
// SM90-SAME: roller.predicted_us = 0.25858585858585853 : f64, roller.tile = #roller.rtile<shared = [16, 16, 8], register = [1, 1, 1]>
// CPU-LABEL: func.func @matmul(
// CPU:      linalg.matmul
// CPU-SAME: roller.predicted_us = 7.520000e-01 : f64, roller.tile = #roller.rtile<L2 = [10, 64, 32], register = [5, 16, 8]>
// HOST-LABEL: func.func @matmul(
// HOST:      linalg.matmul
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+\]}}>
func.func @matmul(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

// -----

// SM80-LABEL: func.func @matmul_1x1000x1(
// SM80:      linalg.matmul
// SM80-SAME: roller.predicted_us = 0.11017165277096616 : f64, roller.tile = #roller.rtile<shared = [1, 256, 1], register = [1, 1, 1]>
// SM90-LABEL: func.func @matmul_1x1000x1(
// SM90:      linalg.matmul
// SM90-SAME: roller.predicted_us = 0.081958208955223863 : f64, roller.tile = #roller.rtile<shared = [1, 256, 1], register = [1, 1, 1]>
// CPU-LABEL: func.func @matmul_1x1000x1(
// CPU:      linalg.matmul
// CPU-SAME: roller.predicted_us = 0.13199999999999998 : f64, roller.tile = #roller.rtile<L2 = [1, 256, 1], register = [1, 32, 1]>
// HOST-LABEL: func.func @matmul_1x1000x1(
// HOST:      linalg.matmul
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+\]}}>

func.func @matmul_1x1000x1(%a: tensor<1x1xf32>, %b: tensor<1x1000xf32>, %c: tensor<1x1000xf32>) -> tensor<1x1000xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<1x1xf32>, tensor<1x1000xf32>) outs(%c : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  return %r : tensor<1x1000xf32>
}

// -----

// TOPK80-LABEL: func.func @matmul_1x1x1(
// TOPK80: roller.candidates = [#roller.rtile<shared = [1, 8, 1], register = [1, 1, 1]>, #roller.rtile<shared = [1, 4, 1], register = [1, 1, 1]>, #roller.rtile<shared = [1, 2, 1], register = [1, 1, 1]>]
// A 1x1x1 matmul has one CPU register tile: one candidate, no list.
// TOPKCPU-LABEL: func.func @matmul_1x1x1(
// TOPKCPU-NEXT: linalg.matmul {roller.predicted_us = 1.200000e-02 : f64, roller.tile = #roller.rtile<L2 = [1, 1, 1], register = [1, 1, 1]>} ins(
// SM80-LABEL: func.func @matmul_1x1x1(
// SM80:      linalg.matmul
// SM80-SAME: roller.predicted_us = 0.16271505640019618 : f64, roller.tile = #roller.rtile<shared = [1, 8, 1], register = [1, 1, 1]>
// SM90-LABEL: func.func @matmul_1x1x1(
// SM90:      linalg.matmul
// SM90-SAME: roller.predicted_us = 0.12104597014925372 : f64, roller.tile = #roller.rtile<shared = [1, 8, 1], register = [1, 1, 1]>
// CPU-LABEL: func.func @matmul_1x1x1(
// CPU:      linalg.matmul
// CPU-SAME: roller.predicted_us = 1.200000e-02 : f64, roller.tile = #roller.rtile<L2 = [1, 1, 1], register = [1, 1, 1]>
// HOST-LABEL: func.func @matmul_1x1x1(
// HOST:      linalg.matmul
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+\]}}>

func.func @matmul_1x1x1(%a: tensor<1x1xf32>, %b: tensor<1x1xf32>, %c: tensor<1x1xf32>) -> tensor<1x1xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<1x1xf32>, tensor<1x1xf32>) outs(%c : tensor<1x1xf32>) -> tensor<1x1xf32>
  return %r : tensor<1x1xf32>
}

// -----

// SM80-LABEL: func.func @batch_matmul(
// SM80:      linalg.batch_matmul
// SM80-SAME: roller.predicted_us = 0.36312056737588649 : f64, roller.tile = #roller.rtile<shared = [1, 16, 16, 8], register = [1, 1, 1, 1]>
// SM90-LABEL: func.func @batch_matmul(
// SM90:      linalg.batch_matmul
// SM90-SAME: roller.predicted_us = 0.25858585858585859 : f64, roller.tile = #roller.rtile<shared = [1, 16, 16, 8], register = [1, 1, 1, 1]>
// CPU-LABEL: func.func @batch_matmul(
// CPU:      linalg.batch_matmul
// CPU-SAME: roller.predicted_us = 1.6584374999999993 : f64, roller.tile = #roller.rtile<L2 = [1, 20, 64, 32], register = [1, 4, 16, 8]>
// HOST-LABEL: func.func @batch_matmul(
// HOST:      linalg.batch_matmul
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+, [0-9]+\]}}>

func.func @batch_matmul(%a: tensor<3x37x29xf32>, %b: tensor<3x29x53xf32>, %c: tensor<3x37x53xf32>) -> tensor<3x37x53xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<3x37x29xf32>, tensor<3x29x53xf32>) outs(%c : tensor<3x37x53xf32>) -> tensor<3x37x53xf32>
  return %r : tensor<3x37x53xf32>
}

// -----

// SM80-LABEL: func.func @matmul_transpose_b(
// SM80:      linalg.matmul
// SM80-SAME: roller.predicted_us = 0.36312056737588649 : f64, roller.tile = #roller.rtile<shared = [16, 16, 8], register = [1, 1, 1]>
// SM90-LABEL: func.func @matmul_transpose_b(
// SM90:      linalg.matmul
// SM90-SAME: roller.predicted_us = 0.25858585858585853 : f64, roller.tile = #roller.rtile<shared = [16, 16, 8], register = [1, 1, 1]>
// CPU-LABEL: func.func @matmul_transpose_b(
// CPU:      linalg.matmul
// CPU-SAME: roller.predicted_us = 7.520000e-01 : f64, roller.tile = #roller.rtile<L2 = [10, 64, 32], register = [5, 16, 8]>
// HOST-LABEL: func.func @matmul_transpose_b(
// HOST:      linalg.matmul
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+\]}}>

func.func @matmul_transpose_b(%a: tensor<37x29xf32>, %b: tensor<53x29xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%a, %b : tensor<37x29xf32>, tensor<53x29xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

// -----

// TOPK80-LABEL: func.func @conv_nchw(
// TOPK80: roller.candidates = [#roller.rtile<shared = [2, 7, 2, 8, 1, 1, 3], register = [1, 1, 1, 1, 1, 1, 1]>, #roller.rtile<shared = [2, 6, 1, 8, 1, 1, 3], register = [1, 1, 1, 1, 1, 1, 1]>, #roller.rtile<shared = [2, 7, 4, 8, 1, 3, 3], register = [1, 1, 1, 2, 1, 1, 1]>]
// TOPKCPU-LABEL: func.func @conv_nchw(
// NCHW: rows of filters f (each input row vector reused by every f), unit oh and window
// (kh, kw) loops, the channels unrolled: the tile is a matmul once its unit loops drop.
// TOPKCPU: roller.candidates = [#roller.rtile<L2 = [1, 7, 1, 7, 3, 3, 3], register = [1, 7, 1, 7, 3, 1, 1]>, #roller.rtile<L2 = [1, 7, 1, 7, 3, 3, 3], register = [1, 1, 1, 7, 3, 1, 1]>, #roller.rtile<L2 = [1, 8, 1, 7, 3, 3, 3], register = [1, 4, 1, 7, 3, 1, 1]>]
// SM80-LABEL: func.func @conv_nchw(
// SM80:      linalg.conv_2d_nchw_fchw
// SM80-SAME: roller.predicted_us = 0.49008225320535281 : f64, roller.tile = #roller.rtile<shared = [2, 7, 2, 8, 1, 1, 3], register = [1, 1, 1, 1, 1, 1, 1]>
// SM90-LABEL: func.func @conv_nchw(
// SM90:      linalg.conv_2d_nchw_fchw
// SM90-SAME: roller.predicted_us = 0.36457893390191898 : f64, roller.tile = #roller.rtile<shared = [2, 7, 2, 8, 1, 1, 3], register = [1, 1, 1, 1, 1, 1, 1]>
// CPU-LABEL: func.func @conv_nchw(
// CPU:      linalg.conv_2d_nchw_fchw
// CPU-SAME: roller.predicted_us = 1.200000e+00 : f64, roller.tile = #roller.rtile<L2 = [1, 7, 1, 7, 3, 3, 3], register = [1, 7, 1, 7, 3, 1, 1]>
// HOST-LABEL: func.func @conv_nchw(
// HOST:      linalg.conv_2d_nchw_fchw
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+\]}}>

func.func @conv_nchw(%x: tensor<2x3x15x17xf32>, %w: tensor<7x3x3x3xf32>, %c: tensor<2x7x6x7xf32>) -> tensor<2x7x6x7xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<2x3x15x17xf32>, tensor<7x3x3x3xf32>) outs(%c : tensor<2x7x6x7xf32>) -> tensor<2x7x6x7xf32>
  return %r : tensor<2x7x6x7xf32>
}

// -----

// SM80-LABEL: func.func @conv_nhwc(
// SM80:      linalg.conv_2d_nhwc_hwcf
// SM80-SAME: roller.predicted_us = 0.68475919568415899 : f64, roller.tile = #roller.rtile<shared = [2, 4, 1, 8, 3, 1, 3], register = [1, 1, 1, 1, 1, 1, 1]>
// SM90-LABEL: func.func @conv_nhwc(
// SM90:      linalg.conv_2d_nhwc_hwcf
// SM90-SAME: roller.predicted_us = 0.50940179104477601 : f64, roller.tile = #roller.rtile<shared = [2, 4, 1, 8, 3, 1, 3], register = [1, 1, 1, 1, 1, 1, 1]>
// CPU-LABEL: func.func @conv_nhwc(
// CPU:      linalg.conv_2d_nhwc_hwcf
// CPU-SAME: roller.predicted_us = 1.080000e+00 : f64, roller.tile = #roller.rtile<L2 = [1, 1, 6, 5, 3, 3, 3], register = [1, 1, 6, 5, 1, 1, 3]>
// HOST-LABEL: func.func @conv_nhwc(
// HOST:      linalg.conv_2d_nhwc_hwcf
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+\]}}>

func.func @conv_nhwc(%x: tensor<2x13x15x3xf32>, %w: tensor<3x3x3x5xf32>, %c: tensor<2x5x6x5xf32>) -> tensor<2x5x6x5xf32> {
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<2x13x15x3xf32>, tensor<3x3x3x5xf32>) outs(%c : tensor<2x5x6x5xf32>) -> tensor<2x5x6x5xf32>
  return %r : tensor<2x5x6x5xf32>
}

// -----

// SM80-LABEL: func.func @depthwise(
// SM80:      linalg.depthwise_conv_2d_nhwc_hwc
// SM80-SAME: roller.predicted_us = 1.0305286905345759 : f64, roller.tile = #roller.rtile<shared = [1, 4, 1, 8, 1, 1], register = [1, 1, 1, 1, 1, 1]>
// SM90-LABEL: func.func @depthwise(
// SM90:      linalg.depthwise_conv_2d_nhwc_hwc
// SM90-SAME: roller.predicted_us = 0.7666244776119403 : f64, roller.tile = #roller.rtile<shared = [1, 4, 1, 8, 1, 1], register = [1, 1, 1, 1, 1, 1]>
// CPU-LABEL: func.func @depthwise(
// CPU:      linalg.depthwise_conv_2d_nhwc_hwc
// CPU-SAME: roller.predicted_us = 0.28200000000000003 : f64, roller.tile = #roller.rtile<L2 = [1, 1, 5, 5, 3, 3], register = [1, 1, 5, 5, 1, 1]>
// HOST-LABEL: func.func @depthwise(
// HOST:      linalg.depthwise_conv_2d_nhwc_hwc
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+\]}}>

func.func @depthwise(%x: tensor<1x13x11x5xf32>, %w: tensor<3x3x5xf32>, %c: tensor<1x6x5x5xf32>) -> tensor<1x6x5x5xf32> {
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<1x13x11x5xf32>, tensor<3x3x5xf32>) outs(%c : tensor<1x6x5x5xf32>) -> tensor<1x6x5x5xf32>
  return %r : tensor<1x6x5x5xf32>
}

// -----

// SM80-LABEL: func.func @pool_max(
// SM80:      linalg.pooling_nhwc_max
// SM80-SAME: roller.predicted_us = 0.40509269249632179 : f64, roller.tile = #roller.rtile<shared = [2, 1, 8, 16, 1, 3], register = [1, 1, 1, 1, 1, 1]>
// SM90-LABEL: func.func @pool_max(
// SM90:      linalg.pooling_nhwc_max
// SM90-SAME: roller.predicted_us = 0.30135402985074627 : f64, roller.tile = #roller.rtile<shared = [2, 1, 8, 16, 1, 3], register = [1, 1, 1, 1, 1, 1]>
// CPU-LABEL: func.func @pool_max(
// CPU:      linalg.pooling_nhwc_max
// CPU-SAME: roller.predicted_us = 1.452000e+00 : f64, roller.tile = #roller.rtile<L2 = [1, 1, 8, 24, 3, 3], register = [1, 1, 4, 24, 1, 3]>
// HOST-LABEL: func.func @pool_max(
// HOST:      linalg.pooling_nhwc_max
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+\]}}>

func.func @pool_max(%x: tensor<2x13x17x19xf32>, %win: tensor<3x3xf32>, %c: tensor<2x6x8x19xf32>) -> tensor<2x6x8x19xf32> {
  %r = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %win : tensor<2x13x17x19xf32>, tensor<3x3xf32>) outs(%c : tensor<2x6x8x19xf32>) -> tensor<2x6x8x19xf32>
  return %r : tensor<2x6x8x19xf32>
}

// -----

// SM80-LABEL: func.func @reduce_0_1(
// SM80:      linalg.reduce
// SM80-SAME: roller.predicted_us = 10.088333496812163 : f64, roller.tile = #roller.rtile<shared = [1, 1, 32], register = [1, 1, 1]>
// SM90-LABEL: func.func @reduce_0_1(
// SM90:      linalg.reduce
// SM90-SAME: roller.predicted_us = 7.5048501492537305 : f64, roller.tile = #roller.rtile<shared = [1, 1, 32], register = [1, 1, 1]>
// CPU-LABEL: func.func @reduce_0_1(
// CPU:      linalg.reduce
// CPU-SAME: roller.predicted_us = 0.74399999999999999 : f64, roller.tile = #roller.rtile<L2 = [5, 37, 16], register = [1, 1, 16]>
// HOST-LABEL: func.func @reduce_0_1(
// HOST:      linalg.reduce
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+\]}}>

func.func @reduce_0_1(%x: tensor<5x37x53xf32>, %c: tensor<53xf32>) -> tensor<53xf32> {
  %r = linalg.reduce ins(%x : tensor<5x37x53xf32>) outs(%c : tensor<53xf32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %t = arith.addf %in, %acc : f32
      linalg.yield %t : f32
    }
  return %r : tensor<53xf32>
}

// -----

// SM80-LABEL: func.func @reduce_0_2(
// SM80:      linalg.reduce
// SM80-SAME: roller.predicted_us = 15.240976949485043 : f64, roller.tile = #roller.rtile<shared = [1, 32, 8], register = [1, 1, 1]>
// SM90-LABEL: func.func @reduce_0_2(
// SM90:      linalg.reduce
// SM90-SAME: roller.predicted_us = 11.337972537313433 : f64, roller.tile = #roller.rtile<shared = [1, 32, 8], register = [1, 1, 1]>
// CPU-LABEL: func.func @reduce_0_2(
// CPU:      linalg.reduce
// CPU-SAME: roller.predicted_us = 8.050000e-01 : f64, roller.tile = #roller.rtile<L2 = [5, 8, 56], register = [1, 8, 4]>
// HOST-LABEL: func.func @reduce_0_2(
// HOST:      linalg.reduce
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+\]}}>

func.func @reduce_0_2(%x: tensor<5x37x53xf32>, %c: tensor<37xf32>) -> tensor<37xf32> {
  %r = linalg.reduce ins(%x : tensor<5x37x53xf32>) outs(%c : tensor<37xf32>) dimensions = [0, 2]
    (%in: f32, %acc: f32) {
      %t = arith.maximumf %in, %acc : f32
      linalg.yield %t : f32
    }
  return %r : tensor<37xf32>
}

// -----

// A reduction to a scalar has one candidate on either target.
// TOPK80-LABEL: func.func @reduce_all(
// TOPK80-NEXT: linalg.reduce ins({{.*}}) dimensions = [0, 1]  {roller.predicted_us =
// TOPKCPU-LABEL: func.func @reduce_all(
// TOPKCPU-NEXT: linalg.reduce ins({{.*}}) dimensions = [0, 1]  {roller.predicted_us =
// SM80-LABEL: func.func @reduce_all(
// SM80:      linalg.reduce
// SM80-SAME: roller.predicted_us = 112.38186562040218 : f64, roller.tile = #roller.rtile<shared = [1, 8], register = [1, 1]>
// SM90-LABEL: func.func @reduce_all(
// SM90:      linalg.reduce
// SM90-SAME: roller.predicted_us = 83.60241671641792 : f64, roller.tile = #roller.rtile<shared = [1, 8], register = [1, 1]>
// CPU-LABEL: func.func @reduce_all(
// CPU:      linalg.reduce
// CPU-SAME: roller.predicted_us = 5.920000e-01 : f64, roller.tile = #roller.rtile<L2 = [37, 53], register = [1, 1]>
// HOST-LABEL: func.func @reduce_all(
// HOST:      linalg.reduce
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+\]}}>

func.func @reduce_all(%x: tensor<37x53xf32>, %c: tensor<f32>) -> tensor<f32> {
  %r = linalg.reduce ins(%x : tensor<37x53xf32>) outs(%c : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %t = arith.addf %in, %acc : f32
      linalg.yield %t : f32
    }
  return %r : tensor<f32>
}

// -----

// SM80-LABEL: func.func @softmax(
// SM80:      linalg.generic
// SM80-SAME: roller.predicted_us = 3.0915860716037273 : f64, roller.tile = #roller.rtile<shared = [32, 8], register = [1, 1]>
// SM80:      linalg.generic
// SM80-SAME: roller.predicted_us = 0.11017165277096617 : f64, roller.tile = #roller.rtile<shared = [8, 32], register = [1, 1]>
// SM80:      linalg.generic
// SM80-SAME: roller.predicted_us = 3.0915860716037273 : f64, roller.tile = #roller.rtile<shared = [32, 8], register = [1, 1]>
// SM80:      linalg.generic
// SM80-SAME: roller.predicted_us = 0.11017165277096617 : f64, roller.tile = #roller.rtile<shared = [8, 32], register = [1, 1]>
// SM90-LABEL: func.func @softmax(
// SM90:      linalg.generic
// SM90-SAME: roller.predicted_us = 2.2998734328358208 : f64, roller.tile = #roller.rtile<shared = [32, 8], register = [1, 1]>
// SM90:      linalg.generic
// SM90-SAME: roller.predicted_us = 0.081958208955223877 : f64, roller.tile = #roller.rtile<shared = [8, 32], register = [1, 1]>
// SM90:      linalg.generic
// SM90-SAME: roller.predicted_us = 2.2998734328358208 : f64, roller.tile = #roller.rtile<shared = [32, 8], register = [1, 1]>
// SM90:      linalg.generic
// SM90-SAME: roller.predicted_us = 0.081958208955223877 : f64, roller.tile = #roller.rtile<shared = [8, 32], register = [1, 1]>
// CPU-LABEL: func.func @softmax(
// CPU:      linalg.generic
// CPU-SAME: roller.predicted_us = 0.29200000000000004 : f64, roller.tile = #roller.rtile<L2 = [12, 96], register = [4, 48]>
// CPU:      linalg.generic
// exp(x - max): one row of vectors (its polynomial would spill on 8 rows).
// CPU-SAME: roller.predicted_us = 3.250000e-01 : f64, roller.tile = #roller.rtile<L2 = [8, 64], register = [1, 32]>
// CPU:      linalg.generic
// CPU-SAME: roller.predicted_us = 0.29200000000000004 : f64, roller.tile = #roller.rtile<L2 = [12, 96], register = [4, 48]>
// CPU:      linalg.generic
// CPU-SAME: roller.predicted_us = 3.250000e-01 : f64, roller.tile = #roller.rtile<L2 = [8, 64], register = [8, 32]>
// HOST-LABEL: func.func @softmax(
// HOST:      linalg.generic
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+\]}}>
// HOST:      linalg.generic
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+\]}}>
// HOST:      linalg.generic
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+\]}}>
// HOST:      linalg.generic
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+\]}}>

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @softmax(%x: tensor<37x53xf32>, %r0: tensor<37xf32>, %e: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<37x53xf32>) outs(%r0 : tensor<37xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.maximumf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<37xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %max : tensor<37x53xf32>, tensor<37xf32>) outs(%e : tensor<37x53xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %v = math.exp %d : f32
    linalg.yield %v : f32
  } -> tensor<37x53xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%exp : tensor<37x53xf32>) outs(%r0 : tensor<37xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<37xf32>
  %div = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%exp, %sum : tensor<37x53xf32>, tensor<37xf32>) outs(%e : tensor<37x53xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %v = arith.divf %a, %s : f32
    linalg.yield %v : f32
  } -> tensor<37x53xf32>
  return %div : tensor<37x53xf32>
}

// -----

// SM80-LABEL: func.func @elementwise_broadcast(
// SM80:      linalg.generic
// SM80-SAME: roller.predicted_us = 0.16271505640019615 : f64, roller.tile = #roller.rtile<shared = [1, 32], register = [1, 1]>
// SM80:      linalg.generic
// SM80-SAME: roller.predicted_us = 0.11017165277096617 : f64, roller.tile = #roller.rtile<shared = [32, 8], register = [1, 1]>
// SM90-LABEL: func.func @elementwise_broadcast(
// SM90:      linalg.generic
// SM90-SAME: roller.predicted_us = 0.12104597014925372 : f64, roller.tile = #roller.rtile<shared = [1, 32], register = [1, 1]>
// SM90:      linalg.generic
// SM90-SAME: roller.predicted_us = 0.081958208955223877 : f64, roller.tile = #roller.rtile<shared = [32, 8], register = [1, 1]>
// CPU-LABEL: func.func @elementwise_broadcast(
// CPU:      linalg.generic
// CPU-SAME: roller.predicted_us = 4.800000e-01 : f64, roller.tile = #roller.rtile<L2 = [8, 64], register = [8, 32]>
// CPU:      linalg.generic
// CPU-SAME: roller.predicted_us = 0.33999999999999997 : f64, roller.tile = #roller.rtile<L2 = [8, 64], register = [8, 32]>
// HOST-LABEL: func.func @elementwise_broadcast(
// HOST:      linalg.generic
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+\]}}>
// HOST:      linalg.generic
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+\]}}>

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @elementwise_broadcast(%x: tensor<37x53xf32>, %y: tensor<37x53xf32>, %bias: tensor<53xf32>, %e: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %add = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<37x53xf32>, tensor<37x53xf32>) outs(%e : tensor<37x53xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<37x53xf32>
  %bcast = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%add, %bias : tensor<37x53xf32>, tensor<53xf32>) outs(%e : tensor<37x53xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.mulf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<37x53xf32>
  return %bcast : tensor<37x53xf32>
}

// -----

// SM80-LABEL: func.func @fill(
// SM80:      linalg.fill
// SM80-SAME: roller.predicted_us = 0.054238352133398719 : f64, roller.tile = #roller.rtile<shared = [1, 16, 8], register = [1, 1, 1]>
// SM90-LABEL: func.func @fill(
// SM90:      linalg.fill
// SM90-SAME: roller.predicted_us = 0.040348656716417908 : f64, roller.tile = #roller.rtile<shared = [1, 16, 8], register = [1, 1, 1]>
// CPU-LABEL: func.func @fill(
// CPU:      linalg.fill
// CPU-SAME: roller.predicted_us = 1.000000e+00 : f64, roller.tile = #roller.rtile<L2 = [1, 200, 1], register = [1, 8, 1]>
// HOST-LABEL: func.func @fill(
// HOST:      linalg.fill
// HOST-SAME: roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<{{[^=]+}} = {{\[[0-9]+, [0-9]+, [0-9]+\]}}, register = {{\[[0-9]+, [0-9]+, [0-9]+\]}}>

func.func @fill(%e: tensor<1x1000x1xf32>) -> tensor<1x1000x1xf32> {
  %z = arith.constant 0.0 : f32
  %r = linalg.fill ins(%z : f32) outs(%e : tensor<1x1000x1xf32>) -> tensor<1x1000x1xf32>
  return %r : tensor<1x1000x1xf32>
}


// -----

// A tile written by hand is left as it is (no prediction is added to it),
// whatever the target; the operator next to it is tiled as usual.
// ALL-LABEL: func.func @hand_written(
// ALL:      linalg.matmul {roller.tile = #roller.rtile<L1 = [4, 8, 2], register = [2, 8, 1]>} ins(
// ALL:      linalg.matmul {roller.predicted_us = {{[0-9.e+-]+}} : f64, roller.tile = #roller.rtile<
func.func @hand_written(%a: tensor<8x4xf32>, %b: tensor<4x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %r = linalg.matmul {roller.tile = #roller.rtile<L1 = [4, 8, 2], register = [2, 8, 1]>} ins(%a, %b : tensor<8x4xf32>, tensor<4x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
  %s = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x8xf32>) outs(%r : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %s : tensor<8x8xf32>
}
