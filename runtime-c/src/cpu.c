/*
 * x86_64 instruction wrappers (see cpu.h).  Kernel only: most of these fault in user mode.
 *
 * Every asm that changes machine state is volatile with a "memory" clobber, so gcc neither
 * drops it nor moves memory accesses across it.
 */
#include "cpu.h"

uint8_t
inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

uint16_t
inw(uint16_t port)
{
    uint16_t v;

    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

uint32_t
inl(uint16_t port)
{
    uint32_t v;

    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

void
outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

void
outw(uint16_t port, uint16_t value)
{
    __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

void
outl(uint16_t port, uint32_t value)
{
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

void
io_wait(void)
{
    // Port 0x80 is the POST diagnostic port: nothing listens, but the write takes an ISA bus
    // cycle, which is the delay wanted.
    outb(0x80, 0);
}

// rdmsr, wrmsr, xgetbv and xsetbv move 64-bit values in edx:eax.

uint64_t
rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

void
wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                     : "memory");
}

uint64_t
read_cr0(void)
{
    uint64_t v;

    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

uintptr_t
read_cr2(void)
{
    uintptr_t v;

    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

uint64_t
read_cr3(void)
{
    uint64_t v;

    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

uint64_t
read_cr4(void)
{
    uint64_t v;

    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

void
write_cr0(uint64_t value)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(value) : "memory");
}

void
write_cr3(uint64_t value)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(value) : "memory");
}

void
write_cr4(uint64_t value)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(value) : "memory");
}

uint64_t
xgetbv(uint32_t xcr)
{
    uint32_t lo, hi;

    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
    return (uint64_t)hi << 32 | lo;
}

void
xsetbv(uint32_t xcr, uint64_t value)
{
    __asm__ volatile("xsetbv" : : "c"(xcr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                     : "memory");
}

void
invlpg(uintptr_t vaddr)
{
    __asm__ volatile("invlpg (%0)" : : "r"(vaddr) : "memory");
}

void
cli(void)
{
    __asm__ volatile("cli" : : : "memory");
}

void
sti(void)
{
    __asm__ volatile("sti" : : : "memory");
}

void
hlt(void)
{
    __asm__ volatile("hlt" : : : "memory");
}

void
sti_hlt(void)
{
    __asm__ volatile("sti; hlt" : : : "memory");
}

void
cpu_relax(void)
{
    __asm__ volatile("pause" : : : "memory");
}

uint64_t
read_rflags(void)
{
    uint64_t v;

    __asm__ volatile("pushfq\n\tpopq %0" : "=r"(v) : : "memory");
    return v;
}

void
mfence(void)
{
    __asm__ volatile("mfence" : : : "memory");
}

uint64_t
rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

void
cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *out)
{
    __asm__ volatile("cpuid"
                     : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
                     : "a"(leaf), "c"(subleaf));
}

// Never inlined: the answer is the frame pointer saved by this function's own prologue,
// which is its caller's rbp (the kernel is built with -fno-omit-frame-pointer).
__attribute__((noinline)) uintptr_t
read_rbp(void)
{
    return *(uintptr_t *)__builtin_frame_address(0);
}

// The 64-bit forms (fxsave64, xsave64) record full 64-bit FPU instruction and data pointers.

void
fxsave(void *area)
{
    __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void
fxrstor(const void *area)
{
    __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

void
xsave(void *area, uint64_t mask)
{
    __asm__ volatile("xsave64 (%0)"
                     : : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32))
                     : "memory");
}

void
xrstor(const void *area, uint64_t mask)
{
    __asm__ volatile("xrstor64 (%0)"
                     : : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32))
                     : "memory");
}
