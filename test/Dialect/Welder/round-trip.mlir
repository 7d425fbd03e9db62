// RUN: fourfold-opt %s | fourfold-opt | FileCheck %s
// RUN: fourfold-opt %s --mlir-print-op-generic | fourfold-opt | FileCheck %s

// A group with a tile, two inputs and two results; inside, every node has a
// tile and every edge a level: register and shared edges stay inside, the
// yielded ones are global (or carry no level).
// CHECK-LABEL: func.func @matmul_relu
// CHECK: %[[G:.*]]:2 = welder.group "matmul_relu" tile [16, 16](%{{.*}}, %{{.*}}) : (tensor<64x32xf32>, tensor<32x16xf32>) -> (tensor<64x16xf32>, tensor<64x16xf32>) {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<64x32xf32>, %[[B:.*]]: tensor<32x16xf32>):
// CHECK: linalg.fill {welder.levels = [#welder.level<register>], welder.tile = array<i64: 16, 16>}
// CHECK: linalg.matmul {welder.levels = [#welder.level<shared>], welder.tile = array<i64: 16, 16, 32>} ins(%[[A]], %[[B]] :
// CHECK: linalg.generic
// CHECK-SAME: attrs = {welder.levels = [#welder.level<global>], welder.tile = array<i64: 16, 16>}
// CHECK: welder.yield %{{.*}}, %{{.*}} : tensor<64x16xf32>, tensor<64x16xf32>
// CHECK: return %[[G]]#0, %[[G]]#1
func.func @matmul_relu(%a: tensor<64x32xf32>, %b: tensor<32x16xf32>) -> (tensor<64x16xf32>, tensor<64x16xf32>) {
  %g:2 = welder.group "matmul_relu" tile [16, 16] (%a, %b) : (tensor<64x32xf32>, tensor<32x16xf32>) -> (tensor<64x16xf32>, tensor<64x16xf32>) {
  ^bb0(%x: tensor<64x32xf32>, %y: tensor<32x16xf32>):
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<64x16xf32>
    %c = linalg.fill {welder.tile = array<i64: 16, 16>, welder.levels = [#welder.level<register>]} ins(%zero : f32) outs(%e : tensor<64x16xf32>) -> tensor<64x16xf32>
    %m = linalg.matmul {welder.tile = array<i64: 16, 16, 32>, welder.levels = [#welder.level<shared>]} ins(%x, %y : tensor<64x32xf32>, tensor<32x16xf32>) outs(%c : tensor<64x16xf32>) -> tensor<64x16xf32>
    %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<64x16xf32>) outs(%e : tensor<64x16xf32>) attrs = {welder.tile = array<i64: 16, 16>, welder.levels = [#welder.level<global>]} {
    ^bb0(%v: f32, %o: f32):
      %p = arith.maximumf %v, %zero : f32
      linalg.yield %p : f32
    } -> tensor<64x16xf32>
    %n = linalg.negf ins(%m : tensor<64x16xf32>) outs(%e : tensor<64x16xf32>) -> tensor<64x16xf32>
    welder.yield %r, %n : tensor<64x16xf32>, tensor<64x16xf32>
  }
  return %g#0, %g#1 : tensor<64x16xf32>, tensor<64x16xf32>
}

// A group without a tile (not yet scheduled), one input, one result, and
// welder.levels on an op with no loop nest.
// CHECK-LABEL: func.func @untiled
// CHECK: welder.group "exp"(%{{.*}}) : (tensor<8xf32>) -> tensor<8xf32> {
// CHECK: tensor.empty() {welder.levels = [#welder.level<shared>]} : tensor<8xf32>
// CHECK: linalg.exp ins
// CHECK: welder.yield %{{.*}} : tensor<8xf32>
func.func @untiled(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "exp" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    %e = tensor.empty() {welder.levels = [#welder.level<shared>]} : tensor<8xf32>
    %r = linalg.exp ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %r : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// A group with no inputs and no results, on buffers.
// CHECK-LABEL: func.func @side_effects
// CHECK: welder.group "fill" tile [4]() : () -> () {
// CHECK: memref.alloc
// CHECK: linalg.fill {welder.tile = array<i64: 4>}
// CHECK-NEXT: welder.yield{{$}}
func.func @side_effects() {
  welder.group "fill" tile [4] () : () -> () {
    %zero = arith.constant 0.0 : f32
    %buf = memref.alloc() : memref<16xf32>
    linalg.fill {welder.tile = array<i64: 4>} ins(%zero : f32) outs(%buf : memref<16xf32>)
    welder.yield
  }
  return
}

// A value leaving a group may be produced by an op that is not annotated, or
// through a block argument.
// CHECK-LABEL: func.func @pass_through
// CHECK: welder.group "id"(%{{.*}}) : (tensor<8xf32>) -> tensor<8xf32> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<8xf32>):
// CHECK-NEXT: welder.yield %[[X]] : tensor<8xf32>
func.func @pass_through(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "id" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    welder.yield %x : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// The model's figures on a group (what --welder-tile-graph writes).
// CHECK-LABEL: func.func @figures
// CHECK: welder.group "f" tile [8](%{{.*}}) {welder.bytes = 64 : i64, welder.predicted_us = 2.5{{0*}}e+00 : f64, welder.unfused_bytes = 128 : i64}
func.func @figures(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "f" tile [8] (%a) {welder.bytes = 64 : i64, welder.predicted_us = 2.5 : f64, welder.unfused_bytes = 128 : i64} : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    %e = tensor.empty() : tensor<8xf32>
    %r = linalg.exp ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %r : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}
