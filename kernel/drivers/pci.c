/*
 * kernel/drivers/pci.c - PCI configuration space through ports 0xCF8/0xCFC.
 *
 * Configuration mechanism #1: writing 0x80000000 | bus << 16 | slot << 11 |
 * function << 8 | register to port 0xCF8 selects one 32-bit configuration
 * register, which port 0xCFC then reads or writes. A slot with no device
 * reads vendor 0xFFFF. Functions 1-7 exist only when function 0's header
 * type has bit 7 (multi-function) set. A bridge (header type 1) leads to
 * another bus, its secondary bus number, which is walked in turn.
 *
 * devices[0, device_count) is the table of functions found, in the order
 * of the walk (depth-first: a bridge's bus right after the bridge). It is
 * filled once by pci_init() and never changes afterwards.
 */
#include <arch/x86.h>
#include <kernel/console.h>
#include <kernel/pci.h>

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CONFIG_ENABLE 0x80000000u
#define PCI_SLOTS 32
#define PCI_FUNCTIONS 8
#define PCI_NO_DEVICE 0xffff
#define HEADER_TYPE_MASK 0x7f
#define HEADER_MULTI_FUNCTION 0x80
#define HEADER_TYPE_NORMAL 0
#define HEADER_TYPE_BRIDGE 1
#define PCI_MAX_BUS_DEPTH 8 /* bridges behind bridges; guards against a loop */

struct pci_address {
    uint8_t bus, slot, function;
};

static struct pci_device devices[PCI_MAX_DEVICES];
static unsigned device_count;

static void select_register(struct pci_address a, uint8_t offset)
{
    outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | (uint32_t)a.bus << 16 | (uint32_t)a.slot << 11 |
                                 (uint32_t)a.function << 8 | (offset & 0xfc));
}

static uint32_t read32_at(struct pci_address a, uint8_t offset)
{
    select_register(a, offset);
    return inl(PCI_CONFIG_DATA);
}

/* Narrow reads take their bytes out of the aligned 32-bit register. */
static uint16_t read16_at(struct pci_address a, uint8_t offset)
{
    return (uint16_t)(read32_at(a, offset) >> ((offset & 2) * 8));
}

static uint8_t read8_at(struct pci_address a, uint8_t offset)
{
    return (uint8_t)(read32_at(a, offset) >> ((offset & 3) * 8));
}

static struct pci_address address_of(const struct pci_device *dev)
{
    return (struct pci_address){ dev->bus, dev->slot, dev->function };
}

uint32_t pci_config_read32(const struct pci_device *dev, uint8_t offset)
{
    return read32_at(address_of(dev), offset);
}

uint16_t pci_config_read16(const struct pci_device *dev, uint8_t offset)
{
    return read16_at(address_of(dev), offset);
}

uint8_t pci_config_read8(const struct pci_device *dev, uint8_t offset)
{
    return read8_at(address_of(dev), offset);
}

void pci_config_write16(const struct pci_device *dev, uint8_t offset, uint16_t value)
{
    select_register(address_of(dev), offset);
    outw((uint16_t)(PCI_CONFIG_DATA + (offset & 2)), value);
}

