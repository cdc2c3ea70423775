/*
 * mm/tests/mm_test.c - in-kernel tests of address spaces, page tables and user copies.
 *
 * Each test builds its own struct mm, switches to it, reads and writes it
 * only through the user-copy functions (as a system call would), switches
 * back and destroys it; the harness then checks no frame leaked.
 */
#include <kernel/errno.h>
#include <kernel/ktest.h>
#include <lib/string.h>
#include <mm/fault.h>
#include <mm/frame.h>
#include <mm/mm.h>
#include <mm/usercopy.h>

#define TEST_VA 0x10000000ul

void kmain(uint32_t magic, paddr_t info_phys);

/* An address space with one VMA of `pages` pages at TEST_VA. */
static struct mm *test_mm(uint64_t pages, uint32_t flags)
{
    struct mm *mm = mm_create();
    int err = 0;
    KEXPECT(mm != NULL);
    if (mm && !mm_add_vma(mm, TEST_VA, TEST_VA + pages * PAGE_SIZE, flags, VMA_KIND_ANON, &err))
        KEXPECT_EQ(err, 0);
    return mm;
}

static void expect_mm_sound(struct mm *mm)
{
    char why[160];
    int rc = mm_check(&mm, 1, why, sizeof(why));
    if (rc != 0)
        ktest_fail(__FILE__, __LINE__, "mm_check: %s", why);
}

static void test_mm_done(struct mm *mm)
{
    mm_switch(NULL);
    mm_destroy(mm);
}

KTEST(mm_map_switch_read_write)
{
    struct mm *mm = test_mm(2, VM_READ | VM_WRITE);
    struct page *frame = frame_alloc(0, FRAME_ZERO);
    strlcpy(page_to_virt(frame), "hello from a frame", 64);
    KEXPECT_EQ(pt_map_page(mm->pml4, TEST_VA, frame, vma_pt_prot(VM_READ | VM_WRITE)), 0);
    mm->counters.rss_anon++;
    mm_switch(mm);
    char buf[64];
    KEXPECT_EQ(copy_from_user(buf, TEST_VA, sizeof(buf)), 0);
    KEXPECT(strcmp(buf, "hello from a frame") == 0);
    KEXPECT_EQ(copy_to_user(TEST_VA + 100, "written", 8), 0);
    KEXPECT(strcmp((char *)page_to_virt(frame) + 100, "written") == 0);
    paddr_t pa;
    KEXPECT(pt_translate(mm->pml4, TEST_VA + 5, &pa) && pa == page_to_phys(frame) + 5);
    expect_mm_sound(mm);
    test_mm_done(mm);
}

KTEST(mm_unmapped_access_faults)
{
    struct mm *mm = test_mm(4, VM_READ | VM_WRITE);
    mm_switch(mm);
    KEXPECT_EQ(copy_to_user(TEST_VA + 3 * PAGE_SIZE, "x", 1), 0); /* demand-zero */
    KEXPECT_EQ(mm_unmap(mm, TEST_VA, TEST_VA + 4 * PAGE_SIZE), 0);
    char c;
    KEXPECT_EQ(copy_from_user(&c, TEST_VA + 3 * PAGE_SIZE, 1), -EFAULT);
    KEXPECT(pt_lookup(mm->pml4, TEST_VA + 3 * PAGE_SIZE) == NULL);
    KEXPECT_EQ(pt_count_tables(mm->pml4), 1); /* every table freed: only the PML4 */
    KEXPECT_EQ(mm->counters.rss_anon, 0);
    test_mm_done(mm);
}

KTEST(mm_kernel_half_shared)
{
    struct mm *a = mm_create(), *b = mm_create();
    for (int i = PT_ENTRIES / 2; i < PT_ENTRIES; i++) {
        KEXPECT_EQ(a->pml4[i], kernel_pml4[i]);
        KEXPECT_EQ(b->pml4[i], kernel_pml4[i]);
    }
    for (int i = 0; i < PT_ENTRIES / 2; i++)
        KEXPECT_EQ(a->pml4[i], 0);
    mm_destroy(a);
    mm_destroy(b);
}

