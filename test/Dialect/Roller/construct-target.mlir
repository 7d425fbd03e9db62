// Where --roller-construct takes its target from, and what it says about a
// bad one.
//
// The module's own roller.target (here the fixed CPU of Inputs/cpu.target,
// written inline) is used when no target= is given, and gives the same
// tiles as target=@file; an explicit target= wins over it.
// RUN: fourfold-opt %s --roller-construct | FileCheck %s --check-prefix=CPU
// RUN: fourfold-opt %s --roller-construct="target=@%S/Inputs/cpu.target" | FileCheck %s --check-prefix=CPU
// RUN: fourfold-opt %s --roller-construct=target=sm_90 | FileCheck %s --check-prefix=SM90
//
// An inline #roller.target as the option's value (in braces: it holds commas
// and spaces) is the same target.
// RUN: fourfold-opt %s --roller-construct='target={#roller.target<"testcpu", cpu, units = 4, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 16, vector_bits = 256, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 512, bandwidth = 1536, transaction = 32>], peak = {f32 = 256.0 : f64, f64 = 128.0 : f64}>}' | FileCheck %s --check-prefix=CPU
// The CPU pipeline passes such a target on to roller-construct (it used to
// splice it into the stage unbraced, where its commas split it into bogus
// options); the vector shapes are testcpu's register tile (1 x 24 x 8).
// RUN: fourfold-opt %s --fourfold-cpu-pipeline='target={#roller.target<"testcpu", cpu, units = 4, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 16, vector_bits = 256, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 512, bandwidth = 1536, transaction = 32>], peak = {f32 = 256.0 : f64, f64 = 128.0 : f64}>}' | FileCheck %s --check-prefix=PIPELINE
//
// A target so small that no tile fits (two vector registers: the smallest
// register tile needs an accumulator, an operand vector and a broadcast):
// the operator keeps no tile, and explain=true says so.
// RUN: fourfold-opt %s --roller-construct='target={#roller.target<"two-regs", cpu, units = 1, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 2, vector_bits = 128, levels = [#roller.level<"dram", capacity = 1048576, bandwidth = 1, transaction = 64>, #roller.level<"register", capacity = 32, bandwidth = 10, transaction = 16>], peak = {f32 = 1.0 : f64}>} explain=true' 2>&1 | FileCheck %s --check-prefix=NOFIT
//
// Bad targets: one clear error naming the spec, and the pass fails.
// "host:N": this machine as N of its cores (what the code will run on).
// RUN: fourfold-opt %s --roller-construct=target=host:1 | FileCheck %s --check-prefix=HOST1
// RUN: not fourfold-opt %s --roller-construct=target=host:0 2>&1 | FileCheck %s --check-prefix=HOST0
// RUN: not fourfold-opt %s --roller-construct=target=sm_70 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not fourfold-opt %s --roller-construct=target= 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not fourfold-opt %s --roller-construct=target=@ 2>&1 | FileCheck %s --check-prefix=NOFILE-NAME
// RUN: not fourfold-opt %s --roller-construct="target=@%S/Inputs/does-not-exist.target" 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: not fourfold-opt %s --roller-construct="target=@%s" 2>&1 | FileCheck %s --check-prefix=BADFILE
// RUN: not fourfold-opt %s --roller-construct='target={#roller.target<"x", gpu>}' 2>&1 | FileCheck %s --check-prefix=SYNTAX
// RUN: not fourfold-opt %s --roller-construct='target={#roller.target<"x", gpu, units = 0, blocks_per_unit = 1, threads_per_unit = 64, warp = 32, regs_per_unit = 1024, vector_bits = 128, levels = [#roller.level<"global", capacity = 1073741824, bandwidth = 1000, transaction = 32>, #roller.level<"shared", capacity = 65536, bandwidth = 10000, transaction = 128, banks = 32>], peak = {f32 = 1.0 : f64}>}' 2>&1 | FileCheck %s --check-prefix=INVALID
// RUN: not fourfold-opt %s --roller-construct='target={#roller.rtile<a = [1]>}' 2>&1 | FileCheck %s --check-prefix=NOT-A-TARGET

// CPU: module attributes {roller.target = #roller.target<"testcpu", cpu,
// CPU: linalg.matmul {roller.predicted_us = 7.520000e-01 : f64, roller.tile = #roller.rtile<L2 = [10, 64, 32], register = [5, 16, 8]>}
// SM90: module attributes {roller.target = #roller.target<"sm_90", gpu,
// SM90: linalg.matmul {roller.predicted_us = 0.25858585858585853 : f64, roller.tile = #roller.rtile<shared = [16, 16, 8], register = [1, 1, 1]>}

// NOFIT: remark: roller: no candidate tile fits two-regs; the operator keeps the default lowering
// NOFIT-NOT: roller.tile

// PIPELINE: llvm.func @matmul(
// PIPELINE: llvm.intr.fmuladd({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>

// HOST1: module attributes {roller.target = #roller.target<"host-{{[^"]*}}", cpu, units = 1,
// HOST0: error: roller-construct: invalid target 'host:0': expected host:N with N a positive number of cores
// UNKNOWN: error: roller-construct: unknown target 'sm_70'; known: sm_80, sm_90, host, a #roller.target<...> attribute, or @file
// EMPTY: error: roller-construct: unknown target ''; known: sm_80, sm_90, host
// NOFILE-NAME: error: roller-construct: invalid target '@': expected a file name after '@'
// NOFILE: error: roller-construct: cannot read target file '{{.*}}does-not-exist.target': {{.*}}
// BADFILE: error: roller-construct: target file '{{.*}}construct-target.mlir': column {{[0-9]+}}: expected attribute value
// SYNTAX: error: roller-construct: invalid target '#roller.target<"x", gpu>': column 24: expected ','
// INVALID: error: roller-construct: invalid target '#roller.target<"x", gpu, units = 0, {{.*}}': column {{[0-9]+}}: target 'x': units must be positive, got 0
// NOT-A-TARGET: error: roller-construct: unknown target '#roller.rtile<a = [1]>'

module attributes {roller.target = #roller.target<"testcpu", cpu, units = 4, blocks_per_unit = 1, threads_per_unit = 1, warp = 1, regs_per_unit = 16, vector_bits = 256, levels = [#roller.level<"dram", capacity = 17179869184, bandwidth = 64, transaction = 64>, #roller.level<"L3", capacity = 8388608, bandwidth = 128, transaction = 64>, #roller.level<"L2", capacity = 524288, bandwidth = 256, transaction = 64>, #roller.level<"L1", capacity = 32768, bandwidth = 512, transaction = 64>, #roller.level<"register", capacity = 512, bandwidth = 1536, transaction = 32>], peak = {f32 = 256.0 : f64, f64 = 128.0 : f64}>} {
  func.func @matmul(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
    %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
    return %r : tensor<37x53xf32>
  }
}
