/*
 * mm/tests/frame_bench.c - benchmarks of the frame allocator and kmalloc.
 */
#include <kernel/bench.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>

BENCH(frame_alloc_free_order0, 100000)
{
    for (uint64_t i = 0; i < iterations; i++)
        frame_free(frame_alloc(0, FRAME_NORMAL));
}

BENCH(frame_alloc_free_order3, 20000)
{
    for (uint64_t i = 0; i < iterations; i++)
        frame_free(frame_alloc(3, FRAME_NORMAL));
}

BENCH(kmalloc_kfree_64, 100000)
{
    for (uint64_t i = 0; i < iterations; i++)
        kfree(kmalloc(64));
}

BENCH(kmalloc_kfree_8192, 20000)
{
    for (uint64_t i = 0; i < iterations; i++)
        kfree(kmalloc(8192));
}
