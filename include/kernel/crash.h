/*
 * include/kernel/crash.h - deliberate kernel faults, for the tests (crash=WHAT).
 */
#ifndef MICA_KERNEL_CRASH_H
#define MICA_KERNEL_CRASH_H

/* Runs the named crash; prints the list and returns if the name is unknown. */
void crash_run(const char *what);

#endif
