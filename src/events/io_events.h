/* IoEvents: the poll bits, with Linux's values (poll.h / eventpoll.h), so a
 * mask can be passed between guest, LibOS files and the host unchanged.
 *
 * Files report RDNORM together with IN and WRNORM together with OUT, as
 * Linux's pipes, sockets and eventfds do; a requested mask is then applied
 * with io_events_filter(), which, like Linux, always lets ERR, HUP and NVAL
 * through. */
#ifndef ONESPACE_EVENTS_IO_EVENTS_H
#define ONESPACE_EVENTS_IO_EVENTS_H

#include <stdint.h>

typedef uint32_t io_events_t;

enum {
    IO_IN     = 0x0001, /* POLLIN / EPOLLIN */
    IO_PRI    = 0x0002,
    IO_OUT    = 0x0004,
    IO_ERR    = 0x0008,
    IO_HUP    = 0x0010,
    IO_NVAL   = 0x0020,
    IO_RDNORM = 0x0040,
    IO_RDBAND = 0x0080,
    IO_WRNORM = 0x0100,
    IO_WRBAND = 0x0200,
    IO_MSG    = 0x0400,
    IO_RDHUP  = 0x2000,

    /* Not a poll bit: sent through a Notifier when the thing it belongs to
     * goes away (a file being released, an fd table being destroyed).
     * Observers always receive it, whatever their filter. */
    IO_CLOSED = 0x80000000u,
};

/* Reported whether asked for or not (poll(2): "always returned"). */
#define IO_ALWAYS (IO_ERR | IO_HUP | IO_NVAL)

/* Every real poll bit. */
#define IO_ALL_POLL (IO_IN | IO_PRI | IO_OUT | IO_ERR | IO_HUP | IO_NVAL | \
                     IO_RDNORM | IO_RDBAND | IO_WRNORM | IO_WRBAND |       \
                     IO_MSG | IO_RDHUP)

/* "Readable" / "writable" as a file reports them. */
#define IO_READABLE (IO_IN | IO_RDNORM)
#define IO_WRITABLE (IO_OUT | IO_WRNORM)

/* Add the NORM bits that Linux reports alongside IN and OUT. */
static inline io_events_t io_events_normalize(io_events_t ev)
{
    if (ev & IO_IN)
        ev |= IO_RDNORM;
    if (ev & IO_OUT)
        ev |= IO_WRNORM;
    return ev;
}

/* What a poller that asked for `requested` sees of `ready`. */
static inline io_events_t io_events_filter(io_events_t ready, io_events_t requested)
{
    return ready & (requested | IO_ALWAYS);
}

#endif
