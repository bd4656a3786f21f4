/* pthread_create/join of 8 threads with results, thread-local storage,
 * mutex + condvar producer/consumer, atomics, a raw futex wait/wake,
 * pthread_detach, a barrier and a recursive mutex. */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest_check.h"

/* Not from <linux/futex.h>: musl-gcc's include path has no kernel headers. */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

#define NTHREADS 8

static __thread int tls_value = 1234;
static __thread char tls_buf[256];

static void *worker(void *arg)
{
    long id = (long)arg;
    CHECK(tls_value == 1234, "thread %ld: TLS initial value %d", id, tls_value);
    for (size_t i = 0; i < sizeof tls_buf; i++)
        CHECK(tls_buf[i] == 0, "TLS .tbss not zero");
    tls_value = (int)id * 100;
    memset(tls_buf, (int)id, sizeof tls_buf);
    long sum = 0;
    for (long i = 0; i <= 10000 * (id + 1); i++)
        sum += i;
    sched_yield();
    CHECK(tls_value == (int)id * 100 && tls_buf[255] == (char)id, "TLS clobbered");
    return (void *)sum;
}

static void create_join(void)
{
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0, "pthread_create %ld", i);
    for (long i = 0; i < NTHREADS; i++) {
        void *ret;
        CHECK(pthread_join(t[i], &ret) == 0, "pthread_join");
        long n = 10000 * (i + 1);
        CHECK((long)ret == n * (n + 1) / 2, "thread %ld returned %ld", i, (long)ret);
    }
    CHECK(tls_value == 1234, "main's TLS changed");
    OUT("create/join %d threads, TLS ok", NTHREADS);
}

/* Bounded buffer: 2 producers, 2 consumers. */
#define QCAP 16
#define ITEMS 20000
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qnotfull = PTHREAD_COND_INITIALIZER;
static pthread_cond_t qnotempty = PTHREAD_COND_INITIALIZER;
static long queue[QCAP];
static int qhead, qcount, producers_done;
static long consumed_sum, consumed_n;

static void *producer(void *arg)
{
    long base = (long)arg;
    for (long i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == QCAP)
            pthread_cond_wait(&qnotfull, &qlock);
        queue[(qhead + qcount) % QCAP] = base + i;
        qcount++;
        pthread_cond_signal(&qnotempty);
        pthread_mutex_unlock(&qlock);
    }
    pthread_mutex_lock(&qlock);
    producers_done++;
    pthread_cond_broadcast(&qnotempty);
    pthread_mutex_unlock(&qlock);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&qlock);
        while (qcount == 0 && producers_done < 2)
            pthread_cond_wait(&qnotempty, &qlock);
        if (qcount == 0) {
            pthread_mutex_unlock(&qlock);
            return NULL;
        }
        long v = queue[qhead];
        qhead = (qhead + 1) % QCAP;
        qcount--;
        consumed_sum += v;
        consumed_n++;
        pthread_cond_signal(&qnotfull);
        pthread_mutex_unlock(&qlock);
    }
}

static void producer_consumer(void)
{
    pthread_t p[2], c[2];
    CHECK(pthread_create(&c[0], NULL, consumer, NULL) == 0, "create");
    CHECK(pthread_create(&c[1], NULL, consumer, NULL) == 0, "create");
    CHECK(pthread_create(&p[0], NULL, producer, (void *)0L) == 0, "create");
    CHECK(pthread_create(&p[1], NULL, producer, (void *)1000000L) == 0, "create");
    for (int i = 0; i < 2; i++) {
        pthread_join(p[i], NULL);
        pthread_join(c[i], NULL);
    }
    long n = ITEMS;
    long want = 2 * (n * (n + 1) / 2) + 1000000L * n;
    CHECK(consumed_n == 2 * n && consumed_sum == want, "consumed %ld items sum %ld",
          consumed_n, consumed_sum);
    OUT("producer/consumer %ld items, sum %ld", consumed_n, consumed_sum);
}

static atomic_long counter;
static atomic_int spin;

static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100000; i++) {
        atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
        /* A CAS spin lock around a plain increment. */
        int z = 0;
        while (!atomic_compare_exchange_weak(&spin, &z, 1))
            z = 0;
        atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
        atomic_store(&spin, 0);
    }
    return NULL;
}

static void atomics(void)
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], NULL, adder, NULL) == 0, "create");
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    CHECK(atomic_load(&counter) == 2L * NTHREADS * 100000, "counter %ld",
          (long)atomic_load(&counter));
    OUT("atomics: counter %ld", (long)atomic_load(&counter));
}

