//===- Scheduler.cpp - wavefront and critical-path placement -------------===//

#include "Rammer/Scheduler.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <numeric>

using namespace mlir::fourfold::rammer;
using llvm::ArrayRef;
using llvm::SmallVector;

double Kernel::taskUs(int64_t t, double overheadUs) const {
  int64_t n = std::min(chunk, units - t * chunk);
  return n * unitUs + overheadUs;
}

std::optional<Policy>
mlir::fourfold::rammer::parsePolicy(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Policy>>(name)
      .Case("wavefront", Policy::Wavefront)
      .Case("critical-path", Policy::CriticalPath)
      .Default(std::nullopt);
}

double mlir::fourfold::rammer::unscheduledTime(ArrayRef<Kernel> kernels,
                                               const VDevice &device) {
  double total = 0;
  for (const Kernel &k : kernels) {
    // A parallel loop alone: every vEU takes a contiguous share of the units.
    int64_t waves = (k.units + device.veus - 1) / device.veus;
    total += (k.launches ? device.launchUs : 0) +
             (k.launches ? waves : k.units) * k.unitUs;
  }
  return total;
}

namespace {
/// A segment's rTasks packed onto the vEUs.
struct Packing {
  SmallVector<double> load;                          // per vEU
  SmallVector<SmallVector<std::pair<unsigned, int64_t>>> lists; // per vEU
  double makespan() const {
    return load.empty() ? 0 : *std::max_element(load.begin(), load.end());
  }
};
} // namespace

/// Wavefront: kernels in order, each rTask on the least-loaded vEU (lowest
/// index first), as Rammer's policy fills vEUs in turn. Critical-path:
/// longest rTask first (LPT), which balances better.
static Packing pack(ArrayRef<Kernel> kernels, ArrayRef<unsigned> members,
                    ArrayRef<int64_t> chunk, const VDevice &device,
                    Policy policy) {
  struct Task {
    unsigned kernel;
    int64_t index;
    double us;
  };
  SmallVector<Task> tasks;
  for (unsigned k : members) {
    Kernel kernel = kernels[k];
    kernel.chunk = chunk[k];
    for (int64_t t = 0; t < kernel.tasks(); ++t)
      tasks.push_back({k, t, kernel.taskUs(t, device.taskUs)});
  }
  if (policy == Policy::CriticalPath)
    std::stable_sort(tasks.begin(), tasks.end(),
                     [](const Task &a, const Task &b) { return a.us > b.us; });
  Packing p;
  p.load.assign(device.veus, 0.0);
  p.lists.resize(device.veus);
  for (const Task &t : tasks) {
    auto least = std::min_element(p.load.begin(), p.load.end());
    size_t v = least - p.load.begin();
    *least += t.us;
    p.lists[v].push_back({t.kernel, t.index});
  }
  return p;
}

/// Coarsens the rTasks of a segment's kernels (doubling units per rTask)
/// while that does not lengthen the segment: with more rTasks than vEUs, a
/// longer rTask costs nothing and saves a dispatch.
static void chooseVariants(ArrayRef<Kernel> kernels, ArrayRef<unsigned> members,
                           SmallVector<int64_t> &chunk, const VDevice &device,
                           Policy policy) {
  double best = pack(kernels, members, chunk, device, policy).makespan();
  while (true) {
    int bestKernel = -1;
    double bestTime = best;
    for (unsigned k : members) {
      if (!kernels[k].coarsen || chunk[k] >= kernels[k].units)
        continue;
      int64_t old = chunk[k];
      chunk[k] = std::min(old * 2, kernels[k].units);
      double t = pack(kernels, members, chunk, device, policy).makespan();
      chunk[k] = old;
      if (t <= bestTime * (1 + 1e-9) &&
          (bestKernel < 0 || t < bestTime)) {
        bestKernel = k;
        bestTime = t;
      }
    }
    if (bestKernel < 0)
      return;
    chunk[bestKernel] = std::min(chunk[bestKernel] * 2, kernels[bestKernel].units);
    best = bestTime;
  }
}

/// Breadth-first waves: a kernel's level is one past its deepest predecessor.
static SmallVector<unsigned> asapLevels(ArrayRef<Kernel> kernels) {
  SmallVector<unsigned> level(kernels.size(), 0);
  for (auto [k, kernel] : llvm::enumerate(kernels))
    for (unsigned p : kernel.preds)
      level[k] = std::max(level[k], level[p] + 1);
  return level;
}

