// A two-layer MLP in linalg on tensors: y = gelu(x @ w1 + b1) @ w2 + b2 (tanh form of GELU).
// Batch 8, 64 -> 256 -> 32. The bundled example of `python -m fourfold demo`.
#id = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @mlp(%x: tensor<8x64xf32>, %w1: tensor<64x256xf32>, %b1: tensor<256xf32>,
               %w2: tensor<256x32xf32>, %b2: tensor<32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %k0 = arith.constant 0.7978845608 : f32
  %k1 = arith.constant 0.044715 : f32

  %e1 = tensor.empty() : tensor<8x256xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8x256xf32>) -> tensor<8x256xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<8x64xf32>, tensor<64x256xf32>) outs(%z1 : tensor<8x256xf32>) -> tensor<8x256xf32>
  %g = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b1 : tensor<8x256xf32>, tensor<256xf32>) outs(%e1 : tensor<8x256xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %a = arith.addf %v, %b : f32
    %a3 = arith.mulf %a, %a : f32
    %a3b = arith.mulf %a3, %a : f32
    %t0 = arith.mulf %a3b, %k1 : f32
    %t1 = arith.addf %a, %t0 : f32
    %t2 = arith.mulf %t1, %k0 : f32
    %t3 = math.tanh %t2 : f32
    %t4 = arith.addf %t3, %one : f32
    %t5 = arith.mulf %a, %half : f32
    %r = arith.mulf %t5, %t4 : f32
    linalg.yield %r : f32
  } -> tensor<8x256xf32>

  %e2 = tensor.empty() : tensor<8x32xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<8x32xf32>) -> tensor<8x32xf32>
  %y = linalg.matmul ins(%g, %w2 : tensor<8x256xf32>, tensor<256x32xf32>) outs(%z2 : tensor<8x32xf32>) -> tensor<8x32xf32>
  %out = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %b2 : tensor<8x32xf32>, tensor<32xf32>) outs(%e2 : tensor<8x32xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %a = arith.addf %v, %b : f32
    linalg.yield %a : f32
  } -> tensor<8x32xf32>
  return %out : tensor<8x32xf32>
}
