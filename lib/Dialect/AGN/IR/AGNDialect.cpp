//===- AGNDialect.cpp - Adaptive Granularity dialect ----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/IR/AGNDialect.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "agn-c/Runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cstddef>

using namespace mlir;
using namespace mlir::agn;

//===----------------------------------------------------------------------===//
// The contract with the runtime (agn-c/Runtime.h)
//===----------------------------------------------------------------------===//

// `#agn.precision` values are the runtime's level ordinals: the lowering
// passes them to agn_rt_* calls and writes them into cost tables as they
// are. The runtime's AGN_LEVELS list is the definition; the TableGen enum
// must have one case per level, of the same name and ordinal. (The spelling
// of each case, stringifyPrecision, is not constexpr; unittests/Dialect
// compares it with agn_rt_level_name.)
#define AGN_CHECK_PRECISION_(NAME, name, ordinal, bits)                        \
  static_assert(static_cast<uint32_t>(Precision::name) == AGN_LEVEL_##NAME,    \
                "Precision::" #name " must equal AGN_LEVEL_" #NAME);
AGN_LEVELS(AGN_CHECK_PRECISION_)
#undef AGN_CHECK_PRECISION_
static_assert(kNumPrecisions == AGN_NUM_LEVELS,
              "AGN_Precision must have one case per AGN_LEVELS entry");

// The lowering of agn.arbitrate (lib/Conversion/AGNToLinalg/
// Arbitration.cpp) emits each unit's cost table as an array of i64 with
// alignment 8, three words per entry in the order level, weight_bytes, macs,
// and passes it to agn_rt_register_unit as `const agn_level_cost *`.
static_assert(sizeof(agn_level_cost) == 3 * sizeof(int64_t) &&
                  alignof(agn_level_cost) == alignof(int64_t),
              "agn_level_cost must be three 64-bit words");
static_assert(offsetof(agn_level_cost, level) == 0 * sizeof(int64_t) &&
                  offsetof(agn_level_cost, weight_bytes) ==
                      1 * sizeof(int64_t) &&
                  offsetof(agn_level_cost, macs) == 2 * sizeof(int64_t),
              "agn_level_cost must be {level, weight_bytes, macs}");
static_assert(sizeof(agn_level_cost::level) == sizeof(int64_t) &&
                  sizeof(agn_level_cost::weight_bytes) == sizeof(int64_t) &&
                  sizeof(agn_level_cost::macs) == sizeof(int64_t),
              "agn_level_cost's fields must be 64-bit words");

//===----------------------------------------------------------------------===//
// AGNDialect
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/IR/AGNDialect.cpp.inc"

void AGNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "agn/Dialect/AGN/IR/AGNOps.cpp.inc"
      >();
  registerAttributes();
}

Operation *AGNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  // Folds produce index levels and f32 statistics; both are arith constants.
  if (auto typed = dyn_cast<TypedAttr>(value);
      typed && arith::ConstantOp::isBuildableWith(typed, type))
    return arith::ConstantOp::create(builder, loc, type, typed);
  return nullptr;
}
