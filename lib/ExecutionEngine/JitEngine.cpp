//===- JitEngine.cpp - Object files linked into the process ---------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The LLJIT of MLIR's ExecutionEngine (RTDyld with a SectionMemoryManager
// over agn's file-backed mapper, the process's symbols and the shared
// libraries as generators), given object files that createExecutionEngine
// compiled on several threads, where MLIR's engine compiles one IR module
// on one.
//
//===----------------------------------------------------------------------===//

#include "agn/ExecutionEngine/ExecutionEngine.h"

#include "FileBackedConstants.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/Support/MemoryBuffer.h"

#include <mutex>

using namespace mlir;
using namespace mlir::agn;

/// Returns `error` as a string error of its own: errors of the JIT may refer
/// to strings it owns, and must not outlive it (as MLIR's engine does).
static llvm::Error rewrap(llvm::Error error) {
  return llvm::createStringError(llvm::toString(std::move(error)));
}

JitEngine::JitEngine() : linkErrors(std::make_shared<LinkErrors>()) {}
JitEngine::~JitEngine() = default;

llvm::Expected<std::unique_ptr<JitEngine>>
JitEngine::create(SmallVector<std::unique_ptr<llvm::MemoryBuffer>> objects,
                  ArrayRef<StringRef> sharedLibraries) {
  auto createObjectLayer = [](llvm::orc::ExecutionSession &session)
      -> llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>> {
    return std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
        session, [](const llvm::MemoryBuffer &) {
          return std::make_unique<llvm::SectionMemoryManager>(
              &detail::getFileBackedConstantsMapper());
        });
  };
  auto jit = llvm::orc::LLJITBuilder()
                 .setObjectLinkingLayerCreator(createObjectLayer)
                 .create();
  if (!jit)
    return rewrap(jit.takeError());
  std::unique_ptr<JitEngine> engine(new JitEngine());
  // The linker reports why an object failed to load (a symbol not found, a
  // relocation it cannot apply) here, and the lookup only that it failed:
  // kept for the lookup's error.
  (*jit)->getExecutionSession().setErrorReporter(
      [reports = engine->linkErrors](llvm::Error error) {
        std::string message = llvm::toString(std::move(error));
        std::lock_guard<std::mutex> lock(reports->mutex);
        reports->messages.push_back(std::move(message));
      });

  llvm::orc::JITDylib &dylib = (*jit)->getMainJITDylib();
  char prefix = (*jit)->getDataLayout().getGlobalPrefix();
  for (StringRef library : sharedLibraries) {
    auto generator = llvm::orc::DynamicLibrarySearchGenerator::Load(
        library.str().c_str(), prefix);
    if (!generator)
      return llvm::createStringError("cannot load '" + library +
                                     "': " + toString(generator.takeError()));
    dylib.addGenerator(std::move(*generator));
  }
  auto process =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
  if (!process)
    return rewrap(process.takeError());
  dylib.addGenerator(std::move(*process));

  for (std::unique_ptr<llvm::MemoryBuffer> &object : objects)
    if (llvm::Error error = (*jit)->addObjectFile(std::move(object)))
      return rewrap(std::move(error));

  engine->jit = std::move(*jit);
  return engine;
}

llvm::Expected<void *> JitEngine::lookup(StringRef name) const {
  auto symbol = jit->lookup(name);
  if (!symbol) {
    std::string message = llvm::toString(symbol.takeError());
    std::lock_guard<std::mutex> lock(linkErrors->mutex);
    for (const std::string &report : linkErrors->messages)
      message += "; " + report;
    return llvm::createStringError(message);
  }
  if (void *address = symbol->toPtr<void *>())
    return address;
  return llvm::createStringError("the symbol '" + name + "' is null");
}

llvm::Expected<void (*)(void **)>
JitEngine::lookupPacked(StringRef name) const {
  auto address = lookup(("_mlir_" + name).str());
  if (!address)
    return address.takeError();
  return reinterpret_cast<void (*)(void **)>(*address);
}

llvm::Error JitEngine::invokePacked(StringRef name,
                                    MutableArrayRef<void *> args) {
  auto function = lookupPacked(name);
  if (!function)
    return function.takeError();
  (*function)(args.data());
  return llvm::Error::success();
}

void JitEngine::registerSymbols(
    llvm::function_ref<llvm::orc::SymbolMap(llvm::orc::MangleAndInterner)>
        symbolMap) {
  llvm::orc::MangleAndInterner interner(jit->getExecutionSession(),
                                        jit->getDataLayout());
  llvm::cantFail(jit->getMainJITDylib().define(
      llvm::orc::absoluteSymbols(symbolMap(interner))));
}
