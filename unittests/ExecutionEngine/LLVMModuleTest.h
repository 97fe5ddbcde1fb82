//===- LLVMModuleTest.h - Fixture of modules in the LLVM dialect -*- C++
//-*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_UNITTESTS_EXECUTIONENGINE_LLVMMODULETEST_H
#define AGN_UNITTESTS_EXECUTIONENGINE_LLVMMODULETEST_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "gtest/gtest.h"

namespace mlir::agn::test {

/// A context with the LLVM dialect and its translation to LLVM IR, and a
/// parser of test modules.
class LLVMModuleTest : public ::testing::Test {
protected:
  LLVMModuleTest() {
    DialectRegistry registry;
    registry.insert<LLVM::LLVMDialect>();
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Parses `text`, failing the test if it does not parse.
  OwningOpRef<ModuleOp> parse(StringRef text) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
    EXPECT_TRUE(module) << text.str();
    return module;
  }

  MLIRContext context;
};

} // namespace mlir::agn::test

#endif // AGN_UNITTESTS_EXECUTIONENGINE_LLVMMODULETEST_H
