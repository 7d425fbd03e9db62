// The micro-performance model's number, worked out by hand from modelCPU
// and modelGPU (lib/Dialect/Roller/Transforms/Policy.cpp) for two small
// matmuls, and checked to the last digit printed.
//
// RUN: fourfold-opt %s -split-input-file --roller-construct="target=@%S/Inputs/cpu.target" | FileCheck %s --check-prefix=CPU
// RUN: fourfold-opt %s -split-input-file --roller-construct=target=sm_80 | FileCheck %s --check-prefix=SM80

//===----------------------------------------------------------------------===//
// CPU model: matmul 3x8x20 (M x N x K) on Inputs/cpu.target ("testcpu")
//===----------------------------------------------------------------------===//
//
// Target: 4 cores, 256-bit vectors, peak f32 256 GFLOP/s, DRAM 64 GB/s with
// 64 B lines, L1 512 GB/s (both for the whole chip).
// Loops (i, j, k) = (3, 8, 20), k reduces; A is (i, k), B is (k, j), C is
// (i, j); 2 flops per point (mulf + addf); f32, so 256 / 32 = 8 lanes.
// The construction picks L2 (cache) tile [1, 8, 24], register tile [1, 8, 8]
// (checked below); the model then gives:
//
//   outer tiles  = ceil(3/1) * ceil(8/8) = 3 (parallel loops only)
//   active cores = min(4, 3) = 3;  peak per core = 256e9 / 4 = 64e9 flop/s
//
//   compute: points in full register tiles = (3/1*1) * (8/8*8) * (20/8*8)
//            = 3 * 8 * 16 = 384; the rest, 3*8*20 - 384 = 96, is the peeled
//            scalar remainder (k = 16..19) at peak / 8 lanes.
//            The vector loop is j: 8 / 8 = 1 vector, efficiency 8/8 = 1;
//            registers = 8/8 * 1 accumulator + 1 operand vector + 1
//            broadcast = 3 <= 16.
//            t_compute = 384*2 / (64e9 * 1 * 3) + 96*2 / (8e9 * 3)
//                      = 4 ns + 8 ns = 12 ns
//   DRAM:    per cache tile [1, 8, 24] (one step over k: ceil(20/24) = 1),
//            each operand's footprint, rounded up to whole 64 B lines along
//            its contiguous dimension:
//              A: 1 x 24 = 24 elements, rows of 96 B -> 128 B lines:
//                 24 * 4 * 128/96 = 128 B
//              B: 24 x 8 = 192 elements, rows of 32 B -> 64 B:
//                 192 * 4 * 2     = 1536 B
//              C: 1 x 8 = 8 elements, rows of 32 B -> 64 B:
//                 8 * 4 * 2       = 64 B
//            3 tiles * 1728 B = 5184 B over the bandwidth of the 3 cores
//            that have tiles, 64e9 * 3/4 = 48e9 B/s:
//            t_dram = 5184 / 48e9 = 108 ns
//   L1:      register tiles = ceil(3/1) * ceil(8/8) * ceil(20/8) = 9, each
//            reading A 1x8 + B 8x8 + C 1x8 = 80 elements = 320 B:
//            t_l1 = 9 * 320 / (512e9 * 3/4) = 2880 / 384e9 = 7.5 ns
//
//   predicted = max(12, 108, 7.5) ns = 0.108 us
//
// (The code used to divide DRAM bytes by the whole chip's 64 GB/s however
// few cores had tiles, giving 81 ns, although the file's model, the host
// target's DRAM figure (per core x cores) and the GPU model (global bytes
// over the utilisation) all spread bandwidth over the busy units; fixed.)
//
// CPU-LABEL: func.func @cpu_3x8x20(
// CPU: linalg.matmul {roller.predicted_us = 1.080000e-01 : f64, roller.tile = #roller.rtile<L2 = [1, 8, 24], register = [1, 8, 8]>}
func.func @cpu_3x8x20(%a: tensor<3x20xf32>, %b: tensor<20x8xf32>, %c: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<3x20xf32>, tensor<20x8xf32>) outs(%c : tensor<3x8xf32>) -> tensor<3x8xf32>
  return %r : tensor<3x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// GPU model: matmul 8x20x8 (M x N x K) on sm_80 (A100)
//===----------------------------------------------------------------------===//
//
// Target: 108 SMs, at most 32 blocks / 2048 threads / 65536 registers per
// SM, warp 32; global 2039 GB/s with 32 B sectors, shared 19491.84 GB/s and
// 167936 B per SM; peak f32 19500 GFLOP/s.
// Loops (i, j, k) = (8, 20, 8). The construction picks the block tile
// [8, 16, 8] (k step 8) with thread tile [1, 1, 1] (checked below):
//
//   points  = 8 * roundUp(20, 16) * 8 = 8 * 32 * 8 = 2048 (padded blocks)
//   blocks  = ceil(8/8) * ceil(20/16) = 2;  threads = 8 * 16 = 128
//   steps   = ceil(8/8) = 1
//   global: per block A 8x8 = 64 el (rows of 32 B: whole sectors) = 256 B,
//           B 8x16 = 128 el (64 B rows) = 512 B, C 8x16 = 512 B once;
//           2 blocks * 1280 B = 2560 B;  t_global = 2560 / 2039e9 = 1.2555 ns
//   shared: each thread reads its A 1x8 and B 8x1 per step:
//           2 blocks * 128 threads * 1 step * 16 el * 4 B = 16384 B;
//           t_shared = 16384 / 19491.84e9 = 0.8406 ns
//   compute: t_compute = 2048 * 2 / 19500e9 = 0.2101 ns
//   resident blocks per SM = min(32 slots, 2048/128 = 16 by threads,
//           65536 / (128 * 27 regs) = 18 by registers (24 + 1 accumulator
//           + 1 A + 1 B), 167936 / 768 B = 218 by shared memory) = 16
//   utilisation = blocks / (SMs * ceil(2/108)) = 2/108, times
//           min(1, warps per SM / 8) = min(1, 1 * 4 / 8) = 1/2, times
//           whole warps 128/128 = 1:  2/108 * 1/2 = 1/108
//
//   predicted = max(0.2101, 1.2555, 0.8406) ns / (1/108)
//             = 2560 * 108 / 2039e9 s = 0.13559588... us
//
// SM80-LABEL: func.func @gpu_8x20x8(
// SM80: linalg.matmul {roller.predicted_us = 0.13559588033349682 : f64, roller.tile = #roller.rtile<shared = [8, 16, 8], register = [1, 1, 1]>}
func.func @gpu_8x20x8(%a: tensor<8x8xf32>, %b: tensor<8x20xf32>, %c: tensor<8x20xf32>) -> tensor<8x20xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x8xf32>, tensor<8x20xf32>) outs(%c : tensor<8x20xf32>) -> tensor<8x20xf32>
  return %r : tensor<8x20xf32>
}
