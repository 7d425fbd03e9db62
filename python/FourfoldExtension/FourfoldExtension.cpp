//===- FourfoldExtension.cpp - fourfold's site initializer ---------------===//
//
// Loaded by the MLIR Python package at import (it probes `_site_initialize_N`
// modules): registers fourfold's passes and pipelines once, and inserts the
// four dialects into the registry every Context is created with.
//
//===----------------------------------------------------------------------===//

#include "CAPI/Fourfold.h"
#include "Pipelines/Pipelines.h"

#include "mlir/Bindings/Python/Nanobind.h"
#include "mlir/Bindings/Python/NanobindAdaptors.h"
#include "llvm/ADT/StringRef.h"

namespace nb = nanobind;

NB_MODULE(_site_initialize_0, m) {
  m.doc() = "Registers the roller, welder, rammer and grinder dialects and "
            "fourfold's passes in every Context.";
  fourfoldRegisterAllPasses();
  m.def(
      "register_dialects",
      [](MlirDialectRegistry registry) { fourfoldRegisterAllDialects(registry); },
      nb::arg("registry"));
  m.def(
      "pipeline_stages",
      [](const std::string &name, const std::string &options) {
        std::string text;
        MlirLogicalResult result = fourfoldGetPipelineStages(
            mlirStringRefCreate(name.data(), name.size()),
            mlirStringRefCreate(options.data(), options.size()),
            [](MlirStringRef chunk, void *user) {
              static_cast<std::string *>(user)->append(chunk.data,
                                                       chunk.length);
            },
            &text);
        if (mlirLogicalResultIsFailure(result))
          throw nb::value_error(text.c_str());
        nb::list stages;
        llvm::StringRef rest(text);
        while (!rest.empty()) {
          auto [line, tail] = rest.split('\n');
          auto [stage, passes] = line.split('\t');
          stages.append(nb::make_tuple(stage.str(), passes.str()));
          rest = tail;
        }
        return stages;
      },
      nb::arg("name"), nb::arg("options") = "",
      "The stages of fourfold pipeline `name` ('cpu' or 'gpu') as (name, "
      "pass pipeline) pairs.");
  m.def(
      "supported_chips",
      [] {
        nb::list chips;
        for (llvm::StringRef chip : mlir::fourfold::getSupportedChips())
          chips.append(chip.str());
        return chips;
      },
      "GPU chips the gpu pipeline accepts.");
}
