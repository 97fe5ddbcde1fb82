//===- InitAGN.h - Register agn's dialects and passes -----------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// One place that lists everything agn adds to a tool, as upstream's
// InitAllDialects.h and InitAllPasses.h do for MLIR: agn-opt, the plugin
// for mlir-opt and the JIT front doors all call these.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_INITAGN_H
#define AGN_INITAGN_H

#include "agn/Codegen/CPU/Passes.h"
#include "agn/Codegen/Common/Passes.h"
#include "agn/Codegen/GPU/Passes.h"
#include "agn/Codegen/X86/Passes.h"
#include "agn/Conversion/Passes.h"
#include "agn/Dialect/AGN/IR/AGNDialect.h"
#include "agn/Dialect/AGN/Transforms/Passes.h"
#include "agn/Dialect/X86/IR/X86Dialect.h"
#include "agn/Dialect/X86/Transforms/Passes.h"
#include "agn/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"

namespace mlir::agn {

/// Adds agn's dialects (`agn` and `agn_x86`) to `registry`.
inline void registerAllAGNDialects(DialectRegistry &registry) {
  registry.insert<AGNDialect, x86::X86Dialect>();
}

/// Registers every agn pass and pipeline with the global pass registry.
inline void registerAllAGNPasses() {
  registerAGNPasses();
  registerAGNConversionPasses();
  registerAGNCodegenCommonPasses();
  registerAGNCodegenCPUPasses();
  registerAGNCodegenGPUPasses();
  registerAGNCodegenX86Passes();
  registerAGNX86Passes();
  registerAGNPipelines();
}

} // namespace mlir::agn

#endif // AGN_INITAGN_H
