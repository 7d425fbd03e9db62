// A reduction that the cache tile's k step does not divide (NeRF's first
// layer: 63 inputs, 32-wide cache steps leave a last step of 31, of which
// the register tile's k step of 8 leaves 7, a count known only at run
// time). That remainder runs one k at a time with the register tile in
// vectors (an outer product per k, accumulators kept in registers); it used
// to stay a scalar linalg.matmul (1024x256x63 at 40 GFLOP/s on the host
// against 105 now).
//
// RUN: fourfold-opt %s --roller-construct=target=@%S/Inputs/cpu512.target --roller-lower=parallel=false | FileCheck %s

// CHECK-LABEL: func.func @k63
// CHECK: scf.for %{{.*}} = %c0 to %c63 step %c32
// CHECK: vector.contract {{.*}} : vector<4x8xf32>, vector<8x64xf32> into vector<4x64xf32>
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<4x64xf32>)
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x64xf32> into vector<4x64xf32>
// CHECK-NOT: linalg.matmul
func.func @k63(%a: tensor<1024x63xf32>, %b: tensor<63x256xf32>) -> tensor<1024x256xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1024x256xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1024x256xf32>) -> tensor<1024x256xf32>
  %r = linalg.matmul ins(%a, %b : tensor<1024x63xf32>, tensor<63x256xf32>) outs(%c : tensor<1024x256xf32>) -> tensor<1024x256xf32>
  return %r : tensor<1024x256xf32>
}
