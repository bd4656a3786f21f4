/* Races (also run under TSan): lost wake-ups between a waker and a waiter
 * on every path (spinning, futex sleep, host sleep, queues), interrupts
 * racing with wake-ups, and notifier register/unregister racing with
 * broadcasts. A lost wake-up hangs: alarm() turns that into a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "events/observer.h"
#include "events/waiter.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define ITERS 20000
#else
#define ITERS 200000
#endif

/* ---- queue ping-pong: two counters, two queues ---------------------- */

struct pp {
    struct waiter_queue q[2];
    atomic_long turn; /* even: thread 0 may go, odd: thread 1 */
    long iters;
    int mode;         /* 0 normal, 1 no spinning (futex path), 2 host mode */
    int hostfd;       /* never ready */
    atomic_int failures;
};

struct pp_arg {
    struct pp *pp;
    int me;
};

static bool my_turn_0(void *p) { return (atomic_load(&((struct pp *)p)->turn) & 1) == 0; }
static bool my_turn_1(void *p) { return (atomic_load(&((struct pp *)p)->turn) & 1) == 1; }

static void *pp_main(void *p)
{
    struct pp_arg *a = p;
    struct pp *pp = a->pp;
    bool (*cond)(void *) = a->me ? my_turn_1 : my_turn_0;
    struct waiter *w = waiter_current();
    for (long i = 0; i < pp->iters; i++) {
        if (pp->mode == 0) {
            if (waiter_queue_wait(&pp->q[a->me], cond, pp, WAIT_FOREVER) != 0)
                atomic_fetch_add(&pp->failures, 1);
        } else {
            struct wait_entry e;
            wait_entry_init(&e, w);
            waiter_queue_add(&pp->q[a->me], &e);
            while (!cond(pp)) {
                int r;
                if (pp->mode == 1) {
                    w->spin_ns = 0;
                    r = waiter_wait(w, WAIT_FOREVER);
                } else {
                    struct pollfd fd = { .fd = pp->hostfd, .events = POLLIN };
                    r = waiter_wait_host(w, &fd, 1, WAIT_FOREVER);
                }
                if (r != 0)
                    atomic_fetch_add(&pp->failures, 1);
                waiter_queue_add(&pp->q[a->me], &e);
            }
            waiter_queue_remove(&pp->q[a->me], &e);
        }
        atomic_fetch_add(&pp->turn, 1);
        waiter_queue_wake_all(&pp->q[!a->me]);
    }
    return NULL;
}

static void run_pp(int mode, long iters)
{
    struct pp pp = { .iters = iters, .mode = mode };
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pp.hostfd = fds[0];
    waiter_queue_init(&pp.q[0]);
    waiter_queue_init(&pp.q[1]);
    pthread_t th[2];
    struct pp_arg args[2] = { { &pp, 0 }, { &pp, 1 } };
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, pp_main, &args[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&pp.turn), 2 * iters);
    assert_int_equal(atomic_load(&pp.failures), 0);
    waiter_queue_destroy(&pp.q[0]);
    waiter_queue_destroy(&pp.q[1]);
    close(fds[0]);
    close(fds[1]);
}

static void test_pingpong_queue(void **state) { run_pp(0, ITERS); }
static void test_pingpong_futex(void **state) { run_pp(1, ITERS / 4); }
static void test_pingpong_host(void **state) { run_pp(2, ITERS / 10); }

/* ---- many waiters, wake_one: every token reaches someone ------------- */

struct tokens {
    struct waiter_queue q;
    atomic_long tokens;
    atomic_long taken;
    long total;
};

static bool token_cond(void *p)
{
    struct tokens *t = p;
    return atomic_load(&t->tokens) > 0 || atomic_load(&t->taken) >= t->total;
}

static void *token_taker(void *p)
{
    struct tokens *t = p;
    for (;;) {
        if (waiter_queue_wait(&t->q, token_cond, t, WAIT_FOREVER) != 0)
            abort();
        long v = atomic_load(&t->tokens);
        while (v > 0 && !atomic_compare_exchange_weak(&t->tokens, &v, v - 1))
            ;
        if (v > 0) {
            if (atomic_fetch_add(&t->taken, 1) + 1 == t->total)
                waiter_queue_wake_all(&t->q);
        } else if (atomic_load(&t->taken) >= t->total) {
            return NULL;
        }
    }
}

