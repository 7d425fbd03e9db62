// REQUIRES: ptxas, cuda-toolkit
// (roller=false: roller's kernels use a polynomial tanh and need no libdevice.)
// math.tanh on the GPU becomes a call to libdevice's __nv_tanhf. With
// toolkit=..., the pipeline links the toolkit's libdevice so the call is
// resolved (inlined) and ptxas accepts the PTX; without it ptxas would stop
// at the unresolved extern function.
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_90 toolkit=%cuda_toolkit roller=false" | FileCheck %s --check-prefix=IR
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_90 toolkit=%cuda_toolkit roller=false" | %python %S/extract_ptx.py > %t.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: ptxas -arch=sm_90 %t.ptx -o %t.cubin
// Without the toolkit the call stays unresolved.
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_90 roller=false" | %python %S/extract_ptx.py > %t.unlinked.ptx
// RUN: FileCheck %s --check-prefix=UNLINKED < %t.unlinked.ptx
// RUN: not ptxas -arch=sm_90 %t.unlinked.ptx -o %t.unlinked.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS-ERR

// IR: gpu.binary @tanh_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", link = ["{{.*}}/nvvm/libdevice/libdevice.10.bc"]>
// PTX: .target sm_90
// PTX-NOT: __nv_tanhf
// PTX: .visible .entry tanh_kernel(
// PTX-NOT: __nv_tanhf
// PTX: ex2.approx
// PTX-NOT: __nv_tanhf
// UNLINKED: .extern .func {{.*}}__nv_tanhf
// PTXAS-ERR: Unresolved extern function '__nv_tanhf'
func.func @tanh(%a: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %e = tensor.empty() : tensor<37x53xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<37x53xf32>) outs(%e : tensor<37x53xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  } -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}
