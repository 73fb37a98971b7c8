/*
 * hw.c - the board around the SMMU: PCI enumeration through ECAM (BAR0 and
 * bus mastering for the DMA engine), the GIC set up so that `wfi` wakes on
 * the engine's interrupt or on a deadline, and the engine's DMA itself.
 */
#include "agent.h"
#include "../qemu.h" /* QEMU_MARK */

#define PCI_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEM 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_BAR0 0x10

#define GICD_CTLR 0x000
#define GICD_ISENABLER 0x100
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10
#define GIC_SPURIOUS 1023

/* Virtual seconds a DMA may take before the agent gives up (edu needs 0.1). */
#define DMA_TIMEOUT_S 2

void pci_init(struct dev *d)
{
	for (uint32_t slot = 0; slot < 32; slot++) {
		uintptr_t cfg = BOARD_ECAM + ((uintptr_t)slot << 15);
		uint32_t id = rd32(cfg + PCI_ID), size;

		if (id != ((uint32_t)DEV_DEVICE << 16 | DEV_VENDOR))
			continue;
		/* BAR0 is a 32-bit memory BAR: its size from the bits that stick */
		wr32(cfg + PCI_BAR0, 0xffffffffu);
		size = ~(rd32(cfg + PCI_BAR0) & ~0xfu) + 1;
		if (!size || size > 0x10000000u)
			fatal("pci: the DMA engine's BAR0 has no usable size");
		wr32(cfg + PCI_BAR0, (uint32_t)BOARD_PCI_MMIO);
		wr32(cfg + PCI_COMMAND, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
		d->bar0 = BOARD_PCI_MMIO;
		d->sid = slot << 3; /* bus 0, function 0 */
		if ((rd32(d->bar0 + DEV_IDENT) & 0xff) != 0xed)
			fatal("pci: the DMA engine's ident register is wrong (not edu?)");
		return;
	}
	fatal("pci: no edu device (1234:11e8) on bus 0; QEMU needs -device edu");
}

static void gic_enable(uint32_t intid)
{
	uintptr_t pri = BOARD_GICD + GICD_IPRIORITYR + (intid & ~3u);
	uintptr_t tgt = BOARD_GICD + GICD_ITARGETSR + (intid & ~3u);
	uint32_t sh = (intid & 3) * 8;

	wr32(pri, (rd32(pri) & ~(0xffu << sh)) | (0xa0u << sh));
	if (intid >= 32) /* SPIs go to CPU 0; PPIs are the CPU's own */
		wr32(tgt, (rd32(tgt) & ~(0xffu << sh)) | (1u << sh));
	wr32(BOARD_GICD + GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
}

void gic_init(void)
{
	wr32(BOARD_GICD + GICD_CTLR, 0);
	gic_enable(BOARD_IRQ_DEV);
	gic_enable(BOARD_IRQ_VTIMER);
	wr32(BOARD_GICD + GICD_CTLR, 1);
	wr32(BOARD_GICC + GICC_PMR, 0xff);
	wr32(BOARD_GICC + GICC_CTLR, 1);
}

void dev_mark(const struct dev *d, uint32_t id)
{
	wr32(d->bar0 + DEV_LIVENESS, QEMU_MARK(id));
}

static uint64_t cntvct(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

void dev_dma(const struct dev *d, uint64_t iova, uint32_t buf_off, uint32_t n, int to_ram)
{
	uint64_t frq, deadline, buf = DEV_BUF + buf_off;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
	deadline = cntvct() + frq * DMA_TIMEOUT_S;
	__asm__ volatile("msr cntv_cval_el0, %0; msr cntv_ctl_el0, %1; isb"
			 : : "r"(deadline), "r"(1ul));
	wr32(d->bar0 + DEV_DMA_SRC, (uint32_t)(to_ram ? buf : iova));
	wr32(d->bar0 + DEV_DMA_DST, (uint32_t)(to_ram ? iova : buf));
	wr32(d->bar0 + DEV_DMA_COUNT, n);
	wr32(d->bar0 + DEV_DMA_CMD, DEV_DMA_START | DEV_DMA_IRQ | (to_ram ? DEV_DMA_TO_RAM : 0));
	/*
	 * IRQs stay masked: wfi still wakes on a pending interrupt, and with
	 * -icount sleep=off QEMU warps virtual time to edu's 100 ms timer.
	 */
	for (;;) {
		uint32_t iar, id;

		__asm__ volatile("wfi");
		iar = rd32(BOARD_GICC + GICC_IAR);
		id = iar & 0x3ff;
		if (id == BOARD_IRQ_DEV) {
			uint32_t st = rd32(d->bar0 + DEV_IRQ_STATUS);

			wr32(d->bar0 + DEV_IRQ_ACK, st);
			wr32(BOARD_GICC + GICC_EOIR, iar);
			if (st & DEV_IRQ_DMA)
				break;
			continue;
		}
		if (id != GIC_SPURIOUS)
			wr32(BOARD_GICC + GICC_EOIR, iar);
		if (id == BOARD_IRQ_VTIMER || cntvct() >= deadline) {
			__asm__ volatile("msr cntv_ctl_el0, xzr; isb");
			fatal("dma: the device raised no interrupt within 2 s of virtual time");
		}
	}
	__asm__ volatile("msr cntv_ctl_el0, xzr; isb");
}
