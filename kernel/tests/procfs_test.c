/*
 * kernel/tests/procfs_test.c - in-kernel tests of the memory files of /proc.
 *
 * Each test builds address spaces of its own (as mm_test.c does), hangs
 * them on a made-up struct proc and renders its /proc/PID files through
 * procfs_show_pid_file / procfs_read_pid_file, then checks the text or the
 * entries against what it mapped: Linux's exact maps line, smaps' shares
 * of a page after fork, pagemap's bits.
 */
#include <kernel/errno.h>
#include <kernel/ktest.h>
#include <kernel/proc.h>
#include <kernel/procfs.h>
#include <lib/string.h>
#include <mm/fault.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <mm/usercopy.h>

#define TEST_VA 0x10000000ul

/* A process (only pid and mm are set) whose address space has one rw VMA of `pages` at TEST_VA. */
static struct proc *test_proc(uint64_t pages)
{
    struct proc *p = kzalloc(sizeof(*p));
    int err = 0;
    KEXPECT(p != NULL);
    if (!p)
        return NULL;
    p->pid = 42;
    p->mm = mm_create();
    KEXPECT(p->mm != NULL);
    if (p->mm && !mm_add_vma(p->mm, TEST_VA, TEST_VA + pages * PAGE_SIZE,
                             VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC,
                             VMA_KIND_ANON, &err))
        KEXPECT_EQ(err, 0);
    return p;
}

static void test_proc_done(struct proc *p)
{
    mm_switch(NULL);
    if (p->mm)
        mm_destroy(p->mm);
    kfree(p);
}

/* The number after "key" in text (smaps: "Pss:   12 kB"), or -1. */
static long value_after(const char *text, const char *key)
{
    const char *at = strstr(text, key);
    if (!at)
        return -1;
    at += strlen(key);
    while (*at == ' ')
        at++;
    long v = 0;
    for (; *at >= '0' && *at <= '9'; at++)
        v = v * 10 + (*at - '0');
    return v;
}

KTEST(procfs_maps_lines_as_linux)
{
    struct proc *p = test_proc(2);
    if (!p || !p->mm)
        return;
    int err = 0;
    KEXPECT(mm_add_vma(p->mm, 0x7ffffffde000ul, 0x7ffffffff000ul,
                       VM_READ | VM_WRITE | VM_GROWSDOWN, VMA_KIND_STACK, &err) != NULL);
    struct procfs_buf buf = { 0 };
    KEXPECT_EQ(procfs_show_pid_file("maps", p, &buf), 0);
    procfs_write(&buf, "", 1);
    /* anonymous: the fields end with a space; a name starts at column 73 */
    const char *want =
        "10000000-10002000 rw-p 00000000 00:00 0 \n"
        "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n";
    if (buf.data && strcmp(buf.data, want) != 0)
        ktest_fail(__FILE__, __LINE__, "maps is\n%s", buf.data);
    procfs_buf_free(&buf);
    test_proc_done(p);
}

KTEST(procfs_smaps_shares_after_fork)
{
    struct proc *p = test_proc(3);
    if (!p || !p->mm)
        return;
    mm_switch(p->mm);
    char byte;
    KEXPECT_EQ(copy_to_user(TEST_VA, "a", 1), 0);                 /* private, then shared by fork */
    KEXPECT_EQ(copy_to_user(TEST_VA + PAGE_SIZE, "b", 1), 0);     /* copied by the child */
    KEXPECT_EQ(copy_from_user(&byte, TEST_VA + 2 * PAGE_SIZE, 1), 0); /* the zero page */
    struct mm *child = mm_fork(p->mm);
    KEXPECT(child != NULL);
    if (child) {
        mm_switch(child);
        KEXPECT_EQ(copy_to_user(TEST_VA + PAGE_SIZE, "c", 1), 0);
        mm_switch(p->mm);
    }
    struct procfs_buf buf = { 0 };
    KEXPECT_EQ(procfs_show_pid_file("smaps", p, &buf), 0);
    procfs_write(&buf, "", 1);
    if (buf.data) {
        /* page 0 mapped twice (Pss 2 kB), page 1 ours alone, the zero page nobody's */
        KEXPECT_EQ(value_after(buf.data, "Size:"), 12);
        KEXPECT_EQ(value_after(buf.data, "Rss:"), 8);
        KEXPECT_EQ(value_after(buf.data, "Pss:"), 6);
        KEXPECT_EQ(value_after(buf.data, "Anonymous:"), 8);
        KEXPECT_EQ(value_after(buf.data, "Shared_Clean:") + value_after(buf.data, "Shared_Dirty:"), 4);
        KEXPECT_EQ(value_after(buf.data, "Private_Clean:") + value_after(buf.data, "Private_Dirty:"),
                   4);
        KEXPECT(strstr(buf.data, "VmFlags: rd wr mr mw me ac \n") != NULL);
    }
    procfs_buf_free(&buf);
    mm_switch(NULL);
    if (child)
        mm_destroy(child);
    test_proc_done(p);
}

KTEST(procfs_pagemap_entries)
{
    struct proc *p = test_proc(2);
    if (!p || !p->mm)
        return;
    mm_switch(p->mm);
    KEXPECT_EQ(copy_to_user(TEST_VA, "x", 1), 0);
    struct page *frame = pte_frame(*pt_lookup(p->mm->pml4, TEST_VA));
    uint64_t e[3] = { 1, 1, 1 };
    uint64_t offset = TEST_VA / PAGE_SIZE * 8;
    KEXPECT_EQ(procfs_read_pid_file("pagemap", p, e, sizeof(e), offset), sizeof(e));
    KEXPECT_EQ(e[0], (1ull << 63) | (1ull << 56) | page_to_pfn(frame)); /* present, exclusive */
    KEXPECT_EQ(e[1], 0);
    KEXPECT_EQ(e[2], 0);
    KEXPECT_EQ(procfs_read_pid_file("pagemap", p, e, 8, offset + 4), -EINVAL);
    KEXPECT_EQ(procfs_read_pid_file("pagemap", p, e, 8, USER_STACK_TOP / PAGE_SIZE * 8), 0);
    test_proc_done(p);
}

KTEST(procfs_status_and_statm_sizes)
{
    struct proc *p = test_proc(4);
    if (!p || !p->mm)
        return;
    mm_switch(p->mm);
    KEXPECT_EQ(copy_to_user(TEST_VA, "x", 1), 0);
    struct procfs_buf buf = { 0 };
    procfs_status_memory(&buf, p->mm);
    KEXPECT_EQ(procfs_show_pid_file("statm", p, &buf), 0);
    procfs_write(&buf, "", 1);
    if (buf.data) {
        KEXPECT(strstr(buf.data, "VmSize:\t      16 kB\n") != NULL);
        KEXPECT(strstr(buf.data, "VmRSS:\t       4 kB\n") != NULL);
        KEXPECT(strstr(buf.data, "VmData:\t      16 kB\n") != NULL);
        KEXPECT(strstr(buf.data, "\n4 1 0 0 0 4 0\n") != NULL); /* statm, in pages */
    }
    procfs_buf_free(&buf);
    test_proc_done(p);
}
