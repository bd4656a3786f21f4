/* The waiting core shared by poll/ppoll (poll.c) and select/pselect6
 * (poll_select.c). */
#ifndef ONESPACE_FS_POLL_INTERNAL_H
#define ONESPACE_FS_POLL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "events/observer.h"
#include "fs/fd_table.h"
#include "fs/file.h"

struct poll_item {
    struct file *file;   /* a reference, or NULL (ignored) */
    io_events_t want;    /* what counts as ready for this item */
    io_events_t revents; /* result: ready & want */
    int host_idx;        /* index in the host pollfd array, or -1 */
    bool host_only;      /* readiness comes from the host poll alone */
    struct observer obs; /* on the file's notifier while waiting */
};

/* Wait until an item is ready, the deadline passes (absolute monotonic
 * ns; 0: do not wait) or the thread is interrupted. Fills each item's
 * revents; returns how many items are ready, or -EINTR / -ENOMEM. Items
 * with a NULL file are skipped (their revents are left as they are). */
int poll_items_wait(struct poll_item *items, unsigned n, uint64_t deadline_ns);

/* Take a reference to `fd`'s file for an item, classifying it; -EBADF if
 * `fd` is not open. */
int poll_item_open(struct poll_item *it, struct fd_table *t, int fd, io_events_t want);
/* Drop the references taken by poll_item_open. */
void poll_items_close(struct poll_item *items, unsigned n);

#endif
