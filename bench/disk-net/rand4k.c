/*
 * rand4k DEVICE read|write COUNT SECONDS: COUNT 4 KiB O_DIRECT preads (or pwrites) at 4 KiB-aligned offsets of DEVICE
 * drawn by xorshift64* from a fixed seed (the same offsets on every VM), one at a time, stopping early once SECONDS have
 * passed. Prints "ops=N seconds=S iops=I" (CLOCK_MONOTONIC). Built by bench/disk-net/run.sh with gcc -static into the
 * guest's initramfs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static double seconds_since(const struct timespec *start) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) (t.tv_sec - start->tv_sec) + (double) (t.tv_nsec - start->tv_nsec) / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[2], "read") != 0 && strcmp(argv[2], "write") != 0)) {
        fprintf(stderr, "usage: rand4k DEVICE read|write COUNT SECONDS\n");
        return 2;
    }
    int writing = strcmp(argv[2], "write") == 0;
    long count = atol(argv[3]);
    double limit = atof(argv[4]);
    int fd = open(argv[1], (writing ? O_RDWR : O_RDONLY) | O_DIRECT);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    uint64_t size;
    if (ioctl(fd, BLKGETSIZE64, &size) != 0 || size < BLOCK) {
        perror("BLKGETSIZE64");
        return 1;
    }
    uint64_t blocks = size / BLOCK;
    void *buffer;
    if (posix_memalign(&buffer, BLOCK, BLOCK) != 0) {
        return 1;
    }
    memset(buffer, 0xa5, BLOCK);
    uint64_t x = 0x20261206c0ffeeULL;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long done = 0;
    while (done < count) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        off_t offset = (off_t) ((x * 2685821657736338717ULL) % blocks) * BLOCK;
        ssize_t n = writing ? pwrite(fd, buffer, BLOCK, offset) : pread(fd, buffer, BLOCK, offset);
        if (n != BLOCK) {
            perror(writing ? "pwrite" : "pread");
            return 1;
        }
        done++;
        if ((done & 63) == 0 && seconds_since(&start) >= limit) {
            break;
        }
    }
    double elapsed = seconds_since(&start);
    printf("ops=%ld seconds=%.3f iops=%.0f\n", done, elapsed, done / elapsed);
    return 0;
}
