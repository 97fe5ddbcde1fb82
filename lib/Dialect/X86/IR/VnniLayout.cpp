//===- VnniLayout.cpp - Weight layouts of agn's VNNI kernels --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/X86/IR/VnniLayout.h"

#include "llvm/ADT/SmallVector.h"

using namespace mlir;
using namespace mlir::agn;
using namespace mlir::agn::vnni;

PackedTypes vnni::getPackedTypes(RankedTensorType weights) {
  MLIRContext *context = weights.getContext();
  int64_t k = weights.getDimSize(0), n = weights.getDimSize(1);
  int64_t panels = llvm::divideCeil(n, kPanelWidth);
  int64_t groups = llvm::divideCeil(k, kGroup);
  return {RankedTensorType::get({panels, groups, kGroupBytes},
                                IntegerType::get(context, 8)),
          RankedTensorType::get({panels, kPanelWidth},
                                IntegerType::get(context, 32))};
}

PackedTypes vnni::getBlockedPackedTypes(RankedTensorType weights) {
  MLIRContext *context = weights.getContext();
  int64_t blocks = weights.getDimSize(0), blockSize = weights.getDimSize(1),
          n = weights.getDimSize(2);
  int64_t panels = llvm::divideCeil(n, kPanelWidth);
  return {RankedTensorType::get(
              {panels, blocks, blockSize / (2 * kGroup), kGroupBytes},
              IntegerType::get(context, 8)),
          RankedTensorType::get({panels, blocks, kPanelWidth},
                                IntegerType::get(context, 32))};
}

/// Returns the signed values of the integer constant `attr`, row-major.
static SmallVector<int8_t> getSignedBytes(DenseIntElementsAttr attr) {
  SmallVector<int8_t> values;
  values.reserve(attr.getNumElements());
  for (const APInt &value : attr.getValues<APInt>())
    values.push_back(static_cast<int8_t>(value.getSExtValue()));
  return values;
}

/// Returns `bytes` as a constant of `type` (i8).
static DenseElementsAttr getBytes(RankedTensorType type,
                                  ArrayRef<uint8_t> bytes) {
  return DenseElementsAttr::get(
      type, ArrayRef<int8_t>(reinterpret_cast<const int8_t *>(bytes.data()),
                             bytes.size()));
}

/// Returns `words` as a constant of `type` (i32), wrapped modulo 2^32.
static DenseElementsAttr getWords(RankedTensorType type,
                                  ArrayRef<uint32_t> words) {
  return DenseElementsAttr::get(
      type, ArrayRef<int32_t>(reinterpret_cast<const int32_t *>(words.data()),
                              words.size()));
}

PackedConstants vnni::packConstant(DenseIntElementsAttr weights) {
  auto type = cast<RankedTensorType>(weights.getType());
  PackedTypes types = getPackedTypes(type);
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  int64_t panelBytes = types.packed.getDimSize(1) * kGroupBytes;
  SmallVector<int8_t> values = getSignedBytes(weights);
  SmallVector<uint8_t> packed(types.packed.getNumElements(), 0);
  // The kernel's i32 sums wrap modulo 2^32 as the matmul's do: so does the
  // correction (unsigned arithmetic, which has no overflow).
  SmallVector<uint32_t> correction(types.correction.getNumElements(), 0);
  for (int64_t row = 0; row < k; ++row) {
    for (int64_t col = 0; col < n; ++col) {
      int8_t value = values[row * n + col];
      int64_t panel = col / kPanelWidth, column = col % kPanelWidth;
      int64_t group = row / kGroup, member = row % kGroup;
      packed[panel * panelBytes + group * kGroupBytes + column * kGroup +
             member] = static_cast<uint8_t>(value);
      correction[col] += static_cast<uint32_t>(kByteCorrection) *
                         static_cast<uint32_t>(static_cast<int32_t>(value));
    }
  }
  return {getBytes(types.packed, packed),
          getWords(types.correction, correction)};
}

PackedConstants vnni::packBlockedConstant(DenseIntElementsAttr weights) {
  auto type = cast<RankedTensorType>(weights.getType());
  PackedTypes types = getBlockedPackedTypes(type);
  int64_t blocks = type.getDimSize(0), blockSize = type.getDimSize(1),
          n = type.getDimSize(2);
  // Pairs of groups of 4 K values per block: one byte holds one of each.
  int64_t pairs = blockSize / (2 * kGroup);
  SmallVector<int8_t> values = getSignedBytes(weights);
  SmallVector<uint8_t> packed(types.packed.getNumElements(), 0);
  SmallVector<uint32_t> correction(types.correction.getNumElements(), 0);
  for (int64_t j = 0; j < blocks; ++j) {
    for (int64_t t = 0; t < blockSize; ++t) {
      int64_t pair = t / (2 * kGroup), member = t % kGroup;
      bool high = (t / kGroup) % 2 == 1;
      for (int64_t col = 0; col < n; ++col) {
        int8_t value = values[(j * blockSize + t) * n + col];
        int64_t panel = col / kPanelWidth, column = col % kPanelWidth;
        uint8_t nibble = static_cast<uint8_t>(value) & 0x0F;
        packed[((panel * blocks + j) * pairs + pair) * kGroupBytes +
               column * kGroup + member] |= high ? nibble << 4 : nibble;
        correction[(panel * blocks + j) * kPanelWidth + column] +=
            static_cast<uint32_t>(kNibbleCorrection) *
            static_cast<uint32_t>(static_cast<int32_t>(value));
      }
    }
  }
  return {getBytes(types.packed, packed),
          getWords(types.correction, correction)};
}
