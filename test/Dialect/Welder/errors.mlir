// RUN: fourfold-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// welder.group
//===----------------------------------------------------------------------===//

func.func @empty_name(%a: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'welder.group' op needs a non-empty name}}
  %g = welder.group "" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    welder.yield %x : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @zero_tile(%a: tensor<8x8xf32>) -> tensor<8x8xf32> {
  // expected-error @+1 {{'welder.group' op tile entry 1 must be positive, got 0}}
  %g = welder.group "g" tile [4, 0] (%a) : (tensor<8x8xf32>) -> tensor<8x8xf32> {
  ^bb0(%x: tensor<8x8xf32>):
    welder.yield %x : tensor<8x8xf32>
  }
  return %g : tensor<8x8xf32>
}

// -----

func.func @negative_tile(%a: tensor<8x8xf32>) -> tensor<8x8xf32> {
  // expected-error @+1 {{'welder.group' op tile entry 0 must be positive, got -4}}
  %g = welder.group "g" tile [-4, 4] (%a) : (tensor<8x8xf32>) -> tensor<8x8xf32> {
  ^bb0(%x: tensor<8x8xf32>):
    welder.yield %x : tensor<8x8xf32>
  }
  return %g : tensor<8x8xf32>
}

// -----

func.func @empty_tile(%a: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'welder.group' op tile needs at least one entry (leave `tile` out for a group not yet tiled)}}
  %g = welder.group "g" tile [] (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    welder.yield %x : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @arg_count(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'welder.group' op body has 1 arguments but the group has 2 inputs}}
  %g = welder.group "g" (%a, %b) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    welder.yield %x : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @arg_type(%a: tensor<8xf32>, %b: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'welder.group' op body argument #1 has type 'tensor<8xf32>' but input #1 has type 'tensor<4xf32>'}}
  %g = welder.group "g" (%a, %b) : (tensor<8xf32>, tensor<4xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>, %y: tensor<8xf32>):
    welder.yield %x : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @yield_types(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    %c = arith.constant 0 : index
    // expected-error @+1 {{'welder.yield' op yields ('index') but the group returns ('tensor<8xf32>')}}
    welder.yield %c : index
  }
  return %g : tensor<8xf32>
}

// -----

func.func @yield_count(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'welder.yield' op yields ('tensor<8xf32>', 'tensor<8xf32>') but the group returns ('tensor<8xf32>')}}
    welder.yield %x, %x : tensor<8xf32>, tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @not_yield(%a: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'welder.group' op body must end with welder.yield}}
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    llvm.unreachable
  }
  return %g : tensor<8xf32>
}

// -----

func.func @yield_outside(%a: tensor<8xf32>) {
  // expected-error @+1 {{'welder.yield' op expects parent op 'welder.group'}}
  welder.yield %a : tensor<8xf32>
}

// -----

