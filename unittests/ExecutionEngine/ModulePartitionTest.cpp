//===- ModulePartitionTest.cpp - Modules split for parallel compiles ------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// agn::partitionModule splits an LLVM-dialect module into parts that define,
// together, what it defines, each valid on its own; createExecutionEngine
// compiles the parts on several threads and links them into the same
// functions as one part gives.
//
//===----------------------------------------------------------------------===//

#include "agn/ExecutionEngine/ModulePartition.h"
#include "agn/ExecutionEngine/ExecutionEngine.h"

#include "LLVMModuleTest.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdlib>

using namespace mlir;
using ::testing::HasSubstr;

namespace {

/// An entry function that calls two private kernels (as agn-outline-loop-nests
/// makes them), one of which reads a private constant (as weights are), and
/// an external runtime function.
constexpr const char *kKernels = R"mlir(
  module attributes {agn.test = "kept"} {
    llvm.mlir.global private constant @weights(dense<[1, 2, 3, 4]> : tensor<4xi32>) {addr_space = 0 : i32} : !llvm.array<4 x i32>
    llvm.func @agn_rt_note(i32)
    llvm.func internal @scale(%x: i32) -> i32 attributes {passthrough = ["noinline"]} {
      %w = llvm.mlir.addressof @weights : !llvm.ptr
      %p = llvm.getelementptr %w[0, 2] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<4 x i32>
      %v = llvm.load %p : !llvm.ptr -> i32
      %r = llvm.mul %x, %v : i32
      llvm.return %r : i32
    }
    llvm.func internal @shift(%x: i32) -> i32 attributes {passthrough = ["noinline"]} {
      %c = llvm.mlir.constant(5 : i32) : i32
      %r = llvm.add %x, %c : i32
      llvm.return %r : i32
    }
    llvm.func @main(%x: i32) -> i32 {
      %a = llvm.call @scale(%x) : (i32) -> i32
      %b = llvm.call @shift(%a) : (i32) -> i32
      llvm.return %b : i32
    }
  }
)mlir";

class ModulePartitionTest : public agn::test::LLVMModuleTest {
protected:
  /// Compiles `module` on `threads` threads and returns main(7).
  int32_t compileAndRun(ModuleOp module, unsigned threads) {
    agn::JitOptions options;
    options.compileThreads = threads;
    std::string error;
    auto engine = agn::createExecutionEngine(module, options, error);
    EXPECT_TRUE(succeeded(engine)) << error;
    if (failed(engine))
      return -1;
    int32_t x = 7, result = 0;
    void *args[] = {&x, &result};
    llvm::Error callError = (*engine)->invokePacked("main", args);
    EXPECT_FALSE(callError) << llvm::toString(std::move(callError));
    return result;
  }
};

TEST_F(ModulePartitionTest, PartsDefineEachSymbolOnce) {
  OwningOpRef<ModuleOp> module = parse(kKernels);
  ASSERT_TRUE(module);
  SmallVector<OwningOpRef<ModuleOp>> parts = agn::partitionModule(*module, 3);
  ASSERT_EQ(parts.size(), 3u);

  llvm::StringMap<unsigned> definedIn;
  for (unsigned index = 0; index < parts.size(); ++index) {
    ModuleOp part = *parts[index];
    EXPECT_TRUE(succeeded(verify(part)));
    EXPECT_EQ(part->getAttr("agn.test"), (*module)->getAttr("agn.test"));
    for (auto function : part.getOps<LLVM::LLVMFuncOp>())
      if (!function.isExternal())
        EXPECT_TRUE(definedIn.try_emplace(function.getSymName(), index).second)
            << function.getSymName().str() << " defined twice";
    for (auto global : part.getOps<LLVM::GlobalOp>())
      if (global.getValueOrNull())
        EXPECT_TRUE(definedIn.try_emplace(global.getSymName(), index).second)
            << global.getSymName().str() << " defined twice";
    // Every symbol a part uses is in the part, defined or declared.
    SymbolTable table(part);
    part.walk([&](Operation *op) {
      if (auto uses = SymbolTable::getSymbolUses(op))
        for (const SymbolTable::SymbolUse &use : *uses)
          EXPECT_TRUE(table.lookup(use.getSymbolRef().getRootReference()))
              << "part " << index << " uses "
              << use.getSymbolRef().getRootReference().str()
              << " without declaring it";
    });
  }
  EXPECT_EQ(definedIn.size(), 4u); // main, scale, shift, weights
  EXPECT_FALSE(definedIn.contains("agn_rt_note")); // only declared
  // The weights go with their only user.
  EXPECT_EQ(definedIn.lookup("weights"), definedIn.lookup("scale"));

  // A kernel that main calls from another part is external there, and
  // declared (external, no body) in main's part.
  ModuleOp mainPart = *parts[definedIn.lookup("main")];
  for (StringRef kernel : {"scale", "shift"}) {
    ModuleOp kernelPart = *parts[definedIn.lookup(kernel)];
    if (kernelPart == mainPart)
      continue;
    auto definition = kernelPart.lookupSymbol<LLVM::LLVMFuncOp>(kernel);
    EXPECT_EQ(definition.getLinkage(), LLVM::Linkage::External);
    auto declaration = mainPart.lookupSymbol<LLVM::LLVMFuncOp>(kernel);
    ASSERT_TRUE(declaration) << kernel.str();
    EXPECT_TRUE(declaration.isExternal());
    EXPECT_EQ(declaration.getLinkage(), LLVM::Linkage::External);
  }
}

