/* Notifier / Observer: filtering, IO_CLOSED, errors, and the rules that
 * Occlum's notifier breaks: a dying or unregistering observer never stops
 * the others; unregister during a broadcast (from inside a callback, or
 * from another thread) is safe and, once it returns, the callback is not
 * running and never runs again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "events/observer.h"
#include "events/pollee.h"

struct rec {
    struct observer obs;
    atomic_int calls;
    atomic_uint last;
    const void *last_info;
    struct notifier *n;
    struct rec *victim; /* unregister this one when called */
    bool unregister_self;
};

static void rec_fn(struct observer *obs, io_events_t ev, const void *info)
{
    struct rec *r = obs->context;
    atomic_fetch_add(&r->calls, 1);
    atomic_store(&r->last, ev);
    r->last_info = info;
    if (r->victim)
        notifier_unregister(r->n, &r->victim->obs);
    if (r->unregister_self)
        notifier_unregister(r->n, &r->obs);
}

static void rec_init(struct rec *r, struct notifier *n)
{
    *r = (struct rec){ 0 };
    observer_init(&r->obs, rec_fn, r);
    r->n = n;
}

static void test_filter_and_closed(void **state)
{
    struct notifier n;
    struct rec a, b;
    notifier_init(&n);
    rec_init(&a, &n);
    rec_init(&b, &n);
    assert_int_equal(notifier_register(&n, &a.obs, IO_IN), 0);
    assert_int_equal(notifier_register(&n, &b.obs, IO_OUT | IO_HUP), 0);
    assert_int_equal(notifier_count(&n), 2);

    assert_int_equal(notifier_broadcast(&n, IO_IN | IO_RDNORM), 1);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.last, IO_IN); /* filtered by the mask */
    assert_int_equal(b.calls, 0);

    assert_int_equal(notifier_broadcast(&n, IO_OUT | IO_IN), 2);
    assert_int_equal(b.last, IO_OUT);

    int tag;
    assert_int_equal(notifier_broadcast_info(&n, IO_CLOSED, &tag), 2);
    assert_int_equal(a.last, IO_CLOSED);
    assert_ptr_equal(a.last_info, &tag);

    notifier_set_mask(&n, &a.obs, IO_PRI);
    assert_int_equal(notifier_broadcast(&n, IO_IN), 0);
    assert_int_equal(notifier_broadcast(&n, IO_PRI), 1);

    assert_int_equal(notifier_unregister(&n, &a.obs), 0);
    assert_int_equal(notifier_unregister(&n, &b.obs), 0);
    assert_int_equal(notifier_count(&n), 0);
    assert_int_equal(notifier_broadcast(&n, IO_ALL_POLL), 0);
    notifier_destroy(&n);
}

static void test_errors(void **state)
{
    struct notifier n, m;
    struct rec a;
    notifier_init(&n);
    notifier_init(&m);
    rec_init(&a, &n);
    assert_int_equal(notifier_unregister(&n, &a.obs), -ENOENT);
    assert_int_equal(notifier_register(&n, &a.obs, IO_IN), 0);
    assert_int_equal(notifier_register(&n, &a.obs, IO_IN), -EBUSY);
    assert_int_equal(notifier_register(&m, &a.obs, IO_IN), -EBUSY);
    assert_int_equal(notifier_unregister(&m, &a.obs), -ENOENT);
    assert_true(observer_is_registered(&a.obs));
    assert_int_equal(notifier_unregister(&n, &a.obs), 0);
    assert_false(observer_is_registered(&a.obs));
    assert_int_equal(notifier_unregister(&n, &a.obs), -ENOENT);
    struct observer bad;
    observer_init(&bad, NULL, NULL);
    assert_int_equal(notifier_register(&n, &bad, IO_IN), -EINVAL);
    notifier_destroy(&n);
    notifier_destroy(&m);
}

/* A callback that unregisters a LATER observer: that one is skipped, the
 * ones after it are still notified. */
static void test_unregister_other_during_broadcast(void **state)
{
    struct notifier n;
    struct rec a, b, c;
    notifier_init(&n);
    rec_init(&a, &n);
    rec_init(&b, &n);
    rec_init(&c, &n);
    a.victim = &b;
    notifier_register(&n, &a.obs, IO_IN);
    notifier_register(&n, &b.obs, IO_IN);
    notifier_register(&n, &c.obs, IO_IN);
    assert_int_equal(notifier_broadcast(&n, IO_IN), 2);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 0);
    assert_int_equal(c.calls, 1);
    a.victim = NULL;
    assert_int_equal(notifier_broadcast(&n, IO_IN), 2);
    assert_int_equal(c.calls, 2);
    notifier_unregister(&n, &a.obs);
    notifier_unregister(&n, &c.obs);
    notifier_destroy(&n);
}

/* A callback that unregisters ITSELF: no deadlock, the others still get
 * this broadcast, it never gets another. */
