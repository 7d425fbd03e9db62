// Math in roller's vector code on the CPU. math.erf (GELU's exact form)
// becomes one rational function, x * P(x^2) / Q(x^2) with x clamped to
// [-4, 4] and the quotient clamped to [-1, 1] (compare + select: a NaN
// compares false and goes through): no per-lane coefficient selects (as in
// upstream's three-interval approximation) and no libm call. The scalar
// remainder (200 = 12 x 16 + 8 columns) gets the same function. An
// elementwise operator with such math gets one row of vectors per register
// tile (more rows multiply the registers its temporaries need).
//
// RUN: fourfold-opt %s --roller-construct="target=@%S/Inputs/cpu.target" | FileCheck %s --check-prefix=TILE
// RUN: fourfold-opt %s --roller-construct="target=@%S/Inputs/cpu.target" --roller-lower=parallel=false | FileCheck %s

// TILE-LABEL: func.func @gelu
// TILE: linalg.generic {{.*}}register = [1, 16]>
// CHECK-LABEL: func.func @gelu
// CHECK-NOT: math.erf
// CHECK: scf.for {{.*}} step %c16
// CHECK:   %[[X:.*]] = vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK:   arith.mulf %[[X]], {{.*}} : vector<1x16xf32>
// CHECK:   %[[S:.*]] = arith.mulf %[[X]], {{.*}} : vector<1x16xf32>
// CHECK:   %[[GT:.*]] = arith.cmpf ogt, %[[S]], %[[FOUR:.*]] : vector<1x16xf32>
// CHECK-NEXT: %[[HI:.*]] = arith.select %[[GT]], %[[FOUR]], %[[S]]
// CHECK-NEXT: %[[LT:.*]] = arith.cmpf olt, %[[HI]], %[[MFOUR:.*]] : vector<1x16xf32>
// CHECK-NEXT: %[[C:.*]] = arith.select %[[LT]], %[[MFOUR]], %[[HI]]
// CHECK-NEXT: %[[X2:.*]] = arith.mulf %[[C]], %[[C]]
// CHECK-NEXT: math.fma %[[X2]], {{.*}} : vector<1x16xf32>
// CHECK-COUNT-5: math.fma %[[X2]], {{.*}} : vector<1x16xf32>
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[C]], {{.*}} : vector<1x16xf32>
// CHECK-NEXT: math.fma %[[X2]], {{.*}} : vector<1x16xf32>
// CHECK-COUNT-3: math.fma %[[X2]], {{.*}} : vector<1x16xf32>
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[P]], {{.*}} : vector<1x16xf32>
// CHECK-NEXT: arith.cmpf ogt, %[[Q]], {{.*}} : vector<1x16xf32>
// CHECK-NEXT: arith.select
// CHECK-NEXT: arith.cmpf olt
// CHECK-NEXT: arith.select
// CHECK-NEXT: arith.addf
// CHECK:   vector.transfer_write
// The remainder: scalar, same function.
// CHECK: linalg.generic
// CHECK:   arith.cmpf ogt, {{.*}} : f32
// CHECK-COUNT-10: math.fma {{.*}} : f32
// CHECK:   arith.divf {{.*}} : f32
// CHECK-NOT: math.erf
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @gelu(%x: tensor<13x200xf32>) -> tensor<13x200xf32> {
  %half = arith.constant 0.5 : f32
  %rsqrt2 = arith.constant 0.707106769 : f32
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<13x200xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<13x200xf32>) outs(%e : tensor<13x200xf32>) {
  ^bb0(%a: f32, %o: f32):
    %h = arith.mulf %a, %half : f32
    %s = arith.mulf %a, %rsqrt2 : f32
    %f = math.erf %s : f32
    %p = arith.addf %f, %one : f32
    %v = arith.mulf %h, %p : f32
    linalg.yield %v : f32
  } -> tensor<13x200xf32>
  return %r : tensor<13x200xf32>
}
