//===- agn-aot.cpp - Compile a model ahead of time ------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Compiles a module's entry function ahead of time for the CPU its
// `llvm.target` attribute names, or this CPU when it has none: an object
// file and a C header declaring the entry point with its memref descriptors.
// Link the object with libagn_runtime into a program or a shared library:
//
//   agn-aot examples/mlp.mlir --passes=agn-adaptive-pipeline --name=mlp -d out
//   clang++ main.cpp out/mlp.o -Lbuild/lib -lagn_runtime -o main
//   clang -shared out/mlp.o -Lbuild/lib -lagn_runtime -o libmlp.so
//
// With --target=cuda the contractions become NVIDIA GPU kernels, embedded in
// the object (a fatbin by default); link libagn_gpu_runtime too, which opens
// the CUDA driver when a kernel first runs, and check agn_gpu_status() after
// each call:
//
//   clang++ main.cpp out/mlp.o -Lbuild/lib -lagn_runtime -lagn_gpu_runtime
//
//===----------------------------------------------------------------------===//

#include "agn/CAPI/CompiledModel.h"
#include "agn/ExecutionEngine/ExecutionEngine.h"
#include "agn/InitAGN.h"
#include "agn/Utils/CompileProgress.h"
#include "common/GpuTargetOptions.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("agn-aot options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<module.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> entryName("entry",
                                      cl::desc("Function to compile (main)"),
                                      cl::init("main"), cl::cat(category));
static cl::opt<std::string>
    modelName("name",
              cl::desc("Base name of the outputs and the C symbol "
                       "prefix (default: the entry name)"),
              cl::init(""), cl::cat(category));
static cl::opt<std::string> outputDir("d", cl::desc("Output directory"),
                                      cl::init("."), cl::cat(category));
static cl::opt<std::string>
    passes("passes", cl::desc("Pass pipeline to run before lowering"),
           cl::init(""), cl::cat(category));
static cl::opt<std::string> targetCpu(
    "target-cpu",
    cl::desc("CPU to compile for: native, or an LLVM CPU name such as "
             "x86-64-v3 or znver4 (default: the module's llvm.target, else "
             "native)"),
    cl::init(""), cl::cat(category));
static cl::opt<std::string> targetFeatures(
    "target-features",
    cl::desc("LLVM features to add (+name) or remove (-name) on top of the "
             "CPU's, comma-separated"),
    cl::init(""), cl::cat(category));

static agn::tools::GpuTargetOptions gpuTarget(
    category,
    "Where the kernels run: cpu (default) or cuda (NVIDIA GPU kernels "
    "embedded in the object; link libagn_gpu_runtime)");

static cl::opt<bool>
    profile("profile",
            cl::desc("Time each unit at each level and the costly ops around "
                     "it at run time (agn-lower-to-llvm-pipeline{profile=true}"
                     ", records named after --name); the host reads the "
                     "table with agn_rt_profile_table"),
            cl::init(false), cl::cat(category));

static int failWith(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "agn-aot") << message << "\n";
  return 1;
}

