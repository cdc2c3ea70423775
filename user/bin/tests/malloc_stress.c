/*
 * malloc_stress - the allocator under load: 10,000 small blocks of mixed
 * sizes filled with patterns and checked, half of them freed and
 * reallocated, all freed (the heap must coalesce back into one free
 * block), then one block grown by realloc from 16 bytes to 8 MiB (across
 * the 128 KiB line into its own mmap) keeping its contents, calloc
 * zeroing recycled memory, and at the end nothing left in use.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utest.h"

#define NBLOCKS 10000
#define BIG (8ul << 20)

static unsigned char *blocks[NBLOCKS];
static size_t sizes[NBLOCKS];

static unsigned char pattern(size_t block, size_t i) { return (unsigned char)(block * 7 + i * 31); }

static void fill(size_t k, size_t size)
{
    sizes[k] = size;
    for (size_t i = 0; i < size; i++)
        blocks[k][i] = pattern(k, i);
}

/* Returns 1 if block k still holds its pattern. */
static int intact(size_t k)
{
    for (size_t i = 0; i < sizes[k]; i++)
        if (blocks[k][i] != pattern(k, i))
            return 0;
    return 1;
}

/* Allocates block k (size from a formula spreading 1..1000 bytes) and fills it. */
static int alloc_one(size_t k, size_t salt)
{
    size_t size = 1 + (k * 7919 + salt) % 1000;

    blocks[k] = malloc(size);
    if (!CHECK(blocks[k] != NULL, "malloc(%zu) failed for block %zu", size, k))
        return -1;
    CHECK((uintptr_t)blocks[k] % 16 == 0, "block %zu at %p is not 16-byte aligned", k,
          (void *)blocks[k]);
    fill(k, size);
    return 0;
}

static int verify_all(const char *when)
{
    for (size_t k = 0; k < NBLOCKS; k++)
        if (!CHECK(intact(k), "block %zu damaged %s", k, when))
            return -1;
    const char *why = malloc_check();
    return CHECK(why == NULL, "%s: %s", when, why) ? 0 : -1;
}

static void small_blocks(void)
{
    struct malloc_stats st;

    for (size_t k = 0; k < NBLOCKS; k++)
        if (alloc_one(k, 0) < 0)
            return;
    if (verify_all("after allocating") < 0)
        return;
    for (size_t k = 1; k < NBLOCKS; k += 2)
        free(blocks[k]);
    if (!CHECK(malloc_check() == NULL, "%s", malloc_check()))
        return;
    for (size_t k = 1; k < NBLOCKS; k += 2)
        if (alloc_one(k, 12345) < 0)
            return;
    if (verify_all("after freeing and reallocating half") < 0)
        return;
    for (size_t n = 0; n < NBLOCKS; n++)
        free(blocks[(n * 7) % NBLOCKS]); /* 7 and 10,000 share no factor: each block once */
    CHECK(malloc_check() == NULL, "%s", malloc_check());
    malloc_stats_get(&st);
    CHECK(st.used_blocks == 0, "%zu blocks still in use", st.used_blocks);
    CHECK(st.free_blocks == 1, "the free heap is in %zu pieces, not 1", st.free_blocks);
}

static void realloc_growth(void)
{
    struct malloc_stats st;
    size_t size = 16;
    unsigned char *p = malloc(size);

    if (!CHECK(p != NULL))
        return;
    for (size_t i = 0; i < size; i++)
        p[i] = pattern(1, i);
    while (size < BIG) {
        size_t bigger = size * 2;
        unsigned char *q = realloc(p, bigger);
        if (!CHECK(q != NULL, "realloc to %zu failed", bigger))
            break;
        p = q;
        for (size_t i = 0; i < size; i++)
            if (!CHECK(p[i] == pattern(1, i), "byte %zu lost growing to %zu", i, bigger))
                return;
        for (size_t i = size; i < bigger; i++)
            p[i] = pattern(1, i);
        size = bigger;
    }
    malloc_stats_get(&st);
    CHECK(st.mmap_blocks == 1 && st.mmap_bytes >= BIG, "%zu mmap blocks, %zu bytes",
          st.mmap_blocks, st.mmap_bytes);
    p = realloc(p, 100); /* back below the threshold: back into the heap */
    if (CHECK(p != NULL))
        for (size_t i = 0; i < 100; i++)
            if (!CHECK(p[i] == pattern(1, i), "byte %zu lost shrinking", i))
                break;
    free(p);
}

static void calloc_zeroes(void)
{
    unsigned char *junk = malloc(4000), *z;

    if (!CHECK(junk != NULL))
        return;
    memset(junk, 0xa5, 4000);
    free(junk);
    z = calloc(1000, 4); /* likely the very same memory */
    if (CHECK(z != NULL))
        for (size_t i = 0; i < 4000; i++)
            if (!CHECK(z[i] == 0, "calloc byte %zu is %#x", i, z[i]))
                break;
    free(z);
    CHECK(calloc(SIZE_MAX / 2, 4) == NULL && errno == ENOMEM, "calloc overflow not caught");
}

int main(void)
{
    struct malloc_stats st;

    small_blocks();
    realloc_growth();
    calloc_zeroes();
    CHECK(malloc_check() == NULL, "%s", malloc_check());
    malloc_stats_get(&st);
    CHECK(st.used_blocks == 0 && st.mmap_blocks == 0,
          "at the end: %zu heap blocks and %zu mappings still in use", st.used_blocks,
          st.mmap_blocks);
    printf("  heap %zu KiB, %zu free block(s)\n", st.heap_bytes / 1024, st.free_blocks);
    return utest_result();
}
