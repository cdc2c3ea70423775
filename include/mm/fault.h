/*
 * include/mm/fault.h - the page-fault handler's interface.
 *
 * The trap code turns the CPU's report (CR2 and the error code) into a
 * struct fault and calls mm_fault(), which looks at the address space and
 * either resolves the fault (maps a page) or says why it cannot.
 */
#ifndef MICA_MM_FAULT_H
#define MICA_MM_FAULT_H

#include <arch/trapframe.h>
#include <mm/mm.h>
#include <types.h>

struct fault {
    vaddr_t va;   /* the address that faulted (CR2) */
    vaddr_t ip;   /* the instruction that faulted */
    bool present; /* the page was mapped: a protection violation */
    bool write;   /* the access was a write */
    bool exec;    /* the access was an instruction fetch */
    bool user;    /* the access came from user mode */
};

enum fault_result {
    FAULT_RESOLVED,     /* a page is mapped now: retry the instruction */
    FAULT_BAD_ADDRESS,  /* no VMA there: SIGSEGV with SEGV_MAPERR */
    FAULT_BAD_ACCESS,   /* the VMA does not allow this access: SIGSEGV, SEGV_ACCERR */
    FAULT_BUS_ERROR,    /* a file page beyond the end of the file: SIGBUS */
    FAULT_OUT_OF_MEMORY /* no frame for the page: the process is killed */
};

/* Decodes a page-fault trap frame (with CR2) into a struct fault. */
struct fault fault_from_trapframe(const struct trapframe *tf, vaddr_t cr2);

/* Resolves f in mm (which may be NULL: no user address space). */
enum fault_result mm_fault(struct mm *mm, const struct fault *f);

/* Page faults of every address space since boot, for /proc/vmstat. */
struct fault_totals {
    uint64_t kinds[FAULT_KINDS]; /* by how they were resolved, as mm->counters.faults */
    uint64_t minor, major;
};

/* Copies the counts since boot into *out. */
void fault_get_totals(struct fault_totals *out);

/* Allocates the zero frame; called once by mm_init(). */
void fault_init(void);
/* The shared, always-zero frame that reads of untouched anonymous memory map. */
struct page *zero_frame(void);

/* A short name for a result ("no VMA", "access not allowed", ...). */
const char *fault_result_name(enum fault_result result);

#endif