KTEST(usercopy_bad_pointers_return_efault)
{
    struct mm *mm = test_mm(1, VM_READ | VM_WRITE);
    mm_switch(mm);
    static const vaddr_t bad[] = {
        0,                       /* NULL */
        0x1000,                  /* low, unmapped */
        TEST_VA + PAGE_SIZE,     /* just past the VMA */
        0x0000800000000000ul,    /* first non-canonical */
        0xffff800000001000ul,    /* the direct map: kernel memory */
        (vaddr_t)kmain,          /* kernel text */
    };
    char buf[16] = "0123456789";
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        KEXPECT_EQ(copy_from_user(buf, bad[i], 8), -EFAULT);
        KEXPECT_EQ(copy_to_user(bad[i], buf, 8), -EFAULT);
        KEXPECT_EQ(clear_user(bad[i], 8), -EFAULT);
        KEXPECT_EQ(strncpy_from_user(buf, bad[i], sizeof(buf)), -EFAULT);
    }
    /* a range that wraps around the top of the address space */
    KEXPECT_EQ(copy_from_user(buf, 0xfffffffffffff000ul, 0x2000), -EFAULT);
    /* a range that starts valid and runs off the end of the VMA */
    KEXPECT_EQ(copy_to_user(TEST_VA + PAGE_SIZE - 4, buf, 8), -EFAULT);
    KEXPECT_EQ(copy_from_user(buf, TEST_VA, 0), 0); /* nothing to copy: fine */
    test_mm_done(mm);
}

KTEST(usercopy_strings)
{
    struct mm *mm = test_mm(2, VM_READ | VM_WRITE);
    mm_switch(mm);
    char buf[8];
    KEXPECT_EQ(copy_to_user(TEST_VA, "abc", 4), 0);
    KEXPECT_EQ(strncpy_from_user(buf, TEST_VA, sizeof(buf)), 3);
    KEXPECT(strcmp(buf, "abc") == 0);
    KEXPECT_EQ(copy_to_user(TEST_VA, "abcdefghij", 11), 0);
    KEXPECT_EQ(strncpy_from_user(buf, TEST_VA, sizeof(buf)), -ENAMETOOLONG);
    /* a string running into the end of the mapping */
    vaddr_t end = TEST_VA + 2 * PAGE_SIZE;
    KEXPECT_EQ(copy_to_user(end - 2, "xy", 2), 0);
    KEXPECT_EQ(strncpy_from_user(buf, end - 2, sizeof(buf)), -EFAULT);
    test_mm_done(mm);
}

KTEST(fault_demand_zero_and_zero_page)
{
    struct mm *mm = test_mm(16, VM_READ | VM_WRITE);
    mm_switch(mm);
    uint64_t free_before = frame_free_count();
    uint8_t byte = 0xff;
    KEXPECT_EQ(copy_from_user(&byte, TEST_VA + 5 * PAGE_SIZE, 1), 0);
    KEXPECT_EQ(byte, 0);
    KEXPECT_EQ(mm->counters.faults[FAULT_KIND_ZERO_PAGE], 1);
    KEXPECT_EQ(mm->counters.rss_anon, 0);
    KEXPECT_EQ(pte_frame(*pt_lookup(mm->pml4, TEST_VA + 5 * PAGE_SIZE)), zero_frame());
    KEXPECT_EQ(copy_to_user(TEST_VA + 5 * PAGE_SIZE, "z", 1), 0);
    KEXPECT_EQ(mm->counters.faults[FAULT_KIND_ZERO_FILL], 1);
    KEXPECT_EQ(mm->counters.rss_anon, 1);
    KEXPECT(pte_frame(*pt_lookup(mm->pml4, TEST_VA + 5 * PAGE_SIZE)) != zero_frame());
    uint64_t zeros = 0;
    for (size_t i = 0; i < PAGE_SIZE; i++)
        zeros += ((uint8_t *)page_to_virt(zero_frame()))[i] == 0;
    KEXPECT_EQ(zeros, PAGE_SIZE);
    KEXPECT(frame_free_count() < free_before);
    expect_mm_sound(mm);
    test_mm_done(mm);
}

