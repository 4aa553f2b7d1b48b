/* ptyrun: runs a command on a fresh pseudo-terminal and drives it from a
 * script, as a user at a terminal would (tests/system/console.sh).
 *
 *   ptyrun [-t SECONDS] [-o TRANSCRIPT] SCRIPT -- COMMAND [ARG...]
 *
 * The command gets the pty's slave as its controlling terminal and as
 * stdin, stdout and stderr, in a session of its own (so it is the
 * terminal's foreground process group).  SCRIPT holds one step a line (TEXT
 * takes the C escapes \n \r \t \e \\ \xHH):
 *
 *   expect TEXT   wait until the output since the last match contains TEXT
 *   send TEXT     type TEXT
 *   signal NAME   send signal NAME (TERM, HUP, SEGV, ...) to the command
 *   stopped       wait until the command is stopped (SIGSTOP, SIGTSTP)
 *   mode          print the terminal's modes now: "mode icanon=B echo=B
 *                 isig=B ixon=B opost=B onlcr=B" (B = 0 or 1)
 *
 * When the script ends, ptyrun waits for the command and prints
 * "status N" or "signal NAME", then "termios same" when the terminal's
 * settings (flags, control characters, speeds) equal those it had before
 * the command started, or "termios changed: FIELD..." naming what differs.
 * All the command wrote goes to TRANSCRIPT.  Exit status 0, or 1 when an
 * expect was not met (the command ended first, or -t SECONDS passed,
 * default 60: a guard against a hang, not a speed check), 2 for bad
 * usage.  The command is
 * killed (SIGKILL) when a step fails. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static long guard_ms = 60000; /* -t */

static int master = -1, slave = -1;
static pid_t child = -1;
static FILE *transcript;
static char *out;          /* everything read so far */
static size_t out_len, out_cap, matched_to;
static int child_status = -1;

static long unescape(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p != '\\') {
            *o++ = *p;
            continue;
        }
        switch (*++p) {
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'e': *o++ = 0x1b; break;
        case '\\': *o++ = '\\'; break;
        case 'x': {
            unsigned v = 0;
            for (int k = 0; k < 2; k++) {
                char c = *++p;
                if (c >= '0' && c <= '9') v = v * 16 + (unsigned)(c - '0');
                else if (c >= 'a' && c <= 'f') v = v * 16 + (unsigned)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F') v = v * 16 + (unsigned)(c - 'A' + 10);
                else return -1;
            }
            *o++ = (char)v;
            break;
        }
        default:
            return -1;
        }
    }
    return o - s;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void keep(const char *buf, size_t n)
{
    if (out_len + n + 1 > out_cap) {
        out_cap = (out_len + n + 1) * 2;
        out = realloc(out, out_cap);
        if (!out) {
            perror("ptyrun");
            exit(2);
        }
    }
    memcpy(out + out_len, buf, n);
    out_len += n;
    if (transcript)
        fwrite(buf, 1, n, transcript);
}

/* Reads what the command wrote, waiting up to ms; false once it has ended
 * and nothing more is buffered. */
static int pump(int ms)
{
    struct pollfd p = { .fd = master, .events = POLLIN };
    int r = poll(&p, 1, ms);
    if (r > 0 && (p.revents & POLLIN)) {
        char buf[4096];
        ssize_t n = read(master, buf, sizeof buf);
        if (n > 0) {
            keep(buf, (size_t)n);
            return 1;
        }
    }
    if (child_status < 0) {
        int st;
        if (waitpid(child, &st, WNOHANG) == child)
            child_status = st;
    }
    return child_status < 0 || r > 0;
}

static int expect(const char *text, size_t len)
{
    long deadline = now_ms() + guard_ms;
    for (;;) {
        if (out_len >= matched_to + len && len) {
            for (size_t i = matched_to; i + len <= out_len; i++)
                if (!memcmp(out + i, text, len)) {
                    matched_to = i + len;
                    return 0;
                }
        }
        long left = deadline - now_ms();
        if (left <= 0 || !pump(left < 100 ? (int)left : 100))
            return -1;
    }
}

static const struct { const char *name; int sig; } signals[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
    { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
    { "SEGV", SIGSEGV }, { "PIPE", SIGPIPE }, { "TERM", SIGTERM }, { "TSTP", SIGTSTP },
    { "CONT", SIGCONT }, { "STOP", SIGSTOP },
};

static const char *sig_name(int sig)
{
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
        if (signals[i].sig == sig)
            return signals[i].name;
    return "?";
}

static void print_mode(void)
{
    struct termios t;
    if (tcgetattr(slave, &t)) {
        perror("ptyrun: tcgetattr");
        return;
    }
    printf("mode icanon=%d echo=%d isig=%d ixon=%d opost=%d onlcr=%d\n",
           !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO), !!(t.c_lflag & ISIG),
           !!(t.c_iflag & IXON), !!(t.c_oflag & OPOST), !!(t.c_oflag & ONLCR));
    fflush(stdout);
}

