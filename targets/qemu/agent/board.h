/*
 * board.h - everything the agent knows about the board it runs on: QEMU's
 * `virt` machine with `iommu=smmuv3,highmem=off,gic-version=2` and one
 * `-device edu`. A port to another platform (Arm's FVP with its PCIe test
 * engine) swaps this header; the rest of the agent only uses these names.
 */
#ifndef AGENT_BOARD_H
#define AGENT_BOARD_H

/* Devices */
#define BOARD_UART 0x09000000UL     /* PL011, usable without set-up */
#define BOARD_SMMU 0x09050000UL     /* SMMUv3 register page 0 (page 1 at +0x10000) */
#define BOARD_GICD 0x08000000UL     /* GICv2 distributor */
#define BOARD_GICC 0x08010000UL     /* GICv2 CPU interface */
#define BOARD_ECAM 0x3f000000UL     /* PCIe ECAM with highmem=off, bus 0 only */
#define BOARD_PCI_MMIO 0x10000000UL /* start of the 32-bit PCI MMIO window */

/* Interrupts (GIC INTIDs) */
#define BOARD_IRQ_DEV 36   /* edu's INTA on 00:01.0: SPI 4 */
#define BOARD_IRQ_VTIMER 27 /* the EL1 virtual timer's PPI, the DMA wait's deadline */

/* The DMA engine: QEMU's edu (1234:11e8) */
#define DEV_VENDOR 0x1234
#define DEV_DEVICE 0x11e8
#define DEV_IDENT 0x00    /* ident register, 0x010000ed */
#define DEV_LIVENESS 0x04 /* written with QEMU_MARK(id) to mark the trace */
#define DEV_IRQ_STATUS 0x24
#define DEV_IRQ_ACK 0x64
#define DEV_DMA_SRC 0x80
#define DEV_DMA_DST 0x88
#define DEV_DMA_COUNT 0x90
#define DEV_DMA_CMD 0x98
#define DEV_DMA_START 0x1
#define DEV_DMA_TO_RAM 0x2 /* device buffer -> RAM, a DMA write */
#define DEV_DMA_IRQ 0x4
#define DEV_IRQ_DMA 0x100           /* status bit of a finished DMA */
#define DEV_BUF 0x40000UL           /* the device buffer in edu's DMA space */
#define DEV_BUF_SIZE 0x1000UL
#define DEV_IOVA_LIMIT (1UL << 28)  /* edu clamps DMA addresses to 28 bits */

/* Memory: 256 MiB of RAM at 0x40000000; the agent is linked at 0x40080000 */
#define BOARD_RAM_END 0x50000000UL
#define BOARD_POOL 0x41000000UL     /* frames for the mm and its page tables */
#define BOARD_POOL_END 0x4fe00000UL /* below the job at 0x4ff00000 */

/* PSCI through the hypervisor call QEMU's virt board offers at EL1 */
#define PSCI_SYSTEM_OFF 0x84000008UL

#endif
