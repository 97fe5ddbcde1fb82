//===- MemRefCall.h - Calling JIT-compiled functions on arrays --*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Checks .npy arrays against a function's tensor signature and calls the
// function, compiled with identity-layout buffers at its boundary, through
// ExecutionEngine's packed interface, passing and receiving memref
// descriptors.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_TOOLS_AGN_RUN_MEMREFCALL_H
#define AGN_TOOLS_AGN_RUN_MEMREFCALL_H

#include "NpyArray.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"

namespace agnrun {

/// Returns the .npy dtype for a tensor element type, or "" if unsupported.
std::string getNpyDtype(mlir::Type elementType);

/// Checks that `arrays` (read from `paths`) match the arguments of
/// `signature` in number, dtype and shape; prints what differs.
mlir::LogicalResult checkArguments(mlir::FunctionType signature,
                                   llvm::ArrayRef<NpyArray> arrays,
                                   llvm::ArrayRef<std::string> paths,
                                   llvm::raw_ostream &errors);

/// Checks that every result is a ranked tensor of a supported element type.
mlir::LogicalResult checkResultTypes(mlir::FunctionType signature,
                                     llvm::raw_ostream &errors);

/// Calls `name` (whose tensor-level type was `signature`) on `arguments` and
/// copies its results into `results`.
llvm::Error callEntry(mlir::ExecutionEngine &engine, llvm::StringRef name,
                      mlir::FunctionType signature,
                      llvm::MutableArrayRef<NpyArray> arguments,
                      llvm::SmallVectorImpl<NpyArray> &results);

/// Prints the shape, dtype and first values of result `index`.
void printSummary(llvm::raw_ostream &os, size_t index, const NpyArray &array);

} // namespace agnrun

#endif // AGN_TOOLS_AGN_RUN_MEMREFCALL_H
