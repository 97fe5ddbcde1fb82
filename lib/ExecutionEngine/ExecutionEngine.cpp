//===- ExecutionEngine.cpp - Target machines and JIT engines --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/ExecutionEngine/ExecutionEngine.h"

#include "AsyncTasks.h"
#include "FileBackedConstants.h"

#include "agn/ExecutionEngine/ModulePartition.h"
#include "agn/Utils/CompileProgress.h"
#include "mlir/Dialect/LLVMIR/LLVMAttrs.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/SmallVectorMemoryBuffer.h"
#include "llvm/Support/SwapByteOrder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <cstdlib>
#include <mutex>

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

void mlir::agn::optimizeModule(llvm::Module &module,
                               llvm::TargetMachine &machine,
                               llvm::function_ref<void()> onFunctionOptimized) {
  llvm::PassInstrumentationCallbacks callbacks;
  // Each function meets the loop vectorizer once, late in the pipeline.
  if (onFunctionOptimized)
    callbacks.registerAfterPassCallback(
        [onFunctionOptimized](StringRef pass, llvm::Any,
                              const llvm::PreservedAnalyses &) {
          if (pass == "LoopVectorizePass")
            onFunctionOptimized();
        });
  // MLIR's makeOptimizingTransformer at -O3, with the callbacks.
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = true;
  tuning.LoopInterleaving = true;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder builder(&machine, tuning, std::nullopt, &callbacks);
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
  passes.run(module, modules);
}

/// Returns the number of functions that `module` defines.
static unsigned countDefinitions(const llvm::Module &module) {
  return llvm::count_if(
      module, [](const llvm::Function &f) { return !f.isDeclaration(); });
}

std::function<llvm::Error(llvm::Module *)>
mlir::agn::makeOptimizer(llvm::TargetMachine *machine,
                         CompileProgress *progress) {
  return [machine, progress](llvm::Module *module) -> llvm::Error {
    if (progress)
      progress->beginStage("LLVM optimization", countDefinitions(*module),
                           "functions");
    optimizeModule(*module, *machine, [progress] {
      if (progress)
        progress->advance();
    });
    // Machine code follows.
    if (progress)
      progress->beginStage("machine code");
    return llvm::Error::success();
  };
}

void mlir::agn::EngineDeleter::operator()(JitEngine *engine) const {
  // Workers may still be finishing tasks of this engine's last call in its
  // code (see AsyncTasks.h).
  detail::waitForStartedAsyncTasks();
  delete engine;
}

/// Adds MLIR's packed wrapper `_mlir_<name>` of `function`: a function of one
/// pointer to an array holding a pointer to each argument, then one to where
/// the result goes (if any), as ExecutionEngine::invokePacked calls it.
static void addPackedWrapper(llvm::Function &function) {
  llvm::Module &module = *function.getParent();
  llvm::LLVMContext &context = module.getContext();
  llvm::IRBuilder<> builder(context);
  auto *type = llvm::FunctionType::get(builder.getVoidTy(), builder.getPtrTy(),
                                       /*isVarArg=*/false);
  auto *wrapper =
      llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                             "_mlir_" + function.getName(), module);
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", wrapper));
  llvm::Value *pointers = wrapper->getArg(0);
  SmallVector<llvm::Value *> arguments;
  auto loadSlot = [&](unsigned index) {
    llvm::Value *slot = builder.CreateGEP(builder.getPtrTy(), pointers,
                                          builder.getInt64(index));
    return builder.CreateLoad(builder.getPtrTy(), slot);
  };
  for (llvm::Argument &argument : function.args())
    arguments.push_back(
        builder.CreateLoad(argument.getType(), loadSlot(argument.getArgNo())));
  llvm::Value *result = builder.CreateCall(&function, arguments);
  if (!result->getType()->isVoidTy())
    builder.CreateStore(result, loadSlot(function.arg_size()));
  builder.CreateRetVoid();
}

