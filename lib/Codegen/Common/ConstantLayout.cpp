//===- ConstantLayout.cpp - Compile-time relayout of constants ------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/ConstantLayout.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cstring>

using namespace mlir;
using namespace mlir::agn;

DenseElementsAttr mlir::agn::permuteConstant(DenseElementsAttr values,
                                             ArrayRef<int64_t> viewShape,
                                             ArrayRef<int64_t> permutation) {
  auto type = cast<ShapedType>(values.getType());
  assert(type.getElementType().isIntOrFloat() &&
         (isa<IntegerType>(type.getElementType()) ||
          type.getElementTypeBitWidth() % 8 == 0) &&
         "integers, or floats of whole bytes");
  assert(viewShape.size() == permutation.size() &&
         isPermutationVector(permutation) &&
         computeProduct(viewShape) == type.getNumElements() &&
         "a permutation of a view with as many elements");
  SmallVector<int64_t> shape = applyPermutation(viewShape, permutation);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (values.isSplat())
    return values.resizeSplat(resultType);

  // The result is walked in order; `strides` are the steps in the source of
  // one step along each result dimension.
  SmallVector<int64_t> strides =
      applyPermutation(computeStrides(viewShape), permutation);
  int64_t rank = shape.size();
  int64_t count = type.getNumElements();
  // Calls `move(to, from)` for every result index `to` in order, with the
  // source index `from` it reads.
  auto walk = [&](auto move) {
    SmallVector<int64_t> index(rank, 0);
    int64_t from = 0;
    for (int64_t to = 0; to < count; ++to) {
      move(to, from);
      for (int64_t d = rank - 1; d >= 0; --d) {
        from += strides[d];
        if (++index[d] < shape[d])
          break;
        from -= strides[d] * shape[d];
        index[d] = 0;
      }
    }
  };

  unsigned bits = type.getElementTypeBitWidth();
  if (bits % 8 != 0) {
    // Narrow integers: value by value, as DenseElementsAttr stores them (i1
    // packed eight to a byte in the raw buffer).
    SmallVector<APInt> all(values.getValues<APInt>());
    SmallVector<APInt> moved(count);
    walk([&](int64_t to, int64_t from) { moved[to] = all[from]; });
    return DenseElementsAttr::get(resultType, moved);
  }
  size_t bytes = bits / 8;
  ArrayRef<char> raw = values.getRawData();
  SmallVector<char> moved(raw.size());
  walk([&](int64_t to, int64_t from) {
    std::memcpy(&moved[to * bytes], &raw[from * bytes], bytes);
  });
  return DenseElementsAttr::getFromRawBuffer(resultType, moved);
}
