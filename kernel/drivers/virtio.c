/*
 * kernel/drivers/virtio.c - the virtio legacy PCI transport and split virtqueues.
 *
 * The legacy register block at BAR0 (I/O ports, little-endian):
 *
 *   0x00 device features (32 bits, read)   0x04 driver features (32, write)
 *   0x08 queue address (32: physical page number of the selected queue)
 *   0x0c queue size (16, read)             0x0e queue select (16)
 *   0x10 queue notify (16: write a queue number) 0x12 device status (8)
 *   0x13 ISR status (8, read clears)       0x14 the device's own config
 *
 * (0x14 holds only while MSI-X is off, which mica never turns on.)
 *
 * Queue memory invariants: the ring block is zeroed at setup; the driver
 * writes only descriptors it owns (free ones, or chains not yet offered)
 * and the available ring; the device writes only the used ring. A chain
 * belongs to the device from the avail->idx store that offers it until its
 * head shows up in the used ring. Callers keep interrupts off around every
 * virtq_* call (the completion interrupt handler uses the same queue).
 */
#include <arch/x86.h>
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <kernel/pci.h>
#include <kernel/virtio.h>
#include <mm/frame.h>

#define VIRTIO_REG_DEVICE_FEATURES 0x00
#define VIRTIO_REG_DRIVER_FEATURES 0x04
#define VIRTIO_REG_QUEUE_PFN 0x08
#define VIRTIO_REG_QUEUE_SIZE 0x0c
#define VIRTIO_REG_QUEUE_SELECT 0x0e
#define VIRTIO_REG_QUEUE_NOTIFY 0x10
#define VIRTIO_REG_STATUS 0x12
#define VIRTIO_REG_ISR 0x13
#define VIRTIO_REG_CONFIG 0x14

#define VIRTQ_ALIGN 4096 /* the legacy interface puts the used ring on a page boundary */
#define VIRTQ_PFN_SHIFT 12

