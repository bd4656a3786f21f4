/* exit(42) from a second thread while the main thread is blocked in
 * pthread_join: the whole process exits with status 42. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "guest_check.h"

static void *exiter(void *arg)
{
    (void)arg;
    usleep(10000);
    OUT("thread calls exit(42)");
    exit(42);
}

int main(void)
{
    pthread_t t;
    OUT("main starts");
    CHECK(pthread_create(&t, NULL, exiter, NULL) == 0, "pthread_create");
    pthread_join(t, NULL);
    fprintf(stderr, "exit_code: pthread_join returned\n");
    return 1;
}
