/*
 * user/bin/bench/linux_guest.h - a benchmark as /init of a Linux guest.
 *
 * Only for the musl build of a benchmark (-DBENCH_LINUX_INIT), which
 * scripts/linux-bench.sh puts as /init in an initramfs for Debian's Linux
 * 6.1 cloud kernel in the same QEMU as mica. That kernel has virtio-blk as
 * modules, so pid 1 must bring the disk up itself before the benchmark:
 *
 *   mount devtmpfs on /dev and proc on /proc (drop_caches lives there);
 *   finit_module each /modules/NAME.ko in LINUX_MODULES' order (each needs
 *   the ones before it); wait for /dev/vda (the driver probes the disk
 *   asynchronously) and mount it at /mnt; run the benchmark; sync,
 *   unmount, and power off (pid 1 must never exit: that is a panic).
 *
 * Output goes to /dev/console (the serial line with console=ttyS0); the
 * last line is "linux-guest: exit N" with the benchmark's status.
 */
#ifndef MICA_BENCH_LINUX_GUEST_H
#define MICA_BENCH_LINUX_GUEST_H

#include <sys/reboot.h>
#include <sys/syscall.h>
#include <time.h>

#define LINUX_MODULES \
    "virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci", \
        "virtio_blk"
#define DISK_WAIT_SECONDS 20

static int mount_disk(void);

/* stdin, stdout and stderr on /dev/console, in case the kernel could not open it for us. */
static void linux_guest_console(void)
{
    int fd = open("/dev/console", O_RDWR);
    if (fd < 0)
        return;
    for (int i = 0; i < 3; i++)
        if (fd != i)
            dup2(fd, i);
    if (fd > 2)
        close(fd);
}

/* Loads the virtio modules in order. 0, or -1 (said on stdout). */
static int linux_guest_modules(void)
{
    static const char *const names[] = { LINUX_MODULES };
    char path[96];
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "/modules/%s.ko", names[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)) {
            printf("linux-guest: loading %s: %s\n", path, strerror(errno));
            return -1;
        }
        close(fd);
    }
    return 0;
}

/* Sleeps until /dev/vda exists, at most DISK_WAIT_SECONDS. 0, or -1. */
static int linux_guest_wait_for_disk(void)
{
    struct timespec tick = { 0, 10 * 1000 * 1000 };
    struct stat st;
    for (int i = 0; i < DISK_WAIT_SECONDS * 100; i++) {
        if (stat(DEVICE, &st) == 0)
            return 0;
        nanosleep(&tick, NULL);
    }
    printf("linux-guest: no %s after %d s\n", DEVICE, DISK_WAIT_SECONDS);
    return -1;
}

/* Brings up the disk, runs bench(arg) with /mnt mounted, and powers off. Never returns. */
static int linux_guest_run(int (*bench)(const char *), const char *arg)
{
    int status = 1;
    mkdir("/dev", 0755);
    mkdir("/proc", 0555);
    mkdir(MOUNT_POINT, 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    linux_guest_console();
    if (linux_guest_modules() == 0 && linux_guest_wait_for_disk() == 0 && mount_disk() == 0) {
        status = bench(arg);
        sync();
        umount(MOUNT_POINT);
    }
    printf("linux-guest: exit %d\n", status);
    fflush(stdout);
    reboot(RB_POWER_OFF);
    return status;
}

#endif
