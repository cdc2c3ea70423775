/*
 * include/kernel/virtio.h - virtio devices over PCI (legacy interface) and split virtqueues.
 *
 * A virtio device is driven through the I/O ports of its PCI BAR0 (the
 * "legacy" register block that QEMU's transitional devices offer: features,
 * queue address, queue notify, status, ISR, then the device's own config).
 *
 * A virtqueue is the memory the driver and the device share, three parts
 * in the legacy layout (one physically contiguous block):
 *
 *   descriptor table  size entries {addr, len, flags, next}: the buffers;
 *                     a request is a chain linked by `next` (VIRTQ_DESC_F_NEXT)
 *   available ring    written by the driver: heads of chains it offers,
 *                     and idx, the count of entries ever offered
 *   (padding to the next 4 KiB)
 *   used ring         written by the device: {id = head, len written} of
 *                     chains it finished, and its idx
 *
 * Descriptors not in any chain the device owns are on the driver's free
 * list (free_head, linked through `next`; num_free of them).
 */
#ifndef MICA_KERNEL_VIRTIO_H
#define MICA_KERNEL_VIRTIO_H

#include <types.h>

struct pci_device;
struct page;

#define VIRTIO_PCI_VENDOR 0x1af4

/* Device status bits (written by the driver as initialisation proceeds). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1 /* the guest noticed the device */
#define VIRTIO_STATUS_DRIVER 2      /* and has a driver for it */
#define VIRTIO_STATUS_DRIVER_OK 4   /* the driver is ready: the device may run */
#define VIRTIO_STATUS_FAILED 128    /* the driver gave up on the device */

/* ISR status bits (reading the register clears it and lowers the interrupt). */
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

/* Descriptor flags. */
#define VIRTQ_DESC_F_NEXT 1  /* the chain continues at `next` */
#define VIRTQ_DESC_F_WRITE 2 /* the device writes this buffer (else it reads it) */

struct virtq_desc {
    uint64_t addr; /* physical */
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};

struct virtq_used_elem {
    uint32_t id;  /* head of the finished chain */
    uint32_t len; /* bytes the device wrote into it */
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};

/* One virtio device, legacy PCI transport. */
struct virtio_device {
    struct pci_device *pci;
    uint16_t iobase;          /* BAR0 */
    uint32_t device_features; /* what the device offers */
    uint32_t features;        /* what the driver accepted */
};

struct virtq {
    uint16_t queue_index;          /* 0 for virtio-blk's only queue */
    uint16_t size;                 /* entries (a power of 2) */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    volatile struct virtq_used *used;
    uint16_t free_head;            /* first free descriptor */
    uint16_t num_free;
    uint16_t last_used;            /* used->idx the driver has consumed up to */
    struct page *pages;            /* the block holding the three parts */
};

/* One buffer of a chain handed to virtq_add(). */
struct virtq_buf {
    uint64_t addr;      /* physical */
    uint32_t len;
    bool device_writes; /* true: the device fills it (a read's data, a status byte) */
};

/*
 * Resets the device behind pci, enables its ports and DMA, and says hello
 * (ACKNOWLEDGE | DRIVER). Fills vd and returns 0, or -ENODEV when BAR0 is
 * not an I/O BAR (a modern-only device).
 */
int virtio_begin(struct virtio_device *vd, struct pci_device *pci);
/* Accepts the wanted features the device offers (vd->features = the intersection). */
void virtio_accept_features(struct virtio_device *vd, uint32_t wanted);
/* Tells the device the driver is ready (DRIVER_OK). */
void virtio_driver_ready(struct virtio_device *vd);
/* Tells the device the driver gave up (FAILED). */
void virtio_fail(struct virtio_device *vd);
/* Reads (and so clears) the ISR status: VIRTIO_ISR_* bits, 0 if the interrupt is not ours. */
uint8_t virtio_read_isr(struct virtio_device *vd);
/* The device-specific configuration, offset bytes in. */
uint32_t virtio_config_read32(struct virtio_device *vd, unsigned offset);
uint64_t virtio_config_read64(struct virtio_device *vd, unsigned offset);
static inline bool virtio_has_feature(const struct virtio_device *vd, unsigned bit)
{
    return vd->features & (1u << bit);
}

/*
 * Allocates queue queue_index's rings (of the size the device asks for) and
 * gives their address to the device. 0, -ENODEV (no such queue) or -ENOMEM.
 */
int virtq_setup(struct virtio_device *vd, struct virtq *vq, uint16_t queue_index);
/* Frees what virtq_setup allocated (after a reset, or when setup failed later). */
void virtq_free(struct virtq *vq);
/* The descriptor index the next virtq_add() will use as its chain's head. */
static inline uint16_t virtq_next_head(const struct virtq *vq)
{
    return vq->free_head;
}
/*
 * Links bufs[0..n) into a chain and offers it on the available ring.
 * Returns the head's index, or -1 (nothing done) when fewer than n
 * descriptors are free. The device learns of it at virtq_kick().
 */
int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n);
/* Tells the device there are new chains on vq's available ring. */
void virtq_kick(struct virtio_device *vd, struct virtq *vq);
/*
 * Takes the next chain the device finished: returns its head and frees its
 * descriptors, or -1 when there is none.
 */
int virtq_pop_used(struct virtq *vq);

#endif
