//===- TextParsing.h - Strict scanning of kernel text files -----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Tokenizers and number parsers for the line-oriented text that /proc, cgroup
// files and the configuration file are written in. All of them are strict: a
// number parses only if the whole token is a number in range, so that garbage
// in a file is reported rather than read as zero.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_TEXTPARSING_H
#define AGN_LIB_RUNTIME_TEXTPARSING_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agn::rt {

/// Removes leading and trailing blanks (space, tab, CR, LF).
std::string_view trim(std::string_view text);

/// Splits \p text at '\n'; a trailing newline does not produce an empty line.
std::vector<std::string_view> splitLines(std::string_view text);

/// Splits \p text at runs of blanks, dropping empty tokens.
std::vector<std::string_view> splitBlanks(std::string_view text);

/// Parses a decimal unsigned integer that fills all of \p token.
std::optional<uint64_t> parseUnsigned(std::string_view token);

/// Parses a finite decimal floating-point number that fills all of \p token.
std::optional<double> parseDouble(std::string_view token);

/// A printable, bounded excerpt of \p text for error messages: at most
/// \p limit characters, control characters shown as '?'.
std::string excerpt(std::string_view text, size_t limit = 40);

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_TEXTPARSING_H
