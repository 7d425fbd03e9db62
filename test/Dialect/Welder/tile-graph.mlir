// --welder-tile-graph's grouping decisions on the fixed test CPU
// (../Roller/Inputs/cpu.target: 4 cores, 512 KiB L2 per core, of which half
// holds a group tile). The output is parsed and verified again.
//
// RUN: fourfold-opt %s -split-input-file --welder-tile-graph="target=@%S/../Roller/Inputs/cpu.target" | fourfold-opt -split-input-file | FileCheck %s
// RUN: fourfold-opt %s -split-input-file --welder-tile-graph="target=@%S/../Roller/Inputs/cpu.target fuse=false" | FileCheck %s --check-prefix=NOFUSE
// RUN: fourfold-opt %s -split-input-file --welder-tile-graph="target=@%S/../Roller/Inputs/cpu.target max-nodes=2" | FileCheck %s --check-prefix=MAX2
// RUN: fourfold-opt %s -split-input-file --welder-tile-graph="target=@%S/../Roller/Inputs/cpu.target explain=true" -verify-diagnostics -o /dev/null

// matmul + bias + GELU-like epilogue: one kernel. The fill and the matmul
// hand their tiles on in cache (shared), the bias add is fused into the
// epilogue's body (register), the epilogue's result leaves (global).
// CHECK-LABEL: func.func @matmul_bias_act
// CHECK: welder.group "matmul_bias_act_g0" tile [{{[0-9]+}}, {{[0-9]+}}]
// CHECK: linalg.fill {welder.levels = [#welder.level<shared>]
// CHECK: linalg.matmul {welder.levels = [#welder.level<shared>]
// CHECK: welder.levels = [#welder.level<register>]
// CHECK: welder.levels = [#welder.level<global>]
// CHECK: welder.yield
// CHECK-NOT: welder.group
// NOFUSE-LABEL: func.func @matmul_bias_act
// NOFUSE-COUNT-4: welder.group
// MAX2-LABEL: func.func @matmul_bias_act
// MAX2-COUNT-2: welder.group
// expected-remark @below {{welder: 4 operators -> 1 kernels}}
func.func @matmul_bias_act(%a: tensor<64x128xf32>, %b: tensor<128x256xf32>, %bias: tensor<256xf32>) -> tensor<64x256xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x256xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<64x256xf32>) -> tensor<64x256xf32>
  %m = linalg.matmul ins(%a, %b : tensor<64x128xf32>, tensor<128x256xf32>) outs(%c : tensor<64x256xf32>) -> tensor<64x256xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%m, %bias : tensor<64x256xf32>, tensor<256xf32>) outs(%e : tensor<64x256xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %r = arith.addf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<64x256xf32>
  // expected-remark @below {{welder: 4 operator(s) in one kernel}}
  %g = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<64x256xf32>) outs(%e : tensor<64x256xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    %r = arith.mulf %x, %t : f32
    linalg.yield %r : f32
  } -> tensor<64x256xf32>
  return %g : tensor<64x256xf32>
}

// -----

// A value also returned must reach global memory: its producer is not fused
// into the consumer's group. Named elementwise ops (linalg.exp) become
// generics first.
// CHECK-LABEL: func.func @escaping
// CHECK: welder.group "escaping_g0"
// CHECK: welder.group "escaping_g1"
// expected-remark @below {{welder: 2 operators -> 2 kernels}}
func.func @escaping(%x: tensor<32x32xf32>) -> (tensor<32x32xf32>, tensor<32x32xf32>) {
  %e = tensor.empty() : tensor<32x32xf32>
  // expected-remark @below {{welder: not fused: a result is also used outside the group}}
  // expected-remark @below {{welder: 1 operator(s) in one kernel}}
  %a = linalg.exp ins(%x : tensor<32x32xf32>) outs(%e : tensor<32x32xf32>) -> tensor<32x32xf32>
  // expected-remark @below {{welder: 1 operator(s) in one kernel}}
  %b = linalg.negf ins(%a : tensor<32x32xf32>) outs(%e : tensor<32x32xf32>) -> tensor<32x32xf32>
  return %a, %b : tensor<32x32xf32>, tensor<32x32xf32>
}

// -----

// Rows of a million floats: exp(x) feeds a row-wise sum, which needs the
// whole row of exp(x) per tile (4 MiB), more than the 256 KiB a tile may
// use: no fusion across that edge, and the remark says why. (The sum's own
// input streams through one reduction step at a time, so the fill joins
// it; the divide, which needs whole row sums, stays apart by the model.)
// CHECK-LABEL: func.func @too_wide
// CHECK-COUNT-3: welder.group
// expected-remark @below {{welder: 4 operators -> 3 kernels}}
func.func @too_wide(%x: tensor<4x1048576xf32>) -> tensor<4x1048576xf32> {
  %z = arith.constant 0.0 : f32
  %ex = tensor.empty() : tensor<4x1048576xf32>
  // expected-remark @below {{welder: 1 operator(s) in one kernel}}
  // expected-remark @below {{welder: not fused: the smallest group tile needs}}
  %p = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x1048576xf32>) outs(%ex : tensor<4x1048576xf32>) {
  ^bb0(%v: f32, %o: f32):
    %y = math.exp %v : f32
    linalg.yield %y : f32
  } -> tensor<4x1048576xf32>
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  // expected-remark @below {{welder: 2 operator(s) in one kernel}}
  // expected-remark @below {{welder: not fused: modelled}}
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%p : tensor<4x1048576xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %y = arith.addf %v, %acc : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x1048576xf32>
  // expected-remark @below {{welder: 1 operator(s) in one kernel}}
  %d = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<4x1048576xf32>, tensor<4xf32>) outs(%e2 : tensor<4x1048576xf32>) {
  ^bb0(%v: f32, %m: f32, %o: f32):
    %y = arith.divf %v, %m : f32
    linalg.yield %y : f32
  } -> tensor<4x1048576xf32>
  return %d : tensor<4x1048576xf32>
}

