//===- MemRefCall.cpp - Calling JIT-compiled functions on arrays ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "MemRefCall.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace agnrun;

std::string agnrun::getNpyDtype(Type type) {
  if (type.isF32())
    return "<f4";
  if (type.isF64())
    return "<f8";
  if (type.isF16())
    return "<f2";
  if (type.isInteger(64) || type.isIndex())
    return "<i8";
  if (type.isInteger(32))
    return "<i4";
  if (type.isInteger(8))
    return "|i1";
  if (type.isInteger(1))
    return "|b1";
  return "";
}

/// Prints a shape as `16x?x3`.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      shape, os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << '?';
        else
          os << dim;
      },
      "x");
  return shape.empty() ? "scalar (0-d)" : text;
}

LogicalResult agnrun::checkArguments(FunctionType signature,
                                     ArrayRef<NpyArray> arrays,
                                     ArrayRef<std::string> paths,
                                     llvm::raw_ostream &errors) {
  if (arrays.size() != signature.getNumInputs()) {
    errors << "agn-run: error: the entry function takes "
           << signature.getNumInputs() << " argument(s) but " << arrays.size()
           << " input file(s) were given (-i, one per argument)\n";
    return failure();
  }
  for (auto [index, type, array, path] :
       llvm::enumerate(signature.getInputs(), arrays, paths)) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    std::string dtype = tensor ? getNpyDtype(tensor.getElementType()) : "";
    if (dtype.empty()) {
      errors << "agn-run: error: argument #" << index << " has type " << type
             << ", which agn-run cannot pass; entry arguments must be ranked "
                "tensors of f32, f64, f16, i64, i32, i8, i1 or index\n";
      return failure();
    }
    if (array.dtype != dtype) {
      errors << "agn-run: error: argument #" << index << " (" << path
             << ") must have dtype " << dtype << " for "
             << tensor.getElementType() << ", but has " << array.dtype << "\n";
      return failure();
    }
    bool matches = tensor.getRank() == static_cast<int64_t>(array.shape.size());
    for (size_t dim = 0; matches && dim < array.shape.size(); ++dim)
      matches = ShapedType::isDynamic(tensor.getDimSize(dim)) ||
                tensor.getDimSize(dim) == array.shape[dim];
    if (!matches) {
      errors << "agn-run: error: argument #" << index << " (" << path
             << ") must have shape " << formatShape(tensor.getShape())
             << ", but has shape " << formatShape(array.shape) << "\n";
      return failure();
    }
  }
  return success();
}

LogicalResult agnrun::checkResultTypes(FunctionType signature,
                                       llvm::raw_ostream &errors) {
  for (auto [index, type] : llvm::enumerate(signature.getResults())) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || getNpyDtype(tensor.getElementType()).empty()) {
      errors << "agn-run: error: result #" << index << " has type " << type
             << ", which agn-run cannot return; entry results must be ranked "
                "tensors of f32, f64, f16, i64, i32, i8, i1 or index\n";
      return failure();
    }
  }
  return success();
}

namespace {
/// The fields of one memref descriptor argument, expanded as the LLVM-level
/// function takes them: allocated and aligned pointers, offset, sizes and
/// strides.
struct DescriptorFields {
  void *allocated = nullptr;
  void *aligned = nullptr;
  int64_t offset = 0;
  SmallVector<int64_t> sizes, strides;
};
} // namespace

/// Copies the strided memref described by the words at `descriptor` (rank
/// `rank`, elements of `elementSize` bytes) into a contiguous array.
static NpyArray copyResult(const int64_t *descriptor, int64_t rank,
                           const std::string &dtype) {
  NpyArray array;
  array.dtype = dtype;
  const char *aligned = reinterpret_cast<const char *>(descriptor[1]);
  int64_t offset = descriptor[2];
  ArrayRef<int64_t> sizes(descriptor + 3, rank);
  ArrayRef<int64_t> strides(descriptor + 3 + rank, rank);
  array.shape.assign(sizes.begin(), sizes.end());
  array.allocate();
  unsigned elementSize = array.getElementSize();
  char *out = static_cast<char *>(array.data());
  SmallVector<int64_t> index(rank, 0);
  for (int64_t linear = 0, e = array.getNumElements(); linear < e; ++linear) {
    int64_t source = offset;
    for (int64_t dim = 0; dim < rank; ++dim)
      source += index[dim] * strides[dim];
    std::memcpy(out + linear * elementSize, aligned + source * elementSize,
                elementSize);
    for (int64_t dim = rank - 1; dim >= 0; --dim) {
      if (++index[dim] < sizes[dim])
        break;
      index[dim] = 0;
    }
  }
  return array;
}

llvm::Error agnrun::callEntry(ExecutionEngine &engine, StringRef name,
                              FunctionType signature,
                              MutableArrayRef<NpyArray> arguments,
                              SmallVectorImpl<NpyArray> &results) {
  SmallVector<DescriptorFields> fields(arguments.size());
  SmallVector<void *> packed;
  for (auto [array, field] : llvm::zip(arguments, fields)) {
    field.allocated = field.aligned = array.data();
    field.sizes.assign(array.shape.begin(), array.shape.end());
    field.strides.assign(array.shape.size(), 1);
    for (int64_t dim = static_cast<int64_t>(array.shape.size()) - 2; dim >= 0;
         --dim)
      field.strides[dim] = field.strides[dim + 1] * array.shape[dim + 1];
    packed.push_back(&field.allocated);
    packed.push_back(&field.aligned);
    packed.push_back(&field.offset);
    for (int64_t &size : field.sizes)
      packed.push_back(&size);
    for (int64_t &stride : field.strides)
      packed.push_back(&stride);
  }

  // Results come back as one struct of descriptors, 8-byte words each.
  SmallVector<int64_t> resultWords;
  for (Type type : signature.getResults())
    resultWords.append(3 + 2 * cast<RankedTensorType>(type).getRank(), 0);
  if (!resultWords.empty())
    packed.push_back(resultWords.data());

  if (llvm::Error error = engine.invokePacked(name, packed))
    return error;

  results.clear();
  const int64_t *descriptor = resultWords.data();
  for (Type type : signature.getResults()) {
    auto tensor = cast<RankedTensorType>(type);
    results.push_back(copyResult(descriptor, tensor.getRank(),
                                 getNpyDtype(tensor.getElementType())));
    descriptor += 3 + 2 * tensor.getRank();
  }
  return llvm::Error::success();
}

void agnrun::printSummary(llvm::raw_ostream &os, size_t index,
                          const NpyArray &array) {
  os << "result #" << index << ": " << array.dtype << " "
     << formatShape(array.shape) << " [";
  int64_t shown = std::min<int64_t>(array.getNumElements(), 6);
  for (int64_t i = 0; i < shown; ++i) {
    if (i)
      os << ", ";
    if (array.dtype == "<f4")
      os << llvm::format("%.6g", static_cast<const float *>(array.data())[i]);
    else if (array.dtype == "<f8")
      os << llvm::format("%.6g", static_cast<const double *>(array.data())[i]);
    else if (array.dtype == "<i8")
      os << static_cast<const int64_t *>(array.data())[i];
    else if (array.dtype == "<i4")
      os << static_cast<const int32_t *>(array.data())[i];
    else
      os << static_cast<int>(static_cast<const int8_t *>(array.data())[i]);
  }
  if (array.getNumElements() > shown)
    os << ", ...";
  os << "]\n";
}
