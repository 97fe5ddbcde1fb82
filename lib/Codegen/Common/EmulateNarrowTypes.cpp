//===- EmulateNarrowTypes.cpp - agn-emulate-narrow-types pass -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Packs memrefs of i4 (and other sub-byte integers) into bytes with
// upstream's narrow-type emulation, completed by patterns for the globals
// that hold compile-time quantized weights.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "mlir/Dialect/Arith/Transforms/NarrowTypeEmulationConverter.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNEMULATENARROWTYPES
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns the row-major values of `values` (integers of `width` bits)
/// packed into `wideWidth`-bit integers, the first value in the lowest bits:
/// the layout in which the emulated loads (a wide load shifted right by
/// (index % valuesPerWord) * width) find them.
static DenseElementsAttr packElements(DenseIntElementsAttr values,
                                      RankedTensorType packedType,
                                      unsigned width, unsigned wideWidth) {
  unsigned valuesPerWord = wideWidth / width;
  SmallVector<APInt> words(packedType.getNumElements(), APInt(wideWidth, 0));
  int64_t index = 0;
  for (const APInt &value : values.getValues<APInt>()) {
    APInt bits = value.zextOrTrunc(width).zext(wideWidth);
    words[index / valuesPerWord] |= bits.shl((index % valuesPerWord) * width);
    ++index;
  }
  return DenseElementsAttr::get(packedType, words);
}

namespace {
/// Packs the initial value of a `memref.global` of narrow integers.
struct ConvertMemRefGlobal : OpConversionPattern<memref::GlobalOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(memref::GlobalOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MemRefType type = op.getType();
    auto packedType = getTypeConverter()->convertType<MemRefType>(type);
    if (!packedType || packedType == type)
      return rewriter.notifyMatchFailure(op, "no packed type");
    Attribute initialValue = op.getInitialValue().value_or(Attribute());
    if (auto values = dyn_cast_if_present<DenseIntElementsAttr>(initialValue)) {
      auto packedTensorType = RankedTensorType::get(
          packedType.getShape(), packedType.getElementType());
      initialValue =
          packElements(values, packedTensorType, type.getElementTypeBitWidth(),
                       packedType.getElementTypeBitWidth());
    } else if (initialValue && !isa<UnitAttr>(initialValue)) {
      return rewriter.notifyMatchFailure(op, "initial value is not dense");
    }
    rewriter.replaceOpWithNewOp<memref::GlobalOp>(
        op, op.getSymName(), op.getSymVisibilityAttr(), packedType,
        initialValue, op.getConstant(), op.getAlignmentAttr());
    return success();
  }
};

/// Retypes a `memref.get_global` of a packed global.
struct ConvertMemRefGetGlobal : OpConversionPattern<memref::GetGlobalOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(memref::GetGlobalOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto packedType = getTypeConverter()->convertType<MemRefType>(op.getType());
    if (!packedType)
      return rewriter.notifyMatchFailure(op, "no packed type");
    rewriter.replaceOpWithNewOp<memref::GetGlobalOp>(op, packedType,
                                                     op.getName());
    return success();
  }
};

