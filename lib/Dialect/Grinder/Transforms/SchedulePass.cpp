//===- SchedulePass.cpp - --grinder-schedule ------------------------------===//
//
// Prices each outermost loop / branch under the three placements with the
// roofline of rammer's cost model and the target's launch and barrier costs,
// and places it where it is predicted fastest (and can be lowered).
//
//===----------------------------------------------------------------------===//

#include "Grinder/Constructs.h"
#include "Grinder/Passes.h"

#include "Rammer/Cost.h"
#include "Roller/Targets.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::fourfold::grinder {
#define GEN_PASS_DEF_GRINDERSCHEDULE
#include "Grinder/Passes.h.inc"
} // namespace mlir::fourfold::grinder

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::grinder;

namespace {
/// The predicted time of one execution of a construct under each placement.
struct Prediction {
  double host = 0, device = 0, block = 0;
  int64_t kernels = 0, utasks = 0; // tile loops and their iterations, static
  Prediction &operator+=(const Prediction &o) {
    host += o.host, device += o.device, block += o.block;
    kernels += o.kernels, utasks += o.utasks;
    return *this;
  }
  Prediction scaled(double n) const {
    return {host * n, device * n, block * n, kernels, utasks};
  }
};

struct Model {
  rammer::Rates rates;
  rammer::VDevice device;
  bool gpu = false;
  int64_t whileTrips = 16;
  /// Inside a CPU region, what a kernel costs beyond the bare barrier: its
  /// output moves between the cores' caches before the next kernel reads
  /// it. 0.7 us more per kernel, fitted on this project's dev machine (2
  /// cores) to the LSTM, Seq2Seq and BlockDrop loops at batch 64
  /// (bench/results/grinder-cpu.md: 0.8-1.0 us per kernel in all). A
  /// region per kernel (host) already pays it inside its measured 1.1 us.
  double handoffUs() const { return gpu ? 0.0 : 0.7; }

  static int64_t trips(ArrayRef<OpFoldResult> lbs, ArrayRef<OpFoldResult> ubs,
                       ArrayRef<OpFoldResult> steps) {
    int64_t n = 1;
    for (auto [l, u, s] : llvm::zip(lbs, ubs, steps)) {
      std::optional<int64_t> t = rammer::getConstantTrips(l, u, s);
      if (!t)
        return 1; // unknown: one uTask per dimension
      n *= *t;
    }
    return n;
  }

  Prediction tileLoop(Operation *op) const {
    int64_t units = 1;
    Block *body = nullptr;
    if (auto forall = dyn_cast<scf::ForallOp>(op)) {
      units = trips(forall.getMixedLowerBound(), forall.getMixedUpperBound(),
                    forall.getMixedStep());
      body = forall.getBody();
    } else {
      auto parallel = cast<scf::ParallelOp>(op);
      units = trips(getAsOpFoldResult(parallel.getLowerBound()),
                    getAsOpFoldResult(parallel.getUpperBound()),
                    getAsOpFoldResult(parallel.getStep()));
      body = parallel.getBody();
    }
    double unitUs = rates.us(rammer::estimateWork(*body));
    int64_t waves = llvm::divideCeil(units, std::max<int64_t>(1, device.veus));
    double spread = waves * (unitUs + device.taskUs);
    Prediction p;
    p.host = device.launchUs + spread;
    p.device = device.barrierUs + handoffUs() + spread;
    p.block = units * unitUs;
    p.kernels = 1;
    p.utasks = units;
    return p;
  }

  Prediction block(Block &block) const {
    Prediction p;
    for (Operation &op : block)
      p += this->op(&op);
    return p;
  }

  Prediction op(Operation *op) const {
    if (isTileLoop(op))
      return tileLoop(op);
    if (isConstruct(op) && holdsTileLoop(op))
      return construct(op);
    double us = rates.us(rammer::estimateWork(op));
    Prediction p{us, us, us, 0, 0};
    // One thread runs a write inside a device region; the rest wait.
    if (writesMemory(op) && !isa<memref::AllocOp, memref::DeallocOp>(op))
      p.device += device.barrierUs;
    return p;
  }

  /// A construct's control as the host drives it on a GPU: the predicate
  /// or trip condition travels back from the device.
  double hostReadback() const { return gpu ? device.launchUs : 0; }

