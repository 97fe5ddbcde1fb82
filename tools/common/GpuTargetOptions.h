//===- GpuTargetOptions.h - agn tools' GPU target options -------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The command-line options agn-run and agn-aot share for NVIDIA GPU code:
// --target, --gpu-chip, --gpu-format and --gpu-fallback, and the
// agn-lower-to-nvvm-pipeline options they set.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_TOOLS_COMMON_GPUTARGETOPTIONS_H
#define AGN_TOOLS_COMMON_GPUTARGETOPTIONS_H

#include "agn/Pipelines/Pipelines.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"

#include <optional>
#include <string>

namespace mlir::agn::tools {

/// --target and the GPU options, in the tool's option category. A tool
/// holds one as a static object.
struct GpuTargetOptions {
  /// `targetHelp` says what "cuda" means for the tool.
  GpuTargetOptions(llvm::cl::OptionCategory &category, const char *targetHelp)
      : target("target", llvm::cl::desc(targetHelp), llvm::cl::init("cpu"),
               llvm::cl::cat(category)),
        chip("gpu-chip",
             llvm::cl::desc("With --target=cuda, the GPU to compile for "
                            "(default sm_80)"),
             llvm::cl::init("sm_80"), llvm::cl::cat(category)),
        format("gpu-format",
               llvm::cl::desc("With --target=cuda, how kernels are embedded "
                              "(default: fatbin)"),
               llvm::cl::init(GpuBinaryFormat::fatbin), gpuBinaryFormatValues(),
               llvm::cl::cat(category)),
        fallback("gpu-fallback",
                 llvm::cl::desc("With --target=cuda, run the kernels' loops "
                                "on the CPU where no GPU is usable, instead "
                                "of failing the call"),
                 llvm::cl::init(false), llvm::cl::cat(category)) {}

  /// Returns whether --target is cuda; sets `error` when it names neither
  /// cpu nor cuda.
  bool isCuda(std::string &error) const {
    if (target != "cpu" && target != "cuda")
      error = "unknown --target '" + target + "'; expected cpu or cuda";
    return target == "cuda";
  }

  /// Sets the GPU options of `options`.
  void apply(LowerToNVVMOptions &options) const {
    options.chip = chip.getValue();
    options.format = format.getValue();
    options.cpuFallback = fallback.getValue();
  }

  llvm::cl::opt<std::string> target;
  llvm::cl::opt<std::string> chip;
  llvm::cl::opt<GpuBinaryFormat> format;
  llvm::cl::opt<bool> fallback;
};

} // namespace mlir::agn::tools

#endif // AGN_TOOLS_COMMON_GPUTARGETOPTIONS_H
