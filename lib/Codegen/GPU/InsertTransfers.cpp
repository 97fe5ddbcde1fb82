//===- InsertTransfers.cpp - agn-gpu-insert-transfers ---------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Kernels read and write device memory; the host code around them holds host
// buffers. Each gpu.launch gets a device buffer per host buffer its body
// uses, copies in for what it reads and out for what it writes, on one
// stream that the host waits for before the launch and after the copies
// out. Constant globals (a level's weights) are copied once per process and
// stay on the device.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/GPU/Passes.h"
#include "agn/Utils/RuntimeFunctions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNGPUINSERTTRANSFERS
#include "agn/Codegen/GPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
/// How a kernel uses one host buffer.
struct BufferUse {
  bool reads = false;
  bool writes = false;
};
} // namespace

/// Adds to `use` how the ops in `region` use `value` and the views of it.
/// Views are followed; `memref.dim` neither reads nor writes; every other
/// use counts as what its memory effects on `value` say, and one that
/// reports none or passes the buffer on (select, yield, a call) as both.
static void collectUse(Value value, Region &region, BufferUse &use) {
  for (OpOperand &operand : value.getUses()) {
    Operation *user = operand.getOwner();
    if (!region.isAncestor(user->getParentRegion()))
      continue;
    if (auto view = dyn_cast<ViewLikeOpInterface>(user);
        view && view.getViewSource() == value) {
      collectUse(view.getViewDest(), region, use);
      continue;
    }
    if (isa<memref::DimOp>(user))
      continue;
    auto effects = dyn_cast<MemoryEffectOpInterface>(user);
    SmallVector<MemoryEffects::EffectInstance> instances;
    if (effects)
      effects.getEffectsOnValue(value, instances);
    bool passesOn =
        user->hasTrait<OpTrait::IsTerminator>() ||
        llvm::any_of(user->getResultTypes(), llvm::IsaPred<BaseMemRefType>);
    if (instances.empty() || passesOn) {
      use.reads = use.writes = true;
      continue;
    }
    for (const MemoryEffects::EffectInstance &instance : instances) {
      use.reads |= isa<MemoryEffects::Read>(instance.getEffect());
      use.writes |= isa<MemoryEffects::Write>(instance.getEffect());
    }
  }
}

/// Returns the sizes of `value`'s dynamic dimensions, read at `builder`'s
/// insertion point.
static SmallVector<Value> dynamicSizes(OpBuilder &builder, Location loc,
                                       Value value) {
  SmallVector<Value> sizes;
  auto type = cast<MemRefType>(value.getType());
  for (int64_t dim = 0; dim < type.getRank(); ++dim)
    if (type.isDynamicDim(dim))
      sizes.push_back(memref::DimOp::create(builder, loc, value, dim));
  return sizes;
}

/// The runtime function that returns a device copy of read-only host data,
/// copied once per process (libagn_gpu_runtime).
static constexpr StringLiteral kDeviceConstant = "agn_gpu_constant";

/// Returns whether `value` is a constant global's buffer, whose contents
/// never change: its device copy can be made once and kept.
static bool isConstantGlobal(Value value) {
  auto getGlobal = value.getDefiningOp<memref::GetGlobalOp>();
  if (!getGlobal)
    return false;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      getGlobal, getGlobal.getNameAttr());
  auto type = cast<MemRefType>(value.getType());
  // Element types whose size in memory is whole bytes of their width (or one
  // byte: i1, i4), as LLVM lays them out; others keep the per-launch copy.
  Type element = type.getElementType();
  bool sized = element.isIntOrFloat() &&
               llvm::is_contained({1u, 4u, 8u, 16u, 32u, 64u},
                                  element.getIntOrFloatBitWidth());
  return global && global.getConstant() && sized && type.hasStaticShape() &&
         type.getLayout().isIdentity();
}

