// --roller-map-gpu: a block-level loop holding thread-level loops becomes
// one gpu.launch.
//
// RUN: fourfold-opt %s -split-input-file -verify-diagnostics --pass-pipeline="builtin.module(func.func(roller-map-gpu,canonicalize))" | FileCheck %s

// A fused group's tile: two thread loops (the producer writes a tile the
// consumer reads) and the tile buffer between them. One launch: 8 blocks of
// 32 threads (the widest thread loop), the tile in workgroup memory, a
// barrier between the loops and none at the end.
// CHECK-LABEL: func.func @group
// CHECK-NOT: memref.alloc()
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c8{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%[[NT:.*]] = %c32{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[WG:.*]] : memref<128xi8, #gpu.address_space<workgroup>>)
// CHECK: %[[TILE:.*]] = memref.view %[[WG]][%c0][] : memref<128xi8, #gpu.address_space<workgroup>> to memref<4x8xf32, #gpu.address_space<workgroup>>
// CHECK: %[[T:.*]] = memref.memory_space_cast %[[TILE]] : memref<4x8xf32, #gpu.address_space<workgroup>> to memref<4x8xf32>
// CHECK: scf.for %[[I:.*]] = %[[TX]] to %c32{{.*}} step %[[NT]]
// CHECK: memref.store {{.*}}, %[[T]]
// CHECK: gpu.barrier
// CHECK: scf.for %{{.*}} = %[[TX]] to %c16{{.*}} step %[[NT]]
// CHECK: memref.load %[[T]]
// CHECK-NOT: gpu.barrier
// CHECK-NOT: memref.dealloc
// CHECK: gpu.terminator
// CHECK-NOT: scf.forall
func.func @group(%x: memref<32x8xf32>, %y: memref<32x4xf32>) {
  scf.forall (%b) in (8) {
    %row = affine.apply affine_map<(d) -> (d * 4)>(%b)
    %tile = memref.alloc() : memref<4x8xf32>
    scf.forall (%i, %j) in (4, 8) {
      %r = arith.addi %row, %i : index
      %v = memref.load %x[%r, %j] : memref<32x8xf32>
      %e = math.exp %v : f32
      memref.store %e, %tile[%i, %j] : memref<4x8xf32>
    }
    scf.forall (%i, %j) in (4, 4) {
      %r = arith.addi %row, %i : index
      %j2 = affine.apply affine_map<(d) -> (d * 2)>(%j)
      %v = memref.load %tile[%i, %j2] : memref<4x8xf32>
      memref.store %v, %y[%r, %j] : memref<32x4xf32>
    }
    memref.dealloc %tile : memref<4x8xf32>
  }
  return
}

// -----

// A write left at block level is thread 0's, and the block waits for it.
// CHECK-LABEL: func.func @block_level_write
// CHECK: gpu.launch
// CHECK: %[[ZERO:.*]] = arith.cmpi eq, %{{.*}}, %c0
// CHECK: scf.if %[[ZERO]] {
// CHECK: memref.store %cst,
// CHECK: gpu.barrier
// CHECK: scf.for
func.func @block_level_write(%y: memref<4x16xf32>) {
  %z = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    %row = memref.subview %y[%b, 0] [1, 16] [1, 1] : memref<4x16xf32> to memref<1x16xf32, strided<[16, 1], offset: ?>>
    linalg.fill ins(%z : f32) outs(%row : memref<1x16xf32, strided<[16, 1], offset: ?>>)
    scf.forall (%j) in (16) {
      %c0 = arith.constant 0 : index
      %v = memref.load %row[%c0, %j] : memref<1x16xf32, strided<[16, 1], offset: ?>>
      %w = arith.addf %v, %one : f32
      memref.store %w, %row[%c0, %j] : memref<1x16xf32, strided<[16, 1], offset: ?>>
    }
  }
  return
}

// -----

// A partial tile: the thread loop runs to an affine.min. The block has as
// many threads as the largest tile needs (8), each loop stops at its own
// count.
// CHECK-LABEL: func.func @partial
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c3{{.*}}, {{.*}}) threads({{.*}}) in (%{{.*}} = %c8{{.*}}, {{.*}})
// CHECK: %[[N:.*]] = affine.min
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[N]] step
func.func @partial(%x: memref<21xf32>) {
  %one = arith.constant 1.0 : f32
  scf.forall (%b) = (0) to (21) step (8) {
    %n = affine.min affine_map<(d) -> (8, 21 - d)>(%b)
    scf.forall (%i) in (%n) {
      %k = arith.addi %b, %i : index
      %v = memref.load %x[%k] : memref<21xf32>
      %w = arith.addf %v, %one : f32
      memref.store %w, %x[%k] : memref<21xf32>
    }
  }
  return
}

// -----

// A loop without thread loops inside is left to the upstream mapping.
// CHECK-LABEL: func.func @one_level
// CHECK-NOT: gpu.launch
// CHECK: scf.forall
func.func @one_level(%x: memref<16xf32>) {
  %one = arith.constant 1.0 : f32
  scf.forall (%i) in (16) {
    memref.store %one, %x[%i] : memref<16xf32>
  }
  return
}

// -----

func.func @too_much_shared(%x: memref<4x16384xf32>) {
  // expected-error @+1 {{needs 65536 B of shared memory per block, more than 49152 B of static shared memory}}
  scf.forall (%b) in (4) {
    %tile = memref.alloc() : memref<16384xf32>
    scf.forall (%j) in (256) {
      %c0 = arith.constant 0 : index
      %v = memref.load %x[%b, %j] : memref<4x16384xf32>
      memref.store %v, %tile[%j] : memref<16384xf32>
    }
    memref.dealloc %tile : memref<16384xf32>
  }
  return
}

// -----

func.func @dynamic_blocks(%x: memref<?xf32>, %n: index) {
  %one = arith.constant 1.0 : f32
  // expected-error @+1 {{with dynamic trips cannot be mapped to blocks}}
  scf.forall (%b) in (%n) {
    scf.forall (%i) in (4) {
      memref.store %one, %x[%i] : memref<?xf32>
    }
  }
  return
}
