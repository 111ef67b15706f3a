/*
 * The real-CPU oracle for the software CPU's differential tests.
 *
 * One long-lived process: it reads cases from stdin and writes outcomes to stdout (little-endian
 * binary, layout below, mirrored by NativeOracle.java). For each case the code is copied to a fixed
 * code page (read+execute for the guest) followed by int3 fill, the data page is filled from the case,
 * and the exact register state is entered through a signal: the SIGUSR1 handler overwrites its
 * ucontext (16 GPRs, RIP, the status flags and DF, XMM0-15, MXCSR) and sigreturn loads it. The code
 * ends at an int3; the SIGTRAP handler (or the SIGSEGV/SIGFPE/SIGILL/SIGBUS one for a fault) copies the
 * ucontext out and siglongjmps back to the loop. All handlers run on an alternate stack, so the
 * guest's RSP is never used by the harness. The GS base points into the data page (FS stays glibc's).
 * A seccomp filter turns every system call made from the code page into SIGSYS (the kernel rolls RAX
 * back to the call number): a guest SYSCALL ends its case instead of reaching the kernel.
 *
 * Case:    u32 magic 'CASE', u32 code length (bit 31: the code page stays writable, for self-modifying
 *          code), code bytes, u64 gpr[16], u64 rflags, u64 xmm[32],
 *          u32 mxcsr, u32 zero, u8 data[4096]
 * Outcome: u32 vector (3 for the final int3, 255 for a timeout, 256 for a SYSCALL), u32 signal, u64 rip, u64 gpr[16],
 *          u64 rflags, u64 xmm[32], u32 mxcsr, u32 zero, u64 cr2, u8 data[4096]
 * Hello (once, at start): u32 magic 'DIFF', u32 cpuid.1.ecx, u32 cpuid.1.edx, u32 cpuid.7.ebx,
 *          u32 cpuid.80000001.ecx, u32 flags (bit 0: guest system calls trap)
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_ADDR 0x60000000UL
#define DATA_ADDR 0x70000000UL
#define NOACCESS_ADDR 0x50000000UL
#define GS_BASE (DATA_ADDR + 0x100) /* GS-prefixed operands land in the data page; glibc leaves GS alone */
#define PAGE 4096
#define CASE_MAGIC 0x45534143u  /* "CASE" */
#define HELLO_MAGIC 0x46464944u /* "DIFF" */
#define STATUS_FLAGS 0xcd5ULL   /* CF PF AF ZF SF DF OF: the only flags a case may set */
#define TIMEOUT_VECTOR 255
#define SYSCALL_VECTOR 256

struct state {
    uint64_t gpr[16];
    uint64_t rflags;
    uint64_t xmm[32];
    uint32_t mxcsr;
    uint32_t zero;
};

struct outcome {
    uint32_t vector;
    uint32_t signal;
    uint64_t rip;
    struct state state;
    uint64_t cr2;
};

/* ucontext gregs index for each register in encoding order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15). */
static const int GREG[16] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static struct state entry;
static struct outcome result;
static sigjmp_buf back_to_loop;
static volatile sig_atomic_t in_guest;
static uint8_t *code_page;
static uint8_t *data_page;

static void die(const char *what) {
    perror(what);
    _exit(2);
}

static void read_fully(void *buf, size_t len) {
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = read(0, p, len);
        if (n == 0) _exit(0); /* the test closed the pipe: done */
        if (n < 0) die("read");
        p += n;
        len -= (size_t) n;
    }
}

static void write_fully(const void *buf, size_t len) {
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(1, p, len);
        if (n <= 0) die("write");
        p += n;
        len -= (size_t) n;
    }
}

/* The XMM registers in the signal frame only reach the CPU if the xsave header says they are in use. */
static void mark_sse_in_use(struct _libc_fpstate *fp) {
    uint32_t magic1 = *(uint32_t *) ((uint8_t *) fp + 464);
    if (magic1 == 0x46505853u) {
        uint64_t *xstate_bv = (uint64_t *) ((uint8_t *) fp + 512);
        *xstate_bv |= 3;
    }
}

static void enter_guest(int sig, siginfo_t *info, void *ctx) {
    (void) sig;
    (void) info;
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    for (int i = 0; i < 16; i++) g[GREG[i]] = (greg_t) entry.gpr[i];
    g[REG_RIP] = (greg_t) CODE_ADDR;
    g[REG_EFL] = (greg_t) (((uint64_t) g[REG_EFL] & ~STATUS_FLAGS) | (entry.rflags & STATUS_FLAGS));
    struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
    memcpy(fp->_xmm, entry.xmm, sizeof entry.xmm);
    fp->mxcsr = entry.mxcsr;
    /* x87 in its FNINIT state, so that a case starts from the same x87 state as a fresh software CPU */
    fp->cwd = 0x37f;
    fp->swd = 0;
    fp->ftw = 0;
    memset(fp->_st, 0, sizeof fp->_st); /* and MMX registers zero, as in a fresh software CPU */
    mark_sse_in_use(fp);
    in_guest = 1;
}

