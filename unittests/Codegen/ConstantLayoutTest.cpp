//===- ConstantLayoutTest.cpp - permuteConstant against index arithmetic --===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The kernel passes store their weights through permuteConstant; a wrong
// element there is a wrong answer in every call. Each case checks every
// element of the result against the index formula of the layout it names.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/ConstantLayout.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::agn;

namespace {

/// Returns a [rows, columns] constant of `elementType` whose element i is i
/// (wrapped to the type's width).
DenseElementsAttr iota(MLIRContext &context, Type elementType, int64_t rows,
                       int64_t columns) {
  auto type = RankedTensorType::get({rows, columns}, elementType);
  SmallVector<APInt> values;
  for (int64_t i = 0; i < rows * columns; ++i)
    values.push_back(APInt(elementType.getIntOrFloatBitWidth(), i,
                           /*isSigned=*/false, /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, values);
}

/// Returns the elements of `values` as 64-bit numbers.
SmallVector<int64_t> elements(DenseElementsAttr values) {
  return llvm::map_to_vector(values.getValues<APInt>(), [](const APInt &v) {
    return static_cast<int64_t>(v.getZExtValue());
  });
}

TEST(ConstantLayoutTest, TransposesAMatrix) {
  MLIRContext context;
  Builder b(&context);
  DenseElementsAttr values = iota(context, b.getI32Type(), 3, 5);
  DenseElementsAttr result = permuteConstant(values, {3, 5}, {1, 0});
  EXPECT_EQ(cast<ShapedType>(result.getType()).getShape(),
            ArrayRef<int64_t>({5, 3}));
  SmallVector<int64_t> all = elements(result);
  for (int64_t c = 0; c < 5; ++c)
    for (int64_t r = 0; r < 3; ++r)
      EXPECT_EQ(all[c * 3 + r], r * 5 + c) << "at [" << c << ", " << r << "]";
}

TEST(ConstantLayoutTest, PacksColumnPanels) {
  // [K, N] = [3, 8] as panels of 4 columns: [N / 4, K, 4].
  MLIRContext context;
  Builder b(&context);
  DenseElementsAttr values = iota(context, b.getI16Type(), 3, 8);
  DenseElementsAttr result = permuteConstant(values, {3, 2, 4}, {1, 0, 2});
  EXPECT_EQ(cast<ShapedType>(result.getType()).getShape(),
            ArrayRef<int64_t>({2, 3, 4}));
  SmallVector<int64_t> all = elements(result);
  for (int64_t panel = 0; panel < 2; ++panel)
    for (int64_t k = 0; k < 3; ++k)
      for (int64_t lane = 0; lane < 4; ++lane)
        EXPECT_EQ(all[(panel * 3 + k) * 4 + lane], k * 8 + panel * 4 + lane);
}

TEST(ConstantLayoutTest, PacksFilterPanels) {
  // [F, rows] = [4, 3] as [F / 2, rows, 2]: lane f % 2 innermost.
  MLIRContext context;
  Builder b(&context);
  DenseElementsAttr values = iota(context, b.getI8Type(), 4, 3);
  DenseElementsAttr result = permuteConstant(values, {2, 2, 3}, {0, 2, 1});
  SmallVector<int64_t> all = elements(result);
  for (int64_t f = 0; f < 4; ++f)
    for (int64_t row = 0; row < 3; ++row)
      EXPECT_EQ(all[((f / 2) * 3 + row) * 2 + f % 2], f * 3 + row);
}

TEST(ConstantLayoutTest, MovesNarrowIntegersByValue) {
  // i4 (the i4 levels' weights) and i1, which the raw buffer packs eight to
  // a byte: a byte copy would move eight values at once.
  MLIRContext context;
  Builder b(&context);
  for (unsigned width : {4u, 1u}) {
    DenseElementsAttr values = iota(context, b.getIntegerType(width), 3, 5);
    DenseElementsAttr result = permuteConstant(values, {3, 5}, {1, 0});
    SmallVector<int64_t> all = elements(result);
    int64_t mask = (int64_t{1} << width) - 1;
    for (int64_t c = 0; c < 5; ++c)
      for (int64_t r = 0; r < 3; ++r)
        EXPECT_EQ(all[c * 3 + r], (r * 5 + c) & mask)
            << "i" << width << " at [" << c << ", " << r << "]";
  }
}

TEST(ConstantLayoutTest, MovesFloatsBitForBit) {
  MLIRContext context;
  Builder b(&context);
  auto type = RankedTensorType::get({2, 2}, b.getF32Type());
  auto values =
      DenseElementsAttr::get(type, ArrayRef<float>{1.5f, -0.0f, 3.25f, 1e-30f});
  DenseElementsAttr result = permuteConstant(values, {2, 2}, {1, 0});
  SmallVector<float> all(result.getValues<float>());
  EXPECT_EQ(all, (SmallVector<float>{1.5f, 3.25f, -0.0f, 1e-30f}));
  EXPECT_TRUE(std::signbit(all[2]));
}

TEST(ConstantLayoutTest, ResizesSplats) {
  MLIRContext context;
  Builder b(&context);
  auto type = RankedTensorType::get({4, 6}, b.getF32Type());
  auto values = DenseElementsAttr::get(type, 2.0f);
  DenseElementsAttr result = permuteConstant(values, {4, 2, 3}, {1, 0, 2});
  EXPECT_TRUE(result.isSplat());
  EXPECT_EQ(cast<ShapedType>(result.getType()).getShape(),
            ArrayRef<int64_t>({2, 4, 3}));
  EXPECT_EQ(result.getSplatValue<float>(), 2.0f);
}

} // namespace
