/*===- CHeaderTest.c - agn-c/GpuRuntime.h compiles and links as C ---------===*\
|*                                                                            *|
|* Part of the agn project.                                                   *|
|*                                                                            *|
|* Compiled as strict C99 with -Werror into the unit tests: the header must   *|
|* hold no C++, and a C host must be able to drive the runtime. Runs without  *|
|* a driver (LibraryTest.cpp).                                                *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "agn-c/GpuRuntime.h"

#include <stdio.h>
#include <string.h>

static int check(int condition, const char *what) {
  if (!condition)
    fprintf(stderr, "CHeaderTest: %s failed (%s)\n", what,
            agn_gpu_last_error());
  return condition ? 0 : 1;
}

int agn_gpu_c_header_check(void);

int agn_gpu_c_header_check(void) {
  static char image[] = "FAKECUBIN";
  int failures = 0;
  void *module = mgpuModuleLoad(image, sizeof(image));
  failures += check(module != NULL, "mgpuModuleLoad");
  failures += check(agn_gpu_status() == AGN_GPU_OK, "lazy load");
  failures += check(!agn_gpu_available(), "available");
  failures += check(strlen(agn_gpu_unavailable_reason()) > 0, "reason");
  failures += check(mgpuMemAlloc(64, NULL, false) == NULL, "mgpuMemAlloc");
  failures += check(agn_gpu_status() == AGN_GPU_ERR_NO_DRIVER, "status");
  failures +=
      check(strstr(agn_gpu_last_error(), "agn-gpu: ") != NULL, "last error");
  agn_gpu_clear_error();
  failures += check(agn_gpu_status() == AGN_GPU_ERR_NO_DRIVER, "still");
  failures += check(agn_gpu_constant(image, 4) == NULL, "constant");
  agn_gpu_release_constants();
  mgpuModuleUnload(module);
  return failures;
}
