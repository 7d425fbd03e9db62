//===- Targets.cpp - device descriptions for roller's tile policy --------===//
//
// The named targets (sm_80, sm_90, host), user-written #roller.target
// attributes (inline or "@file"), and the lookup of the target attached to an
// operation. See Targets.h.
//
// Conventions (those of #roller.level, RollerAttrs.td): capacities in bytes;
// the outermost level is the whole device, inner levels are per compute unit
// (SM, CPU core) unless a comment says otherwise; bandwidth in GB/s (1e9 B/s)
// for the whole device; peak in GFLOP/s for the whole device, keyed by the
// MLIR element type name.
//
//===----------------------------------------------------------------------===//

#include "Roller/Targets.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <thread>
#include <utility>

#include <sys/utsname.h>
#include <unistd.h>

using namespace mlir;
using namespace mlir::fourfold::roller;

namespace {

//===----------------------------------------------------------------------===//
// Plain descriptions, turned into attributes per context
//===----------------------------------------------------------------------===//

struct LevelDesc {
  std::string name;
  int64_t capacity;
  double bandwidth; // GB/s, whole device
  int64_t transaction;
  int64_t banks = 0;
};

struct TargetDesc {
  std::string name;
  TargetKind kind;
  int64_t units;
  int64_t blocksPerUnit;
  int64_t threadsPerUnit;
  int64_t warp;
  int64_t regsPerUnit;
  int64_t vectorBits;
  std::vector<LevelDesc> levels; // outermost first
  std::vector<std::pair<std::string, double>> peak; // type name -> GFLOP/s
};

constexpr int64_t KiB = 1024;
constexpr int64_t MiB = 1024 * KiB;
constexpr int64_t GiB = 1024 * MiB;

/// Derived figures are rounded to `decimals` places so that they print as
/// short decimals (the printer writes the shortest form that reads back the
/// same double; dividing the rounded integer gives exactly that double).
double roundTo(double value, int decimals) {
  double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

/// GB/s of `bytesPerClock` per unit across `units` units at `ghz`.
double gbps(double bytesPerClock, int64_t units, double ghz) {
  return roundTo(bytesPerClock * static_cast<double>(units) * ghz, 2);
}

TargetAttr buildTarget(MLIRContext *context, const TargetDesc &desc) {
  SmallVector<Attribute> levels;
  for (const LevelDesc &level : desc.levels)
    levels.push_back(MemoryLevelAttr::get(
        context, level.name, level.capacity, llvm::APFloat(level.bandwidth),
        level.transaction, level.banks));
  auto f64 = Float64Type::get(context);
  SmallVector<NamedAttribute> peak;
  for (const auto &[type, gflops] : desc.peak)
    peak.emplace_back(StringAttr::get(context, type),
                      FloatAttr::get(f64, gflops));
  return TargetAttr::get(context, desc.name, desc.kind, desc.units,
                         desc.blocksPerUnit, desc.threadsPerUnit, desc.warp,
                         desc.regsPerUnit, desc.vectorBits,
                         ArrayAttr::get(context, levels),
                         DictionaryAttr::get(context, peak));
}

//===----------------------------------------------------------------------===//
// sm_80: NVIDIA A100-SXM4-80GB
//===----------------------------------------------------------------------===//
//
// Public figures: NVIDIA A100 Tensor Core GPU Architecture whitepaper and the
// A100 80GB datasheet; CUDA C Programming Guide, compute capability 8.0.

TargetDesc describeSm80() {
  constexpr int64_t sms = 108;
  constexpr double boostGHz = 1.41; // 1410 MHz boost clock
  TargetDesc t;
  t.name = "sm_80";
  t.kind = TargetKind::gpu;
  t.units = sms;
  t.blocksPerUnit = 32;     // max resident blocks per SM (CC 8.0)
  t.threadsPerUnit = 2048;  // max resident threads per SM
  t.warp = 32;
  t.regsPerUnit = 65536;    // 32-bit registers per SM
  t.vectorBits = 128;       // widest global/shared access: LDG.128 / LDS.128
  t.levels = {
      // HBM2e, 80 GiB, 2039 GB/s (A100 80GB SXM datasheet). 32 B is one
      // global-memory sector.
      {"global", 80 * GiB, 2039, 32},
      // 40 MiB L2. Bandwidth derived from the whitepaper's L2 read bandwidth
      // of 5120 bytes/clock (its V100 comparison: 2048 bytes/clock) at the
      // 1410 MHz boost clock: 5120 x 1.41 = 7219.2 GB/s. A peak: measured
      // L2 throughput is lower, and the L2 is two partitions, each fastest
      // for the SMs next to it. Sector transactions of 32 B.
      {"L2", 40 * MiB, roundTo(5120 * boostGHz, 2), 32},
      // Shared memory: up to 164 KiB of the 192 KiB L1/shared array per SM
      // can be given to blocks (167936 B). 32 banks x 4 B per clock per SM:
      // 32 x 4 x 108 x 1.41 = 19491.84 GB/s. A warp-wide 128 B access is
      // the conflict-free transaction.
      {"shared", 164 * KiB, gbps(32 * 4, sms, boostGHz), 128, 32},
      // Register file: 65536 x 4 B = 256 KiB per SM. Bandwidth derived as
      // the operand reads that keep every FP32 lane busy with an FFMA (three
      // 4 B sources): 64 lanes x 12 B = 768 B/clock per SM, so
      // 768 x 108 x 1.41 = 116951.04 GB/s. One 32-bit register per access.
      {"register", 65536 * 4, gbps(64 * 3 * 4, sms, boostGHz), 4},
  };
  t.peak = {
      {"f32", 19500},   // FP32 on CUDA cores (no TF32)
      {"f64", 9700},    // FP64 on CUDA cores (DFMA); 19500 only via the
                        // FP64 tensor cores (DMMA), which the code roller
                        // emits does not use
      {"f16", 312000},  // FP16 tensor cores, dense (624000 with sparsity)
      {"bf16", 312000}, // BF16 tensor cores, dense
      {"i8", 624000},   // INT8 tensor cores, dense: 624 TOPS, in GOP/s
  };
  return t;
}

//===----------------------------------------------------------------------===//
// sm_90: NVIDIA H100-SXM5-80GB
//===----------------------------------------------------------------------===//
//
// Public figures: NVIDIA H100 Tensor Core GPU Architecture whitepaper and the
// H100 SXM5 datasheet; CUDA C Programming Guide, compute capability 9.0.

TargetDesc describeSm90() {
  constexpr int64_t sms = 132;
  constexpr double boostGHz = 1.98; // 1980 MHz max boost clock (SXM5)
  TargetDesc t;
  t.name = "sm_90";
  t.kind = TargetKind::gpu;
  t.units = sms;
  t.blocksPerUnit = 32;     // max resident blocks per SM (CC 9.0)
  t.threadsPerUnit = 2048;  // max resident threads per SM
  t.warp = 32;
  t.regsPerUnit = 65536;    // 32-bit registers per SM
  t.vectorBits = 128;       // LDG.128 / LDS.128
  t.levels = {
      // HBM3, 80 GiB, 3350 GB/s (H100 SXM5 datasheet). A device-to-device
      // copy measured about 3.0 TB/s on the lent H100 on 2026-11-13 (as
      // reported to us; not re-measured for this file), so expect ~90% of
      // this in practice. 32 B global-memory sectors.
      {"global", 80 * GiB, 3350, 32},
      // 50 MiB L2. NVIDIA publishes no L2 bandwidth for Hopper, so this is
      // an ESTIMATE, an upper bound: 64 B/clock from L2 into each SM's L1
      // (assumed, not documented), 64 x 132 x 1.98 = 16727.04 GB/s. Measure
      // it and override with your own #roller.target where it matters.
      {"L2", 50 * MiB, gbps(64, sms, boostGHz), 32},
      // Shared memory: up to 228 KiB of the 256 KiB L1/shared array per SM
      // (233472 B). 32 banks x 4 B per clock per SM: 32 x 4 x 132 x 1.98 =
      // 33454.08 GB/s.
      {"shared", 228 * KiB, gbps(32 * 4, sms, boostGHz), 128, 32},
      // Register file: 256 KiB per SM. Derived like sm_80's: 128 FP32 lanes
      // x 3 sources x 4 B = 1536 B/clock per SM, so 1536 x 132 x 1.98 =
      // 401448.96 GB/s.
      {"register", 65536 * 4, gbps(128 * 3 * 4, sms, boostGHz), 4},
  };
  t.peak = {
      {"f32", 66900},    // FP32 on CUDA cores
      {"f64", 33500},    // FP64 on CUDA cores; 67000 via FP64 tensor cores,
                         // which roller's code does not use
      {"f16", 989400},   // FP16 tensor cores, dense (about 1979000 sparse)
      {"bf16", 989400},  // BF16 tensor cores, dense
      {"i8", 1978900},   // INT8 tensor cores, dense: 1978.9 TOPS, in GOP/s
  };
  return t;
}

//===----------------------------------------------------------------------===//
// host: the machine we run on, from /proc and /sys
//===----------------------------------------------------------------------===//

/// Contents of `root + path`, or nullopt if it cannot be read.
std::optional<std::string> readText(StringRef root, const Twine &path) {
  auto buffer = llvm::MemoryBuffer::getFileAsStream(root + path);
  if (!buffer)
    return std::nullopt;
  return (*buffer)->getBuffer().str();
}

std::optional<int64_t> readInteger(StringRef root, const Twine &path) {
  std::optional<std::string> text = readText(root, path);
  int64_t value;
  if (!text || StringRef(*text).trim().getAsInteger(10, value))
    return std::nullopt;
  return value;
}

/// A CPU list as the kernel writes it: "0-3,8,10-11".
std::vector<int64_t> parseCpuList(StringRef text) {
  std::vector<int64_t> cpus;
  SmallVector<StringRef> ranges;
  text.trim().split(ranges, ',', -1, /*KeepEmpty=*/false);
  for (StringRef range : ranges) {
    auto [first, last] = range.trim().split('-');
    int64_t lo, hi;
    if (first.getAsInteger(10, lo))
      continue;
    if (last.empty())
      hi = lo;
    else if (last.getAsInteger(10, hi))
      continue;
    // A bound against a corrupt file; no machine has a million CPUs online.
    for (int64_t cpu = lo; cpu <= hi && cpus.size() < (1u << 20); ++cpu)
      cpus.push_back(cpu);
  }
  return cpus;
}

/// Cache sizes as sysfs writes them: "48K", "1024K", "32M", or bytes.
std::optional<int64_t> parseSize(StringRef text) {
  text = text.trim();
  int64_t scale = 1;
  if (text.consume_back("K"))
    scale = KiB;
  else if (text.consume_back("M"))
    scale = MiB;
  else if (text.consume_back("G"))
    scale = GiB;
  int64_t value;
  if (text.getAsInteger(10, value) || value <= 0)
    return std::nullopt;
  return value * scale;
}

/// "AMD EPYC 7763 64-Core Processor" -> "AMD-EPYC-7763-64-Core-Processor".
std::string tokenize(StringRef text) {
  std::string out = text.str();
  for (StringRef drop : {"(R)", "(r)", "(TM)", "(tm)"})
    for (size_t at; (at = out.find(drop.str())) != std::string::npos;)
      out.erase(at, drop.size());
  std::string token;
  for (char c : out) {
    if (llvm::isAlnum(c) || c == '.' || c == '_')
      token.push_back(c);
    else if (!token.empty() && token.back() != '-')
      token.push_back('-');
  }
  while (!token.empty() && token.back() == '-')
    token.pop_back();
  if (token.size() > 48)
    token.resize(48);
  while (!token.empty() && token.back() == '-')
    token.pop_back();
  return token;
}

/// What the host probe found, before it becomes an attribute.
TargetDesc probeHost(StringRef root) {
  // --- /proc/cpuinfo: ISA flags, model name, current clock.
  std::string arch = "unknown";
  {
    struct utsname u;
    if (uname(&u) == 0 && u.machine[0])
      arch = u.machine;
  }
  llvm::StringSet<> flags;
  std::string model;
  double cpuinfoMHz = 0;
  if (std::optional<std::string> cpuinfo = readText(root, "/proc/cpuinfo")) {
    SmallVector<StringRef> lines;
    StringRef(*cpuinfo).split(lines, '\n');
    bool sawFlags = false;
    for (StringRef line : lines) {
      auto [key, value] = line.split(':');
      key = key.trim();
      value = value.trim();
      // x86 says "flags", aarch64 says "Features"; the first CPU's suffice.
      if ((key == "flags" || key == "Features") && !sawFlags) {
        sawFlags = true;
        SmallVector<StringRef> words;
        value.split(words, ' ', -1, /*KeepEmpty=*/false);
        for (StringRef word : words)
          flags.insert(word);
      } else if (key == "model name" && model.empty()) {
        model = value.str();
      } else if (key == "cpu MHz" && cpuinfoMHz == 0) {
        double mhz;
        if (!value.getAsDouble(mhz) && mhz > 0)
          cpuinfoMHz = mhz;
      }
    }
  }
  bool isX86 = arch == "x86_64" || arch == "i686" || arch == "i386";
  bool isArm = arch == "aarch64" || arch == "arm64";

  // --- Vector ISA: width and register count.
  // The widest SIMD the flags advertise. avx512f is taken at 512 bits even
  // where a core executes it as two 256-bit halves (Zen 4, where the f32 and
  // f64 peaks below are then twice the truth): we describe the ISA. Without
  // /proc/cpuinfo we fall back to each architecture's baseline (SSE2 on
  // x86_64, ASIMD on aarch64), and to 128 bits elsewhere.
  int64_t vectorBits = 128;
  int64_t vectorRegs = 16;
  std::string isa = "sse2";
  if (isX86) {
    if (flags.contains("avx512f")) {
      vectorBits = 512, vectorRegs = 32, isa = "avx512";
    } else if (flags.contains("avx2") && flags.contains("fma")) {
      vectorBits = 256, isa = "avx2";
    }
    // 32-bit x86 has only xmm0-xmm7.
    if (arch != "x86_64")
      vectorRegs = std::min<int64_t>(vectorRegs, 8);
  } else if (isArm) {
    // ASIMD is baseline on aarch64, with 32 vector registers v0-v31. SVE's
    // width is not in /proc/cpuinfo, so SVE is described as 128 bits.
    vectorRegs = 32;
    isa = "asimd";
  } else {
    isa = "generic";
  }
  const int64_t vectorBytes = vectorBits / 8;

  // --- Cores: physical ones, SMT siblings counted once.
  // units = distinct (physical_package_id, core_id) pairs among the online
  // CPUs; threads_per_unit = online CPUs per physical core (1 without SMT, 2
  // with 2-way SMT; rounded, at least 1). Where topology cannot be read,
  // every online CPU is taken as a core with one thread.
  std::vector<int64_t> online;
  if (std::optional<std::string> text =
          readText(root, "/sys/devices/system/cpu/online"))
    online = parseCpuList(*text);
  if (online.empty()) {
    long n = root.empty() ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
    for (long cpu = 0; cpu < std::max(n, 1L); ++cpu)
      online.push_back(cpu);
  }
  std::set<std::pair<int64_t, int64_t>> cores;
  bool topologyKnown = true;
  for (int64_t cpu : online) {
    std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu);
    std::optional<int64_t> core = readInteger(root, dir + "/topology/core_id");
    std::optional<int64_t> package =
        readInteger(root, dir + "/topology/physical_package_id");
    if (!core || !package) {
      topologyKnown = false;
      break;
    }
    cores.insert({*package, *core});
  }
  int64_t logical = static_cast<int64_t>(online.size());
  int64_t units = topologyKnown ? static_cast<int64_t>(cores.size()) : logical;
  units = std::max<int64_t>(units, 1);
  int64_t threadsPerCore =
      std::max<int64_t>(1, (logical + units / 2) / units);

  // --- Clock.
  // The maximum clock cpufreq reports (usually including boost), else the
  // first "cpu MHz" of /proc/cpuinfo (the current clock; in a VM usually the
  // nominal one), else 2.0 GHz, an assumption.
  double ghz = 2.0;
  if (std::optional<int64_t> khz = readInteger(
          root, "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
      khz && *khz > 0)
    ghz = static_cast<double>(*khz) / 1e6;
  else if (cpuinfoMHz > 0)
    ghz = cpuinfoMHz / 1e3;

  // --- Caches of cpu0, from sysfs.
  struct Cache {
    int64_t size;
    int64_t line;
  };
  std::optional<Cache> caches[4]; // L1 (data), L2, L3 by level
  for (int index = 0; index < 16; ++index) {
    std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
    std::optional<int64_t> level = readInteger(root, dir + "/level");
    std::optional<std::string> type = readText(root, dir + "/type");
    std::optional<std::string> size = readText(root, dir + "/size");
    if (!level || !type || !size)
      continue; // a gap or the end; indices are dense in practice
    StringRef kind = StringRef(*type).trim();
    if (*level < 1 || *level > 3 || (kind != "Data" && kind != "Unified"))
      continue;
    std::optional<int64_t> bytes = parseSize(*size);
    if (!bytes)
      continue;
    int64_t line =
        readInteger(root, dir + "/coherency_line_size").value_or(64);
    if (line <= 0 || !llvm::isPowerOf2_64(line))
      line = 64;
    caches[*level] = Cache{*bytes, line};
  }

  // --- Memory.
  int64_t dramBytes = 0;
  if (std::optional<std::string> meminfo = readText(root, "/proc/meminfo")) {
    SmallVector<StringRef> lines;
    StringRef(*meminfo).split(lines, '\n');
    for (StringRef line : lines) {
      if (!line.consume_front("MemTotal:"))
        continue;
      line = line.trim();
      line.consume_back("kB");
      int64_t kb;
      if (!line.trim().getAsInteger(10, kb) && kb > 0)
        dramBytes = kb * KiB;
      break;
    }
  }
  if (dramBytes <= 0) {
    long pages = root.empty() ? sysconf(_SC_PHYS_PAGES) : -1;
    long pageSize = root.empty() ? sysconf(_SC_PAGESIZE) : -1;
    dramBytes = pages > 0 && pageSize > 0
                    ? static_cast<int64_t>(pages) * pageSize
                    : 4 * GiB; // nothing readable: an assumed 4 GiB
  }

  // --- Levels and bandwidths.
  // Bandwidth per level = bytes per cycle per core x cores x GHz. Assumed
  // per-core rates (typical of current x86 and Arm server cores):
  //   register: 2 FMA pipes x 3 source operands x vector bytes per cycle
  //             (what keeps both FMA pipes busy);
  //   L1:       2 vector loads per cycle (2 x vector bytes);
  //   L2:       1 vector per cycle (vector bytes);
  //   L3:       half a vector per cycle (vector bytes / 2);
  //   DRAM:     an ESTIMATE of 20 GB/s of streaming per core, scaled by
  //             the core count. On the project's build machine (2-core
  //             AMD EPYC VM) one core copied 256 MiB with memcpy at about
  //             39 GB/s read+write on 2026-11-24, so 20 GB/s per core is
  //             on the safe side for a lone core. With many cores the
  //             memory channels, which we cannot see from here, cap the
  //             total well below cores x 20 GB/s.
  // These are estimates for a tile policy, not measurements of this
  // machine; users can override any of them with their own #roller.target.
  // Cache capacities are as reported for cpu0: L1 and L2 per core, L3 as
  // the whole (shared) cache.
  constexpr double kDramGBpsPerCore = 20.0;
  // DRAM moves whole cache lines: the line size of the outermost cache.
  int64_t line = 64;
  for (const auto &cache : caches)
    if (cache)
      line = cache->line;
  std::vector<LevelDesc> levels;
  levels.push_back(
      {"dram", dramBytes,
       roundTo(kDramGBpsPerCore * static_cast<double>(units), 1), line});
  auto cacheBandwidth = [&](double bytesPerCycle) {
    return roundTo(bytesPerCycle * static_cast<double>(units) * ghz, 1);
  };
  if (caches[3])
    levels.push_back({"L3", caches[3]->size, cacheBandwidth(vectorBytes / 2.0),
                      caches[3]->line});
  if (caches[2])
    levels.push_back({"L2", caches[2]->size, cacheBandwidth(vectorBytes),
                      caches[2]->line});
  // Without any cache information: an assumed 32 KiB L1 data cache, so that
  // there is always an on-chip level between DRAM and registers.
  levels.push_back({"L1", caches[1] ? caches[1]->size : 32 * KiB,
                    cacheBandwidth(2.0 * vectorBytes),
                    caches[1] ? caches[1]->line : 64});
  levels.push_back({"register", vectorRegs * vectorBytes,
                    cacheBandwidth(2.0 * 3.0 * vectorBytes), vectorBytes});

  // --- Peak.
  // f32 = cores x GHz x (vector_bits / 32) lanes x 2 (an FMA is two flops)
  // x 2 FMA pipes per core (an assumption: true of recent Intel server and
  // AMD Zen cores, optimistic for cores with one FMA pipe); f64 half that.
  double f32 = roundTo(static_cast<double>(units) * ghz *
                           (static_cast<double>(vectorBits) / 32) * 2 * 2,
                       1);

  TargetDesc t;
  std::string modelToken = tokenize(model);
  t.name = "host-" + tokenize(arch) + "-" + isa +
           (modelToken.empty() ? "" : "-" + modelToken);
  t.kind = TargetKind::cpu;
  t.units = units; // physical cores
  t.blocksPerUnit = 1;
  t.threadsPerUnit = threadsPerCore; // hardware threads per core
  t.warp = 1;
  t.regsPerUnit = vectorRegs; // architectural vector registers
  t.vectorBits = vectorBits;
  t.levels = std::move(levels);
  t.peak = {{"f32", f32}, {"f64", roundTo(f32 / 2, 1)}};
  return t;
}

/// The host probe, once per process: it reads only facts that do not change
/// while we run. The attribute built from it is uniqued per context.
const TargetDesc &getHostDesc() {
  static const TargetDesc host = probeHost("");
  return host;
}

//===----------------------------------------------------------------------===//
// User-written targets
//===----------------------------------------------------------------------===//

/// At most `limit` characters of `text`, for error messages.
std::string clip(StringRef text, size_t limit = 80) {
  if (text.size() <= limit)
    return text.str();
  return (text.take_front(limit) + "...").str();
}

/// Parse `text` as a #roller.target; on failure set `error` to the parser's
/// or verifier's diagnostic, prefixed by `what`.
FailureOr<TargetAttr> parseTarget(MLIRContext *context, StringRef text,
                                  const Twine &what, std::string &error) {
  if (text.empty()) {
    error = (what + ": no attribute text").str();
    return failure();
  }
  context->getOrLoadDialect<RollerDialect>();
  std::string diagnostics;
  Attribute attr;
  {
    // Take this thread's diagnostics only: a pass may parse while others
    // report on other threads, and those must reach the usual handler.
    std::thread::id self = std::this_thread::get_id();
    ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
      if (std::this_thread::get_id() != self)
        return failure();
      if (!diagnostics.empty())
        diagnostics += "; ";
      // Where the parser knows it; past the end of the text it does not.
      if (auto loc = dyn_cast<FileLineColLoc>(diag.getLocation());
          loc && loc.getColumn() > 0 && loc.getColumn() <= text.size() + 1) {
        if (loc.getLine() > 1)
          diagnostics += "line " + std::to_string(loc.getLine()) + ", ";
        diagnostics += "column " + std::to_string(loc.getColumn()) + ": ";
      }
      diagnostics += diag.str();
      for (Diagnostic &note : diag.getNotes())
        diagnostics += " (note: " + note.str() + ")";
      return success();
    });
    attr = parseAttribute(text, context);
  }
  if (!attr) {
    error = (what + ": " +
             (diagnostics.empty() ? std::string("cannot parse") : diagnostics))
                .str();
    return failure();
  }
  auto target = dyn_cast<TargetAttr>(attr);
  if (!target) {
    std::string printed;
    llvm::raw_string_ostream os(printed);
    os << attr;
    error = (what + ": expected a #roller.target attribute, got " +
             clip(printed))
                .str();
    return failure();
  }
  return target;
}

} // namespace

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

