/* SPDX-License-Identifier: Apache-2.0
 *
 * deconflict.c: deconfliction questions, single and batched (contract in
 * deconflict.h). The batch keeps structure-of-arrays storage sized once, so
 * answering a large batch allocates nothing per question: network questions
 * are handed to ch_leaseindex_query_batch() in runs, repository and package
 * questions look up the service's exact-match map.
 */
#include "coord/deconflict.h"

#include <stdio.h>
#include <string.h>

#include "coord/internal.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/num.h"

int ch_coord_time_parse(struct ch_str s, int64_t *ret, struct ch_err *err)
{
    s = ch_str_trim(s);
    int64_t t = 0;
    struct ch_err ignore = CH_ERR_INIT;
    bool digits = s.len > 0 && s.len <= 12;
    for (size_t i = 0; i < s.len && digits; i++)
        digits = s.ptr[i] >= '0' && s.ptr[i] <= '9';
    if (digits && ch_num_parse_i64(s, CH_COORD_TIME_MIN, CH_COORD_TIME_MAX - 1, &t, &ignore) ==
                      CH_OK) {
        *ret = t;
        return CH_OK;
    }
    int rc = ch_time_parse(s, &t, NULL, err);
    if (rc != CH_OK)
        return ch_err_prefix(err, "time");
    if (t < CH_COORD_TIME_MIN)
        return ch_err_set(err, CH_E_INVALID, "time before 1970");
    *ret = t;
    return CH_OK;
}

void ch_coord_batch_release(struct ch_coord_batch *b)
{
    if (b->outs != NULL) {
        for (size_t i = 0; i < b->cap; i++)
            ch_lease_hits_release(&b->outs[i]);
    }
    ch_free(b->qs);
    ch_free(b->names);
    ch_free(b->kind);
    ch_free(b->src_text);
    ch_free(b->tgt_text);
    ch_free(b->aux_off);
    ch_free(b->aux_len);
    ch_free(b->outs);
    ch_buf_release(&b->aux);
    *b = (struct ch_coord_batch){0};
}

int ch_coord_batch_init(struct ch_coord_batch *b, size_t cap, struct ch_err *err)
{
    *b = (struct ch_coord_batch){0};
    if (cap == 0 || cap > CH_COORD_BATCH_MAX)
        return ch_err_set(err, CH_E_INVALID, "batch capacity must be 1 to %d",
                          CH_COORD_BATCH_MAX);
    b->qs = ch_calloc(cap, sizeof(*b->qs));
    b->names = ch_calloc(cap, sizeof(*b->names));
    b->kind = ch_calloc(cap, sizeof(*b->kind));
    b->src_text = ch_calloc(cap, sizeof(*b->src_text));
    b->tgt_text = ch_calloc(cap, sizeof(*b->tgt_text));
    b->aux_off = ch_calloc(cap, sizeof(*b->aux_off));
    b->aux_len = ch_calloc(cap, sizeof(*b->aux_len));
    b->outs = ch_calloc(cap, sizeof(*b->outs));
    ch_buf_init(&b->aux, (size_t)64 << 20);
    b->cap = cap;
    if (b->qs == NULL || b->names == NULL || b->kind == NULL || b->src_text == NULL ||
        b->tgt_text == NULL || b->aux_off == NULL || b->aux_len == NULL || b->outs == NULL) {
        ch_coord_batch_release(b);
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    }
    return CH_OK;
}

void ch_coord_batch_reset(struct ch_coord_batch *b)
{
    b->n = 0;
    ch_buf_reset(&b->aux);
}

/* Records text in aux for question i (key or error). */
static int aux_put(struct ch_coord_batch *b, size_t i, const char *p, size_t len,
                   struct ch_err *err)
{
    if (len > UINT32_MAX || b->aux.len > UINT32_MAX - len)
        return ch_err_set(err, CH_E_LIMIT, "batch text exceeds 4 GB");
    b->aux_off[i] = (uint32_t)b->aux.len;
    b->aux_len[i] = (uint32_t)len;
    ch_buf_append(&b->aux, p, len);
    return ch_buf_status(&b->aux, "batch", err);
}