  Prediction construct(Operation *op) const {
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      int64_t n = trips({loop.getLowerBound()}, {loop.getUpperBound()},
                        {loop.getStep()});
      return block(*loop.getBody()).scaled(n);
    }
    if (auto loop = dyn_cast<scf::WhileOp>(op)) {
      Prediction p = block(*loop.getBeforeBody());
      p += block(*loop.getAfterBody());
      p.host += hostReadback();
      return p.scaled(whileTrips);
    }
    // Branches: the slower side.
    Prediction worst;
    for (Region &region : op->getRegions())
      for (Block &b : region) {
        Prediction side = block(b);
        worst.host = std::max(worst.host, side.host);
        worst.device = std::max(worst.device, side.device);
        worst.block = std::max(worst.block, side.block);
        worst.kernels += side.kernels;
        worst.utasks += side.utasks;
      }
    worst.host += hostReadback();
    return worst;
  }
};
} // namespace

namespace {
struct GrinderSchedulePass
    : grinder::impl::GrinderScheduleBase<GrinderSchedulePass> {
  using GrinderScheduleBase::GrinderScheduleBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string error;
    FailureOr<roller::TargetAttr> targetAttr =
        roller::getTarget(&getContext(), target, error);
    if (failed(targetAttr)) {
      module.emitError() << "grinder-schedule: " << error;
      return signalPassFailure();
    }
    std::optional<Placement> forced;
    if (place != "auto") {
      forced = symbolizePlacement(place);
      if (!forced) {
        module.emitError() << "grinder-schedule: unknown placement '" << place
                           << "' (known: auto, host, device, block)";
        return signalPassFailure();
      }
    }
    if (trips <= 0) {
      module.emitError() << "grinder-schedule: trips must be > 0, got "
                         << static_cast<int64_t>(trips);
      return signalPassFailure();
    }
    Model model{rammer::getRates(*targetAttr), rammer::getVDevice(*targetAttr),
                targetAttr->getKind() == roller::TargetKind::gpu, trips};
    Builder b(&getContext());
    StringRef placeName = GrinderDialect::kPlaceAttrName;

    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      for (Operation &op : func.getBody().getOps()) {
        if (!isConstruct(&op) || op.hasAttr(placeName) || !holdsTileLoop(&op))
          continue;
        Prediction p = model.construct(&op);
        // The device region opens once.
        p.device += model.device.launchUs;
        std::string why;
        Operation *culprit = nullptr;
        bool deviceOk =
            succeeded(checkDeviceRegion(&op, why, culprit, model.gpu));

        Placement choice;
        if (forced) {
          choice = *forced;
          if (choice == Placement::device && !deviceOk) {
            InFlightDiagnostic diag =
                op.emitWarning() << "grinder-schedule: cannot place on the "
                                    "device: "
                                 << why << "; placed on the host";
            noteCulprit(diag, &op, culprit);
            choice = Placement::host;
          }
          // On the GPU one block is the same persistent launch.
          if (choice == Placement::block && model.gpu && !deviceOk)
            choice = Placement::host;
        } else if (model.gpu && !deviceOk) {
          choice = Placement::host;
        } else {
          choice = p.host <= p.block ? Placement::host : Placement::block;
          double best = std::min(p.host, p.block);
          if (deviceOk && p.device < best)
            choice = Placement::device;
        }
        op.setAttr(placeName, PlacementAttr::get(&getContext(), choice));
        op.setAttr(GrinderDialect::kEstimateAttrName,
                   b.getDictionaryAttr({
                       b.getNamedAttr("host_us", b.getF64FloatAttr(p.host)),
                       b.getNamedAttr("device_us", b.getF64FloatAttr(p.device)),
                       b.getNamedAttr("block_us", b.getF64FloatAttr(p.block)),
                       b.getNamedAttr("kernels", b.getI64IntegerAttr(p.kernels)),
                       b.getNamedAttr("utasks", b.getI64IntegerAttr(p.utasks)),
                   }));
        if (explain) {
          InFlightDiagnostic remark = op.emitRemark() << llvm::formatv(
              "grinder: {0} on the {1}: {2} kernels, {3} uTasks per execution; "
              "predicted {4:f2} us on the host, {5:f2} us on the device, "
              "{6:f2} us in one block",
              op.getName().getStringRef(), stringifyPlacement(choice),
              p.kernels, p.utasks, p.host, p.device, p.block);
          if (!deviceOk)
            remark << "; not on the device: " << why;
        }
      }
    }
  }
};
} // namespace