static void test_wake_one_tokens(void **state)
{
    struct tokens t = { .total = ITERS / 4 };
    waiter_queue_init(&t.q);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, token_taker, &t);
    for (long i = 0; i < t.total; i++) {
        atomic_fetch_add(&t.tokens, 1);
        waiter_queue_wake_one(&t.q);
        if ((i & 1023) == 0)
            usleep(50); /* let takers fall asleep sometimes */
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&t.taken), t.total);
    assert_int_equal(atomic_load(&t.tokens), 0);
    waiter_queue_destroy(&t.q);
}

/* ---- interrupts racing with wake-ups --------------------------------- */

struct intr {
    struct waiter *w;
    atomic_int ready;
    atomic_long seen;
    atomic_int stop;
};

static void *intr_victim(void *p)
{
    struct intr *a = p;
    a->w = waiter_current();
    atomic_store(&a->ready, 1);
    while (!atomic_load(&a->stop)) {
        int r = waiter_wait(a->w, waiter_deadline_after(1000000));
        if (r == -EINTR) {
            waiter_clear_interrupt(a->w);
            atomic_fetch_add(&a->seen, 1);
        }
    }
    return NULL;
}

static void test_interrupt_race(void **state)
{
    struct intr a = { 0 };
    pthread_t th;
    pthread_create(&th, NULL, intr_victim, &a);
    while (!atomic_load(&a.ready))
        usleep(100);
    long n = ITERS / 20;
    for (long i = 0; i < n; i++) {
        long before = atomic_load(&a.seen);
        waiter_wake(a.w); /* noise */
        waiter_interrupt(a.w);
        while (atomic_load(&a.seen) == before) /* each interrupt is seen */
            ;
    }
    atomic_store(&a.stop, 1);
    waiter_wake(a.w);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&a.seen), n);
}

/* ---- notifier churn --------------------------------------------------- */

struct churn_obs {
    struct observer obs;
    atomic_int alive; /* 0 once unregister returned */
};

static atomic_int churn_bad;

static void churn_fn(struct observer *obs, io_events_t ev, const void *info)
{
    struct churn_obs *c = obs->context;
    if (!atomic_load(&c->alive))
        atomic_fetch_add(&churn_bad, 1);
}

struct churn {
    struct notifier n;
    atomic_int stop;
};

static void *churn_bcast(void *p)
{
    struct churn *c = p;
    while (!atomic_load(&c->stop))
        notifier_broadcast(&c->n, IO_IN);
    return NULL;
}

static void *churn_reg(void *p)
{
    struct churn *c = p;
    for (int i = 0; i < ITERS / 20; i++) {
        struct churn_obs *o = malloc(sizeof *o);
        observer_init(&o->obs, churn_fn, o);
        atomic_store(&o->alive, 1);
        notifier_register(&c->n, &o->obs, IO_IN);
        for (int k = 0; k < (i & 7); k++)
            cpu_relax();
        notifier_unregister(&c->n, &o->obs);
        atomic_store(&o->alive, 0);
        for (int k = 0; k < 4; k++)
            cpu_relax();
        free(o);
    }
    return NULL;
}

static void test_notifier_churn(void **state)
{
    struct churn c;
    notifier_init(&c.n);
    atomic_store(&c.stop, 0);
    pthread_t b[2], r[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&b[i], NULL, churn_bcast, &c);
    for (int i = 0; i < 2; i++)
        pthread_create(&r[i], NULL, churn_reg, &c);
    for (int i = 0; i < 2; i++)
        pthread_join(r[i], NULL);
    atomic_store(&c.stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(b[i], NULL);
    assert_int_equal(atomic_load(&churn_bad), 0);
    assert_int_equal(notifier_count(&c.n), 0);
    notifier_destroy(&c.n);
}

int main(void)
{
    alarm(240);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pingpong_queue),
        cmocka_unit_test(test_pingpong_futex),
        cmocka_unit_test(test_pingpong_host),
        cmocka_unit_test(test_wake_one_tokens),
        cmocka_unit_test(test_interrupt_race),
        cmocka_unit_test(test_notifier_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
