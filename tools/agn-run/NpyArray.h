//===- NpyArray.h - Reading and writing NumPy .npy files --------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A dense array with a NumPy dtype, read from and written to the .npy format
// (versions 1.0 to 3.0, little-endian, C order).
//
//===----------------------------------------------------------------------===//

#ifndef AGN_TOOLS_AGN_RUN_NPYARRAY_H
#define AGN_TOOLS_AGN_RUN_NPYARRAY_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace agnrun {

/// A dense, C-ordered array and its NumPy dtype string (e.g. "<f4").
struct NpyArray {
  std::string dtype;
  llvm::SmallVector<int64_t> shape;
  /// The elements, row-major, little-endian; 64-byte aligned storage comes
  /// from the vector's allocator being asked for 8-byte words.
  std::vector<uint64_t> storage;

  /// Returns the number of elements.
  int64_t getNumElements() const;
  /// Returns the size of one element in bytes.
  unsigned getElementSize() const;
  /// Returns the first byte of the elements.
  void *data() { return storage.data(); }
  const void *data() const { return storage.data(); }
  /// Allocates zeroed storage for `shape` and `dtype`.
  void allocate();
};

/// Returns the element size of a supported dtype ("<f4", "<f8", "<f2",
/// "<i8", "<i4", "|i1", "|u1", "|b1"), or 0 when unsupported.
unsigned getNpyElementSize(llvm::StringRef dtype);

/// Reads `path`; the error says what is wrong with the file.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// Writes `array` to `path` in .npy version 1.0.
llvm::Error writeNpy(llvm::StringRef path, const NpyArray &array);

} // namespace agnrun

#endif // AGN_TOOLS_AGN_RUN_NPYARRAY_H
