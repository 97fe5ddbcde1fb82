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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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
static void collectUse(Value value, Region &region, BufferUse &use) {
  for (OpOperand &operand : value.getUses()) {
    Operation *user = operand.getOwner();
    if (!region.isAncestor(user->getParentRegion()))
      continue;
    if (auto view = dyn_cast<ViewLikeOpInterface>(user);
        view && view.getViewSource() == value) {
      for (Value result : user->getResults())
        collectUse(result, region, use);
      continue;
    }
    auto effects = dyn_cast<MemoryEffectOpInterface>(user);
    if (!effects) {
      // Unknown to the analysis: assume it reads and writes.
      use.reads = use.writes = true;
      continue;
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffectsOnValue(value, instances);
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
  return global && global.getConstant() && type.hasStaticShape() &&
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
  auto module = host.getParentRegion()->getParentOfType<ModuleOp>();
  auto pointerType = LLVM::LLVMPointerType::get(context);
  Type i64 = builder.getI64Type();
  if (!module.lookupSymbol(kDeviceConstant)) {
    OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
    auto declaration = func::FuncOp::create(
        moduleBuilder, loc, kDeviceConstant,
        builder.getFunctionType({pointerType, i64}, {pointerType}));
    declaration.setPrivate();
  }
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

/// Gives `launch` device buffers for the host buffers its body uses.
static void insertTransfers(gpu::LaunchOp launch) {
  Location loc = launch.getLoc();
  Region &body = launch.getBody();
  // Globals read inside the kernel are host symbols: read them outside.
  launch.walk([&](memref::GetGlobalOp global) { global->moveBefore(launch); });

  SetVector<Value> used;
  getUsedValuesDefinedAbove(body, used);
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
  for (Value value : used) {
    auto type = dyn_cast<MemRefType>(value.getType());
    if (!type)
      continue;
    Transfer transfer{value, value, Value(), BufferUse()};
    collectUse(value, body, transfer.use);
    if (!transfer.use.reads && !transfer.use.writes)
      continue;
    if (!transfer.use.writes && isConstantGlobal(value)) {
      // Weights: copied to the device once, kept there.
      Value device = deviceConstant(builder, loc, value);
      value.replaceUsesWithIf(device, [&](OpOperand &operand) {
        return body.isAncestor(operand.getOwner()->getParentRegion());
      });
      continue;
    }
    auto contiguous = MemRefType::get(type.getShape(), type.getElementType());
    SmallVector<Value> sizes = dynamicSizes(builder, loc, value);
    if (type.getLayout() && !type.getLayout().isIdentity()) {
      // gpu.memcpy copies contiguous buffers only.
      transfer.host = memref::AllocOp::create(builder, loc, contiguous, sizes);
      if (transfer.use.reads)
        memref::CopyOp::create(builder, loc, value, transfer.host);
    }
    auto alloc = gpu::AllocOp::create(builder, loc, contiguous, tokenType,
                                      ValueRange{token}, sizes, ValueRange(),
                                      /*hostShared=*/false);
    transfer.device = alloc.getMemref();
    token = alloc.getAsyncToken();
    if (transfer.use.reads)
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
}

/// Clones the constants `launch`'s body uses into it: kernels then see the
/// values (trip counts, offsets) instead of taking them as arguments, and
/// upstream's mma.sync patterns need the transfer indices as constants.
static void sinkConstants(gpu::LaunchOp launch) {
  SetVector<Value> used;
  getUsedValuesDefinedAbove(launch.getBody(), used);
  OpBuilder builder = OpBuilder::atBlockBegin(&launch.getBody().front());
  for (Value value : used) {
    Operation *definition = value.getDefiningOp();
    if (!definition || !definition->hasTrait<OpTrait::ConstantLike>())
      continue;
    Value clone = builder.clone(*definition)->getResult(0);
    value.replaceUsesWithIf(clone, [&](OpOperand &operand) {
      return launch.getBody().isAncestor(operand.getOwner()->getParentRegion());
    });
  }
}

namespace {
struct GpuInsertTransfersPass
    : public agn::impl::AGNGpuInsertTransfersBase<GpuInsertTransfersPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk(
        [&](gpu::LaunchOp launch) { launches.push_back(launch); });
    for (gpu::LaunchOp launch : launches) {
      insertTransfers(launch);
      sinkConstants(launch);
    }
  }
};
} // namespace