// -----

// An operator the model cannot describe (dynamic shape) stays outside the
// tile-graph, as a kernel of its own; the rest is grouped around it.
// CHECK-LABEL: func.func @dynamic
// CHECK: linalg.generic
// CHECK-NOT: welder
// CHECK: return
func.func @dynamic(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  // expected-remark @below {{welder: not in the tile-graph because loop 0 has no static trip count}}
  %a = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %y = arith.negf %v : f32
    linalg.yield %y : f32
  } -> tensor<?x8xf32>
  return %a : tensor<?x8xf32>
}

// -----

// 197 rows (prime) of a 768-wide input: no group tile holds all rows in the
// fast memory, so a fused fill + matmul + bias could only run a row at a
// time, every row tile reading the whole weight again. A lone operator is
// priced as roller runs it (its own cache tiles), so the model sees that
// and keeps three kernels (ViT's MLP ran 2x slower fused).
// CHECK-LABEL: func.func @prime_rows
// CHECK-COUNT-3: welder.group
// CHECK-NOT: welder.group
// expected-remark @below {{welder: 3 operators -> 3 kernels}}
func.func @prime_rows(%a: tensor<197x768xf32>, %b: tensor<768x192xf32>, %bias: tensor<192xf32>) -> tensor<197x192xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<197x192xf32>
  // expected-remark @below {{welder: 1 operator(s) in one kernel}}
  // expected-remark @below {{welder: not fused: modelled}}
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<197x192xf32>) -> tensor<197x192xf32>
  // expected-remark @below {{welder: 1 operator(s) in one kernel}}
  // expected-remark @below {{welder: not fused: modelled}}
  %m = linalg.matmul ins(%a, %b : tensor<197x768xf32>, tensor<768x192xf32>) outs(%c : tensor<197x192xf32>) -> tensor<197x192xf32>
  // expected-remark @below {{welder: 1 operator(s) in one kernel}}
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%m, %bias : tensor<197x192xf32>, tensor<192xf32>) outs(%e : tensor<197x192xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %r = arith.addf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<197x192xf32>
  return %s : tensor<197x192xf32>
}

// -----

// A batched matmul with 197 rows (roller keeps one row per register tile)
// and 16 columns (two 8-lane vectors): a group tile holding a contraction
// never cuts the columns below 4 vectors (or all of them), so that roller's
// register tile keeps its accumulators; the batch feeds the cores.
// CHECK-LABEL: func.func @narrow_columns
// CHECK: welder.group "narrow_columns_g0" tile [1, 197, 16, 197]
// CHECK-NOT: welder.group
// expected-remark @below {{welder: 2 operators -> 1 kernels}}
func.func @narrow_columns(%a: tensor<4x197x197xf32>, %b: tensor<4x197x16xf32>) -> tensor<4x197x16xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x197x16xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<4x197x16xf32>) -> tensor<4x197x16xf32>
  // expected-remark @below {{welder: 2 operator(s) in one kernel, tile [1, 197, 16, 197] x 4 tiles}}
  %m = linalg.batch_matmul ins(%a, %b : tensor<4x197x197xf32>, tensor<4x197x16xf32>) outs(%c : tensor<4x197x16xf32>) -> tensor<4x197x16xf32>
  return %m : tensor<4x197x16xf32>
}

// -----

// Softmax over rows: exp(x - max) feeds both the row sum and the divide. Its
// body is expensive (a transcendental), so the group computes its tile once
// and keeps it (`shared`) instead of recomputing it in each consumer.
// CHECK-LABEL: func.func @softmax_rows
// CHECK: welder.group "softmax_rows_g0"
// CHECK: linalg.generic {{.*}} ins(%arg1, %{{.*}} : tensor<64x128xf32>, tensor<64xf32>) {{.*}} attrs =  {welder.levels = [#welder.level<shared>]
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
// CHECK-NEXT: math.exp
// CHECK-NOT: welder.group
#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
// expected-remark @below {{welder: 6 operators -> 1 kernels}}
func.func @softmax_rows(%x: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<64xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<64xf32>) -> tensor<64xf32>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<64x128xf32>) outs(%m0 : tensor<64xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maxnumf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<64xf32>
  %e2 = tensor.empty() : tensor<64x128xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %m : tensor<64x128xf32>, tensor<64xf32>) outs(%e2 : tensor<64x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<64x128xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<64xf32>) -> tensor<64xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%p : tensor<64x128xf32>) outs(%s0 : tensor<64xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<64xf32>
  // expected-remark @below {{welder: 6 operator(s) in one kernel}}
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%p, %s : tensor<64x128xf32>, tensor<64xf32>) outs(%e2 : tensor<64x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<64x128xf32>
  return %y : tensor<64x128xf32>
}