/// Appends the bytes of `constant` as it lies in memory to `bytes`, for
/// arrays of integers and floats (nested or not) and zeros; returns false
/// for anything else (pointers, structs, padding).
static bool appendRawBytes(const llvm::Constant *constant,
                           const llvm::DataLayout &layout,
                           SmallVectorImpl<char> &bytes) {
  llvm::Type *type = constant->getType();
  if (auto *data = dyn_cast<llvm::ConstantDataSequential>(constant)) {
    llvm::Type *element = data->getElementType();
    if (layout.getTypeAllocSize(element) != layout.getTypeStoreSize(element))
      return false;
    llvm::append_range(bytes, data->getRawDataValues());
    return true;
  }
  if (isa<llvm::ConstantAggregateZero>(constant) && type->isArrayTy()) {
    bytes.append(layout.getTypeAllocSize(type), 0);
    return true;
  }
  if (auto *array = dyn_cast<llvm::ConstantArray>(constant)) {
    llvm::Type *element = array->getType()->getElementType();
    if (layout.getTypeAllocSize(element) != layout.getTypeStoreSize(element))
      return false;
    for (const llvm::Use &operand : array->operands())
      if (!appendRawBytes(cast<llvm::Constant>(operand.get()), layout, bytes))
        return false;
    return true;
  }
  return false;
}

/// Rewrites each global of `module` that holds more than a page of numbers
/// (weights) as an array of the same bytes. LLVM's asm printer writes an
/// array of i8 into the object as one block, and any other array a number
/// at a time: a model's weights were most of its machine code's time
/// (MiniLM at five levels: 200 MB). Only for a JIT: the bytes are the
/// host's, which is the target.
static void storeWeightsAsBytes(llvm::Module &module) {
  const llvm::DataLayout &layout = module.getDataLayout();
  if (layout.isLittleEndian() != llvm::sys::IsLittleEndianHost)
    return;
  SmallVector<llvm::GlobalVariable *> globals;
  for (llvm::GlobalVariable &global : module.globals())
    if (global.hasInitializer() && global.getValueType()->isArrayTy() &&
        !global.getValueType()->getArrayElementType()->isIntegerTy(8) &&
        layout.getTypeAllocSize(global.getValueType()) > kWeightGlobalBytes)
      globals.push_back(&global);
  for (llvm::GlobalVariable *global : globals) {
    SmallVector<char> bytes;
    if (!appendRawBytes(global->getInitializer(), layout, bytes) ||
        bytes.size() != layout.getTypeAllocSize(global->getValueType()))
      continue;
    llvm::Constant *initializer = llvm::ConstantDataArray::get(
        module.getContext(),
        llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(bytes.data()),
                                bytes.size()));
    auto *replacement = new llvm::GlobalVariable(
        module, initializer->getType(), global->isConstant(),
        global->getLinkage(), initializer, "", global,
        global->getThreadLocalMode(), global->getAddressSpace());
    replacement->copyAttributesFrom(global);
    replacement->setAlignment(
        global->getAlign().value_or(layout.getPreferredAlign(global)));
    replacement->takeName(global);
    global->replaceAllUsesWith(replacement);
    global->eraseFromParent();
  }
}

/// Compiles `module` for `machine` into an object file in memory.
static llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
emitObject(llvm::Module &module, llvm::TargetMachine &machine) {
  SmallVector<char, 0> bytes;
  llvm::raw_svector_ostream os(bytes);
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target '" +
                                   machine.getTargetTriple().str() +
                                   "' cannot emit object files");
  codegen.run(module);
  return std::make_unique<llvm::SmallVectorMemoryBuffer>(
      std::move(bytes), module.getModuleIdentifier(),
      /*RequiresNullTerminator=*/false);
}

/// One part of a module on its way to machine code: its own LLVMContext
/// (LLVM's types and constants are not shared between threads), module and
/// target machine.
struct CompilationPart {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  std::unique_ptr<llvm::TargetMachine> machine;
  std::unique_ptr<llvm::MemoryBuffer> object;
  std::string error;
};

