/*===- CHeaderTest.c - agn-c/Runtime.h compiles and links as C ------------===*\
|*                                                                            *|
|* Part of the agn project.                                                   *|
|*                                                                            *|
|* Built as strict C99 with -Werror against the shared library: the header    *|
|* must hold no C++, and a C program must be able to drive the runtime.       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "agn-c/Runtime.h"

#include <stdio.h>
#include <string.h>

static int check(int condition, const char *what) {
  if (!condition)
    fprintf(stderr, "CHeaderTest: %s failed (%s)\n", what, agn_rt_last_error());
  return condition ? 0 : 1;
}

int main(void) {
  int failures = 0;
  agn_level_cost costs[2];
  agn_rt_stats stats;
  agn_rt_unit_stats unit;
  int64_t id;

  costs[0].level = AGN_LEVEL_I8;
  costs[0].weight_bytes = 1024;
  costs[0].macs = 4096;
  costs[1].level = AGN_LEVEL_F32;
  costs[1].weight_bytes = 4096;
  costs[1].macs = 4096;

  /* No agn_rt_init: the runtime initialises itself on first use. */
  id = agn_rt_register_unit("c/fc", costs, 2, 1.0);
  failures += check(id >= 0, "register");
  failures += check(agn_rt_arbitrate(id, AGN_LEVEL_F32, 0.1f) == AGN_LEVEL_F32,
                    "arbitrate f32");
  failures +=
      check(agn_rt_set_max_level(AGN_LEVEL_F16) == AGN_RT_OK, "set_max_level");
  failures += check(agn_rt_arbitrate(id, AGN_LEVEL_F32, 0.1f) == AGN_LEVEL_I8,
                    "arbitrate under max_level");
  agn_rt_begin_inference();
  agn_rt_report_unit_time(id, AGN_LEVEL_I8, 1000);
  agn_rt_end_inference();

  memset(&stats, 0, sizeof(stats));
  stats.struct_size = sizeof(stats);
  failures += check(agn_rt_get_stats(&stats) == AGN_RT_OK, "get_stats");
  failures += check(stats.num_units == 1 && stats.inferences == 1, "stats");

  memset(&unit, 0, sizeof(unit));
  unit.struct_size = sizeof(unit);
  failures +=
      check(agn_rt_get_unit_stats(id, &unit) == AGN_RT_OK, "get_unit_stats");
  failures += check(unit.ceiling_reason == AGN_RT_REASON_MAX_LEVEL &&
                        unit.overrides[AGN_RT_REASON_MAX_LEVEL] == 1,
                    "override reason");
  failures += check(strcmp(unit.name, "c/fc") == 0, "unit name");
  failures += check(agn_rt_set_option("max_level", "fp64") == AGN_RT_ERR_CONFIG,
                    "bad value rejected");
  failures += check(strstr(agn_rt_last_error(), "accepted values") != NULL,
                    "error names the accepted values");
  agn_rt_shutdown();
  return failures == 0 ? 0 : 1;
}
