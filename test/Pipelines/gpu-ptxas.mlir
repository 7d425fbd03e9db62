// REQUIRES: ptxas
// The PTX the GPU pipeline embeds assembles with ptxas for the chip it
// names. extract_ptx.py prints the first gpu.binary's PTX.
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_80" | %python %S/extract_ptx.py > %t.sm80.ptx
// RUN: FileCheck %s --check-prefix=SM80 < %t.sm80.ptx
// RUN: ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_90" | %python %S/extract_ptx.py > %t.sm90.ptx
// RUN: FileCheck %s --check-prefix=SM90 < %t.sm90.ptx
// RUN: ptxas -arch=sm_90 %t.sm90.ptx -o %t.sm90.cubin
// At O=0 as well.
// RUN: fourfold-opt %s --fourfold-gpu-pipeline="chip=sm_90 O=0" | %python %S/extract_ptx.py > %t.o0.ptx
// RUN: ptxas -arch=sm_90 %t.o0.ptx -o %t.o0.cubin

// The escapes (\0A, \09) are decoded: the PTX has one statement per line.
// SM80: {{^}}.target sm_80{{$}}
// SM80-NEXT: {{^}}.address_size 64{{$}}
// The fill and the matmul: one rammer kernel (rammer-lower{gpu}).
// SM80: {{^}}.visible .entry matmul_p0_rammer(
// SM80: {{^}}.minnctapersm
// SM80: ret;
// SM90: {{^}}.target sm_90{{$}}
// SM90: {{^}}.visible .entry matmul_p0_rammer(
func.func @matmul(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>) -> tensor<37x53xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x53xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<37x53xf32>) -> tensor<37x53xf32>
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}
