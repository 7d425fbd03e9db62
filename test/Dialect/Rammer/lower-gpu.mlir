// RUN: fourfold-opt %s --split-input-file --rammer-lower="gpu=true target=@%S/Inputs/gpu.target" --canonicalize | FileCheck %s

// A scheduled program becomes ONE kernel, outlined into a gpu.module of its
// own: a grid of one block per vEU (4 here: the test GPU holds 8 blocks of
// 256 threads at once), as many threads as the widest thread-level tile
// loop (16 x 16), launch bounds for the residency (nvvm.minctasm: blocks
// per compute unit the grid needs). The tables (per segment and vEU, a
// range of (operator, rTask) entries) go with the kernel; the host keeps a
// single launch.
// CHECK-LABEL: func.func @cell
// CHECK-NOT:     rammer.
// CHECK-NOT:     memref.global
// CHECK:         gpu.launch_func @cell_rammer::@cell_rammer blocks in (%c4{{.*}}, %c1{{.*}}, %c1{{.*}}) threads in (%c256{{.*}}, %c1{{.*}}, %c1{{.*}}) args(%arg0 : memref<64x16xf32>, %arg1 : memref<64x16xf32>, %arg2 : memref<64x16xf32>, %arg3 : memref<64x16xf32>)
// CHECK-NEXT:    return
// CHECK:       gpu.module @cell_rammer {
// CHECK:         gpu.func @cell_rammer({{.*}}) kernel attributes {known_block_size = array<i32: 256, 1, 1>, known_grid_size = array<i32: 4, 1, 1>, nvvm.minctasm = 2 : i32}
// CHECK-DAG:       %[[BX:.*]] = gpu.block_id x
// CHECK-DAG:       %[[TX:.*]] = gpu.thread_id x
// CHECK-DAG:       %[[NT:.*]] = gpu.block_dim x
// CHECK-DAG:       %[[CTR:.*]] = memref.get_global @__fourfold_grid_barrier
// CHECK-DAG:       %[[OFF:.*]] = memref.get_global @__rammer_cell_offsets
// CHECK-DAG:       %[[OPS:.*]] = memref.get_global @__rammer_cell_operators
// CHECK-DAG:       %[[TASKS:.*]] = memref.get_global @__rammer_cell_tasks
// Segment 0: block b runs vEU b's entries [offsets[b], offsets[b + 1]).
// CHECK:           memref.load %[[OFF]][%[[BX]]]
// CHECK:           scf.for %[[K:.*]] =
// CHECK:             %[[OP:.*]] = memref.load %[[OPS]][%[[K]]]
// CHECK:             %[[OPI:.*]] = arith.index_cast %[[OP]]
// CHECK:             %[[T:.*]] = memref.load %[[TASKS]][%[[K]]]
// CHECK:             %[[TI:.*]] = arith.index_cast %[[T]]
// CHECK:             scf.index_switch %[[OPI]]
// "double": an rTask is one block tile (rows 16 t ...), straight-line; its
// thread-level loop strides over the block's threads; no barrier after it
// (nothing of the block's is reused).
// CHECK:             case 0 {
// CHECK-NEXT:          %[[ROW:.*]] = arith.muli %[[TI]], %c16
// CHECK-NEXT:          scf.for %[[IT:.*]] = %[[TX]] to %c256 step %[[NT]] {
// CHECK:                 arith.mulf
// CHECK:               }
// CHECK-NEXT:          scf.yield
// CHECK:             case 1 {
// CHECK:                 arith.negf
// A segment's switch has cases only for its own operators.
// CHECK-NOT:         case 2
// CHECK:             default {
// One grid barrier between the dependent segments ("add" reads what
// "double" and "neg" wrote): block barrier, thread 0 adds its arrival to the
// counter and spins until the top bit flips, block barrier.
// CHECK:           gpu.barrier
// CHECK-NEXT:      scf.if
// CHECK-NEXT:        nvvm.memory.barrier <gpu>
// CHECK:             %[[OLD:.*]] = memref.atomic_rmw addi %{{.*}}, %[[CTR]]
// CHECK:             scf.while
// CHECK:               %[[SEEN:.*]] = memref.atomic_rmw addi %{{.*}}, %[[CTR]]
// CHECK:               arith.xori %[[SEEN]], %[[OLD]]
// CHECK:             nvvm.memory.barrier <gpu>
// CHECK:           gpu.barrier
// Segment 1 reads the entries of vEU b after the 4 of segment 0.
// CHECK:           %[[SLOT:.*]] = arith.addi %[[BX]], %c4
// CHECK:           memref.load %[[OFF]][%[[SLOT]]]
// CHECK:             scf.index_switch
// CHECK-NOT:         case 0
// "add": an rTask of two block tiles runs them one after the other.
// CHECK:             case 2 {
// CHECK-NEXT:          %[[LO:.*]] = arith.muli %{{.*}}, %c2
// CHECK-NEXT:          %[[HI0:.*]] = arith.addi %[[LO]], %c2
// CHECK-NEXT:          %[[HI:.*]] = arith.minsi %[[HI0]], %c4
// CHECK-NEXT:          scf.for %{{.*}} = %[[LO]] to %[[HI]] step %c1 {
// CHECK:                 scf.for %{{.*}} = %[[TX]] to %c256 step %[[NT]] {
// CHECK:                   arith.addf
// CHECK-NOT:       memref.atomic_rmw
// CHECK:           gpu.return
// CHECK-DAG:     memref.global "private" @__fourfold_grid_barrier : memref<1xi32> = dense<0>
// CHECK-DAG:     memref.global "private" constant @__rammer_cell_offsets : memref<9xi32> = dense<[0, 2, 4, 6, 8, 9, 10, 10, 10]>
// CHECK-DAG:     memref.global "private" constant @__rammer_cell_operators : memref<10xi32> = dense<[0, 1, 0, 1, 0, 1, 0, 1, 2, 2]>
// CHECK-DAG:     memref.global "private" constant @__rammer_cell_tasks : memref<10xi32> = dense<[0, 0, 1, 1, 2, 2, 3, 3, 0, 1]>
func.func @cell(%x: memref<64x16xf32>, %a: memref<64x16xf32>, %b: memref<64x16xf32>, %c: memref<64x16xf32>) {
  rammer.program "cell" vdevice <veus = 4> (%x, %a, %b, %c) : (memref<64x16xf32>, memref<64x16xf32>, memref<64x16xf32>, memref<64x16xf32>) -> () {
  ^bb0(%xx: memref<64x16xf32>, %aa: memref<64x16xf32>, %bb: memref<64x16xf32>, %cc: memref<64x16xf32>):
    rammer.operator "double" tasks 4 (%xx, %aa) : (memref<64x16xf32>, memref<64x16xf32>) -> () {
    ^bb0(%in: memref<64x16xf32>, %out: memref<64x16xf32>):
      %two = arith.constant 2.0 : f32
      scf.forall (%i) = (0) to (64) step (16) {
        scf.forall (%r, %k) in (16, 16) {
          %row = arith.addi %i, %r : index
          %v = memref.load %in[%row, %k] : memref<64x16xf32>
          %w = arith.mulf %v, %two : f32
          memref.store %w, %out[%row, %k] : memref<64x16xf32>
        }
      }
      rammer.yield
    }
    rammer.operator "neg" tasks 4 (%xx, %bb) : (memref<64x16xf32>, memref<64x16xf32>) -> () {
    ^bb0(%in: memref<64x16xf32>, %out: memref<64x16xf32>):
      scf.forall (%i) = (0) to (64) step (16) {
        scf.forall (%r, %k) in (16, 16) {
          %row = arith.addi %i, %r : index
          %v = memref.load %in[%row, %k] : memref<64x16xf32>
          %w = arith.negf %v : f32
          memref.store %w, %out[%row, %k] : memref<64x16xf32>
        }
      }
      rammer.yield
    }
    rammer.operator "add" tasks 2 (%aa, %bb, %cc) : (memref<64x16xf32>, memref<64x16xf32>, memref<64x16xf32>) -> () {
    ^bb0(%p: memref<64x16xf32>, %q: memref<64x16xf32>, %out: memref<64x16xf32>):
      scf.forall (%i) = (0) to (64) step (16) {
        scf.forall (%r, %k) in (16, 16) {
          %row = arith.addi %i, %r : index
          %v = memref.load %p[%row, %k] : memref<64x16xf32>
          %u = memref.load %q[%row, %k] : memref<64x16xf32>
          %w = arith.addf %v, %u : f32
          memref.store %w, %out[%row, %k] : memref<64x16xf32>
        }
      }
      rammer.yield
    }
    rammer.schedule {
      rammer.task "double"[0] on 0 at 0
      rammer.task "double"[1] on 1 at 0
      rammer.task "double"[2] on 2 at 0
      rammer.task "double"[3] on 3 at 0
      rammer.task "neg"[0] on 0 at 1
      rammer.task "neg"[1] on 1 at 1
      rammer.task "neg"[2] on 2 at 1
      rammer.task "neg"[3] on 3 at 1
      rammer.barrier at 2
      rammer.task "add"[0] on 0 at 2
      rammer.task "add"[1] on 1 at 2
    }
    rammer.yield
  }
  return
}

