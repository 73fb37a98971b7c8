/*
 * uart.c - the agent's only output: JSON lines on the PL011 (one object a
 * line, read by targets/qemu/bare.c), with integer formatting of its own,
 * plus the freestanding memset/memcpy/memcmp the compiler may call.
 */
#include "agent.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1u << 5)

void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d; /* volatile: never turned back into a memset call */

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

static void uart_putc(char c)
{
	while (rd32(BOARD_UART + UART_FR) & UART_FR_TXFF)
		;
	wr32(BOARD_UART + UART_DR, (uint8_t)c);
}

static void ln_putc(struct line *l, char c)
{
	if (l->n < sizeof(l->b) - 1)
		l->b[l->n++] = c;
}

void ln_str(struct line *l, const char *s)
{
	while (*s)
		ln_putc(l, *s++);
}

void ln_u64(struct line *l, uint64_t v)
{
	char t[21];
	int i = 0;

	do {
		t[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		ln_putc(l, t[--i]);
}

void ln_hex(struct line *l, uint64_t v)
{
	int shift = 60;

	ln_str(l, "0x");
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		ln_putc(l, "0123456789abcdef"[(v >> shift) & 15]);
}

void ln_json(struct line *l, const char *s)
{
	ln_putc(l, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			ln_putc(l, '\\');
			ln_putc(l, *s);
		} else if ((uint8_t)*s < 0x20) {
			ln_putc(l, ' ');
		} else {
			ln_putc(l, *s);
		}
	}
	ln_putc(l, '"');
}

void ln_flush(struct line *l)
{
	for (size_t i = 0; i < l->n; i++)
		uart_putc(l->b[i]);
	l->n = 0;
}

void ln_emit(struct line *l)
{
	ln_flush(l);
	uart_putc('\n');
}

void say_progress(uint32_t permille)
{
	struct line l = {.n = 0};

	ln_str(&l, "{\"progress\":");
	if (permille >= 1000) {
		ln_str(&l, "1");
	} else {
		ln_str(&l, "0.");
		ln_putc(&l, (char)('0' + permille / 100));
		ln_putc(&l, (char)('0' + permille / 10 % 10));
		ln_putc(&l, (char)('0' + permille % 10));
	}
	ln_str(&l, "}");
	ln_emit(&l);
}

void say_example(const char *text)
{
	struct line l = {.n = 0};

	ln_str(&l, "{\"example\":");
	ln_json(&l, text);
	ln_str(&l, "}");
	ln_emit(&l);
}

void agent_off(void)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;

	__asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
	for (;;) /* SYSTEM_OFF does not return; never run past it */
		__asm__ volatile("wfi");
}

void fatal(const char *msg)
{
	struct line l = {.n = 0};

	ln_str(&l, "{\"error\":");
	ln_json(&l, msg);
	ln_str(&l, "}");
	ln_emit(&l);
	agent_off();
}

void fatal_line(struct line *msg)
{
	msg->b[msg->n] = 0;
	fatal(msg->b);
}

/* From start.S's vectors: any exception is a bug in the agent; say where. */
void agent_exception(uint64_t esr, uint64_t elr, uint64_t far);
void agent_exception(uint64_t esr, uint64_t elr, uint64_t far)
{
	struct line l = {.n = 0};

	ln_str(&l, "agent exception: esr ");
	ln_hex(&l, esr);
	ln_str(&l, " pc ");
	ln_hex(&l, elr);
	ln_str(&l, " far ");
	ln_hex(&l, far);
	fatal_line(&l);
}

const char *ln_cstr(struct line *l)
{
	l->b[l->n < sizeof(l->b) ? l->n : sizeof(l->b) - 1] = 0;
	return l->b;
}
