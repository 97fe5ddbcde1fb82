//===- TextParsing.cpp - Strict scanning of kernel text files -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "TextParsing.h"

#include <charconv>
#include <cmath>

namespace agn::rt {

static bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && isBlank(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back()))
    text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<std::string_view> splitBlanks(std::string_view text) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isBlank(text[i]))
      ++i;
    size_t start = i;
    while (i < text.size() && !isBlank(text[i]))
      ++i;
    if (i > start)
      tokens.push_back(text.substr(start, i - start));
  }
  return tokens;
}

std::optional<uint64_t> parseUnsigned(std::string_view token) {
  if (token.empty() || token.size() > 20)
    return std::nullopt;
  uint64_t value = 0;
  for (char c : token) {
    if (c < '0' || c > '9')
      return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10)
      return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::optional<double> parseDouble(std::string_view token) {
  // std::from_chars, unlike strtod, ignores the C locale (a host that set a
  // comma-decimal LC_NUMERIC must not change what a config file means) and
  // accepts no leading blanks. Hex floats, "inf" and "nan" are screened out.
  if (token.empty() || token.size() > 64)
    return std::nullopt;
  for (char c : token)
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' ||
          c == 'e' || c == 'E'))
      return std::nullopt;
  double value = 0;
  auto [end, error] =
      std::from_chars(token.data(), token.data() + token.size(), value);
  if (error != std::errc() || end != token.data() + token.size() ||
      !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::string excerpt(std::string_view text, size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit))
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (text.size() > limit)
    out += "...";
  return out;
}

} // namespace agn::rt
