//===- Passes.h - agn GPU kernel passes -------------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_GPU_PASSES_H
#define AGN_CODEGEN_GPU_PASSES_H

#include "agn/Dialect/AGN/IR/AGNDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::agn {

#define GEN_PASS_DECL
#include "agn/Codegen/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "agn/Codegen/GPU/Passes.h.inc"

} // namespace mlir::agn

#endif // AGN_CODEGEN_GPU_PASSES_H
