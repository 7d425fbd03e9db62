//===- Fourfold.cpp - C API of the fourfold dialects ---------------------===//

#include "CAPI/Fourfold.h"
#include "Grinder/Grinder.h"
#include "InitAll.h"
#include "Pipelines/Pipelines.h"
#include "Rammer/Rammer.h"
#include "Roller/Roller.h"
#include "Welder/Welder.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"

using namespace mlir::fourfold;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Roller, roller, roller::RollerDialect)
MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Welder, welder, welder::WelderDialect)
MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Rammer, rammer, rammer::RammerDialect)
MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Grinder, grinder, grinder::GrinderDialect)

void fourfoldRegisterAllDialects(MlirDialectRegistry registry) {
  mlir::fourfold::registerAllDialects(*unwrap(registry));
}

void fourfoldRegisterAllPasses(void) { mlir::fourfold::registerAllPasses(); }

MlirLogicalResult fourfoldGetPipelineStages(MlirStringRef name,
                                            MlirStringRef options,
                                            MlirStringCallback callback,
                                            void *userData) {
  std::string error;
  auto stages = getStages(unwrap(name), unwrap(options), error);
  if (mlir::failed(stages)) {
    callback(mlirStringRefCreate(error.data(), error.size()), userData);
    return mlirLogicalResultFailure();
  }
  for (const Stage &stage : *stages) {
    std::string line = stage.name + "\t" + stage.passes + "\n";
    callback(mlirStringRefCreate(line.data(), line.size()), userData);
  }
  return mlirLogicalResultSuccess();
}
