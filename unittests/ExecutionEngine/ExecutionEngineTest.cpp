//===- ExecutionEngineTest.cpp - Target machines from llvm.target ---------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// agn::createTargetMachine compiles for the module's `llvm.target` (triple,
// chip, features), for the host when there is none, and names the triple and
// chip when LLVM cannot make a machine for them; createExecutionEngine
// JIT-compiles for that machine.
//
//===----------------------------------------------------------------------===//

#include "agn/ExecutionEngine/ExecutionEngine.h"

#include "LLVMModuleTest.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace mlir;
using ::testing::HasSubstr;

namespace {

class ExecutionEngineTest : public agn::test::LLVMModuleTest {
protected:
  /// JIT-compiles the module `text`, failing the test (and returning null)
  /// if it does not parse or compile.
  agn::OwningExecutionEngine compile(StringRef text) {
    OwningOpRef<ModuleOp> module = parse(text);
    if (!module)
      return nullptr;
    std::string error;
    FailureOr<agn::OwningExecutionEngine> engine =
        agn::createExecutionEngine(*module, agn::JitOptions(), error);
    EXPECT_TRUE(succeeded(engine)) << error;
    return succeeded(engine) ? std::move(*engine) : nullptr;
  }
};

TEST_F(ExecutionEngineTest, TargetFromModule) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    module attributes {llvm.target = #llvm.target<
        triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v3",
        features = #llvm.target_features<["+avx2", "+fma"]>>} {}
  )mlir");
  ASSERT_TRUE(module);
  std::string error;
  FailureOr<std::unique_ptr<llvm::TargetMachine>> machine =
      agn::createTargetMachine(*module, error);
  ASSERT_TRUE(succeeded(machine)) << error;
  EXPECT_EQ((*machine)->getTargetTriple().str(), "x86_64-unknown-linux-gnu");
  EXPECT_EQ((*machine)->getTargetCPU(), "x86-64-v3");
  EXPECT_THAT((*machine)->getTargetFeatureString().str(), HasSubstr("+avx2"));
  EXPECT_THAT((*machine)->getTargetFeatureString().str(), HasSubstr("+fma"));
}

TEST_F(ExecutionEngineTest, HostWithoutTarget) {
  OwningOpRef<ModuleOp> module = parse("module {}");
  ASSERT_TRUE(module);
  std::string error;
  agn::TargetMachineOptions options;
  options.relocationModel = llvm::Reloc::PIC_;
  FailureOr<std::unique_ptr<llvm::TargetMachine>> machine =
      agn::createTargetMachine(*module, error, options);
  ASSERT_TRUE(succeeded(machine)) << error;
  EXPECT_EQ((*machine)->getTargetCPU(), llvm::sys::getHostCPUName());
  EXPECT_EQ((*machine)->getRelocationModel(), llvm::Reloc::PIC_);
}

TEST_F(ExecutionEngineTest, NativeChipIsTheHost) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    module attributes {llvm.target = #llvm.target<triple = "", chip = "native">} {}
  )mlir");
  ASSERT_TRUE(module);
  std::string error;
  FailureOr<std::unique_ptr<llvm::TargetMachine>> machine =
      agn::createTargetMachine(*module, error);
  ASSERT_TRUE(succeeded(machine)) << error;
  EXPECT_EQ((*machine)->getTargetCPU(), llvm::sys::getHostCPUName());
}

TEST_F(ExecutionEngineTest, BogusTriple) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    module attributes {llvm.target = #llvm.target<
        triple = "bogus-unknown-nowhere", chip = "x86-64-v3">} {}
  )mlir");
  ASSERT_TRUE(module);
  std::string error;
  EXPECT_TRUE(failed(agn::createTargetMachine(*module, error)));
  EXPECT_THAT(error, HasSubstr("cannot create a target machine for triple "
                               "'bogus-unknown-nowhere', chip 'x86-64-v3'"));
}

TEST_F(ExecutionEngineTest, UnknownChip) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    module attributes {llvm.target = #llvm.target<
        triple = "x86_64-unknown-linux-gnu", chip = "pentium9">} {}
  )mlir");
  ASSERT_TRUE(module);
  std::string error;
  EXPECT_TRUE(failed(agn::createTargetMachine(*module, error)));
  EXPECT_THAT(error, HasSubstr("triple 'x86_64-unknown-linux-gnu', chip "
                               "'pentium9': the target 'x86-64' has no CPU "
                               "of that name"));
}

TEST_F(ExecutionEngineTest, NotATargetAttribute) {
  OwningOpRef<ModuleOp> module =
      parse(R"mlir(module attributes {llvm.target = "x86_64"} {})mlir");
  ASSERT_TRUE(module);
  std::string error;
  EXPECT_TRUE(failed(agn::createTargetMachine(*module, error)));
  EXPECT_THAT(error, HasSubstr("must be an #llvm.target<...>"));
}

TEST_F(ExecutionEngineTest, JitRuns) {
  agn::OwningExecutionEngine engine = compile(R"mlir(
    llvm.func @add(%a: i32, %b: i32) -> i32 {
      %sum = llvm.add %a, %b : i32
      llvm.return %sum : i32
    }
  )mlir");
  ASSERT_TRUE(engine);
  // The packed wrapper takes pointers to the arguments and the result.
  int32_t a = 40, b = 2, result = 0;
  void *args[] = {&a, &b, &result};
  llvm::Error callError = engine->invokePacked("add", args);
  ASSERT_FALSE(callError) << llvm::toString(std::move(callError));
  EXPECT_EQ(result, 42);
}

