//===- Target.cpp - The CPU code is generated for -------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Utils/Target.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace mlir;
using namespace mlir::agn;

LLVM::TargetAttr mlir::agn::getTarget(Operation *op) {
  auto module = dyn_cast<ModuleOp>(op);
  if (!module)
    module = op->getParentOfType<ModuleOp>();
  if (!module)
    return nullptr;
  return module->getAttrOfType<LLVM::TargetAttr>(
      LLVM::LLVMDialect::getTargetAttrName());
}

bool mlir::agn::targetHasFeature(Operation *op, StringRef feature) {
  assert(!feature.starts_with("+") && !feature.starts_with("-") &&
         "feature names go without their sign");
  LLVM::TargetAttr target = getTarget(op);
  if (!target)
    return false;
  if (target.getFeatures())
    return target.getFeatures().contains(("+" + feature).str());
  // A target written with a chip only (features are optional in
  // #llvm.target): the features that chip has, as agn-set-target would
  // record them.
  std::string error;
  FailureOr<LLVM::TargetAttr> resolved =
      resolveTarget(op->getContext(), target.getChip().getValue(),
                    target.getTriple().getValue(), /*overrides=*/"", error);
  return succeeded(resolved) && resolved->getFeatures() &&
         resolved->getFeatures().contains(("+" + feature).str());
}

FailureOr<LLVM::TargetAttr>
mlir::agn::resolveTarget(MLIRContext *context, StringRef cpu, StringRef triple,
                         StringRef overrides, std::string &error) {
  bool native = cpu == "native";
  std::string tripleName = triple.empty() ? llvm::sys::getProcessTriple()
                                          : llvm::Triple::normalize(triple);
  llvm::Triple parsed(tripleName);
  std::string chip = native ? llvm::sys::getHostCPUName().str() : cpu.str();

  // Every feature the CPU has (true) or lacks (false).
  llvm::StringMap<bool> features;
  if (native) {
    features = llvm::sys::getHostCPUFeatures();
  } else if (parsed.isX86()) {
    if (llvm::X86::parseArchX86(chip) == llvm::X86::CK_None) {
      error = "unknown x86 CPU '" + chip +
              "': use 'native', or a name 'llc -march=x86-64 -mcpu=help' "
              "lists (e.g. x86-64-v3, znver4, sapphirerapids)";
      return failure();
    }
    // The CPU's features, with what they imply (avx2 implies avx, ...), so
    // that a query for any of them sees it.
    SmallVector<StringRef> cpuFeatures;
    llvm::X86::getFeaturesForCPU(chip, cpuFeatures);
    for (StringRef feature : cpuFeatures) {
      features[feature] = true;
      llvm::X86::updateImpliedFeatures(feature, /*Enabled=*/true, features);
    }
  }
  SmallVector<StringRef> requested;
  overrides.split(requested, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (StringRef feature : requested) {
    feature = feature.trim();
    if (feature.size() < 2 || (feature[0] != '+' && feature[0] != '-')) {
      error = "target feature '" + feature.str() +
              "' must be a name after '+' (enable) or '-' (disable), as in "
              "'+avx512vnni,-avx512bf16'";
      return failure();
    }
    bool enable = feature[0] == '+';
    features[feature.drop_front()] = enable;
    if (parsed.isX86())
      llvm::X86::updateImpliedFeatures(feature.drop_front(), enable, features);
  }

  // Sorted, so that the attribute is the same for the same set.
  SmallVector<std::string> names;
  for (const auto &entry : features)
    names.push_back((entry.second ? "+" : "-") + entry.first().str());
  llvm::sort(names, [](StringRef a, StringRef b) {
    return a.drop_front() < b.drop_front();
  });
  SmallVector<StringRef> refs(names.begin(), names.end());
  return LLVM::TargetAttr::get(context, StringAttr::get(context, tripleName),
                               StringAttr::get(context, chip),
                               LLVM::TargetFeaturesAttr::get(context, refs));
}
