/*
 * Load and fault generators for ResilienceIT, run inside a sandbox (compiled static so it also
 * runs in a minimal container image), plus the lab's HTTP server.
 *
 *   stress forkbomb SECONDS          every process forks as fast as it can; after SECONDS the
 *                                    root kills the bomb's process group, prints and exits 0
 *   stress membomb                   allocates and touches 16 MiB chunks until the kernel stops it
 *   stress exec-flood N PROGRAM      fork+exec PROGRAM N times, one after another
 *   stress open-flood N DIR          creates, writes and closes N distinct files in DIR
 *   stress open-loop SECONDS PATH    opens (read-only) and closes PATH as fast as it can until
 *                                    SECONDS passed or the file PATH.stop exists (checked every
 *                                    65,536 opens); prints how many opens it made, how many
 *                                    failed and the rate: one monitor event each, a sustained
 *                                    flood (a missing PATH fails with ENOENT before any
 *                                    permission check, so only the kernel monitor sees it)
 *   stress conns IP PORT N           opens N TCP connections at once, sends one HTTP request on
 *                                    each, waits until every one has its answer (all open at the
 *                                    same time), then closes them; prints ok=.. failed=..
 *   stress serve IP PORT             an HTTP/1.1 keep-alive server (epoll) answering "ok" to
 *                                    every request; prints "listening"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int forkbomb(int seconds) {
    pid_t bomb = fork();
    if (bomb < 0) {
        perror("fork");
        return 1;
    }
    if (bomb == 0) {
        setpgid(0, 0);
        for (;;) {
            if (fork() < 0) {
                usleep(1000); /* EAGAIN from the pids limit: try again */
            }
        }
    }
    setpgid(bomb, bomb);
    sleep(seconds);
    kill(-bomb, SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
    }
    printf("forkbomb: root survived %d s and stopped the bomb\n", seconds);
    return 0;
}

static int membomb(void) {
    size_t chunk = 16u << 20;
    for (long mib = 16;; mib += 16) {
        char *p = malloc(chunk);
        if (p == NULL) {
            printf("membomb: malloc failed at %ld MiB\n", mib);
            return 1;
        }
        memset(p, 1, chunk);
        printf("membomb: %ld MiB\n", mib);
        fflush(stdout);
    }
}

static int exec_flood(long n, const char *program) {
    long failed = 0;
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) {
            execl(program, program, (char *)NULL);
            _exit(127);
        }
        int st;
        if (p < 0 || waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            failed++;
        }
    }
    printf("exec-flood: %ld execs, %ld failed\n", n, failed);
    return failed == 0 ? 0 : 1;
}

static int open_flood(long n, const char *dir) {
    char path[4096];
    long failed = 0;
    for (long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/f%ld", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, "x", 1) != 1) {
            failed++;
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    printf("open-flood: %ld files, %ld failed\n", n, failed);
    return failed == 0 ? 0 : 1;
}

static int open_loop(int seconds, const char *path) {
    char stop[4096];
    snprintf(stop, sizeof stop, "%s.stop", path);
    long start = now_ms();
    long end = start + seconds * 1000L;
    long n = 0;
    long failed = 0;
    for (;;) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            failed++;
        } else {
            close(fd);
        }
        if ((++n & 0xffff) == 0 && (now_ms() >= end || access(stop, F_OK) == 0)) {
            break;
        }
    }
    long took = now_ms() - start;
    printf("open-loop: %ld opens, %ld failed, %ld ms, %ld opens/s\n", n, failed, took, took > 0 ? n * 1000 / took : n);
    return 0;
}

