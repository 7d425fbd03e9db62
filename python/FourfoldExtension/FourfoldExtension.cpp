//===- FourfoldExtension.cpp - fourfold's site initializer ---------------===//
//
// Loaded by the MLIR Python package at import (it probes `_site_initialize_N`
// modules): registers fourfold's passes and pipelines once, and inserts the
// four dialects into the registry every Context is created with.
//
//===----------------------------------------------------------------------===//

#include "CAPI/Fourfold.h"

#include "mlir/Bindings/Python/Nanobind.h"
#include "mlir/Bindings/Python/NanobindAdaptors.h"

namespace nb = nanobind;

NB_MODULE(_site_initialize_0, m) {
  m.doc() = "Registers the roller, welder, rammer and grinder dialects and "
            "fourfold's passes in every Context.";
  fourfoldRegisterAllPasses();
  m.def(
      "register_dialects",
      [](MlirDialectRegistry registry) { fourfoldRegisterAllDialects(registry); },
      nb::arg("registry"));
}
