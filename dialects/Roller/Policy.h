//===- Policy.h - Roller's rTile construction and micro-performance model ===//
//
// The policy works on a plain description of an operator (OpInfo: static loop
// ranges, which loops reduce, how each operand is indexed, flops per point)
// so that it can be read, tested and reused without IR.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_ROLLER_POLICY_H
#define FOURFOLD_ROLLER_POLICY_H

#include "Roller/Roller.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace mlir::fourfold::roller {

/// One result expression of an operand's indexing map, as a sum of
/// coefficient x loop plus a constant (what convolution windows need).
struct IndexExpr {
  llvm::SmallVector<std::pair<unsigned, int64_t>> terms; // (loop, coefficient)
};

struct OperandInfo {
  llvm::SmallVector<IndexExpr> dims; // one per tensor dimension
  int64_t elemBytes = 4;
  bool isOutput = false;
  /// Elements between consecutive rows (steps of the next-to-last
  /// dimension) of the tensor the operand is sliced from; 0: unknown.
  int64_t rowStride = 0;
  /// Elements between consecutive steps of the first dimension of that
  /// tensor (an FCHW filter's f: C x KH x KW); 0: unknown.
  int64_t outerStride = 0;
};

struct OpInfo {
  llvm::SmallVector<int64_t> ranges;   // static trip count per loop
  llvm::SmallVector<bool> reduction;   // per loop
  llvm::SmallVector<OperandInfo> operands;
  double flopsPerPoint = 1;            // arithmetic ops per iteration point
  bool expandedMath = false;           // erf / tanh / exp...: long polynomial chains on the CPU
  bool isCopy = false;                 // the body yields its one input (a transpose, a copy)
  bool contraction = false;            // linalg's contraction interface (matmul-like)
  Type elemType;                       // of the output (picks the peak)
  unsigned numLoops() const { return ranges.size(); }
};

/// What the policy decides for one operator.
struct Candidate {
  llvm::SmallVector<std::string> levels;              // outermost first
  llvm::SmallVector<llvm::SmallVector<int64_t>> tiles; // per level, per loop
  double predictedUs = 0;
  std::string explanation; // the model's terms, for remarks
};

/// Describe `op` for the policy, or explain in `whyNot` why it cannot.
FailureOr<OpInfo> analyzeOp(linalg::LinalgOp op, std::string &whyNot);

/// Elements of `operand` touched by a tile of loop extents `tile`.
int64_t footprint(const OperandInfo &operand, llvm::ArrayRef<int64_t> tile);

/// Per loop: whether it is a window loop, a reduction sharing an input
/// dimension with another loop (a convolution's or pooling's kh, kw).
llvm::SmallVector<bool> windowLoops(const OpInfo &info);

/// The parallel loop that walks the output's contiguous dimension (the CPU
/// register tile's vector loop), if any.
std::optional<unsigned> vectorLoop(const OpInfo &info);

/// Whether that loop also slides a window over an input: an NCHW
/// convolution's or pooling's ow (vectors along image rows, not channels).
bool vectorAlongWindow(const OpInfo &info);

/// Ranked candidates (best first, at most topK) for a target.
llvm::SmallVector<Candidate> constructGPU(const OpInfo &info, TargetAttr target,
                                          unsigned topK);
llvm::SmallVector<Candidate> constructCPU(const OpInfo &info, TargetAttr target,
                                          unsigned topK);

/// The micro-performance model's time, in microseconds, of a GPU block tile
/// `block` (reduction entries are steps) with per-thread tile `thread`.
double modelGPU(const OpInfo &info, TargetAttr target,
                llvm::ArrayRef<int64_t> block, llvm::ArrayRef<int64_t> thread,
                std::string *explanation = nullptr);
/// CPU: the inputs (operand numbers) that roller-lower should copy into
/// contiguous panels as wide as the register tile along the vector loop,
/// once per cache tile and reduction step (matmul's B, [1..., k, n]): those
/// whose panel is reused by enough register tiles and fits L2.
llvm::SmallVector<unsigned> packedOperands(const OpInfo &info, TargetAttr target,
                                           llvm::ArrayRef<int64_t> cache,
                                           llvm::ArrayRef<int64_t> reg);
/// CPU, an operator whose vector loop slides along an image row (NCHW
/// convolutions): the inputs whose rows the register tile broadcasts from
/// crowd into one L1 set (a 1x1 filter of 1024 channels: 16 rows 4 KiB
/// apart), each with the number of elements to pad its second dimension by
/// so that they do not (roller-construct copies such a filter into a
/// buffer with that longer row once per call).
llvm::SmallVector<std::pair<unsigned, int64_t>>
paddedRowOperands(const OpInfo &info, llvm::ArrayRef<int64_t> reg);
/// The same for a CPU cache tile `cache` with register tile `reg`.
double modelCPU(const OpInfo &info, TargetAttr target,
                llvm::ArrayRef<int64_t> cache, llvm::ArrayRef<int64_t> reg,
                std::string *explanation = nullptr);

} // namespace mlir::fourfold::roller

#endif // FOURFOLD_ROLLER_POLICY_H
