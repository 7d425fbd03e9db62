// RUN: not fourfold-opt %s --grinder-schedule="place=warp" 2>&1 | FileCheck %s --check-prefix=PLACE
// RUN: not fourfold-opt %s --grinder-schedule="trips=0" 2>&1 | FileCheck %s --check-prefix=TRIPS
// RUN: not fourfold-opt %s --grinder-schedule="target=sm_12" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: fourfold-opt %s --grinder-schedule="place=device" 2>&1 | FileCheck %s --check-prefix=FORCED
// RUN: fourfold-opt %s --grinder-schedule="target=sm_90 explain=true" 2>&1 | FileCheck %s --check-prefix=GPU

// PLACE: error: grinder-schedule: unknown placement 'warp' (known: auto, host, device, block)
// TRIPS: error: grinder-schedule: trips must be > 0, got 0
// TARGET: error: grinder-schedule: unknown target 'sm_12'

// Asked for the device where the loop allocates a buffer per iteration:
// it stays on the host, with the reason.
// FORCED: warning: grinder-schedule: cannot place on the device: it allocates memory inside the construct
// FORCED: note: this op
// FORCED: grinder.place = #grinder.place<host>

// On the GPU a loop that cannot be one kernel stays on the host (one block
// would be the same kernel).
// GPU: remark: grinder: scf.for on the host: {{.*}}; not on the device: it frees memory inside the construct (device code cannot)
func.func @alloc_inside(%a: memref<4x8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.for %t = %c0 to %n step %c1 {
    %tmp = memref.alloc() : memref<4x8xf32>
    scf.forall (%i) = (0) to (4) step (1) {
      %s = memref.subview %tmp[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<1x8xf32, strided<[8, 1], offset: ?>>
      linalg.fill ins(%zero : f32) outs(%s : memref<1x8xf32, strided<[8, 1], offset: ?>>)
    }
    memref.copy %tmp, %a : memref<4x8xf32> to memref<4x8xf32>
    memref.dealloc %tmp : memref<4x8xf32>
  }
  return
}
