//===- agn-run.cpp - JIT-run an agn module on .npy inputs -----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Compiles a module (upstream ops on tensors, agn ops, or both) to the LLVM
// dialect with agn-lower-to-llvm-pipeline, JIT-compiles it with MLIR's
// ExecutionEngine and calls its entry function on arrays read from .npy
// files. Writes the results as .npy, and prints the timings and each unit's
// level decisions from the runtime resource manager.
//
//   agn-run model.mlir --passes=agn-adaptive-pipeline -i x.npy -o y.npy
//
//===----------------------------------------------------------------------===//

#include "MemRefCall.h"
#include "NpyArray.h"

#include "agn-c/Runtime.h"
#include "agn/Conversion/Passes.h"
#include "agn/Dialect/AGN/IR/AGNDialect.h"
#include "agn/Dialect/AGN/IR/AGNOps.h"
#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("agn-run options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<module.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string>
    entryName("entry",
              cl::desc("Function to call (default: main, or the "
                       "module's only public function)"),
              cl::init(""), cl::cat(category));
static cl::list<std::string> inputs("i",
                                    cl::desc("Input .npy, one per "
                                             "argument, in order"),
                                    cl::cat(category));
static cl::list<std::string> outputs("o",
                                     cl::desc("Output .npy, one per "
                                              "result, in order"),
                                     cl::cat(category));
static cl::opt<std::string>
    passes("passes",
           cl::desc("Pass pipeline to run before lowering, e.g. "
                    "'agn-adaptive-pipeline{levels=i8,f32}'"),
           cl::init(""), cl::cat(category));
static cl::opt<unsigned> repeat("repeat", cl::desc("Calls to time (default 1)"),
                                cl::init(1), cl::cat(category));
static cl::opt<std::string>
    telemetryPath("telemetry",
                  cl::desc("Write the runtime's telemetry JSON "
                           "to this file"),
                  cl::init(""), cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("Print nothing but errors"),
                           cl::init(false), cl::cat(category));

/// Prints `message` as an agn-run error and returns exit status 1.
static int failWith(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "agn-run") << message << "\n";
  return 1;
}

/// Returns the function to call, or null after printing why.
static func::FuncOp findEntry(ModuleOp module) {
  if (!entryName.empty()) {
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    if (!entry || entry.isExternal())
      llvm::errs() << "agn-run: error: no function named '" << entryName
                   << "' with a body in " << inputFile << "\n";
    return entry && !entry.isExternal() ? entry : nullptr;
  }
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  SmallVector<func::FuncOp> candidates;
  for (auto function : module.getOps<func::FuncOp>())
    if (function.isPublic() && !function.isExternal())
      candidates.push_back(function);
  if (candidates.size() == 1)
    return candidates.front();
  llvm::errs() << "agn-run: error: " << inputFile << " has "
               << candidates.size()
               << " public functions and none named 'main'; pick one with "
                  "--entry=NAME\n";
  return nullptr;
}

