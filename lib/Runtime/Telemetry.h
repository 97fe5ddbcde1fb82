//===- Telemetry.h - The telemetry JSON document ----------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Renders a ManagerSnapshot as the JSON document described in
// docs/Runtime.md and writes it to a file. The document is always valid JSON:
// strings are escaped (unit names come from user models and may hold quotes,
// control characters or invalid UTF-8), numbers are formatted independently
// of the process locale, and values that are unknown or not finite are null.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_TELEMETRY_H
#define AGN_LIB_RUNTIME_TELEMETRY_H

#include "Snapshot.h"
#include "Status.h"

#include <string>
#include <string_view>

namespace agn::rt {

/// The schema identifier written as "schema".
constexpr const char *kTelemetrySchema = "agn-runtime-telemetry/1";

/// Renders \p snapshot.
std::string renderTelemetryJson(const ManagerSnapshot &snapshot);

/// Quotes \p text as a JSON string: escapes quotes, backslashes and control
/// characters and replaces invalid UTF-8 with U+FFFD.
std::string jsonQuote(std::string_view text);

/// Expands "%p" in \p pattern to \p pid and "%%" to "%".
std::string expandTelemetryPath(std::string_view pattern, long pid);

/// Writes \p json to \p path through a temporary file and rename(2), so that
/// a reader never sees half a document.
Status writeTelemetryFile(const std::string &path, const std::string &json);

/// Writes \p contents to \p path like writeTelemetryFile; \p what names
/// the file in error messages ("telemetry file", "trace file").
Status writeFileAtomically(const std::string &path, const std::string &contents,
                           const std::string &what);

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_TELEMETRY_H