/// Critical-path placement: the kernels with the most work choose first,
/// each the segment within its current slack where the segment's lower
/// bound (work / vEUs, or its longest rTask) grows least.
static SmallVector<unsigned> slackLevels(ArrayRef<Kernel> kernels,
                                         const VDevice &device) {
  size_t n = kernels.size();
  SmallVector<unsigned> asap = asapLevels(kernels);
  unsigned levels = n ? *std::max_element(asap.begin(), asap.end()) + 1 : 0;
  SmallVector<SmallVector<unsigned>> succs(n);
  for (auto [k, kernel] : llvm::enumerate(kernels))
    for (unsigned p : kernel.preds)
      succs[p].push_back(k);

  SmallVector<int> seg(n, -1);
  SmallVector<double> work(n), longest(n);
  for (auto [k, kernel] : llvm::enumerate(kernels)) {
    work[k] = kernel.units * kernel.unitUs + kernel.tasks() * device.taskUs;
    longest[k] = kernel.taskUs(0, device.taskUs);
  }
  SmallVector<double> segWork(levels, 0), segLongest(levels, 0);
  auto bound = [&](unsigned s, double w, double l) {
    return std::max((segWork[s] + w) / device.veus, std::max(segLongest[s], l));
  };

  SmallVector<unsigned> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](unsigned a, unsigned b) {
    return work[a] > work[b];
  });
  for (unsigned k : order) {
    // Earliest and latest segments given what is already placed (kernels
    // come in a topological order, so one sweep each way suffices).
    SmallVector<int> lo(n, 0), hi(n, levels - 1);
    for (size_t i = 0; i < n; ++i) {
      for (unsigned p : kernels[i].preds)
        lo[i] = std::max(lo[i], lo[p] + 1);
      if (seg[i] >= 0)
        lo[i] = seg[i];
    }
    for (size_t i = n; i-- > 0;) {
      for (unsigned s : succs[i])
        hi[i] = std::min(hi[i], hi[s] - 1);
      if (seg[i] >= 0)
        hi[i] = seg[i];
    }
    int best = lo[k];
    double bestGrowth = 0;
    for (int s = lo[k]; s <= hi[k]; ++s) {
      double growth = bound(s, work[k], longest[k]) - bound(s, 0, 0);
      if (s == lo[k] || growth < bestGrowth - 1e-12) {
        best = s;
        bestGrowth = growth;
      }
    }
    seg[k] = best;
    segWork[best] += work[k];
    segLongest[best] = std::max(segLongest[best], longest[k]);
  }
  return SmallVector<unsigned>(seg.begin(), seg.end());
}

Schedule mlir::fourfold::rammer::schedule(ArrayRef<Kernel> kernels,
                                          const VDevice &device, Policy policy,
                                          bool variants) {
  Schedule result;
  result.unscheduledUs = unscheduledTime(kernels, device);
  for (const Kernel &k : kernels)
    result.chunk.push_back(k.chunk);
  result.segment = policy == Policy::Wavefront ? asapLevels(kernels)
                                               : slackLevels(kernels, device);
  // Drop empty segments.
  SmallVector<unsigned> used(result.segment.begin(), result.segment.end());
  llvm::sort(used);
  used.erase(std::unique(used.begin(), used.end()), used.end());
  for (unsigned &s : result.segment)
    s = llvm::lower_bound(used, s) - used.begin();
  result.segments = used.size();

  int64_t step = 0;
  double time = result.segments ? device.launchUs : 0;
  for (unsigned s = 0; s < result.segments; ++s) {
    SmallVector<unsigned> members;
    for (auto [k, seg] : llvm::enumerate(result.segment))
      if (seg == s)
        members.push_back(k);
    if (variants)
      chooseVariants(kernels, members, result.chunk, device, policy);
    Packing p = pack(kernels, members, result.chunk, device, policy);
    if (s > 0) {
      result.barriers.push_back(step);
      time += device.barrierUs;
    }
    int64_t depth = 0;
    for (auto [v, list] : llvm::enumerate(p.lists)) {
      double t = time;
      for (auto [i, task] : llvm::enumerate(list)) {
        Kernel kernel = kernels[task.first];
        kernel.chunk = result.chunk[task.first];
        double us = kernel.taskUs(task.second, device.taskUs);
        result.placements.push_back({task.first, task.second,
                                     static_cast<int64_t>(v),
                                     step + static_cast<int64_t>(i), t, t + us});
        t += us;
      }
      depth = std::max<int64_t>(depth, list.size());
    }
    step += depth;
    time += p.makespan();
  }
  result.makespanUs = time;
  return result;
}
