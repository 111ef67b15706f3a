/*
 * A libc-free guest for the user-mode syscall shim (built with -nostdlib -mgeneral-regs-only, so it
 * needs only integer instructions). argv[1] picks a scenario; each prints what it saw, so a test can
 * compare the output and the exit status.
 */
typedef unsigned long u64;

__asm__(".globl _start\n"
        "_start:\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call probe_main\n"
        "  hlt\n"
        "restore_rt:\n"
        "  mov $15, %eax\n"
        "  syscall\n");
extern void restore_rt(void);

static long sys(long n, long a, long b, long c, long d, long e, long f) {
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static long len(const char *s) {
    long n = 0;
    while (s[n]) n++;
    return n;
}

static void put(const char *s) { sys(1, 1, (long) s, len(s), 0, 0, 0); }

static void put_num(long v) {
    char buf[24];
    int i = 23;
    int neg = v < 0;
    u64 u = neg ? -(u64) v : (u64) v;
    buf[i] = 0;
    do { buf[--i] = '0' + u % 10; u /= 10; } while (u);
    if (neg) buf[--i] = '-';
    put(buf + i);
}

static int same(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

static void quit(int code) { sys(231, code, 0, 0, 0, 0, 0); }

static volatile int handled;

static void on_usr1(int sig) {
    handled = sig;
    put("in handler\n");
}

struct kernel_sigaction { u64 handler, flags, restorer, mask; };

static void on_segv(int sig, void *info, void *context) {
    put("caught signal "); put_num(sig); put(" at address "); put_num(((long *) info)[2]); put("\n");
    quit(9);
}

void probe_main(long *sp) {
    long argc = sp[0];
    char **argv = (char **) (sp + 1);
    char **envp = argv + argc + 1;
    const char *what = argc > 1 ? argv[1] : "hello";

    if (same(what, "hello")) {
        put("hello from the guest\n");
        quit(0);
    }
    if (same(what, "args")) {
        put("argc "); put_num(argc); put("\n");
        for (long i = 0; i < argc; i++) { put(argv[i]); put("\n"); }
        for (char **e = envp; *e; e++) { put(*e); put("\n"); }
        u64 *aux = (u64 *) envp;
        while (*aux) aux++;
        aux++;
        for (; aux[0]; aux += 2) {
            if (aux[0] == 6) { put("pagesz "); put_num(aux[1]); put("\n"); }
            if (aux[0] == 25) { put("random "); put_num(aux[1] != 0); put("\n"); }
        }
        put("rsp aligned "); put_num(((u64) sp & 15) == 0); put("\n");
        quit(0);
    }
    if (same(what, "exit")) {
        quit(42);
    }
    if (same(what, "segv")) {
        *(volatile int *) 8 = 1;
        quit(0);
    }
    if (same(what, "pipe")) {
        int fds[2];
        sys(22, (long) fds, 0, 0, 0, 0, 0);
        long pid = sys(57, 0, 0, 0, 0, 0, 0);
        if (pid == 0) {
            sys(3, fds[0], 0, 0, 0, 0, 0);
            const char *m = "through a pipe\n";
            sys(1, fds[1], (long) m, len(m), 0, 0, 0);
            quit(7);
        }
        sys(3, fds[1], 0, 0, 0, 0, 0);
        char buf[64];
        long n;
        while ((n = sys(0, fds[0], (long) buf, sizeof buf - 1, 0, 0, 0)) > 0) {
            buf[n] = 0;
            put("parent read: ");
            put(buf);
        }
        int status = 0;
        long waited = sys(61, pid, (long) &status, 0, 0, 0, 0);
        put("waited for child "); put_num(waited == pid); put(", exit "); put_num((status >> 8) & 0xff); put("\n");
        quit(0);
    }
    if (same(what, "sigpipe")) {
        int fds[2];
        sys(22, (long) fds, 0, 0, 0, 0, 0);
        sys(3, fds[0], 0, 0, 0, 0, 0);
        sys(1, fds[1], (long) "x", 1, 0, 0, 0);
        put("not reached\n");
        quit(0);
    }
    if (same(what, "exec")) {
        char *args[] = {"shimprobe", "hello", 0};
        sys(59, (long) "/proc/self/exe", (long) args, (long) envp, 0, 0, 0);
        put("exec failed\n");
        quit(1);
    }
    if (same(what, "memory")) {
        long brk0 = sys(12, 0, 0, 0, 0, 0, 0);
        long brk1 = sys(12, brk0 + 3 * 4096 + 5, 0, 0, 0, 0, 0);
        char *heap = (char *) brk0;
        heap[3 * 4096] = 'b';
        char *m = (char *) sys(9, 0, 2 * 4096, 3, 0x22, -1, 0);
        m[4095] = 'm';
        m[4096] = 'n';
        long prot = sys(10, (long) m, 4096, 1, 0, 0, 0);
        long unmapped = sys(11, (long) m + 4096, 4096, 0, 0, 0, 0);
        put("brk grew "); put_num(brk1 - brk0); put(", heap "); put_num(heap[3 * 4096] == 'b');
        put(", mmap "); put_num(m[4095] == 'm'); put(", mprotect "); put_num(prot); put(", munmap "); put_num(unmapped); put("\n");
        m[0] = 1; /* read-only now: SIGSEGV */
        quit(0);
    }
    if (same(what, "signal")) {
        struct kernel_sigaction act = {(u64) on_usr1, 0x04000000, (u64) restore_rt, 0};
        sys(13, 10, (long) &act, 0, 8, 0, 0);
        sys(62, sys(39, 0, 0, 0, 0, 0, 0), 10, 0, 0, 0, 0);
        put("back in main, handled "); put_num(handled); put("\n");
        quit(0);
    }
    if (same(what, "segvhandler")) {
        struct kernel_sigaction act = {(u64) on_segv, 0x04000004, (u64) restore_rt, 0};
        sys(13, 11, (long) &act, 0, 8, 0, 0);
        *(volatile int *) 24 = 1;
        quit(0);
    }
    if (same(what, "mmapfile")) {
        /* A private read-only file mapping at an offset of one page (file shorter than two pages). */
        long fd = sys(257, -100, (long) argv[2], 0, 0, 0, 0);
        char *m = (char *) sys(9, 0, 8192, 1, 2, fd, 4096);
        if ((long) m < 0) { put("mmap failed "); put_num((long) m); put("\n"); quit(1); }
        long n = 0;
        while (n < 100 && m[n] != '\n') n++;
        sys(1, 1, (long) m, n + 1, 0, 0, 0);
        put("past end of file reads zero: "); put_num(m[4095] == 0); put("\n");
        if (argc > 3) m[4096] = m[8191]; /* a page wholly past the end: SIGBUS on Linux */
        quit(0);
    }
    if (same(what, "timer")) {
        /* A 30 ms interval timer: the handler runs twice, then the default action of SIGALRM ends us. */
        struct kernel_sigaction act = {(u64) on_usr1, 0x04000000, (u64) restore_rt, 0};
        sys(13, 14, (long) &act, 0, 8, 0, 0);
        long itv[4] = {0, 30000, 0, 30000};
        sys(38, 0, (long) itv, 0, 0, 0, 0);
        sys(34, 0, 0, 0, 0, 0, 0);
        put("after pause, handled "); put_num(handled); put("\n");
        sys(34, 0, 0, 0, 0, 0, 0);
        struct kernel_sigaction dfl = {0, 0x04000000, (u64) restore_rt, 0};
        sys(13, 14, (long) &dfl, 0, 8, 0, 0);
        for (;;) { }
    }
    if (same(what, "select")) {
        int fds[2];
        sys(22, (long) fds, 0, 0, 0, 0, 0);
        u64 set = 1UL << fds[0];
        long tv[2] = {0, 20000};
        long n = sys(23, fds[0] + 1, (long) &set, 0, 0, (long) tv, 0);
        put("empty pipe "); put_num(n); put(" set "); put_num(set != 0);
        sys(1, fds[1], (long) "x", 1, 0, 0, 0);
        set = 1UL << fds[0];
        tv[0] = 1; tv[1] = 0;
        n = sys(23, fds[0] + 1, (long) &set, 0, 0, (long) tv, 0);
        put(", after a write "); put_num(n); put(" set "); put_num(set == 1UL << fds[0]);
        struct { int fd; short events, revents; } pfd = {fds[0], 1, 0};
        n = sys(7, (long) &pfd, 1, 0, 0, 0, 0);
        put(", poll "); put_num(n); put(" revents "); put_num(pfd.revents); put("\n");
        quit(0);
    }
    if (same(what, "fuzz")) {
        /*
         * Random syscalls with random arguments (small numbers, pointers into a scratch buffer, wild
         * values), leaving out only those that end, block, fork or re-shape this process on purpose
         * (reads and writes too: a random read of a pipe it holds both ends of blocks, as on Linux).
         * The shim must answer every one with a result or an errno, never an internal error.
         */
        static const short skip[] = {0, 1, 17, 18, 19, 20, 40, 7, 10, 11, 13, 15, 23, 34, 35, 37, 38, 56, 57, 58, 59, 60, 62, 130, 200,
                                              230, 231, 234, 270, 271};
        static char scratch[8192];
        u64 x = 0x2545F4914F6CDD1Dull;
        long calls = 0;
        for (long i = 0; i < 20000; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            long nr = x % 340;
            int skipped = 0;
            for (unsigned k = 0; k < sizeof skip / sizeof skip[0]; k++) if (skip[k] == nr) skipped = 1;
            if (skipped) continue;
            long a[6];
            for (int k = 0; k < 6; k++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                switch (x % 4) {
                    case 0: a[k] = x % 8; break;
                    case 1: a[k] = (long) (scratch + (x >> 8) % 4096); break;
                    case 2: a[k] = (long) (x >> 3); break;
                    default: a[k] = -(long) (x % 200); break;
                }
            }
            if (nr == 33 || nr == 292) a[1] = 3 + a[1] % 60;      /* keep stdout and stderr */
            if (nr == 3) a[0] = 3 + a[0] % 60;
            sys(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
            calls++;
        }
        put("fuzz done, calls over 15000: "); put_num(calls > 15000); put("\n");
        quit(0);
    }
    if (same(what, "hog")) {
        /* Touches 128 MiB of anonymous memory, a page at a time. */
        long size = 128L << 20;
        char *m = (char *) sys(9, 0, size, 3, 0x22, -1, 0);
        for (long i = 0; i < size; i += 4096) m[i] = 1;
        put("touched all\n");
        quit(0);
    }
    if (same(what, "forkbomb")) {
        long made = 0, pid;
        while ((pid = sys(57, 0, 0, 0, 0, 0, 0)) > 0) made++;
        if (pid == 0) { sys(34, 0, 0, 0, 0, 0, 0); quit(0); } /* children pause until killed */
        put("fork failed with "); put_num(pid); put(" after more than 100: "); put_num(made > 100); put("\n");
        quit(0);
    }
    if (same(what, "files")) {
        const char *path = argc > 2 ? argv[2] : "/etc/hostname";
        long fd = sys(257, -100, (long) path, 0, 0, 0, 0);
        char buf[256];
        long n = sys(0, fd, (long) buf, sizeof buf, 0, 0, 0);
        put("read "); put_num(n); put("\n");
        sys(1, 1, (long) buf, n, 0, 0, 0);
        long missing = sys(257, -100, (long) "/nonexistent/file", 0, 0, 0, 0);
        long denied = sys(257, -100, (long) path, 01 | 0100, 0644, 0, 0);
        put("missing "); put_num(missing); put(", write outside sandbox "); put_num(denied);
        put(", unknown syscall "); put_num(sys(500, 0, 0, 0, 0, 0, 0)); put("\n");
        quit(0);
    }
    if (same(what, "crc")) {
        /* A CPU-bound loop without libc: bitwise CRC-32 over a generated buffer in .bss. */
        static unsigned char data[1 << 16];
        unsigned x = 12345;
        for (long i = 0; i < (long) sizeof data; i++) { x = x * 1103515245u + 12345u; data[i] = x >> 16; }
        unsigned crc = 0xffffffffu;
        long rounds = argc > 2 ? argv[2][0] - '0' : 1;
        for (long r = 0; r < rounds; r++)
            for (long i = 0; i < (long) sizeof data; i++) {
                crc ^= data[i];
                for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
            }
        put("crc "); put_num(crc ^ 0xffffffffu); put("\n");
        quit(0);
    }
    put("unknown scenario\n");
    quit(2);
}
