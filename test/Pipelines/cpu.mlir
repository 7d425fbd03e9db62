// The CPU pipeline takes linalg-on-tensors and tosa to the LLVM dialect.
// The scalar checks below are for the pipeline without roller's vectorisation.
// RUN: fourfold-opt %s --fourfold-cpu-pipeline="roller=false" | FileCheck %s
// With roller (the default), contractions become vector FMAs.
// RUN: fourfold-opt %s --fourfold-cpu-pipeline | FileCheck %s --check-prefix=ROLLER
// ROLLER-LABEL: llvm.func @matmul(
// ROLLER: llvm.intr.fmuladd{{.*}}vector<{{[0-9]+}}xf32>
// Nothing but the LLVM dialect is left (only -NOT lines: checks the whole output).
// RUN: fourfold-opt %s --fourfold-cpu-pipeline | FileCheck %s --check-prefix=ONLY-LLVM
// It translates to LLVM IR and compiles; tanh and erf become libm calls.
// (Scalar code calls libm; roller's vector code uses polynomial approximations.)
// RUN: fourfold-opt %s --fourfold-cpu-pipeline="roller=false" | mlir-translate --mlir-to-llvmir | llc -O0 -o - | FileCheck %s --check-prefix=ASM
// RUN: fourfold-opt %s --fourfold-cpu-pipeline | mlir-translate --mlir-to-llvmir | llc -O0 -o - | FileCheck %s --check-prefix=VASM
// VASM-LABEL: tanh_erf:
// VASM-NOT: tanhf
// VASM-NOT: erff
// VASM: ret
// Without out-params, results come back as memref descriptors.
// RUN: fourfold-opt %s --fourfold-cpu-pipeline="out-params=false" | FileCheck %s --check-prefix=NOOUT
// RUN: fourfold-opt %s --fourfold-cpu-pipeline="out-params=false" | FileCheck %s --check-prefix=ONLY-LLVM

// ONLY-LLVM-NOT: linalg.
// ONLY-LLVM-NOT: tosa.
// ONLY-LLVM-NOT: tensor.
// ONLY-LLVM-NOT: memref.
// ONLY-LLVM-NOT: bufferization.
// ONLY-LLVM-NOT: affine.
// ONLY-LLVM-NOT: scf.
// ONLY-LLVM-NOT: cf.
// ONLY-LLVM-NOT: arith.
// ONLY-LLVM-NOT: math.
// ONLY-LLVM-NOT: func.func
// ONLY-LLVM-NOT: unrealized_conversion_cast

// libm's erff is declared at the top of the module.
// CHECK: llvm.func @erff(f32) -> f32

// Odd sizes (37x29 * 29x53) so that nothing divides evenly.
// By default the result becomes a trailing out-parameter (a second memref
// descriptor: ptr, ptr, offset, 2 sizes, 2 strides) and nothing is returned;
// the kernel writes it in place (no allocation, no copy at the end).
// CHECK-LABEL: llvm.func @matmul(
// CHECK-SAME: %arg14: !llvm.ptr, %arg15: !llvm.ptr, %arg16: i64, %arg17: i64, %arg18: i64, %arg19: i64, %arg20: i64) {
// CHECK-DAG: llvm.mlir.constant(37 : index) : i64
// CHECK-DAG: llvm.mlir.constant(29 : index) : i64
// CHECK-DAG: llvm.mlir.constant(53 : index) : i64
// CHECK: llvm.store
// CHECK: llvm.fmul
// CHECK-NEXT: llvm.fadd
// CHECK-NOT: "llvm.intr.memcpy"
// CHECK-NOT: llvm.call @free
// CHECK: llvm.return{{$}}
// NOOUT-LABEL: llvm.func @matmul(
// NOOUT-SAME: %arg13: i64) -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> {
// NOOUT-NOT: llvm.intr.memcpy
// NOOUT: llvm.return %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// ASM-LABEL: matmul:
func.func @matmul(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>) -> tensor<37x53xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x53xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<37x53xf32>) -> tensor<37x53xf32>
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

