/* Prints one line, then dereferences NULL: the expected result is death by
 * SIGSEGV (status 139) natively and inside onespace. */
#include "guest_check.h"

int main(void)
{
    OUT("about to dereference NULL");
    *(volatile int *)0 = 1;
    fprintf(stderr, "segv_child: still alive after the NULL store\n");
    return 1;
}
