//===- Fourfold.h - C API of the fourfold dialects -----------------------===//

#ifndef FOURFOLD_CAPI_FOURFOLD_H
#define FOURFOLD_CAPI_FOURFOLD_H

#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Roller, roller);
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Welder, welder);
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Rammer, rammer);
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Grinder, grinder);

/// Inserts the four fourfold dialects into `registry`.
MLIR_CAPI_EXPORTED void fourfoldRegisterAllDialects(MlirDialectRegistry registry);
/// Registers every fourfold pass and pipeline (idempotent).
MLIR_CAPI_EXPORTED void fourfoldRegisterAllPasses(void);

#ifdef __cplusplus
}
#endif

#endif // FOURFOLD_CAPI_FOURFOLD_H
