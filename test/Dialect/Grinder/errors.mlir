// RUN: fourfold-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// grinder.place
//===----------------------------------------------------------------------===//

func.func @not_a_loop(%a: index, %b: index) -> index {
  // expected-error @+1 {{'arith.addi' op carries 'grinder.place' but is not a loop or branch}}
  %c = arith.addi %a, %b {grinder.place = #grinder.place<device>} : index
  return %c : index
}

// -----

// expected-error @+1 {{'func.func' op carries 'grinder.place' but is not a loop or branch}}
func.func @on_func() attributes {grinder.place = #grinder.place<host>} {
  return
}

// -----

func.func @on_uprogram() {
  // expected-error @+1 {{'grinder.uprogram' op carries 'grinder.place' but is not a loop or branch}}
  grinder.uprogram "p" () {grinder.place = #grinder.place<device>} : () -> () {
    grinder.yield
  }
  return
}

// -----

func.func @wrong_kind(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{'scf.for' op 'grinder.place' must be a #grinder.place, got "device"}}
  scf.for %i = %c0 to %n step %c1 {
  } {grinder.place = "device"}
  return
}

// -----

// expected-error @+2 {{expected ::mlir::fourfold::grinder::Placement to be one of: host, device, block}}
// expected-error @+1 {{failed to parse Grinder_PlacementAttr parameter 'value'}}
module attributes {test.place = #grinder.place<warp>} {}

// -----

func.func @host_in_device(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @+1 {{'scf.for' op is placed on the host but is nested in a construct placed on the device; a construct cannot run at a level above its parent's}}
    scf.for %j = %c0 to %n step %c1 {
    } {grinder.place = #grinder.place<host>}
  } {grinder.place = #grinder.place<device>}
  return
}

// -----

func.func @device_in_block(%n: index, %p: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @+1 {{'scf.if' op is placed on the device but is nested in a construct placed on the block; a construct cannot run at a level above its parent's}}
    scf.if %p {
    } {grinder.place = #grinder.place<device>}
  } {grinder.place = #grinder.place<block>}
  return
}

// -----

// The innermost placed construct decides, through unplaced ones in between.
func.func @host_in_block_through_unplaced(%n: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      // expected-error @+1 {{'scf.while' op is placed on the host but is nested in a construct placed on the block}}
      %r = scf.while (%v = %x) : (f32) -> f32 {
        %f = arith.constant false
        scf.condition(%f) %v : f32
      } do {
      ^bb0(%v: f32):
        scf.yield %v : f32
      } attributes {grinder.place = #grinder.place<host>}
    }
  } {grinder.place = #grinder.place<block>}
  return
}

// -----

// expected-error @+1 {{'func.func' op unknown grinder attribute 'grinder.placement'}}
func.func @unknown_attr() attributes {grinder.placement = #grinder.place<host>} {
  return
}

// -----

//===----------------------------------------------------------------------===//
// grinder.grid_barrier
//===----------------------------------------------------------------------===//

func.func @barrier_unplaced() {
  // expected-error @+1 {{'grinder.grid_barrier' op must be inside a loop or branch placed #grinder.place<device>}}
  grinder.grid_barrier
  return
}

// -----

func.func @barrier_in_host(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @+1 {{'grinder.grid_barrier' op must be inside a loop or branch placed #grinder.place<device>}}
    grinder.grid_barrier
  } {grinder.place = #grinder.place<host>}
  return
}

// -----

// Inside a block-placed loop only one block runs: a grid barrier there would
// wait for blocks that never arrive.
func.func @barrier_in_block_in_device(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      // expected-error @+1 {{'grinder.grid_barrier' op must be inside a loop or branch placed #grinder.place<device>}}
      grinder.grid_barrier
    } {grinder.place = #grinder.place<block>}
  } {grinder.place = #grinder.place<device>}
  return
}

// -----

//===----------------------------------------------------------------------===//
// grinder.uprogram and grinder.utask
//===----------------------------------------------------------------------===//

func.func @utask_yield(%a: tensor<8xf32>) -> tensor<8xf32> {
  %t = grinder.utask "t" units 2 (%a) : (tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'grinder.yield' op yields () but the utask returns ('tensor<8xf32>')}}
    grinder.yield
  }
  return %t : tensor<8xf32>
}

// -----

func.func @uprogram_yield(%a: tensor<8xf32>) {
  grinder.uprogram "p" (%a) : (tensor<8xf32>) -> () {
  ^bb0(%x: tensor<8xf32>):
    // expected-error @+1 {{'grinder.yield' op yields ('tensor<8xf32>') but the uprogram returns ()}}
    grinder.yield %x : tensor<8xf32>
  }
  return
}

// -----

func.func @utask_arg_count(%a: tensor<8xf32>) {
  // expected-error @+1 {{'grinder.utask' op body has 2 arguments but the utask has 1 inputs}}
  grinder.utask "t" units 2 (%a) : (tensor<8xf32>) -> () {
  ^bb0(%x: tensor<8xf32>, %y: tensor<8xf32>):
    grinder.yield
  }
  return
}

// -----

func.func @uprogram_arg_type(%a: tensor<8xf32>) {
  // expected-error @+1 {{'grinder.uprogram' op body argument #0 has type 'tensor<8xf16>' but input #0 has type 'tensor<8xf32>'}}
  grinder.uprogram "p" (%a) : (tensor<8xf32>) -> () {
  ^bb0(%x: tensor<8xf16>):
    grinder.yield
  }
  return
}

// -----

func.func @not_yield() {
  // expected-error @+1 {{'grinder.uprogram' op body must end with grinder.yield}}
  grinder.uprogram "p" () : () -> () {
    llvm.unreachable
  }
  return
}

// -----

func.func @zero_units() {
  // expected-error @+1 {{'grinder.utask' op attribute 'units' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  grinder.utask "t" units 0 () : () -> () {
    grinder.yield
  }
  return
}

// -----

func.func @yield_outside(%a: f32) {
  // expected-error @+1 {{'grinder.yield' op expects parent op to be one of 'grinder.uprogram, grinder.utask'}}
  grinder.yield %a : f32
}
