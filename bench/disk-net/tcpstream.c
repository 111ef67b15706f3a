/*
 * tcpstream recv PORT: accepts one TCP connection on PORT and reads it to its end in 64 KiB reads; prints
 * "bytes=N seconds=S MiBps=R" (from the first byte to the end), then closes it.
 * tcpstream send IP PORT SECONDS: connects to IP:PORT and writes zeros in 64 KiB writes for SECONDS, then half-closes
 * and waits for the receiver to close: the figure counts only bytes the receiver has read. Prints
 * "bytes=N seconds=S MiBps=R" (CLOCK_MONOTONIC, from the connection's start to the receiver's close).
 * busybox nc copies through a buffer of about 1 KiB, so its throughput is mostly its own system calls; this is the
 * stream a real application sends. Built by bench/disk-net/run.sh with gcc -static into the guest's initramfs.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static char buffer[CHUNK];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static void report(long long bytes, double seconds) {
    printf("bytes=%lld seconds=%.3f MiBps=%.2f\n", bytes, seconds, (double) bytes / 1048576.0 / seconds);
}

static int receive(int port) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(listener, (struct sockaddr *) &address, sizeof address) != 0 || listen(listener, 1) != 0) {
        perror("tcpstream: bind/listen");
        return 1;
    }
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
        perror("tcpstream: accept");
        return 1;
    }
    long long bytes = 0;
    double start = 0;
    ssize_t n;
    while ((n = read(fd, buffer, CHUNK)) > 0) {
        if (bytes == 0) {
            start = now();
        }
        bytes += n;
    }
    if (n < 0) {
        perror("tcpstream: read");
        return 1;
    }
    report(bytes, now() - start);
    close(fd);
    return 0;
}

static int send_for(const char *ip, int port, double seconds) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, ip, &address.sin_addr) != 1) {
        fprintf(stderr, "tcpstream: not an IPv4 address: %s\n", ip);
        return 2;
    }
    /* The receiver may still be on its way to listen(): a refused connection is tried again, for up to 10 s. */
    int fd = -1;
    for (int tries = 0; fd < 0; tries++) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *) &address, sizeof address) != 0) {
            if (tries == 100) {
                perror("tcpstream: connect");
                return 1;
            }
            close(fd);
            fd = -1;
            usleep(100000);
        }
    }
    double start = now();
    long long bytes = 0;
    while (now() - start < seconds) {
        ssize_t n = write(fd, buffer, CHUNK);
        if (n < 0) {
            perror("tcpstream: write");
            return 1;
        }
        bytes += n;
    }
    shutdown(fd, SHUT_WR);
    while (read(fd, buffer, CHUNK) > 0) {
    }
    report(bytes, now() - start);
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "recv") == 0) {
        return receive(atoi(argv[2]));
    }
    if (argc == 5 && strcmp(argv[1], "send") == 0) {
        return send_for(argv[2], atoi(argv[3]), atof(argv[4]));
    }
    fprintf(stderr, "usage: tcpstream recv PORT | tcpstream send IP PORT SECONDS\n");
    return 2;
}