TEST_F(ModulePartitionTest, WeightsGoToAPartOfTheirOwn) {
  // Two kernels and two globals: 2048 i32 (8 KiB, weights) and 4 i32.
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    llvm.mlir.global private constant @big(dense<7> : tensor<2048xi32>) {addr_space = 0 : i32} : !llvm.array<2048 x i32>
    llvm.mlir.global private constant @small(dense<[1, 2, 3, 4]> : tensor<4xi32>) {addr_space = 0 : i32} : !llvm.array<4 x i32>
    llvm.func internal @first(%i: i64) -> i32 attributes {passthrough = ["noinline"]} {
      %w = llvm.mlir.addressof @big : !llvm.ptr
      %p = llvm.getelementptr %w[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<2048 x i32>
      %v = llvm.load %p : !llvm.ptr -> i32
      llvm.return %v : i32
    }
    llvm.func internal @second(%i: i64) -> i32 attributes {passthrough = ["noinline"]} {
      %w = llvm.mlir.addressof @small : !llvm.ptr
      %p = llvm.getelementptr %w[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<4 x i32>
      %v = llvm.load %p : !llvm.ptr -> i32
      llvm.return %v : i32
    }
    llvm.func @main(%x: i32) -> i32 {
      %i = llvm.mlir.constant(3 : i64) : i64
      %a = llvm.call @first(%i) : (i64) -> i32
      %b = llvm.call @second(%i) : (i64) -> i32
      %s = llvm.add %a, %b : i32
      %r = llvm.add %s, %x : i32
      llvm.return %r : i32
    }
  )mlir");
  ASSERT_TRUE(module);
  SmallVector<OwningOpRef<ModuleOp>> parts = agn::partitionModule(*module, 2);
  ASSERT_EQ(parts.size(), 3u);
  // The last part holds the weights and nothing else; the small global is
  // with its user.
  ModuleOp data = *parts.back();
  auto big = data.lookupSymbol<LLVM::GlobalOp>("big");
  ASSERT_TRUE(big && big.getValueOrNull());
  EXPECT_EQ(big.getLinkage(), LLVM::Linkage::External);
  EXPECT_TRUE(data.getOps<LLVM::LLVMFuncOp>().empty());
  for (unsigned index = 0; index + 1 < parts.size(); ++index) {
    ModuleOp part = *parts[index];
    EXPECT_TRUE(succeeded(verify(part)));
    if (auto declared = part.lookupSymbol<LLVM::GlobalOp>("big"))
      EXPECT_FALSE(declared.getValueOrNull());
    auto second = part.lookupSymbol<LLVM::LLVMFuncOp>("second");
    if (second && !second.isExternal())
      EXPECT_TRUE(part.lookupSymbol<LLVM::GlobalOp>("small").getValueOrNull());
  }
  // main(7) = 7 + 4 + 7, whole and split (the weights stored as bytes).
  EXPECT_EQ(compileAndRun(*module, 1), 18);
  EXPECT_EQ(compileAndRun(*module, 2), 18);
}

TEST_F(ModulePartitionTest, SmallLevelWeightsStayWithTheWeights) {
  // A level's scales (one page, 1024 f32) and a smaller tensor of a level
  // (as agn-place-level-weights names them) go with the weights, however
  // small: left with the entry function, one level's scales shared a 64 KiB
  // window with another unit's, whose release then dropped a granted page.
  // The registration flag (not constant) and other small globals stay with
  // their users.
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    llvm.mlir.global private constant @__agn_weights_i8_0(dense<2.0> : tensor<1024xf32>) {addr_space = 0 : i32} : !llvm.array<1024 x f32>
    llvm.mlir.global private constant @__agn_weights_i8_1(dense<3> : tensor<16xi32>) {addr_space = 0 : i32} : !llvm.array<16 x i32>
    llvm.mlir.global private @__agn_weights_registered_0(0 : i64) {addr_space = 0 : i32} : i64
    llvm.mlir.global private constant @small(dense<[1, 2, 3, 4]> : tensor<4xi32>) {addr_space = 0 : i32} : !llvm.array<4 x i32>
    llvm.func internal @first(%i: i64) -> i32 attributes {passthrough = ["noinline"]} {
      %w = llvm.mlir.addressof @__agn_weights_i8_1 : !llvm.ptr
      %p = llvm.getelementptr %w[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<16 x i32>
      %v = llvm.load %p : !llvm.ptr -> i32
      %s = llvm.mlir.addressof @small : !llvm.ptr
      %q = llvm.getelementptr %s[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<4 x i32>
      %u = llvm.load %q : !llvm.ptr -> i32
      %r = llvm.add %v, %u : i32
      llvm.return %r : i32
    }
    llvm.func internal @second(%i: i64) -> i32 attributes {passthrough = ["noinline"]} {
      %w = llvm.mlir.addressof @__agn_weights_i8_0 : !llvm.ptr
      %p = llvm.getelementptr %w[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<1024 x f32>
      %v = llvm.load %p : !llvm.ptr -> f32
      %r = llvm.fptosi %v : f32 to i32
      %f = llvm.mlir.addressof @__agn_weights_registered_0 : !llvm.ptr
      %one = llvm.mlir.constant(1 : i64) : i64
      llvm.store %one, %f : i64, !llvm.ptr
      llvm.return %r : i32
    }
    llvm.func @main(%x: i32) -> i32 {
      %i = llvm.mlir.constant(3 : i64) : i64
      %a = llvm.call @first(%i) : (i64) -> i32
      %b = llvm.call @second(%i) : (i64) -> i32
      %s = llvm.add %a, %b : i32
      %r = llvm.add %s, %x : i32
      llvm.return %r : i32
    }
  )mlir");
  ASSERT_TRUE(module);
  SmallVector<OwningOpRef<ModuleOp>> parts = agn::partitionModule(*module, 2);
  ASSERT_EQ(parts.size(), 3u);
  ModuleOp data = *parts.back();
  for (StringRef name : {"__agn_weights_i8_0", "__agn_weights_i8_1"}) {
    auto global = data.lookupSymbol<LLVM::GlobalOp>(name);
    ASSERT_TRUE(global && global.getValueOrNull()) << name.str();
  }
  for (StringRef name : {"__agn_weights_registered_0", "small"})
    if (auto global = data.lookupSymbol<LLVM::GlobalOp>(name))
      EXPECT_FALSE(global.getValueOrNull()) << name.str();
  // main(7) = (3 + 4) + 2 + 7, whole and split.
  EXPECT_EQ(compileAndRun(*module, 1), 16);
  EXPECT_EQ(compileAndRun(*module, 2), 16);
}

TEST_F(ModulePartitionTest, ModulesKeptWhole) {
  OwningOpRef<ModuleOp> module = parse(kKernels);
  ASSERT_TRUE(module);
  EXPECT_TRUE(agn::partitionModule(*module, 1).empty());

  OwningOpRef<ModuleOp> single = parse(R"mlir(
    llvm.func @agn_rt_note(i32)
    llvm.func @main(%x: i32) -> i32 {
      llvm.return %x : i32
    }
  )mlir");
  ASSERT_TRUE(single);
  EXPECT_TRUE(agn::partitionModule(*single, 4).empty());

  // Constructors run in the order of one list: not split.
  OwningOpRef<ModuleOp> withCtors = parse(R"mlir(
    llvm.mlir.global_ctors ctors = [@init], priorities = [0 : i32], data = [#llvm.zero]
    llvm.func @init() {
      llvm.return
    }
    llvm.func @main(%x: i32) -> i32 {
      llvm.return %x : i32
    }
  )mlir");
  ASSERT_TRUE(withCtors);
  EXPECT_TRUE(agn::partitionModule(*withCtors, 2).empty());
}

TEST_F(ModulePartitionTest, ThreadsComputeTheSame) {
  OwningOpRef<ModuleOp> module = parse(kKernels);
  ASSERT_TRUE(module);
  // main(7) = 7 * 3 + 5, on one part and on as many parts as there are
  // functions.
  EXPECT_EQ(compileAndRun(*module, 1), 26);
  EXPECT_EQ(compileAndRun(*module, 4), 26);
}

TEST_F(ModulePartitionTest, BadCompileThreadsIsAnError) {
  OwningOpRef<ModuleOp> module = parse(kKernels);
  ASSERT_TRUE(module);
  ::setenv("AGN_COMPILE_THREADS", "two", /*overwrite=*/1);
  std::string error;
  bool failedToCreate =
      failed(agn::createExecutionEngine(*module, agn::JitOptions(), error));
  ::unsetenv("AGN_COMPILE_THREADS");
  EXPECT_TRUE(failedToCreate);
  EXPECT_THAT(error, HasSubstr("AGN_COMPILE_THREADS must be a positive "
                               "number of threads, not 'two'"));
}

TEST_F(ModulePartitionTest, ConstructorsAreRefused) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    llvm.mlir.global_ctors ctors = [@init], priorities = [0 : i32], data = [#llvm.zero]
    llvm.func @init() {
      llvm.return
    }
  )mlir");
  ASSERT_TRUE(module);
  std::string error;
  EXPECT_TRUE(
      failed(agn::createExecutionEngine(*module, agn::JitOptions(), error)));
  EXPECT_THAT(error, HasSubstr("global constructors"));
}

TEST_F(ModulePartitionTest, ManyGlobalsFollowTheirOnlyUser) {
  // An entry function reading 200 small globals (as a model's entry reads
  // its units' flags and constants) and calling two kernels: taking the
  // globals for main's part grows the partition's map while it reads main's
  // entry. Each global must be defined once, in main's part.
  constexpr unsigned kGlobals = 200;
  std::string text;
  llvm::raw_string_ostream os(text);
  for (unsigned i = 0; i < kGlobals; ++i)
    os << "llvm.mlir.global private constant @g" << i << "(" << i
       << " : i32) {addr_space = 0 : i32} : i32\n";
  os << R"mlir(
    llvm.func internal @one(%x: i32) -> i32 attributes {passthrough = ["noinline"]} {
      %c = llvm.mlir.constant(1 : i32) : i32
      %r = llvm.add %x, %c : i32
      llvm.return %r : i32
    }
    llvm.func internal @two(%x: i32) -> i32 attributes {passthrough = ["noinline"]} {
      %c = llvm.mlir.constant(2 : i32) : i32
      %r = llvm.mul %x, %c : i32
      llvm.return %r : i32
    }
    llvm.func @main(%x: i32) -> i32 {
      %a = llvm.call @one(%x) : (i32) -> i32
      %s0 = llvm.call @two(%a) : (i32) -> i32
)mlir";
  for (unsigned i = 0; i < kGlobals; ++i)
    os << "%p" << i << " = llvm.mlir.addressof @g" << i << " : !llvm.ptr\n"
       << "%v" << i << " = llvm.load %p" << i << " : !llvm.ptr -> i32\n"
       << "%s" << i + 1 << " = llvm.add %s" << i << ", %v" << i << " : i32\n";
  os << "llvm.return %s" << kGlobals << " : i32\n}\n";
  OwningOpRef<ModuleOp> module = parse(text);
  ASSERT_TRUE(module);

  SmallVector<OwningOpRef<ModuleOp>> parts = agn::partitionModule(*module, 3);
  ASSERT_EQ(parts.size(), 3u);
  llvm::StringMap<unsigned> definedIn;
  for (unsigned index = 0; index < parts.size(); ++index) {
    for (auto function : parts[index]->getOps<LLVM::LLVMFuncOp>())
      if (!function.isExternal())
        definedIn.try_emplace(function.getSymName(), index);
    for (auto global : parts[index]->getOps<LLVM::GlobalOp>())
      if (global.getValueOrNull())
        EXPECT_TRUE(definedIn.try_emplace(global.getSymName(), index).second)
            << global.getSymName().str() << " defined twice";
  }
  for (unsigned i = 0; i < kGlobals; ++i) {
    std::string name = "g" + std::to_string(i);
    ASSERT_TRUE(definedIn.contains(name)) << name << " is in no part";
    EXPECT_EQ(definedIn.lookup(name), definedIn.lookup("main")) << name;
  }
  // (7 + 1) * 2 + (0 + 1 + ... + 199).
  EXPECT_EQ(compileAndRun(*module, 2), 16 + kGlobals * (kGlobals - 1) / 2);
}

} // namespace
