/* A guest program run inside onespace with ONESPACE_FAULT set (see
 * ../guest.cmake): it checks that the injected host failure reaches it as
 * the Linux errno and that it can carry on.
 *   fault_guest thread   (ONESPACE_FAULT=thread_create:2; the 1st host
 *                         thread is the guest's main thread)
 *       pthread_create fails with EAGAIN, a second one works.
 *   fault_guest write    (ONESPACE_FAULT=file_write:2:EIO)
 *       the 2nd write to a file fails with EIO; the 1st and 3rd are kept. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *thread_fn(void *arg)
{
    *(int *)arg = 1;
    return NULL;
}

static int thread_case(void)
{
    pthread_t t;
    int ran = 0;
    int r = pthread_create(&t, NULL, thread_fn, &ran);
    if (r != EAGAIN) {
        printf("pthread_create: expected EAGAIN, got %d\n", r);
        return 1;
    }
    printf("pthread_create: EAGAIN\n");
    r = pthread_create(&t, NULL, thread_fn, &ran);
    if (r != 0 || pthread_join(t, NULL) != 0 || !ran) {
        printf("second pthread_create: %d, ran %d\n", r, ran);
        return 1;
    }
    printf("second thread ran\n");
    return 0;
}

static int write_case(void)
{
    /* No output before the writes: they are the first host writes. */
    int fd = open("/fault_guest_file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 2;
    ssize_t a = write(fd, "abc", 3);
    ssize_t b = write(fd, "XYZ", 3);
    int berr = errno;
    ssize_t c = write(fd, "def", 3);
    char buf[16] = { 0 };
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink("/fault_guest_file");
    printf("write: %zd %zd(%s) %zd, file \"%s\" (%zd)\n", a, b, b < 0 ? strerror(berr) : "-",
           c, buf, n);
    return a == 3 && b == -1 && berr == EIO && c == 3 && strcmp(buf, "abcdef") == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "thread") == 0)
        return thread_case();
    if (argc > 1 && strcmp(argv[1], "write") == 0)
        return write_case();
    printf("usage: fault_guest thread|write\n");
    return 2;
}
