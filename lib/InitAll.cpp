//===- InitAll.cpp - register every fourfold dialect, pass and pipeline --===//

#include "InitAll.h"

#include "Grinder/Grinder.h"
#include "Grinder/Passes.h"
#include "Pipelines/Pipelines.h"
#include "Rammer/Passes.h"
#include "Rammer/Rammer.h"
#include "Roller/Passes.h"
#include "Roller/Roller.h"
#include "Welder/Passes.h"
#include "Welder/Welder.h"

#include "mlir/IR/DialectRegistry.h"
#include <mutex>

void mlir::fourfold::registerAllDialects(DialectRegistry &registry) {
  registry.insert<roller::RollerDialect, welder::WelderDialect,
                  rammer::RammerDialect, grinder::GrinderDialect>();
}

void mlir::fourfold::registerAllPasses() {
  // fourfold-opt and the Python extension may both ask; the registry rejects
  // a second registration of the same name.
  static std::once_flag once;
  std::call_once(once, [] {
    roller::registerRollerPasses();
    welder::registerWelderPasses();
    rammer::registerRammerPasses();
    grinder::registerGrinderPasses();
    registerPipelines();
  });
}
