/* Intrusive circular doubly linked list (the usual kernel shape). */
#ifndef ONESPACE_UTIL_LIST_H
#define ONESPACE_UTIL_LIST_H

#include <stdbool.h>
#include "util/compiler.h"

struct list_head {
    struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_head *h) { h->next = h->prev = h; }
static inline bool list_empty(const struct list_head *h) { return h->next == h; }

static inline void list__insert(struct list_head *n, struct list_head *prev,
                                struct list_head *next)
{
    next->prev = n;
    n->next = next;
    n->prev = prev;
    prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *h) { list__insert(n, h, h->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *h) { list__insert(n, h->prev, h); }

static inline void list_del(struct list_head *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)

#define list_for_each_entry(pos, head, member)                                 \
    for (pos = list_entry((head)->next, __typeof__(*pos), member);             \
         &pos->member != (head);                                               \
         pos = list_entry(pos->member.next, __typeof__(*pos), member))

#define list_for_each_entry_safe(pos, tmp, head, member)                       \
    for (pos = list_entry((head)->next, __typeof__(*pos), member),             \
         tmp = list_entry(pos->member.next, __typeof__(*pos), member);         \
         &pos->member != (head);                                               \
         pos = tmp, tmp = list_entry(tmp->member.next, __typeof__(*tmp), member))

#endif