// -----

// One segment: no grid barrier at all (and no counter). A block tile staged
// in a block-level buffer gets it from the kernel's workgroup memory, its
// thread-level loops end with block barriers (the last one too: the block's
// next rTask reuses the buffer); a tile loop without a thread level spreads
// the rTask's iterations over the threads, each thread's buffer private.
// CHECK-LABEL: func.func @independent
// CHECK:         gpu.launch_func @ind_rammer::@ind_rammer blocks in (%c2{{.*}}, %c1{{.*}}, %c1{{.*}}) threads in (%c256
// CHECK:       gpu.module @ind_rammer {
// CHECK:         gpu.func @ind_rammer({{.*}}) workgroup(%[[SH:.*]] : memref<1024xi8, #gpu.address_space<workgroup>>) kernel
// CHECK-NOT:       __fourfold_grid_barrier
// CHECK-NOT:       memref.alloc()
// CHECK:           scf.index_switch
// CHECK:           case 0 {
// CHECK:             %[[VIEW:.*]] = memref.view %[[SH]][%c0][] : memref<1024xi8, #gpu.address_space<workgroup>> to memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK:             %[[TILE:.*]] = memref.memory_space_cast %[[VIEW]]
// CHECK:             scf.for
// CHECK:               memref.store %{{.*}}, %[[TILE]]
// CHECK:             gpu.barrier
// CHECK:             scf.for
// CHECK:               memref.load %[[TILE]]
// CHECK:             gpu.barrier
// CHECK-NEXT:        scf.yield
// CHECK:           case 1 {
// CHECK:             %[[FIRST:.*]] = arith.addi %{{.*}}, %{{.*}}thread_id
// CHECK:             scf.for %{{.*}} = %[[FIRST]] to %{{.*}} step %{{.*}}block_dim
// CHECK-NEXT:          memref.alloca() : memref<16xf32>
// CHECK-NOT:       memref.dealloc
// CHECK-NOT:       memref.atomic_rmw
// CHECK:           gpu.return
func.func @independent(%x: memref<64x16xf32>, %a: memref<64x16xf32>, %b: memref<64x16xf32>) {
  rammer.program "ind" vdevice <veus = 2> (%x, %a, %b) : (memref<64x16xf32>, memref<64x16xf32>, memref<64x16xf32>) -> () {
  ^bb0(%xx: memref<64x16xf32>, %aa: memref<64x16xf32>, %bb: memref<64x16xf32>):
    rammer.operator "staged" tasks 4 (%xx, %aa) : (memref<64x16xf32>, memref<64x16xf32>) -> () {
    ^bb0(%in: memref<64x16xf32>, %out: memref<64x16xf32>):
      scf.forall (%i) = (0) to (64) step (16) {
        %tile = memref.alloc() : memref<16x16xf32>
        scf.forall (%r, %k) in (16, 16) {
          %row = arith.addi %i, %r : index
          %v = memref.load %in[%row, %k] : memref<64x16xf32>
          memref.store %v, %tile[%k, %r] : memref<16x16xf32>
        }
        scf.forall (%r, %k) in (16, 16) {
          %row = arith.addi %i, %r : index
          %v = memref.load %tile[%r, %k] : memref<16x16xf32>
          memref.store %v, %out[%row, %k] : memref<64x16xf32>
        }
        memref.dealloc %tile : memref<16x16xf32>
      }
      rammer.yield
    }
    rammer.operator "rows" tasks 1 (%xx, %bb) : (memref<64x16xf32>, memref<64x16xf32>) -> () {
    ^bb0(%in: memref<64x16xf32>, %out: memref<64x16xf32>):
      scf.forall (%i) in (64) {
        %tmp = memref.alloc() : memref<16xf32>
        %c0 = arith.constant 0 : index
        %c1 = arith.constant 1 : index
        %c16 = arith.constant 16 : index
        scf.for %k = %c0 to %c16 step %c1 {
          %v = memref.load %in[%i, %k] : memref<64x16xf32>
          memref.store %v, %tmp[%k] : memref<16xf32>
        }
        scf.for %k = %c0 to %c16 step %c1 {
          %v = memref.load %tmp[%k] : memref<16xf32>
          memref.store %v, %out[%i, %k] : memref<64x16xf32>
        }
        memref.dealloc %tmp : memref<16xf32>
      }
      rammer.yield
    }
    rammer.schedule {
      rammer.task "staged"[0] on 0 at 0
      rammer.task "staged"[1] on 1 at 0
      rammer.task "staged"[2] on 0 at 1
      rammer.task "staged"[3] on 1 at 1
      rammer.task "rows"[0] on 1 at 2
    }
    rammer.yield
  }
  return
}

