//===- RollerDialect.cpp - roller attributes and their verifiers ---------===//

#include "Roller/Roller.h"
#include "Common/LoopCount.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace mlir::fourfold::roller;

#include "Roller/RollerDialect.cpp.inc"
#include "Roller/RollerEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "Roller/RollerAttrs.cpp.inc"
#define GET_OP_CLASSES
#include "Roller/RollerOps.cpp.inc"

void RollerDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Roller/RollerAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Roller/RollerOps.cpp.inc"
      >();
}

FailureOr<llvm::APFloat>
mlir::fourfold::roller::parseDouble(AsmParser &parser) {
  // The sign is taken first: parseOptionalInteger would claim the `-` of
  // `-1.5` and then reject the float.
  bool negative = succeeded(parser.parseOptionalMinus());
  // Whole numbers (bandwidth = 3350) are written without a trailing dot.
  int64_t whole;
  double value;
  OptionalParseResult isInteger = parser.parseOptionalInteger(whole);
  if (isInteger.has_value()) {
    if (failed(*isInteger))
      return failure();
    value = static_cast<double>(whole);
  } else if (parser.parseFloat(value)) {
    return failure();
  }
  return llvm::APFloat(negative ? -value : value);
}

void mlir::fourfold::roller::printDouble(AsmPrinter &printer,
                                         const llvm::APFloat &apValue) {
  // %.17g round-trips every double; try shorter forms first so that the
  // common values (3350, 1.5e4) print as written.
  double value = apValue.convertToDouble();
  char text[64];
  for (int precision : {6, 9, 12, 17}) {
    snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  // MLIR float literals need a dot: "1e-05" would not parse back, "1.0e-05"
  // does.
  std::string out = text;
  if (size_t e = out.find('e');
      e != std::string::npos && out.find('.') == std::string::npos)
    out.insert(e, ".0");
  printer << out;
}

//===----------------------------------------------------------------------===//
// MemoryLevelAttr
//===----------------------------------------------------------------------===//

LogicalResult MemoryLevelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                      StringRef name, int64_t capacity,
                                      llvm::APFloat bandwidthAP,
                                      int64_t transaction, int64_t banks) {
  double bandwidth = bandwidthAP.convertToDouble();
  if (name.empty())
    return emitError() << "memory level needs a name";
  if (capacity <= 0)
    return emitError() << "memory level '" << name
                       << "': capacity must be positive, got " << capacity;
  if (!(bandwidth > 0))
    return emitError() << "memory level '" << name
                       << "': bandwidth must be positive, got " << bandwidth;
  if (transaction <= 0 || !llvm::isPowerOf2_64(transaction))
    return emitError() << "memory level '" << name
                       << "': transaction must be a positive power of two, got "
                       << transaction;
  if (banks < 0)
    return emitError() << "memory level '" << name
                       << "': banks must be non-negative, got " << banks;
  return success();
}

//===----------------------------------------------------------------------===//
// TargetAttr
//===----------------------------------------------------------------------===//

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef name, TargetKind kind, int64_t units,
                                 int64_t blocksPerUnit, int64_t threadsPerUnit,
                                 int64_t warp, int64_t regsPerUnit,
                                 int64_t vectorBits, ArrayAttr levels,
                                 DictionaryAttr peak) {
  if (name.empty())
    return emitError() << "target needs a name";
  auto positive = [&](StringRef field, int64_t value) -> LogicalResult {
    if (value > 0)
      return success();
    return emitError() << "target '" << name << "': " << field
                       << " must be positive, got " << value;
  };
  if (failed(positive("units", units)) ||
      failed(positive("blocks_per_unit", blocksPerUnit)) ||
      failed(positive("threads_per_unit", threadsPerUnit)) ||
      failed(positive("warp", warp)) ||
      failed(positive("regs_per_unit", regsPerUnit)) ||
      failed(positive("vector_bits", vectorBits)))
    return failure();
  if (threadsPerUnit % warp != 0)
    return emitError() << "target '" << name << "': threads_per_unit ("
                       << threadsPerUnit << ") is not a multiple of warp ("
                       << warp << ")";
  if (levels.size() < 2)
    return emitError() << "target '" << name
                       << "': needs at least two memory levels (the outermost "
                          "and one on-chip), got "
                       << levels.size();
  llvm::StringSet<> seen;
  for (auto [i, level] : llvm::enumerate(levels)) {
    auto memory = dyn_cast<MemoryLevelAttr>(level);
    if (!memory)
      return emitError() << "target '" << name << "': levels[" << i
                         << "] must be a #roller.level, got " << level;
    if (!seen.insert(memory.getName()).second)
      return emitError() << "target '" << name << "': memory level '"
                         << memory.getName() << "' appears twice";
  }
  if (peak.empty())
    return emitError() << "target '" << name
                       << "': peak must state GFLOP/s for at least one type";
  for (NamedAttribute entry : peak) {
    auto value = dyn_cast<FloatAttr>(entry.getValue());
    if (!value || !(value.getValueAsDouble() > 0))
      return emitError() << "target '" << name << "': peak."
                         << entry.getName().getValue()
                         << " must be a positive float (GFLOP/s), got "
                         << entry.getValue();
  }
  return success();
}

MemoryLevelAttr TargetAttr::getLevel(StringRef name) const {
  for (Attribute level : getLevels())
    if (auto memory = cast<MemoryLevelAttr>(level); memory.getName() == name)
      return memory;
  return {};
}

