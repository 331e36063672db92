/* What stockade-init (stockade_init.c) tells the supervisor, shared by both
 * sides. Plain C: init is built without libc and without C++. */
#ifndef STOCKADE_SANDBOX_INIT_REPORT_H
#define STOCKADE_SANDBOX_INIT_REPORT_H

/* Written once on the report fd when the plugin (pid 2) has ended: its raw
 * wait status, as wait4 gave it. 8 bytes: one atomic pipe write. */
struct stockade_init_report {
  unsigned int magic;
  int wait_status;
};

#define STOCKADE_INIT_REPORT_MAGIC 0x73746b31u /* "stk1" */

/* Step numbers init writes on the setup channel; they continue the
 * supervisor's Step enum (child_plan.h checks they agree). */
#define STOCKADE_STEP_INIT 21
#define STOCKADE_STEP_START_PLUGIN 22
#define STOCKADE_STEP_EXEC_PLUGIN 23

#endif
