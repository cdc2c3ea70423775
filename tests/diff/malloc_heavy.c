/*
 * malloc_heavy - musl's allocator on top of the kernel's brk and mmap:
 * 10,000 small blocks filled and checked, one block grown by realloc from
 * 16 bytes to 8 MiB (its contents checked after every step: the big steps
 * move it into mmap'd memory), everything freed, then a second round to
 * see freed memory reused, and some floating-point printf at the end.
 * Prints counts and yes/no only, never addresses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBLOCKS 10000
#define BIG_MAX (8u << 20)

static uint32_t rng_state = 12345;

/* A fixed pseudo-random sequence, so both runs allocate the same sizes. */
static uint32_t next_rand(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static unsigned char fill_byte(size_t block, size_t i)
{
    return (unsigned char)(block * 7 + i * 13 + 1);
}

/* Allocates, fills and checks NBLOCKS small blocks; returns how many were bad. */
static int small_blocks(char **blocks, size_t *sizes)
{
    int bad = 0;

    for (size_t b = 0; b < NBLOCKS; b++) {
        sizes[b] = 1 + next_rand() % 200;
        blocks[b] = malloc(sizes[b]);
        if (blocks[b] == NULL) {
            bad++;
            continue;
        }
        for (size_t i = 0; i < sizes[b]; i++)
            blocks[b][i] = (char)fill_byte(b, i);
    }
    for (size_t b = 0; b < NBLOCKS; b++) {
        if (blocks[b] == NULL)
            continue;
        for (size_t i = 0; i < sizes[b]; i++) {
            if ((unsigned char)blocks[b][i] != fill_byte(b, i)) {
                bad++;
                break;
            }
        }
    }
    return bad;
}

/* Grows one block by doubling up to BIG_MAX; returns the number of steps whose contents were lost. */
static int realloc_growth(int *steps)
{
    size_t size = 16;
    unsigned char *p = malloc(size);
    int bad = 0;

    if (p == NULL)
        return -1;
    for (size_t i = 0; i < size; i++)
        p[i] = (unsigned char)(i * 31 + 7);
    *steps = 0;
    while (size < BIG_MAX) {
        size_t bigger = size * 2;
        unsigned char *q = realloc(p, bigger);
        if (q == NULL) {
            free(p);
            return -1;
        }
        p = q;
        for (size_t i = 0; i < size; i++) {
            if (p[i] != (unsigned char)(i * 31 + 7)) {
                bad++;
                break;
            }
        }
        for (size_t i = size; i < bigger; i++)
            p[i] = (unsigned char)(i * 31 + 7);
        size = bigger;
        (*steps)++;
    }
    /* and shrink it back in two steps */
    p = realloc(p, 4096);
    for (size_t i = 0; p && i < 4096; i++) {
        if (p[i] != (unsigned char)(i * 31 + 7)) {
            bad++;
            break;
        }
    }
    printf("realloc: final size %u bytes, shrunk to 4096: %s\n", (unsigned)size, p ? "yes" : "no");
    free(p);
    return bad;
}

int main(void)
{
    static char *blocks[NBLOCKS];
    static size_t sizes[NBLOCKS];
    size_t total = 0;
    int bad, steps = 0;

    bad = small_blocks(blocks, sizes);
    for (size_t b = 0; b < NBLOCKS; b++)
        total += sizes[b];
    printf("small blocks: %d allocated, %zu bytes, bad %d\n", NBLOCKS, total, bad);

    /* free every other block, then reallocate them: the holes get reused */
    for (size_t b = 0; b < NBLOCKS; b += 2) {
        free(blocks[b]);
        blocks[b] = NULL;
    }
    for (size_t b = 0; b < NBLOCKS; b += 2) {
        blocks[b] = malloc(sizes[b]);
        if (blocks[b])
            memset(blocks[b], 0x5a, sizes[b]);
    }
    int odd_bad = 0;
    for (size_t b = 1; b < NBLOCKS; b += 2)
        for (size_t i = 0; i < sizes[b]; i++)
            if ((unsigned char)blocks[b][i] != fill_byte(b, i)) {
                odd_bad++;
                break;
            }
    printf("after freeing and refilling half: odd blocks intact: %s\n", odd_bad == 0 ? "yes" : "no");

    int lost = realloc_growth(&steps);
    printf("realloc growth: %d doubling steps, contents lost in %d\n", steps, lost);

    for (size_t b = 0; b < NBLOCKS; b++)
        free(blocks[b]);

    /* calloc must give zeroed memory, also when it reuses freed blocks */
    int nonzero = 0;
    for (int round = 0; round < 100; round++) {
        unsigned char *z = calloc(1000, 3);
        for (size_t i = 0; z && i < 3000; i++)
            nonzero += z[i] != 0;
        free(z);
    }
    printf("calloc: nonzero bytes %d\n", nonzero);

    double sum = 0;
    for (int i = 1; i <= 1000; i++)
        sum += 1.0 / ((double)i * i);
    printf("floats: %.6f %.10g %e %g %.2f\n", sum, sum * 6, 1.0 / 3, 1e-5, -2.5);
    printf("summary: small bad %d, realloc lost %d, calloc nonzero %d: %s\n", bad, lost, nonzero,
           bad == 0 && lost == 0 && nonzero == 0 && odd_bad == 0 ? "ok" : "FAILED");
    return 0;
}
