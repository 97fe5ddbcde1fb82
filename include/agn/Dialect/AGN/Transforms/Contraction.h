//===- Contraction.h - The contractions agn forms units around --*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Which linalg ops agn treats as a Granularity Unit's neuron set, which of
// their operands are activations and weights, and which loop dimensions index
// output channels, rows and the reduction. Shared by the passes that form,
// split, quantize and multi-version units.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_TRANSFORMS_CONTRACTION_H
#define AGN_DIALECT_AGN_TRANSFORMS_CONTRACTION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir::agn {

/// The contraction ops agn forms units around.
enum class ContractionKind {
  /// linalg.matmul, including its transposed forms (indexing_maps).
  Matmul,
  /// linalg.batch_matmul.
  BatchMatmul,
  /// linalg.matvec: the matrix is the weight, the vector the input.
  Matvec,
  /// linalg.conv_2d_nchw_fchw.
  Conv2DNchwFchw,
  /// linalg.conv_2d_nhwc_hwcf.
  Conv2DNhwcHwcf,
  /// linalg.conv_2d_nhwc_fhwc (what TOSA's conv2d lowers to).
  Conv2DNhwcFhwc,
  /// linalg.conv_2d_ngchw_gfchw: grouped and depthwise 2-D convolutions, as
  /// agn's ONNX importer writes a Conv with group > 1.
  Conv2DNgchwGfchw,
  /// linalg.conv_1d_ncw_fcw.
  Conv1DNcwFcw,
  /// linalg.conv_3d_ncdhw_fcdhw.
  Conv3DNcdhwFcdhw,
  /// A linalg.generic that is a contraction (mul-add over a reduction).
  Generic,
};

/// Returns the option spelling of `kind` ("matmul", "conv_2d_nchw_fchw", ...).
llvm::StringRef stringifyContractionKind(ContractionKind kind);

/// Parses an option spelling; std::nullopt when unknown.
std::optional<ContractionKind> symbolizeContractionKind(llvm::StringRef name);

/// Returns every kind's spelling, comma separated (for diagnostics).
std::string getContractionKindList();

/// Roles of a contraction's operands and the meaning of its loop dimensions.
struct ContractionInfo {
  /// The contraction (interface methods are not const, hence mutable).
  mutable linalg::LinalgOp op;
  ContractionKind kind;
  /// Position among the op's DPS inputs of the activations.
  unsigned inputIndex = 0;
  /// Position among the op's DPS inputs of the weights.
  unsigned weightIndex = 1;
  /// Loop dimensions that index output channels: in the weights and the
  /// result, not in the input (n of a matmul, the filter count of a conv).
  llvm::SmallVector<unsigned> channelLoops;
  /// Loop dimensions that index rows: in the input and the result, not in the
  /// weights (m of a matmul, the batch of a conv).
  llvm::SmallVector<unsigned> rowLoops;
  /// Reduction loop dimensions that index the weights.
  llvm::SmallVector<unsigned> reductionLoops;

  /// Returns the input (activations) operand.
  OpOperand &getInputOperand() const;
  /// Returns the weight operand.
  OpOperand &getWeightOperand() const;
  /// Returns the (single) output operand.
  OpOperand &getOutputOperand() const;

  /// Returns the dimension of `operand`'s tensor indexed by `loop` as a plain
  /// dimension expression, or std::nullopt.
  std::optional<int64_t> getOperandDim(OpOperand &operand, unsigned loop) const;

  /// Returns the dimension of the weight tensor that indexes output channels
  /// when there is exactly one channel loop, else std::nullopt.
  std::optional<int64_t> getWeightChannelDim() const;
  /// Returns the weight dimension of the single reduction loop, else nullopt.
  std::optional<int64_t> getWeightReductionDim() const;
  /// Returns the result dimension that indexes output channels, or nullopt.
  std::optional<int64_t> getResultChannelDim() const;
  /// Returns the loop that per-channel weight scales follow: the single
  /// channel loop, except in a grouped convolution with more groups than
  /// filters per group (depthwise ones: one filter each), where the group
  /// loop separates more weights. (Any loop that indexes the weights and the
  /// result but is not reduced can carry weight scales; the group loop is
  /// not a channel loop because it indexes the input too.) Else nullopt.
  std::optional<unsigned> getWeightScaleLoop() const;
  /// Returns the group loop of a grouped convolution (named, or a generic
  /// convolution): the one parallel loop that indexes the input, the weights
  /// and the result. Else nullopt.
  std::optional<unsigned> getGroupLoop() const;
  /// Returns the weight dimension of getWeightScaleLoop(), or nullopt.
  std::optional<int64_t> getWeightScaleDim() const;
  /// Returns the result dimension of getWeightScaleLoop(), or nullopt.
  std::optional<int64_t> getResultScaleDim() const;
  /// Returns the result dimension of the first row loop, or nullopt.
  std::optional<int64_t> getResultRowDim() const;
  /// Returns the input dimension of the first row loop, or nullopt.
  std::optional<int64_t> getInputRowDim() const;

  /// Returns the number of multiply-accumulates of one call, counting each
  /// dynamic loop dimension as 1 (the cost per unit of that dimension).
  uint64_t getMacs() const;
};

/// Returns the kind of `op` if agn forms units around it.
std::optional<ContractionKind> getContractionKind(Operation *op);

/// Analyzes `op`; fails when it is not a contraction agn handles (one result,
/// two inputs, ranked tensor semantics).
llvm::FailureOr<ContractionInfo> analyzeContraction(Operation *op);

/// Returns the contraction whose shapes give `unit`'s costs (the op is an
/// `agn.unit`): the first one in its body, or, once the unit is
/// multi-versioned, the one of its most precise version (the reference,
/// when the unit allows f32), whose loops and weight shape are those of
/// every version. Nothing when there is none.
std::optional<ContractionInfo> findUnitContraction(Operation *unit);

} // namespace mlir::agn

#endif // AGN_DIALECT_AGN_TRANSFORMS_CONTRACTION_H
