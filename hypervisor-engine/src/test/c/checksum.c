/*
 * A CPU-bound guest for the software CPU: generates (or reads) a few MiB deterministically and prints
 * their CRC-32, FNV-1a 64 and a rotating sum. The same binary runs natively, under qemu-user and under
 * Corral's interpreter; the outputs must be identical.
 *
 * usage: checksum [MiB]        generate MiB mebibytes (default 4) with xorshift64*
 *        checksum -f FILE      checksum FILE instead
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[i] = c;
    }
}

static void summarize(const unsigned char *p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    uint64_t fnv = 0xcbf29ce484222325ull;
    uint64_t rot = 0;
    for (size_t i = 0; i < n; i++) {
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
        fnv = (fnv ^ p[i]) * 0x100000001b3ull;
        rot = (rot << 5 | rot >> 59) + p[i];
    }
    printf("bytes %zu crc32 %08x fnv1a64 %016llx rot %016llx\n", n, crc ^ 0xFFFFFFFFu,
           (unsigned long long) fnv, (unsigned long long) rot);
}

int main(int argc, char **argv) {
    crc_init();
    if (argc == 3 && strcmp(argv[1], "-f") == 0) {
        FILE *f = fopen(argv[2], "rb");
        if (!f) {
            perror(argv[2]);
            return 1;
        }
        size_t cap = 1 << 20, n = 0;
        unsigned char *buf = malloc(cap);
        size_t got;
        while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
            n += got;
            if (n == cap) {
                cap *= 2;
                buf = realloc(buf, cap);
            }
        }
        fclose(f);
        summarize(buf, n);
        free(buf);
        return 0;
    }
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 4;
    size_t n = mib << 20;
    unsigned char *buf = malloc(n);
    if (!buf) {
        fputs("out of memory\n", stderr);
        return 1;
    }
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t v = x * 0x2545F4914F6CDD1Dull;
        memcpy(buf + i, &v, 8);
    }
    summarize(buf, n);
    free(buf);
    return 0;
}