KTEST(fault_cow_copy_and_reuse)
{
    struct mm *parent = test_mm(2, VM_READ | VM_WRITE);
    mm_switch(parent);
    KEXPECT_EQ(copy_to_user(TEST_VA, "parent", 7), 0);
    struct mm *child = test_mm(2, VM_READ | VM_WRITE);
    KEXPECT_EQ(pt_copy_range(child->pml4, parent->pml4, TEST_VA, TEST_VA + 2 * PAGE_SIZE,
                             PT_COPY_COW), 0);
    child->counters.rss_anon = parent->counters.rss_anon;
    struct page *shared = pte_frame(*pt_lookup(parent->pml4, TEST_VA));
    KEXPECT_EQ(shared->refcount, 2);
    struct mm *both[] = { parent, child };
    char why[160];
    KEXPECT_EQ(mm_check(both, 2, why, sizeof(why)), 0);
    mm_switch(child);
    KEXPECT_EQ(copy_to_user(TEST_VA, "child", 6), 0); /* COW: copied */
    KEXPECT_EQ(child->counters.faults[FAULT_KIND_COW_COPY], 1);
    KEXPECT_EQ(shared->refcount, 1);
    mm_switch(parent);
    char buf[8];
    KEXPECT_EQ(copy_from_user(buf, TEST_VA, 7), 0);
    KEXPECT(strcmp(buf, "parent") == 0);
    KEXPECT_EQ(copy_to_user(TEST_VA, "again", 6), 0); /* sole mapper now: reused */
    KEXPECT_EQ(parent->counters.faults[FAULT_KIND_COW_REUSE], 1);
    KEXPECT_EQ(mm_check(both, 2, why, sizeof(why)), 0);
    mm_switch(NULL);
    mm_destroy(child);
    mm_destroy(parent);
}

KTEST(mm_check_catches_a_stray_page)
{
    struct mm *mm = test_mm(1, VM_READ);
    struct page *frame = frame_alloc(0, FRAME_ZERO);
    /* mapped writable in a read-only VMA: the checker must object */
    KEXPECT_EQ(pt_map_page(mm->pml4, TEST_VA, frame, PT_READ | PT_WRITE), 0);
    char why[160];
    KEXPECT_EQ(mm_check(&mm, 1, why, sizeof(why)), -1);
    KEXPECT(strstr(why, "more than its VMA") != NULL);
    mm_destroy(mm);
}

KTEST(mm_write_to_readonly_vma_is_refused)
{
    struct mm *mm = test_mm(1, VM_READ);
    mm_switch(mm);
    KEXPECT_EQ(copy_to_user(TEST_VA, "no", 3), -EFAULT);
    char c = 1;
    KEXPECT_EQ(copy_from_user(&c, TEST_VA, 1), 0);
    KEXPECT_EQ(c, 0);
    test_mm_done(mm);
}

KTEST(pagetable_tables_follow_mappings)
{
    struct mm *mm = mm_create();
    int err;
    /* three pages far apart: each needs its own PDPT, PD and PT */
    static const vaddr_t where[] = { 0x400000ul, 0x40000000000ul, 0x7f0000000000ul };
    for (size_t i = 0; i < ARRAY_SIZE(where); i++) {
        mm_add_vma(mm, where[i], where[i] + PAGE_SIZE, VM_READ | VM_WRITE, VMA_KIND_ANON, &err);
        KEXPECT_EQ(pt_map_page(mm->pml4, where[i], frame_alloc(0, FRAME_ZERO),
                               PT_READ | PT_WRITE), 0);
        mm->counters.rss_anon++;
    }
    KEXPECT_EQ(pt_count_tables(mm->pml4), 1 + 3 * 3);
    KEXPECT_EQ(mm_unmap(mm, where[1], where[1] + PAGE_SIZE), 0);
    KEXPECT_EQ(pt_count_tables(mm->pml4), 1 + 2 * 3);
    mm_destroy(mm);
}