std::vector<std::string> mlir::fourfold::roller::getTargetNames() {
  return {"sm_80", "sm_90", "host"};
}

FailureOr<TargetAttr>
mlir::fourfold::roller::getTarget(MLIRContext *context, StringRef spec,
                                  std::string &error) {
  StringRef trimmed = spec.trim();
  if (trimmed == "sm_80")
    return buildTarget(context, describeSm80());
  if (trimmed == "sm_90")
    return buildTarget(context, describeSm90());
  if (trimmed == "host" || trimmed.starts_with("host:")) {
    TargetAttr host = buildTarget(context, getHostDesc());
    // "host:N": the model's cores where the code will run on N of them.
    int64_t cores = 0;
    if (trimmed.consume_front("host:") &&
        (trimmed.getAsInteger(10, cores) || cores < 1)) {
      error = ("invalid target 'host:" + trimmed +
               "': expected host:N with N a positive number of cores")
                  .str();
      return failure();
    }
    if (cores >= 1 && cores < host.getUnits())
      return getTargetWithUnits(host, cores);
    return host;
  }
  if (trimmed.starts_with("#roller.target"))
    return parseTarget(context, trimmed,
                       "invalid target '" + clip(trimmed) + "'", error);
  if (trimmed.starts_with("@")) {
    StringRef path = trimmed.drop_front();
    if (path.empty()) {
      error = "invalid target '@': expected a file name after '@'";
      return failure();
    }
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer) {
      error = ("cannot read target file '" + path +
               "': " + buffer.getError().message())
                  .str();
      return failure();
    }
    // Leading whitespace and `//` comment lines are dropped here: the parser
    // would skip them too, but then counts the attribute's length from its
    // first token and reports the skipped text as "trailing characters".
    StringRef text = (*buffer)->getBuffer();
    for (text = text.ltrim(); text.starts_with("//"); text = text.ltrim())
      text = text.drop_until([](char c) { return c == '\n'; });
    return parseTarget(context, text.rtrim(), "target file '" + path + "'",
                       error);
  }
  error = ("unknown target '" + spec +
           "'; known: sm_80, sm_90, host, a #roller.target<...> attribute, "
           "or @file")
              .str();
  return failure();
}