// -----

// More vEUs (12) than the units hold blocks at once (8): the grid stays at
// 8 blocks and each block runs vEUs b, b + 8, ... of a segment (their
// rTasks are independent), so the grid barrier can never wait for a block
// that is not resident.
// CHECK-LABEL: func.func @folded
// CHECK:         gpu.launch_func @wide_rammer::@wide_rammer blocks in (%c8{{.*}}, %c1{{.*}}, %c1{{.*}}) threads in (%c256
// CHECK:         gpu.func @wide_rammer({{.*}}) kernel attributes {known_block_size = array<i32: 256, 1, 1>, known_grid_size = array<i32: 8, 1, 1>, nvvm.minctasm = 4 : i32}
// CHECK-DAG:       %[[BX:.*]] = gpu.block_id x
// CHECK-DAG:       %[[GX:.*]] = gpu.grid_dim x
// CHECK:           scf.for %[[V:.*]] = %[[BX]] to %c12 step %[[GX]] {
// CHECK:             memref.load %{{.*}}[%[[V]]]
// CHECK:             scf.index_switch
func.func @folded(%x: memref<12x256xf32>) {
  rammer.program "wide" vdevice <veus = 12> (%x) : (memref<12x256xf32>) -> () {
  ^bb0(%xx: memref<12x256xf32>):
    rammer.operator "scale" tasks 12 (%xx) : (memref<12x256xf32>) -> () {
    ^bb0(%io: memref<12x256xf32>):
      %two = arith.constant 2.0 : f32
      scf.forall (%j) in (12) {
        scf.forall (%k) in (256) {
          %v = memref.load %io[%j, %k] : memref<12x256xf32>
          %w = arith.mulf %v, %two : f32
          memref.store %w, %io[%j, %k] : memref<12x256xf32>
        }
      }
      rammer.yield
    }
    rammer.schedule {
      rammer.task "scale"[0] on 0 at 0
      rammer.task "scale"[1] on 1 at 0
      rammer.task "scale"[2] on 2 at 0
      rammer.task "scale"[3] on 3 at 0
      rammer.task "scale"[4] on 4 at 0
      rammer.task "scale"[5] on 5 at 0
      rammer.task "scale"[6] on 6 at 0
      rammer.task "scale"[7] on 7 at 0
      rammer.task "scale"[8] on 8 at 0
      rammer.task "scale"[9] on 9 at 0
      rammer.task "scale"[10] on 10 at 0
      rammer.task "scale"[11] on 11 at 0
    }
    rammer.yield
  }
  return
}
