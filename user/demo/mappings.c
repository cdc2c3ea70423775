/*
 * mappings - three kinds of mapping side by side, then a forbidden write.
 *
 *   anonymous: mmap(NULL, 16 KiB, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
 *   shared:    a file in /tmp mapped PROT_READ|PROT_WRITE, MAP_SHARED: a store
 *              through it changes the file (read() sees it at once)
 *   read-only: the same file mapped PROT_READ, MAP_PRIVATE
 *
 * It prints /proc/self/maps, where the three show up as rw-p (no file),
 * rw-s and r--p (both naming the file), then writes to the read-only
 * mapping. The page is present (it was read first), so the fault's error
 * code is 7 (present | write | user): the kernel logs
 *     mappings[PID]: segfault at ADDR ip ... error 7
 * and the process dies of SIGSEGV.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PATH "/tmp/mappings.dat"
#define FILE_SIZE 8192

static void show_maps(void)
{
    char buf[1024];
    ssize_t n;
    int fd = open("/proc/self/maps", O_RDONLY);

    if (fd < 0) {
        perror("mappings: /proc/self/maps");
        return;
    }
    fflush(stdout);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (write(STDOUT_FILENO, buf, (size_t)n) != n)
            break;
    close(fd);
}

int main(void)
{
    static char zeroes[FILE_SIZE];
    int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);

    if (fd < 0 || write(fd, zeroes, sizeof(zeroes)) != (ssize_t)sizeof(zeroes)) {
        perror("mappings: " PATH);
        return 1;
    }
    char *anon = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *shared = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *ro = mmap(NULL, FILE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (anon == MAP_FAILED || shared == MAP_FAILED || ro == MAP_FAILED) {
        perror("mappings: mmap");
        return 1;
    }
    printf("mappings (pid %d):\n", getpid());
    printf("  anonymous, private, rw   %p  (16 KiB)\n", (void *)anon);
    printf("  %s, shared, rw  %p\n", PATH, (void *)shared);
    printf("  %s, private, r  %p\n", PATH, (void *)ro);
    printf("/proc/self/maps:\n");
    show_maps();

    anon[0] = 'a';
    strcpy(shared, "hello through MAP_SHARED");
    char back[32] = "";
    lseek(fd, 0, SEEK_SET);
    if (read(fd, back, sizeof(back) - 1) < 0)
        perror("mappings: read");
    printf("wrote \"%s\" through the shared mapping; read() of the file gives \"%s\"\n", shared, back);
    printf("the read-only mapping sees the file too: \"%s\"\n", ro);
    unlink(PATH); /* the mappings keep the file's pages alive */

    printf("now writing to the read-only mapping at %p: expect a segfault (error 7)\n", (void *)ro);
    fflush(stdout);
    *(volatile char *)ro = 'x';
    printf("not reached\n");
    return 1;
}
