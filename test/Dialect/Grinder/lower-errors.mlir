// RUN: fourfold-opt %s --grinder-lower --split-input-file -verify-diagnostics

func.func @alloc_inside(%a: memref<4x8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.for' op cannot run on the device: it allocates memory inside the construct (a buffer every thread must share); only static allocations at the top level can move out}}
  scf.for %t = %c0 to %n step %c1 {
    // expected-note @+1 {{this op}}
    %tmp = memref.alloc() : memref<4x8xf32>
    scf.forall (%i) = (0) to (4) step (1) {
      %s = memref.subview %tmp[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<1x8xf32, strided<[8, 1], offset: ?>>
      linalg.fill ins(%zero : f32) outs(%s : memref<1x8xf32, strided<[8, 1], offset: ?>>)
    }
    memref.copy %tmp, %a : memref<4x8xf32> to memref<4x8xf32>
    memref.dealloc %tmp : memref<4x8xf32>
  } {grinder.place = #grinder.place<device>}
  return
}

// -----

func.func @write_with_result(%a: memref<4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.for' op cannot run on the device: it writes memory and produces values used after it (one thread would write, every thread needs the values)}}
  scf.for %t = %c0 to %n step %c1 {
    scf.forall (%i) = (0) to (4) step (1) {
      memref.store %zero, %a[%i] : memref<4xf32>
    }
    // expected-note @+1 {{this op}}
    %old = memref.atomic_rmw addf %zero, %a[%c0] : (f32, memref<4xf32>) -> f32
    memref.store %old, %a[%c1] : memref<4xf32>
  } {grinder.place = #grinder.place<device>}
  return
}