static void test_unregister_self_during_broadcast(void **state)
{
    struct notifier n;
    struct rec a, b, c;
    notifier_init(&n);
    rec_init(&a, &n);
    rec_init(&b, &n);
    rec_init(&c, &n);
    b.unregister_self = true;
    notifier_register(&n, &a.obs, IO_IN);
    notifier_register(&n, &b.obs, IO_IN);
    notifier_register(&n, &c.obs, IO_IN);
    assert_int_equal(notifier_broadcast(&n, IO_IN), 3);
    assert_false(observer_is_registered(&b.obs));
    assert_int_equal(notifier_broadcast(&n, IO_IN), 2);
    assert_int_equal(a.calls, 2);
    assert_int_equal(b.calls, 1);
    assert_int_equal(c.calls, 2);
    /* Every observer unregistering itself at once (e.g. on IO_CLOSED). */
    a.unregister_self = c.unregister_self = true;
    assert_int_equal(notifier_broadcast(&n, IO_CLOSED), 2);
    assert_int_equal(notifier_count(&n), 0);
    notifier_destroy(&n);
}

/* Unregister from another thread while the callback runs: unregister
 * waits for the callback, and afterwards the callback never runs. */
struct slow {
    struct observer obs;
    atomic_int inside;
    atomic_int entered;
    atomic_int after_unregister; /* calls that started after unregister returned */
    atomic_int unregistered;
};

static void slow_fn(struct observer *obs, io_events_t ev, const void *info)
{
    struct slow *s = obs->context;
    if (atomic_load(&s->unregistered))
        atomic_fetch_add(&s->after_unregister, 1);
    atomic_store(&s->inside, 1);
    atomic_fetch_add(&s->entered, 1);
    usleep(2000);
    atomic_store(&s->inside, 0);
}

struct bcast_arg {
    struct notifier *n;
    atomic_int stop;
};

static void *broadcaster(void *p)
{
    struct bcast_arg *a = p;
    while (!atomic_load(&a->stop))
        notifier_broadcast(a->n, IO_IN);
    return NULL;
}

static void test_unregister_waits_for_running_callback(void **state)
{
    struct notifier n;
    notifier_init(&n);
    struct bcast_arg a = { &n, 0 };
    pthread_t th[2];
    for (int round = 0; round < 20; round++) {
        struct slow *s = calloc(1, sizeof *s);
        observer_init(&s->obs, slow_fn, s);
        assert_int_equal(notifier_register(&n, &s->obs, IO_IN), 0);
        if (round == 0)
            for (int i = 0; i < 2; i++)
                pthread_create(&th[i], NULL, broadcaster, &a);
        while (atomic_load(&s->entered) == 0)
            usleep(100);
        assert_int_equal(notifier_unregister(&n, &s->obs), 0);
        /* Not running now, and never again. */
        assert_int_equal(atomic_load(&s->inside), 0);
        atomic_store(&s->unregistered, 1);
        usleep(3000);
        assert_int_equal(atomic_load(&s->after_unregister), 0);
        assert_int_equal(atomic_load(&s->inside), 0);
        free(s); /* ASan: any later use is caught */
    }
    atomic_store(&a.stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    notifier_destroy(&n);
}

/* Pollee: poll-and-register, add/del/set, destroy -> IO_CLOSED. */
static void pollee_closer(struct observer *obs, io_events_t ev, const void *info)
{
    struct rec *r = obs->context;
    atomic_fetch_add(&r->calls, 1);
    atomic_store(&r->last, ev);
    if (ev & IO_CLOSED)
        pollee_unregister((struct pollee *)info, obs);
}

static void test_pollee(void **state)
{
    struct pollee p;
    struct rec r = { 0 };
    pollee_init(&p, IO_OUT);
    observer_init(&r.obs, pollee_closer, &r);
    assert_int_equal(pollee_poll(&p, IO_IN), 0);
    assert_int_equal(pollee_poll(&p, IO_OUT), IO_OUT);
    assert_int_equal(pollee_poll_and_register(&p, IO_IN, &r.obs), 0);
    assert_true(observer_is_registered(&r.obs));
    pollee_add_events(&p, IO_IN);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.last, IO_IN);
    assert_int_equal(pollee_poll(&p, IO_IN | IO_OUT), IO_IN | IO_OUT);
    pollee_add_events(&p, IO_IN); /* every arrival is broadcast (ET) */
    assert_int_equal(r.calls, 2);
    pollee_del_events(&p, IO_IN);
    assert_int_equal(r.calls, 2);
    assert_int_equal(pollee_poll(&p, IO_IN), 0);
    pollee_set_events(&p, IO_HUP);
    /* poll-and-register adds IO_ALWAYS to the filter (poll semantics) */
    assert_int_equal(r.calls, 3);
    assert_int_equal(r.last, IO_HUP);
    pollee_destroy(&p);
    assert_false(observer_is_registered(&r.obs));
    assert_int_equal(r.last, IO_CLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_and_closed),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unregister_other_during_broadcast),
        cmocka_unit_test(test_unregister_self_during_broadcast),
        cmocka_unit_test(test_unregister_waits_for_running_callback),
        cmocka_unit_test(test_pollee),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
