#===- CheckExports.cmake - Only agn_rt_* leaves libagn_runtime.so ----------===#
#
# Usage: cmake -DLIBRARY=<libagn_runtime.so> -DNM=<nm> -P CheckExports.cmake
#
# Lists the defined dynamic symbols of the library and fails on any that is
# not part of the C API (agn_rt_*, and the allocation functions of generated
# code), e.g. a C++ symbol leaking from a missing -fvisibility=hidden.
#
#===----------------------------------------------------------------------===#

execute_process(
  COMMAND ${NM} -D --defined-only ${LIBRARY}
  OUTPUT_VARIABLE symbols
  RESULT_VARIABLE result
  )
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${LIBRARY}")
endif()
string(REPLACE "\n" ";" lines "${symbols}")
set(exported 0)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(REGEX REPLACE "^.* " "" name "${line}")
  if(name MATCHES "^agn_rt_")
    math(EXPR exported "${exported} + 1")
  elseif(name MATCHES "^_mlir_memref_to_llvm_(alloc|free)$")
    # MLIR's generic allocation functions, which generated code calls.
  elseif(NOT name MATCHES "^(_init|_fini|_edata|_end|__bss_start)$")
    message(FATAL_ERROR "unexpected exported symbol: ${name}")
  endif()
endforeach()
if(exported LESS 20)
  message(FATAL_ERROR "expected the agn_rt_* API, found ${exported} symbols")
endif()
message(STATUS "${exported} agn_rt_* symbols exported, nothing else")
