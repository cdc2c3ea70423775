/*
 * kernel/drivers/virtio_blk.c - virtio-blk disks: block requests as virtqueue chains.
 *
 * One request is one descriptor chain on the device's only queue:
 *
 *   header {type IN/OUT/FLUSH, sector}   device reads
 *   data segment 1 .. nsegs              device writes them (IN) or reads them (OUT)
 *   status byte                          device writes: 0 OK, 1 I/O error, 2 unsupported
 *
 * The header and status byte of the chain whose head is descriptor h live
 * in slots[h] (DMA-able memory, one slot per descriptor so any head has
 * one), with the blk_request they belong to. A request that does not fit
 * in the free descriptors waits on the software queue (waiting_head ..
 * waiting_tail, FIFO, linked by next_queued) and is started from the
 * interrupt handler when earlier chains finish. Every change to the queue
 * or the ring happens with interrupts off.
 *
 * The completion interrupt is the legacy INTx line the firmware gave the
 * PCI function. Several disks may share it: the handler asks each disk on
 * that line whether it raised it (reading its ISR, which also lowers it).
 */
#include <arch/x86.h>
#include <kernel/blk.h>
#include <kernel/console.h>
#include <kernel/dev.h>
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <kernel/pci.h>
#include <kernel/trap.h>
#include <kernel/virtio.h>
#include <kernel/virtio_blk.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>

#define VIRTIO_BLK_DEVICE_ID 0x1001        /* the transitional (legacy-capable) block device */
#define VIRTIO_BLK_MODERN_DEVICE_ID 0x1042 /* modern-only (QEMU's disable-legacy=on, PCIe) */

/* Feature bits. */
#define VIRTIO_BLK_F_SEG_MAX 2 /* config seg_max: most data segments in one request */
#define VIRTIO_BLK_F_RO 5      /* the disk is read-only */
#define VIRTIO_BLK_F_FLUSH 9   /* the device has a write cache and takes FLUSH */
#define WANTED_FEATURES \
    ((1u << VIRTIO_BLK_F_SEG_MAX) | (1u << VIRTIO_BLK_F_RO) | (1u << VIRTIO_BLK_F_FLUSH))

/* Offsets in the device configuration. */
#define VIRTIO_BLK_CONFIG_CAPACITY 0 /* u64, in 512-byte sectors */
#define VIRTIO_BLK_CONFIG_SEG_MAX 12 /* u32 */

/* Request types and status values. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* Linux gives virtio-blk a dynamic major; 254 is what it usually gets. 16 minors per disk. */
#define VIRTIO_BLK_MAJOR 254
#define VIRTIO_BLK_MINORS 16

struct virtio_blk_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct virtio_blk_slot {
    struct virtio_blk_header header; /* read by the device */
    volatile uint8_t status;         /* written by the device */
    struct blk_request *req;         /* the request this chain carries, NULL when free */
};

struct virtio_blk {
    struct blk_device blk;
    struct virtio_device vdev;
    struct virtq vq;
    struct virtio_blk_slot *slots; /* vq.size slots, indexed by head descriptor */
    struct page *slot_pages;
    struct blk_request *waiting_head, *waiting_tail;
    uint8_t irq;
};

static struct virtio_blk *disks[BLK_MAX_DEVICES];
static unsigned disk_count;

static uint32_t request_type(enum blk_op op)
{
    return op == BLK_READ ? VIRTIO_BLK_T_IN : op == BLK_WRITE ? VIRTIO_BLK_T_OUT
                                                               : VIRTIO_BLK_T_FLUSH;
}

/*
 * Puts req on the ring as header + segments + status. Returns false (and
 * changes nothing) when the ring lacks free descriptors for it.
 */
static bool start_request(struct virtio_blk *vb, struct blk_request *req)
{
    unsigned n = req->nsegs + 2;
    if (vb->vq.num_free < n)
        return false;
    struct virtio_blk_slot *slot = &vb->slots[virtq_next_head(&vb->vq)];
    slot->header = (struct virtio_blk_header){ request_type(req->op), 0, req->sector };
    slot->status = 0xff; /* not a status the device writes: shows a chain it never finished */
    slot->req = req;
    struct virtq_buf bufs[BLK_MAX_SEGMENTS + 2];
    bufs[0] = (struct virtq_buf){ direct_to_phys(&slot->header), sizeof(slot->header), false };
    for (unsigned i = 0; i < req->nsegs; i++) {
        const struct blk_segment *s = &req->segs[i];
        bufs[1 + i] = (struct virtq_buf){ page_to_phys(s->page) + s->offset, s->len,
                                          req->op == BLK_READ };
    }
    bufs[n - 1] = (struct virtq_buf){ direct_to_phys((const void *)&slot->status), 1, true };
    int head = virtq_add(&vb->vq, bufs, n);
    assert(head >= 0 && &vb->slots[head] == slot);
    return true;
}