/// Checks that code for `machine` runs on this host: the same architecture,
/// and no CPU feature the host lacks (which would die of an illegal
/// instruction at the first call).
static LogicalResult checkRunsOnHost(llvm::TargetMachine &machine,
                                     std::string &error) {
  llvm::Triple host(llvm::sys::getProcessTriple());
  const llvm::Triple &triple = machine.getTargetTriple();
  if (triple.getArch() != host.getArch()) {
    error = "cannot JIT-compile for triple '" + triple.str() +
            "' on this host ('" + host.str() + "')";
    return failure();
  }
  llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
  SmallVector<StringRef> missing;
  SmallVector<StringRef> targetFeatures;
  StringRef(machine.getTargetFeatureString())
      .split(targetFeatures, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (StringRef feature : targetFeatures)
    if (feature.consume_front("+") && hostFeatures.count(feature) &&
        !hostFeatures.lookup(feature))
      missing.push_back(feature);
  if (!missing.empty()) {
    error = "cannot run code for chip '" + machine.getTargetCPU().str() +
            "' on this CPU, which lacks " + llvm::join(missing, ", ") +
            "; compile for target-cpu=native (or a CPU this one has the "
            "features of), or use agn-aot to build for the other machine";
    return failure();
  }
  return success();
}

/// Returns the compile threads `options` ask for (0: the environment's
/// AGN_COMPILE_THREADS, else every hardware thread).
static FailureOr<llvm::ThreadPoolStrategy>
getCompileThreads(const JitOptions &options, std::string &error) {
  unsigned threads = options.compileThreads;
  if (const char *value = std::getenv("AGN_COMPILE_THREADS");
      value && threads == 0) {
    if (StringRef(value).getAsInteger(10, threads) || threads == 0) {
      error = "AGN_COMPILE_THREADS must be a positive number of threads, "
              "not '" +
              std::string(value) + "'";
      return failure();
    }
  }
  return llvm::hardware_concurrency(threads);
}

/// Translates each of `modules` (the parts of `module`) into an LLVM module
/// of its own context, with a target machine of its own, MLIR's packed
/// wrappers of `module`'s public functions, and its weights as bytes.
static FailureOr<SmallVector<CompilationPart>>
translateParts(ModuleOp module, ArrayRef<ModuleOp> modules,
               const TargetMachineOptions &machineOptions, std::string &error) {
  llvm::StringSet<> entryPoints;
  for (auto function : module.getOps<LLVM::LLVMFuncOp>())
    if (!function.isExternal() &&
        function.getLinkage() == LLVM::Linkage::External)
      entryPoints.insert(function.getSymName());

  SmallVector<CompilationPart> parts(modules.size());
  for (auto [index, part] : llvm::enumerate(parts)) {
    part.context = std::make_unique<llvm::LLVMContext>();
    part.module = translateModuleToLLVMIR(modules[index], *part.context,
                                          ("agn-part-" + Twine(index)).str());
    if (!part.module) {
      error = "could not translate the module to LLVM IR";
      return failure();
    }
    FailureOr<std::unique_ptr<llvm::TargetMachine>> machine =
        createTargetMachine(module, error, machineOptions);
    if (failed(machine))
      return failure();
    part.machine = std::move(*machine);
    part.module->setDataLayout(part.machine->createDataLayout());
    part.module->setTargetTriple(part.machine->getTargetTriple());
    SmallVector<llvm::Function *> wrapped;
    for (llvm::Function &function : *part.module)
      if (!function.isDeclaration() && entryPoints.contains(function.getName()))
        wrapped.push_back(&function);
    for (llvm::Function *function : wrapped)
      addPackedWrapper(*function);
    storeWeightsAsBytes(*part.module);
  }
  return parts;
}

/// Optimizes every part, then compiles every part to an object, each part on
/// a thread of `pool`; returns the objects.
static FailureOr<SmallVector<std::unique_ptr<llvm::MemoryBuffer>>>
compileParts(MutableArrayRef<CompilationPart> parts,
             llvm::DefaultThreadPool &pool, CompileProgress *progress,
             std::string &error) {
  unsigned functions = 0;
  for (CompilationPart &part : parts)
    functions += countDefinitions(*part.module);
  std::mutex progressMutex;
  if (progress)
    progress->beginStage("LLVM optimization", functions, "functions");
  for (CompilationPart &part : parts)
    pool.async([&part, &progressMutex, progress] {
      optimizeModule(*part.module, *part.machine, [&] {
        if (!progress)
          return;
        std::lock_guard<std::mutex> lock(progressMutex);
        progress->advance();
      });
    });
  pool.wait();
  if (progress)
    progress->beginStage("machine code");
  for (CompilationPart &part : parts)
    pool.async([&part] {
      auto object = emitObject(*part.module, *part.machine);
      if (!object) {
        part.error = llvm::toString(object.takeError());
        return;
      }
      part.object = std::move(*object);
      // The IR is done with: free it on this thread, now.
      part.module.reset();
      part.context.reset();
    });
  pool.wait();

  SmallVector<std::unique_ptr<llvm::MemoryBuffer>> objects;
  for (CompilationPart &part : parts) {
    if (!part.object) {
      error = "JIT compilation failed: " + part.error;
      return failure();
    }
    objects.push_back(std::move(part.object));
  }
  return objects;
}

/// Returns whether `module` has OpenMP ops (the parallel regions of
/// agn-lower-to-llvm-pipeline{threads=N parallel-runtime=openmp}), whose
/// translation calls libomp.
static bool usesOpenMP(ModuleOp module) {
  return module
      .walk([](Operation *op) {
        return op->getName().getDialectNamespace() == "omp"
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Returns whether `module` calls MLIR's async runtime (the lowering of
/// agn-lower-to-llvm-pipeline{threads=N parallel-runtime=async}).
static bool usesAsyncRuntime(ModuleOp module) {
  return llvm::any_of(
      module.getOps<LLVM::LLVMFuncOp>(), [](LLVM::LLVMFuncOp function) {
        return function.getName().starts_with("mlirAsyncRuntime");
      });
}

/// The setting agn gives libomp when it loads it, unless the environment
/// sets KMP_USE_YIELD.
///
/// KMP_USE_YIELD=2: a thread that waits for a region to end, or for the
/// next one, yields its core only where libomp itself runs more threads
/// than there are cores; libomp's default (1) yields on every turn of the
/// spin. Alone on its cores a model runs as fast either way; beside busy
/// processes, a thread that yielded waits a scheduler time slice to run
/// again, and a call of hundreds of regions pays it over and over: two
/// threads beside two busy loops, mobilenet_v2 140-190 -> 17-22 ms a call
/// (one thread: 13-27), MiniLM 427-476 -> 65-133 ms in most runs (one
/// thread: 44-56; docs/Codegen.md, "Threads on a busy machine"). The
/// setting is the process's: host code on the same libomp gets it too.
static constexpr const char *kOpenMPDefaults = "KMP_USE_YIELD=2";

/// Loads LLVM's OpenMP runtime into the process (once, for its life: its
/// threads outlive every engine), where engines find its entry points among
/// the process's symbols, and gives it agn's defaults (kOpenMPDefaults). On
/// failure `error` says why and what to install.
static LogicalResult loadOpenMPRuntime(std::string &error) {
  static const std::string loadError = []() -> std::string {
    std::string why;
    llvm::sys::DynamicLibrary library =
        llvm::sys::DynamicLibrary::getPermanentLibrary(AGN_OPENMP_RUNTIME,
                                                       &why);
    if (library.isValid()) {
      // kmp_set_defaults overrides the environment, so it is called only
      // where the environment leaves the setting to libomp.
      using SetDefaults = void (*)(const char *);
      if (auto setDefaults = reinterpret_cast<SetDefaults>(
              library.getAddressOfSymbol("kmp_set_defaults"));
          setDefaults && !std::getenv("KMP_USE_YIELD"))
        setDefaults(kOpenMPDefaults);
      return "";
    }
    return "the module runs its parallel loops with OpenMP, and LLVM's OpenMP "
           "runtime '" +
           std::string(AGN_OPENMP_RUNTIME) + "' cannot be loaded (" + why +
           "): install Debian's libomp-22-dev, or compile with threads=1 or "
           "parallel-runtime=async";
  }();
  if (loadError.empty())
    return success();
  error = loadError;
  return failure();
}

FailureOr<OwningExecutionEngine>
mlir::agn::createExecutionEngine(ModuleOp module, const JitOptions &options,
                                 std::string &error) {
  // Position-independent code: the parts reach each other's functions and
  // weights through the GOT and stubs of the JIT's linker, wherever their
  // sections land.
  TargetMachineOptions machineOptions;
  machineOptions.relocationModel = llvm::Reloc::PIC_;
  FailureOr<std::unique_ptr<llvm::TargetMachine>> machine =
      createTargetMachine(module, error, machineOptions);
  if (failed(machine) || failed(checkRunsOnHost(**machine, error)))
    return failure();
  // Object files have no place for the constructors the IR platform of
  // MLIR's engine would run; agn's pipelines make none.
  if (!module.getOps<LLVM::GlobalCtorsOp>().empty() ||
      !module.getOps<LLVM::GlobalDtorsOp>().empty()) {
    error = "cannot JIT-compile a module with global constructors or "
            "destructors (llvm.mlir.global_ctors, llvm.mlir.global_dtors)";
    return failure();
  }
  FailureOr<llvm::ThreadPoolStrategy> threads =
      getCompileThreads(options, error);
  if (failed(threads))
    return failure();
  bool asyncRuntime = options.asyncRuntime && usesAsyncRuntime(module);
  if (asyncRuntime && failed(detail::loadAsyncRuntime(error)))
    return failure();
  if (usesOpenMP(module) && failed(loadOpenMPRuntime(error)))
    return failure();

  // Three parts per thread, so that the threads share the work evenly
  // although the entry function (all the glue between the kernels) is one
  // part however large.
  unsigned threadCount = threads->compute_thread_count();
  SmallVector<OwningOpRef<ModuleOp>> split =
      partitionModule(module, threadCount > 1 ? 3 * threadCount : 1);
  SmallVector<ModuleOp> partModules;
  for (OwningOpRef<ModuleOp> &part : split)
    partModules.push_back(*part);
  if (partModules.empty())
    partModules.push_back(module);

  CompileProgress *progress = options.progress;
  if (progress)
    progress->beginStage("translation to LLVM IR");
  FailureOr<SmallVector<CompilationPart>> parts =
      translateParts(module, partModules, machineOptions, error);
  if (failed(parts))
    return failure();
  split.clear();
  llvm::DefaultThreadPool pool(*threads);
  FailureOr<SmallVector<std::unique_ptr<llvm::MemoryBuffer>>> objects =
      compileParts(*parts, pool, progress, error);
  if (failed(objects))
    return failure();

  SmallVector<StringRef, 1> sharedLibraries = {AGN_MLIR_C_RUNNER_UTILS};
  auto engine = JitEngine::create(std::move(*objects), sharedLibraries);
  if (!engine) {
    error = "JIT compilation failed: " + llvm::toString(engine.takeError());
    return failure();
  }
  // The async lowering's calls that schedule tasks go to wrappers that track
  // them; the rest of the runtime is found among the process's symbols.
  if (asyncRuntime)
    (*engine)->registerSymbols(detail::getTrackedAsyncEntryPoints);
  return OwningExecutionEngine(engine->release());
}
