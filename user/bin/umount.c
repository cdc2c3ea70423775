/*
 * umount DIR... - detaches the filesystem mounted at each DIR (umount2(2)):
 * its dirty pages are written first; EBUSY while a process uses a file there.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

int main(int argc, char **argv)
{
    int status = 0;
    if (argc < 2) {
        printf("usage: umount DIR...\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (umount(argv[i]) < 0) {
            printf("umount: %s: %s\n", argv[i], strerror(errno));
            status = 32;
        }
    }
    return status;
}