/// Resolves `memref.extract_strided_metadata` of a narrow memref with a
/// static shape and identity layout from its type. The emulated loads and
/// stores ask for the metadata of the memref they access; upstream resolves
/// it from the producer (alloc, subview, ...), which fails for function
/// arguments and call results. Their offset, sizes and strides are constants;
/// the base buffer is the packed buffer itself.
struct ConvertStaticExtractStridedMetadata
    : OpConversionPattern<memref::ExtractStridedMetadataOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(memref::ExtractStridedMetadataOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<MemRefType>(op.getSource().getType());
    if (!type.hasStaticShape() || !type.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(op, "not static with identity layout");
    auto baseType = getTypeConverter()->convertType<MemRefType>(
        op.getBaseBuffer().getType());
    if (!baseType)
      return rewriter.notifyMatchFailure(op, "no packed base buffer type");

    Location loc = op.getLoc();
    SmallVector<Value> results;
    results.push_back(memref::ReinterpretCastOp::create(
        rewriter, loc, baseType, adaptor.getSource(), /*offset=*/0,
        /*sizes=*/ArrayRef<int64_t>{}, /*strides=*/ArrayRef<int64_t>{}));
    results.push_back(arith::ConstantIndexOp::create(rewriter, loc, 0));
    for (int64_t size : type.getShape())
      results.push_back(arith::ConstantIndexOp::create(rewriter, loc, size));
    for (int64_t stride : type.getStridesAndOffset().first)
      results.push_back(arith::ConstantIndexOp::create(rewriter, loc, stride));
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Retypes `memref.extract_aligned_pointer_as_index` of a packed memref (the
/// deallocation's aliasing checks ask for it): the packed buffer starts at
/// the same address.
struct ConvertExtractAlignedPointerAsIndex
    : OpConversionPattern<memref::ExtractAlignedPointerAsIndexOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(memref::ExtractAlignedPointerAsIndexOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<memref::ExtractAlignedPointerAsIndexOp>(
        op, adaptor.getSource());
    return success();
  }
};

/// Returns whether `op` is inside a parallel loop, whose iterations may run
/// at the same time.
static bool isInParallelLoop(Operation *op) {
  return op->getParentOfType<scf::ForallOp>() ||
         op->getParentOfType<scf::ParallelOp>();
}

/// Returns the functions that may run inside parallel loops of `root`:
/// those called from inside one, and those they call, transitively.
static llvm::DenseSet<StringRef> getFunctionsCalledInParallel(Operation *root) {
  llvm::DenseMap<StringRef, SmallVector<StringRef>> calleesOf;
  SmallVector<StringRef> worklist;
  root->walk([&](func::CallOp call) {
    if (isInParallelLoop(call))
      worklist.push_back(call.getCallee());
    if (auto caller = call->getParentOfType<func::FuncOp>())
      calleesOf[caller.getSymName()].push_back(call.getCallee());
  });
  llvm::DenseSet<StringRef> reached;
  while (!worklist.empty()) {
    StringRef callee = worklist.pop_back_val();
    if (reached.insert(callee).second)
      llvm::append_range(worklist, calleesOf.lookup(callee));
  }
  return reached;
}

/// Replaces each pair of atomic read-modify-writes upstream's emulation
/// makes of a narrow store (an `andi` that clears the element's bits, then
/// an `ori` that sets them, on the same byte) by a plain load, and, or and
/// store, where no parallel loop could write the byte's other element at the
/// same time (nor a call from one): agn's narrow stores are the quantization
/// of i4 weights and activations, outside the kernels' parallel loops, and a
/// locked compare-exchange loop per element made quantizing 1024x1024
/// weights to i4 6x slower (10.4 against 1.6 ms).
static void relaxSerialNarrowStores(Operation *root) {
  llvm::DenseSet<StringRef> calledInParallel =
      getFunctionsCalledInParallel(root);
  auto mayRunInParallel = [&](Operation *op) {
    auto function = op->getParentOfType<func::FuncOp>();
    return isInParallelLoop(op) ||
           (function && calledInParallel.contains(function.getSymName()));
  };
  SmallVector<std::pair<memref::AtomicRMWOp, memref::AtomicRMWOp>> pairs;
  root->walk([&](memref::AtomicRMWOp clear) {
    auto set = dyn_cast_if_present<memref::AtomicRMWOp>(clear->getNextNode());
    if (clear.getKind() != arith::AtomicRMWKind::andi || !set ||
        set.getKind() != arith::AtomicRMWKind::ori ||
        set.getMemref() != clear.getMemref() ||
        set.getIndices() != clear.getIndices() ||
        !clear.getResult().use_empty() || !set.getResult().use_empty() ||
        mayRunInParallel(clear))
      return;
    pairs.emplace_back(clear, set);
  });
  for (auto [clear, set] : pairs) {
    OpBuilder b(clear);
    Location loc = clear.getLoc();
    Value old =
        memref::LoadOp::create(b, loc, clear.getMemref(), clear.getIndices());
    Value cleared = arith::AndIOp::create(b, loc, old, clear.getValue());
    Value updated = arith::OrIOp::create(b, loc, cleared, set.getValue());
    memref::StoreOp::create(b, loc, updated, clear.getMemref(),
                            clear.getIndices());
    set.erase();
    clear.erase();
  }
}

struct EmulateNarrowTypesPass
    : public agn::impl::AGNEmulateNarrowTypesBase<EmulateNarrowTypesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (!llvm::isPowerOf2_32(loadStoreBitwidth) || loadStoreBitwidth < 8) {
      getOperation().emitError("agn-emulate-narrow-types: load-store-bitwidth "
                               "must be a power of two of at least 8, got ")
          << loadStoreBitwidth;
      return signalPassFailure();
    }
    MLIRContext *context = &getContext();
    arith::NarrowTypeEmulationConverter typeConverter(loadStoreBitwidth);
    memref::populateMemRefNarrowTypeEmulationConversions(typeConverter);
    // Booleans (the deallocation's condition arrays, masks) keep a byte each,
    // as LLVM stores them: packing them would only slow them down. Added last,
    // this conversion is tried first.
    typeConverter.addConversion([](MemRefType type) -> std::optional<Type> {
      if (type.getElementType().isInteger(1))
        return type;
      return std::nullopt;
    });

    ConversionTarget target(*context);
    auto isLegal = [&](Operation *op) { return typeConverter.isLegal(op); };
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return typeConverter.isSignatureLegal(op.getFunctionType());
    });
    target.addDynamicallyLegalOp<memref::GlobalOp>([&](memref::GlobalOp op) {
      return typeConverter.isLegal(op.getType());
    });
    target.markUnknownOpDynamicallyLegal(isLegal);

    RewritePatternSet patterns(context);
    arith::populateArithNarrowTypeEmulationPatterns(typeConverter, patterns);
    memref::populateMemRefNarrowTypeEmulationPatterns(typeConverter, patterns);
    vector::populateVectorNarrowTypeEmulationPatterns(typeConverter, patterns);
    scf::populateSCFStructuralTypeConversionsAndLegality(typeConverter,
                                                         patterns, target);
    patterns.add<ConvertMemRefGlobal, ConvertMemRefGetGlobal,
                 ConvertStaticExtractStridedMetadata,
                 ConvertExtractAlignedPointerAsIndex>(typeConverter, context);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
    relaxSerialNarrowStores(getOperation());
  }
};
} // namespace
