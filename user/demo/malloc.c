/*
 * malloc - where malloc's blocks come from.
 *
 * mica's malloc (user/lib/malloc.c), like glibc's, has two sources. Blocks
 * under 128 KiB are cut from the heap, one region just above the program's
 * data that grows when malloc moves the program break (brk): they lie
 * below sbrk(0), inside [heap] in /proc/self/maps. Blocks of 128 KiB and
 * more get an anonymous mapping each (mmap), high up, below the stack;
 * free() unmaps such a block at once, while freed heap blocks stay in the
 * heap for reuse. For each size it prints the block's address, whether
 * the break moved, and the line of /proc/self/maps that holds the block.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const size_t sizes[] = { 16, 1000, 60 * 1024, 127 * 1024, 128 * 1024, 1024 * 1024 };

/*
 * Copies the line of /proc/self/maps whose range holds addr into out
 * ("(not mapped)" if none); returns the length of that range (0 if none).
 */
static size_t find_mapping(const void *addr, char *out, size_t size)
{
    static char maps[16384];
    size_t len = 0;
    ssize_t n;
    int fd = open("/proc/self/maps", O_RDONLY);

    snprintf(out, size, "(not mapped)");
    if (fd < 0)
        return 0;
    while (len < sizeof(maps) - 1 && (n = read(fd, maps + len, sizeof(maps) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    maps[len] = '\0';
    for (char *line = maps; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char *end;
        uintptr_t start = strtoul(line, &end, 16);
        uintptr_t stop = *end == '-' ? strtoul(end + 1, NULL, 16) : 0;
        if (start <= (uintptr_t)addr && (uintptr_t)addr < stop) {
            snprintf(out, size, "%.*s", (int)strcspn(line, "\n"), line);
            return stop - start;
        }
    }
    return 0;
}

int main(void)
{
    char *heap_start = sbrk(0);
    void *blocks[sizeof(sizes) / sizeof(sizes[0])];
    char where[160];

    printf("malloc (pid %d): the heap starts at the program break, %p\n", getpid(), (void *)heap_start);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char *brk_before = sbrk(0);
        char *block = blocks[i] = malloc(sizes[i]);
        char *brk_after = sbrk(0);
        if (block == NULL) {
            perror("malloc");
            return 1;
        }
        int in_heap = block >= heap_start && block < brk_after;
        printf("malloc(%7zu) = %-16p %s", sizes[i], (void *)block,
               in_heap ? "in the heap (below the break)" : "a mapping of its own (mmap)");
        if (brk_after != brk_before)
            printf(", brk moved %p -> %p", (void *)brk_before, (void *)brk_after);
        size_t range = find_mapping(block, where, sizeof(where));
        printf("\n    %s\n", where);
        if (!in_heap && range > sizes[i] + 8192)
            printf("    (one VMA with the mapping next to it: the kernel merges neighbours alike)\n");
    }
    void *last = blocks[sizeof(sizes) / sizeof(sizes[0]) - 1];
    free(last);
    find_mapping(last, where, sizeof(where));
    printf("after free(%p): %s\n", last, where);
    free(blocks[0]);
    find_mapping(blocks[0], where, sizeof(where));
    printf("after free(%p): still %s (heap memory stays for reuse)\n", blocks[0], where);
    return 0;
}