int virtio_begin(struct virtio_device *vd, struct pci_device *pci)
{
    vd->pci = pci;
    vd->iobase = pci_bar_io_base(pci, 0);
    vd->device_features = vd->features = 0;
    if (!vd->iobase)
        return -ENODEV;
    pci_enable_io_and_dma(pci);
    outb(vd->iobase + VIRTIO_REG_STATUS, 0); /* reset */
    outb(vd->iobase + VIRTIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    outb(vd->iobase + VIRTIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    vd->device_features = inl(vd->iobase + VIRTIO_REG_DEVICE_FEATURES);
    return 0;
}

void virtio_accept_features(struct virtio_device *vd, uint32_t wanted)
{
    vd->features = vd->device_features & wanted;
    outl(vd->iobase + VIRTIO_REG_DRIVER_FEATURES, vd->features);
}

static void status_add(struct virtio_device *vd, uint8_t bits)
{
    outb(vd->iobase + VIRTIO_REG_STATUS, inb(vd->iobase + VIRTIO_REG_STATUS) | bits);
}

void virtio_driver_ready(struct virtio_device *vd)
{
    status_add(vd, VIRTIO_STATUS_DRIVER_OK);
}

void virtio_fail(struct virtio_device *vd)
{
    status_add(vd, VIRTIO_STATUS_FAILED);
}

uint8_t virtio_read_isr(struct virtio_device *vd)
{
    return inb(vd->iobase + VIRTIO_REG_ISR);
}

uint32_t virtio_config_read32(struct virtio_device *vd, unsigned offset)
{
    return inl((uint16_t)(vd->iobase + VIRTIO_REG_CONFIG + offset));
}

uint64_t virtio_config_read64(struct virtio_device *vd, unsigned offset)
{
    uint64_t low = virtio_config_read32(vd, offset);
    return low | (uint64_t)virtio_config_read32(vd, offset + 4) << 32;
}

/* Bytes from the descriptor table to the used ring, and the whole block. */
static size_t used_ring_offset(uint16_t size)
{
    size_t desc = sizeof(struct virtq_desc) * size;
    size_t avail = sizeof(struct virtq_avail) + sizeof(uint16_t) * (size + 1u); /* + used_event */
    return ALIGN_UP(desc + avail, VIRTQ_ALIGN);
}

static size_t ring_bytes(uint16_t size)
{
    size_t used = sizeof(struct virtq_used) + sizeof(struct virtq_used_elem) * size +
                  sizeof(uint16_t); /* avail_event */
    return used_ring_offset(size) + ALIGN_UP(used, VIRTQ_ALIGN);
}

static unsigned order_for_bytes(size_t bytes)
{
    unsigned order = 0;
    while ((PAGE_SIZE << order) < bytes)
        order++;
    return order;
}

/* Every descriptor on the free list: 0 -> 1 -> ... -> size-1. */
static void build_free_list(struct virtq *vq)
{
    for (uint16_t i = 0; i < vq->size; i++)
        vq->desc[i].next = (uint16_t)(i + 1);
    vq->free_head = 0;
    vq->num_free = vq->size;
    vq->last_used = 0;
}

int virtq_setup(struct virtio_device *vd, struct virtq *vq, uint16_t queue_index)
{
    outw(vd->iobase + VIRTIO_REG_QUEUE_SELECT, queue_index);
    uint16_t size = inw(vd->iobase + VIRTIO_REG_QUEUE_SIZE);
    if (size == 0 || (size & (size - 1)))
        return -ENODEV;
    unsigned order = order_for_bytes(ring_bytes(size));
    if (order > FRAME_MAX_ORDER)
        return -ENOMEM;
    struct page *pages = frame_alloc(order, FRAME_ZERO);
    if (!pages)
        return -ENOMEM;
    char *base = page_to_virt(pages);
    vq->queue_index = queue_index;
    vq->size = size;
    vq->pages = pages;
    vq->desc = (struct virtq_desc *)base;
    vq->avail = (struct virtq_avail *)(base + sizeof(struct virtq_desc) * size);
    vq->used = (volatile struct virtq_used *)(base + used_ring_offset(size));
    build_free_list(vq);
    outl(vd->iobase + VIRTIO_REG_QUEUE_PFN, (uint32_t)(page_to_phys(pages) >> VIRTQ_PFN_SHIFT));
    return 0;
}

void virtq_free(struct virtq *vq)
{
    if (vq->pages)
        frame_free(vq->pages);
    vq->pages = NULL;
}

int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n)
{
    if (n == 0 || vq->num_free < n)
        return -1;
    uint16_t head = vq->free_head, i = head, last = head;
    for (unsigned b = 0; b < n; b++) {
        struct virtq_desc *d = &vq->desc[i];
        d->addr = bufs[b].addr;
        d->len = bufs[b].len;
        d->flags = (uint16_t)((bufs[b].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
                              (b + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        last = i;
        i = d->next; /* the free list's next is the chain's next */
    }
    vq->free_head = vq->desc[last].next;
    vq->num_free = (uint16_t)(vq->num_free - n);
    vq->avail->ring[vq->avail->idx % vq->size] = head;
    memory_barrier(); /* the device must see the chain and ring entry before the new idx */
    vq->avail->idx++;
    return head;
}

void virtq_kick(struct virtio_device *vd, struct virtq *vq)
{
    memory_barrier();
    outw(vd->iobase + VIRTIO_REG_QUEUE_NOTIFY, vq->queue_index);
}

/* Puts the chain starting at head back on the free list. */
static void free_chain(struct virtq *vq, uint16_t head)
{
    uint16_t i = head, n = 1;
    while (vq->desc[i].flags & VIRTQ_DESC_F_NEXT) {
        i = vq->desc[i].next;
        n++;
    }
    vq->desc[i].next = vq->free_head;
    vq->free_head = head;
    vq->num_free = (uint16_t)(vq->num_free + n);
}

int virtq_pop_used(struct virtq *vq)
{
    if (vq->last_used == vq->used->idx)
        return -1;
    memory_barrier(); /* read the element only after seeing the idx that covers it */
    uint16_t head = (uint16_t)vq->used->ring[vq->last_used % vq->size].id;
    vq->last_used++;
    assert(head < vq->size);
    free_chain(vq, head);
    return head;
}
