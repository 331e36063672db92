/* What stockade-init (stockade_init.c) tells the supervisor, shared by both
 * sides. Plain C: init is built without libc and without C++. */
#ifndef STOCKADE_SANDBOX_INIT_REPORT_H
#define STOCKADE_SANDBOX_INIT_REPORT_H

/* Written once on the report page (sandbox/report_page.h), just before init
 * exits, as one of two kinds told apart by `magic`.
 *  - STOCKADE_INIT_REPORT_MAGIC: the plugin (pid 2) has ended; `value` is its
 *    raw wait status, as wait4 gave it.
 *  - STOCKADE_INIT_CPU_LIMIT_MAGIC: init ended the sandbox because the CPU
 *    time of all its processes, dead and alive, reached the budget given on
 *    init's argv; `value` is the CPU time used, in milliseconds (capped at
 *    INT_MAX). */
struct stockade_init_report {
  unsigned int magic;
  int value;
};

#define STOCKADE_INIT_REPORT_MAGIC 0x73746b31u    /* "stk1" */
#define STOCKADE_INIT_CPU_LIMIT_MAGIC 0x73746b63u /* "stkc" */

/* Step numbers init writes on the setup channel; they continue the
 * supervisor's Step enum (child_plan.h checks they agree). */
#define STOCKADE_STEP_INIT 21
#define STOCKADE_STEP_START_PLUGIN 22
#define STOCKADE_STEP_EXEC_PLUGIN 23

#endif
