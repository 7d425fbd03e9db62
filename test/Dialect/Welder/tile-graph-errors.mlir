// Groups --welder-tile-graph cannot complete: a diagnostic on the group, no crash.
// RUN: fourfold-opt %s -split-input-file --welder-tile-graph -verify-diagnostics

// The pass rejects a group whose tile does not match its sink.
func.func @bad_tile(%a: tensor<8x8xf32>) -> tensor<8x8xf32> {
  // expected-error @+1 {{welder-tile-graph: tile has 1 entries but the sink has 2 loops}}
  %g = welder.group "f" tile [4] (%a) : (tensor<8x8xf32>) -> tensor<8x8xf32> {
  ^bb0(%x: tensor<8x8xf32>):
    %e = tensor.empty() : tensor<8x8xf32>
    %r = linalg.exp ins(%x : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
    welder.yield %r : tensor<8x8xf32>
  }
  return %g : tensor<8x8xf32>
}

// -----

func.func @two_sinks(%a: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  // expected-error @+1 {{welder-tile-graph: a group hands back the results of one operator (its sink); this one yields values of two}}
  %g:2 = welder.group "f" (%a) : (tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  ^bb0(%x: tensor<8xf32>):
    %e = tensor.empty() : tensor<8xf32>
    %r = linalg.exp ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    %s = linalg.negf ins(%r : tensor<8xf32>) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %r, %s : tensor<8xf32>, tensor<8xf32>
  }
  return %g#0, %g#1 : tensor<8xf32>, tensor<8xf32>
}
