/* Socket syscalls over src/net/socket.h: guest addresses, lengths,
 * message headers and options are copied in and out like Linux
 * (net/socket.c: move_addr_to_kernel / move_addr_to_user). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#ifndef MSG_CMSG_COMPAT
#define MSG_CMSG_COMPAT 0x80000000
#endif

#include "fs/vfs.h"
#include "net/socket.h"
#include "syscall/sys_fd_internal.h"

/* Linux's default net.core.optmem_max: the largest control message. */
#define SOCK_CONTROL_MAX 20480
/* Options larger than this are copied through the heap. */
#define SOCKOPT_STACK 512
#define SOCKOPT_MAX (1u << 20)

/* move_addr_to_kernel: 0 or -EINVAL / -EFAULT. */
static int addr_in(struct thread *self, uintptr_t uaddr, uint64_t ulen,
                   struct sockaddr_storage *ss)
{
    if ((int)ulen < 0 || ulen > sizeof *ss)
        return -EINVAL;
    memset(ss, 0, sizeof *ss);
    return uaccess_read(self->proc, ss, uaddr, (size_t)ulen);
}

/* The guest's *addrlen (in), for calls that return an address. */
static int addrlen_in(struct thread *self, uintptr_t ulenp, socklen_t *len)
{
    int l;
    int err = uaccess_read(self->proc, &l, ulenp, sizeof l);
    if (err)
        return err;
    if (l < 0)
        return -EINVAL;
    *len = (socklen_t)l;
    return 0;
}

/* move_addr_to_user: copy min(ulen, klen) bytes, store klen. */
static int addr_out(struct thread *self, const struct sockaddr_storage *ss,
                    socklen_t klen, uintptr_t uaddr, socklen_t ulen, uintptr_t ulenp)
{
    if (klen > sizeof *ss)
        klen = sizeof *ss;
    socklen_t n = ulen < klen ? ulen : klen;
    if (n) {
        int err = uaccess_write(self->proc, uaddr, ss, n);
        if (err)
            return err;
    }
    int l = (int)klen;
    return uaccess_write(self->proc, ulenp, &l, sizeof l);
}

SYS_STATIC(socket)
{
    return socket_install(sys_fds(self), (int)a[0], (int)a[1], (int)a[2]);
}

SYS_STATIC(socketpair)
{
    uintptr_t usv = (uintptr_t)a[3];
    int err = uaccess_check(self->proc, usv, 2 * sizeof(int), PROT_WRITE);
    if (err)
        return err;
    int sv[2];
    err = socket_pair_install(sys_fds(self), (int)a[0], (int)a[1], (int)a[2], sv);
    if (err)
        return err;
    err = uaccess_write(self->proc, usv, sv, sizeof sv);
    if (err) {
        fd_table_close(sys_fds(self), sv[0]);
        fd_table_close(sys_fds(self), sv[1]);
    }
    return err;
}

/* An AF_UNIX path name is a guest path: the VFS resolves its directory,
 * and the host sees /proc/self/fd/N/NAME (N: that directory's host fd),
 * so the socket file lands in the guest's file tree and a long host path
 * of the image still fits sun_path. Abstract and unnamed addresses pass
 * unchanged. *dir (to put after the call) holds the directory open. */
static int unix_addr_to_host(struct thread *self, struct sockaddr_storage *ss,
                             socklen_t *len, struct file **dir)
{
    struct sockaddr_un *su = (struct sockaddr_un *)ss;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    *dir = NULL;
    if (su->sun_family != AF_UNIX || *len <= off || su->sun_path[0] == '\0')
        return 0;
    char path[sizeof su->sun_path + 1];
    size_t n = strnlen(su->sun_path, *len - off);   /* may lack its NUL */
    memcpy(path, su->sun_path, n);
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    const char *dname = ".", *base = path;
    if (slash == path) {
        dname = "/";
        base = path + 1;
    } else if (slash) {
        *slash = '\0';
        dname = path;
        base = slash + 1;
    }
    if (!*base)
        return -ENOENT;     /* "dir/": no name to bind or connect to */
    struct file *d;
    int err = vfs_openat(self->proc->fs, NULL, dname, O_PATH | O_DIRECTORY, 0, &d);
    if (err)
        return err;
    int hfd = vfs_file_hostfd(d);
    char host[sizeof su->sun_path];
    int k = hfd < 0 ? -1 : snprintf(host, sizeof host, "/proc/self/fd/%d/%s", hfd, base);
    if (k < 0 || (size_t)k >= sizeof host) {
        file_put(d);
        return hfd < 0 ? -EACCES : -ENAMETOOLONG;  /* not a host directory / too long */
    }
    memset(su->sun_path, 0, sizeof su->sun_path);
    memcpy(su->sun_path, host, (size_t)k + 1);
    *len = (socklen_t)(off + (size_t)k + 1);
    *dir = d;
    return 0;
}

