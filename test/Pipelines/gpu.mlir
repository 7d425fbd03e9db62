// The GPU pipeline outlines kernels and embeds their PTX in gpu.binary ops;
// the host function keeps gpu.launch_func. No CUDA toolkit is needed here.
// These checks are upstream's 16x16 mapping (roller=false); with roller (the
// default) the matmul runs in roller's blocks x threads with register tiles.
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_80 roller=false" | FileCheck %s --check-prefixes=CHECK,SM80
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_90 rammer=false" | FileCheck %s --check-prefix=ROLLER
// By default rammer puts the fill and the matmul (dependent: a grid barrier
// between them) into one kernel of sm_90's resident blocks (132 SMs x 4).
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_90" | FileCheck %s --check-prefix=RAMMER
// RAMMER-LABEL: func.func @matmul(
// RAMMER:       gpu.launch_func @matmul_p0_rammer::@matmul_p0_rammer blocks in (%c528, %c1, %c1)
// RAMMER-NOT:   gpu.launch_func
// RAMMER:       gpu.binary @matmul_p0_rammer [#gpu.object<#nvvm.target<O = 3, chip = "sm_90">{{.*}}.minnctapersm 4{{.*}}atom.global.add{{.*}}fma.rn.f32
// ROLLER-LABEL: func.func @matmul(
// ROLLER: gpu.launch_func @matmul_kernel::@matmul_kernel
// ROLLER: gpu.launch_func @matmul_kernel_0::@matmul_kernel blocks in ({{.*}}) threads in ({{.*}}) args(
// ROLLER: gpu.binary @matmul_kernel_0 [#gpu.object<#nvvm.target<O = 3, chip = "sm_90">{{.*}}fma.rn.f32
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_90 roller=false" | FileCheck %s --check-prefixes=CHECK,SM90
// sm_90 is the default chip.
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="roller=false" | FileCheck %s --check-prefixes=CHECK,SM90
// The other chips and optimisation levels reach the target attribute.
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_86 O=0 roller=false" | FileCheck %s --check-prefix=SM86-O0
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_89 O=2 roller=false" | FileCheck %s --check-prefix=SM89-O2
// lower-host=true also lowers the host side to the LLVM dialect, which
// translates to LLVM IR that loads the module and launches through mgpu*.
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_80 lower-host=true roller=false" | FileCheck %s --check-prefix=HOST
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_80 lower-host=true roller=false" | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

// Every kernel was outlined and every gpu.module became a gpu.binary.
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_80 roller=false" | FileCheck %s --check-prefix=OUTLINED
// OUTLINED-NOT: gpu.module
// OUTLINED-NOT: gpu.func
// OUTLINED-NOT: gpu.launch blocks
// OUTLINED-NOT: linalg.
// OUTLINED-NOT: scf.

// CHECK-LABEL: module attributes {gpu.container_module}

// Odd sizes: 37x53 tiled 16x16 is 3x4 blocks of 16x16 threads.
// CHECK-LABEL: func.func @add(
// CHECK-SAME: %[[A:.*]]: memref<37x53xf32>, %[[B:.*]]: memref<37x53xf32>) -> memref<37x53xf32>
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: %[[OUT:.*]] = memref.alloc()
// CHECK: gpu.launch_func @add_kernel::@add_kernel blocks in (%[[C3]], %[[C4]], %[[C1]]) threads in (%[[C16]], %[[C16]], %[[C1]])
// CHECK-SAME: %[[A]] : memref<37x53xf32>, %[[B]] : memref<37x53xf32>, %[[OUT]] : memref<37x53xf32>)
// CHECK: return %[[OUT]]
// The binary follows the function it was outlined from.
// SM80: gpu.binary @add_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_80">
// SM80-SAME: .target sm_80\0A
// SM80-SAME: .visible .entry add_kernel(
// SM90: gpu.binary @add_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90">
// SM90-SAME: .target sm_90\0A
// SM90-SAME: .visible .entry add_kernel(
// SM86-O0: gpu.binary @add_kernel [#gpu.object<#nvvm.target<O = 0, chip = "sm_86">
// SM86-O0-SAME: .target sm_86\0A
// O = 2 is nvvm.target's default, so only the object's properties show it.
// SM89-O2: gpu.binary @add_kernel [#gpu.object<#nvvm.target<chip = "sm_89">, properties = {{[{].*}}O = 2 : i32}
// SM89-O2-SAME: .target sm_89\0A
// HOST-LABEL: llvm.func @add(
// HOST-SAME: -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// HOST: gpu.launch_func @add_kernel::@add_kernel blocks in
// HOST: llvm.return
// LLVMIR: @add_kernel_binary = internal constant {{.*}}.target sm_80
// LLVMIR-LABEL: define { ptr, ptr, i64, [2 x i64], [2 x i64] } @add(
// LLVMIR: call ptr @mgpuModuleGetFunction(
// LLVMIR: call void @mgpuLaunchKernel(ptr %{{.*}}, i64 3, i64 4, i64 1, i64 16, i64 16, i64 1,
func.func @add(%a: tensor<37x53xf32>, %b: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %e = tensor.empty() : tensor<37x53xf32>
  %r = linalg.add ins(%a, %b : tensor<37x53xf32>, tensor<37x53xf32>) outs(%e : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

// fill and matmul are two kernels, launched in order on the same buffer;
// the reduction loop (29, a constant sunk into the kernel) stays inside the
// matmul kernel.
// CHECK-LABEL: func.func @matmul(
// CHECK: %[[OUT:.*]] = memref.alloc()
// CHECK: gpu.launch_func @matmul_kernel::@matmul_kernel
// CHECK-SAME: %[[OUT]] : memref<37x53xf32>)
// CHECK-NEXT: gpu.launch_func @matmul_kernel_0::@matmul_kernel
// CHECK-SAME: %[[OUT]] : memref<37x53xf32>)
// CHECK-NEXT: return %[[OUT]]
// SM80: gpu.binary @matmul_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_80">{{.*}}.target sm_80\0A
// SM80: gpu.binary @matmul_kernel_0 [#gpu.object<#nvvm.target<O = 3, chip = "sm_80">{{.*}}.target sm_80\0A
// SM90: gpu.binary @matmul_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90">{{.*}}.target sm_90\0A
// SM90: gpu.binary @matmul_kernel_0 [#gpu.object<#nvvm.target<O = 3, chip = "sm_90">{{.*}}.target sm_90\0A
func.func @matmul(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>) -> tensor<37x53xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x53xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<37x53xf32>) -> tensor<37x53xf32>
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}
