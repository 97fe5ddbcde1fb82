//===- NpyArray.cpp - Reading and writing NumPy .npy files ----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "NpyArray.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace agnrun;
using llvm::StringRef;

int64_t NpyArray::getNumElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

unsigned NpyArray::getElementSize() const { return getNpyElementSize(dtype); }

void NpyArray::allocate() {
  uint64_t bytes = static_cast<uint64_t>(getNumElements()) * getElementSize();
  storage.assign((bytes + 7) / 8, 0);
}

unsigned agnrun::getNpyElementSize(StringRef dtype) {
  if (dtype == "<f8" || dtype == "<i8")
    return 8;
  if (dtype == "<f4" || dtype == "<i4")
    return 4;
  if (dtype == "<f2")
    return 2;
  if (dtype == "|i1" || dtype == "|u1" || dtype == "|b1")
    return 1;
  return 0;
}

static llvm::Error fail(StringRef path, const llvm::Twine &why) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "cannot read '" + path + "': " + why);
}

/// Returns the text of the value of `key` in a header dictionary such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
static std::optional<StringRef> findHeaderValue(StringRef header,
                                                StringRef key) {
  std::string quoted = ("'" + key + "':").str();
  size_t at = header.find(quoted);
  if (at == StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(at + quoted.size()).ltrim();
  if (rest.starts_with("'")) {
    size_t end = rest.find('\'', 1);
    return end == StringRef::npos ? std::nullopt
                                  : std::optional(rest.slice(1, end));
  }
  if (rest.starts_with("(")) {
    size_t end = rest.find(')');
    return end == StringRef::npos ? std::nullopt
                                  : std::optional(rest.slice(1, end));
  }
  return rest.take_until([](char c) { return c == ',' || c == '}'; }).trim();
}

llvm::Expected<NpyArray> agnrun::readNpy(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return fail(path, buffer.getError().message());
  StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return fail(path, "not a .npy file (bad magic)");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = static_cast<unsigned char>(bytes[8]) |
                   (static_cast<unsigned char>(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail(path, "truncated header");
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength =
          (headerLength << 8) | static_cast<unsigned char>(bytes[8 + i]);
    headerStart = 12;
  } else {
    return fail(path, "unsupported .npy version " + llvm::Twine(major));
  }
  if (headerStart + headerLength > bytes.size())
    return fail(path, "truncated header");
  StringRef header = bytes.substr(headerStart, headerLength);

  NpyArray array;
  std::optional<StringRef> descr = findHeaderValue(header, "descr");
  std::optional<StringRef> order = findHeaderValue(header, "fortran_order");
  std::optional<StringRef> shape = findHeaderValue(header, "shape");
  if (!descr || !order || !shape)
    return fail(path, "header lacks descr, fortran_order or shape");
  array.dtype = descr->str();
  if (array.dtype == "<b1" || array.dtype == "b1")
    array.dtype = "|b1";
  if (getNpyElementSize(array.dtype) == 0)
    return fail(path, "unsupported dtype '" + *descr +
                          "'; supported: <f4, <f8, <f2, <i8, <i4, |i1, |u1, "
                          "|b1 (little-endian)");
  if (*order != "False")
    return fail(path, "Fortran-ordered arrays are not supported; save with "
                      "numpy.ascontiguousarray");
  llvm::SmallVector<StringRef> dims;
  shape->split(dims, ',', -1, /*KeepEmpty=*/false);
  for (StringRef dim : dims) {
    int64_t size;
    if (dim.trim().getAsInteger(10, size) || size < 0)
      return fail(path, "bad shape '(" + *shape + ")'");
    array.shape.push_back(size);
  }
  array.allocate();
  uint64_t dataBytes =
      static_cast<uint64_t>(array.getNumElements()) * array.getElementSize();
  if (headerStart + headerLength + dataBytes > bytes.size())
    return fail(path, "file has fewer bytes than its shape needs");
  std::memcpy(array.data(), bytes.data() + headerStart + headerLength,
              dataBytes);
  return array;
}

llvm::Error agnrun::writeNpy(StringRef path, const NpyArray &array) {
  std::string shape;
  llvm::raw_string_ostream shapeStream(shape);
  for (int64_t dim : array.shape)
    shapeStream << dim << ", ";
  if (array.shape.size() > 1)
    shape.resize(shape.size() - 2); // "(2, 3)" rather than "(2, 3, )"
  std::string header = "{'descr': '" + array.dtype +
                       "', 'fortran_order': False, 'shape': (" +
                       llvm::StringRef(shape).rtrim().str() + "), }";
  // The header, with its 10-byte preamble, pads to a multiple of 64 bytes and
  // ends in a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');

  std::error_code error;
  llvm::raw_fd_ostream os(path, error, llvm::sys::fs::OF_None);
  if (error)
    return llvm::createStringError(error, "cannot write '" + path +
                                              "': " + error.message());
  os << "\x93NUMPY" << '\x01' << '\x00';
  os << static_cast<char>(header.size() & 0xff)
     << static_cast<char>((header.size() >> 8) & 0xff) << header;
  os.write(static_cast<const char *>(array.data()),
           static_cast<size_t>(array.getNumElements()) *
               array.getElementSize());
  return llvm::Error::success();
}
