//===- Fourfold.cpp - C API of the fourfold dialects ---------------------===//

#include "CAPI/Fourfold.h"
#include "Grinder/Grinder.h"
#include "InitAll.h"
#include "Rammer/Rammer.h"
#include "Roller/Roller.h"
#include "Welder/Welder.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"

using namespace mlir::fourfold;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Roller, roller, roller::RollerDialect)
MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Welder, welder, welder::WelderDialect)
MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Rammer, rammer, rammer::RammerDialect)
MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Grinder, grinder, grinder::GrinderDialect)

void fourfoldRegisterAllDialects(MlirDialectRegistry registry) {
  mlir::fourfold::registerAllDialects(*unwrap(registry));
}

void fourfoldRegisterAllPasses(void) { mlir::fourfold::registerAllPasses(); }