static void leave_guest(int sig, siginfo_t *info, void *ctx) {
    (void) info;
    if (!in_guest) {
        if (sig == SIGVTALRM) return; /* a late timer tick after the case ended */
        static const char msg[] = "diffharness: fault outside the guest\n";
        write(2, msg, sizeof msg - 1);
        _exit(3);
    }
    in_guest = 0;
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    for (int i = 0; i < 16; i++) result.state.gpr[i] = (uint64_t) g[GREG[i]];
    result.rip = (uint64_t) g[REG_RIP];
    result.state.rflags = (uint64_t) g[REG_EFL];
    struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
    memcpy(result.state.xmm, fp->_xmm, sizeof result.state.xmm);
    result.state.mxcsr = fp->mxcsr;
    result.signal = (uint32_t) sig;
    result.vector = sig == SIGVTALRM ? TIMEOUT_VECTOR : sig == SIGSYS ? SYSCALL_VECTOR : (uint32_t) g[REG_TRAPNO];
    result.cr2 = (uint64_t) g[REG_CR2];
    siglongjmp(back_to_loop, 1);
}

static void install(int sig, void (*handler)(int, siginfo_t *, void *)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) die("sigaction");
}

static void *map_fixed(uint64_t addr, int prot) {
    void *p = mmap((void *) addr, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *) addr) die("mmap at a fixed guest address");
    return p;
}

/* CPU time, not wall time: a loaded machine must not turn a slow case into a timeout. */
static void set_timer(long usec) {
    struct itimerval t = {{0, 0}, {0, usec}};
    setitimer(ITIMER_VIRTUAL, &t, NULL);
}

/*
 * System calls from the guest's code page trap (SIGSYS); the harness's own are allowed. Returns 0 where
 * the host refuses seccomp filters (then the tests generate no SYSCALL).
 */
static int trap_guest_syscalls(void) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) (CODE_ADDR >> 32), 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t) CODE_ADDR, 0, 2),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t) (CODE_ADDR + PAGE + 16), 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 0;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

static void hello(int syscalls_trap) {
    unsigned a, b, c, d;
    uint32_t h[6] = {HELLO_MAGIC, 0, 0, 0, 0, syscalls_trap ? 1 : 0};
    if (__get_cpuid(1, &a, &b, &c, &d)) { h[1] = c; h[2] = d; }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) h[3] = b;
    if (__get_cpuid(0x80000001u, &a, &b, &c, &d)) h[4] = c;
    write_fully(h, sizeof h);
}

int main(void) {
    static uint8_t altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
    code_page = map_fixed(CODE_ADDR, PROT_READ | PROT_WRITE);
    data_page = map_fixed(DATA_ADDR, PROT_READ | PROT_WRITE);
    map_fixed(NOACCESS_ADDR, PROT_NONE); /* guarantees that this address faults */
    map_fixed(DATA_ADDR + PAGE, PROT_NONE); /* and an access running off the data page's end */
    install(SIGUSR1, enter_guest);
    if (syscall(SYS_arch_prctl, ARCH_SET_GS, GS_BASE) != 0) die("arch_prctl(ARCH_SET_GS)");
    int exits[] = {SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGVTALRM, SIGSYS};
    for (unsigned i = 0; i < sizeof exits / sizeof exits[0]; i++) install(exits[i], leave_guest);
    hello(trap_guest_syscalls());

    for (;;) {
        uint32_t head[2];
        read_fully(head, sizeof head);
        int writable_code = (head[1] & 0x80000000u) != 0;
        head[1] &= 0x7fffffffu;
        if (head[0] != CASE_MAGIC || head[1] > PAGE) {
            fprintf(stderr, "diffharness: bad case header %08x %u\n", head[0], head[1]);
            return 2;
        }
        if (mprotect(code_page, PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect");
        memset(code_page, 0xcc, PAGE);
        read_fully(code_page, head[1]);
        int prot = PROT_READ | PROT_EXEC | (writable_code ? PROT_WRITE : 0);
        if (mprotect(code_page, PAGE, prot) != 0) die("mprotect");
        read_fully(&entry, sizeof entry);
        read_fully(data_page, PAGE);

        memset(&result, 0, sizeof result);
        if (sigsetjmp(back_to_loop, 1) == 0) {
            set_timer(500000);
            raise(SIGUSR1);
            /* not reached: the guest always ends in a signal that jumps back */
            fprintf(stderr, "diffharness: returned from guest entry\n");
            return 2;
        }
        set_timer(0);
        write_fully(&result, sizeof result);
        write_fully(data_page, PAGE);
    }
}
