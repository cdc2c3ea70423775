/*
 * kernel/tests/blk_test.c - in-kernel tests of the block layer and virtio-blk.
 *
 * They need the test disks scripts/run-tests.py attaches to the ktest
 * boots (BLK_TEST_DISKS there), all made by `scripts/mkdisk.py pattern`:
 * every 8-byte word of sector s holds s.
 *
 *   vda  read-write, 8 MiB
 *   vdb  the same contents, attached read-only
 *   vdc  the same contents, read-only, behind QEMU's blkdebug: every read
 *        touching sector BLK_TEST_BAD_SECTOR fails with EIO
 *   vdd  the same contents, read-write, where every write touching
 *        BLK_TEST_BAD_SECTOR fails with EIO
 *
 * A missing disk is a failure, not a skip: these tests must not pass
 * without having done their I/O.
 */
#include <arch/x86.h>
#include <kernel/blk.h>
#include <kernel/errno.h>
#include <kernel/ktest.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>

#define BLK_TEST_SECTORS 16384 /* 8 MiB */
#define BLK_TEST_BAD_SECTOR 100
#define SECTOR_WORDS (BLK_SECTOR_SIZE / sizeof(uint64_t))

/* The disk called name, checked to be a test disk; NULL (and a failure) otherwise. */
static struct blk_device *test_disk(const char *name, bool read_only)
{
    struct blk_device *dev = blk_find(name);
    if (!dev) {
        ktest_fail(__FILE__, __LINE__, "no disk %s: boot with run-tests.py's test disks", name);
        return NULL;
    }
    KEXPECT_EQ(dev->sectors, BLK_TEST_SECTORS);
    KEXPECT_EQ(dev->read_only, read_only);
    return dev->sectors == BLK_TEST_SECTORS ? dev : NULL;
}

/* True when the count sectors at data all hold their sector number (first = sector). */
static bool holds_pattern(const void *data, uint64_t sector, unsigned count)
{
    const uint64_t *words = data;
    for (unsigned s = 0; s < count; s++)
        for (unsigned w = 0; w < SECTOR_WORDS; w++)
            if (words[s * SECTOR_WORDS + w] != sector + s)
                return false;
    return true;
}

static void fill_sectors(void *data, uint64_t first_value, unsigned count)
{
    uint64_t *words = data;
    for (unsigned s = 0; s < count; s++)
        for (unsigned w = 0; w < SECTOR_WORDS; w++)
            words[s * SECTOR_WORDS + w] = first_value + s;
}

KTEST(blk_disks_present)
{
    struct blk_device *vda = test_disk("vda", false);
    KEXPECT(test_disk("vdb", true) != NULL);
    KEXPECT(test_disk("vdc", true) != NULL);
    KEXPECT(test_disk("vdd", false) != NULL);
    KEXPECT(blk_get(0) == vda && vda != NULL);
    KEXPECT(blk_get(4) == NULL);
    KEXPECT(blk_find("vdz") == NULL);
    if (vda)
        KEXPECT_EQ(vda->rdev, (254u << 8) | 0);
}

KTEST(blk_read_single_sectors)
{
    struct blk_device *dev = test_disk("vda", false);
    struct page *page = frame_alloc(0, FRAME_ZERO);
    char *data = page_to_virt(page);
    static const uint64_t sectors[] = { 0, 1, 7, 4097, BLK_TEST_SECTORS - 1 };
    for (unsigned i = 0; dev && i < ARRAY_SIZE(sectors); i++) {
        uint32_t offset = (i % 8) * BLK_SECTOR_SIZE;
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, sectors[i], page, offset, BLK_SECTOR_SIZE), 0);
        KEXPECT(holds_pattern(data + offset, sectors[i], 1));
    }
    /* a whole page: 8 sectors at once */
    KEXPECT_EQ(blk_rw_page(dev, BLK_READ, 800, page, 0, PAGE_SIZE), 0);
    KEXPECT(holds_pattern(data, 800, 8));
    frame_free(page);
}