TargetAttr mlir::fourfold::roller::getAttachedTarget(Operation *op) {
  for (Operation *current = op; current; current = current->getParentOp())
    if (auto target =
            current->getAttrOfType<TargetAttr>(RollerDialect::kTargetAttrName))
      return target;
  return {};
}

int64_t mlir::fourfold::roller::getOpenMPThreads() {
  const char *omp = std::getenv("OMP_NUM_THREADS");
  int64_t threads = 0;
  // OpenMP's list form ("2,1": nested levels) starts with the outer one.
  if (!omp || StringRef(omp).split(',').first.trim().getAsInteger(10, threads) ||
      threads < 1)
    return 0;
  return threads;
}

TargetAttr mlir::fourfold::roller::getPerUnitTarget(TargetAttr target) {
  return getTargetWithUnits(target, 1);
}

TargetAttr mlir::fourfold::roller::getTargetWithUnits(TargetAttr target,
                                                      int64_t units) {
  if (target.getUnits() == units || units < 1)
    return target;
  MLIRContext *ctx = target.getContext();
  double share = double(units) / double(target.getUnits());
  // Bandwidths and peaks are the whole device's: `units` get their share.
  SmallVector<Attribute> levels;
  for (Attribute attr : target.getLevels()) {
    auto level = cast<MemoryLevelAttr>(attr);
    levels.push_back(MemoryLevelAttr::get(
        ctx, level.getName(), level.getCapacity(),
        llvm::APFloat(level.getBandwidth().convertToDouble() * share),
        level.getTransaction(), level.getBanks()));
  }
  SmallVector<NamedAttribute> peak;
  for (NamedAttribute entry : target.getPeak())
    peak.push_back(NamedAttribute(
        entry.getName(),
        FloatAttr::get(Float64Type::get(ctx),
                       cast<FloatAttr>(entry.getValue()).getValueAsDouble() * share)));
  return TargetAttr::get(ctx, target.getName(), target.getKind(), units,
                         target.getBlocksPerUnit(), target.getThreadsPerUnit(),
                         target.getWarp(), target.getRegsPerUnit(),
                         target.getVectorBits(), ArrayAttr::get(ctx, levels),
                         DictionaryAttr::get(ctx, peak));
}
