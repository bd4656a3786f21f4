/* Waiter and WaiterQueue: wake before wait, timeouts (relative and
 * absolute), interrupts (EINTR, sticky until cleared), the futex path, the
 * host mode (host fd readiness, LibOS wake, timeout, interrupt in one
 * sleep), wake_one / wake_all, and the deadline helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "events/waiter.h"

#define MS 1000000ull

static void test_wake_before_wait(void **state)
{
    struct waiter *w = waiter_current();
    assert_ptr_equal(w, waiter_current());
    waiter_wake(w);
    waiter_wake(w); /* wakes do not accumulate */
    assert_int_equal(waiter_wait(w, WAIT_FOREVER), 0);
    /* consumed: the next wait times out */
    assert_int_equal(waiter_wait(w, waiter_deadline_after(5 * MS)), -ETIMEDOUT);
}

static void test_timeouts(void **state)
{
    struct waiter *w = waiter_current();
    uint64_t t0 = waiter_now_ns();
    uint64_t dl = waiter_deadline_after(30 * MS); /* beyond the spin */
    assert_int_equal(waiter_wait(w, dl), -ETIMEDOUT);
    assert_true(waiter_now_ns() >= dl); /* never early */
    assert_true(waiter_now_ns() - t0 >= 30 * MS);
    /* an absolute deadline in the past returns at once */
    assert_int_equal(waiter_wait(w, waiter_now_ns() - 1), -ETIMEDOUT);
    assert_int_equal(waiter_wait(w, 0), -ETIMEDOUT);
    /* zero relative timeout */
    assert_int_equal(waiter_wait(w, waiter_deadline_after(0)), -ETIMEDOUT);
}

static void test_deadline_helpers(void **state)
{
    uint64_t dl;
    struct timespec ts = { 0, 1000000000L };
    assert_int_equal(waiter_deadline_from_timespec(&ts, false, &dl), -EINVAL);
    ts = (struct timespec){ -1, 0 };
    assert_int_equal(waiter_deadline_from_timespec(&ts, false, &dl), -EINVAL);
    ts = (struct timespec){ 0, -1 };
    assert_int_equal(waiter_deadline_from_timespec(&ts, true, &dl), -EINVAL);
    assert_int_equal(waiter_deadline_from_timespec(NULL, false, &dl), 0);
    assert_true(dl == WAIT_FOREVER);
    ts = (struct timespec){ 2, 5 };
    assert_int_equal(waiter_deadline_from_timespec(&ts, true, &dl), 0);
    assert_true(dl == 2000000005ull);
    uint64_t before = waiter_now_ns();
    assert_int_equal(waiter_deadline_from_timespec(&ts, false, &dl), 0);
    assert_true(dl >= before + 2000000005ull);
    ts = (struct timespec){ INT64_MAX, 0 };
    assert_int_equal(waiter_deadline_from_timespec(&ts, false, &dl), 0);
    assert_true(dl == WAIT_FOREVER);
    assert_true(waiter_deadline_after(UINT64_MAX - 5) == WAIT_FOREVER);
    assert_true(waiter_remaining_ns(WAIT_FOREVER) == WAIT_FOREVER);
    assert_true(waiter_remaining_ns(1) == 0);
    uint64_t r = waiter_remaining_ns(waiter_deadline_after(1000 * MS));
    assert_true(r > 0 && r <= 1000 * MS);
}

struct sleeper {
    struct waiter *w;
    atomic_int ready;
    int result;
    uint64_t deadline;
    struct pollfd *fds;
    unsigned nfds;
};

static void *sleeper_main(void *p)
{
    struct sleeper *s = p;
    s->w = waiter_current();
    atomic_store(&s->ready, 1);
    if (s->fds)
        s->result = waiter_wait_host(s->w, s->fds, s->nfds, s->deadline);
    else
        s->result = waiter_wait(s->w, s->deadline);
    return NULL;
}

/* Start a sleeper and wait until it is really asleep (futex or ppoll),
 * past its spin. */
static void start_sleeper(pthread_t *th, struct sleeper *s)
{
    pthread_create(th, NULL, sleeper_main, s);
    while (!atomic_load(&s->ready))
        usleep(100);
    for (int i = 0; i < 10000; i++) {
        unsigned st = atomic_load(&s->w->state);
        if (st == WAITER_FUTEX_SLEEP || st == WAITER_HOST_SLEEP)
            break;
        usleep(500);
    }
    usleep(5000); /* and inside the host call, most likely */
}