/// Prints each registered unit's decisions: arbitrations per granted level
/// and overrides.
static void printDecisions(llvm::raw_ostream &os) {
  agn_rt_stats stats{};
  stats.struct_size = sizeof(stats);
  if (agn_rt_get_stats(&stats) != 0 || stats.num_units == 0) {
    os << "units: none registered (the module has no arbitrated unit)\n";
    return;
  }
  os << "unit decisions (calls per granted level):\n";
  for (int64_t unit = 0; unit < stats.num_units; ++unit) {
    agn_rt_unit_stats unitStats{};
    unitStats.struct_size = sizeof(unitStats);
    if (agn_rt_get_unit_stats(unit, &unitStats) != 0)
      continue;
    os << "  " << unitStats.name << ":";
    for (int64_t level = 0; level < AGN_NUM_LEVELS; ++level)
      if (unitStats.granted[level] != 0)
        os << " " << agn_rt_level_name(level) << "="
           << unitStats.granted[level];
    uint64_t overrides = 0;
    for (uint64_t count : unitStats.overrides)
      overrides += count;
    os << "  (overrides " << overrides << ", mean statistic "
       << llvm::format("%.4g", unitStats.statistic_mean) << ")\n";
  }
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  registerAllPasses();
  agn::registerAGNPassesAndPipelines();
  agn::registerAGNConversionPassesAndPipelines();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv, "agn-run: JIT-run an MLIR module on .npy inputs\n");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<agn::AGNDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(inputFile, &error);
  if (!file)
    return failWith("cannot read '" + inputFile + "': " + error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  func::FuncOp entry = findEntry(*module);
  if (!entry)
    return 1;
  std::string entrySymbol = entry.getSymName().str();

  // Read and check the inputs against the entry's signature before compiling.
  SmallVector<agnrun::NpyArray> arrays;
  for (const std::string &path : inputs) {
    llvm::Expected<agnrun::NpyArray> array = agnrun::readNpy(path);
    if (!array)
      return failWith(llvm::toString(array.takeError()));
    arrays.push_back(std::move(*array));
  }
  FunctionType signature = entry.getFunctionType();
  if (failed(agnrun::checkArguments(signature, arrays, inputs, llvm::errs())))
    return 1;
  if (!outputs.empty() && outputs.size() != signature.getNumResults())
    return failWith("@" + entrySymbol + " has " +
                    llvm::Twine(signature.getNumResults()) + " results but " +
                    llvm::Twine(outputs.size()) + " -o files were given");
  if (failed(agnrun::checkResultTypes(signature, llvm::errs())))
    return 1;

  // Accept the pipeline with or without its builtin.module(...) anchor.
  StringRef pipeline = StringRef(passes).trim();
  if (pipeline.consume_front("builtin.module(") && pipeline.ends_with(")"))
    pipeline = pipeline.drop_back();
  PassManager pm(&context);
  if (!pipeline.empty() &&
      failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    return failWith("bad --passes pipeline '" + passes + "'");
  agn::LowerToLLVMOptions lowerOptions;
  agn::buildLowerToLLVMPipeline(pm, lowerOptions);
  if (failed(pm.run(*module)))
    return failWith("compiling " + inputFile + " failed");

  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = makeOptimizingTransformer(
      /*optLevel=*/3, /*sizeLevel=*/0, /*targetMachine=*/nullptr);
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine)
    return failWith("JIT compilation failed: " +
                    llvm::toString(engine.takeError()));

  // Warm-up call included: every call is timed and the median reported.
  SmallVector<agnrun::NpyArray> results;
  std::vector<double> millis;
  for (unsigned call = 0; call < std::max(1u, repeat.getValue()); ++call) {
    agn_rt_begin_inference();
    auto start = std::chrono::steady_clock::now();
    llvm::Error callError =
        agnrun::callEntry(**engine, entrySymbol, signature, arrays, results);
    auto stop = std::chrono::steady_clock::now();
    agn_rt_end_inference();
    if (callError)
      return failWith(llvm::toString(std::move(callError)));
    millis.push_back(
        std::chrono::duration<double, std::milli>(stop - start).count());
  }

  for (auto [path, result] : llvm::zip(outputs, results))
    if (llvm::Error writeError = agnrun::writeNpy(path, result))
      return failWith(llvm::toString(std::move(writeError)));
  if (!telemetryPath.empty() &&
      agn_rt_dump_telemetry(telemetryPath.c_str()) != 0)
    return failWith("cannot write telemetry to '" + telemetryPath +
                    "': " + agn_rt_last_error());

  if (!quiet) {
    llvm::raw_ostream &os = llvm::outs();
    std::vector<double> sorted = millis;
    std::sort(sorted.begin(), sorted.end());
    os << "@" << entrySymbol << ": " << millis.size() << " call"
       << (millis.size() == 1 ? "" : "s") << ", median "
       << llvm::format("%.3f", sorted[sorted.size() / 2]) << " ms, min "
       << llvm::format("%.3f", sorted.front()) << " ms\n";
    for (auto [index, result] : llvm::enumerate(results))
      agnrun::printSummary(os, index, result);
    printDecisions(os);
  }
  return 0;
}
