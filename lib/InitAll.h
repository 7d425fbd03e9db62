//===- InitAll.h - register every fourfold dialect, pass and pipeline ----===//

#ifndef FOURFOLD_INITALL_H
#define FOURFOLD_INITALL_H

namespace mlir {
class DialectRegistry;
namespace fourfold {
/// roller, welder, rammer and grinder.
void registerAllDialects(DialectRegistry &registry);
/// Every fourfold pass and the named pipelines (idempotent).
void registerAllPasses();
} // namespace fourfold
} // namespace mlir

#endif // FOURFOLD_INITALL_H