/// Returns `type` as text, for messages.
static std::string describe(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

/// Returns the C type of a tensor element, or "" when unsupported.
static std::string getCType(Type type) {
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (type.isInteger(64) || type.isIndex())
    return "int64_t";
  if (type.isInteger(32))
    return "int32_t";
  if (type.isInteger(8) || type.isInteger(1))
    return "int8_t";
  return "";
}

/// Writes the C header for `function` (its tensor signature), whose
/// C-interface symbol is `_mlir_ciface_<entry>`.
static LogicalResult writeHeader(StringRef path, StringRef name,
                                 func::FuncOp function, bool cuda) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    llvm::errs() << "agn-aot: error: " << error << "\n";
    return failure();
  }
  llvm::raw_ostream &os = file->os();
  std::string guard = (name.upper() + "_AGN_H");
  os << "/* Generated by agn-aot from " << llvm::sys::path::filename(inputFile)
     << "; do not edit. */\n#ifndef " << guard << "\n#define " << guard
     << "\n\n#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif"
        "\n\n";

  // One descriptor struct per (element type, rank) used by the signature.
  llvm::StringSet<> declared;
  auto descriptor = [&](RankedTensorType type) -> std::string {
    std::string ctype = getCType(type.getElementType());
    std::string tag =
        "agn_memref_" + ctype + "_" + std::to_string(type.getRank()) + "d";
    if (declared.insert(tag).second) {
      os << "/** A strided view of " << ctype << " values of rank "
         << type.getRank() << " (MLIR's memref descriptor). */\n"
         << "typedef struct " << tag << " {\n  " << ctype << " *allocated;\n  "
         << ctype << " *aligned;\n  int64_t offset;\n";
      if (type.getRank() > 0)
        os << "  int64_t sizes[" << type.getRank() << "];\n  int64_t strides["
           << type.getRank() << "];\n";
      os << "} " << tag << ";\n\n";
    }
    return tag;
  };

  FunctionType signature = function.getFunctionType();
  SmallVector<std::string> argTypes, resultTypes;
  for (Type type : signature.getInputs())
    argTypes.push_back(descriptor(cast<RankedTensorType>(type)));
  for (Type type : signature.getResults())
    resultTypes.push_back(descriptor(cast<RankedTensorType>(type)));

  std::string resultParam;
  if (resultTypes.size() == 1) {
    resultParam = resultTypes.front() + " *result";
  } else if (resultTypes.size() > 1) {
    os << "/** The results of " << entryName << ", in order. */\n"
       << "typedef struct " << name << "_results {\n";
    for (auto [index, type] : llvm::enumerate(resultTypes))
      os << "  " << type << " result" << index << ";\n";
    os << "} " << name << "_results;\n\n";
    resultParam = (name + "_results *results").str();
  }

  os << "/** Runs " << entryName << ": " << signature
     << ". Results are\n    allocated with malloc; free their `allocated` "
        "pointers.";
  if (cuda)
    os << "\n    Its kernels run on an NVIDIA GPU through libagn_gpu_runtime: "
          "after\n    each call, agn_gpu_status() (agn-c/GpuRuntime.h) is 0 "
          "when they ran,\n    else the results are not written and "
          "agn_gpu_last_error() says why.";
  os << " */\n"
     << "void _mlir_ciface_" << entryName << "(";
  SmallVector<std::string> params;
  if (!resultParam.empty())
    params.push_back(resultParam);
  for (auto [index, type] : llvm::enumerate(argTypes))
    params.push_back(type + " *arg" + std::to_string(index));
  llvm::interleaveComma(params, os);
  os << ");\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  file->keep();
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAllPasses();
  agn::registerAllAGNPasses();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "agn-aot: compile a model ahead of time\n");
  std::string name = modelName.empty() ? entryName.getValue() : modelName;
  std::string targetError;
  bool cuda = gpuTarget.isCuda(targetError);
  if (!targetError.empty())
    return failWith(targetError);
  if (cuda && profile)
    return failWith("--target=cuda does not take --profile");

  DialectRegistry registry;
  agn::registerCompilerDialects(registry);
  MLIRContext context(registry);

  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file)
    return failWith("cannot read '" + inputFile + "': " + error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  auto function = module->lookupSymbol<func::FuncOp>(entryName);
  if (!function || function.isExternal())
    return failWith("no function named '" + entryName + "' with a body in " +
                    inputFile);
  for (Type type : function.getFunctionType().getInputs())
    if (!isa<RankedTensorType>(type) ||
        getCType(cast<RankedTensorType>(type).getElementType()).empty())
      return failWith("entry argument type " + llvm::Twine(describe(type)) +
                      " has no C equivalent; use ranked tensors of f32, f64, "
                      "i64, i32, i8, i1 or index");
  for (Type type : function.getFunctionType().getResults())
    if (!isa<RankedTensorType>(type) ||
        getCType(cast<RankedTensorType>(type).getElementType()).empty())
      return failWith("entry result type " + llvm::Twine(describe(type)) +
                      " has no C equivalent");

  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return failWith("cannot create '" + outputDir + "': " + ec.message());
  llvm::SmallString<128> headerPath(outputDir), objectPath(outputDir);
  llvm::sys::path::append(headerPath, name + ".h");
  llvm::sys::path::append(objectPath, name + ".o");
  if (failed(writeHeader(headerPath, name, function, cuda)))
    return 1;

  PassManager pm(&context);
  if (failed(agn::addTextualPipeline(pm, passes, llvm::errs())))
    return failWith("bad --passes pipeline '" + passes + "'");
  if (cuda) {
    agn::LowerToNVVMOptions lowering;
    lowering.targetCpu = targetCpu;
    lowering.targetFeatures = targetFeatures;
    gpuTarget.apply(lowering);
    agn::buildLowerToNVVMPipeline(pm, lowering);
  } else {
    agn::LowerToLLVMOptions lowering;
    lowering.targetCpu = targetCpu;
    lowering.targetFeatures = targetFeatures;
    lowering.profile = profile;
    lowering.profileModel = name;
    agn::buildLowerToLLVMPipeline(pm, lowering);
  }
  // Shown on a terminal when it takes more than a second.
  agn::CompileProgress progress(/*stageCount=*/4);
  progress.beginStage("lowering", pm.size());
  progress.instrument(pm);
  if (failed(pm.run(*module)))
    return failWith("compiling " + inputFile + " failed");

  // The module's llvm.target attribute, or this CPU when it has none.
  agn::TargetMachineOptions machineOptions;
  machineOptions.codeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  machineOptions.relocationModel = llvm::Reloc::PIC_;
  FailureOr<std::unique_ptr<llvm::TargetMachine>> machine =
      agn::createTargetMachine(*module, error, machineOptions);
  if (failed(machine))
    return failWith(error);

  progress.beginStage("translation to LLVM IR");
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, name);
  if (!llvmModule)
    return failWith("translation to LLVM IR failed");
  llvmModule->setDataLayout((*machine)->createDataLayout());
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  if (llvm::Error optError =
          agn::makeOptimizer(machine->get(), &progress)(llvmModule.get()))
    return failWith(llvm::toString(std::move(optError)));

  std::error_code ec;
  llvm::ToolOutputFile object(objectPath, ec, llvm::sys::fs::OF_None);
  if (ec)
    return failWith("cannot write '" + objectPath + "': " + ec.message());
  llvm::legacy::PassManager codegen;
  if ((*machine)->addPassesToEmitFile(codegen, object.os(), nullptr,
                                      llvm::CodeGenFileType::ObjectFile))
    return failWith("this target cannot emit object files");
  codegen.run(*llvmModule);
  object.keep();
  progress.finish();
  llvm::outs() << "agn-aot: wrote " << objectPath << " and " << headerPath
               << " for " << (*machine)->getTargetTriple().str() << ", cpu "
               << (*machine)->getTargetCPU();
  if (cuda)
    llvm::outs() << ", with " << agn::stringifyGpuBinaryFormat(gpuTarget.format)
                 << " kernels for " << gpuTarget.chip
                 << " (link libagn_gpu_runtime)";
  llvm::outs() << "\n";
  return 0;
}
