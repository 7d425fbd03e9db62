//===- RammerDialect.cpp - rProgram ops and the schedule verifier --------===//

#include "Rammer/Rammer.h"
#include "Rammer/Dependences.h"

#include "Common/IsolatedBody.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::fourfold::rammer;

#include "Rammer/RammerDialect.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "Rammer/RammerAttrs.cpp.inc"
#define GET_OP_CLASSES
#include "Rammer/RammerOps.cpp.inc"

void RammerDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Rammer/RammerAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Rammer/RammerOps.cpp.inc"
      >();
}

LogicalResult VDeviceAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t veus) {
  if (veus <= 0)
    return emitError() << "vdevice needs at least one vEU, got " << veus;
  return success();
}

LogicalResult OperatorOp::verifyRegions() {
  return verifyIsolatedBody<YieldOp>(*this, getBody().front(), getInputs(),
                                     getResultTypes(), "the operator");
}

ScheduleOp ProgramOp::getSchedule() {
  for (Operation &op : getBody().front())
    if (auto schedule = dyn_cast<ScheduleOp>(op))
      return schedule;
  return {};
}

LogicalResult ProgramOp::verifyRegions() {
  Block &body = getBody().front();
  if (failed(verifyIsolatedBody<YieldOp>(*this, body, getInputs(),
                                         getResultTypes(), "the program")))
    return failure();

  llvm::StringMap<OperatorOp> operators;
  ScheduleOp schedule;
  for (Operation &op : body) {
    if (auto rop = dyn_cast<OperatorOp>(op)) {
      auto [it, inserted] = operators.try_emplace(rop.getSymName(), rop);
      if (!inserted)
        return (rop.emitOpError() << "name '" << rop.getSymName()
                                  << "' is already used in this program")
                   .attachNote(it->second.getLoc())
               << "first used here";
    } else if (auto s = dyn_cast<ScheduleOp>(op)) {
      if (schedule)
        return s.emitOpError("a program has at most one schedule");
      schedule = s;
    }
  }
  if (!schedule)
    return success();

  // Place every rTask, checking ranges and double-booking.
  int64_t veus = getVdevice().getVeus();
  // (operator, tile) -> step, and (veu, step) -> task.
  llvm::DenseMap<std::pair<Operation *, int64_t>, TaskOp> placed;
  llvm::DenseMap<std::pair<int64_t, int64_t>, TaskOp> booked;
  llvm::DenseMap<Operation *, std::pair<int64_t, int64_t>> stepRange; // min,max
  llvm::SmallVector<int64_t> barriers;
  for (Operation &op : schedule.getBody().front()) {
    if (auto barrier = dyn_cast<BarrierOp>(op)) {
      barriers.push_back(barrier.getStep());
      continue;
    }
    auto task = dyn_cast<TaskOp>(op);
    if (!task)
      return op.emitOpError("is not allowed in a rammer.schedule (only "
                            "rammer.task and rammer.barrier)");
    auto it = operators.find(task.getOpName());
    if (it == operators.end())
      return task.emitOpError() << "refers to unknown operator '"
                                << task.getOpName() << "'";
    OperatorOp rop = it->second;
    if (static_cast<int64_t>(task.getTile()) >= rop.getTasks())
      return task.emitOpError()
             << "rTask " << task.getTile() << " is out of range: operator '"
             << rop.getSymName() << "' has " << rop.getTasks() << " rTasks";
    if (static_cast<int64_t>(task.getVeu()) >= veus)
      return task.emitOpError() << "vEU " << task.getVeu()
                                << " is out of range: the vdevice has " << veus
                                << " vEUs";
    auto [pit, fresh] =
        placed.try_emplace({rop.getOperation(), task.getTile()}, task);
    if (!fresh)
      return (task.emitOpError() << "rTask '" << task.getOpName() << "'["
                                 << task.getTile() << "] is placed twice")
                 .attachNote(pit->second.getLoc())
             << "first placed here";
    auto [bit, free] = booked.try_emplace({task.getVeu(), task.getStep()}, task);
    if (!free)
      return (task.emitOpError()
              << "vEU " << task.getVeu() << " is double-booked at step "
              << task.getStep() << ": '" << bit->second.getOpName() << "'["
              << bit->second.getTile() << "] already runs there")
                 .attachNote(bit->second.getLoc())
             << "other rTask placed here";
    int64_t step = task.getStep();
    auto [rit, first] = stepRange.try_emplace(rop.getOperation(), step, step);
    if (!first) {
      rit->second.first = std::min(rit->second.first, step);
      rit->second.second = std::max(rit->second.second, step);
    }
  }
  llvm::sort(barriers);
  if (auto dup = llvm::adjacent_find(barriers); dup != barriers.end())
    return schedule.emitOpError() << "has two barriers at step " << *dup;

  // Every rTask of every operator is placed.
  for (auto &entry : operators) {
    OperatorOp rop = entry.second;
    for (int64_t t = 0; t < rop.getTasks(); ++t)
      if (!placed.count({rop.getOperation(), t}))
        return schedule.emitOpError() << "rTask '" << rop.getSymName() << "'["
                                      << t << "] is not placed";
  }

  // Dependencies: an rOperator reading another's result starts only after a
  // barrier that follows the producer's last step.
  auto barrierBetween = [&](int64_t after, int64_t upTo) {
    // A barrier at b orders steps < b before steps >= b.
    auto it = llvm::upper_bound(barriers, after);
    return it != barriers.end() && *it <= upTo;
  };
  // Program order is the sequential meaning: a later operator that reads a
  // value of an earlier one, or touches memory it writes (or writes memory it
  // reads), may start only after a barrier that follows its last step.
  SmallVector<OperatorOp> order;
  for (Operation &op : body)
    if (auto rop = dyn_cast<OperatorOp>(op))
      order.push_back(rop);
  SmallVector<MemoryAccess> access = llvm::map_to_vector(order, getOperatorAccess);
  for (auto [j, consumer] : llvm::enumerate(order)) {
    for (size_t i = 0; i < j; ++i) {
      OperatorOp producer = order[i];
      Dependence dependence =
          getDependence(producer, access[i], consumer, access[j]);
      if (dependence == Dependence::None)
        continue;
      int64_t producerLast = stepRange[producer.getOperation()].second;
      int64_t consumerFirst = stepRange[consumer.getOperation()].first;
      if (!barrierBetween(producerLast, consumerFirst))
        return schedule.emitOpError()
               << "operator '" << consumer.getSymName() << "' "
               << describe(dependence) << " '" << producer.getSymName()
               << "' but its first rTask (step " << consumerFirst
               << ") is not separated by a barrier from '"
               << producer.getSymName() << "''s last rTask (step "
               << producerLast << ")";
    }
  }
  return success();
}
