//===- CompileProgress.cpp - Stages of a compilation, timed and shown -----===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Utils/CompileProgress.h"

#include "mlir/IR/Operation.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::agn;

/// Returns when to show progress on standard error: as AGN_PROGRESS (0 or 1)
/// says if set, else after a second if standard error is a terminal.
static CompileProgress::Display getStandardErrorDisplay() {
  using Display = CompileProgress::Display;
  if (const char *setting = std::getenv("AGN_PROGRESS"))
    return StringRef(setting) == "0" ? Display::Never : Display::Always;
  return llvm::errs().is_displayed() ? Display::AfterASecond : Display::Never;
}

CompileProgress::CompileProgress(unsigned stageCount)
    : CompileProgress(stageCount, llvm::errs(), getStandardErrorDisplay()) {}

CompileProgress::CompileProgress(unsigned stageCount, llvm::raw_ostream &os,
                                 Display display)
    : os(os), display(display), stageCount(stageCount), start(Clock::now()),
      stageStart(start), lastDraw(start) {}

CompileProgress::~CompileProgress() {
  // A compilation that failed never called finish(): its status line goes
  // without a summary (the error follows).
  if (!shown)
    return;
  os << "\r\033[K";
  os.flush();
}

double CompileProgress::getElapsedSeconds() const {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void CompileProgress::beginStage(StringRef name, unsigned total,
                                 StringRef items) {
  endStage();
  ++stageIndex;
  stageName = name.str();
  itemName = items.str();
  this->total = total;
  done = 0;
  stageStart = Clock::now();
  draw(/*newStage=*/true);
}

void CompileProgress::advance(unsigned count) {
  done += count;
  draw();
}

void CompileProgress::endStage() {
  if (stageName.empty())
    return;
  double seconds =
      std::chrono::duration<double>(Clock::now() - stageStart).count();
  stages.push_back({stageName, seconds});
  stageName.clear();
}

void CompileProgress::finish() {
  endStage();
  if (!shown)
    return;
  // The status line gives way to a summary of where the time went.
  os << "\r\033[Kagn: compiled in " << llvm::format("%.1f", getElapsedSeconds())
     << " s (";
  llvm::interleaveComma(stages, os, [&](const Stage &stage) {
    os << stage.name << ' ' << llvm::format("%.1f", stage.seconds) << " s";
  });
  os << ")\n";
  os.flush();
  shown = false;
}

void CompileProgress::draw(bool newStage) {
  if (display == Display::Never || stageName.empty())
    return;
  Clock::time_point now = Clock::now();
  // Quick compilations show nothing; long ones no more than ten lines a
  // second.
  if (display == Display::AfterASecond &&
      std::chrono::duration<double>(now - start).count() < 1.0)
    return;
  if (shown && !newStage &&
      std::chrono::duration<double>(now - lastDraw).count() < 0.1)
    return;
  lastDraw = now;
  shown = true;
  os << "\r\033[Kagn: [" << stageIndex << '/' << stageCount << "] "
     << stageName;
  if (total)
    os << ": " << std::min(done, total) << '/' << total << ' ' << itemName;
  os << ", " << llvm::format("%.1f", getElapsedSeconds()) << " s";
  os.flush();
}

namespace {

/// Counts the passes a pass manager runs on its top-level op.
struct ProgressInstrumentation : PassInstrumentation {
  explicit ProgressInstrumentation(CompileProgress &progress)
      : progress(progress) {}

  void runAfterPass(Pass *pass, Operation *op) override {
    // Nested pipelines run on ops inside the top-level one: the pass that
    // runs them counts once, for all.
    if (!op->getParentOp())
      progress.advance();
  }

  CompileProgress &progress;
};

} // namespace

void CompileProgress::instrument(PassManager &pm) {
  pm.addInstrumentation(std::make_unique<ProgressInstrumentation>(*this));
}
