/*
 * guest.h - what the guest agent (targets/qemu/guest/agent.c, aarch64 Linux)
 * and the host side (targets/qemu/guest.c) agree on: where the agent maps,
 * and the phase markers it writes so the host can cut QEMU's trace.
 *
 * Markers are 4-byte writes of QEMU_MARK(id) to the edu liveness register
 * (qemu.h). Cell k = size_index * iterations + iteration, 0-based:
 *   QG_MARK_UNMAP(k)  right before cell k's VFIO_IOMMU_UNMAP_DMA: its phase
 *                     holds exactly that unmap's commands (odd ids);
 *   QG_MARK_AFTER(k)  right after it: the next map, DMA, set-up (even ids).
 *   QG_MARK_FAULT     before the fault check's unmap; QG_MARK_FAULT + 1 after
 *                     it, where the DMA to the unmapped IOVA happens.
 */
#ifndef SVABENCH_QEMU_GUEST_H
#define SVABENCH_QEMU_GUEST_H

#define QG_MARK_UNMAP(k) (2u * (unsigned)(k) + 1u)
#define QG_MARK_AFTER(k) (2u * (unsigned)(k) + 2u)
#define QG_MARK_FAULT 0xfff000u

/* Where every map starts: 0x8000000-0x80fffff is the virt board's MSI
 * window, reserved in the VFIO domain; edu clamps DMA addresses to 28 bits. */
#define QG_IOVA 0x100000ull
#define QG_MAX_PAGES 65536u

#endif
