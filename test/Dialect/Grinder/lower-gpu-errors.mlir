// RUN: fourfold-opt %s --grinder-lower="gpu=true" --split-input-file -verify-diagnostics

func.func @result_used(%a: memref<4xf32>, %n: index) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.for' op cannot run as one GPU kernel: its results are used after it (a persistent kernel returns nothing)}}
  %r = scf.for %t = %c0 to %n step %c1 iter_args(%k = %c0) -> index {
    scf.forall (%i) in (4) {
      memref.store %zero, %a[%i] : memref<4xf32>
    }
    %k2 = arith.addi %k, %c1 : index
    scf.yield %k2 : index
  } {grinder.place = #grinder.place<device>}
  return %r : index
}

// -----

func.func @frees(%a: memref<4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %tmp = memref.alloc() : memref<4xf32>
  // expected-error @+1 {{'scf.for' op cannot run as one GPU kernel: it frees memory inside the construct (device code cannot)}}
  scf.for %t = %c0 to %n step %c1 {
    scf.forall (%i) in (4) {
      memref.store %zero, %a[%i] : memref<4xf32>
    }
    // expected-note @+1 {{this op}}
    memref.dealloc %tmp : memref<4xf32>
  } {grinder.place = #grinder.place<device>}
  return
}
