// Packing (CPU): roller-construct marks a matmul's B (operand 1, [k, n] with
// n the output's contiguous loop) `roller.pack` when enough register tiles
// reuse each panel; roller-lower copies the cache tile's B into contiguous
// panels as wide as the register tile ([n / nr, k, nr]) before the register
// tiling, whole register tiles read their panel, partial ones (k or n
// remainders) read B in place.
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=@%S/Inputs/cpu.target | FileCheck %s --check-prefix=CONSTRUCT
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=@%S/Inputs/cpu.target --roller-lower=parallel=false 2>/dev/null | FileCheck %s
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=@%S/Inputs/cpu.target --roller-lower 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK

// 64 x 150 x 204 on the 4-core test CPU: 32 x 80 x 104 cache tiles of 4 x 16
// x 8 register tiles (8 row tiles share each panel). A cache tile's 80 or 70
// columns are 5 or 4 whole panels of 16 (6 columns left in the second);
// its 104 or 100 rows of k are 13 or 12 steps of 8 (4 left in the second).
// The panels ([5, 104, 16], static) are filled for the rows and whole
// panels the cache tile has.
// The tile and the packing are written by hand here (roller-construct keeps
// them), so that the lowering is checked on this tile whatever the policy
// picks; @matmul_policy below is the policy's own choice for the shape.
// CONSTRUCT-LABEL: func.func @matmul(
// CONSTRUCT: linalg.matmul {roller.pack = array<i64: 1>, roller.tile = #roller.rtile<L2 = [32, 80, 104], register = [4, 16, 8]>}
// CHECK-LABEL: func.func @matmul(
// CHECK:         %[[EMPTY:.*]] = tensor.empty() : tensor<5x104x16xf32>
// CHECK:         scf.for %{{.*}} = %c0 to %c150 step %c80
// CHECK:           scf.for %{{.*}} = %c0 to %c204 step %c104
// CHECK:             %[[K:.*]] = affine.min
// CHECK:             %[[BTILE:.*]] = tensor.extract_slice %arg1[%{{.*}}, %{{.*}}] [%[[K]], %{{.*}}] [1, 1] : tensor<204x150xf32> to tensor<?x?xf32>
// CHECK:             %[[PANELS:.*]] = scf.for %[[P:.*]] = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %[[EMPTY]])
// CHECK:               scf.for %[[ROW:.*]] = %c0 to %[[K]] step %c1
// CHECK:                 %[[V:.*]] = vector.transfer_read %[[BTILE]][%[[ROW]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<?x?xf32>, vector<16xf32>
// CHECK:                 vector.transfer_write %[[V]], %{{.*}}[%[[P]], %[[ROW]], %c0] {in_bounds = [true]} : vector<16xf32>, tensor<5x104x16xf32>
// Whole register tiles: their panel, a contiguous 8 x 16 block.
// CHECK:             %[[PANEL:.*]] = arith.divui %{{.*}}, %c16 : index
// CHECK:             tensor.extract_slice %[[PANELS]][%[[PANEL]], %{{.*}}, 0] [1, 8, 16] [1, 1, 1] : tensor<5x104x16xf32> to tensor<8x16xf32>
// CHECK:             vector.contract {{.*}} : vector<4x8xf32>, vector<8x16xf32> into vector<4x16xf32>
// The k remainder and the columns past the whole panels read B in place.
// CHECK:             tensor.extract_slice %[[BTILE]][%{{.*}}, %{{.*}}] [%{{.*}}, 16] [1, 1] : tensor<?x?xf32> to tensor<?x16xf32>
// CHECK:             linalg.matmul
// CHECK:             tensor.extract_slice %[[BTILE]][%{{.*}}, %{{.*}}] [%{{.*}}, %{{.*}}] [1, 1] : tensor<?x?xf32> to tensor<?x?xf32>
// CHECK:             linalg.matmul
// CHECK-NOT:     roller.
func.func @matmul(%a: tensor<64x204xf32>, %b: tensor<204x150xf32>, %c: tensor<64x150xf32>) -> tensor<64x150xf32> {
  %r = linalg.matmul {roller.pack = array<i64: 1>, roller.tile = #roller.rtile<L2 = [32, 80, 104], register = [4, 16, 8]>}
       ins(%a, %b : tensor<64x204xf32>, tensor<204x150xf32>) outs(%c : tensor<64x150xf32>) -> tensor<64x150xf32>
  return %r : tensor<64x150xf32>
}

// -----

// The policy on the same shape: 16 x 160 x 208 cache tiles of 2 x 16 x 8
// (every column panel and reduction step of B in one cache tile, reused
// by 8 row tiles): B packed.
// CONSTRUCT-LABEL: func.func @matmul_policy(
// CONSTRUCT: linalg.matmul {roller.pack = array<i64: 1>, roller.predicted_us = {{.*}}, roller.tile = #roller.rtile<L2 = [16, 160, 208], register = [2, 16, 8]>}
func.func @matmul_policy(%a: tensor<64x204xf32>, %b: tensor<204x150xf32>, %c: tensor<64x150xf32>) -> tensor<64x150xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x204xf32>, tensor<204x150xf32>) outs(%c : tensor<64x150xf32>) -> tensor<64x150xf32>
  return %r : tensor<64x150xf32>
}