static void test_wake_sleeping_thread(void **state)
{
    pthread_t th;
    struct sleeper s = { .deadline = WAIT_FOREVER };
    start_sleeper(&th, &s);
    assert_int_equal(atomic_load(&s.w->state), WAITER_FUTEX_SLEEP);
    waiter_wake(s.w);
    pthread_join(th, NULL);
    assert_int_equal(s.result, 0);
}

static void test_interrupt(void **state)
{
    pthread_t th;
    struct sleeper s = { .deadline = WAIT_FOREVER };
    start_sleeper(&th, &s);
    waiter_interrupt(s.w);
    pthread_join(th, NULL);
    assert_int_equal(s.result, -EINTR);

    /* Interrupt before the wait; sticky until cleared. */
    struct waiter *w = waiter_current();
    waiter_interrupt(w);
    assert_true(waiter_interrupt_pending(w));
    assert_int_equal(waiter_wait(w, WAIT_FOREVER), -EINTR);
    assert_int_equal(waiter_wait(w, WAIT_FOREVER), -EINTR);
    waiter_clear_interrupt(w);
    assert_false(waiter_interrupt_pending(w));
    /* the wake that came with the interrupt may still be pending: a
     * spurious 0 is allowed, then a real timeout */
    int r = waiter_wait(w, waiter_deadline_after(2 * MS));
    assert_true(r == 0 || r == -ETIMEDOUT);
    assert_int_equal(waiter_wait(w, waiter_deadline_after(2 * MS)), -ETIMEDOUT);
}

static void test_own_waiter_binding(void **state)
{
    struct waiter mine;
    waiter_init(&mine);
    struct waiter *def = waiter_current();
    waiter_bind_current(&mine);
    assert_ptr_equal(waiter_current(), &mine);
    waiter_wake(&mine);
    assert_int_equal(waiter_wait(waiter_current(), WAIT_FOREVER), 0);
    waiter_bind_current(NULL);
    assert_ptr_equal(waiter_current(), def);
    waiter_destroy(&mine);
}

static void test_host_mode(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct waiter *w = waiter_current();
    struct pollfd fd = { .fd = p[0], .events = POLLIN };

    /* timeout */
    assert_int_equal(waiter_wait_host(w, &fd, 1, waiter_deadline_after(20 * MS)),
                     -ETIMEDOUT);
    assert_int_equal(fd.revents, 0);
    /* host readiness */
    assert_int_equal(write(p[1], "x", 1), 1);
    assert_int_equal(waiter_wait_host(w, &fd, 1, WAIT_FOREVER), 1);
    assert_true(fd.revents & POLLIN);
    char c;
    assert_int_equal(read(p[0], &c, 1), 1);
    /* wake before the wait */
    waiter_wake(w);
    assert_int_equal(waiter_wait_host(w, &fd, 1, WAIT_FOREVER), 0);

    /* LibOS wake of a thread asleep in the host */
    pthread_t th;
    struct pollfd fd2 = { .fd = p[0], .events = POLLIN };
    struct sleeper s = { .deadline = WAIT_FOREVER, .fds = &fd2, .nfds = 1 };
    start_sleeper(&th, &s);
    assert_int_equal(atomic_load(&s.w->state), WAITER_HOST_SLEEP);
    waiter_wake(s.w);
    pthread_join(th, NULL);
    assert_int_equal(s.result, 0);

    /* interrupt of a thread asleep in the host */
    struct sleeper s2 = { .deadline = WAIT_FOREVER, .fds = &fd2, .nfds = 1 };
    start_sleeper(&th, &s2);
    waiter_interrupt(s2.w);
    pthread_join(th, NULL);
    assert_int_equal(s2.result, -EINTR);

    /* host readiness wakes a sleeping thread */
    struct sleeper s3 = { .deadline = WAIT_FOREVER, .fds = &fd2, .nfds = 1 };
    start_sleeper(&th, &s3);
    assert_int_equal(write(p[1], "y", 1), 1);
    pthread_join(th, NULL);
    assert_int_equal(s3.result, 1);
    assert_true(fd2.revents & POLLIN);

    /* many fds (beyond the on-stack array) */
    struct pollfd many[40];
    for (int i = 0; i < 40; i++)
        many[i] = (struct pollfd){ .fd = i == 39 ? p[0] : p[1], .events = i == 39 ? POLLIN : 0 };
    assert_int_equal(waiter_wait_host(w, many, 40, WAIT_FOREVER), 1);
    assert_true(many[39].revents & POLLIN);
    close(p[0]);
    close(p[1]);
}

