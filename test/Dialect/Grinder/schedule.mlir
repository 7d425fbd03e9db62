// RUN: fourfold-opt %s --grinder-schedule="target=@%S/../Roller/Inputs/cpu.target explain=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: fourfold-opt %s --grinder-schedule="target=@%S/../Roller/Inputs/cpu.target" | FileCheck %s
// RUN: fourfold-opt %s --grinder-schedule="target=@%S/../Roller/Inputs/cpu.target place=block" | FileCheck %s --check-prefix=BLOCK

// The test CPU: 4 units, each 64 GFLOP/s and 128 GB/s of L1; a parallel
// region costs 1.1 us, a barrier 0.2 us, a uTask's dispatch 0.02 us; inside
// one region a kernel's output moving between caches 0.7 us more.
//
// @rnn: 10 iterations of one kernel of 8 uTasks, each a 16x64x64 matmul:
// 131072 flops / 64e3 = 2.048 us (24576 bytes / 128e3 = 0.192 us). Over 4
// units: 2 waves x 2.068 = 4.136 us. Host: 10 x (1.1 + 4.136) = 52.36 us;
// device: 1.1 + 10 x (0.9 + 4.136) = 51.46 us; one block: 10 x 8 x 2.048 =
// 163.84 us. The device wins.

// REMARK: remark: grinder: scf.for on the device: 1 kernels, 8 uTasks per execution; predicted 52.36 us on the host, 51.46 us on the device, 163.84 us in one block
// CHECK-LABEL: func.func @rnn
// CHECK: scf.for
// CHECK: } {grinder.estimate = {block_us = 1.638400e+02 : f64, device_us = 5.146000e+01 : f64, host_us = 52.3{{[0-9]+}} : f64, kernels = 1 : i64, utasks = 8 : i64}, grinder.place = #grinder.place<device>}
// BLOCK-LABEL: func.func @rnn
// BLOCK: grinder.place = #grinder.place<block>
func.func @rnn(%a: memref<128x64xf32>, %b: memref<64x64xf32>, %c: memref<128x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  scf.for %t = %c0 to %c10 step %c1 {
    scf.forall (%i) = (0) to (128) step (16) {
      %sa = memref.subview %a[%i, 0] [16, 64] [1, 1] : memref<128x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
      %sc = memref.subview %c[%i, 0] [16, 64] [1, 1] : memref<128x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
      linalg.matmul ins(%sa, %b : memref<16x64xf32, strided<[64, 1], offset: ?>>, memref<64x64xf32>) outs(%sc : memref<16x64xf32, strided<[64, 1], offset: ?>>)
    }
  }
  return
}

// @tiny: the same loop with 1x64 rows: 4 uTasks of a 1x64x64 matmul, bound
// by its 16896 bytes (0.132 us; 8192 flops take 0.128 us): host
// 10 x (1.1 + 0.152) = 12.52 us, device 1.1 + 10 x 1.052 = 11.62 us, one
// block 10 x 4 x 0.132 = 5.28 us: one core wins.
// REMARK: remark: grinder: scf.for on the block: 1 kernels, 4 uTasks per execution; predicted 12.52 us on the host, 11.62 us on the device, 5.28 us in one block

// A branch with a kernel on one side; a while with a data-dependent exit
// (counted as trips = 16 iterations). The tile loop's single uTask of a
// 1x64x8 matmul (2336 bytes: 0.01825 us): one block is cheapest. The if:
// host 1.1 + 0.01825 + 0.02, device 1.1 + 0.9 + 0.03825, block 0.01825.
// The while adds the condition's load (4 bytes) per iteration: host
// 16 x 1.1383 = 18.21 us, device 1.1 + 16 x 0.9383 = 16.11 us, block 0.29 us.
// REMARK: remark: grinder: scf.if on the block: 1 kernels, 1 uTasks per execution; predicted 1.14 us on the host, 2.04 us on the device, 0.02 us in one block
// REMARK: remark: grinder: scf.while on the block: 1 kernels, 1 uTasks per execution; predicted 18.21 us on the host, 16.11 us on the device, 0.29 us in one block
func.func @tiny(%a: memref<4x64xf32>, %b: memref<64x64xf32>, %c: memref<4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  scf.for %t = %c0 to %c10 step %c1 {
    scf.forall (%i) = (0) to (4) step (1) {
      %sa = memref.subview %a[%i, 0] [1, 64] [1, 1] : memref<4x64xf32> to memref<1x64xf32, strided<[64, 1], offset: ?>>
      %sc = memref.subview %c[%i, 0] [1, 64] [1, 1] : memref<4x64xf32> to memref<1x64xf32, strided<[64, 1], offset: ?>>
      linalg.matmul ins(%sa, %b : memref<1x64xf32, strided<[64, 1], offset: ?>>, memref<64x64xf32>) outs(%sc : memref<1x64xf32, strided<[64, 1], offset: ?>>)
    }
  }
  return
}

func.func @control(%flag: memref<f32>, %a: memref<1x64xf32>, %b: memref<64x8xf32>, %c: memref<1x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %f = memref.load %flag[] : memref<f32>
  %p = arith.cmpf ogt, %f, %zero : f32
  scf.if %p {
    scf.forall (%i) = (0) to (1) step (1) {
      linalg.matmul ins(%a, %b : memref<1x64xf32>, memref<64x8xf32>) outs(%c : memref<1x8xf32>)
    }
  }
  scf.while : () -> () {
    %v = memref.load %flag[] : memref<f32>
    %go = arith.cmpf ogt, %v, %zero : f32
    scf.condition(%go)
  } do {
    scf.forall (%i) = (0) to (1) step (1) {
      linalg.matmul ins(%a, %b : memref<1x64xf32>, memref<64x8xf32>) outs(%c : memref<1x8xf32>)
    }
    scf.yield
  }
  return
}
