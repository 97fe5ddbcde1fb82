//===- ExecutionEngine.cpp - Target machines and JIT engines --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/ExecutionEngine/ExecutionEngine.h"

#include "AsyncTasks.h"
#include "FileBackedConstants.h"

#include "agn/Utils/CompileProgress.h"
#include "mlir/Dialect/LLVMIR/LLVMAttrs.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Threading.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::agn;

/// Registers every target LLVM was built with, once per process: a module
/// may name any of them (agn-aot compiles for other CPUs too).
static void initializeTargetsOnce() {
  static llvm::once_flag flag;
  llvm::call_once(flag, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
}

/// Returns the builder for the target that `target` describes.
static FailureOr<llvm::orc::JITTargetMachineBuilder>
getTargetBuilder(LLVM::TargetAttr target, std::string &error) {
  StringRef triple = target.getTriple().getValue();
  StringRef chip = target.getChip().getValue();
  auto fail = [&](const Twine &why) {
    error = ("cannot create a target machine for triple '" + triple +
             "', chip '" + chip + "': " + why)
                .str();
    return failure();
  };

  std::optional<llvm::orc::JITTargetMachineBuilder> builder;
  if (chip == "native") {
    auto host = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!host)
      return fail(llvm::toString(host.takeError()));
    builder = std::move(*host);
    if (!triple.empty())
      builder->getTargetTriple() = llvm::Triple(triple);
  } else {
    builder.emplace(triple.empty() ? llvm::Triple(llvm::sys::getProcessTriple())
                                   : llvm::Triple(triple));
    builder->setCPU(chip.str());
  }
  if (LLVM::TargetFeaturesAttr features = target.getFeatures()) {
    std::vector<std::string> list;
    for (StringAttr feature : features.getFeatures())
      list.push_back(feature.str());
    builder->addFeatures(list);
  }

  // LLVM only warns about an unknown CPU and then compiles for a generic one;
  // a module that names a chip should get that chip or an error.
  std::string lookupError;
  const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(
      builder->getTargetTriple(), lookupError);
  if (!llvmTarget)
    return fail(lookupError);
  if (!chip.empty() && chip != "native") {
    std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
        llvmTarget->createMCSubtargetInfo(builder->getTargetTriple(), "", ""));
    if (!subtarget || !subtarget->isCPUStringValid(chip))
      return fail(Twine("the target '") + llvmTarget->getName() +
                  "' has no CPU of that name");
  }
  return std::move(*builder);
}

FailureOr<std::unique_ptr<llvm::TargetMachine>>
mlir::agn::createTargetMachine(ModuleOp module, std::string &error,
                               const TargetMachineOptions &options) {
  initializeTargetsOnce();
  std::optional<llvm::orc::JITTargetMachineBuilder> builder;
  StringRef attrName = LLVM::LLVMDialect::getTargetAttrName();
  if (Attribute attr = module->getAttr(attrName)) {
    auto target = dyn_cast<LLVM::TargetAttr>(attr);
    if (!target) {
      llvm::raw_string_ostream os(error);
      os << "the module's '" << attrName
         << "' attribute must be an #llvm.target<...>, not " << attr;
      return failure();
    }
    FailureOr<llvm::orc::JITTargetMachineBuilder> fromModule =
        getTargetBuilder(target, error);
    if (failed(fromModule))
      return failure();
    builder = std::move(*fromModule);
  } else {
    auto host = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!host) {
      error = "cannot detect the host CPU: " + llvm::toString(host.takeError());
      return failure();
    }
    builder = std::move(*host);
  }

  builder->setCodeGenOptLevel(options.codeGenOptLevel);
  if (options.relocationModel)
    builder->setRelocationModel(options.relocationModel);
  auto machine = builder->createTargetMachine();
  if (!machine) {
    error = "cannot create a target machine for triple '" +
            builder->getTargetTriple().str() + "', chip '" + builder->getCPU() +
            "': " + llvm::toString(machine.takeError());
    return failure();
  }
  return std::move(*machine);
}