static void test_queue_wake_one_all(void **state)
{
    struct waiter_queue q;
    waiter_queue_init(&q);
    struct waiter a, b;
    waiter_init(&a);
    waiter_init(&b);
    struct wait_entry ea, eb;
    wait_entry_init(&ea, &a);
    wait_entry_init(&eb, &b);
    assert_int_equal(waiter_queue_wake_one(&q), 0);
    waiter_queue_add(&q, &ea);
    waiter_queue_add(&q, &ea); /* idempotent */
    waiter_queue_add(&q, &eb);
    assert_int_equal(atomic_load(&q.count), 2);

    /* wake_one: FIFO, dequeues, marks the entry */
    assert_int_equal(waiter_queue_wake_one(&q), 1);
    assert_int_equal(atomic_load(&a.state), WAITER_WOKEN);
    assert_int_equal(atomic_load(&b.state), WAITER_RUNNING);
    assert_true(waiter_queue_remove(&q, &ea)); /* consumed an exclusive wake */
    assert_false(waiter_queue_remove(&q, &ea));
    atomic_store(&a.state, WAITER_RUNNING);

    /* wake_all: everyone, entries stay */
    waiter_queue_add(&q, &ea);
    assert_int_equal(waiter_queue_wake_all(&q), 2);
    assert_int_equal(atomic_load(&a.state), WAITER_WOKEN);
    assert_int_equal(atomic_load(&b.state), WAITER_WOKEN);
    assert_int_equal(atomic_load(&q.count), 2);
    assert_false(waiter_queue_remove(&q, &ea));
    assert_false(waiter_queue_remove(&q, &eb));
    assert_int_equal(atomic_load(&q.count), 0);
    assert_int_equal(waiter_queue_wake_all(&q), 0);
    waiter_queue_destroy(&q);
    waiter_destroy(&a);
    waiter_destroy(&b);
}

/* waiter_queue_wait: condition already true; timeout; interrupt. */
static bool flag_cond(void *arg) { return atomic_load((atomic_int *)arg) != 0; }

struct qw {
    struct waiter_queue *q;
    atomic_int *flag;
    struct waiter *w;
    atomic_int ready;
    int result;
};

static void *qw_main(void *p)
{
    struct qw *a = p;
    a->w = waiter_current();
    atomic_store(&a->ready, 1);
    a->result = waiter_queue_wait(a->q, flag_cond, a->flag, WAIT_FOREVER);
    return NULL;
}

static void test_queue_wait(void **state)
{
    struct waiter_queue q;
    waiter_queue_init(&q);
    atomic_int flag = 1;
    assert_int_equal(waiter_queue_wait(&q, flag_cond, &flag, WAIT_FOREVER), 0);
    atomic_store(&flag, 0);
    assert_int_equal(waiter_queue_wait(&q, flag_cond, &flag, waiter_deadline_after(5 * MS)),
                     -ETIMEDOUT);
    assert_int_equal(atomic_load(&q.count), 0);

    pthread_t th;
    struct qw a = { .q = &q, .flag = &flag };
    pthread_create(&th, NULL, qw_main, &a);
    while (!atomic_load(&a.ready))
        usleep(100);
    usleep(50 * 1000);
    atomic_store(&flag, 1);
    waiter_queue_wake_one(&q);
    pthread_join(th, NULL);
    assert_int_equal(a.result, 0);

    atomic_store(&flag, 0);
    struct qw b = { .q = &q, .flag = &flag };
    pthread_create(&th, NULL, qw_main, &b);
    while (!atomic_load(&b.ready))
        usleep(100);
    usleep(50 * 1000);
    waiter_interrupt(b.w);
    pthread_join(th, NULL);
    assert_int_equal(b.result, -EINTR);
    assert_int_equal(atomic_load(&q.count), 0);
    waiter_queue_destroy(&q);
}

int main(void)
{
    alarm(120); /* a lost wake-up hangs: fail instead */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wake_before_wait),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_deadline_helpers),
        cmocka_unit_test(test_wake_sleeping_thread),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_own_waiter_binding),
        cmocka_unit_test(test_host_mode),
        cmocka_unit_test(test_queue_wake_one_all),
        cmocka_unit_test(test_queue_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