/// Returns the device copy of the constant buffer `host` as a memref of the
/// same type: agn_gpu_constant(aligned pointer, bytes) makes it at the first
/// call and returns the same copy at every later one; the memref descriptor
/// around the device pointer is built in the LLVM dialect (memref has no
/// op that views a raw pointer).
static Value deviceConstant(OpBuilder &builder, Location loc, Value host) {
  MLIRContext *context = builder.getContext();
  auto type = cast<MemRefType>(host.getType());
  auto pointerType = LLVM::LLVMPointerType::get(context);
  Type i64 = builder.getI64Type();
  Value address =
      memref::ExtractAlignedPointerAsIndexOp::create(builder, loc, host);
  Value pointer = LLVM::IntToPtrOp::create(
      builder, loc, pointerType,
      arith::IndexCastOp::create(builder, loc, i64, address).getResult());
  int64_t elementBytes = llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  Value bytes = arith::ConstantIntOp::create(
      builder, loc, i64, type.getNumElements() * elementBytes);
  Value device =
      func::CallOp::create(builder, loc, kDeviceConstant,
                           TypeRange{pointerType}, ValueRange{pointer, bytes})
          .getResult(0);
  // The descriptor of an identity-layout memref: pointers, offset 0, sizes,
  // row-major strides.
  int64_t rank = type.getRank();
  SmallVector<Type> fields = {pointerType, pointerType, i64};
  if (rank > 0)
    fields.append(2, LLVM::LLVMArrayType::get(i64, rank));
  auto descriptorType = LLVM::LLVMStructType::getLiteral(context, fields);
  Value descriptor = LLVM::PoisonOp::create(builder, loc, descriptorType);
  auto insert = [&](Value field, ArrayRef<int64_t> position) {
    descriptor =
        LLVM::InsertValueOp::create(builder, loc, descriptor, field, position);
  };
  insert(device, {0});
  insert(device, {1});
  insert(LLVM::ConstantOp::create(builder, loc, i64, 0), {2});
  SmallVector<int64_t> strides = computeSuffixProduct(type.getShape());
  for (int64_t dim = 0; dim < rank; ++dim) {
    insert(LLVM::ConstantOp::create(builder, loc, i64, type.getDimSize(dim)),
           {3, dim});
    insert(LLVM::ConstantOp::create(builder, loc, i64, strides[dim]), {4, dim});
  }
  return UnrealizedConversionCastOp::create(builder, loc, type, descriptor)
      .getResult(0);
}

/// Returns the function type of agn_gpu_constant: (host pointer, bytes) ->
/// device pointer.
static FunctionType getDeviceConstantType(MLIRContext *context) {
  auto pointerType = LLVM::LLVMPointerType::get(context);
  return FunctionType::get(
      context, {pointerType, IntegerType::get(context, 64)}, {pointerType});
}

