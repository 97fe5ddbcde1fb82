//===- CodegenAttrs.cpp - agn's code generation attributes ----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/IR/AGNAttrs.h"

#include "mlir/IR/Operation.h"

using namespace mlir;
using namespace mlir::agn;

//===----------------------------------------------------------------------===//
// LoweringConfigAttr
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
mlir::agn::parseBracketedSizes(AsmParser &parser) {
  SmallVector<int64_t> sizes;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        return parser.parseInteger(sizes.emplace_back());
      }))
    return failure();
  return sizes;
}

void mlir::agn::printBracketedSizes(AsmPrinter &printer,
                                    ArrayRef<int64_t> sizes) {
  printer << '[';
  llvm::interleaveComma(sizes, printer);
  printer << ']';
}

LogicalResult
LoweringConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           KernelKind kernel, ArrayRef<int64_t> tileSizes,
                           int64_t kBlock, int64_t threads, bool widenToF32,
                           bool filterOnRight, ArrayRef<int64_t> blockThreads,
                           bool packB) {
  if (threads < 1)
    return emitError() << "'threads' must be at least 1, got " << threads;
  if (kBlock < 0)
    return emitError() << "'k_block' must be 0 (no blocking) or positive, got "
                       << kBlock;
  if (llvm::any_of(tileSizes, [](int64_t size) { return size <= 0; }))
    return emitError() << "'tile_sizes' must be positive";
  if (llvm::any_of(blockThreads, [](int64_t size) { return size <= 0; }))
    return emitError() << "'block_threads' must be positive";
  if (packB && kernel != KernelKind::register_tiles)
    return emitError() << "'pack_b' applies to 'register_tiles' only";
  // The panels are swept over all of K, in the operands' own type.
  if (packB && (kBlock != 0 || widenToF32))
    return emitError() << "'pack_b' takes 'k_block' 0 and no 'widen_to_f32'";
  if (kernel == KernelKind::gpu_simt) {
    if (tileSizes.size() != 2 || blockThreads.size() != 2)
      return emitError() << "a 'gpu_simt' kernel needs two 'tile_sizes' "
                            "(rows, columns) and two 'block_threads' (y, x)";
    if (blockThreads[0] * blockThreads[1] > 1024)
      return emitError() << "a GPU block has at most 1024 threads, got "
                         << blockThreads[0] * blockThreads[1];
    return success();
  }
  if (!blockThreads.empty())
    return emitError() << "'block_threads' applies to 'gpu_simt' only";
  if (kernel == KernelKind::gpu_mma_sync) {
    if (tileSizes.size() != 3 || tileSizes[0] % 16 != 0 ||
        tileSizes[1] % 8 != 0 || (tileSizes[2] != 16 && tileSizes[2] != 32))
      return emitError()
             << "a 'gpu_mma_sync' kernel needs 'tile_sizes' (rows, columns, "
                "K step) with rows a multiple of 16, columns a multiple of 8 "
                "(the warps' 16 x 8 tiles) and a K step of 16 or 32";
    int64_t warps = tileSizes[0] / 16 * (tileSizes[1] / 8);
    if (warps * 32 > 1024)
      return emitError() << "a GPU block has at most 1024 threads; " << warps
                         << " warps of 16 x 8 need " << warps * 32;
    return success();
  }
  if (kernel == KernelKind::padded_plane) {
    if (tileSizes.size() != 2)
      return emitError() << "a 'padded_plane' kernel needs two 'tile_sizes' "
                            "(filters, output positions), got "
                         << tileSizes.size();
    if (kBlock != 0 || widenToF32 || filterOnRight)
      return emitError() << "a 'padded_plane' kernel takes only 'tile_sizes' "
                            "and 'threads'";
    return success();
  }
  bool tiled = kernel == KernelKind::register_tiles ||
               kernel == KernelKind::vnni || kernel == KernelKind::signed_dot;
  if (tiled && tileSizes.size() != 3)
    return emitError() << "a '" << stringifyKernelKind(kernel)
                       << "' kernel needs three 'tile_sizes' (M, N, K), got "
                       << tileSizes.size();
  if (!tiled && !tileSizes.empty())
    return emitError() << "a '" << stringifyKernelKind(kernel)
                       << "' kernel takes no 'tile_sizes'";
  if (kernel == KernelKind::vnni &&
      (tileSizes[1] != 64 || (tileSizes[2] != 4 && tileSizes[2] != 8)))
    return emitError() << "a 'vnni' kernel's tiles are (rows, 64, 4) for i8 "
                          "or (rows, 64, 8) for i4";
  if (kernel == KernelKind::signed_dot &&
      (tileSizes[1] != 64 || (tileSizes[2] != 4 && tileSizes[2] != 8)))
    return emitError() << "a 'signed_dot' kernel's tiles are (rows, 64, 4) "
                          "for i8 or (rows, 64, 8) for i4";
  if (widenToF32 && kernel != KernelKind::register_tiles)
    return emitError() << "'widen_to_f32' applies to 'register_tiles' only";
  if (filterOnRight && kernel != KernelKind::im2col)
    return emitError() << "'filter_on_right' applies to 'im2col' only";
  return success();
}

LoweringConfigAttr LoweringConfigAttr::of(Operation *op) {
  return op->getAttrOfType<LoweringConfigAttr>(getAttributeName());
}

bool LoweringConfigAttr::hasKernel(Operation *op, KernelKind kind) {
  LoweringConfigAttr config = of(op);
  return config && config.getKernel() == kind;
}

void LoweringConfigAttr::attachTo(Operation *op) const {
  op->setAttr(getAttributeName(), *this);
}

//===----------------------------------------------------------------------===//
// BlockedMatmulAttr
//===----------------------------------------------------------------------===//

LogicalResult
BlockedMatmulAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                          BlockedMatmulPart part, int64_t blockSize) {
  if (blockSize <= 0)
    return emitError() << "'block_size' must be positive, got " << blockSize;
  return success();
}

BlockedMatmulAttr BlockedMatmulAttr::of(Operation *op) {
  return op->getAttrOfType<BlockedMatmulAttr>(getAttributeName());
}