static int addr_of(const char *ip, int port, struct sockaddr_in *a) {
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

enum { CONNECTING, SENT, ANSWERED, FAILED };

static int conns(const char *ip, int port, int n) {
    struct sockaddr_in a;
    if (addr_of(ip, port, &a) < 0) {
        fprintf(stderr, "bad address %s\n", ip);
        return 2;
    }
    int *fd = calloc(n, sizeof(int));
    int *state = calloc(n, sizeof(int));
    int ep = epoll_create1(0);
    char req[256];
    int reqlen = snprintf(req, sizeof req, "GET /conn HTTP/1.1\r\nHost: %s\r\n\r\n", ip);
    for (int i = 0; i < n; i++) {
        fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd[i] < 0) {
            state[i] = FAILED;
            continue;
        }
        if (connect(fd[i], (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
            state[i] = FAILED;
            continue;
        }
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &ev);
    }
    int pending = 0;
    for (int i = 0; i < n; i++) {
        pending += state[i] != FAILED;
    }
    long deadline = now_ms() + 120000;
    struct epoll_event evs[256];
    char buf[4096];
    while (pending > 0 && now_ms() < deadline) {
        int k = epoll_wait(ep, evs, 256, 1000);
        for (int j = 0; j < k; j++) {
            int i = (int)evs[j].data.u32;
            if (state[i] == CONNECTING && (evs[j].events & EPOLLOUT)) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(fd[i], SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0 || write(fd[i], req, reqlen) != reqlen) {
                    state[i] = FAILED;
                    pending--;
                    epoll_ctl(ep, EPOLL_CTL_DEL, fd[i], NULL);
                    continue;
                }
                state[i] = SENT;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
                epoll_ctl(ep, EPOLL_CTL_MOD, fd[i], &ev);
            } else if (state[i] == SENT && (evs[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                ssize_t r = read(fd[i], buf, sizeof buf - 1);
                if (r > 0) {
                    buf[r] = 0;
                    state[i] = strncmp(buf, "HTTP/1.1 200", 12) == 0 ? ANSWERED : FAILED;
                } else if (r == 0 || errno != EAGAIN) {
                    state[i] = FAILED;
                } else {
                    continue;
                }
                pending--;
                epoll_ctl(ep, EPOLL_CTL_DEL, fd[i], NULL);
            }
        }
    }
    int ok = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        ok += state[i] == ANSWERED;
        failed += state[i] != ANSWERED;
    }
    /* every answered connection was open at this point: close them all together */
    for (int i = 0; i < n; i++) {
        if (fd[i] >= 0) {
            close(fd[i]);
        }
    }
    printf("conns: ok=%d failed=%d\n", ok, failed);
    return failed == 0 ? 0 : 1;
}

static int serve(const char *ip, int port) {
    struct sockaddr_in a;
    if (addr_of(ip, port, &a) < 0) {
        return 2;
    }
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 4096) < 0) {
        perror("bind/listen");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    printf("listening\n");
    fflush(stdout);
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";
    struct epoll_event evs[256];
    char buf[16384];
    for (;;) {
        int k = epoll_wait(ep, evs, 256, -1);
        for (int j = 0; j < k; j++) {
            int fd = evs[j].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r <= 0) {
                if (r == 0 || errno != EAGAIN) {
                    close(fd);
                }
                continue;
            }
            /* one answer per request head in what arrived (requests here have no body) */
            for (ssize_t i = 3; i < r; i++) {
                if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n') {
                    if (write(fd, answer, sizeof answer - 1) < 0) {
                        break;
                    }
                }
            }
        }
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && strcmp(argv[1], "forkbomb") == 0) return forkbomb(atoi(argv[2]));
    if (argc >= 2 && strcmp(argv[1], "membomb") == 0) return membomb();
    if (argc >= 4 && strcmp(argv[1], "exec-flood") == 0) return exec_flood(atol(argv[2]), argv[3]);
    if (argc >= 4 && strcmp(argv[1], "open-flood") == 0) return open_flood(atol(argv[2]), argv[3]);
    if (argc >= 4 && strcmp(argv[1], "open-loop") == 0) return open_loop(atoi(argv[2]), argv[3]);
    if (argc >= 5 && strcmp(argv[1], "conns") == 0) return conns(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc >= 4 && strcmp(argv[1], "serve") == 0) return serve(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: see the comment at the top of stress.c\n");
    return 2;
}