static void queue_waiting(struct virtio_blk *vb, struct blk_request *req)
{
    req->next_queued = NULL;
    if (vb->waiting_tail)
        vb->waiting_tail->next_queued = req;
    else
        vb->waiting_head = req;
    vb->waiting_tail = req;
}

/* Moves waiting requests onto the ring, in order, while they fit. True if any moved. */
static bool start_waiting(struct virtio_blk *vb)
{
    bool started = false;
    while (vb->waiting_head && start_request(vb, vb->waiting_head)) {
        vb->waiting_head = vb->waiting_head->next_queued;
        if (!vb->waiting_head)
            vb->waiting_tail = NULL;
        started = true;
    }
    return started;
}

/* blk_ops.submit: never sleeps; the interrupt handler completes the request. */
static void virtio_blk_submit(struct blk_device *dev, struct blk_request *req)
{
    struct virtio_blk *vb = dev->driver;
    if (req->op == BLK_FLUSH && !virtio_has_feature(&vb->vdev, VIRTIO_BLK_F_FLUSH)) {
        /* no FLUSH feature: the device has no volatile cache, completed writes are durable */
        blk_complete(req, 0);
        return;
    }
    uint64_t flags = irq_save();
    if (!vb->waiting_head && start_request(vb, req))
        virtq_kick(&vb->vdev, &vb->vq);
    else
        queue_waiting(vb, req);
    irq_restore(flags);
}

static const struct blk_ops virtio_blk_ops = {
    .submit = virtio_blk_submit,
};

/* The request's result from the device's status byte; an error is logged once here. */
static int request_result(struct virtio_blk *vb, struct blk_request *req, uint8_t status)
{
    if (status == VIRTIO_BLK_S_OK)
        return 0;
    static const char *const op_names[] = { "read", "write", "flush" };
    kprintf("virtio-blk: %s: %s error at sector %lu (%s)\n", vb->blk.name, op_names[req->op],
            req->sector,
            status == VIRTIO_BLK_S_IOERR    ? "I/O error"
            : status == VIRTIO_BLK_S_UNSUPP ? "unsupported request"
                                            : "bad status");
    return -EIO;
}

/* Completes every chain the device finished, then starts what was waiting. */
static void virtio_blk_drain(struct virtio_blk *vb)
{
    int head;
    while ((head = virtq_pop_used(&vb->vq)) >= 0) {
        struct virtio_blk_slot *slot = &vb->slots[head];
        struct blk_request *req = slot->req;
        assert(req);
        slot->req = NULL;
        blk_complete(req, request_result(vb, req, slot->status));
    }
    if (start_waiting(vb))
        virtq_kick(&vb->vdev, &vb->vq);
}

/* The handler of every line a virtio disk uses: asks each disk on it. */
static void virtio_blk_irq(struct trapframe *tf)
{
    int irq = (int)(tf->vector - T_IRQ_BASE);
    for (unsigned i = 0; i < disk_count; i++) {
        struct virtio_blk *vb = disks[i];
        if (vb->irq == irq && (virtio_read_isr(&vb->vdev) & VIRTIO_ISR_QUEUE))
            virtio_blk_drain(vb);
    }
}

/* Reads the configuration into vb->blk. 0, or -ENODEV when mica cannot drive the disk. */
static int read_config(struct virtio_blk *vb, unsigned index)
{
    struct blk_device *b = &vb->blk;
    b->name[0] = 'v';
    b->name[1] = 'd';
    b->name[2] = (char)('a' + index);
    b->name[3] = '\0';
    b->sectors = virtio_config_read64(&vb->vdev, VIRTIO_BLK_CONFIG_CAPACITY);
    b->read_only = virtio_has_feature(&vb->vdev, VIRTIO_BLK_F_RO);
    b->rdev = DEV_MAKE(VIRTIO_BLK_MAJOR, index * VIRTIO_BLK_MINORS);
    b->ops = &virtio_blk_ops;
    b->driver = vb;
    if (virtio_has_feature(&vb->vdev, VIRTIO_BLK_F_SEG_MAX) &&
        virtio_config_read32(&vb->vdev, VIRTIO_BLK_CONFIG_SEG_MAX) < BLK_MAX_SEGMENTS) {
        kprintf("virtio-blk: %s: takes fewer than %d segments per request; not used\n",
                b->name, BLK_MAX_SEGMENTS);
        return -ENODEV;
    }
    if (vb->vdev.pci->irq_pin == 0 || vb->vdev.pci->irq_line >= T_IRQ_COUNT) {
        kprintf("virtio-blk: %s: no legacy interrupt line; not used\n", b->name);
        return -ENODEV;
    }
    vb->irq = vb->vdev.pci->irq_line;
    return 0;
}

