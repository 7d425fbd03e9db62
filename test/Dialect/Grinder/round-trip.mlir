// RUN: fourfold-opt %s | fourfold-opt | FileCheck %s
// RUN: fourfold-opt %s --mlir-print-op-generic | fourfold-opt | FileCheck %s

// An LSTM-like uProgram: a host loop over sequences, inside it a
// device-placed loop over time steps (one persistent kernel with grid
// barriers between its uTasks), inside that a block-placed loop.
// CHECK-LABEL: func.func @lstm
// CHECK: %[[U:.*]] = grinder.uprogram "lstm"(%{{.*}}, %{{.*}}) : (tensor<4x1x64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32> {
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<4x1x64xf32>, %[[INIT:.*]]: tensor<1x64xf32>):
// CHECK: scf.for
// CHECK: scf.for
// CHECK: grinder.utask "cell" units 4(%{{.*}}) : (tensor<1x64xf32>) -> tensor<1x64xf32> {
// CHECK: grinder.yield %{{.*}} : tensor<1x64xf32>
// CHECK: grinder.grid_barrier{{$}}
// CHECK: scf.for
// CHECK: grinder.utask "inner" units 1(%{{.*}}) : (tensor<1x64xf32>) -> tensor<1x64xf32> {
// CHECK: } {grinder.place = #grinder.place<block>}
// CHECK: grinder.grid_barrier{{$}}
// CHECK: } {grinder.place = #grinder.place<device>}
// CHECK: } {grinder.place = #grinder.place<host>}
// CHECK: grinder.yield %{{.*}} : tensor<1x64xf32>
// CHECK: return %[[U]]
func.func @lstm(%xs: tensor<4x1x64xf32>, %h0: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %u = grinder.uprogram "lstm" (%xs, %h0) : (tensor<4x1x64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32> {
  ^bb0(%x: tensor<4x1x64xf32>, %init: tensor<1x64xf32>):
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c100 = arith.constant 100 : index
    %r = scf.for %s = %c0 to %c2 step %c1 iter_args(%hs = %init) -> tensor<1x64xf32> {
      %t = scf.for %i = %c0 to %c100 step %c1 iter_args(%h = %hs) -> tensor<1x64xf32> {
        %n = grinder.utask "cell" units 4 (%h) : (tensor<1x64xf32>) -> tensor<1x64xf32> {
        ^bb0(%y: tensor<1x64xf32>):
          %e = linalg.exp ins(%y : tensor<1x64xf32>) outs(%y : tensor<1x64xf32>) -> tensor<1x64xf32>
          grinder.yield %e : tensor<1x64xf32>
        }
        grinder.grid_barrier
        %b = scf.for %j = %c0 to %c2 step %c1 iter_args(%v = %n) -> tensor<1x64xf32> {
          %w = grinder.utask "inner" units 1 (%v) : (tensor<1x64xf32>) -> tensor<1x64xf32> {
          ^bb0(%y: tensor<1x64xf32>):
            grinder.yield %y : tensor<1x64xf32>
          }
          scf.yield %w : tensor<1x64xf32>
        } {grinder.place = #grinder.place<block>}
        grinder.grid_barrier
        scf.yield %b : tensor<1x64xf32>
      } {grinder.place = #grinder.place<device>}
      scf.yield %t : tensor<1x64xf32>
    } {grinder.place = #grinder.place<host>}
    grinder.yield %r : tensor<1x64xf32>
  }
  return %u : tensor<1x64xf32>
}

// A data-dependent loop (scf.while) on the device, with a branch (scf.if)
// and a switch (scf.index_switch) inside it placed on the device as well,
// and a grid barrier inside the branch.
// CHECK-LABEL: func.func @while_if
// CHECK: grinder.uprogram "converge"(%{{.*}}) : (f32) -> f32 {
// CHECK: scf.while
// CHECK: scf.condition
// CHECK: } do {
// CHECK: scf.if %{{.*}} -> (f32) {
// CHECK: } else {
// CHECK: grinder.utask "step" units 8(%{{.*}}) : (f32) -> f32 {
// CHECK: grinder.grid_barrier
// CHECK: } {grinder.place = #grinder.place<device>}
// CHECK: scf.index_switch %{{.*}} {grinder.place = #grinder.place<block>} -> f32
// CHECK: } attributes {grinder.place = #grinder.place<device>}
func.func @while_if(%x0: f32, %k: index) -> f32 {
  %u = grinder.uprogram "converge" (%x0) : (f32) -> f32 {
  ^bb0(%init: f32):
    %eps = arith.constant 1.0e-3 : f32
    %r = scf.while (%x = %init) : (f32) -> f32 {
      %go = arith.cmpf ogt, %x, %eps : f32
      scf.condition(%go) %x : f32
    } do {
    ^bb0(%x: f32):
      %small = arith.cmpf olt, %x, %eps : f32
      %y = scf.if %small -> f32 {
        scf.yield %x : f32
      } else {
        %s = grinder.utask "step" units 8 (%x) : (f32) -> f32 {
        ^bb0(%v: f32):
          %h = arith.mulf %v, %v : f32
          grinder.yield %h : f32
        }
        grinder.grid_barrier
        scf.yield %s : f32
      } {grinder.place = #grinder.place<device>}
      %c0 = arith.constant 0 : index
      %z = scf.index_switch %c0 {grinder.place = #grinder.place<block>} -> f32
      case 1 {
        scf.yield %y : f32
      }
      default {
        scf.yield %y : f32
      }
      scf.yield %z : f32
    } attributes {grinder.place = #grinder.place<device>}
    grinder.yield %r : f32
  }
  return %u : f32
}

// Placement does not need a uProgram around it; a uTask may have no inputs
// and no results; a uProgram may be empty.
// CHECK-LABEL: func.func @bare
// CHECK: scf.for
// CHECK: grinder.utask "side" units 1() : () -> () {
// CHECK-NEXT: grinder.yield{{$}}
// CHECK: } {grinder.place = #grinder.place<host>}
// CHECK: grinder.uprogram "empty"() : () -> () {
// CHECK-NEXT: grinder.yield{{$}}
func.func @bare(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    grinder.utask "side" units 1 () : () -> () {
      grinder.yield
    }
  } {grinder.place = #grinder.place<host>}
  grinder.uprogram "empty" () : () -> () {
    grinder.yield
  }
  return
}
