// Bad input and bad command lines end in a diagnostic and a non-zero exit
// status, never in a crash (`not` fails on a crash; no stack dump either).

// Malformed IR: each chunk gives exactly one error, at its line.
// RUN: not fourfold-opt %s -split-input-file 2>&1 | FileCheck %s --check-prefix=BADIR --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// The pipelines never run on IR that does not parse or verify.
// RUN: not fourfold-opt %s -split-input-file --fourfold-cpu-pipeline 2>&1 | FileCheck %s --check-prefix=BADIR --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// RUN: not fourfold-opt %s -split-input-file --fourfold-gpu-pipeline 2>&1 | FileCheck %s --check-prefix=BADIR --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"

// BADIR: errors.mlir:[[@LINE+2]]:19: error: use of undeclared SSA value name
func.func @undeclared() -> i32 {
  %0 = arith.addi %x, %x : i32
  return %0 : i32
}

// -----

// BADIR: errors.mlir:[[@LINE+2]]:3: error: Dialect `nosuch' not found for custom op 'nosuch.op'
func.func @unknown_dialect() {
  nosuch.op
  return
}

// -----

// BADIR: errors.mlir:[[@LINE+2]]:8: error: 'linalg.matmul' op has 3 loops but its 'roller.tile' has 2 entries per level
func.func @verifier(%a: tensor<8x4xf32>, %b: tensor<4x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %r = linalg.matmul {roller.tile = #roller.rtile<shared = [8, 8]>} ins(%a, %b : tensor<8x4xf32>, tensor<4x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// -----

// BADIR: errors.mlir:[[@LINE+2]]:3: error: type of return operand 0 ('i64') doesn't match function result type ('i32') in function @wrong_type
func.func @wrong_type(%a: i64) -> i32 {
  return %a : i64
}

// -----

// An unknown pass is a command-line error.
// RUN: not fourfold-opt --no-such-pass %s 2>&1 | FileCheck %s --check-prefix=PASS --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// PASS: Unknown command line argument '--no-such-pass'

// The pipelines' options are checked before anything runs. The input here
// is valid (this file is not), so that only the options can fail.
// RUN: echo "module {}" | not fourfold-opt --fourfold-gpu-pipeline="chip=sm_75" 2>&1 | FileCheck %s --check-prefix=CHIP --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// CHIP: error: fourfold-gpu-pipeline: unsupported GPU chip 'sm_75'; supported: sm_80, sm_86, sm_89, sm_90

// The same through a textual pipeline.
// RUN: echo "module {}" | not fourfold-opt --pass-pipeline="builtin.module(fourfold-gpu-pipeline{chip=sm_75})" 2>&1 | FileCheck %s --check-prefix=CHIP --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"

// RUN: echo "module {}" | not fourfold-opt --fourfold-gpu-pipeline="chipp=sm_80" 2>&1 | FileCheck %s --check-prefix=OPTION --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// OPTION: no such option chipp
// OPTION: error: invalid options for 'fourfold-gpu-pipeline': chipp=sm_80

// RUN: echo "module {}" | not fourfold-opt --fourfold-cpu-pipeline="chip=sm_80" 2>&1 | FileCheck %s --check-prefix=CPU-OPTION --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// CPU-OPTION: no such option chip
// CPU-OPTION: error: invalid options for 'fourfold-cpu-pipeline': chip=sm_80

// RUN: echo "module {}" | not fourfold-opt --fourfold-cpu-pipeline="out-params=maybe" 2>&1 | FileCheck %s --check-prefix=BOOL --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// BOOL: 'maybe' is invalid value for boolean argument
// BOOL: error: invalid options for 'fourfold-cpu-pipeline': out-params=maybe

// RUN: echo "module {}" | not fourfold-opt --fourfold-gpu-pipeline="O=4" 2>&1 | FileCheck %s --check-prefix=OLEVEL --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// OLEVEL: error: fourfold-gpu-pipeline: O must be 0..3, got 4

// RUN: echo "module {}" | not fourfold-opt --fourfold-gpu-pipeline="O=fast" 2>&1 | FileCheck %s --check-prefix=OLEVEL-NAN --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// OLEVEL-NAN: 'fast' value invalid for uint argument
// OLEVEL-NAN: error: invalid options for 'fourfold-gpu-pipeline': O=fast

// RUN: echo "module {}" | not fourfold-opt --fourfold-gpu-pipeline="O=-1" 2>&1 | FileCheck %s --check-prefix=OLEVEL-NEG --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// OLEVEL-NEG: error: invalid options for 'fourfold-gpu-pipeline': O=-1

// RUN: echo "module {}" | not fourfold-opt --fourfold-gpu-pipeline="toolkit=%t.no-toolkit" 2>&1 | FileCheck %s --check-prefix=TOOLKIT --implicit-check-not="error:" --implicit-check-not="PLEASE submit a bug report" --implicit-check-not="Stack dump"
// TOOLKIT: error: fourfold-gpu-pipeline: no libdevice under toolkit '{{.*}}.no-toolkit' (looked for {{.*}}.no-toolkit{{/|\\}}nvvm{{/|\\}}libdevice{{/|\\}}libdevice.10.bc)