TEST_F(ExecutionEngineTest, MissingSymbolIsNamed) {
  // The call links (and fails) at the first lookup; the error says why, not
  // only that the symbols failed to materialize.
  agn::OwningExecutionEngine engine = compile(R"mlir(
    llvm.func @agn_no_such_function(i32) -> i32
    llvm.func @call(%a: i32) -> i32 {
      %r = llvm.call @agn_no_such_function(%a) : (i32) -> i32
      llvm.return %r : i32
    }
  )mlir");
  ASSERT_TRUE(engine);
  auto function = engine->lookupPacked("call");
  ASSERT_FALSE(function);
  std::string message = llvm::toString(function.takeError());
  EXPECT_THAT(message, HasSubstr("agn_no_such_function"));
}

/// Creates a token on MLIR's async runtime, completes it, waits for it and
/// drops it: every step goes through the process-wide default runtime.
static constexpr const char *kAwaitToken = R"mlir(
  llvm.func @mlirAsyncRuntimeCreateToken() -> !llvm.ptr
  llvm.func @mlirAsyncRuntimeEmplaceToken(!llvm.ptr)
  llvm.func @mlirAsyncRuntimeAwaitToken(!llvm.ptr)
  llvm.func @mlirAsyncRuntimeIsTokenError(!llvm.ptr) -> i1
  llvm.func @mlirAsyncRuntimeDropRef(!llvm.ptr, i64)
  llvm.func @await_token() -> i32 {
    %token = llvm.call @mlirAsyncRuntimeCreateToken() : () -> !llvm.ptr
    llvm.call @mlirAsyncRuntimeEmplaceToken(%token) : (!llvm.ptr) -> ()
    llvm.call @mlirAsyncRuntimeAwaitToken(%token) : (!llvm.ptr) -> ()
    %failed = llvm.call @mlirAsyncRuntimeIsTokenError(%token)
        : (!llvm.ptr) -> i1
    %one = llvm.mlir.constant(1 : i64) : i64
    llvm.call @mlirAsyncRuntimeDropRef(%token, %one) : (!llvm.ptr, i64) -> ()
    %result = llvm.zext %failed : i1 to i32
    llvm.return %result : i32
  }
)mlir";

// Freeing one engine that uses the async runtime must leave the runtime to
// the others: MLIR's ExecutionEngine would reset the process-wide runtime
// when an engine that loaded it as a shared library is destroyed.
TEST_F(ExecutionEngineTest, AsyncRuntimeOutlivesAnEngine) {
  agn::JitOptions options;
  options.asyncRuntime = true;
  auto awaitToken = [&](agn::JitEngine &engine) {
    int32_t failedToken = -1;
    void *args[] = {&failedToken};
    llvm::Error callError = engine.invokePacked("await_token", args);
    EXPECT_FALSE(callError) << llvm::toString(std::move(callError));
    return failedToken;
  };
  std::string error;
  OwningOpRef<ModuleOp> first = parse(kAwaitToken);
  OwningOpRef<ModuleOp> second = parse(kAwaitToken);
  ASSERT_TRUE(first && second);
  auto kept = agn::createExecutionEngine(*first, options, error);
  ASSERT_TRUE(succeeded(kept)) << error;
  {
    auto freed = agn::createExecutionEngine(*second, options, error);
    ASSERT_TRUE(succeeded(freed)) << error;
    EXPECT_EQ(awaitToken(**freed), 0);
  }
  EXPECT_EQ(awaitToken(**kept), 0);
  // An engine made after one was freed finds the runtime too.
  OwningOpRef<ModuleOp> third = parse(kAwaitToken);
  ASSERT_TRUE(third);
  auto later = agn::createExecutionEngine(*third, options, error);
  ASSERT_TRUE(succeeded(later)) << error;
  EXPECT_EQ(awaitToken(**later), 0);
}

TEST_F(ExecutionEngineTest, JitRefusesAnotherArchitecture) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    module attributes {llvm.target = #llvm.target<
        triple = "riscv64-unknown-linux-gnu", chip = "generic-rv64">} {}
  )mlir");
  ASSERT_TRUE(module);
  std::string error;
  EXPECT_TRUE(
      failed(agn::createExecutionEngine(*module, agn::JitOptions(), error)));
  EXPECT_THAT(error, HasSubstr("cannot JIT-compile for triple "
                               "'riscv64-unknown-linux-gnu' on this host"));
}

TEST_F(ExecutionEngineTest, JitRefusesFeaturesTheHostLacks) {
  // A feature of x86 CPUs this host does not have, if there is one.
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::string lacking;
  for (StringRef feature :
       {"avx512fp16", "amx-tile", "avx512vnni", "avx512f", "avx2"})
    if (host.count(feature) && !host.lookup(feature)) {
      lacking = feature.str();
      break;
    }
  if (lacking.empty())
    GTEST_SKIP() << "this CPU has every feature the test tries";
  std::string text = R"mlir(
    module attributes {llvm.target = #llvm.target<
        triple = "x86_64-unknown-linux-gnu", chip = "x86-64",
        features = #llvm.target_features<["+)mlir" +
                     lacking + R"mlir("]>>} {}
  )mlir";
  OwningOpRef<ModuleOp> module = parse(text);
  ASSERT_TRUE(module);
  std::string error;
  EXPECT_TRUE(
      failed(agn::createExecutionEngine(*module, agn::JitOptions(), error)));
  EXPECT_THAT(error, HasSubstr("on this CPU, which lacks " + lacking));
}

} // namespace
