// RUN: fourfold-opt %s --grinder-lower="gpu=true target=sm_90" --split-input-file | FileCheck %s
// RUN: fourfold-opt %s --grinder-lower="gpu=true grid=4 threads=64" --split-input-file | FileCheck %s --check-prefix=SIZES

// device: the loop runs inside one launch of one block per SM (132 on
// sm_90) with as many threads as the widest thread-level tile loop (16).
// The block-level tile loop strides over the blocks, the thread-level one
// over the threads; a grid barrier (block barrier, leaders add their
// arrival to a module-global counter and spin until its top bit flips,
// GPU-scope fences; nothing to allocate or reset per launch) separates
// kernels; the branch predicate is read by every thread on the device; the
// copy runs in block 0's thread 0.
// CHECK:       memref.global "private" @__fourfold_grid_barrier : memref<1xi32> = dense<0>
// CHECK-LABEL: func.func @device
// CHECK-NOT:   memref.alloc
// CHECK:       gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%[[GX:.*]] = %c132{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%[[TXN:.*]] = %c16{{.*}},
// CHECK:         %[[CTR:.*]] = memref.get_global @__fourfold_grid_barrier
// CHECK:         scf.for
// CHECK:           gpu.barrier
// CHECK:           scf.if
// CHECK:             nvvm.memory.barrier <gpu>
// CHECK:             %[[OLD:.*]] = memref.atomic_rmw addi %{{.*}}, %[[CTR]]
// CHECK:             scf.while
// CHECK:               %[[SEEN:.*]] = memref.atomic_rmw addi %{{.*}}, %[[CTR]]
// CHECK:               arith.xori %[[SEEN]], %[[OLD]]
// CHECK:             nvvm.memory.barrier <gpu>
// CHECK:           gpu.barrier
// CHECK:           scf.for %{{.*}} = %[[BX]] to %{{.*}} step %[[GX]]
// CHECK:             scf.for %{{.*}} = %[[TX]] to %{{.*}} step %[[TXN]]
// CHECK:               memref.store
// CHECK:           memref.load %arg3[]
// CHECK:           scf.if
// CHECK:             scf.for
// CHECK:               memref.load
// CHECK:               memref.store
// CHECK:         gpu.terminator
// CHECK-NOT:   memref.dealloc
// CHECK-NOT:   scf.forall
// CHECK-NOT:   grinder.place
// SIZES-LABEL: func.func @device
// SIZES:       gpu.launch blocks({{.*}}) in (%{{.*}} = %c4{{.*}}, {{.*}}) threads({{.*}}) in (%{{.*}} = %c64
func.func @device(%a: memref<128x64xf32>, %b: memref<64x64xf32>, %c: memref<128x64xf32>, %flag: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %zero = arith.constant 0.0 : f32
  scf.for %t = %c0 to %c10 step %c1 {
    scf.forall (%i) = (0) to (128) step (16) {
      %sa = memref.subview %a[%i, 0] [16, 64] [1, 1] : memref<128x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
      %sc = memref.subview %c[%i, 0] [16, 64] [1, 1] : memref<128x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
      scf.forall (%j) in (16) {
        %ra = memref.subview %sa[%j, 0] [1, 64] [1, 1] : memref<16x64xf32, strided<[64, 1], offset: ?>> to memref<1x64xf32, strided<[64, 1], offset: ?>>
        %rc = memref.subview %sc[%j, 0] [1, 64] [1, 1] : memref<16x64xf32, strided<[64, 1], offset: ?>> to memref<1x64xf32, strided<[64, 1], offset: ?>>
        linalg.matmul ins(%ra, %b : memref<1x64xf32, strided<[64, 1], offset: ?>>, memref<64x64xf32>) outs(%rc : memref<1x64xf32, strided<[64, 1], offset: ?>>)
      }
    }
    %v = memref.load %flag[] : memref<f32>
    %p = arith.cmpf ogt, %v, %zero : f32
    scf.if %p {
      memref.copy %c, %a : memref<128x64xf32> to memref<128x64xf32>
    }
  } {grinder.place = #grinder.place<device>}
  return
}

// -----

// block: the same launch with one block; its barriers are block barriers
// (no counter traffic).
// CHECK-LABEL: func.func @block
// CHECK:       gpu.launch blocks({{.*}}) in (%{{.*}} = %c1{{.*}}, {{.*}}) threads({{.*}}) in (%{{.*}} = %c256
// CHECK-NOT:   memref.atomic_rmw
// CHECK:       gpu.barrier
// CHECK-NOT:   memref.atomic_rmw
// CHECK:       gpu.terminator
func.func @block(%a: memref<1024xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.for %t = %c0 to %n step %c1 {
    scf.forall (%i) in (1024) {
      %v = memref.load %a[%i] : memref<1024xf32>
      %w = arith.addf %v, %one : f32
      memref.store %w, %a[%i] : memref<1024xf32>
    }
  } {grinder.place = #grinder.place<block>}
  return
}

// -----

// A block tile staged in shared memory (roller's staging, a welder group's
// intermediate): the block-level buffer is carved from the kernel's
// workgroup memory, each thread-level loop strides over the threads and
// ends with a block barrier, and the last one stays (the block's next
// iteration reuses the buffer). Nothing is allocated or freed on the device.
// CHECK-LABEL: func.func @staged
// CHECK:       gpu.launch blocks({{.*}}) threads({{.*}}) in (%{{.*}} = %c256{{.*}}, {{.*}}) workgroup(%[[SH:.*]] : memref<1024xi8, #gpu.address_space<workgroup>>)
// CHECK-NOT:     memref.alloc
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[VIEW:.*]] = memref.view %[[SH]][%{{.*}}][] : memref<1024xi8, #gpu.address_space<workgroup>> to memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[TILE:.*]] = memref.memory_space_cast %[[VIEW]] : memref<16x16xf32, #gpu.address_space<workgroup>> to memref<16x16xf32>
// CHECK:           scf.for
// CHECK:             memref.store %{{.*}}, %[[TILE]]
// CHECK:           gpu.barrier
// CHECK:           scf.for
// CHECK:             memref.load %[[TILE]]
// CHECK:           gpu.barrier
// CHECK-NOT:     memref.dealloc
// CHECK:         gpu.terminator
func.func @staged(%a: memref<64x16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.for %t = %c0 to %n step %c1 {
    scf.forall (%i) = (0) to (64) step (16) {
      %tile = memref.alloc() : memref<16x16xf32>
      scf.forall (%r, %c) in (16, 16) {
        %row = arith.addi %i, %r : index
        %v = memref.load %a[%row, %c] : memref<64x16xf32>
        memref.store %v, %tile[%r, %c] : memref<16x16xf32>
      }
      scf.forall (%r, %c) in (16, 16) {
        %row = arith.addi %i, %r : index
        %v = memref.load %tile[%c, %r] : memref<16x16xf32>
        %w = arith.mulf %v, %two : f32
        memref.store %w, %a[%row, %c] : memref<64x16xf32>
      }
      memref.dealloc %tile : memref<16x16xf32>
    }
  } {grinder.place = #grinder.place<device>}
  return
}