/* Three segments in three pages: the last sector of one, a whole page, two sectors of another. */
KTEST(blk_read_multi_segment)
{
    struct blk_device *dev = test_disk("vda", false);
    struct page *pages[3] = { frame_alloc(0, FRAME_ZERO), frame_alloc(0, FRAME_ZERO),
                              frame_alloc(0, FRAME_ZERO) };
    struct blk_request *req = kzalloc(sizeof(*req));
    req->dev = dev;
    req->op = BLK_READ;
    req->sector = 1000;
    req->segs[0] = (struct blk_segment){ pages[0], PAGE_SIZE - BLK_SECTOR_SIZE, BLK_SECTOR_SIZE };
    req->segs[1] = (struct blk_segment){ pages[1], 0, PAGE_SIZE };
    req->segs[2] = (struct blk_segment){ pages[2], 0, 2 * BLK_SECTOR_SIZE };
    req->nsegs = 3;
    if (dev) {
        KEXPECT_EQ(blk_submit(req), 0);
        KEXPECT_EQ(blk_wait(req), 0);
        KEXPECT(req->done);
        char *first = page_to_virt(pages[0]);
        KEXPECT(holds_pattern(first + PAGE_SIZE - BLK_SECTOR_SIZE, 1000, 1));
        KEXPECT(holds_pattern(page_to_virt(pages[1]), 1001, 8));
        KEXPECT(holds_pattern(page_to_virt(pages[2]), 1009, 2));
        KEXPECT_EQ(*(uint64_t *)first, 0); /* the rest of the first page is untouched */
    }
    kfree(req);
    for (int i = 0; i < 3; i++)
        frame_free(pages[i]);
}

#define IN_FLIGHT 64
#define IN_FLIGHT_SEGS 8 /* 48 requests of 10 descriptors on vda: more than its 256-entry ring holds */

/*
 * Request i reads 8 sectors, one descriptor each: every fourth from vdb or
 * vdc (which share an interrupt line in QEMU's usual layout), the rest from
 * vda, so that vda's software queue fills and drains.
 */
static void build_in_flight(struct blk_request *req, unsigned i, struct page *page)
{
    req->dev = blk_find(i % 4 ? "vda" : i % 8 ? "vdb" : "vdc");
    req->op = BLK_READ;
    req->sector = 200 + (i * 997) % (BLK_TEST_SECTORS - 300); /* clear of the bad sector */
    for (unsigned s = 0; s < IN_FLIGHT_SEGS; s++)
        req->segs[s] = (struct blk_segment){ page, s * BLK_SECTOR_SIZE, BLK_SECTOR_SIZE };
    req->nsegs = IN_FLIGHT_SEGS;
}

KTEST(blk_many_in_flight)
{
    bool disks = test_disk("vda", false) && test_disk("vdb", true) && test_disk("vdc", true);
    struct blk_request *reqs = kzalloc(sizeof(*reqs) * IN_FLIGHT);
    struct page *pages[IN_FLIGHT];
    for (unsigned i = 0; i < IN_FLIGHT; i++) {
        pages[i] = frame_alloc(0, FRAME_ZERO);
        build_in_flight(&reqs[i], i, pages[i]);
    }
    unsigned submitted = 0, good = 0;
    /* interrupts off, as in a system call: nothing completes until the first wait */
    uint64_t flags = irq_save();
    for (unsigned i = 0; disks && i < IN_FLIGHT; i++)
        submitted += blk_submit(&reqs[i]) == 0;
    irq_restore(flags);
    KEXPECT_EQ(submitted, disks ? IN_FLIGHT : 0);
    for (unsigned i = 0; i < submitted; i++)
        good += blk_wait(&reqs[i]) == 0 &&
                holds_pattern(page_to_virt(pages[i]), reqs[i].sector, IN_FLIGHT_SEGS);
    KEXPECT_EQ(good, submitted);
    for (unsigned i = 0; i < IN_FLIGHT; i++)
        frame_free(pages[i]);
    kfree(reqs);
}

KTEST(blk_write_read_back)
{
    struct blk_device *dev = test_disk("vda", false);
    struct page *out = frame_alloc(0, FRAME_ZERO), *in = frame_alloc(0, FRAME_ZERO);
    const uint64_t sector = 3000, marker = 0x6d696361000000ul; /* far from any sector number */
    if (dev) {
        uint64_t writes = dev->writes, written = dev->sectors_written;
        fill_sectors(page_to_virt(out), marker, 8);
        KEXPECT_EQ(blk_rw_page(dev, BLK_WRITE, sector, out, 0, PAGE_SIZE), 0);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, sector, in, 0, PAGE_SIZE), 0);
        KEXPECT(holds_pattern(page_to_virt(in), marker, 8));
        KEXPECT_EQ(dev->writes, writes + 1);
        KEXPECT_EQ(dev->sectors_written, written + 8);
        /* put the pattern back, and flush it */
        fill_sectors(page_to_virt(out), sector, 8);
        KEXPECT_EQ(blk_rw_page(dev, BLK_WRITE, sector, out, 0, PAGE_SIZE), 0);
        struct blk_request flush = { .dev = dev, .op = BLK_FLUSH };
        KEXPECT_EQ(blk_submit(&flush), 0);
        KEXPECT_EQ(blk_wait(&flush), 0);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, sector, in, 0, PAGE_SIZE), 0);
        KEXPECT(holds_pattern(page_to_virt(in), sector, 8));
    }
    frame_free(out);
    frame_free(in);
}

