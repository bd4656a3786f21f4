/* pipe_throughput_proc: MiB through a pipe from this process to a child
 * in 128 KiB writes (the child reads 128 KiB at a time and acknowledges
 * the last byte on a second pipe).  Prints mb_per_s (10^6 bytes/s).
 * Usage: pipe_throughput [MIB] */
#include "pipe_proc.h"

#define CHUNK (128 * 1024)

static char buf[CHUNK];

static int child_sink(long long total)
{
    char c = 'r';
    if (write(1, &c, 1) != 1)           /* ready */
        return 1;
    long long got = 0;
    while (got < total) {
        ssize_t r = read(0, buf, CHUNK);
        if (r <= 0)
            return 1;
        got += r;
    }
    c = 'a';
    if (write(1, &c, 1) != 1)           /* all received */
        return 1;
    return read(0, &c, 1) == 0 ? 0 : 1;   /* wait for EOF */
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "sink"))
        return child_sink(atoll(argv[2]));
    long mib = gb_count(argc, argv, 1, 2048);
    long long total = (long long)mib * 1024 * 1024;
    char arg[32];
    snprintf(arg, sizeof arg, "%lld", total);
    memset(buf, 'p', sizeof buf);
    struct peer p = peer_spawn(argv[0], "sink", arg);
    char c;
    if (read(p.from_child, &c, 1) != 1 || c != 'r')
        gb_fail("ready");
    double t0 = gb_now_ns();
    for (long long sent = 0; sent < total;) {
        ssize_t w = write(p.to_child, buf, CHUNK);
        if (w <= 0)
            gb_fail("write");
        sent += w;
    }
    if (read(p.from_child, &c, 1) != 1 || c != 'a')
        gb_fail("ack");
    double t1 = gb_now_ns();
    peer_finish(&p);
    gb_report("mb_per_s", (double)total / 1e6 / ((t1 - t0) / 1e9));
    return 0;
}