std::optional<double> TargetAttr::getPeak(Type type) const {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << type;
  if (auto value = getPeak().getAs<FloatAttr>(key))
    return value.getValueAsDouble();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// RTileAttr
//===----------------------------------------------------------------------===//

Attribute RTileAttr::parse(AsmParser &parser, Type) {
  SmallVector<StringAttr> levels;
  SmallVector<DenseI64ArrayAttr> tiles;
  auto parseLevel = [&]() -> ParseResult {
    std::string name;
    if (parser.parseKeywordOrString(&name) || parser.parseEqual())
      return failure();
    SmallVector<int64_t> sizes;
    if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&]() {
          return parser.parseInteger(sizes.emplace_back());
        }))
      return failure();
    levels.push_back(parser.getBuilder().getStringAttr(name));
    tiles.push_back(parser.getBuilder().getDenseI64ArrayAttr(sizes));
    return success();
  };
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::LessGreater,
                                     parseLevel))
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), levels, tiles);
}

void RTileAttr::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleaveComma(llvm::zip(getLevels(), getTiles()), printer,
                        [&](auto pair) {
                          printer.printKeywordOrString(std::get<0>(pair).getValue());
                          printer << " = [";
                          llvm::interleaveComma(std::get<1>(pair).asArrayRef(), printer);
                          printer << "]";
                        });
  printer << ">";
}

LogicalResult RTileAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                ArrayRef<StringAttr> levels,
                                ArrayRef<DenseI64ArrayAttr> tiles) {
  if (levels.empty())
    return emitError() << "rtile needs at least one memory level";
  if (levels.size() != tiles.size())
    return emitError() << "rtile has " << levels.size() << " levels but "
                       << tiles.size() << " tiles";
  llvm::StringSet<> seen;
  size_t rank = tiles.front().size();
  // A tile over no loops says nothing; it is a typo for a missing entry.
  if (rank == 0)
    return emitError() << "rtile level '" << levels.front().getValue()
                       << "' has no entries; a tile covers at least one loop";
  for (auto [i, level, tile] : llvm::enumerate(levels, tiles)) {
    if (!seen.insert(level.getValue()).second)
      return emitError() << "rtile names memory level '" << level.getValue()
                         << "' twice";
    if (tile.size() != rank)
      return emitError() << "rtile level '" << level.getValue() << "' has "
                         << tile.size() << " entries, level '"
                         << levels.front().getValue() << "' has " << rank;
    for (auto [d, size] : llvm::enumerate(tile.asArrayRef())) {
      if (size <= 0)
        return emitError() << "rtile level '" << level.getValue()
                           << "': entry " << d << " must be positive, got "
                           << size;
      if (i > 0 && size > tiles[i - 1][d])
        return emitError() << "rtile level '" << level.getValue()
                           << "': entry " << d << " (" << size
                           << ") exceeds the enclosing level '"
                           << levels[i - 1].getValue() << "' ("
                           << tiles[i - 1][d] << ")";
    }
  }
  return success();
}

ArrayRef<int64_t> RTileAttr::getTile(StringRef name) const {
  for (auto [level, tile] : llvm::zip(getLevels(), getTiles()))
    if (level.getValue() == name)
      return tile.asArrayRef();
  return {};
}

//===----------------------------------------------------------------------===//
// Verification of roller attributes attached to operations
//===----------------------------------------------------------------------===//

LogicalResult RollerDialect::verifyOperationAttribute(Operation *op,
                                                      NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kTargetAttrName) {
    if (!isa<TargetAttr>(attr.getValue()))
      return op->emitOpError() << "'" << name
                               << "' must be a #roller.target, got "
                               << attr.getValue();
    return success();
  }
  if (name == kTileAttrName) {
    auto tile = dyn_cast<RTileAttr>(attr.getValue());
    if (!tile)
      return op->emitOpError() << "'" << name
                               << "' must be a #roller.rtile, got "
                               << attr.getValue();
    std::optional<int64_t> loops = fourfold::getLoopCount(op);
    if (!loops)
      return op->emitOpError()
             << "carries '" << name
             << "' but has no loop nest to tile (not a linalg op and no "
                "TilingInterface)";
    if (static_cast<int64_t>(tile.getRank()) != *loops)
      return op->emitOpError() << "has " << *loops << " loops but its '"
                               << name << "' has " << tile.getRank()
                               << " entries per level";
    return success();
  }
  if (name == kCandidatesAttrName) {
    auto ranked = dyn_cast<ArrayAttr>(attr.getValue());
    if (!ranked || ranked.empty() ||
        !llvm::all_of(ranked, [](Attribute a) { return isa<RTileAttr>(a); }))
      return op->emitOpError() << "'" << name
                               << "' must be a non-empty array of #roller.rtile";
    return success();
  }
  if (name == kPredictedAttrName) {
    auto value = dyn_cast<FloatAttr>(attr.getValue());
    if (!value || !(value.getValueAsDouble() >= 0))
      return op->emitOpError()
             << "'" << name
             << "' must be a non-negative float (microseconds), got "
             << attr.getValue();
    return success();
  }
  if (name == kPackAttrName) {
    auto operands = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!operands)
      return op->emitOpError() << "'" << name
                               << "' must be an array<i64> of input operand numbers, got "
                               << attr.getValue();
    auto dps = dyn_cast<DestinationStyleOpInterface>(op);
    for (int64_t operand : operands.asArrayRef())
      if (!dps || operand < 0 || operand >= dps.getNumDpsInputs())
        return op->emitOpError() << "'" << name << "' names operand " << operand
                                 << ", which is not one of its inputs";
    return success();
  }
  return op->emitOpError() << "unknown roller attribute '" << name << "'";
}