struct ch_str ch_coord_batch_error(const struct ch_coord_batch *b, size_t i)
{
    if (i >= b->n || b->kind[i] != CH_COORD_ASK_BAD)
        return CH_STR_NULL;
    return ch_str_make(ch_buf_cstr(&b->aux) + b->aux_off[i], b->aux_len[i]);
}

static struct ch_str aux_get(const struct ch_coord_batch *b, size_t i)
{
    return ch_str_make(ch_buf_cstr(&b->aux) + b->aux_off[i], b->aux_len[i]);
}

static int parse_source(struct ch_str s, struct ch_coord_query *q, struct ch_err *err)
{
    if (ch_str_eq_c(s, "-") || ch_str_eq_c(s, "*") || ch_str_eq_c(s, "any")) {
        q->src_kind = CH_COORD_SRC_ANY;
        return CH_OK;
    }
    if (ch_str_starts_with(s, "ua:")) {
        struct ch_str ua = ch_str_make(s.ptr + 3, s.len - 3);
        if (ua.len == 0 || ua.len > CH_COORD_UA_MAX)
            return ch_err_set(err, CH_E_INVALID, "user agent must be 1 to %d bytes",
                              CH_COORD_UA_MAX);
        q->src_kind = CH_COORD_SRC_UA;
        q->src_ua = ua;
        return CH_OK;
    }
    q->src_kind = CH_COORD_SRC_ADDR;
    int rc = ch_ip_parse(s, &q->src_addr, err);
    if (rc != CH_OK)
        return ch_err_prefix(err, "source (an address, ua:USER-AGENT or -)");
    return CH_OK;
}

/* Parses the target; exact keys go into key (reset first). */
static int parse_target(struct ch_str s, struct ch_coord_query *q, struct ch_dnsname *name,
                        struct ch_buf *key, bool *ret_exact, struct ch_err *err)
{
    *ret_exact = false;
    if (ch_str_starts_with(s, "pkg:")) {
        *ret_exact = true;
        return ch_coord__package_key(s, CH_STR_NULL, key, err);
    }
    if (ch_str_starts_with(s, "repo:")) {
        struct ch_str rest = ch_str_make(s.ptr + 5, s.len - 5);
        size_t at = rest.len;
        while (at > 0 && rest.ptr[at - 1] != '@')
            at--;
        if (at == 0)
            return ch_err_set(err, CH_E_INVALID, "target 'repo:URL@REF' needs '@REF'");
        *ret_exact = true;
        return ch_coord__repo_key(ch_str_make(rest.ptr, at - 1),
                                  ch_str_make(rest.ptr + at, rest.len - at), key, err);
    }
    struct ch_err ignore = CH_ERR_INIT;
    if (ch_ip_parse(s, &q->tgt_addr, &ignore) == CH_OK) {
        q->tgt_kind = CH_COORD_TGT_ADDR;
        return CH_OK;
    }
    int rc = ch_dnsname_parse(s, name, err);
    if (rc != CH_OK)
        return ch_err_prefix(err, "target (an address, a DNS name, pkg:... or repo:URL@REF)");
    if (name->wildcard)
        return ch_err_set(err, CH_E_INVALID,
                          "target '%.*s' is a wildcard: ask about one name at a time",
                          CH_STR_FMT(s));
    q->tgt_kind = CH_COORD_TGT_NAME;
    q->tgt_name = name;
    return CH_OK;
}

