// --welder-tile-graph models the cores the code will run on: OpenMP's
// threads where fewer than the target's units (here the 4-core test CPU of
// ../Roller/Inputs/cpu.target run on 1 or 4 threads). One group tile makes
// no loop (welder-lower), so a group whose operators hand tiles on in cache
// is priced as those operators apart: at 1 thread its tiles still split
// the output rather than take it whole.
//
// RUN: env OMP_NUM_THREADS=1 fourfold-opt %s -split-input-file --welder-tile-graph="target=@%S/../Roller/Inputs/cpu.target explain=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ONE
// RUN: env OMP_NUM_THREADS=4 fourfold-opt %s -split-input-file --welder-tile-graph="target=@%S/../Roller/Inputs/cpu.target explain=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FOUR
// RUN: fourfold-opt %s -split-input-file --welder-tile-graph="target=@%S/../Roller/Inputs/cpu.target explain=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FOUR
// The groups round-trip, welder.kernels included:
// RUN: env OMP_NUM_THREADS=1 fourfold-opt %s -split-input-file --welder-tile-graph="target=@%S/../Roller/Inputs/cpu.target" | fourfold-opt -split-input-file | FileCheck %s --check-prefix=GROUP

// An LSTM step's gate pre-activations: matmul (kept in cache) + bias + the
// input's projection. 4 threads: one tile per core. 1 thread: two tiles,
// not one (which would run the fill, the matmul and the epilogue as three
// kernels).
// ONE: remark: welder: 4 operator(s) in one kernel, tile [1, 64] x 2 tiles
// FOUR: remark: welder: 4 operator(s) in one kernel, tile [1, 32] x 4 tiles
func.func @step(%h: tensor<1x32xf32>, %w: tensor<32x128xf32>, %bias: tensor<128xf32>, %x: tensor<1x128xf32>) -> tensor<1x128xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x128xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x128xf32>) -> tensor<1x128xf32>
  %m = linalg.matmul ins(%h, %w : tensor<1x32xf32>, tensor<32x128xf32>) outs(%c : tensor<1x128xf32>) -> tensor<1x128xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%bias, %m : tensor<128xf32>, tensor<1x128xf32>) outs(%e : tensor<1x128xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<1x128xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%b, %x : tensor<1x128xf32>, tensor<1x128xf32>) outs(%e : tensor<1x128xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<1x128xf32>
  return %r : tensor<1x128xf32>
}

// -----

// Elementwise only: every edge is in registers, so one tile is one fused
// loop and at 1 thread the whole output is the tile.
// ONE: remark: welder: 2 operator(s) in one kernel, tile [1, 4096] x 1 tiles
// FOUR: remark: welder: 2 operator(s) in one kernel, tile [1, 1024] x 4 tiles
func.func @chain(%x: tensor<1x4096xf32>) -> tensor<1x4096xf32> {
  %e = tensor.empty() : tensor<1x4096xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<1x4096xf32>) outs(%e : tensor<1x4096xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.mulf %p, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x4096xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<1x4096xf32>) outs(%e : tensor<1x4096xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.addf %p, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x4096xf32>
  return %r : tensor<1x4096xf32>
}

// -----

// 37 (prime) rows and 131 (prime) columns leave group tiles of 1 or 37
// rows, whole rows; B (512 KiB) does not stay in the core's cache beside a
// tile, so row tiles would read it 37 times. At 1 thread the model takes
// one tile, which runs the fill and the matmul as two kernels, and says so
// (welder.kernels, counted in the summary).
// ONE: remark: welder: 2 operator(s) in 2 kernels (one tile: no loop), tile [37, 131, 1024] x 1 tiles
// ONE: remark: welder: 2 operators -> 2 kernels
// GROUP: welder.group "mm_g0" tile [37, 131, 1024]{{.*}}welder.kernels = 2 : i64
func.func @mm(%a: tensor<37x1024xf32>, %b: tensor<1024x131xf32>) -> tensor<37x131xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x131xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<37x131xf32>) -> tensor<37x131xf32>
  %m = linalg.matmul ins(%a, %b : tensor<37x1024xf32>, tensor<1024x131xf32>) outs(%c : tensor<37x131xf32>) -> tensor<37x131xf32>
  return %m : tensor<37x131xf32>
}

// -----

// Two layers' weights every row tile reads whole stay in the core's cache
// from one tile to the next: counted once per core, not once per tile (a
// lone contraction is left to roller's cache tiles).
// (1 core: B and D once, 29896 B in all; 4 cores: four times, 80216 B.)
// ONE: remark: welder: 4 operator(s) in one kernel, tile [1, 37, 37] x 37 tiles, {{[0-9]+}} B of fast memory per tile; modelled global traffic 29896 B
// FOUR: remark: welder: 3 operator(s) in one kernel, tile [1, 37, 37] x 37 tiles, {{[0-9]+}} B of fast memory per tile; modelled global traffic 80216 B
func.func @weights(%a: tensor<37x64xf32>, %b: tensor<64x37xf32>, %d: tensor<37x37xf32>) -> tensor<37x37xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x37xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<37x37xf32>) -> tensor<37x37xf32>
  %m = linalg.matmul ins(%a, %b : tensor<37x64xf32>, tensor<64x37xf32>) outs(%c : tensor<37x37xf32>) -> tensor<37x37xf32>
  %c2 = linalg.fill ins(%z : f32) outs(%e : tensor<37x37xf32>) -> tensor<37x37xf32>
  %m2 = linalg.matmul ins(%m, %d : tensor<37x37xf32>, tensor<37x37xf32>) outs(%c2 : tensor<37x37xf32>) -> tensor<37x37xf32>
  return %m2 : tensor<37x37xf32>
}
