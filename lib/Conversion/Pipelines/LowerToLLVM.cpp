//===- LowerToLLVM.cpp - agn-lower-to-llvm-pipeline -----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::agn;

void mlir::agn::buildLowerToLLVMPipeline(OpPassManager &pm,
                                         const LowerToLLVMOptions &options) {
  pm.addPass(createAGNLower());
}

void mlir::agn::registerLowerToLLVMPipeline() {
  PassPipelineRegistration<LowerToLLVMOptions>(
      "agn-lower-to-llvm-pipeline",
      "Lower agn programs on tensors to the LLVM dialect for the CPU",
      buildLowerToLLVMPipeline);
}