KTEST(blk_past_end_is_eio)
{
    struct blk_device *dev = test_disk("vda", false);
    struct page *page = frame_alloc(0, FRAME_ZERO);
    if (dev) {
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, BLK_TEST_SECTORS - 1, page, 0, BLK_SECTOR_SIZE), 0);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, BLK_TEST_SECTORS - 1, page, 0, 1024), -EIO);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, BLK_TEST_SECTORS, page, 0, BLK_SECTOR_SIZE), -EIO);
        KEXPECT_EQ(blk_rw_page(dev, BLK_WRITE, ~0ul - 2, page, 0, PAGE_SIZE), -EIO);
    }
    frame_free(page);
}

KTEST(blk_bad_segments_are_einval)
{
    struct blk_device *dev = test_disk("vda", false);
    struct page *page = frame_alloc(0, FRAME_ZERO);
    if (dev) {
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, 0, page, 100, BLK_SECTOR_SIZE), -EINVAL);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, 0, page, 0, 100), -EINVAL);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, 0, page, 0, 0), -EINVAL);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, 0, page, 3584, 1024), -EINVAL);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, 0, NULL, 0, BLK_SECTOR_SIZE), -EINVAL);
        struct blk_request none = { .dev = dev, .op = BLK_READ, .nsegs = 0 };
        KEXPECT_EQ(blk_submit(&none), -EINVAL);
        struct blk_request flush_with_data = { .dev = dev, .op = BLK_FLUSH, .nsegs = 1,
                                               .segs = { { page, 0, BLK_SECTOR_SIZE } } };
        KEXPECT_EQ(blk_submit(&flush_with_data), -EINVAL);
    }
    frame_free(page);
}

KTEST(blk_write_read_only_is_erofs)
{
    struct blk_device *dev = test_disk("vdb", true);
    struct page *page = frame_alloc(0, FRAME_ZERO);
    if (dev) {
        KEXPECT_EQ(blk_rw_page(dev, BLK_WRITE, 10, page, 0, PAGE_SIZE), -EROFS);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, 10, page, 0, PAGE_SIZE), 0);
        KEXPECT(holds_pattern(page_to_virt(page), 10, 8)); /* the write did not happen */
    }
    frame_free(page);
}

KTEST(blk_device_error_is_eio)
{
    struct blk_device *dev = test_disk("vdc", true);
    struct page *page = frame_alloc(0, FRAME_ZERO);
    if (dev) {
        uint64_t errors = dev->io_errors;
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, BLK_TEST_BAD_SECTOR, page, 0, BLK_SECTOR_SIZE),
                   -EIO);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, BLK_TEST_BAD_SECTOR - 4, page, 0, PAGE_SIZE),
                   -EIO); /* a request that covers it */
        KEXPECT_EQ(dev->io_errors, errors + 2);
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, BLK_TEST_BAD_SECTOR - 8, page, 0, PAGE_SIZE), 0);
        KEXPECT(holds_pattern(page_to_virt(page), BLK_TEST_BAD_SECTOR - 8, 8));
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, BLK_TEST_BAD_SECTOR + 1, page, 0, PAGE_SIZE), 0);
    }
    frame_free(page);
}

KTEST(blk_device_write_error_is_eio)
{
    struct blk_device *dev = test_disk("vdd", false);
    struct page *page = frame_alloc(0, FRAME_ZERO);
    if (dev) {
        uint64_t errors = dev->io_errors, writes = dev->writes;
        fill_sectors(page_to_virt(page), BLK_TEST_BAD_SECTOR - 4, 8);
        KEXPECT_EQ(blk_rw_page(dev, BLK_WRITE, BLK_TEST_BAD_SECTOR - 4, page, 0, PAGE_SIZE),
                   -EIO);
        KEXPECT_EQ(dev->io_errors, errors + 1);
        KEXPECT_EQ(dev->writes, writes); /* a failed request is not counted as done I/O */
        /* reads of the sector work, and writes elsewhere */
        KEXPECT_EQ(blk_rw_page(dev, BLK_READ, BLK_TEST_BAD_SECTOR, page, 0, BLK_SECTOR_SIZE), 0);
        KEXPECT(holds_pattern(page_to_virt(page), BLK_TEST_BAD_SECTOR, 1));
        fill_sectors(page_to_virt(page), 200, 8);
        KEXPECT_EQ(blk_rw_page(dev, BLK_WRITE, 200, page, 0, PAGE_SIZE), 0);
        KEXPECT_EQ(dev->writes, writes + 1);
    }
    frame_free(page);
}