int ch_coord_batch_add(struct ch_coord_batch *b, struct ch_str source, struct ch_str target,
                       int64_t t, struct ch_err *err)
{
    if (b->n >= b->cap)
        return ch_err_set(err, CH_E_LIMIT, "batch is full (%zu questions)", b->cap);
    size_t i = b->n;
    struct ch_coord_query *q = &b->qs[i];
    *q = (struct ch_coord_query){.t = t};
    b->src_text[i] = source;
    b->tgt_text[i] = target;
    b->outs[i].n = 0;
    struct ch_err perr = CH_ERR_INIT;
    int rc = CH_OK;
    if (source.len > CH_COORD_ASK_TEXT_MAX || target.len > CH_COORD_ASK_TEXT_MAX)
        rc = ch_err_set(&perr, CH_E_LIMIT, "source or target longer than %d bytes",
                        CH_COORD_ASK_TEXT_MAX);
    else if (t < CH_COORD_TIME_MIN || t >= CH_COORD_TIME_MAX)
        rc = ch_err_set(&perr, CH_E_INVALID, "time outside 1970..9999");
    if (rc == CH_OK)
        rc = parse_source(source, q, &perr);
    bool exact = false;
    struct ch_buf key;
    ch_buf_init(&key, CH_COORD_URL_MAX + CH_COORD_REF_MAX + 1024);
    if (rc == CH_OK)
        rc = parse_target(target, q, &b->names[i], &key, &exact, &perr);
    int out_rc = CH_OK;
    if (rc == CH_OK && exact) {
        b->kind[i] = CH_COORD_ASK_EXACT;
        out_rc = aux_put(b, i, ch_buf_cstr(&key), key.len, err);
    } else if (rc == CH_OK) {
        b->kind[i] = CH_COORD_ASK_NETWORK;
        b->aux_len[i] = 0;
    } else if (rc == CH_E_NOMEM) {
        out_rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
    } else {
        b->kind[i] = CH_COORD_ASK_BAD;
        out_rc = aux_put(b, i, perr.msg, strlen(perr.msg), err);
    }
    ch_buf_release(&key);
    if (out_rc != CH_OK)
        return out_rc;
    b->n++;
    return CH_OK;
}