/* bind and connect: a socket fd and a guest address. */
static long with_addr(struct thread *self, const uint64_t a[6],
                      int (*op)(struct file *, const struct sockaddr *, socklen_t))
{
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    struct sockaddr_storage ss;
    socklen_t len = (socklen_t)a[2];
    struct file *dir = NULL;
    err = addr_in(self, (uintptr_t)a[1], a[2], &ss);
    if (!err)
        err = unix_addr_to_host(self, &ss, &len, &dir);
    if (!err)
        err = op(f, (struct sockaddr *)&ss, len);
    if (dir)
        file_put(dir);
    file_put(f);
    return err;
}

SYS_STATIC(bind) { return with_addr(self, a, socket_bind); }
SYS_STATIC(connect) { return with_addr(self, a, socket_connect); }

/* listen and shutdown: a socket fd and an int. */
static long with_int(struct thread *self, const uint64_t a[6], int (*op)(struct file *, int))
{
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    err = op(f, (int)a[1]);
    file_put(f);
    return err;
}

SYS_STATIC(listen) { return with_int(self, a, socket_listen); }

SYS_STATIC(accept4)
{
    int flags = (int)a[3];
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    uintptr_t uaddr = (uintptr_t)a[1], ulenp = (uintptr_t)a[2];
    socklen_t ulen = 0, klen = sizeof(struct sockaddr_storage);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct file *nf = NULL;
    if (uaddr)
        err = addrlen_in(self, ulenp, &ulen);
    if (!err)
        err = socket_accept(f, (struct sockaddr *)&ss, &klen, flags, &nf);
    file_put(f);
    if (err)
        return err;
    /* Like Linux: a fault copying the address out loses the connection. */
    if (uaddr)
        err = addr_out(self, &ss, klen, uaddr, ulen, ulenp);
    if (!err)
        err = fd_table_install(sys_fds(self), nf, (flags & SOCK_CLOEXEC) ? O_CLOEXEC : 0);
    file_put(nf);
    return err;
}

SYS_STATIC(accept)
{
    const uint64_t b[6] = { a[0], a[1], a[2], 0, 0, 0 };
    return sys_accept4(self, b);
}

