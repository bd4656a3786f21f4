/* The /dev/sgx device of an instance: Occlum's ioctls on top of the
 * simulated platform (src/sgx/sgx.h).
 *
 * devfs (src/fs) passes every ioctl of /dev/sgx here with `arg` = the
 * argument struct already copied in by the syscall layer (its size and
 * direction come from the _IOC encoding, as for any encoded ioctl). The
 * structs hold guest pointers; they are checked through a hook the syscall
 * layer installs (it knows the calling process; fs and sgx do not), and
 * then used directly: guests live in onespace's address space. */
#ifndef ONESPACE_SGX_SGX_DEV_H
#define ONESPACE_SGX_SGX_DEV_H

#include <stddef.h>
#include <stdint.h>

/* 0 if [addr, addr+len) is mapped in the calling process with `prot`
 * (PROT_READ/PROT_WRITE), else -EFAULT. */
typedef int (*sgx_guest_check_fn)(uintptr_t addr, size_t len, int prot);
void sgx_dev_set_guest_check(sgx_guest_check_fn fn);

enum sgx_provider { SGX_PROVIDER_AUTO, SGX_PROVIDER_SIM, SGX_PROVIDER_INTEL, SGX_PROVIDER_OFF };

struct sgx_dev_config {
    const char *dir;          /* where the simulated platform persists; NULL = memory only */
    enum sgx_provider provider;
    uint8_t mr_enclave[32];   /* sgx_measure() of the instance */
    uint16_t isv_prod_id, isv_svn;
};
/* Configure the instance's device (before guests run). Without a call the
 * device uses an in-memory simulated platform, opened at first use. */
int sgx_dev_configure(const struct sgx_dev_config *c);

/* Configure on first use instead: fn(arg) runs once, before the first
 * ioctl (it calls sgx_dev_configure). Measuring the program and opening the
 * platform cost more than the rest of an instance's start-up, and most
 * programs never touch /dev/sgx. NULL: forget a pending one. */
void sgx_dev_set_lazy_configure(void (*fn)(void *arg), void *arg);
void sgx_dev_shutdown(void);

/* 1 if the DCAP ioctls are compiled in (ONESPACE_DISABLE_DCAP not set). */
int sgx_dev_dcap_compiled(void);

/* An ioctl on /dev/sgx: 0 or a negative errno. */
int sgx_dev_ioctl(unsigned long cmd, void *arg);

#endif