// matmul + bias + relu, the epilogue as a linalg.generic.
// CHECK-LABEL: llvm.func @matmul_bias_relu(
// CHECK-SAME: %arg19: !llvm.ptr, %arg20: !llvm.ptr, %arg21: i64, %arg22: i64, %arg23: i64, %arg24: i64, %arg25: i64) {
// CHECK: llvm.fmul
// CHECK-NEXT: llvm.fadd
// CHECK: llvm.fadd
// CHECK-NEXT: llvm.intr.maximum(
// CHECK: llvm.return{{$}}
// NOOUT-LABEL: llvm.func @matmul_bias_relu(
// NOOUT-SAME: -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> {
// ASM-LABEL: matmul_bias_relu:
func.func @matmul_bias_relu(%a: tensor<16x8xf32>, %b: tensor<8x32xf32>, %bias: tensor<32xf32>) -> tensor<16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  %m = linalg.matmul ins(%a, %b : tensor<16x8xf32>, tensor<8x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%m, %bias : tensor<16x32xf32>, tensor<32xf32>) outs(%e : tensor<16x32xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %t = arith.maximumf %s, %zero : f32
    linalg.yield %t : f32
  } -> tensor<16x32xf32>
  return %r : tensor<16x32xf32>
}

// A row reduction: the out-parameter is a 1-d descriptor.
// CHECK-LABEL: llvm.func @row_sum(
// CHECK-SAME: %arg7: !llvm.ptr, %arg8: !llvm.ptr, %arg9: i64, %arg10: i64, %arg11: i64) {
// CHECK-DAG: llvm.mlir.constant(64 : index) : i64
// CHECK-DAG: llvm.mlir.constant(16 : index) : i64
// CHECK: llvm.fadd
// CHECK: llvm.return{{$}}
// NOOUT-LABEL: llvm.func @row_sum(
// NOOUT-SAME: -> !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> {
func.func @row_sum(%a: tensor<16x64xf32>) -> tensor<16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16xf32>) -> tensor<16xf32>
  %r = linalg.reduce ins(%a : tensor<16x64xf32>) outs(%c : tensor<16xf32>) dimensions = [1]
    (%x: f32, %acc: f32) {
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<16xf32>
}

// tanh has an LLVM intrinsic (which the backend turns into a call to tanhf);
// erf has none and calls libm's erff directly.
// CHECK-LABEL: llvm.func @tanh_erf(
// CHECK: %[[T:.*]] = llvm.intr.tanh(%{{.*}}) : (f32) -> f32
// CHECK-NEXT: llvm.call @erff(%[[T]]) : (f32) -> f32
// ASM-LABEL: tanh_erf:
// ASM: tanhf
// ASM: erff
func.func @tanh_erf(%a: tensor<128xf32>) -> tensor<128xf32> {
  %e = tensor.empty() : tensor<128xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%a : tensor<128xf32>) outs(%e : tensor<128xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    %f = math.erf %t : f32
    linalg.yield %f : f32
  } -> tensor<128xf32>
  return %r : tensor<128xf32>
}

// tosa goes through tosa-to-linalg first: a batched matmul (zero points as
// operands, the 22.x form) and a broadcasting-free add.
// CHECK-LABEL: llvm.func @tosa_matmul_add(
// CHECK-SAME: %arg27: !llvm.ptr, %arg28: !llvm.ptr, %arg29: i64, %arg30: i64, %arg31: i64, %arg32: i64, %arg33: i64, %arg34: i64, %arg35: i64) {
// CHECK: llvm.fmul
// CHECK-NEXT: llvm.fadd
// CHECK: llvm.fadd
// CHECK: llvm.return{{$}}
// NOOUT-LABEL: llvm.func @tosa_matmul_add(
// NOOUT-SAME: -> !llvm.struct<(ptr, ptr, i64, array<3 x i64>, array<3 x i64>)> {
// ASM-LABEL: tosa_matmul_add:
func.func @tosa_matmul_add(%a: tensor<1x4x8xf32>, %b: tensor<1x8x16xf32>, %c: tensor<1x4x16xf32>) -> tensor<1x4x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x16xf32>
  %r = tosa.add %m, %c : (tensor<1x4x16xf32>, tensor<1x4x16xf32>) -> tensor<1x4x16xf32>
  return %r : tensor<1x4x16xf32>
}