static void compare(const struct termios *a, const struct termios *b)
{
    const char *diff[8];
    int n = 0;
    if (a->c_iflag != b->c_iflag) diff[n++] = "c_iflag";
    if (a->c_oflag != b->c_oflag) diff[n++] = "c_oflag";
    if (a->c_cflag != b->c_cflag) diff[n++] = "c_cflag";
    if (a->c_lflag != b->c_lflag) diff[n++] = "c_lflag";
    if (memcmp(a->c_cc, b->c_cc, sizeof a->c_cc)) diff[n++] = "c_cc";
    if (cfgetispeed(a) != cfgetispeed(b)) diff[n++] = "ispeed";
    if (cfgetospeed(a) != cfgetospeed(b)) diff[n++] = "ospeed";
    if (!n) {
        printf("termios same\n");
        return;
    }
    printf("termios changed:");
    for (int i = 0; i < n; i++)
        printf(" %s", diff[i]);
    printf("\n");
}

static int fail(const char *what, const char *text)
{
    printf("ptyrun: %s: %s\n", what, text);
    if (child > 0 && child_status < 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    return 1;
}

int main(int argc, char **argv)
{
    const char *tpath = NULL;
    int a = 1;
    for (;;) {
        if (a + 1 < argc && !strcmp(argv[a], "-o"))
            tpath = argv[a + 1];
        else if (a + 1 < argc && !strcmp(argv[a], "-t"))
            guard_ms = atol(argv[a + 1]) * 1000;
        else
            break;
        a += 2;
    }
    if (a + 2 >= argc || strcmp(argv[a + 1], "--")) {
        fprintf(stderr, "usage: ptyrun [-t SECONDS] [-o TRANSCRIPT] SCRIPT -- COMMAND [ARG...]\n");
        return 2;
    }
    FILE *script = fopen(argv[a], "r");
    if (!script) {
        perror(argv[a]);
        return 2;
    }
    if (tpath && !(transcript = fopen(tpath, "w"))) {
        perror(tpath);
        return 2;
    }
    if (openpty(&master, &slave, NULL, NULL, NULL)) {
        perror("ptyrun: openpty");
        return 2;
    }
    struct termios before, after;
    tcgetattr(slave, &before);
    fflush(stdout);
    child = fork();
    if (child < 0) {
        perror("ptyrun: fork");
        return 2;
    }
    if (child == 0) {
        /* A session of its own with the pty as controlling terminal. */
        setsid();
        ioctl(slave, TIOCSCTTY, 0);
        dup2(slave, 0), dup2(slave, 1), dup2(slave, 2);
        close(master), close(slave);
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core); /* the fatal-signal cases */
        execvp(argv[a + 2], argv + a + 2);
        perror("ptyrun: exec");
        _exit(127);
    }

    char line[4096];
    int r = 0;
    while (!r && fgets(line, sizeof line, script)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *arg = strchr(line, ' ');
        arg = arg ? arg + 1 : line + strlen(line);
        long n = unescape(arg);
        if (n < 0)
            return fail("bad escape", line);
        if (!strncmp(line, "expect ", 7)) {
            if (expect(arg, (size_t)n))
                r = fail(child_status < 0 ? "not seen in time" : "not seen before the end", arg);
        } else if (!strncmp(line, "send ", 5)) {
            if (write(master, arg, (size_t)n) != n)
                r = fail("write", strerror(errno));
        } else if (!strncmp(line, "signal ", 7)) {
            int sig = 0;
            for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
                if (!strcmp(signals[i].name, arg))
                    sig = signals[i].sig;
            if (!sig)
                return fail("unknown signal", arg);
            kill(child, sig);
        } else if (!strcmp(line, "stopped")) {
            long deadline = now_ms() + guard_ms;
            int st;
            pid_t w;
            while ((w = waitpid(child, &st, WNOHANG | WUNTRACED)) != child || !WIFSTOPPED(st)) {
                if (w == child)
                    child_status = st; /* it ended instead */
                if (now_ms() > deadline || !pump(100)) {
                    r = fail("not stopped", "");
                    break;
                }
            }
        } else if (!strcmp(line, "mode")) {
            print_mode();
        } else {
            return fail("bad step", line);
        }
    }
    if (r)
        return r;
    /* The end: collect the status, then whatever output is left. */
    long deadline = now_ms() + guard_ms;
    while (child_status < 0 && now_ms() < deadline)
        pump(100);
    if (child_status < 0)
        return fail("still running at the end of the guard time", "");
    while (pump(0) && child_status >= 0) {
        struct pollfd p = { .fd = master, .events = POLLIN };
        if (poll(&p, 1, 0) <= 0)
            break;
    }
    if (WIFEXITED(child_status))
        printf("status %d\n", WEXITSTATUS(child_status));
    else
        printf("signal %s\n", sig_name(WTERMSIG(child_status)));
    tcgetattr(slave, &after);
    compare(&before, &after);
    if (transcript)
        fclose(transcript);
    return 0;
}
