//===- AGNPlugin.cpp - agn as a plugin for mlir-opt -----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Lets Debian's own mlir-opt (or any MlirOptMain tool linking libMLIR.so) load
// the agn dialect and passes:
//
//   mlir-opt --load-dialect-plugin=libAGNPlugin.so \
//            --load-pass-plugin=libAGNPlugin.so in.mlir --agn-adaptive-pipeline
//
//===----------------------------------------------------------------------===//

#include "agn/InitAGN.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

/// The dialect plugin entry point: registers the agn dialect.
extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "AGN", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mlir::agn::registerAllAGNDialects(*registry);
          }};
}

/// The pass plugin entry point: registers agn's passes and pipelines.
extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "AGNPasses", LLVM_VERSION_STRING,
          []() { mlir::agn::registerAllAGNPasses(); }};
}