/// Gives `launch` device buffers for the host buffers its body uses, and
/// sets `callsDeviceConstant` when a constant's copy calls agn_gpu_constant.
/// Fails (with a diagnostic) when two of them are views of one buffer that
/// the kernel writes: their separate device copies could not be merged back.
static LogicalResult insertTransfers(gpu::LaunchOp launch,
                                     bool &callsDeviceConstant) {
  Location loc = launch.getLoc();
  Region &body = launch.getBody();
  // Globals read inside the kernel are host symbols: read them outside.
  launch.walk([&](memref::GetGlobalOp global) { global->moveBefore(launch); });

  // The host buffers the body uses, and how.
  SetVector<Value> used;
  getUsedValuesDefinedAbove(body, used);
  SmallVector<std::pair<Value, BufferUse>> buffers;
  llvm::SmallDenseMap<Value, BufferUse> useOfRoot;
  for (Value value : used) {
    if (!isa<MemRefType>(value.getType()))
      continue;
    BufferUse use;
    collectUse(value, body, use);
    if (!use.reads && !use.writes)
      continue;
    auto [root, first] = useOfRoot.try_emplace(
        memref::skipViewLikeOps(cast<MemrefValue>(value)), use);
    if (!first && (use.writes || root->second.writes))
      return launch.emitError(
          "agn-gpu-insert-transfers: the kernel uses two views of one host "
          "buffer and writes one of them; each would get its own device "
          "copy, and the copies back would overwrite each other");
    buffers.emplace_back(value, use);
  }

  OpBuilder builder(launch);
  Type tokenType = gpu::AsyncTokenType::get(launch.getContext());
  Value token =
      gpu::WaitOp::create(builder, loc, tokenType, ValueRange()).getResult(0);

  struct Transfer {
    Value original; // the buffer the host code holds
    Value host;     // the contiguous buffer copied (original or a copy)
    Value device;   // the kernel's buffer
    BufferUse use;
  };
  SmallVector<Transfer> transfers;
  for (auto [value, use] : buffers) {
    auto type = cast<MemRefType>(value.getType());
    Transfer transfer{value, value, Value(), use};
    if (!use.writes && isConstantGlobal(value)) {
      // Weights: copied to the device once, kept there.
      Value device = deviceConstant(builder, loc, value);
      callsDeviceConstant = true;
      value.replaceUsesWithIf(device, [&](OpOperand &operand) {
        return body.isAncestor(operand.getOwner()->getParentRegion());
      });
      continue;
    }
    auto contiguous = MemRefType::get(type.getShape(), type.getElementType());
    SmallVector<Value> sizes = dynamicSizes(builder, loc, value);
    // Copied in when only written too: the copy out writes the whole buffer
    // back, and the elements the kernel leaves alone must come back as they
    // were.
    if (type.getLayout() && !type.getLayout().isIdentity()) {
      // gpu.memcpy copies contiguous buffers only.
      transfer.host = memref::AllocOp::create(builder, loc, contiguous, sizes);
      memref::CopyOp::create(builder, loc, value, transfer.host);
    }
    auto alloc = gpu::AllocOp::create(builder, loc, contiguous, tokenType,
                                      ValueRange{token}, sizes, ValueRange(),
                                      /*hostShared=*/false);
    transfer.device = alloc.getMemref();
    token = alloc.getAsyncToken();
    token = gpu::MemcpyOp::create(builder, loc, tokenType, ValueRange{token},
                                  transfer.device, transfer.host)
                .getAsyncToken();
    value.replaceUsesWithIf(transfer.device, [&](OpOperand &operand) {
      return body.isAncestor(operand.getOwner()->getParentRegion());
    });
    transfers.push_back(transfer);
  }
  gpu::WaitOp::create(builder, loc, Type(), ValueRange{token});

  builder.setInsertionPointAfter(launch);
  token =
      gpu::WaitOp::create(builder, loc, tokenType, ValueRange()).getResult(0);
  for (Transfer &transfer : transfers)
    if (transfer.use.writes)
      token = gpu::MemcpyOp::create(builder, loc, tokenType, ValueRange{token},
                                    transfer.host, transfer.device)
                  .getAsyncToken();
  for (Transfer &transfer : transfers)
    token = gpu::DeallocOp::create(builder, loc, tokenType, ValueRange{token},
                                   transfer.device)
                .getAsyncToken();
  gpu::WaitOp::create(builder, loc, Type(), ValueRange{token});
  for (Transfer &transfer : transfers) {
    if (transfer.host == transfer.original)
      continue;
    if (transfer.use.writes)
      memref::CopyOp::create(builder, loc, transfer.host, transfer.original);
    memref::DeallocOp::create(builder, loc, transfer.host);
  }
  return success();
}

/// Moves the constants `launch`'s body uses into it (upstream's sinking,
/// limited to constants): kernels then see the values (trip counts,
/// offsets) instead of taking them as arguments, and upstream's mma.sync
/// patterns need the transfer indices as constants. (gpu-kernel-outlining
/// sinks only index computations it recognises.)
static void sinkConstants(gpu::LaunchOp launch) {
  (void)sinkOperationsIntoLaunchOp(launch, [](Operation *op) {
    return op->hasTrait<OpTrait::ConstantLike>();
  });
}

namespace {
struct GpuInsertTransfersPass
    : public agn::impl::AGNGpuInsertTransfersBase<GpuInsertTransfersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk(
        [&](gpu::LaunchOp launch) { launches.push_back(launch); });
    bool callsDeviceConstant = false;
    for (gpu::LaunchOp launch : launches) {
      if (failed(insertTransfers(launch, callsDeviceConstant)))
        return signalPassFailure();
      sinkConstants(launch);
    }
    // The runtime function the weights' copies call, declared once.
    SymbolTable symbols(module);
    if (callsDeviceConstant &&
        failed(declareRuntimeFunction(
            module, symbols, module.getLoc(), kDeviceConstant,
            getDeviceConstantType(&getContext()), "agn-gpu-insert-transfers")))
      signalPassFailure();
  }
};
} // namespace