/* The queue and the slots beside it. 0, -ENODEV or -ENOMEM (nothing left allocated). */
static int setup_queue(struct virtio_blk *vb)
{
    int rc = virtq_setup(&vb->vdev, &vb->vq, 0);
    if (rc < 0)
        return rc;
    if (vb->vq.size < BLK_MAX_SEGMENTS + 2) {
        kprintf("virtio-blk: %s: queue of %u entries is too short\n", vb->blk.name, vb->vq.size);
        virtq_free(&vb->vq);
        return -ENODEV;
    }
    unsigned order = 0;
    while ((PAGE_SIZE << order) < sizeof(struct virtio_blk_slot) * vb->vq.size)
        order++;
    vb->slot_pages = frame_alloc(order, FRAME_ZERO);
    if (!vb->slot_pages) {
        virtq_free(&vb->vq);
        return -ENOMEM;
    }
    vb->slots = page_to_virt(vb->slot_pages);
    return 0;
}

static void print_disk(const struct blk_device *b)
{
    uint64_t kib = b->sectors / 2;
    if (kib >= 1024)
        kprintf("virtio-blk: %s: %lu sectors (%lu MiB)%s\n", b->name, b->sectors, kib >> 10,
                b->read_only ? ", read-only" : "");
    else
        kprintf("virtio-blk: %s: %lu sectors (%lu KiB)%s\n", b->name, b->sectors, kib,
                b->read_only ? ", read-only" : "");
}

/* Sets up one device and registers it as disk number index. 0 or -errno (device left failed). */
static int virtio_blk_probe(struct pci_device *pci, unsigned index)
{
    struct virtio_blk *vb = kzalloc(sizeof(*vb));
    if (!vb)
        return -ENOMEM;
    int rc = virtio_begin(&vb->vdev, pci);
    if (rc < 0) {
        kprintf("virtio-blk: %02x:%02x.%x has no legacy I/O BAR; not used\n", pci->bus,
                pci->slot, pci->function);
        goto err_free;
    }
    virtio_accept_features(&vb->vdev, WANTED_FEATURES);
    rc = read_config(vb, index);
    if (rc == 0)
        rc = setup_queue(vb);
    if (rc < 0)
        goto err_fail_device;
    rc = blk_register(&vb->blk);
    if (rc < 0)
        goto err_free_queue;
    disks[disk_count++] = vb;
    irq_register(vb->irq, virtio_blk_irq);
    virtio_driver_ready(&vb->vdev);
    print_disk(&vb->blk);
    return 0;

err_free_queue:
    virtio_fail(&vb->vdev); /* never DRIVER_OK: the device does not touch the rings */
    frame_free(vb->slot_pages);
    virtq_free(&vb->vq);
    goto err_free;
err_fail_device:
    virtio_fail(&vb->vdev);
err_free:
    kfree(vb);
    return rc;
}

void virtio_blk_init(void)
{
    struct pci_device *pci;
    for (unsigned i = 0; (pci = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_BLK_DEVICE_ID, i)); i++) {
        if (disk_count == BLK_MAX_DEVICES) {
            kprintf("virtio-blk: more than %d disks; the rest are not used\n", BLK_MAX_DEVICES);
            return;
        }
        int rc = virtio_blk_probe(pci, disk_count);
        if (rc < 0 && rc != -ENODEV)
            kprintf("virtio-blk: device %02x:%02x.%x not set up (error %d)\n", pci->bus,
                    pci->slot, pci->function, rc);
    }
    for (unsigned i = 0; (pci = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_BLK_MODERN_DEVICE_ID, i)); i++)
        kprintf("virtio-blk: device %02x:%02x.%x has only the modern interface; not used "
                "(give QEMU disable-legacy=off)\n", pci->bus, pci->slot, pci->function);
}