// -----

// One row: nothing reuses a panel, B is streamed in place.
// CONSTRUCT-LABEL: func.func @one_row(
// CONSTRUCT-NOT: roller.pack
// CONSTRUCT: roller.tile
// CHECK-LABEL: func.func @one_row(
// CHECK-NOT:     arith.divui
// CHECK:         return
func.func @one_row(%a: tensor<1x512xf32>, %b: tensor<512x256xf32>, %c: tensor<1x256xf32>) -> tensor<1x256xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<1x512xf32>, tensor<512x256xf32>) outs(%c : tensor<1x256xf32>) -> tensor<1x256xf32>
  return %r : tensor<1x256xf32>
}

// -----

// Hand-written: a batch matmul's B ([1, k, n] per cache tile) packed as
// [n / 16, 1, k, 16] per batch, cache tile and reduction step (24 of 40,
// then 16: the panels keep the static 24 rows), edge tiles included.
// CHECK-LABEL: func.func @bmm(
// CHECK:         %[[EMPTY:.*]] = tensor.empty() : tensor<2x1x24x16xf32>
// CHECK:         scf.for %{{.*}} = %c0 to %c40 step %c24
// CHECK:           %[[K:.*]] = affine.min
// CHECK:           %[[BSLICE:.*]] = tensor.extract_slice %arg1[%{{.*}}, %{{.*}}, %{{.*}}] [1, %[[K]], %{{.*}}] [1, 1, 1] : tensor<3x40x50xf32> to tensor<1x?x?xf32>
// CHECK:           %[[PANELS:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %[[EMPTY]])
// CHECK:             scf.for %{{.*}} = %c0 to %[[K]] step %c1
// CHECK:               vector.transfer_read %[[BSLICE]]
// CHECK:               vector.transfer_write {{.*}} : vector<16xf32>, tensor<2x1x24x16xf32>
// CHECK:           tensor.extract_slice %[[PANELS]][%{{.*}}, 0, %{{.*}}, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<2x1x24x16xf32> to tensor<1x8x16xf32>
// CHECK:           vector.contract {{.*}} : vector<1x4x8xf32>, vector<1x8x16xf32> into vector<1x4x16xf32>
func.func @bmm(%a: tensor<3x33x40xf32>, %b: tensor<3x40x50xf32>, %c: tensor<3x33x50xf32>) -> tensor<3x33x50xf32> {
  %r = linalg.batch_matmul {roller.pack = array<i64: 1>, roller.tile = #roller.rtile<L2 = [1, 16, 32, 24], register = [1, 4, 16, 8]>}
       ins(%a, %b : tensor<3x33x40xf32>, tensor<3x40x50xf32>) outs(%c : tensor<3x33x50xf32>) -> tensor<3x33x50xf32>
  return %r : tensor<3x33x50xf32>
}

// -----

// Hand-written on A ([m, k]: its rows do not run along the output's
// columns): a remark, and the operator is lowered unpacked.
// REMARK: remark: roller-lower: input 0 is not packed: not a [1..., k, n] operand with whole panels of the register tile's width
// CHECK-LABEL: func.func @not_packed(
// CHECK-NOT:     arith.divui
// CHECK:         vector.contract
func.func @not_packed(%a: tensor<16x32xf32>, %b: tensor<32x32xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %r = linalg.matmul {roller.pack = array<i64: 0>, roller.tile = #roller.rtile<L2 = [16, 32, 32], register = [4, 16, 8]>}
       ins(%a, %b : tensor<16x32xf32>, tensor<32x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %r : tensor<16x32xf32>
}

// -----

// Many row tiles, but B (29 x 53, rows 212 bytes apart) stays in L1 as it
// is: nothing to gain from copying it.
// CONSTRUCT-LABEL: func.func @small_b(
// CONSTRUCT-NOT: roller.pack
// CONSTRUCT: roller.tile
func.func @small_b(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

// -----

// The same small B, but as a 64-column slice of a 1024-column matrix (a
// welder group's tile): its rows are 4 KiB apart, in one L1 set each.
// CONSTRUCT-LABEL: func.func @aliasing_slice(
// CONSTRUCT: linalg.matmul {roller.pack = array<i64: 1>
func.func @aliasing_slice(%a: tensor<37x29xf32>, %b: tensor<29x1024xf32>, %c: tensor<37x64xf32>) -> tensor<37x64xf32> {
  %s = tensor.extract_slice %b[0, 64] [29, 64] [1, 1] : tensor<29x1024xf32> to tensor<29x64xf32>
  %r = linalg.matmul ins(%a, %s : tensor<37x29xf32>, tensor<29x64xf32>) outs(%c : tensor<37x64xf32>) -> tensor<37x64xf32>
  return %r : tensor<37x64xf32>
}
