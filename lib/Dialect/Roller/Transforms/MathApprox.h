//===- MathApprox.h - roller-lower's math approximations -----------------===//

#ifndef FOURFOLD_ROLLER_TRANSFORMS_MATHAPPROX_H
#define FOURFOLD_ROLLER_TRANSFORMS_MATHAPPROX_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace mlir::fourfold::roller {

/// f32 math.erf (scalar or vector) as x * P(x^2) / Q(x^2) on x clamped to
/// [-4, 4], see MathApprox.cpp.
void populateRationalErfPattern(RewritePatternSet &patterns);

} // namespace mlir::fourfold::roller

#endif // FOURFOLD_ROLLER_TRANSFORMS_MATHAPPROX_H
