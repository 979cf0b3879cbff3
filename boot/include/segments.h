/*
 * segments.h - GDT layout of the kernel (built in boot/x86_64/entry.S).
 * Usable from both C and assembly (only #defines).
 *
 *   index  selector  descriptor
 *   0      0x00      null
 *   1      0x08      kernel code   (64-bit, DPL 0)
 *   2      0x10      kernel data   (DPL 0)
 *   3      0x18      user data     (DPL 3)  -> selector 0x1b with RPL 3
 *   4      0x20      user code     (64-bit, DPL 3) -> selector 0x23 with RPL 3
 *   5-6    0x28      TSS (a 16-byte system descriptor)
 *
 * Why this order: SYSCALL loads CS = STAR[47:32] and SS = STAR[47:32] + 8;
 * SYSRET (64-bit) loads CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8,
 * both with RPL forced to 3.  With STAR[47:32] = 0x08 and STAR[63:48] = 0x10
 * that gives kernel 0x08/0x10 and user 0x23/0x1b, which is this table.
 */
#ifndef CYRIUS_SEGMENTS_H
#define CYRIUS_SEGMENTS_H

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS   0x1b /* 0x18 | RPL 3 */
#define USER_CS   0x23 /* 0x20 | RPL 3 */
#define TSS_SEL   0x28

/* High half of MSR_STAR (0xc0000081): bits 63:48 SYSRET base, 47:32 SYSCALL base
 * (the low half is unused in long mode). */
#define STAR_HIGH ((KERNEL_DS << 16) | KERNEL_CS)

/* Interrupt stack table slots used in the IDT (TSS.ist[n-1]). */
#define IST_DOUBLE_FAULT 1 /* vector 8 */
#define IST_NMI          2 /* vector 2 */

/* Byte offsets inside the 104-byte 64-bit TSS (boot_tss in entry.S). */
#define TSS_RSP0  0x04
#define TSS_IST1  0x24
#define TSS_IST2  0x2c
#define TSS_IOMAP 0x66
#define TSS_SIZE  104

#endif /* CYRIUS_SEGMENTS_H */
