/* The SGX PCK certificate extension: a DER SEQUENCE of (OID, value) pairs
 * (dcap.md section 3.8), built and parsed by hand: Intel's own parser is a
 * strict DER walk, and so is this one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sgx/sgx_internal.h"

/* 1.2.840.113741.1.13.1 */
static const uint8_t oid_sgx[] = { 0x2A, 0x86, 0x48, 0x86, 0xF8, 0x4D, 0x01, 0x0D, 0x01 };

struct buf {
    uint8_t *p;
    size_t len, cap;
    int err;
};

static void put(struct buf *b, const void *d, size_t n)
{
    if (b->err)
        return;
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2 + 64;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->err = -ENOMEM;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void put_hdr(struct buf *b, uint8_t tag, size_t len)
{
    uint8_t h[4] = { tag };
    size_t n;
    if (len < 128) {
        h[1] = (uint8_t)len;
        n = 2;
    } else if (len < 256) {
        h[1] = 0x81;
        h[2] = (uint8_t)len;
        n = 3;
    } else {
        h[1] = 0x82;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        n = 4;
    }
    put(b, h, n);
}

/* Wrap b's bytes from `from` on in a TLV with `tag`. */
static void wrap(struct buf *b, size_t from, uint8_t tag)
{
    if (b->err)
        return;
    size_t n = b->len - from;
    uint8_t *body = malloc(n ? n : 1);
    if (!body) {
        b->err = -ENOMEM;
        return;
    }
    memcpy(body, b->p + from, n);
    b->len = from;
    put_hdr(b, tag, n);
    put(b, body, n);
    free(body);
}

static void put_oid(struct buf *b, const uint8_t *sub, size_t nsub)
{
    put_hdr(b, 0x06, sizeof oid_sgx + nsub);
    put(b, oid_sgx, sizeof oid_sgx);
    put(b, sub, nsub);
}

static void put_uint(struct buf *b, uint8_t tag, unsigned v)
{
    uint8_t d[5];
    size_t n = 0;
    /* minimal DER: leading 0x00 only when the top bit is set */
    uint8_t tmp[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    size_t i = 0;
    while (i < 3 && tmp[i] == 0)
        i++;
    if (tmp[i] & 0x80)
        d[n++] = 0;
    for (; i < 4; i++)
        d[n++] = tmp[i];
    put_hdr(b, tag, n);
    put(b, d, n);
}

static void put_octets(struct buf *b, const uint8_t *d, size_t n)
{
    put_hdr(b, 0x04, n);
    put(b, d, n);
}

int sgx_pck_ext_encode(const struct sgx_pck_ext *e, uint8_t **der, size_t *len)
{
    struct buf b = { 0 };
    size_t s;
    /* PPID */
    s = b.len;
    put_oid(&b, (const uint8_t[]){ 1 }, 1);
    put_octets(&b, e->ppid, 16);
    wrap(&b, s, 0x30);
    /* TCB */
    s = b.len;
    put_oid(&b, (const uint8_t[]){ 2 }, 1);
    size_t t = b.len;
    for (unsigned i = 1; i <= 18; i++) {
        size_t c = b.len;
        put_oid(&b, (const uint8_t[]){ 2, (uint8_t)i }, 2);
        if (i <= 16)
            put_uint(&b, 0x02, e->comps[i - 1]);
        else if (i == 17)
            put_uint(&b, 0x02, e->pcesvn);
        else
            put_octets(&b, e->cpusvn, 16);
        wrap(&b, c, 0x30);
    }
    wrap(&b, t, 0x30);
    wrap(&b, s, 0x30);
    /* PCE-ID, FMSPC, SGX type */
    s = b.len;
    put_oid(&b, (const uint8_t[]){ 3 }, 1);
    put_octets(&b, e->pceid, 2);
    wrap(&b, s, 0x30);
    s = b.len;
    put_oid(&b, (const uint8_t[]){ 4 }, 1);
    put_octets(&b, e->fmspc, 6);
    wrap(&b, s, 0x30);
    s = b.len;
    put_oid(&b, (const uint8_t[]){ 5 }, 1);
    put_uint(&b, 0x0A, (unsigned)e->sgx_type);
    wrap(&b, s, 0x30);
    wrap(&b, 0, 0x30);
    if (b.err) {
        free(b.p);
        return b.err;
    }
    *der = b.p;
    *len = b.len;
    return 0;
}

/* ---- parsing ------------------------------------------------------------ */

struct rd {
    const uint8_t *p, *end;
};

/* Next TLV with `tag`: its body in *body. */
static int get_tlv(struct rd *r, uint8_t tag, struct rd *body)
{
    if (r->end - r->p < 2 || r->p[0] != tag)
        return -EINVAL;
    size_t len = r->p[1], hl = 2;
    if (len & 0x80) {
        size_t nb = len & 0x7f;
        if (nb == 0 || nb > 2 || (size_t)(r->end - r->p) < 2 + nb)
            return -EINVAL;
        len = 0;
        for (size_t i = 0; i < nb; i++)
            len = len << 8 | r->p[2 + i];
        hl = 2 + nb;
    }
    if ((size_t)(r->end - r->p) - hl < len)
        return -EINVAL;
    body->p = r->p + hl;
    body->end = body->p + len;
    r->p = body->end;
    return 0;
}

/* An OID entry: the sub-arcs after the SGX prefix. */
static int get_oid(struct rd *r, const uint8_t *sub, size_t nsub)
{
    struct rd o;
    if (get_tlv(r, 0x06, &o) || (size_t)(o.end - o.p) != sizeof oid_sgx + nsub ||
        memcmp(o.p, oid_sgx, sizeof oid_sgx) || memcmp(o.p + sizeof oid_sgx, sub, nsub))
        return -EINVAL;
    return 0;
}

static int get_octets(struct rd *r, uint8_t *out, size_t n)
{
    struct rd o;
    if (get_tlv(r, 0x04, &o) || (size_t)(o.end - o.p) != n)
        return -EINVAL;
    memcpy(out, o.p, n);
    return 0;
}

static int get_uint(struct rd *r, uint8_t tag, unsigned max, unsigned *v)
{
    struct rd o;
    if (get_tlv(r, tag, &o) || o.p == o.end || o.end - o.p > 3 || (o.p[0] & 0x80))
        return -EINVAL;
    unsigned x = 0;
    for (const uint8_t *q = o.p; q < o.end; q++)
        x = x << 8 | *q;
    if (x > max)
        return -EINVAL;
    *v = x;
    return 0;
}

int sgx_pck_ext_decode(const uint8_t *der, size_t len, struct sgx_pck_ext *e)
{
    struct rd all = { der, der + len }, top, ent, tcb, c;
    unsigned v;
    memset(e, 0, sizeof *e);
    if (get_tlv(&all, 0x30, &top) || all.p != all.end)
        return -EINVAL;
    if (get_tlv(&top, 0x30, &ent) || get_oid(&ent, (const uint8_t[]){ 1 }, 1) ||
        get_octets(&ent, e->ppid, 16) || ent.p != ent.end)
        return -EINVAL;
    if (get_tlv(&top, 0x30, &ent) || get_oid(&ent, (const uint8_t[]){ 2 }, 1) ||
        get_tlv(&ent, 0x30, &tcb) || ent.p != ent.end)
        return -EINVAL;
    for (unsigned i = 1; i <= 18; i++) {
        if (get_tlv(&tcb, 0x30, &c) || get_oid(&c, (const uint8_t[]){ 2, (uint8_t)i }, 2))
            return -EINVAL;
        if (i <= 16) {
            if (get_uint(&c, 0x02, 255, &v))
                return -EINVAL;
            e->comps[i - 1] = (uint8_t)v;
        } else if (i == 17) {
            if (get_uint(&c, 0x02, 65535, &e->pcesvn))
                return -EINVAL;
        } else if (get_octets(&c, e->cpusvn, 16)) {
            return -EINVAL;
        }
        if (c.p != c.end)
            return -EINVAL;
    }
    if (tcb.p != tcb.end)
        return -EINVAL;
    if (get_tlv(&top, 0x30, &ent) || get_oid(&ent, (const uint8_t[]){ 3 }, 1) ||
        get_octets(&ent, e->pceid, 2) || ent.p != ent.end)
        return -EINVAL;
    if (get_tlv(&top, 0x30, &ent) || get_oid(&ent, (const uint8_t[]){ 4 }, 1) ||
        get_octets(&ent, e->fmspc, 6) || ent.p != ent.end)
        return -EINVAL;
    if (get_tlv(&top, 0x30, &ent) || get_oid(&ent, (const uint8_t[]){ 5 }, 1) ||
        get_uint(&ent, 0x0A, 2, &v) || ent.p != ent.end)
        return -EINVAL;
    e->sgx_type = (int)v;
    /* Platform-CA certificates have 7 entries; only Processor-CA (5) here. */
    return top.p == top.end ? 0 : -EINVAL;
}
