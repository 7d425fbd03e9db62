// Reductions along the inputs' contiguous dimension on the CPU (issue 9):
// softmax's row max / sum, layernorm's sums, row sums. The register tile runs
// ALONG the reduced loop (a whole number of vectors of the row) with 4 rows
// in flight; --roller-lower emits one scf.for along the row carrying vector
// accumulators (rows x 2 chains), contiguous vector reads, inputs not indexed
// by the reduced loop broadcast once per row, and one horizontal
// vector.reduction per row at the end. No multi_reduction (whose lowering
// transposed lanes across the rows) and no vector.transpose are left; the
// odd columns (257 = 256 + 1) and rows (13 = 12 + 1) are remainders.
//
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target" | FileCheck %s --check-prefix=TILE
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target" --roller-lower=parallel=false | FileCheck %s

// TILE-LABEL: func.func @row_sum
// TILE: linalg.reduce {{.*}}register = [4, 256]>
// CHECK-LABEL: func.func @row_sum
// CHECK-NOT: vector.multi_reduction
// CHECK: scf.for {{.*}} step %c16 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:   vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<4x256xf32>, vector<8xf32>
// CHECK:   arith.addf {{.*}} : vector<8xf32>
// CHECK:   scf.yield
// CHECK: arith.addf {{.*}} : vector<8xf32>
// CHECK: vector.reduction <add>, {{.*}} fastmath<reassoc> : vector<8xf32> into f32
// CHECK-COUNT-3: vector.reduction <add>
// CHECK-NOT: vector.transpose
// CHECK-NOT: vector.multi_reduction
func.func @row_sum(%x: tensor<13x257xf32>) -> tensor<13xf32> {
  %i = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<13xf32>
  %c = linalg.fill ins(%i : f32) outs(%e : tensor<13xf32>) -> tensor<13xf32>
  %r = linalg.reduce ins(%x : tensor<13x257xf32>) outs(%c : tensor<13xf32>) dimensions = [1]
    (%in: f32, %acc: f32) { %t = arith.addf %in, %acc : f32
                            linalg.yield %t : f32 }
  return %r : tensor<13xf32>
}

// -----

// Softmax's sum of exp(x - max[row]) over the last dim of 12x128x128: the
// row maximum is read once per row and broadcast; exp becomes upstream's
// vector polynomial (LLVM would call expf once per lane).
// TILE-LABEL: func.func @softmax_sum
// TILE: linalg.generic {{.*}}register = [1, 4, 128]>
// CHECK-LABEL: func.func @softmax_sum
// CHECK-COUNT-4: vector.broadcast {{.*}} : f32 to vector<8xf32>
// CHECK: scf.for {{.*}} iter_args
// CHECK:   vector.transfer_read {{.*}} : tensor<1x4x128xf32>, vector<8xf32>
// CHECK:   arith.subf {{.*}} : vector<8xf32>
// CHECK-NOT: math.exp
// CHECK:   math.fma {{.*}} : vector<8xf32>
// CHECK:   arith.addf {{.*}} : vector<8xf32>
// CHECK: vector.reduction <add>, {{.*}} fastmath<reassoc> : vector<8xf32> into f32
// CHECK-NOT: vector.transpose
// CHECK-NOT: vector.multi_reduction
func.func @softmax_sum(%x: tensor<12x128x128xf32>, %m: tensor<12x128xf32>) -> tensor<12x128xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x128xf32>
  %s0 = linalg.fill ins(%z : f32) outs(%e : tensor<12x128xf32>) -> tensor<12x128xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %m : tensor<12x128x128xf32>, tensor<12x128xf32>) outs(%s0 : tensor<12x128xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %d = arith.subf %a, %b : f32
    %v = math.exp %d : f32
    %t = arith.addf %v, %acc : f32
    linalg.yield %t : f32
  } -> tensor<12x128xf32>
  return %s : tensor<12x128xf32>
}

// -----

