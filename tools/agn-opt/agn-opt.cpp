//===- agn-opt.cpp - agn's optimizer driver -------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with the agn dialect and passes added to every upstream dialect,
// extension and pass, so IR from any upstream frontend parses and agn's passes
// can be mixed with upstream ones in one pipeline.
//
//===----------------------------------------------------------------------===//

#include "agn/InitAGN.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::agn::registerAllAGNPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::agn::registerAllAGNDialects(registry);
  // gpu-module-to-binary translates gpu.module ops to LLVM IR (as mlir-opt
  // does).
  mlir::registerAllGPUToLLVMIRTranslations(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "agn optimizer driver\n", registry));
}
