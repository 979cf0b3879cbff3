/*
 * lmbench-style system-call and process latencies, one static musl program (bench/bench_syscalls.py builds
 * it with `musl-gcc -static -O2`).
 *
 *     lmbench [--repeat N] [--ops OP,OP...] [NAME=PATH ...]
 *
 * runs every operation (or those --ops names) and prints one line per operation, then "lmbench done":
 *
 *     OP NS NS ...           ns per op of each of the N timed runs (--repeat, default 5)
 *     OP n/a REASON          when the operation fails (the errno message)
 *
 * Each operation's loop count doubles until the loop takes at least MIN_NS (CLOCK_MONOTONIC); that count
 * is then timed N times. Each NAME=PATH adds an operation NAME: fork + execve("PATH", {"PATH", "true"}) +
 * wait (BusyBox runs its `true` applet; coreutils' true ignores the argument). --exit exits at once: it
 * makes the program the target of its own fork_execve_wait. Scratch files live in /tmp.
 *
 * The thread ops (issue 16): pthread_create + pthread_join of a thread that returns at once; a futex
 * ping-pong between two threads (raw FUTEX_WAIT/FUTEX_WAKE, private, on two words: one round trip is
 * two wakes, two waits and two switches); an uncontended pthread_mutex_lock + unlock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#define DEFAULT_REPEAT 5
#define MAX_REPEAT 100
#define MAX_OPS 32
#define BUF 4096
#define MAP_BYTES (64 * 1024)
#define FILE_PATH "/tmp/lmbench.file"
#define EXE_PATH "/tmp/lmbench.exe"
#define FUTEX_WAIT_PRIVATE 128 /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
#define FUTEX_WAKE_PRIVATE 129

static char buf[BUF];
static const char *self_path;
static char *exec_argv[3]; /* what the running exec op starts */

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
    char *envp[] = {NULL};
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return -errno;
        if (pid == 0) {
            execve(exec_argv[0], exec_argv, envp);
            _exit(errno); /* the parent reports it */
        }
        int status;
        if (waitpid(pid, &status, 0) != pid)
            return -errno;
        if (!WIFEXITED(status))
            return -ECHILD;
        if (WEXITSTATUS(status) != 0)
            return -WEXITSTATUS(status);
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

static void *thread_nop(void *arg) { return arg; }

static int op_thread_create_join(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_t t;
        int e = pthread_create(&t, NULL, thread_nop, NULL);
        if (e || (e = pthread_join(t, NULL)))
            return -e;
    }
    return 0;
}

/* The ping-pong: `ping` is the partner's turn, `pong` the caller's; whoever waits sleeps in FUTEX_WAIT. */
static int ping, pong;

static long futex(int *word, int op, int value)
{
    return syscall(SYS_futex, word, op, value, NULL, NULL, 0);
}

static void await_turn(int *word)
{
    while (!__atomic_exchange_n(word, 0, __ATOMIC_ACQUIRE))
        futex(word, FUTEX_WAIT_PRIVATE, 0);
}

static void give_turn(int *word)
{
    __atomic_store_n(word, 1, __ATOMIC_RELEASE);
    futex(word, FUTEX_WAKE_PRIVATE, 1);
}

static void *ponger(void *arg)
{
    for (long i = 0, n = *(long *)arg; i < n; i++) {
        await_turn(&ping);
        give_turn(&pong);
    }
    return NULL;
}

static int op_futex_ping_pong(long n)
{
    pthread_t t;
    ping = pong = 0;
    int e = pthread_create(&t, NULL, ponger, &n);
    if (e)
        return -e;
    for (long i = 0; i < n; i++) {
        give_turn(&ping);
        await_turn(&pong);
    }
    return -pthread_join(t, NULL);
}

static int op_mutex(long n)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
    }
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

struct op {
    const char *name;
    op_fn fn;
    int setup_err;   /* a failed setup's -errno: the op prints n/a */
    char *exec_path; /* exec ops: the program; "--exit" or "true" is its argument */
};

static int repeat = DEFAULT_REPEAT;
static const char *only; /* --ops: a comma-separated list, or NULL for all */

static int selected(const char *name)
{
    if (!only)
        return 1;
    size_t len = strlen(name);
    for (const char *p = only; (p = strstr(p, name)); p += len)
        if ((p == only || p[-1] == ',') && (p[len] == ',' || p[len] == 0))
            return 1;
    return 0;
}

/* Runs op n times: 0 or its -errno; *ns = the wall time. */
static int timed(const struct op *op, long n, double *ns)
{
    errno = 0;
    double t0 = now_ns();
    int r = op->fn(n);
    *ns = now_ns() - t0;
    return r;
}

/* Finds the count that takes at least MIN_NS, then times it `repeat` times. */
static void run(const struct op *op)
{
    if (!selected(op->name))
        return;
    if (op->exec_path) {
        exec_argv[0] = op->exec_path;
        exec_argv[1] = strcmp(op->exec_path, EXE_PATH) == 0 ? "--exit" : "true";
    }
    int r = op->setup_err;
    long n = 1;
    double t = 0, times[MAX_REPEAT];
    while (r == 0 && (r = timed(op, n, &t)) == 0 && t < MIN_NS && n < (1L << 30))
        n *= t < MIN_NS / 64 ? 8 : 2;
    for (int k = 0; r == 0 && k < repeat; k++) {
        r = timed(op, n, &t);
        times[k] = t / n;
    }
    if (r < 0) {
        printf("%s n/a %s\n", op->name, strerror(-r));
    } else {
        printf("%s", op->name);
        for (int k = 0; k < repeat; k++)
            printf(" %.1f", times[k]);
        printf("\n");
    }
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
    struct op ops[MAX_OPS] = {
        {"null_syscall", op_null, 0, NULL},
        {"read_dev_zero_4k", op_read_zero, 0, NULL},
        {"write_dev_null_4k", op_write_null, 0, NULL},
        {"open_close", op_open_close, file, NULL},
        {"stat", op_stat, file, NULL},
        {"pipe_round_trip", op_pipe, 0, NULL},
        {"fork_exit_wait", op_fork_exit, 0, NULL},
        {"mmap_touch_munmap_64k", op_mmap, 0, NULL},
        {"file_write_read_4k", op_file_rw, file, NULL},
        {"fork_execve_wait", op_fork_exec, exe, EXE_PATH},
        {"thread_create_join", op_thread_create_join, 0, NULL},
        {"futex_ping_pong", op_futex_ping_pong, 0, NULL},
        {"mutex_lock_unlock", op_mutex, 0, NULL},
    };
    int count = 0;
    while (count < MAX_OPS && ops[count].name)
        count++;
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (eq && count < MAX_OPS) {
            *eq = 0;
            ops[count++] = (struct op){argv[i], op_fork_exec, 0, eq + 1};
        } else {
            fprintf(stderr, "usage: %s [--repeat N] [--ops OP,OP...] [NAME=PATH ...]\n", argv[0]);
            return 2;
        }
    }
    if (repeat < 1 || repeat > MAX_REPEAT) {
        fprintf(stderr, "--repeat must be 1-%d\n", MAX_REPEAT);
        return 2;
    }
    for (int i = 0; i < count; i++)
        run(&ops[i]);
    unlink(FILE_PATH);
    unlink(EXE_PATH);
    printf("lmbench done\n");
    return 0;
}
