/*
 * lmbench-style system-call and process latencies, one static musl program (bench/bench_syscalls.py builds
 * it with `musl-gcc -static -O2`). It runs every operation and prints one line per operation:
 *
 *     OP NS_PER_OP            e.g. "null_syscall 812.5"
 *     OP n/a REASON           when the operation fails (the errno message)
 *
 * then "lmbench done". Each operation runs in a loop whose count doubles until the loop takes at least
 * MIN_NS (CLOCK_MONOTONIC); that count is then timed REPEAT times and the fastest run is printed.
 * The only argument the program knows is --exit (used by its own fork+execve test: exit at once).
 * Scratch files live in /tmp (Cyrius: the in-memory filesystem; Linux: a tmpfs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIN_NS 100e6
#define REPEAT 3
#define BUF 4096
#define MAP_BYTES (64 * 1024)
#define FILE_PATH "/tmp/lmbench.file"
#define EXE_PATH "/tmp/lmbench.exe"

static char buf[BUF];
static const char *self_path;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Each op runs n times and returns 0, or -errno at the first failure. */
typedef int (*op_fn)(long n);

static int op_null(long n)
{
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
    return 0;
}

static int loop_rw(const char *path, int flags, int writing, long n)
{
    int fd = open(path, flags);
    if (fd < 0)
        return -errno;
    for (long i = 0; i < n; i++) {
        ssize_t r = writing ? write(fd, buf, BUF) : read(fd, buf, BUF);
        if (r != BUF) {
            int e = r < 0 ? errno : EIO;
            close(fd);
            return -e;
        }
    }
    close(fd);
    return 0;
}

static int op_read_zero(long n) { return loop_rw("/dev/zero", O_RDONLY, 0, n); }
static int op_write_null(long n) { return loop_rw("/dev/null", O_WRONLY, 1, n); }

static int op_open_close(long n)
{
    for (long i = 0; i < n; i++) {
        int fd = open(FILE_PATH, O_RDONLY);
        if (fd < 0)
            return -errno;
        close(fd);
    }
    return 0;
}

static int op_stat(long n)
{
    struct stat st;
    for (long i = 0; i < n; i++)
        if (stat(FILE_PATH, &st) < 0)
            return -errno;
    return 0;
}

static int op_pipe(long n)
{
    int there[2], back[2];
    char c = 'x';
    if (pipe(there) < 0)
        return -errno;
    if (pipe(back) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        close(there[1]);
        close(back[0]);
        while (read(there[0], &c, 1) == 1)
            if (write(back[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(there[0]);
    close(back[1]);
    int err = 0;
    for (long i = 0; i < n && !err; i++) {
        if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
            err = errno ? -errno : -EIO;
    }
    close(there[1]);
    close(back[0]);
    waitpid(pid, NULL, 0);
    return err;
}

static int op_fork_exit(long n)
{
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return -errno;
        if (pid == 0)
            _exit(0);
        int status;
        if (waitpid(pid, &status, 0) != pid)
            return -errno;
    }
    return 0;
}

static int op_fork_exec(long n)
{
    char *argv[] = {EXE_PATH, "--exit", NULL};
    char *envp[] = {NULL};
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return -errno;
        if (pid == 0) {
            execve(EXE_PATH, argv, envp);
            _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid)
            return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return -ENOEXEC;
    }
    return 0;
}

static int op_mmap(long n)
{
    for (long i = 0; i < n; i++) {
        char *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return -errno;
        for (long off = 0; off < MAP_BYTES; off += 4096)
            p[off] = 1;
        if (munmap(p, MAP_BYTES) < 0)
            return -errno;
    }
    return 0;
}

static int op_file_rw(long n)
{
    int fd = open(FILE_PATH, O_RDWR);
    if (fd < 0)
        return -errno;
    for (long i = 0; i < n; i++) {
        if (pwrite(fd, buf, BUF, 0) != BUF || pread(fd, buf, BUF, 0) != BUF) {
            int e = errno ? errno : EIO;
            close(fd);
            return -e;
        }
    }
    close(fd);
    return 0;
}

/* Copy this program to EXE_PATH, so both systems exec it from their in-memory filesystem. */
static int install_self(void)
{
    int in = open(self_path, O_RDONLY), out = open(EXE_PATH, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    ssize_t r;
    if (in < 0 || out < 0)
        return -errno;
    while ((r = read(in, buf, BUF)) > 0)
        if (write(out, buf, r) != r)
            return -errno;
    close(in);
    close(out);
    return r < 0 ? -errno : 0;
}

static int make_file(void)
{
    int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -errno;
    int ok = write(fd, buf, BUF) == BUF;
    close(fd);
    return ok ? 0 : -EIO;
}

static void run(const char *name, op_fn fn, int setup_err)
{
    if (setup_err < 0) {
        printf("%s n/a %s\n", name, strerror(-setup_err));
        fflush(stdout);
        return;
    }
    long n = 1;
    double t;
    for (;;) {
        errno = 0;
        double t0 = now_ns();
        int r = fn(n);
        t = now_ns() - t0;
        if (r < 0) {
            printf("%s n/a %s\n", name, strerror(-r));
            fflush(stdout);
            return;
        }
        if (t >= MIN_NS || n >= (1L << 30))
            break;
        n *= t < MIN_NS / 64 ? 8 : 2;
    }
    double best = t;
    for (int k = 1; k < REPEAT; k++) {
        double t0 = now_ns();
        fn(n);
        t = now_ns() - t0;
        if (t < best)
            best = t;
    }
    printf("%s %.1f\n", name, best / n);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--exit") == 0)
        return 0;
    self_path = argv[0];
    memset(buf, 'b', sizeof buf);
    int file = make_file();
    int exe = install_self();

    run("null_syscall", op_null, 0);
    run("read_dev_zero_4k", op_read_zero, 0);
    run("write_dev_null_4k", op_write_null, 0);
    run("open_close", op_open_close, file);
    run("stat", op_stat, file);
    run("pipe_round_trip", op_pipe, 0);
    run("fork_exit_wait", op_fork_exit, 0);
    run("fork_execve_wait", op_fork_exec, exe);
    run("mmap_touch_munmap_64k", op_mmap, 0);
    run("file_write_read_4k", op_file_rw, file);
    unlink(FILE_PATH);
    unlink(EXE_PATH);
    printf("lmbench done\n");
    return 0;
}
