/* vm_perms: prot validation (compared with native mprotect bit by bit),
 * host protection and the /proc/pid/maps string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/mman.h>

#include "util/compiler.h"
#include "vm/vm_perms.h"

static void test_valid_prots(void **state)
{
    uint32_t p = 0xdead;
    assert_int_equal(vm_perms_from_prot(PROT_NONE, &p), 0);
    assert_int_equal(p, VM_PERM_NONE);
    assert_int_equal(vm_perms_from_prot(PROT_READ | PROT_WRITE | PROT_EXEC, &p), 0);
    assert_int_equal(p, VM_PERM_RWX);
    assert_int_equal(vm_perms_from_prot(PROT_READ | PROT_GROWSDOWN, &p), 0);
    assert_int_equal(p, VM_PERM_READ | VM_PERM_GROWSDOWN);
    assert_int_equal(vm_perms_from_prot(PROT_WRITE | PROT_GROWSUP, &p), 0);
    assert_int_equal(p, VM_PERM_WRITE | VM_PERM_GROWSUP);
    /* PROT_SEM is accepted (as Linux x86-64 mprotect does) and dropped. */
    assert_int_equal(vm_perms_from_prot(PROT_READ | 0x8, &p), 0);
    assert_int_equal(p, VM_PERM_READ);
}

static void test_invalid_prots(void **state)
{
    uint32_t p = 0xdead;
    assert_int_equal(vm_perms_from_prot(0x10, &p), -EINVAL);
    assert_int_equal(vm_perms_from_prot(PROT_READ | 0x80000000, &p), -EINVAL);
    assert_int_equal(vm_perms_from_prot(-1, &p), -EINVAL);
    assert_int_equal(vm_perms_from_prot(PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP, &p), -EINVAL);
    assert_int_equal(p, 0xdead);
}

/* Every single bit other than the GROWS* ones (whose native result depends
 * on the VMA) gives the same verdict as native mprotect. */
static void test_bits_match_native_mprotect(void **state)
{
    void *m = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    for (int bit = 0; bit < 32; bit++) {
        int prot = PROT_READ | (int)(1u << bit);
        if (prot & (PROT_GROWSDOWN | PROT_GROWSUP))
            continue;
        int native = mprotect(m, PAGE_SIZE, prot) ? -errno : 0;
        uint32_t p;
        int ours = vm_perms_from_prot(prot, &p);
        if (ours != native)
            fail_msg("prot bit %d: ours %d native %d", bit, ours, native);
    }
    /* Both GROWS bits at once: EINVAL natively too. */
    assert_int_equal(mprotect(m, PAGE_SIZE, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP) ? -errno : 0,
                     -EINVAL);
    munmap(m, PAGE_SIZE);
}

static void test_to_host(void **state)
{
    assert_int_equal(vm_perms_to_host(VM_PERM_NONE), PROT_NONE);
    assert_int_equal(vm_perms_to_host(VM_PERM_READ), PROT_READ);
    assert_int_equal(vm_perms_to_host(VM_PERM_RWX), PROT_READ | PROT_WRITE | PROT_EXEC);
    assert_int_equal(vm_perms_to_host(VM_PERM_WRITE | VM_PERM_GROWSDOWN), PROT_WRITE);
    assert_int_equal(vm_perms_to_host(VM_PERM_EXEC | VM_PERM_GROWSUP), PROT_EXEC);
}

static void test_format(void **state)
{
    char s[5];
    vm_perms_format(VM_PERM_READ | VM_PERM_EXEC, false, s);
    assert_string_equal(s, "r-xp");
    vm_perms_format(VM_PERM_READ | VM_PERM_WRITE, true, s);
    assert_string_equal(s, "rw-s");
    vm_perms_format(VM_PERM_NONE, false, s);
    assert_string_equal(s, "---p");
    vm_perms_format(VM_PERM_RWX | VM_PERM_GROWSDOWN, false, s);
    assert_string_equal(s, "rwxp");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_prots),
        cmocka_unit_test(test_invalid_prots),
        cmocka_unit_test(test_bits_match_native_mprotect),
        cmocka_unit_test(test_to_host),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
