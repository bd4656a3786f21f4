/* pipe_pingpong_proc: a 1-byte round trip between two processes over two
 * pipes (parent writes, child echoes).  Usage: pipe_pingpong [N] */
#include "pipe_proc.h"

static int child_echo(void)
{
    char c;
    ssize_t r;
    while ((r = read(0, &c, 1)) == 1)
        if (write(1, &c, 1) != 1)
            return 1;
    return r == 0 ? 0 : 1;
}

static void round_trip(struct peer *p)
{
    char c = 'x';
    if (write(p->to_child, &c, 1) != 1)
        gb_fail("write");
    if (read(p->from_child, &c, 1) != 1)
        gb_fail("read");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "echo"))
        return child_echo();
    long n = gb_count(argc, argv, 1, 20000);
    struct peer p = peer_spawn(argv[0], "echo", NULL);
    for (int i = 0; i < 200; i++)
        round_trip(&p);
    double t0 = gb_now_ns();
    for (long i = 0; i < n; i++)
        round_trip(&p);
    double t1 = gb_now_ns();
    peer_finish(&p);
    gb_report("ns_per_op", (t1 - t0) / (double)n);
    return 0;
}
