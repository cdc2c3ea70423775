/*
 * include/kernel/virtio_blk.h - the virtio-blk disk driver.
 *
 * virtio_blk_init() finds every virtio-blk PCI function (in PCI order, which
 * is QEMU's -device order), sets it up and registers it with the block layer
 * as vda, vdb, ... Requests then arrive through struct blk_ops (blk.h).
 */
#ifndef MICA_KERNEL_VIRTIO_BLK_H
#define MICA_KERNEL_VIRTIO_BLK_H

/* Probes the virtio-blk devices (after pci_init) and prints one line per disk. */
void virtio_blk_init(void);

#endif
