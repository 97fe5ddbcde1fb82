//===- AttributeFuzzer.cpp - Fuzz agn's attribute parsers -----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The input, after `#agn.`, is parsed as an attribute (`#agn.policy<...>`,
// `#agn.cost<...>`, `#agn.lowering_config<...>`, `#agn.blocked_matmul<...>`,
// the enums), which runs agn's custom parsers and verifiers. agn defines no
// types of its own, so there is no type parser to fuzz.
//
// Beyond not crashing, an attribute that parses must round-trip: its printed
// form parses again to the same attribute (what `agn-opt` prints, it reads).
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/IR/AGNDialect.h"
#include "agn/Dialect/X86/IR/X86Dialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text = "#agn.";
  text.append(reinterpret_cast<const char *>(data), size);

  MLIRContext context(MLIRContext::Threading::DISABLED);
  context.loadDialect<agn::AGNDialect, agn::x86::X86Dialect>();
  // Errors are the expected outcome of most inputs; keep them quiet.
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });

  Attribute attr = parseAttribute(text, &context);
  if (!attr)
    return 0;

  std::string printed;
  llvm::raw_string_ostream os(printed);
  attr.print(os);
  Attribute again = parseAttribute(printed, &context);
  if (again != attr) {
    llvm::errs() << "agn-fuzz-attributes: '" << text << "' prints as '"
                 << printed << "', which "
                 << (again ? "parses to another attribute" : "does not parse")
                 << "\n";
    std::abort();
  }
  return 0;
}
