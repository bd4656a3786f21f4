/* thread_create_join: pthread_create of a thread that returns at once,
 * then pthread_join.  Usage: thread_create_join [N] */
#include <pthread.h>

#include "gbench.h"

static void *run(void *arg)
{
    return arg;
}

static void one(void)
{
    static int token;
    pthread_t t;
    void *res;
    if (pthread_create(&t, NULL, run, &token) != 0)
        gb_fail("pthread_create");
    if (pthread_join(t, &res) != 0 || res != &token)
        gb_fail("pthread_join");
}

int main(int argc, char **argv)
{
    long n = gb_count(argc, argv, 1, 2000);
    for (int i = 0; i < 20; i++)
        one();
    double t0 = gb_now_ns();
    for (long i = 0; i < n; i++)
        one();
    double t1 = gb_now_ns();
    gb_report("ns_per_op", (t1 - t0) / (double)n);
    return 0;
}