/* Copies one function's identity, BARs and interrupt routing into the table. */
static struct pci_device *record_function(struct pci_address a)
{
    if (device_count == PCI_MAX_DEVICES) {
        kprintf("pci: more than %d functions; %02x:%02x.%x and later ignored\n",
                PCI_MAX_DEVICES, a.bus, a.slot, a.function);
        return NULL;
    }
    struct pci_device *d = &devices[device_count++];
    d->bus = a.bus;
    d->slot = a.slot;
    d->function = a.function;
    d->vendor_id = read16_at(a, PCI_VENDOR_ID);
    d->device_id = read16_at(a, PCI_DEVICE_ID);
    d->class_code = read8_at(a, PCI_CLASS);
    d->subclass = read8_at(a, PCI_SUBCLASS);
    d->prog_if = read8_at(a, PCI_PROG_IF);
    d->subsystem_id = read16_at(a, PCI_SUBSYSTEM_ID);
    bool normal = (read8_at(a, PCI_HEADER_TYPE) & HEADER_TYPE_MASK) == HEADER_TYPE_NORMAL;
    for (unsigned i = 0; i < PCI_BAR_COUNT; i++) /* a bridge has only BAR0 and BAR1 */
        d->bars[i] = normal || i < 2 ? read32_at(a, (uint8_t)(PCI_BAR0 + 4 * i)) : 0;
    d->irq_line = read8_at(a, PCI_INTERRUPT_LINE);
    d->irq_pin = read8_at(a, PCI_INTERRUPT_PIN);
    kprintf("pci: %02x:%02x.%x %04x:%04x class %02x.%02x irq %u\n", a.bus, a.slot, a.function,
            d->vendor_id, d->device_id, d->class_code, d->subclass,
            d->irq_pin ? d->irq_line : 0);
    return d;
}

static void scan_bus(uint8_t bus, unsigned depth);

/* Records a present function; a bridge's far side is scanned next. */
static void scan_function(struct pci_address a, unsigned depth)
{
    if (!record_function(a))
        return;
    uint8_t type = read8_at(a, PCI_HEADER_TYPE) & HEADER_TYPE_MASK;
    uint8_t secondary = read8_at(a, PCI_SECONDARY_BUS);
    if (type == HEADER_TYPE_BRIDGE && secondary != 0 && secondary != a.bus)
        scan_bus(secondary, depth + 1);
}

static void scan_slot(uint8_t bus, uint8_t slot, unsigned depth)
{
    struct pci_address a = { bus, slot, 0 };
    if (read16_at(a, PCI_VENDOR_ID) == PCI_NO_DEVICE)
        return;
    scan_function(a, depth);
    if (!(read8_at(a, PCI_HEADER_TYPE) & HEADER_MULTI_FUNCTION))
        return;
    for (uint8_t fn = 1; fn < PCI_FUNCTIONS; fn++) {
        a.function = fn;
        if (read16_at(a, PCI_VENDOR_ID) != PCI_NO_DEVICE)
            scan_function(a, depth);
    }
}

static void scan_bus(uint8_t bus, unsigned depth)
{
    if (depth > PCI_MAX_BUS_DEPTH)
        return;
    for (uint8_t slot = 0; slot < PCI_SLOTS; slot++)
        scan_slot(bus, slot, depth);
}

void pci_init(void)
{
    device_count = 0;
    scan_bus(0, 0);
}

unsigned pci_device_count(void)
{
    return device_count;
}

struct pci_device *pci_device_at(unsigned i)
{
    return i < device_count ? &devices[i] : NULL;
}

struct pci_device *pci_find(uint16_t vendor_id, uint16_t device_id, unsigned index)
{
    for (unsigned i = 0; i < device_count; i++) {
        if (devices[i].vendor_id != vendor_id || devices[i].device_id != device_id)
            continue;
        if (index-- == 0)
            return &devices[i];
    }
    return NULL;
}

uint16_t pci_bar_io_base(const struct pci_device *dev, unsigned bar)
{
    if (bar >= PCI_BAR_COUNT || !(dev->bars[bar] & PCI_BAR_IO))
        return 0;
    return (uint16_t)(dev->bars[bar] & ~0x3u);
}

void pci_enable_io_and_dma(const struct pci_device *dev)
{
    uint16_t cmd = pci_config_read16(dev, PCI_COMMAND);
    cmd |= PCI_COMMAND_IO | PCI_COMMAND_BUS_MASTER;
    cmd &= (uint16_t)~PCI_COMMAND_INTX_DISABLE;
    pci_config_write16(dev, PCI_COMMAND, cmd);
}