// A value leaving a group is read by another kernel: it lives in global
// memory, not in shared memory...
func.func @shared_escapes(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'linalg.exp' op result #0 leaves group 'g' (yielded as #0) but its level is shared; values leaving a group live in global memory}}
    %r = linalg.exp {welder.levels = [#welder.level<shared>]} ins(%x : tensor<8xf32>) outs(%x : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %r : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

// ...nor in registers; the index is the yield operand's, not the result's.
func.func @register_escapes(%a: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %g:2 = welder.group "g" (%a) : (tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  ^bb0(%x: tensor<8xf32>):
    %r = linalg.exp {welder.levels = [#welder.level<global>]} ins(%x : tensor<8xf32>) outs(%x : tensor<8xf32>) -> tensor<8xf32>
    // expected-error @+1 {{'linalg.negf' op result #0 leaves group 'g' (yielded as #1) but its level is register}}
    %n = linalg.negf {welder.levels = [#welder.level<register>]} ins(%r : tensor<8xf32>) outs(%x : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %r, %n : tensor<8xf32>, tensor<8xf32>
  }
  return %g#0, %g#1 : tensor<8xf32>, tensor<8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// #welder.level
//===----------------------------------------------------------------------===//

// expected-error @+2 {{expected ::mlir::fourfold::welder::MemoryLevel to be one of: global, shared, register}}
// expected-error @+1 {{failed to parse Welder_MemoryLevelAttr parameter 'value'}}
module attributes {test.level = #welder.level<l2>} {}

// -----

//===----------------------------------------------------------------------===//
// welder.tile
//===----------------------------------------------------------------------===//

func.func @tile_outside_group(%a: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'linalg.exp' op carries 'welder.tile' but is not inside a welder.group}}
  %r = linalg.exp {welder.tile = array<i64: 4>} ins(%a : tensor<8xf32>) outs(%a : tensor<8xf32>) -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

func.func @tile_rank(%a: tensor<8x4xf32>, %b: tensor<4x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %g = welder.group "g" (%a, %b, %c) : (tensor<8x4xf32>, tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32> {
  ^bb0(%x: tensor<8x4xf32>, %y: tensor<4x8xf32>, %z: tensor<8x8xf32>):
    // expected-error @+1 {{'linalg.matmul' op has 3 loops but its 'welder.tile' has 2 entries}}
    %r = linalg.matmul {welder.tile = array<i64: 4, 4>} ins(%x, %y : tensor<8x4xf32>, tensor<4x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
    welder.yield %r : tensor<8x8xf32>
  }
  return %g : tensor<8x8xf32>
}

// -----

func.func @tile_not_array(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'linalg.exp' op 'welder.tile' must be an array<i64: ...>, got [4]}}
    %r = linalg.exp {welder.tile = [4]} ins(%x : tensor<8xf32>) outs(%x : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %r : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @tile_i32(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'linalg.exp' op 'welder.tile' must be an array<i64: ...>, got array<i32: 4>}}
    %r = linalg.exp {welder.tile = array<i32: 4>} ins(%x : tensor<8xf32>) outs(%x : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %r : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @tile_entry(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'linalg.exp' op 'welder.tile' entry 0 must be positive, got 0}}
    %r = linalg.exp {welder.tile = array<i64: 0>} ins(%x : tensor<8xf32>) outs(%x : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %r : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @tile_no_loops(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'tensor.empty' op carries 'welder.tile' but has no loop nest to tile}}
    %e = tensor.empty() {welder.tile = array<i64: 8>} : tensor<8xf32>
    welder.yield %e : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// welder.levels
//===----------------------------------------------------------------------===//

func.func @levels_outside_group(%a: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'linalg.exp' op carries 'welder.levels' but is not inside a welder.group}}
  %r = linalg.exp {welder.levels = [#welder.level<global>]} ins(%a : tensor<8xf32>) outs(%a : tensor<8xf32>) -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

func.func @levels_count(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'linalg.exp' op has 1 results but 'welder.levels' has 2 entries}}
    %r = linalg.exp {welder.levels = [#welder.level<shared>, #welder.level<global>]} ins(%x : tensor<8xf32>) outs(%x : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %x : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @levels_entry(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'linalg.exp' op 'welder.levels' entry 0 must be a #welder.level, got "shared"}}
    %r = linalg.exp {welder.levels = ["shared"]} ins(%x : tensor<8xf32>) outs(%x : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %x : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @levels_not_array(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'linalg.exp' op 'welder.levels' must be an array of #welder.level}}
    %r = linalg.exp {welder.levels = #welder.level<shared>} ins(%x : tensor<8xf32>) outs(%x : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %x : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

// -----

func.func @unknown_attr(%a: tensor<8xf32>) -> tensor<8xf32> {
  %g = welder.group "g" (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'linalg.exp' op unknown welder attribute 'welder.level'}}
    %r = linalg.exp {welder.level = #welder.level<shared>} ins(%x : tensor<8xf32>) outs(%x : tensor<8xf32>) -> tensor<8xf32>
    welder.yield %x : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}


// -----

func.func @figure_off_group(%a: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  // expected-error @+1 {{'linalg.exp' op carries 'welder.bytes', which belongs on a welder.group}}
  %r = linalg.exp {welder.bytes = 4 : i64} ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

func.func @figure_type(%a: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'welder.group' op 'welder.predicted_us' must be a float, got 3 : i64}}
  %g = welder.group "f" (%a) {welder.predicted_us = 3 : i64} : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    welder.yield %x : tensor<8xf32>
  }
  return %g : tensor<8xf32>
}

