//===- CompileProgress.h - Stages of a compilation, timed and shown -*- C++
//-*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A model takes from a fraction of a second to a minute to compile (the
// LLVM optimization and code generation of every kernel at every level).
// CompileProgress times each stage of one compilation and, on a terminal,
// keeps one status line up to date while it runs:
//
//   agn: [4/5] LLVM optimization: 120/288 functions, 9.3 s
//
// then leaves a summary line. It shows nothing for a compilation that
// finishes within a second, and nothing at all when standard error is not a
// terminal (logs, pipes, test runs); AGN_PROGRESS=1 shows it always, from
// the start, AGN_PROGRESS=0 never.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_UTILS_COMPILEPROGRESS_H
#define AGN_UTILS_COMPILEPROGRESS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <chrono>
#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir {
class PassManager;
} // namespace mlir

namespace mlir::agn {

/// The stages of one compilation: their times, and a status line on a
/// terminal. Not thread-safe: one compilation drives it from one thread.
class CompileProgress {
public:
  /// A finished stage.
  struct Stage {
    std::string name;
    double seconds;
  };

  /// When the status line shows.
  enum class Display {
    Never,
    /// Once the compilation has run for a second.
    AfterASecond,
    Always,
  };

  /// Reports a compilation of `stageCount` stages on standard error: after a
  /// second when it is a terminal, else never (AGN_PROGRESS=1: always,
  /// AGN_PROGRESS=0: never).
  explicit CompileProgress(unsigned stageCount);
  /// Reports to `os` as `display` says.
  CompileProgress(unsigned stageCount, llvm::raw_ostream &os, Display display);
  /// Clears a status line that finish() did not replace (a failed
  /// compilation).
  ~CompileProgress();

  /// Ends the current stage, if any, and starts the next one, named `name`,
  /// with `total` items of work (0 when unknown) called `items`.
  void beginStage(StringRef name, unsigned total = 0,
                  StringRef items = "passes");
  /// Counts `count` items of the current stage as done.
  void advance(unsigned count = 1);
  /// Ends the last stage; the summary line replaces the status line if one
  /// was shown.
  void finish();

  /// Finished stages, in order.
  ArrayRef<Stage> getStages() const { return stages; }
  /// Seconds since construction.
  double getElapsedSeconds() const;

  /// Counts each pass `pm` runs on its top-level op as one item of the
  /// current stage (set the stage's total to pm.size()).
  void instrument(PassManager &pm);

private:
  using Clock = std::chrono::steady_clock;

  void endStage();
  /// Redraws the status line: at most ten times a second, unless a new
  /// stage begins (`newStage`).
  void draw(bool newStage = false);

  llvm::raw_ostream &os;
  Display display;
  bool shown = false;
  unsigned stageCount;
  unsigned stageIndex = 0;
  std::string stageName, itemName;
  unsigned done = 0, total = 0;
  Clock::time_point start, stageStart, lastDraw;
  SmallVector<Stage> stages;
};

} // namespace mlir::agn

#endif // AGN_UTILS_COMPILEPROGRESS_H
