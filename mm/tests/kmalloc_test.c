/*
 * mm/tests/kmalloc_test.c - in-kernel tests of kmalloc/kfree.
 */
#include <kernel/ktest.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>

KTEST(kmalloc_sizes_round_trip)
{
    static const size_t sizes[] = { 1, 8, 16, 17, 31, 32, 64, 100, 128, 255, 256,
                                    511, 512, 1000, 1024, 2047, 2048, 2049, 4096,
                                    4097, 10000, 65536 };
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        uint8_t *p = kmalloc(sizes[i]);
        KEXPECT(p != NULL);
        if (!p)
            continue;
        KEXPECT_EQ((uintptr_t)p % 16, 0);
        memset(p, (int)i, sizes[i]);
        KEXPECT_EQ(p[sizes[i] - 1], (uint8_t)i);
        kfree(p);
    }
}

KTEST(kmalloc_objects_do_not_overlap)
{
    enum { COUNT = 600 };
    static uint64_t *objs[COUNT];
    for (int i = 0; i < COUNT; i++) {
        size_t size = 16u << (i % KMALLOC_CLASSES);
        objs[i] = kmalloc(size);
        KEXPECT(objs[i] != NULL);
        for (size_t w = 0; w < size / 8; w++)
            objs[i][w] = (uint64_t)i << 32 | w;
    }
    for (int i = 0; i < COUNT; i++) {
        size_t size = 16u << (i % KMALLOC_CLASSES);
        for (size_t w = 0; w < size / 8; w++)
            if (objs[i][w] != ((uint64_t)i << 32 | w)) {
                KEXPECT(!"an object was overwritten by another");
                break;
            }
    }
    for (int i = COUNT - 1; i >= 0; i -= 2)
        kfree(objs[i]);
    for (int i = COUNT - 2; i >= 0; i -= 2)
        kfree(objs[i]);
}

KTEST(kmalloc_stats_follow_allocations)
{
    struct kmalloc_stats before, during, after;
    kmalloc_get_stats(&before);
    void *a = kmalloc(64), *b = kmalloc(64), *big = kmalloc(3 * PAGE_SIZE);
    kmalloc_get_stats(&during);
    KEXPECT_EQ(during.classes[2].object_size, 64);
    KEXPECT_EQ(during.classes[2].objects_in_use, before.classes[2].objects_in_use + 2);
    KEXPECT_EQ(during.large_frames_in_use, before.large_frames_in_use + 4);
    kfree(a);
    kfree(b);
    kfree(big);
    kmalloc_get_stats(&after);
    KEXPECT_EQ(after.classes[2].objects_in_use, before.classes[2].objects_in_use);
    KEXPECT_EQ(after.large_frames_in_use, before.large_frames_in_use);
}

KTEST(kmalloc_edge_cases)
{
    kfree(NULL);
    KEXPECT(kmalloc(0) == NULL);
    uint8_t *z = kzalloc(300);
    int nonzero = 0;
    for (int i = 0; i < 300; i++)
        nonzero += z[i] != 0;
    KEXPECT_EQ(nonzero, 0);
    kfree(z);
}

KTEST(kmalloc_out_of_frames_returns_null)
{
    frame_fail_nth_alloc(1);
    KEXPECT(kmalloc(5 * PAGE_SIZE) == NULL);
    frame_fail_nth_alloc(0);
}
