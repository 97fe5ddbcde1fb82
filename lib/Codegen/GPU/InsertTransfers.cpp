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
// out.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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
