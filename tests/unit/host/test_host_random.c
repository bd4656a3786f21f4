/* host_random_bytes: fills the whole buffer, differs between calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/host_ids.h"
#include "host/host_random.h"

#include <unistd.h>

static void test_fills(void **state)
{
    (void)state;
    assert_int_equal(host_random_bytes(NULL, 0), 0);
    /* 4 MiB (getrandom may return it in pieces): no 4 KiB page stays zero. */
    size_t len = 4UL << 20;
    unsigned char *a = calloc(1, len), *b = calloc(1, len);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(host_random_bytes(a, len), 0);
    assert_int_equal(host_random_bytes(b, len), 0);
    static const unsigned char zero[4096];
    for (size_t off = 0; off < len; off += 4096)
        assert_memory_not_equal(a + off, zero, 4096);
    assert_memory_not_equal(a, b, 64);
    free(a);
    free(b);
}

static void test_ids(void **state)
{
    (void)state;
    struct host_ids ids;
    host_ids_get(&ids);
    assert_int_equal(ids.uid, getuid());
    assert_int_equal(ids.euid, geteuid());
    assert_int_equal(ids.gid, getgid());
    assert_int_equal(ids.egid, getegid());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fills),
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