static int hits_push(struct ch_lease_hits *h, int64_t id, struct ch_err *err)
{
    if (h->n == h->cap) {
        size_t cap = h->cap == 0 ? 4 : h->cap * 2;
        int64_t *p = ch_reallocarray(h->ids, cap, sizeof(*p));
        if (p == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        h->ids = p;
        h->cap = cap;
    }
    size_t j = h->n++;
    while (j > 0 && h->ids[j - 1] > id) {
        h->ids[j] = h->ids[j - 1];
        j--;
    }
    h->ids[j] = id;
    return CH_OK;
}

static bool exact_source_matches(const struct ch_coord__lease *l, const struct ch_coord_query *q)
{
    if (q->src_kind == CH_COORD_SRC_ANY)
        return true;
    if (q->src_kind == CH_COORD_SRC_ADDR) {
        struct ch_ipaddr a = ch_ip_unmap(&q->src_addr);
        for (size_t i = 0; i < l->n_sources; i++) {
            if (ch_prefix_contains_ip(&l->sources[i], &a))
                return true;
        }
        return false;
    }
    struct ch_str rest = ch_str_c(l->ua), tok;
    while (ch_str_split_next(&rest, ' ', &tok)) {
        if (tok.len > 0 && ch_coord__ua_has_token(q->src_ua, tok))
            return true;
    }
    return false;
}

static int run_exact(struct ch_coord *c, struct ch_str key, const struct ch_coord_query *q,
                     struct ch_lease_hits *out, struct ch_err *err)
{
    out->n = 0;
    const struct ch_coord__idvec *v = ch_map_get(c->exact, key);
    for (size_t i = 0; v != NULL && i < v->n; i++) {
        const struct ch_coord__lease *l = ch_coord__lease_get(c, v->ids[i]);
        if (l == NULL || !(l->start <= q->t && q->t < l->end) || !exact_source_matches(l, q))
            continue;
        int rc = hits_push(out, l->id, err);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

static void mark_bad(struct ch_coord_batch *b, size_t i, const char *msg)
{
    /* the aux buffer's limit is far above what a batch can reach; if it
     * fails anyway the message is empty, which still marks the question bad */
    struct ch_err ignore = CH_ERR_INIT;
    b->kind[i] = CH_COORD_ASK_BAD;
    CH_IGNORE(aux_put(b, i, msg, strlen(msg), &ignore));
}

/* Answers under the read lock (held by the caller). */
static int run_locked(struct ch_coord *c, struct ch_coord_batch *b, struct ch_err *err)
{
    if (c->stale || c->ix == NULL)
        return ch_err_set(err, CH_E_UNAVAILABLE, "the deconfliction index is being rebuilt");
    for (size_t i = 0; i < b->n; i++) {
        if (b->kind[i] != CH_COORD_ASK_BAD && b->qs[i].t < c->horizon) {
            char when[CH_TIME_STR_MAX], msg[160];
            snprintf(msg, sizeof(msg), "time is before the history held (from %s)",
                     ch_time_format(c->horizon, when));
            mark_bad(b, i, msg);
        }
    }
    size_t i = 0;
    while (i < b->n) {
        if (b->kind[i] == CH_COORD_ASK_NETWORK) {
            size_t j = i;
            while (j < b->n && b->kind[j] == CH_COORD_ASK_NETWORK) {
                if (b->qs[j].tgt_kind == CH_COORD_TGT_NAME)
                    b->qs[j].tgt_name = &b->names[j];
                j++;
            }
            int rc = ch_leaseindex_query_batch(c->ix, &b->qs[i], j - i, &b->outs[i], err);
            if (rc != CH_OK)
                return rc;
            i = j;
            continue;
        }
        b->outs[i].n = 0;
        if (b->kind[i] == CH_COORD_ASK_EXACT) {
            int rc = run_exact(c, aux_get(b, i), &b->qs[i], &b->outs[i], err);
            if (rc != CH_OK)
                return rc;
        }
        i++;
    }
    return CH_OK;
}

int ch_coord_batch_run(struct ch_coord *c, struct ch_coord_batch *b, struct ch_err *err)
{
    pthread_rwlock_rdlock(&c->lock);
    int rc = run_locked(c, b, err);
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

static bool within_hours(const struct ch_coord__lease *l, int64_t t)
{
    if (l->hours_from < 0)
        return true;
    int32_t m = (int32_t)(((t % CH_DAY_SECONDS) + CH_DAY_SECONDS) % CH_DAY_SECONDS / 60);
    if (l->hours_from < l->hours_to)
        return m >= l->hours_from && m < l->hours_to;
    return m >= l->hours_from || m < l->hours_to;
}

static void answer_json(struct ch_coord *c, const struct ch_coord_actor *a,
                        const struct ch_coord_batch *b, size_t i, struct ch_jw *w)
{
    char when[CH_TIME_STR_MAX];
    ch_jw_obj_open(w);
    ch_jw_kstrn(w, "source", b->src_text[i].ptr, b->src_text[i].len);
    ch_jw_kstrn(w, "target", b->tgt_text[i].ptr, b->tgt_text[i].len);
    ch_jw_kstr(w, "time", ch_time_format(b->qs[i].t, when));
    if (b->kind[i] == CH_COORD_ASK_BAD) {
        struct ch_str e = aux_get(b, i);
        ch_jw_kstrn(w, "error", e.ptr, e.len);
        ch_jw_obj_close(w);
        return;
    }
    const struct ch_lease_hits *h = &b->outs[i];
    ch_jw_kbool(w, "authorised", h->n > 0);
    if (h->n > 0 && b->qs[i].src_kind == CH_COORD_SRC_UA)
        ch_jw_kstr(w, "evidence", "user-agent only: a claim anyone can make");
    ch_jw_key(w, "leases");
    ch_jw_arr_open(w);
    size_t hidden = 0;
    for (size_t k = 0; k < h->n; k++) {
        const struct ch_coord__lease *l = ch_coord__lease_get(c, h->ids[k]);
        if (l == NULL || !ch_coord__lease_visible(a, l)) {
            hidden++;
            continue;
        }
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", l->id);
        ch_jw_kstr(w, "holder", l->holder);
        ch_jw_kint(w, "target_id", l->target_id);
        ch_jw_kstr(w, "target", l->target);
        ch_jw_kstr(w, "mode", l->mode == CH_LEASE_EXCLUSIVE ? "exclusive" : "shared");
        if (l->auth_id != 0)
            ch_jw_kint(w, "authorization", l->auth_id);
        ch_jw_ktime(w, "start", l->start);
        ch_jw_ktime(w, "end", l->end);
        if (!within_hours(l, b->qs[i].t))
            ch_jw_kbool(w, "outside_allowed_hours", true);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    if (hidden > 0)
        ch_jw_kint(w, "other_leases", (int64_t)hidden);
    ch_jw_obj_close(w);
}

static void answer_text(struct ch_coord *c, const struct ch_coord_actor *a,
                        const struct ch_coord_batch *b, size_t i, struct ch_buf *out)
{
    char when[CH_TIME_STR_MAX];
    ch_buf_append_str(out, b->src_text[i]);
    ch_buf_append_byte(out, ' ');
    ch_buf_append_str(out, b->tgt_text[i]);
    ch_buf_append_byte(out, ' ');
    ch_buf_append_c(out, ch_time_format(b->qs[i].t, when));
    if (b->kind[i] == CH_COORD_ASK_BAD) {
        ch_buf_append_c(out, " error ");
        ch_buf_append_str(out, aux_get(b, i));
        ch_buf_append_byte(out, '\n');
        return;
    }
    const struct ch_lease_hits *h = &b->outs[i];
    if (h->n == 0) {
        ch_buf_append_c(out, " unauthorised\n");
        return;
    }
    ch_buf_append_c(out, " authorised");
    size_t shown = 0, hidden = 0;
    for (size_t k = 0; k < h->n; k++) {
        const struct ch_coord__lease *l = ch_coord__lease_get(c, h->ids[k]);
        if (l == NULL || !ch_coord__lease_visible(a, l)) {
            hidden++;
            continue;
        }
        ch_buf_appendf(out, "%s%lld", shown == 0 ? " lease=" : ",", (long long)l->id);
        shown++;
    }
    if (hidden > 0)
        ch_buf_appendf(out, " other_leases=%zu", hidden);
    if (b->qs[i].src_kind == CH_COORD_SRC_UA)
        ch_buf_append_c(out, " evidence=user-agent-only");
    ch_buf_append_byte(out, '\n');
}

static int count_authorised(const struct ch_coord_batch *b)
{
    int n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->kind[i] != CH_COORD_ASK_BAD && b->outs[i].n > 0;
    return n;
}

int ch_coord_batch_answer_json(struct ch_coord *c, const struct ch_coord_actor *a,
                               struct ch_coord_batch *b, struct ch_jw *w, struct ch_err *err)
{
    pthread_rwlock_rdlock(&c->lock);
    int rc = run_locked(c, b, err);
    for (size_t i = 0; rc == CH_OK && i < b->n; i++)
        answer_json(c, a, b, i, w);
    pthread_rwlock_unlock(&c->lock);
    return rc == CH_OK ? count_authorised(b) : rc;
}

int ch_coord_batch_answer_lines(struct ch_coord *c, const struct ch_coord_actor *a,
                                struct ch_coord_batch *b, enum ch_coord_out fmt,
                                struct ch_buf *out, struct ch_err *err)
{
    pthread_rwlock_rdlock(&c->lock);
    int rc = run_locked(c, b, err);
    for (size_t i = 0; rc == CH_OK && i < b->n; i++) {
        if (fmt == CH_COORD_OUT_TEXT) {
            answer_text(c, a, b, i, out);
        } else {
            struct ch_jw w;
            ch_jw_init(&w, out, 0);
            answer_json(c, a, b, i, &w);
            ch_buf_append_byte(out, '\n');
        }
    }
    pthread_rwlock_unlock(&c->lock);
    if (rc == CH_OK)
        rc = ch_buf_status(out, "answers", err);
    return rc == CH_OK ? count_authorised(b) : rc;
}

int ch_coord_deconflict_json(struct ch_coord *c, const struct ch_coord_actor *a,
                             struct ch_str source, struct ch_str target, int64_t t,
                             struct ch_jw *w, bool *ret_authorised, struct ch_err *err)
{
    struct ch_coord_batch b;
    int rc = ch_coord_batch_init(&b, 1, err);
    if (rc != CH_OK)
        return rc;
    rc = ch_coord_batch_add(&b, source, target, t, err);
    if (rc == CH_OK) {
        pthread_rwlock_rdlock(&c->lock);
        rc = run_locked(c, &b, err);
        if (rc == CH_OK && b.kind[0] == CH_COORD_ASK_BAD) {
            struct ch_str e = aux_get(&b, 0);
            rc = ch_err_set(err, ch_str_starts_with(e, "time is before") ? CH_E_LIMIT
                                                                         : CH_E_INVALID,
                            "%.*s", CH_STR_FMT(e));
        }
        if (rc == CH_OK)
            answer_json(c, a, &b, 0, w);
        pthread_rwlock_unlock(&c->lock);
    }
    if (rc == CH_OK)
        *ret_authorised = b.outs[0].n > 0;
    ch_coord_batch_release(&b);
    return rc;
}
