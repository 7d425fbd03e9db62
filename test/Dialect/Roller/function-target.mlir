// A function's own roller.target wins over the module's for its operators;
// roller-lower leaves a GPU function's tiles for the GPU lowering and lowers
// the CPU one.
// RUN: fourfold-opt %s --roller-construct | FileCheck %s --check-prefix=CONSTRUCT
// RUN: fourfold-opt %s --roller-construct --roller-lower | FileCheck %s --check-prefix=LOWER

// CONSTRUCT-LABEL: func.func @on_gpu(
// CONSTRUCT: linalg.matmul {{.*}}roller.tile = #roller.rtile<shared = [
// CONSTRUCT-LABEL: func.func @on_host(
// CONSTRUCT: linalg.matmul {{.*}}roller.tile = #roller.rtile<{{L[0-9]}} = [

// LOWER: module attributes {roller.target = #roller.target<"host
// LOWER-LABEL: func.func @on_gpu(
// LOWER-SAME: roller.target = #roller.target<"sm_90"
// LOWER: linalg.matmul {{.*}}roller.tile = #roller.rtile<shared = [
// LOWER-LABEL: func.func @on_host(
// LOWER-NOT: roller.
// LOWER: vector.contract
module {
  func.func @on_gpu(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32>
      attributes {roller.target = #roller.target<"sm_90", gpu, units = 132, blocks_per_unit = 32, threads_per_unit = 2048, warp = 32, regs_per_unit = 65536, vector_bits = 128, levels = [#roller.level<"global", capacity = 85899345920, bandwidth = 3350, transaction = 32>, #roller.level<"shared", capacity = 233472, bandwidth = 33454.08, transaction = 128, banks = 32>, #roller.level<"register", capacity = 262144, bandwidth = 401448.96, transaction = 4>], peak = {f32 = 66900.0 : f64}>} {
    %r = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
    return %r : tensor<64x64xf32>
  }
  func.func @on_host(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
    %r = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
    return %r : tensor<64x64xf32>
  }
}