static _Atomic uint32_t fword;
static atomic_int waiter_ready, waiter_woke;

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void *futex_waiter(void *arg)
{
    (void)arg;
    atomic_store(&waiter_ready, 1);
    while (atomic_load(&fword) == 0) {
        long r = futex(&fword, FUTEX_WAIT_PRIVATE, 0, NULL);
        CHECK(r == 0 || errno == EAGAIN || errno == EINTR, "FUTEX_WAIT");
    }
    atomic_store(&waiter_woke, 1);
    return NULL;
}

static void raw_futex(void)
{
    /* Wrong expected value: EAGAIN at once. */
    CHECK(futex(&fword, FUTEX_WAIT_PRIVATE, 7, NULL) == -1 && errno == EAGAIN,
          "FUTEX_WAIT with a stale value");
    /* A timeout: ETIMEDOUT. */
    struct timespec ts = {0, 1000000};
    CHECK(futex(&fword, FUTEX_WAIT_PRIVATE, 0, &ts) == -1 && errno == ETIMEDOUT,
          "FUTEX_WAIT timeout");
    CHECK(futex(&fword, FUTEX_WAKE_PRIVATE, 1, NULL) == 0, "wake with no waiters");

    pthread_t t;
    CHECK(pthread_create(&t, NULL, futex_waiter, NULL) == 0, "create");
    while (!atomic_load(&waiter_ready))
        sched_yield();
    usleep(2000);
    atomic_store(&fword, 1);
    long woken = futex(&fword, FUTEX_WAKE_PRIVATE, 1, NULL);
    CHECK(woken == 0 || woken == 1, "FUTEX_WAKE returned %ld", woken);
    pthread_join(t, NULL);
    CHECK(atomic_load(&waiter_woke), "waiter did not finish");
    OUT("raw futex wait/wake ok");
}

static sem_t detached_done;
static atomic_int detached_ran;

static void *detached(void *arg)
{
    (void)arg;
    atomic_store(&detached_ran, 1);
    sem_post(&detached_done);
    return NULL;
}

static void detach(void)
{
    CHECK(sem_init(&detached_done, 0, 0) == 0, "sem_init");
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, detached, NULL) == 0, "create");
        CHECK(pthread_detach(t) == 0, "detach");
    }
    for (int i = 0; i < 4; i++)
        while (sem_wait(&detached_done) != 0)
            CHECK(errno == EINTR, "sem_wait");
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 1 << 20);
    pthread_t t;
    CHECK(pthread_create(&t, &a, detached, NULL) == 0, "create detached");
    pthread_attr_destroy(&a);
    while (sem_wait(&detached_done) != 0)
        CHECK(errno == EINTR, "sem_wait");
    CHECK(atomic_load(&detached_ran), "detached thread did not run");
    OUT("detached threads ok");
}

static pthread_barrier_t bar;
static atomic_int before, after_bad;

static void *barrier_thread(void *arg)
{
    (void)arg;
    atomic_fetch_add(&before, 1);
    pthread_barrier_wait(&bar);
    if (atomic_load(&before) != NTHREADS)
        atomic_store(&after_bad, 1);
    return NULL;
}

static void barrier_and_recursive(void)
{
    pthread_t t[NTHREADS];
    CHECK(pthread_barrier_init(&bar, NULL, NTHREADS) == 0, "barrier init");
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], NULL, barrier_thread, NULL) == 0, "create");
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    CHECK(!atomic_load(&after_bad), "barrier let a thread through early");
    pthread_barrier_destroy(&bar);

    pthread_mutexattr_t ma;
    pthread_mutex_t m;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&m, &ma);
    CHECK(pthread_mutex_lock(&m) == 0 && pthread_mutex_lock(&m) == 0, "recursive lock");
    CHECK(pthread_mutex_unlock(&m) == 0 && pthread_mutex_unlock(&m) == 0, "unlock");
    CHECK(pthread_mutex_trylock(&m) == 0, "trylock");
    pthread_mutex_unlock(&m);
    pthread_mutex_destroy(&m);
    OUT("barrier + recursive mutex ok");
}

int main(void)
{
    create_join();
    producer_consumer();
    atomics();
    raw_futex();
    detach();
    barrier_and_recursive();
    CHECK(pthread_equal(pthread_self(), pthread_self()), "pthread_self");
    OUT("threads ok");
    return 0;
}
