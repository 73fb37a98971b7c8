/*
 * start.S - the agent's entry at EL1 with the MMU off: a stack, a zeroed
 * .bss, a vector table that reports any exception instead of hanging, then
 * agent_main(); whatever it returns, PSCI SYSTEM_OFF ends QEMU.
 */
	.section .text.start, "ax"
	.global _start
_start:
	ldr	x0, =__stack_top
	mov	sp, x0
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
1:	cmp	x0, x1
	b.hs	2f
	str	xzr, [x0], #8
	b	1b
2:	ldr	x0, =vectors
	msr	vbar_el1, x0
	isb
	bl	agent_main
	bl	agent_off
3:	wfi
	b	3b

/* Every vector: the syndrome, the faulting PC and address to C, which powers off. */
	.macro	vec
	.balign	0x80
	mrs	x0, esr_el1
	mrs	x1, elr_el1
	mrs	x2, far_el1
	b	agent_exception
	.endm

	.balign	0x800
vectors:
	.rept	16
	vec
	.endr