std::function<llvm::Error(llvm::Module *)>
mlir::agn::makeOptimizer(llvm::TargetMachine *machine,
                         CompileProgress *progress) {
  return [machine, progress](llvm::Module *module) -> llvm::Error {
    unsigned functions = llvm::count_if(
        *module, [](const llvm::Function &f) { return !f.isDeclaration(); });
    if (progress)
      progress->beginStage("LLVM optimization", functions, "functions");
    llvm::PassInstrumentationCallbacks callbacks;
    // Each function meets the loop vectorizer once, late in the pipeline:
    // the count of functions done so far.
    if (progress)
      callbacks.registerAfterPassCallback(
          [progress](StringRef pass, llvm::Any,
                     const llvm::PreservedAnalyses &) {
            if (pass == "LoopVectorizePass")
              progress->advance();
          });
    // MLIR's makeOptimizingTransformer at -O3, with the callbacks.
    llvm::PipelineTuningOptions tuning;
    tuning.LoopUnrolling = true;
    tuning.LoopInterleaving = true;
    tuning.LoopVectorization = true;
    tuning.SLPVectorization = true;
    llvm::PassBuilder builder(machine, tuning, std::nullopt, &callbacks);
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functionAnalyses;
    llvm::CGSCCAnalysisManager sccs;
    llvm::ModuleAnalysisManager modules;
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(sccs);
    builder.registerFunctionAnalyses(functionAnalyses);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functionAnalyses, sccs, modules);
    llvm::ModulePassManager passes =
        builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
    passes.run(*module, modules);
    // Machine code follows, when the engine first looks up a symbol.
    if (progress)
      progress->beginStage("machine code");
    return llvm::Error::success();
  };
}

void mlir::agn::EngineDeleter::operator()(ExecutionEngine *engine) const {
  // Workers may still be finishing tasks of this engine's last call in its
  // code (see AsyncTasks.h).
  detail::waitForStartedAsyncTasks();
  delete engine;
}

FailureOr<OwningExecutionEngine>
mlir::agn::createExecutionEngine(ModuleOp module, const JitOptions &options,
                                 std::string &error) {
  FailureOr<std::unique_ptr<llvm::TargetMachine>> machine =
      createTargetMachine(module, error);
  if (failed(machine))
    return failure();
  llvm::Triple host(llvm::sys::getProcessTriple());
  const llvm::Triple &triple = (*machine)->getTargetTriple();
  if (triple.getArch() != host.getArch()) {
    error = "cannot JIT-compile for triple '" + triple.str() +
            "' on this host ('" + host.str() + "')";
    return failure();
  }
  // Code for a CPU with features this one lacks would die of an illegal
  // instruction at the first call: refuse it here, saying which.
  llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
  SmallVector<StringRef> missing;
  SmallVector<StringRef> targetFeatures;
  StringRef((*machine)->getTargetFeatureString())
      .split(targetFeatures, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (StringRef feature : targetFeatures)
    if (feature.consume_front("+") && hostFeatures.count(feature) &&
        !hostFeatures.lookup(feature))
      missing.push_back(feature);
  if (!missing.empty()) {
    error = "cannot run code for chip '" + (*machine)->getTargetCPU().str() +
            "' on this CPU, which lacks " + llvm::join(missing, ", ") +
            "; compile for target-cpu=native (or a CPU this one has the "
            "features of), or use agn-aot to build for the other machine";
    return failure();
  }

  // ExecutionEngineOptions::transformer is a function_ref: the function it
  // refers to must outlive ExecutionEngine::create, which runs it. So must
  // the machine it optimizes for, which create() owns until it returns.
  std::function<llvm::Error(llvm::Module *)> optimize =
      makeOptimizer(machine->get(), options.progress);
  if (options.asyncRuntime && failed(detail::loadAsyncRuntime(error)))
    return failure();
  SmallVector<StringRef, 1> sharedLibs = {AGN_MLIR_C_RUNNER_UTILS};
  if (options.progress)
    options.progress->beginStage("translation to LLVM IR");
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = optimize;
  engineOptions.sharedLibPaths = sharedLibs;
  // Weights in file pages, which the runtime may hand back to the OS.
  engineOptions.sectionMemoryMapper = &detail::getFileBackedConstantsMapper();
  auto engine =
      ExecutionEngine::create(module, engineOptions, std::move(*machine));
  if (!engine) {
    error = "JIT compilation failed: " + llvm::toString(engine.takeError());
    return failure();
  }
  // The async lowering's calls that schedule tasks go to wrappers that track
  // them; the rest of the runtime is found among the process's symbols.
  if (options.asyncRuntime)
    (*engine)->registerSymbols(detail::getTrackedAsyncEntryPoints);
  return OwningExecutionEngine(engine->release());
}
