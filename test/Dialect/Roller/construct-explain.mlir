// explain=true: a remark per operator, saying what was chosen and why (the
// model's terms), or why nothing was.
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target explain=true" -verify-diagnostics
// The same operators on sm_80 (the GPU model's terms).
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=sm_80 explain=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=GPU

// GPU: remark: roller: #roller.rtile<shared = [16, 16, 8], register = [1, 1, 1]> on sm_80, predicted 0.363 us: 12 blocks x 256 threads, 8 resident per SM, 1 round(s), utilisation 0.11; compute 0.01 us, global 0.03 us (61440 B), shared 0.04 us, smem/block 1024 B, regs/thread ~27
func.func @matmul(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
  // By hand: 37 x 53 x 29 points, 2 flops each, over 4 cores: 536.5 flops
  // per column and core. Columns: 3 register tiles of 16 and a static
  // remainder of 5 (one 8-lane vector), 56 lane slots for 53 columns
  // (0.95). Rows: cache tiles of 10 leave a last one of 7, whose partial
  // register tile (2 rows of 37) runs scalar (8 GFLOP/s per core).
  // 536.5 x (35/37 x 56 / 64e9 + 2/37 x 53 / 8e9) = 0.44 + 0.19 = 0.64 us.
  // expected-remark @+1 {{roller: #roller.rtile<L2 = [10, 64, 32], register = [5, 16, 8]> on testcpu, predicted 0.752 us: 4 outer tiles on 4 of 4 cores; register tile uses 13 vector registers (8 lanes, efficiency 0.95); compute 0.64 us, DRAM 0.75 us (48128 B), L1 0.25 us}}
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

// -----

// Dynamic sizes: no trip counts to size tiles with.
// GPU: remark: roller: no rTile because loop 0 has no static trip count; the operator keeps the default lowering
func.func @dynamic(%a: tensor<?x29xf32>, %b: tensor<29x53xf32>, %c: tensor<?x53xf32>) -> tensor<?x53xf32> {
  // expected-remark @+1 {{roller: no rTile because loop 0 has no static trip count; the operator keeps the default lowering}}
  %r = linalg.matmul ins(%a, %b : tensor<?x29xf32>, tensor<29x53xf32>) outs(%c : tensor<?x53xf32>) -> tensor<?x53xf32>
  return %r : tensor<?x53xf32>
}

// -----

// tensor.pad can be tiled (TilingInterface) but is no linalg operator: the
// policy does not describe it (GPU). On a CPU it becomes a fill of the padded
// tensor and a copy into its interior, which get tiles (as a pad it was a
// copy into a strided view, moved element by element by the runtime).
// GPU: remark: roller: no policy for tensor.pad; it keeps the default lowering
func.func @pad(%x: tensor<5x7xf32>) -> tensor<7x9xf32> {
  %z = arith.constant 0.0 : f32
  // expected-remark @+2 {{roller: #roller.rtile<L2 = [1, 16], register = [1, 16]> on testcpu}}
  // expected-remark @+1 {{roller: #roller.rtile<L2 = [1, 7], register = [1, 7]> on testcpu}}
  %p = tensor.pad %x low[1, 1] high[1, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %z : f32
  } : tensor<5x7xf32> to tensor<7x9xf32>
  return %p : tensor<7x9xf32>
}

// -----

// An empty tensor: its loop is static but has no iterations.
// GPU: remark: roller: no rTile because loop 0 has no iterations; the operator keeps the default lowering
func.func @empty(%a: tensor<0x5xf32>, %c: tensor<0x5xf32>) -> tensor<0x5xf32> {
  // expected-remark @+1 {{roller: no rTile because loop 0 has no iterations; the operator keeps the default lowering}}
  %r = linalg.copy ins(%a : tensor<0x5xf32>) outs(%c : tensor<0x5xf32>) -> tensor<0x5xf32>
  return %r : tensor<0x5xf32>
}

// -----

// No loops at all (a 0-d generic).
// GPU: remark: roller: no rTile because it has no loops; the operator keeps the default lowering
func.func @scalar(%a: tensor<f32>, %c: tensor<f32>) -> tensor<f32> {
  // expected-remark @+1 {{roller: no rTile because it has no loops; the operator keeps the default lowering}}
  %r = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []}
      ins(%a : tensor<f32>) outs(%c : tensor<f32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// An index the policy cannot size a window from (mod).
// GPU: remark: roller: no rTile because an operand is indexed by a non-linear expression; the operator keeps the default lowering
func.func @non_linear(%a: tensor<16xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-remark @+1 {{roller: no rTile because an operand is indexed by a non-linear expression; the operator keeps the default lowering}}
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0 * 4 + d1 mod 4)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<16xf32>) outs(%c : tensor<4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}

// -----

// A tile written by hand is kept, without a remark.
// GPU-NOT: remark: roller: #roller.rtile<L1 = [4, 8, 2]
func.func @hand_written(%a: tensor<8x4xf32>, %b: tensor<4x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %r = linalg.matmul {roller.tile = #roller.rtile<L1 = [4, 8, 2], register = [2, 8, 1]>} ins(%a, %b : tensor<8x4xf32>, tensor<4x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// -----

// Booleans: vectors of i1 are bit-packed, memrefs of i1 hold bytes; a vectorised tile read and
// wrote attention masks wrongly, so a boolean operator keeps the default lowering.
// GPU: remark: roller: no rTile because it reads or writes booleans (i1), which do not vectorise bytewise; the operator keeps the default lowering
func.func @mask(%x: tensor<4x32x32xf32>, %m: tensor<4x32x32xi1>) -> tensor<4x32x32xi1> {
  %ninf = arith.constant 0xFF800000 : f32
  // expected-remark @+1 {{roller: no rTile because it reads or writes booleans (i1), which do not vectorise bytewise; the operator keeps the default lowering}}
  %0 = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, j, k)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
       ins(%x : tensor<4x32x32xf32>) outs(%m : tensor<4x32x32xi1>) {
  ^bb0(%a: f32, %o: i1):
    %c = arith.cmpf oeq, %a, %ninf : f32
    linalg.yield %c : i1
  } -> tensor<4x32x32xi1>
  return %0 : tensor<4x32x32xi1>
}