// A column sum (the reduced dimension is not contiguous) keeps the vectors
// along the output's columns.
// TILE-LABEL: func.func @col_sum
// TILE-NOT: register = [4, 256]
// CHECK-LABEL: func.func @col_sum
// CHECK: vector<{{.*}}16xf32>
func.func @col_sum(%x: tensor<257x64xf32>) -> tensor<64xf32> {
  %i = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64xf32>
  %c = linalg.fill ins(%i : f32) outs(%e : tensor<64xf32>) -> tensor<64xf32>
  %r = linalg.reduce ins(%x : tensor<257x64xf32>) outs(%c : tensor<64xf32>) dimensions = [0]
    (%in: f32, %acc: f32) { %t = arith.addf %in, %acc : f32
                            linalg.yield %t : f32 }
  return %r : tensor<64xf32>
}

// -----

// Layernorm's normalisation: rsqrt(var[row] + eps) is the same along the
// row, so it is computed on one lane per row (vector<Rx1>) and broadcast,
// not once per element of the register tile.
// CHECK-LABEL: func.func @normalize
// CHECK: math.rsqrt {{.*}} : vector<{{[0-9]+}}x1xf32>
// CHECK-NOT: math.rsqrt
func.func @normalize(%x: tensor<128x768xf32>, %v: tensor<128xf32>) -> tensor<128x768xf32> {
  %eps = arith.constant 1.0e-5 : f32
  %e = tensor.empty() : tensor<128x768xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %v : tensor<128x768xf32>, tensor<128xf32>) outs(%e : tensor<128x768xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %b, %eps : f32
    %r = math.rsqrt %s : f32
    %t = arith.mulf %a, %r : f32
    linalg.yield %t : f32
  } -> tensor<128x768xf32>
  return %y : tensor<128x768xf32>
}

// -----

// Global average pooling's sum over 7 x 7 (NCHW): the two reduced loops are
// one run of contiguous dimensions in every operand, so --roller-construct
// collapses them into one row of 49 and the row reduction above applies
// (48 in vectors, 1 as a remainder). Vectors across channels instead read
// lanes 49 floats apart.
// TILE-LABEL: func.func @global_sum
// TILE: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : tensor<1x37x7x7xf32> into tensor<1x37x49xf32>
// TILE: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}}register = [1, 4, 48]>
// CHECK-LABEL: func.func @global_sum
// CHECK: tensor.collapse_shape
// CHECK: scf.for {{.*}} iter_args
// CHECK:   vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<1x4x48xf32>, vector<8xf32>
// CHECK: vector.reduction <add>, {{.*}} : vector<8xf32> into f32
// CHECK-NOT: vector.transpose
func.func @global_sum(%x: tensor<1x37x7x7xf32>) -> tensor<1x37xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x37xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x37xf32>) -> tensor<1x37xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<1x37x7x7xf32>) outs(%c : tensor<1x37xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %a, %acc : f32
    linalg.yield %t : f32
  } -> tensor<1x37xf32>
  return %r : tensor<1x37xf32>
}

// -----

// The same sum over a slice that cuts the inner dimension (7 x 5 of 7 x 7):
// its rows are not contiguous once bufferized, so the loops stay apart.
// TILE-LABEL: func.func @partial_rows
// TILE-NOT: tensor.collapse_shape
// TILE: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction"]
func.func @partial_rows(%x: tensor<1x37x7x7xf32>) -> tensor<1x37xf32> {
  %z = arith.constant 0.0 : f32
  %s = tensor.extract_slice %x[0, 0, 0, 0] [1, 37, 7, 5] [1, 1, 1, 1] : tensor<1x37x7x7xf32> to tensor<1x37x7x5xf32>
  %e = tensor.empty() : tensor<1x37xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x37xf32>) -> tensor<1x37xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%s : tensor<1x37x7x5xf32>) outs(%c : tensor<1x37xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %a, %acc : f32
    linalg.yield %t : f32
  } -> tensor<1x37xf32>
  return %r : tensor<1x37xf32>
}
