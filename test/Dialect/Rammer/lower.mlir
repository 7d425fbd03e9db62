// RUN: fourfold-opt %S/extract.mlir --rammer-schedule="target=@%S/../Roller/Inputs/cpu.target" --rammer-lower --canonicalize | FileCheck %s

// The program of extract.mlir's @cell (segment 0: "k0" rTasks 0,1 on vEUs
// 0,1 and "k1" rTasks 0,1 on vEUs 2,3; segment 1: "k2" rTasks 0..3 on vEUs
// 0..3) as tables: per segment and vEU, a range of (operator, rTask)
// entries.
// CHECK-DAG: memref.global "private" constant @__rammer_cell.p0_tasks : memref<8xi32> = dense<[0, 1, 0, 1, 0, 1, 2, 3]>
// CHECK-DAG: memref.global "private" constant @__rammer_cell.p0_operators : memref<8xi32> = dense<[0, 0, 1, 1, 2, 2, 2, 2]>
// CHECK-DAG: memref.global "private" constant @__rammer_cell.p0_offsets : memref<9xi32> = dense<[0, 1, 2, 3, 4, 5, 6, 7, 8]>

// One parallel region of 4 threads; per segment, threads claim vEUs from a
// counter, run their rTasks through a switch over the operators, and meet at
// a barrier before the next segment.
// CHECK-LABEL: func.func @cell
// CHECK:     %[[OFF:.*]] = memref.get_global @__rammer_cell.p0_offsets
// CHECK:     %[[OPS:.*]] = memref.get_global @__rammer_cell.p0_operators
// CHECK:     %[[TASKS:.*]] = memref.get_global @__rammer_cell.p0_tasks
// CHECK:     %[[COUNT:.*]] = memref.alloca() : memref<2xi32>
// CHECK-COUNT-2: memref.store %{{.*}}, %[[COUNT]]
// CHECK:     omp.parallel {
// CHECK:       scf.while
// CHECK:         memref.atomic_rmw addi %{{.*}}, %[[COUNT]][%{{.*}}]
// CHECK:       } do {
// CHECK:       ^bb0(%[[VEU:.*]]: index):
// CHECK:         memref.load %[[OFF]][%[[VEU]]]
// CHECK:         scf.for %[[K:.*]] =
// CHECK:           %[[OP:.*]] = memref.load %[[OPS]][%[[K]]]
// CHECK:           %[[OPI:.*]] = arith.index_cast %[[OP]]
// CHECK:           %[[T:.*]] = memref.load %[[TASKS]][%[[K]]]
// CHECK:           %[[TI:.*]] = arith.index_cast %[[T]]
// CHECK:           scf.index_switch %[[OPI]]
// "k0": rTask t runs tiles [2t, min(2t + 2, 4)) of its 4 rows of 16.
// CHECK:           case 0 {
// CHECK:             %[[LO:.*]] = arith.muli %[[TI]], %c2
// CHECK:             %[[HI0:.*]] = arith.addi %[[LO]], %c2
// CHECK:             %[[HI:.*]] = arith.minsi %[[HI0]], %c4
// CHECK:             scf.for %[[IT:.*]] = %[[LO]] to %[[HI]] step %c1
// CHECK:               arith.muli %[[IT]], %c16
// CHECK:               linalg.exp
// CHECK:           case 1 {
// CHECK:               linalg.negf
// A segment's switch has cases only for its own operators.
// CHECK:           default {
// CHECK:       omp.barrier
// CHECK:       scf.while
// CHECK:           scf.index_switch
// The 2-D tile loop (4 x 2) is delinearized row-major.
// CHECK:           case 2 {
// CHECK:             scf.for %[[IT2:.*]] =
// CHECK:               %[[J:.*]] = arith.remui %[[IT2]], %c2
// CHECK:               %[[I:.*]] = arith.divui %[[IT2]], %c2
// CHECK:               affine.apply #{{.*}}(%[[I]])
// CHECK:               affine.apply #{{.*}}(%[[J]])
// CHECK:               linalg.add
// CHECK:           default {
// CHECK-NOT:   omp.barrier
// CHECK:       omp.terminator
// CHECK:     memref.dealloc
// CHECK:     memref.dealloc
// CHECK:     return
