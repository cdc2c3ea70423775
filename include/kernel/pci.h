/*
 * include/kernel/pci.h - the PCI bus: finding devices and reading their registers.
 *
 * At boot pci_init() walks configuration space through the legacy ports
 * 0xCF8 (address) and 0xCFC (data): bus 0, every device and function, and
 * the buses behind PCI-to-PCI bridges. Each function found becomes one
 * struct pci_device in a table, in bus/device/function order (the order
 * QEMU's -device options give, so drivers name disks in -drive order).
 * The table does not change after boot.
 */
#ifndef MICA_KERNEL_PCI_H
#define MICA_KERNEL_PCI_H

#include <types.h>

#define PCI_MAX_DEVICES 64
#define PCI_BAR_COUNT 6

/* Configuration-space registers (offsets of the common header). */
enum pci_config_reg {
    PCI_VENDOR_ID = 0x00,
    PCI_DEVICE_ID = 0x02,
    PCI_COMMAND = 0x04,
    PCI_STATUS = 0x06,
    PCI_REVISION = 0x08,
    PCI_PROG_IF = 0x09,
    PCI_SUBCLASS = 0x0a,
    PCI_CLASS = 0x0b,
    PCI_HEADER_TYPE = 0x0e,
    PCI_BAR0 = 0x10,
    PCI_SECONDARY_BUS = 0x19, /* bridges (header type 1) */
    PCI_SUBSYSTEM_ID = 0x2e,
    PCI_INTERRUPT_LINE = 0x3c,
    PCI_INTERRUPT_PIN = 0x3d,
};

/* PCI_COMMAND bits. */
#define PCI_COMMAND_IO (1u << 0)          /* respond to I/O-port BARs */
#define PCI_COMMAND_MEMORY (1u << 1)      /* respond to memory BARs */
#define PCI_COMMAND_BUS_MASTER (1u << 2)  /* may do DMA */
#define PCI_COMMAND_INTX_DISABLE (1u << 10)

/* A BAR's low bit says which address space it decodes. */
#define PCI_BAR_IO 0x1u

struct pci_device {
    uint8_t bus, slot, function;
    uint16_t vendor_id, device_id;
    uint8_t class_code, subclass, prog_if;
    uint16_t subsystem_id;
    uint32_t bars[PCI_BAR_COUNT]; /* raw register values (bit 0: I/O space) */
    uint8_t irq_line;             /* the legacy PIC input the firmware routed INTx to */
    uint8_t irq_pin;              /* 0 = no interrupt, 1-4 = INTA#-INTD# */
};

/* Walks the buses and fills the device table; prints one line per function found. */
void pci_init(void);
/* The index-th device (0 = the first) with this vendor:device pair, or NULL. */
struct pci_device *pci_find(uint16_t vendor_id, uint16_t device_id, unsigned index);
/* Number of functions found by pci_init(), and the i-th of them. */
unsigned pci_device_count(void);
struct pci_device *pci_device_at(unsigned i);

/* Reads and writes a configuration register of dev (offset aligned to the size). */
uint32_t pci_config_read32(const struct pci_device *dev, uint8_t offset);
uint16_t pci_config_read16(const struct pci_device *dev, uint8_t offset);
uint8_t pci_config_read8(const struct pci_device *dev, uint8_t offset);
void pci_config_write16(const struct pci_device *dev, uint8_t offset, uint16_t value);

/* The I/O port base of BAR bar, or 0 when that BAR is not an I/O-space BAR. */
uint16_t pci_bar_io_base(const struct pci_device *dev, unsigned bar);
/* Lets dev decode its I/O ports, master the bus (DMA) and raise INTx. */
void pci_enable_io_and_dma(const struct pci_device *dev);

#endif