/* sendto(fd, buf, len, flags, addr, addrlen) */
SYS_STATIC(sendto)
{
    size_t len = a[2] > INT_MAX ? INT_MAX : (size_t)a[2];
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    struct sockaddr_storage ss;
    struct iovec iov = { (void *)(uintptr_t)a[1], len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    long r = uaccess_check(self->proc, (uintptr_t)a[1], len, PROT_READ);
    if (!r && a[4]) {
        r = addr_in(self, (uintptr_t)a[4], a[5], &ss);
        msg.msg_name = &ss;
        msg.msg_namelen = (socklen_t)a[5];
    }
    if (!r)
        r = socket_sendmsg(f, &msg, (int)a[3]);
    file_put(f);
    return r;
}

/* recvfrom(fd, buf, len, flags, addr, addrlen*) */
SYS_STATIC(recvfrom)
{
    size_t len = a[2] > INT_MAX ? INT_MAX : (size_t)a[2];
    uintptr_t uaddr = (uintptr_t)a[4], ulenp = (uintptr_t)a[5];
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct iovec iov = { (void *)(uintptr_t)a[1], len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    socklen_t ulen = 0;
    long r = uaccess_check(self->proc, (uintptr_t)a[1], len, PROT_WRITE);
    if (!r && uaddr) {
        r = addrlen_in(self, ulenp, &ulen);
        msg.msg_name = &ss;
        msg.msg_namelen = sizeof ss;
    }
    if (!r)
        r = socket_recvmsg(f, &msg, (int)a[3]);
    file_put(f);
    if (r >= 0 && uaddr) {
        err = addr_out(self, &ss, msg.msg_namelen, uaddr, ulen, ulenp);
        if (err)
            r = err;
    }
    return r;
}

SYS_STATIC(sendmsg)
{
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    struct msghdr um, m;
    struct sockaddr_storage ss;
    struct iovec fast[SYS_FAST_IOV], *iov = fast;
    size_t total;
    void *control = NULL;
    long r = (a[2] & MSG_CMSG_COMPAT) ? -EINVAL
             : uaccess_read(self->proc, &um, (uintptr_t)a[1], sizeof um);
    memset(&m, 0, sizeof m);
    /* Linux's __copy_msghdr: a name longer than sockaddr_storage is cut
     * to it; too many iovecs is EMSGSIZE. */
    if (!r && (int)um.msg_namelen < 0)
        r = -EINVAL;
    if (!r && um.msg_name && um.msg_namelen) {
        if (um.msg_namelen > sizeof ss)
            um.msg_namelen = sizeof ss;
        r = addr_in(self, (uintptr_t)um.msg_name, um.msg_namelen, &ss);
        m.msg_name = &ss;
        m.msg_namelen = um.msg_namelen;
    }
    if (!r && um.msg_iovlen > IOV_MAX)
        r = -EMSGSIZE;
    if (!r)
        r = sys_iov_import(self, (uintptr_t)um.msg_iov, um.msg_iovlen, PROT_READ, fast,
                           &iov, &total);
    /* The control data is copied: SCM_RIGHTS is checked in our copy, so
     * another guest thread cannot slip host fd numbers past the check. */
    if (!r && um.msg_controllen) {
        if (um.msg_controllen > SOCK_CONTROL_MAX)
            r = -ENOBUFS;
        else if (!(control = malloc(um.msg_controllen)))
            r = -ENOMEM;
        else
            r = uaccess_read(self->proc, control, (uintptr_t)um.msg_control,
                             um.msg_controllen);
        m.msg_control = control;
        m.msg_controllen = um.msg_controllen;
    }
    if (!r) {
        m.msg_iov = iov;
        m.msg_iovlen = um.msg_iovlen;
        r = socket_sendmsg(f, &m, (int)a[2]);
    }
    free(control);
    sys_iov_free(iov, fast);
    file_put(f);
    return r;
}

SYS_STATIC(recvmsg)
{
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    uintptr_t umsg = (uintptr_t)a[1];
    struct msghdr um, m;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct iovec fast[SYS_FAST_IOV], *iov = fast;
    size_t total;
    long r = (a[2] & MSG_CMSG_COMPAT) ? -EINVAL
             : uaccess_read(self->proc, &um, umsg, sizeof um);
    memset(&m, 0, sizeof m);
    if (!r && (int)um.msg_namelen < 0)
        r = -EINVAL;
    if (!r && um.msg_name) {
        m.msg_name = &ss;
        m.msg_namelen = sizeof ss;
    }
    if (!r && um.msg_iovlen > IOV_MAX)
        r = -EMSGSIZE;
    if (!r)
        r = sys_iov_import(self, (uintptr_t)um.msg_iov, um.msg_iovlen, PROT_WRITE, fast,
                           &iov, &total);
    /* Control data is written straight into checked guest memory. */
    size_t clen = um.msg_controllen > INT_MAX ? INT_MAX : um.msg_controllen;
    if (!r && clen)
        r = uaccess_check(self->proc, (uintptr_t)um.msg_control, clen, PROT_WRITE);
    if (!r) {
        m.msg_iov = iov;
        m.msg_iovlen = um.msg_iovlen;
        m.msg_control = clen ? um.msg_control : NULL;
        m.msg_controllen = clen;
        r = socket_recvmsg(f, &m, (int)a[2]);
    }
    if (r >= 0 && um.msg_name)
        err = addr_out(self, &ss, m.msg_namelen, (uintptr_t)um.msg_name,
                       um.msg_namelen, umsg + offsetof(struct msghdr, msg_namelen));
    if (r >= 0 && !err) {
        um.msg_controllen = m.msg_controllen;
        um.msg_flags = m.msg_flags;
        err = uaccess_write(self->proc, umsg + offsetof(struct msghdr, msg_controllen),
                            &um.msg_controllen, sizeof um.msg_controllen);
        if (!err)
            err = uaccess_write(self->proc, umsg + offsetof(struct msghdr, msg_flags),
                                &um.msg_flags, sizeof um.msg_flags);
    }
    if (r >= 0 && err)
        r = err;
    sys_iov_free(iov, fast);
    file_put(f);
    return r;
}

SYS_STATIC(shutdown) { return with_int(self, a, socket_shutdown); }

/* getsockopt(fd, level, name, optval*, optlen*) */
SYS_STATIC(getsockopt)
{
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    uintptr_t uval = (uintptr_t)a[3], ulenp = (uintptr_t)a[4];
    socklen_t len = 0;
    char small[SOCKOPT_STACK], *buf = small;
    err = addrlen_in(self, ulenp, &len);
    if (!err && len > SOCKOPT_MAX)
        len = SOCKOPT_MAX;
    if (!err && len > sizeof small && !(buf = malloc(len)))
        err = -ENOMEM;
    if (!err && len) {
        /* Some options read their buffer too (e.g. TCP_ZEROCOPY_RECEIVE). */
        if (uaccess_read(self->proc, buf, uval, len))
            memset(buf, 0, len);
    }
    if (!err)
        err = socket_getsockopt(f, (int)a[1], (int)a[2], buf, &len);
    if (!err && len)
        err = uaccess_write(self->proc, uval, buf, len);
    if (!err) {
        int l = (int)len;
        err = uaccess_write(self->proc, ulenp, &l, sizeof l);
    }
    if (buf != small)
        free(buf);
    file_put(f);
    return err;
}

/* setsockopt(fd, level, name, optval*, optlen) */
SYS_STATIC(setsockopt)
{
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    int len = (int)a[4];
    char small[SOCKOPT_STACK], *buf = small;
    if (len < 0)
        err = -EINVAL;
    else if ((unsigned)len > SOCKOPT_MAX)
        err = -ENOMEM;
    else if ((size_t)len > sizeof small && !(buf = malloc((size_t)len)))
        err = -ENOMEM;
    if (!err && len)
        err = uaccess_read(self->proc, buf, (uintptr_t)a[3], (size_t)len);
    if (!err)
        err = socket_setsockopt(f, (int)a[1], (int)a[2], len ? buf : NULL,
                                (socklen_t)len);
    if (buf != small)
        free(buf);
    file_put(f);
    return err;
}

static long sock_name(struct thread *self, const uint64_t a[6], bool peer)
{
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t ulen = 0, klen = sizeof ss;
    err = addrlen_in(self, (uintptr_t)a[2], &ulen);
    if (!err)
        err = peer ? socket_getpeername(f, (struct sockaddr *)&ss, &klen)
                   : socket_getsockname(f, (struct sockaddr *)&ss, &klen);
    if (!err)
        err = addr_out(self, &ss, klen, (uintptr_t)a[1], ulen, (uintptr_t)a[2]);
    file_put(f);
    return err;
}

SYS_STATIC(getsockname) { return sock_name(self, a, false); }
SYS_STATIC(getpeername) { return sock_name(self, a, true); }

void sys_register_net(sys_fn *table)
{
    table[__NR_socket] = sys_socket;
    table[__NR_socketpair] = sys_socketpair;
    table[__NR_bind] = sys_bind;
    table[__NR_listen] = sys_listen;
    table[__NR_accept] = sys_accept;
    table[__NR_accept4] = sys_accept4;
    table[__NR_connect] = sys_connect;
    table[__NR_sendto] = sys_sendto;
    table[__NR_recvfrom] = sys_recvfrom;
    table[__NR_sendmsg] = sys_sendmsg;
    table[__NR_recvmsg] = sys_recvmsg;
    table[__NR_shutdown] = sys_shutdown;
    table[__NR_getsockopt] = sys_getsockopt;
    table[__NR_setsockopt] = sys_setsockopt;
    table[__NR_getsockname] = sys_getsockname;
    table[__NR_getpeername] = sys_getpeername;
}
