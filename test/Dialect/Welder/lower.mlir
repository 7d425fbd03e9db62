// --welder-lower: one loop nest per group. Groups are written by hand here
// (the tile and every edge's level are the interface).
//
// RUN: fourfold-opt %s -split-input-file --welder-lower --canonicalize | FileCheck %s
// RUN: fourfold-opt %s -split-input-file --welder-lower=parallel=false --canonicalize | FileCheck %s --check-prefix=SEQ

// A shared edge (matmul -> epilogue): the matmul is computed tile by tile
// inside the epilogue's loop over 32x64 tiles; a register edge (bias add ->
// activation): one generic holding both bodies. Nothing of welder remains.
// CHECK-LABEL: func.func @fused
// CHECK-NOT: welder.
// CHECK: scf.forall ({{.*}}) = (0, 0) to (64, 256) step (32, 64)
// CHECK: linalg.fill {{.*}} -> tensor<32x64xf32>
// CHECK: linalg.matmul {{.*}} -> tensor<32x64xf32>
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: math.tanh
// CHECK: arith.mulf
// CHECK: } -> tensor<32x64xf32>
// CHECK-NOT: linalg.generic
// CHECK: scf.forall.in_parallel
// CHECK-NOT: welder.
// SEQ-LABEL: func.func @fused
// SEQ-NOT: scf.forall
// SEQ: scf.for
// SEQ: scf.for
// SEQ: linalg.matmul {{.*}} -> tensor<32x64xf32>
func.func @fused(%a: tensor<64x128xf32>, %b: tensor<128x256xf32>, %bias: tensor<256xf32>) -> tensor<64x256xf32> {
  %r = welder.group "g" tile [32, 64] (%a, %b, %bias) : (tensor<64x128xf32>, tensor<128x256xf32>, tensor<256xf32>) -> tensor<64x256xf32> {
  ^bb0(%x: tensor<64x128xf32>, %y: tensor<128x256xf32>, %v: tensor<256xf32>):
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<64x256xf32>
    %c = linalg.fill {welder.levels = [#welder.level<shared>]} ins(%z : f32) outs(%e : tensor<64x256xf32>) -> tensor<64x256xf32>
    %m = linalg.matmul {welder.levels = [#welder.level<shared>]} ins(%x, %y : tensor<64x128xf32>, tensor<128x256xf32>) outs(%c : tensor<64x256xf32>) -> tensor<64x256xf32>
    %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%m, %v : tensor<64x256xf32>, tensor<256xf32>) outs(%e : tensor<64x256xf32>) attrs = {welder.levels = [#welder.level<register>]} {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %t = arith.addf %p, %q : f32
      linalg.yield %t : f32
    } -> tensor<64x256xf32>
    %g = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%s : tensor<64x256xf32>) outs(%e : tensor<64x256xf32>) attrs = {welder.levels = [#welder.level<global>]} {
    ^bb0(%p: f32, %o: f32):
      %t = math.tanh %p : f32
      %u = arith.mulf %p, %t : f32
      linalg.yield %u : f32
    } -> tensor<64x256xf32>
    welder.yield %g : tensor<64x256xf32>
  }
  return %r : tensor<64x256xf32>
}

// -----

// A global edge inside a group (edited by hand) is not fused: the producer
// runs whole before the loop.
// CHECK-LABEL: func.func @global_edge
// CHECK: %[[N:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<64x32xf32>)
// CHECK: scf.forall
// CHECK: tensor.extract_slice %[[N]]
func.func @global_edge(%x: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %r = welder.group "g" tile [16, 32] (%x) : (tensor<64x32xf32>) -> tensor<64x32xf32> {
  ^bb0(%a: tensor<64x32xf32>):
    %e = tensor.empty() : tensor<64x32xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%a : tensor<64x32xf32>) outs(%e : tensor<64x32xf32>) attrs = {welder.levels = [#welder.level<global>]} {
    ^bb0(%v: f32, %o: f32):
      %y = arith.negf %v : f32
      linalg.yield %y : f32
    } -> tensor<64x32xf32>
    %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%n : tensor<64x32xf32>) outs(%e : tensor<64x32xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = math.exp %v : f32
      linalg.yield %y : f32
    } -> tensor<64x32xf32>
    welder.yield %t : tensor<64x32xf32>
  }
  return %r : tensor<64x32xf32>
}

// -----

// One tile covers the whole output: no loop, the operators stay as they are
// (roller tiles each), the group is inlined.
// CHECK-LABEL: func.func @one_tile
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
// CHECK: return
func.func @one_tile(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %r = welder.group "g" tile [8, 8] (%x) : (tensor<8x8xf32>) -> tensor<8x8xf32> {
  ^bb0(%a: tensor<8x8xf32>):
    %e = tensor.empty() : tensor<8x8xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%a : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) attrs = {welder.levels = [#welder.level<shared>]} {
    ^bb0(%v: f32, %o: f32):
      %y = arith.negf %v : f32
      linalg.yield %y : f32
    } -> tensor<8x8xf32>
    %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%n : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
    ^bb0(%v: f32, %o: f32):
      linalg.yield %v : f32
    } -> tensor<8x8xf32>
    welder.yield %t : tensor<8x8xf32>
  }
  return %r : tensor<8x8xf32>
}

// -----

// Softmax: exp(x - max) is read by the row sum and by the divide through
// register edges. Its body is expensive (exp), so it is not recomputed in
// each consumer: it runs once per tile, writing into the tile of the
// group's output, which the divide then updates in place.
// CHECK-LABEL: func.func @softmax_exp_once
// CHECK: scf.forall (%[[I:.*]]) = (0) to (8) step (2) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK: %[[X:.*]] = tensor.extract_slice %arg0[%[[I]], 0] [2, 64]
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<2x64xf32>)
// CHECK: arith.maximumf
// CHECK: %[[DEST:.*]] = tensor.extract_slice %[[OUT]][%[[I]], 0] [2, 64]
// CHECK: %[[EXP:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MAX]] : {{.*}}) outs(%[[DEST]] : tensor<2x64xf32>)
// CHECK: math.exp
// CHECK-NOT: math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[EXP]] : tensor<2x64xf32>)
// CHECK: arith.addf
// CHECK: %[[DIV:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<2xf32>) outs(%[[EXP]] : tensor<2x64xf32>)
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %[[E:.*]]: f32):
// CHECK-NEXT: arith.divf %[[E]], %[[S]]
// CHECK: tensor.parallel_insert_slice %[[DIV]] into %[[OUT]]
// CHECK-NOT: math.exp
func.func @softmax_exp_once(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %r = welder.group "g" tile [2, 64] (%x) : (tensor<8x64xf32>) -> tensor<8x64xf32> {
  ^bb0(%a: tensor<8x64xf32>):
    %ninf = arith.constant 0xFF800000 : f32
    %zero = arith.constant 0.0 : f32
    %er = tensor.empty() : tensor<8xf32>
    %e = tensor.empty() : tensor<8x64xf32>
    %mi = linalg.fill {welder.levels = [#welder.level<shared>]} ins(%ninf : f32) outs(%er : tensor<8xf32>) -> tensor<8xf32>
    %m = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
        ins(%a : tensor<8x64xf32>) outs(%mi : tensor<8xf32>) attrs = {welder.levels = [#welder.level<shared>]} {
    ^bb0(%v: f32, %o: f32):
      %y = arith.maximumf %v, %o : f32
      linalg.yield %y : f32
    } -> tensor<8xf32>
    %p = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%a, %m : tensor<8x64xf32>, tensor<8xf32>) outs(%e : tensor<8x64xf32>) attrs = {welder.levels = [#welder.level<register>]} {
    ^bb0(%v: f32, %w: f32, %o: f32):
      %d = arith.subf %v, %w : f32
      %y = math.exp %d : f32
      linalg.yield %y : f32
    } -> tensor<8x64xf32>
    %si = linalg.fill {welder.levels = [#welder.level<shared>]} ins(%zero : f32) outs(%er : tensor<8xf32>) -> tensor<8xf32>
    %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
        ins(%p : tensor<8x64xf32>) outs(%si : tensor<8xf32>) attrs = {welder.levels = [#welder.level<shared>]} {
    ^bb0(%v: f32, %o: f32):
      %y = arith.addf %v, %o : f32
      linalg.yield %y : f32
    } -> tensor<8xf32>
    %q = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%p, %s : tensor<8x64xf32>, tensor<8xf32>) outs(%e : tensor<8x64xf32>) attrs = {welder.levels = [#welder.level<global>]} {
    ^bb0(%v: f32, %w: f32, %o: f32):
      %y = arith.divf %v, %w : f32
      linalg.yield %y : f32
    } -> tensor<8x64xf32>
    welder.yield %q : tensor<8x64xf32>
  }
  return %r : tensor<8x64xf32>
}

// -----

// A cheap producer read by two consumers (layernorm's x - mean, squared for
// the variance and normalised) is still recomputed in each: a subtraction
// costs less than storing and reloading its tile.
// CHECK-LABEL: func.func @cheap_producer_recomputed
// CHECK: scf.forall
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
// CHECK-NEXT: arith.mulf
// CHECK-NOT: linalg.generic
// CHECK: scf.forall.in_parallel
func.func @cheap_producer_recomputed(%x: tensor<8x64xf32>, %mean: tensor<8xf32>) -> tensor<8x64xf32> {
  %r = welder.group "g" tile [2, 64] (%x, %mean) : (tensor<8x64xf32>, tensor<8xf32>) -> tensor<8x64xf32> {
  ^bb0(%a: tensor<8x64xf32>, %b: tensor<8xf32>):
    %zero = arith.constant 0.0 : f32
    %er = tensor.empty() : tensor<8xf32>
    %e = tensor.empty() : tensor<8x64xf32>
    %c = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%a, %b : tensor<8x64xf32>, tensor<8xf32>) outs(%e : tensor<8x64xf32>) attrs = {welder.levels = [#welder.level<register>]} {
    ^bb0(%v: f32, %w: f32, %o: f32):
      %d = arith.subf %v, %w : f32
      linalg.yield %d : f32
    } -> tensor<8x64xf32>
    %si = linalg.fill {welder.levels = [#welder.level<shared>]} ins(%zero : f32) outs(%er : tensor<8xf32>) -> tensor<8xf32>
    %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
        ins(%c : tensor<8x64xf32>) outs(%si : tensor<8xf32>) attrs = {welder.levels = [#welder.level<shared>]} {
    ^bb0(%v: f32, %o: f32):
      %sq = arith.mulf %v, %v : f32
      %y = arith.addf %sq, %o : f32
      linalg.yield %y : f32
    } -> tensor<8xf32>
    %q = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
        ins(%c, %s : tensor<8x64xf32>, tensor<8xf32>) outs(%e : tensor<8x64xf32>) attrs = {welder.levels = [#welder.level<global>]} {
    ^bb0(%v: f32, %w: f32, %o: f32):
      %y = arith.mulf %v, %w : f32
      linalg.yield %y : f32
    } -> tensor<8x64xf32>
    welder.yield %q : tensor<8x64xf32>
  }
  return %r : tensor<8x64xf32>
}
