/* SPDX-License-Identifier: Apache-2.0
 *
 * service.c: targets, authorisations, leases and reports over the store,
 * with the deconfliction index kept in step (contract in service.h; rules
 * and commands in docs/coordination.md).
 *
 * Every change follows one path: take the service's write lock, begin a
 * write transaction, bump coord_head.seq (its row lock serialises writers of
 * every process) and catch up on leases other processes changed, check, write
 * the row and its audit entry, refresh the lease in memory from the row just
 * written, commit. If the commit fails, the lease is refreshed again from the
 * store (which then holds the old row); if even that fails the service is
 * marked stale and reloads everything before its next use. So the index never
 * holds a lease the store does not, for longer than one failed change.
 */
#include "coord/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "coord/internal.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/num.h"
#include "purl/purl.h"

/* Compact the index when changes since the last compaction reach this many. */
#define COMPACT_AFTER_CHANGES 4096
/* Rows of the load query per page on a full load (PostgreSQL fetches whole
 * results: paging keeps the memory of one read bounded). */
#define LOAD_PAGE 10000
/* Entries of a techniques or contacts list in rules of engagement. */
#define RULES_LIST_MAX 64
/* Bytes of one rules-of-engagement string. */
#define RULES_STRING_MAX 256

static const char *const kind_names[] = {NULL, "repo", "package", "network"};

const char *ch_coord_target_kind_name(enum ch_target_kind k)
{
    if ((unsigned)k >= CH_ARRAY_SIZE(kind_names))
        return NULL;
    return kind_names[k];
}

int ch_coord_target_kind_parse(const char *s, enum ch_target_kind *ret)
{
    for (unsigned i = 1; i < CH_ARRAY_SIZE(kind_names); i++) {
        if (s != NULL && strcmp(s, kind_names[i]) == 0) {
            *ret = (enum ch_target_kind)i;
            return CH_OK;
        }
    }
    return CH_E_INVALID;
}

static const char *mode_name(enum ch_lease_mode m)
{
    return m == CH_LEASE_EXCLUSIVE ? "exclusive" : "shared";
}

static bool is_wide(const struct ch_coord_actor *a)
{
    return ch_coord__has_role(a, CH_ROLE_WIDE);
}

static bool is_admin(const struct ch_coord_actor *a)
{
    return ch_coord__has_role(a, CH_ROLE_ADMIN);
}

/* ---- actors ---- */

void ch_coord_actor_from_principal(const struct ch_principal *p, char *name_buf,
                                   size_t name_buf_size, struct ch_coord_actor *ret)
{
    snprintf(name_buf, name_buf_size, "user:%s", p->user_name);
    *ret = (struct ch_coord_actor){
        .org_id = p->org_id, .roles = p->roles, .clearance = p->clearance, .name = name_buf};
}

int ch_coord_actor_for_user(struct ch_store *s, const char *user, char *name_buf,
                            size_t name_buf_size, struct ch_coord_actor *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT org_id, roles, clearance FROM users"
                           " WHERE name = ? AND disabled_at IS NULL",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, user);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no user '%s'", user);
    if (rc < 0)
        return rc;
    struct ch_coord_actor a = {.org_id = ch_stmt_int(st, 0), .name = name_buf};
    struct ch_err ignore = CH_ERR_INIT;
    if (ch_roles_parse(ch_stmt_cstr(st, 1), &a.roles, &ignore) != CH_OK ||
        ch_clearance_parse(ch_stmt_cstr(st, 2), &a.clearance) != CH_OK) {
        ch_stmt_reset(st);
        return ch_err_set(err, CH_E_INTERNAL, "user '%s' has unreadable roles or clearance", user);
    }
    ch_stmt_reset(st);
    snprintf(name_buf, name_buf_size, "user:%s", user);
    *ret = a;
    return CH_OK;
}

int ch_coord__audit(struct ch_store *s, const struct ch_coord_actor *a, const char *action,
                    const char *object, const char *details, int64_t now, struct ch_err *err)
{
    struct ch_audit_entry e = {.actor = a->name != NULL ? a->name : "unknown",
                               .action = action,
                               .object = object,
                               .details = details};
    return ch_audit_append(s, &e, now, NULL, err);
}

/* ---- keys of repository and package targets ---- */

static bool ascii_lower_eq(const char *a, size_t n, const char *lit)
{
    return strlen(lit) == n && ch_str_case_eq(ch_str_make(a, n), ch_str_c(lit));
}

int ch_coord__repo_key(struct ch_str url, struct ch_str ref, struct ch_buf *out, struct ch_err *err)
{
    url = ch_str_trim(url);
    ref = ch_str_trim(ref);
    if (url.len == 0 || url.len > CH_COORD_URL_MAX)
        return ch_err_setf(err, CH_E_INVALID, "repo", "repository URL must be 1 to %d bytes",
                           CH_COORD_URL_MAX);
    long colon = ch_str_find_char(url, ':');
    if (colon <= 0 || (size_t)colon + 3 > url.len || url.ptr[colon + 1] != '/' ||
        url.ptr[colon + 2] != '/')
        return ch_err_setf(err, CH_E_INVALID, "repo", "repository URL '%.*s' has no scheme://",
                           CH_STR_FMT(url));
    const char *scheme = url.ptr;
    size_t slen = (size_t)colon;
    if (!ascii_lower_eq(scheme, slen, "https") && !ascii_lower_eq(scheme, slen, "http") &&
        !ascii_lower_eq(scheme, slen, "git") && !ascii_lower_eq(scheme, slen, "ssh"))
        return ch_err_setf(err, CH_E_INVALID, "repo",
                           "repository URL scheme must be https, http, git or ssh");
    for (size_t i = 0; i < url.len; i++) {
        unsigned char ch = (unsigned char)url.ptr[i];
        if (ch <= 0x20 || ch >= 0x7f)
            return ch_err_setf(err, CH_E_INVALID, "repo",
                               "repository URL contains a space or non-ASCII byte");
    }
    if (ref.len == 0 || ref.len > CH_COORD_REF_MAX)
        return ch_err_setf(err, CH_E_INVALID, "ref", "ref (commit or tag) must be 1 to %d bytes",
                           CH_COORD_REF_MAX);
    bool hex = ref.len >= 7 && ref.len <= 64;
    for (size_t i = 0; i < ref.len; i++) {
        char ch = ref.ptr[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' || ch == '/' ||
                  ch == '+';
        if (!ok)
            return ch_err_setf(err, CH_E_INVALID, "ref", "ref '%.*s' has a character not allowed",
                               CH_STR_FMT(ref));
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
            hex = false;
    }
    /* scheme and host fold to lower case; the path stays; a trailing slash
     * and ".git" are the same repository */
    size_t host_end = (size_t)colon + 3;
    while (host_end < url.len && url.ptr[host_end] != '/')
        host_end++;
    size_t end = url.len;
    while (end > host_end && url.ptr[end - 1] == '/')
        end--;
    if (end >= host_end + 4 && memcmp(url.ptr + end - 4, ".git", 4) == 0)
        end -= 4;
    ch_buf_reset(out);
    ch_buf_append_c(out, "repo:");
    for (size_t i = 0; i < end; i++) {
        char ch = url.ptr[i];
        if (i < host_end && ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        ch_buf_append_byte(out, ch);
    }
    ch_buf_append_byte(out, '@');
    for (size_t i = 0; i < ref.len; i++) {
        char ch = ref.ptr[i];
        if (hex && ch >= 'A' && ch <= 'F')
            ch = (char)(ch - 'A' + 'a');
        ch_buf_append_byte(out, ch);
    }
    return ch_buf_status(out, "repository key", err);
}

int ch_coord__package_key(struct ch_str purl, struct ch_str range, struct ch_buf *out,
                          struct ch_err *err)
{
    struct ch_arena *arena = ch_arena_new((size_t)1 << 20);
    if (arena == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    struct ch_purl p;
    int rc = ch_purl_parse(ch_str_trim(purl), 0, arena, &p, err);
    if (rc != CH_OK) {
        ch_arena_free(arena);
        return ch_err_prefix(err, "package");
    }
    range = ch_str_trim(range);
    if (range.len == 0 && p.version == NULL)
        rc = ch_err_setf(err, CH_E_INVALID, "purl",
                         "package purl needs a version (or give a version range)");
    else if (range.len > 0 && p.version != NULL)
        rc = ch_err_setf(err, CH_E_INVALID, "range",
                         "give either a purl with a version or a range, not both");
    else if (range.len > 0 && (!ch_str_starts_with(range, "vers:") || range.len > 512 ||
                               ch_str_find_char(range, ' ') >= 0))
        rc = ch_err_setf(err, CH_E_INVALID, "range",
                         "range must be a vers: URI of at most 512 bytes without spaces");
    if (rc == CH_OK) {
        ch_buf_reset(out);
        rc = ch_purl_format(&p, out);
        if (rc == CH_OK && range.len > 0) {
            ch_buf_append_byte(out, ' ');
            ch_buf_append_str(out, range);
        }
        rc = ch_buf_status(out, "package key", err);
    }
    ch_arena_free(arena);
    return rc;
}

/* ---- lists of prefixes, names and tokens ---- */

struct scope {
    struct ch_prefix *pfx;
    size_t n_pfx, cap_pfx;
    struct ch_dnsname *names;
    size_t n_names, cap_names;
    struct ch_str ua[CH_LEASE_UA_MAX]; /* views into the parsed text */
    size_t n_ua;
};

static void scope_release(struct scope *sc)
{
    ch_free(sc->pfx);
    ch_free(sc->names);
    *sc = (struct scope){0};
}

static bool list_next(struct ch_str *rest, struct ch_str *tok)
{
    size_t i = 0;
    while (i < rest->len && (rest->ptr[i] == ' ' || rest->ptr[i] == ',' || rest->ptr[i] == '\t' ||
                             rest->ptr[i] == '\n' || rest->ptr[i] == '\r'))
        i++;
    size_t j = i;
    while (j < rest->len && rest->ptr[j] != ' ' && rest->ptr[j] != ',' && rest->ptr[j] != '\t' &&
           rest->ptr[j] != '\n' && rest->ptr[j] != '\r')
        j++;
    if (j == i)
        return false;
    *tok = ch_str_make(rest->ptr + i, j - i);
    *rest = ch_str_make(rest->ptr + j, rest->len - j);
    return true;
}

static bool looks_like_address(struct ch_str tok)
{
    for (size_t i = 0; i < tok.len; i++) {
        char ch = tok.ptr[i];
        if (ch == ':' || ch == '/')
            return true;
    }
    /* a dotted quad: digits and dots only */
    for (size_t i = 0; i < tok.len; i++) {
        char ch = tok.ptr[i];
        if (!(ch >= '0' && ch <= '9') && ch != '.')
            return false;
    }
    return true;
}

static int check_prefix_width(const struct ch_prefix *p, const char *field, struct ch_err *err)
{
    char buf[CH_IP_STR_MAX];
    unsigned min = p->addr.family == CH_IP_V4 ? CH_LEASE_V4_MIN_LEN : CH_LEASE_V6_MIN_LEN;
    if (p->len < min)
        return ch_err_setf(err, CH_E_INVALID, field, "prefix '%s' is wider than /%u",
                           ch_prefix_format(p, buf), min);
    if (p->addr.family == CH_IP_V6 && ch_ip_is_v4mapped(&p->addr))
        return ch_err_setf(err, CH_E_INVALID, field,
                           "prefix '%s' is IPv4-mapped: give the IPv4 form",
                           ch_prefix_format(p, buf));
    return CH_OK;
}

/* Parses "10.0.0.0/8 example.com, *.example.org" (names only if allowed). */
static int scope_parse(struct ch_str text, bool names_allowed, const char *field, struct scope *sc,
                       struct ch_err *err)
{
    if (text.len > CH_COORD_LIST_MAX)
        return ch_err_setf(err, CH_E_LIMIT, field, "%s list exceeds %zu bytes", field,
                           CH_COORD_LIST_MAX);
    struct ch_str rest = text, tok;
    while (list_next(&rest, &tok)) {
        if (looks_like_address(tok)) {
            if (sc->n_pfx >= CH_LEASE_PREFIXES_MAX)
                return ch_err_setf(err, CH_E_LIMIT, field, "more than %d prefixes",
                                   CH_LEASE_PREFIXES_MAX);
            if (sc->n_pfx == sc->cap_pfx) {
                size_t cap = sc->cap_pfx == 0 ? 8 : sc->cap_pfx * 2;
                struct ch_prefix *p = ch_reallocarray(sc->pfx, cap, sizeof(*p));
                if (p == NULL)
                    return ch_err_set(err, CH_E_NOMEM, "out of memory");
                sc->pfx = p;
                sc->cap_pfx = cap;
            }
            int rc = ch_prefix_parse(tok, &sc->pfx[sc->n_pfx], err);
            if (rc == CH_OK)
                rc = check_prefix_width(&sc->pfx[sc->n_pfx], field, err);
            if (rc != CH_OK) {
                if (err->field[0] == '\0')
                    snprintf(err->field, sizeof(err->field), "%s", field);
                return rc;
            }
            sc->n_pfx++;
            continue;
        }
        if (!names_allowed)
            return ch_err_setf(err, CH_E_INVALID, field, "'%.*s' is not an address prefix",
                               CH_STR_FMT(tok));
        if (sc->n_names >= CH_LEASE_NAMES_MAX)
            return ch_err_setf(err, CH_E_LIMIT, field, "more than %d names", CH_LEASE_NAMES_MAX);
        if (sc->n_names == sc->cap_names) {
            size_t cap = sc->cap_names == 0 ? 4 : sc->cap_names * 2;
            struct ch_dnsname *n = ch_reallocarray(sc->names, cap, sizeof(*n));
            if (n == NULL)
                return ch_err_set(err, CH_E_NOMEM, "out of memory");
            sc->names = n;
            sc->cap_names = cap;
        }
        int rc = ch_dnsname_parse(tok, &sc->names[sc->n_names], err);
        if (rc != CH_OK) {
            if (err->field[0] == '\0')
                snprintf(err->field, sizeof(err->field), "%s", field);
            return rc;
        }
        sc->n_names++;
    }
    return CH_OK;
}

static bool ua_token_valid(struct ch_str t)
{
    if (t.len == 0 || t.len > CH_LEASE_UA_TOKEN_MAX)
        return false;
    for (size_t i = 0; i < t.len; i++) {
        unsigned char ch = (unsigned char)t.ptr[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == '(' || ch == ')' || ch == ';' || ch == ',')
            return false;
    }
    return true;
}

static int ua_parse(struct ch_str text, struct scope *sc, struct ch_err *err)
{
    struct ch_str rest = text, tok;
    while (list_next(&rest, &tok)) {
        if (sc->n_ua >= CH_LEASE_UA_MAX)
            return ch_err_setf(err, CH_E_LIMIT, "ua_tokens", "more than %d user-agent tokens",
                               CH_LEASE_UA_MAX);
        if (!ua_token_valid(tok))
            return ch_err_setf(err, CH_E_INVALID, "ua_tokens",
                               "user-agent token '%.*s' must be 1 to %d printable bytes without"
                               " spaces, '(', ')', ';' or ','",
                               CH_STR_FMT(tok), CH_LEASE_UA_TOKEN_MAX);
        sc->ua[sc->n_ua++] = tok;
    }
    return CH_OK;
}

/* Canonical space-separated text of the prefixes and names of sc. */
static void scope_format(const struct scope *sc, struct ch_buf *out)
{
    ch_buf_reset(out);
    for (size_t i = 0; i < sc->n_pfx; i++) {
        char b[CH_IP_STR_MAX];
        if (out->len > 0)
            ch_buf_append_byte(out, ' ');
        ch_buf_append_c(out, ch_prefix_format(&sc->pfx[i], b));
    }
    for (size_t i = 0; i < sc->n_names; i++) {
        char b[CH_DNS_STR_MAX];
        if (out->len > 0)
            ch_buf_append_byte(out, ' ');
        ch_buf_append_c(out, ch_dnsname_format(&sc->names[i], b));
    }
}

static void ua_format(const struct scope *sc, struct ch_buf *out)
{
    ch_buf_reset(out);
    for (size_t i = 0; i < sc->n_ua; i++) {
        if (i > 0)
            ch_buf_append_byte(out, ' ');
        ch_buf_append_str(out, sc->ua[i]);
    }
}

/* True when every prefix and name of inner lies inside outer. */
static bool scope_within(const struct scope *inner, const struct scope *outer, char *what,
                         size_t what_size)
{
    for (size_t i = 0; i < inner->n_pfx; i++) {
        bool in = false;
        for (size_t j = 0; j < outer->n_pfx && !in; j++)
            in = ch_prefix_contains(&outer->pfx[j], &inner->pfx[i]);
        if (!in) {
            char b[CH_IP_STR_MAX];
            snprintf(what, what_size, "%s", ch_prefix_format(&inner->pfx[i], b));
            return false;
        }
    }
    for (size_t i = 0; i < inner->n_names; i++) {
        const struct ch_dnsname *n = &inner->names[i];
        bool in = false;
        for (size_t j = 0; j < outer->n_names && !in; j++) {
            const struct ch_dnsname *o = &outer->names[j];
            if (ch_dnsname_eq(o, n))
                in = true;
            else if (o->wildcard)
                in = ch_dnsname_is_below(ch_str_make(n->text, n->len),
                                         ch_str_make(o->text, o->len)) ||
                     (n->wildcard && n->len == o->len && memcmp(n->text, o->text, n->len) == 0);
        }
        if (!in) {
            char b[CH_DNS_STR_MAX];
            snprintf(what, what_size, "%s", ch_dnsname_format(n, b));
            return false;
        }
    }
    return true;
}

bool ch_coord__ua_has_token(struct ch_str ua, struct ch_str tok)
{
    if (tok.len == 0 || tok.len > ua.len)
        return false;
    for (size_t i = 0; i + tok.len <= ua.len; i++) {
        if (memcmp(ua.ptr + i, tok.ptr, tok.len) != 0)
            continue;
        char before = i == 0 ? ' ' : ua.ptr[i - 1];
        char after = i + tok.len == ua.len ? ' ' : ua.ptr[i + tok.len];
        bool b = before == ' ' || before == '\t' || before == '(' || before == ')' ||
                 before == ';' || before == ',';
        bool a = after == ' ' || after == '\t' || after == '(' || after == ')' || after == ';' ||
                 after == ',';
        if (b && a)
            return true;
    }
    return false;
}

/* ---- held leases ---- */

static struct ch_str id_key(const int64_t *id)
{
    return ch_str_make((const char *)id, sizeof(*id));
}

static void lease_free(void *p)
{
    struct ch_coord__lease *l = p;
    if (l == NULL)
        return;
    ch_free(l->key);
    ch_free(l->sources);
    ch_free(l->ua);
    ch_free(l);
}

static void idvec_free(void *p)
{
    struct ch_coord__idvec *v = p;
    if (v == NULL)
        return;
    ch_free(v->ids);
    ch_free(v);
}

const struct ch_coord__lease *ch_coord__lease_get(const struct ch_coord *c, int64_t id)
{
    return ch_map_get(c->meta, id_key(&id));
}

bool ch_coord__lease_visible(const struct ch_coord_actor *a, const struct ch_coord__lease *l)
{
    if (is_wide(a))
        return true;
    if (a->org_id != 0 && a->org_id == l->holder_org)
        return true;
    return a->org_id != 0 && a->org_id == l->owner_org && ch_coord__has_role(a, CH_ROLE_OPERATOR);
}

/* Forgets a held lease (index, exact map, metadata). Never allocates. */
static void drop_lease(struct ch_coord *c, int64_t id)
{
    struct ch_coord__lease *l = ch_map_get(c->meta, id_key(&id));
    if (l == NULL)
        return;
    if (l->kind == CH_TARGET_NETWORK) {
        struct ch_err ignore = CH_ERR_INIT;
        CH_IGNORE(ch_leaseindex_remove(c->ix, id, &ignore)); /* absent is fine */
    } else if (l->key != NULL) {
        struct ch_coord__idvec *v = ch_map_get(c->exact, ch_str_c(l->key));
        for (size_t i = 0; v != NULL && i < v->n; i++) {
            if (v->ids[i] == id) {
                v->ids[i] = v->ids[v->n - 1];
                v->n--;
                break;
            }
        }
        if (v != NULL && v->n == 0)
            (void)ch_map_del(c->exact, ch_str_c(l->key)); /* frees v */
    }
    (void)ch_map_del(c->meta, id_key(&id)); /* frees l */
    c->changes_since_compact++;
}

/* The columns every lease read selects, in this order (see add_row). */
#define LEASE_COLS                                                                                 \
    "l.id, l.target_id, l.org_id, COALESCE(l.authorization_id, 0), l.mode, l.starts_at,"           \
    " l.ends_at, l.scope, l.sources, l.ua_tokens, t.kind, t.match_key, t.scope, t.org_id,"         \
    " t.name, o.slug, COALESCE(a.hours_from, -1), COALESCE(a.hours_to, -1)"
#define LEASE_FROM                                                                                 \
    " FROM coord_leases l JOIN coord_targets t ON t.id = l.target_id"                              \
    " JOIN orgs o ON o.id = l.org_id"                                                              \
    " LEFT JOIN coord_authorizations a ON a.id = l.authorization_id"

/* Adds the lease of the current row of st (LEASE_COLS) to memory. All or nothing. */
static int add_row(struct ch_coord *c, struct ch_stmt *st, struct ch_err *err)
{
    int64_t id = ch_stmt_int(st, 0);
    struct ch_coord__lease *l = ch_calloc(1, sizeof(*l));
    if (l == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    l->id = id;
    l->target_id = ch_stmt_int(st, 1);
    l->holder_org = ch_stmt_int(st, 2);
    l->auth_id = ch_stmt_int(st, 3);
    l->mode = ch_str_eq_c(ch_stmt_text(st, 4), "exclusive") ? CH_LEASE_EXCLUSIVE : CH_LEASE_SHARED;
    l->start = ch_stmt_int(st, 5);
    l->end = ch_stmt_int(st, 6);
    enum ch_target_kind kind = CH_TARGET_NETWORK;
    if (ch_coord_target_kind_parse(ch_stmt_cstr(st, 10), &kind) != CH_OK) {
        lease_free(l);
        return ch_err_set(err, CH_E_INVALID, "lease %lld: unknown target kind", (long long)id);
    }
    l->kind = kind;
    l->owner_org = ch_stmt_int(st, 13);
    snprintf(l->target, sizeof(l->target), "%s", ch_stmt_text(st, 14).ptr);
    snprintf(l->holder, sizeof(l->holder), "%s", ch_stmt_text(st, 15).ptr);
    l->hours_from = (int32_t)ch_stmt_int(st, 16);
    l->hours_to = (int32_t)ch_stmt_int(st, 17);

    struct scope tg = {0}, src = {0};
    int rc = CH_OK;
    struct ch_str ua_text = ch_stmt_text(st, 9);
    rc = scope_parse(ch_stmt_text(st, 8), false, "sources", &src, err);
    if (rc == CH_OK)
        rc = ua_parse(ua_text, &src, err);
    if (rc == CH_OK && kind == CH_TARGET_NETWORK) {
        struct ch_str scope = ch_stmt_is_null(st, 7) ? ch_stmt_text(st, 12) : ch_stmt_text(st, 7);
        rc = scope_parse(scope, true, "scope", &tg, err);
        struct ch_lease_spec spec = {.id = id,
                                     .mode = l->mode,
                                     .start = l->start,
                                     .end = l->end,
                                     .targets = tg.pfx,
                                     .n_targets = tg.n_pfx,
                                     .names = tg.names,
                                     .n_names = tg.n_names,
                                     .sources = src.pfx,
                                     .n_sources = src.n_pfx,
                                     .ua_tokens = src.ua,
                                     .n_ua_tokens = src.n_ua};
        if (rc == CH_OK)
            rc = ch_leaseindex_insert(c->ix, &spec, err);
        if (rc == CH_OK) {
            rc = ch_map_put(c->meta, id_key(&id), l);
            if (rc != CH_OK) {
                struct ch_err ignore = CH_ERR_INIT;
                CH_IGNORE(ch_leaseindex_remove(c->ix, id, &ignore)); /* undo: never fails here */
                ch_err_set(err, rc, "out of memory");
            }
        }
    } else if (rc == CH_OK) {
        l->key = ch_strdup(ch_stmt_text(st, 11).ptr);
        l->ua = ch_strndup(ua_text.ptr, ua_text.len);
        if (l->key == NULL || l->ua == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
        if (rc == CH_OK && src.n_pfx > 0) {
            l->sources = ch_memdup(src.pfx, src.n_pfx * sizeof(*src.pfx));
            l->n_sources = src.n_pfx;
            if (l->sources == NULL)
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
        }
        struct ch_coord__idvec *v = rc == CH_OK ? ch_map_get(c->exact, ch_str_c(l->key)) : NULL;
        bool new_vec = false;
        if (rc == CH_OK && v == NULL) {
            v = ch_calloc(1, sizeof(*v));
            new_vec = true;
            if (v == NULL || ch_map_put(c->exact, ch_str_c(l->key), v) != CH_OK) {
                ch_free(v);
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
            }
        }
        if (rc == CH_OK && v->n == v->cap) {
            size_t cap = v->cap == 0 ? 4 : v->cap * 2;
            int64_t *ids = ch_reallocarray(v->ids, cap, sizeof(*ids));
            if (ids == NULL) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
            } else {
                v->ids = ids;
                v->cap = cap;
            }
        }
        if (rc == CH_OK)
            rc = ch_map_put(c->meta, id_key(&id), l);
        if (rc == CH_OK) {
            v->ids[v->n++] = id;
        } else {
            if (new_vec && v != NULL && ch_map_get(c->exact, ch_str_c(l->key)) == v)
                (void)ch_map_del(c->exact, ch_str_c(l->key));
            ch_err_set(err, rc, "out of memory");
        }
    }
    scope_release(&tg);
    scope_release(&src);
    if (rc != CH_OK) {
        if (ch_map_get(c->meta, id_key(&id)) != l)
            lease_free(l);
        return ch_err_prefix(err, "lease %lld", (long long)id);
    }
    c->changes_since_compact++;
    return CH_OK;
}

/* Re-reads one lease from the store and holds it if its window is still of
 * interest. Caller holds the write lock. */
static int refresh_lease(struct ch_coord *c, struct ch_store *s, int64_t id, struct ch_err *err)
{
    drop_lease(c, id);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT " LEASE_COLS LEASE_FROM " WHERE l.id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        rc = CH_OK;
        if (ch_stmt_int(st, 6) > ch_stmt_int(st, 5) && ch_stmt_int(st, 6) > c->horizon)
            rc = add_row(c, st, err);
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

static void clear_memory(struct ch_coord *c)
{
    ch_leaseindex_free(c->ix);
    ch_map_free(c->meta);
    ch_map_free(c->exact);
    c->ix = NULL;
    c->meta = NULL;
    c->exact = NULL;
}

static int alloc_memory(struct ch_coord *c, struct ch_err *err)
{
    c->ix = ch_leaseindex_new();
    c->meta = ch_map_new(0x636f6f7264ull, lease_free);
    c->exact = ch_map_new(0x6578616374ull, idvec_free);
    if (c->ix == NULL || c->meta == NULL || c->exact == NULL) {
        clear_memory(c);
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    }
    return CH_OK;
}

static int read_head(struct ch_store *s, int64_t *ret, struct ch_err *err)
{
    return ch_store_query_int(s, "SELECT seq FROM coord_head WHERE id = 1", NULL, 0, ret, err);
}

/* Loads every lease of interest into fresh memory (write lock held). */
static int load_all(struct ch_coord *c, struct ch_store *s, struct ch_err *err)
{
    clear_memory(c);
    int rc = alloc_memory(c, err);
    int64_t seq = 0;
    if (rc == CH_OK)
        rc = read_head(s, &seq, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "SELECT " LEASE_COLS LEASE_FROM
                           " WHERE l.ends_at > l.starts_at AND l.ends_at > ? AND l.id > ?"
                           " ORDER BY l.id LIMIT ?",
                           &st, err);
    int64_t after = 0;
    for (bool more = true; rc == CH_OK && more;) {
        ch_stmt_reset(st);
        ch_stmt_bind_int(st, 1, c->horizon);
        ch_stmt_bind_int(st, 2, after);
        ch_stmt_bind_int(st, 3, LOAD_PAGE);
        size_t n = 0;
        while (rc == CH_OK && (rc = ch_stmt_step(st, err)) == 1) {
            after = ch_stmt_int(st, 0);
            n++;
            rc = add_row(c, st, err);
        }
        more = rc == 0 && n == LOAD_PAGE;
    }
    if (st != NULL)
        ch_stmt_reset(st);
    if (rc == CH_OK)
        rc = ch_leaseindex_compact(c->ix, err);
    if (rc != CH_OK) {
        clear_memory(c);
        c->stale = true;
        return rc;
    }
    c->seen_seq = seq;
    c->changes_since_compact = 0;
    c->stale = false;
    return CH_OK;
}

/* Applies leases changed (by anyone) after seen_seq, up to `upto` (write lock held). */
static int catch_up(struct ch_coord *c, struct ch_store *s, int64_t upto, struct ch_err *err)
{
    if (c->stale)
        return load_all(c, s, err);
    if (upto <= c->seen_seq)
        return CH_OK;
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT id FROM coord_leases WHERE change_seq > ? AND change_seq <= ?"
                              " ORDER BY id",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, c->seen_seq);
    ch_stmt_bind_int(st, 2, upto);
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            int64_t *p = ch_reallocarray(ids, cap, sizeof(*p));
            if (p == NULL) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                break;
            }
            ids = p;
        }
        ids[n++] = ch_stmt_int(st, 0);
    }
    ch_stmt_free(st);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = refresh_lease(c, s, ids[i], err);
    ch_free(ids);
    if (rc < 0) {
        c->stale = true;
        return rc;
    }
    c->seen_seq = upto;
    return CH_OK;
}

int ch_coord_new(struct ch_store *s, const struct ch_coord_options *opts, int64_t now,
                 struct ch_coord **ret, struct ch_err *err)
{
    struct ch_coord *c = ch_calloc(1, sizeof(*c));
    if (c == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    if (pthread_rwlock_init(&c->lock, NULL) != 0) {
        ch_free(c);
        return ch_err_set(err, CH_E_NOMEM, "cannot create the coordination lock");
    }
    c->history = opts != NULL && opts->history_seconds > 0 ? opts->history_seconds
                                                           : CH_COORD_HISTORY_DEFAULT;
    c->horizon = now - c->history;
    int rc = load_all(c, s, err);
    if (rc != CH_OK) {
        ch_coord_free(c);
        return ch_err_prefix(err, "loading leases");
    }
    *ret = c;
    return CH_OK;
}

void ch_coord_free(struct ch_coord *c)
{
    if (c == NULL)
        return;
    clear_memory(c);
    pthread_rwlock_destroy(&c->lock);
    ch_free(c);
}

int ch_coord_sync(struct ch_coord *c, struct ch_store *s, struct ch_err *err)
{
    int64_t seq = 0;
    int rc = read_head(s, &seq, err);
    if (rc != CH_OK)
        return rc;
    pthread_rwlock_rdlock(&c->lock);
    bool behind = c->stale || seq > c->seen_seq;
    pthread_rwlock_unlock(&c->lock);
    if (!behind)
        return CH_OK;
    pthread_rwlock_wrlock(&c->lock);
    rc = catch_up(c, s, seq, err);
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

int ch_coord_prune(struct ch_coord *c, int64_t now, struct ch_err *err)
{
    pthread_rwlock_wrlock(&c->lock);
    int64_t horizon = now - c->history;
    int rc = CH_OK;
    if (horizon > c->horizon && c->meta != NULL) {
        c->horizon = horizon;
        /* collect first: the map must not change while iterating */
        size_t n = 0, cap = 0, it = 0;
        int64_t *ids = NULL;
        struct ch_str k;
        void *v;
        while (rc == CH_OK && ch_map_next(c->meta, &it, &k, &v)) {
            const struct ch_coord__lease *l = v;
            if (l->end > horizon)
                continue;
            if (n == cap) {
                cap = cap == 0 ? 64 : cap * 2;
                int64_t *p = ch_reallocarray(ids, cap, sizeof(*p));
                if (p == NULL) {
                    rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                    break;
                }
                ids = p;
            }
            ids[n++] = l->id;
        }
        for (size_t i = 0; rc == CH_OK && i < n; i++)
            drop_lease(c, ids[i]);
        ch_free(ids);
    }
    if (rc == CH_OK && c->ix != NULL && c->changes_since_compact >= COMPACT_AFTER_CHANGES) {
        rc = ch_leaseindex_compact(c->ix, err);
        if (rc == CH_OK)
            c->changes_since_compact = 0;
    }
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

void ch_coord_stats(struct ch_coord *c, struct ch_leaseindex_stats *ret, size_t *ret_exact)
{
    pthread_rwlock_rdlock(&c->lock);
    *ret = (struct ch_leaseindex_stats){0};
    if (c->ix != NULL)
        ch_leaseindex_stats(c->ix, ret);
    size_t exact = 0;
    if (c->meta != NULL)
        exact = ch_map_count(c->meta) - (c->ix != NULL ? ch_leaseindex_count(c->ix) : 0);
    pthread_rwlock_unlock(&c->lock);
    if (ret_exact != NULL)
        *ret_exact = exact;
}

/* ---- the write path ---- */

/* Begins a change: write lock, transaction, head bumped, caught up. */
static int change_begin(struct ch_coord *c, struct ch_store *s, int64_t *ret_seq,
                        struct ch_err *err)
{
    pthread_rwlock_wrlock(&c->lock);
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK) {
        pthread_rwlock_unlock(&c->lock);
        return rc;
    }
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s, "UPDATE coord_head SET seq = seq + 1 WHERE id = 1 RETURNING seq", &st,
                       err);
    int64_t seq = 0;
    if (rc == CH_OK) {
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            seq = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "coord_head row is missing");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK)
        rc = catch_up(c, s, seq - 1, err);
    if (rc != CH_OK) {
        ch_store_rollback(s);
        pthread_rwlock_unlock(&c->lock);
        return rc;
    }
    *ret_seq = seq;
    return CH_OK;
}

/*
 * Ends a change: commits when rc is CH_OK, else rolls back; then brings the
 * touched leases back in line with the store when the commit did not happen.
 */
static int change_end(struct ch_coord *c, struct ch_store *s, int64_t seq, int rc,
                      const int64_t *touched, size_t n_touched, struct ch_err *err)
{
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK) {
        c->seen_seq = seq;
    } else {
        struct ch_err again = CH_ERR_INIT;
        for (size_t i = 0; i < n_touched; i++) {
            if (refresh_lease(c, s, touched[i], &again) != CH_OK) {
                c->stale = true;
                break;
            }
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

/* ---- targets ---- */

static int org_slug(struct ch_store *s, int64_t org_id, char out[64], struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT slug FROM orgs WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, org_id);
    rc = ch_stmt_step(st, err);
    if (rc == 1)
        snprintf(out, 64, "%s", ch_stmt_cstr(st, 0));
    ch_stmt_reset(st);
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no organisation %lld", (long long)org_id);
    return rc < 0 ? rc : CH_OK;
}

static bool name_valid(const char *s)
{
    size_t n = s == NULL ? 0 : strlen(s);
    if (n == 0 || n > CH_COORD_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok)
            return false;
    }
    return true;
}

static int text_valid(const char *s, bool required, const char *field, struct ch_err *err)
{
    if (s == NULL || s[0] == '\0')
        return required ? ch_err_setf(err, CH_E_INVALID, field, "%s is required", field) : CH_OK;
    if (strlen(s) > CH_COORD_TEXT_MAX)
        return ch_err_setf(err, CH_E_LIMIT, field, "%s exceeds %d bytes", field, CH_COORD_TEXT_MAX);
    return CH_OK;
}

/* Fills locator, match key and scope of a new target. */
static int target_values(const struct ch_coord_target_new *t, struct ch_buf *locator,
                         struct ch_buf *key, struct ch_buf *scope_text, struct ch_err *err)
{
    int rc = CH_OK;
    switch (t->kind) {
    case CH_TARGET_REPO:
        if (t->repo_url == NULL || t->repo_ref == NULL)
            return ch_err_setf(err, CH_E_INVALID, "repo",
                               "a repository target needs a URL and a ref (commit or tag)");
        rc = ch_coord__repo_key(ch_str_c(t->repo_url), ch_str_c(t->repo_ref), key, err);
        if (rc == CH_OK)
            ch_buf_append(locator, ch_buf_cstr(key) + 5, key->len - 5);
        break;
    case CH_TARGET_PACKAGE:
        if (t->purl == NULL)
            return ch_err_setf(err, CH_E_INVALID, "purl", "a package target needs a purl");
        rc = ch_coord__package_key(ch_str_c(t->purl), ch_str_c(t->range), key, err);
        if (rc == CH_OK)
            ch_buf_append_str(locator, ch_buf_str(key));
        break;
    case CH_TARGET_NETWORK: {
        struct scope sc = {0};
        if (t->scope == NULL)
            return ch_err_setf(err, CH_E_INVALID, "scope", "a network target needs a scope");
        rc = scope_parse(ch_str_c(t->scope), true, "scope", &sc, err);
        if (rc == CH_OK && sc.n_pfx + sc.n_names == 0)
            rc = ch_err_setf(err, CH_E_INVALID, "scope",
                             "a network scope needs CIDR blocks or DNS names");
        if (rc == CH_OK) {
            scope_format(&sc, scope_text);
            ch_buf_append_str(locator, ch_buf_str(scope_text));
        }
        scope_release(&sc);
        break;
    }
    default:
        return ch_err_setf(err, CH_E_INVALID, "kind", "kind must be repo, package or network");
    }
    if (rc == CH_OK)
        rc = ch_buf_status(locator, "target", err);
    if (rc == CH_OK)
        rc = ch_buf_status(scope_text, "target scope", err);
    return rc;
}

int ch_coord_target_add(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                        const struct ch_coord_target_new *t, int64_t now, int64_t *ret_id,
                        struct ch_err *err)
{
    int64_t owner = t->org_id != 0 ? t->org_id : a->org_id;
    if (owner == 0)
        return ch_err_setf(err, CH_E_INVALID, "org", "name the organisation owning the target");
    if (!is_admin(a) && !(owner == a->org_id && ch_coord__has_role(a, CH_ROLE_OPERATOR)))
        return ch_err_set(err, CH_E_PERM,
                          "only an operator of the owning organisation or an admin may add"
                          " targets");
    if (!name_valid(t->name))
        return ch_err_setf(err, CH_E_INVALID, "name",
                           "target name must be 1 to %d letters, digits, '.', '_' or '-'",
                           CH_COORD_NAME_MAX);
    int rc = text_valid(t->description, false, "description", err);
    if (rc != CH_OK)
        return rc;
    struct ch_buf locator, key, scope_text, details;
    ch_buf_init(&locator, CH_COORD_LIST_MAX + 64);
    ch_buf_init(&key, CH_COORD_URL_MAX + CH_COORD_REF_MAX + 1024);
    ch_buf_init(&scope_text, CH_COORD_LIST_MAX + 64);
    ch_buf_init(&details, CH_COORD_LIST_MAX + 4096);
    rc = target_values(t, &locator, &key, &scope_text, err);
    char slug[64] = "";
    if (rc == CH_OK)
        rc = org_slug(s, owner, slug, err);
    int64_t seq = 0;
    if (rc == CH_OK)
        rc = change_begin(c, s, &seq, err);
    if (rc != CH_OK)
        goto out;
    struct ch_stmt *st = NULL;
    int64_t id = 0;
    rc = ch_store_stmt(s,
                       "INSERT INTO coord_targets (org_id, kind, name, locator, match_key, scope,"
                       " description, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                       " RETURNING id",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, owner);
        ch_stmt_bind_cstr(st, 2, ch_coord_target_kind_name(t->kind));
        ch_stmt_bind_cstr(st, 3, t->name);
        ch_stmt_bind_str(st, 4, ch_buf_str(&locator));
        if (key.len > 0)
            ch_stmt_bind_str(st, 5, ch_buf_str(&key));
        if (scope_text.len > 0)
            ch_stmt_bind_str(st, 6, ch_buf_str(&scope_text));
        ch_stmt_bind_cstr(st, 7, t->description);
        ch_stmt_bind_int(st, 8, now);
        ch_stmt_bind_cstr(st, 9, a->name);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == CH_E_CONFLICT) {
            ch_err_clear(err);
            rc = ch_err_setf(err, CH_E_CONFLICT, "name",
                             "organisation '%s' already has a target named '%s'", slug, t->name);
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK) {
        struct ch_jw w;
        ch_jw_init(&w, &details, 0);
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "org", slug);
        ch_jw_kstr(&w, "kind", ch_coord_target_kind_name(t->kind));
        ch_jw_kstr(&w, "name", t->name);
        ch_jw_kstrn(&w, "locator", ch_buf_cstr(&locator), locator.len);
        ch_jw_obj_close(&w);
        rc = ch_jw_finish(&w, err);
    }
    char object[64];
    snprintf(object, sizeof(object), "target:%lld", (long long)id);
    if (rc == CH_OK)
        rc = ch_coord__audit(s, a, "coord.target.add", object, ch_buf_cstr(&details), now, err);
    rc = change_end(c, s, seq, rc, NULL, 0, err);
    if (rc == CH_OK)
        *ret_id = id;
out:
    ch_buf_release(&locator);
    ch_buf_release(&key);
    ch_buf_release(&scope_text);
    ch_buf_release(&details);
    return rc;
}

/* Visibility of targets as SQL over alias t, binding (wide, org, org). */
#define TARGET_VISIBLE                                                                             \
    "(CAST(? AS BIGINT) = 1 OR t.org_id = ? OR t.kind <> 'network' OR EXISTS (SELECT 1 FROM"       \
    " coord_authorizations va WHERE va.target_id = t.id AND va.partner_org_id = ?"                 \
    " AND va.revoked_at IS NULL))"

static void bind_target_visible(struct ch_stmt *st, int first, const struct ch_coord_actor *a)
{
    ch_stmt_bind_int(st, first, is_wide(a) ? 1 : 0);
    ch_stmt_bind_int(st, first + 1, a->org_id);
    ch_stmt_bind_int(st, first + 2, a->org_id);
}

int ch_coord_target_find(struct ch_store *s, const struct ch_coord_actor *a, const char *ref,
                         int64_t *ret_id, struct ch_err *err)
{
    struct ch_str r = ch_str_c(ref);
    long slash = ch_str_find_char(r, '/');
    struct ch_stmt *st = NULL;
    int rc;
    int64_t id = 0;
    struct ch_err ignore = CH_ERR_INIT;
    if (ch_num_parse_i64(r, 1, INT64_MAX, &id, &ignore) == CH_OK) {
        rc = ch_store_stmt(s, "SELECT t.id FROM coord_targets t WHERE t.id = ? AND " TARGET_VISIBLE,
                           &st, err);
        if (rc != CH_OK)
            return rc;
        ch_stmt_bind_int(st, 1, id);
        bind_target_visible(st, 2, a);
    } else if (slash > 0) {
        rc = ch_store_stmt(s,
                           "SELECT t.id FROM coord_targets t JOIN orgs o ON o.id = t.org_id"
                           " WHERE o.slug = ? AND t.name = ? AND " TARGET_VISIBLE,
                           &st, err);
        if (rc != CH_OK)
            return rc;
        ch_stmt_bind_text(st, 1, r.ptr, (size_t)slash);
        ch_stmt_bind_text(st, 2, r.ptr + slash + 1, r.len - (size_t)slash - 1);
        bind_target_visible(st, 3, a);
    } else {
        return ch_err_setf(err, CH_E_INVALID, "target", "name a target by ID or as ORG/NAME");
    }
    rc = ch_stmt_step(st, err);
    if (rc == 1)
        id = ch_stmt_int(st, 0);
    ch_stmt_reset(st);
    if (rc == 0)
        return ch_err_setf(err, CH_E_NOTFOUND, "target", "no target '%s'", ref);
    if (rc < 0)
        return rc;
    *ret_id = id;
    return CH_OK;
}

static void target_json(struct ch_stmt *st, struct ch_jw *w)
{
    ch_jw_obj_open(w);
    ch_jw_kint(w, "id", ch_stmt_int(st, 0));
    ch_jw_kstr(w, "org", ch_stmt_cstr(st, 1));
    ch_jw_kstr(w, "kind", ch_stmt_cstr(st, 2));
    ch_jw_kstr(w, "name", ch_stmt_cstr(st, 3));
    ch_jw_kstr(w, "locator", ch_stmt_cstr(st, 4));
    ch_jw_kstr(w, "description", ch_stmt_cstr(st, 5));
    ch_jw_ktime(w, "created_at", ch_stmt_int(st, 6));
    ch_jw_kstr(w, "created_by", ch_stmt_cstr(st, 7));
    ch_jw_obj_close(w);
}

#define TARGET_COLS                                                                                \
    "t.id, o.slug, t.kind, t.name, t.locator, t.description, t.created_at, t.created_by"

int ch_coord_target_list_json(struct ch_store *s, const struct ch_coord_actor *a, struct ch_jw *w,
                              struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT " TARGET_COLS " FROM coord_targets t JOIN orgs o ON o.id ="
                           " t.org_id WHERE " TARGET_VISIBLE " ORDER BY t.id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    bind_target_visible(st, 1, a);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1)
        target_json(st, w);
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

int ch_coord_target_show_json(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                              int64_t now, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT " TARGET_COLS " FROM coord_targets t JOIN orgs o ON o.id ="
                           " t.org_id WHERE t.id = ? AND " TARGET_VISIBLE,
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    bind_target_visible(st, 2, a);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no target %lld", (long long)id);
    if (rc < 0)
        return rc;
    ch_jw_obj_open(w);
    ch_jw_key(w, "target");
    target_json(st, w);
    ch_stmt_reset(st);
    ch_jw_key(w, "authorizations");
    rc = ch_coord_auth_list_json(s, a, id, now, w, err);
    if (rc == CH_OK) {
        ch_jw_key(w, "leases");
        struct ch_coord_lease_filter f = {.target_id = id, .active_only = true};
        rc = ch_coord_lease_list_json(s, a, &f, now, w, err);
    }
    ch_jw_obj_close(w);
    return rc;
}

/* Owner, kind, match key and scope of a target, whoever may see it. */
struct target_row {
    int64_t id, owner;
    enum ch_target_kind kind;
    char name[CH_COORD_NAME_MAX + 1];
    struct ch_buf key, scope;
};

static void target_row_init(struct target_row *t)
{
    *t = (struct target_row){0};
    ch_buf_init(&t->key, CH_COORD_URL_MAX + CH_COORD_REF_MAX + 1024);
    ch_buf_init(&t->scope, CH_COORD_LIST_MAX + 64);
}

static void target_row_release(struct target_row *t)
{
    ch_buf_release(&t->key);
    ch_buf_release(&t->scope);
}

static int target_load(struct ch_store *s, int64_t id, struct target_row *t, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT org_id, kind, name, COALESCE(match_key, ''), COALESCE(scope, '')"
                           " FROM coord_targets WHERE id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        t->id = id;
        t->owner = ch_stmt_int(st, 0);
        if (ch_coord_target_kind_parse(ch_stmt_cstr(st, 1), &t->kind) != CH_OK)
            t->kind = CH_TARGET_NETWORK;
        snprintf(t->name, sizeof(t->name), "%s", ch_stmt_cstr(st, 2));
        ch_buf_reset(&t->key);
        ch_buf_append_str(&t->key, ch_stmt_text(st, 3));
        ch_buf_reset(&t->scope);
        ch_buf_append_str(&t->scope, ch_stmt_text(st, 4));
        rc = ch_buf_status(&t->scope, "target", err);
        if (rc == CH_OK)
            rc = ch_buf_status(&t->key, "target", err);
        if (rc == CH_OK)
            rc = 1;
    }
    ch_stmt_reset(st);
    if (rc == 0)
        return ch_err_setf(err, CH_E_NOTFOUND, "target", "no target %lld", (long long)id);
    return rc < 0 ? rc : CH_OK;
}

/* ---- authorisations ---- */

static int parse_hours(const char *s, int32_t *ret_from, int32_t *ret_to)
{
    /* "HH:MM-HH:MM" */
    if (s == NULL || strlen(s) != 11 || s[2] != ':' || s[5] != '-' || s[8] != ':')
        return CH_E_INVALID;
    int v[4];
    const int pos[4] = {0, 3, 6, 9};
    for (int i = 0; i < 4; i++) {
        char a = s[pos[i]], b = s[pos[i] + 1];
        if (a < '0' || a > '9' || b < '0' || b > '9')
            return CH_E_INVALID;
        v[i] = (a - '0') * 10 + (b - '0');
    }
    if (v[0] > 23 || v[2] > 24 || v[1] > 59 || v[3] > 59 || (v[2] == 24 && v[3] != 0))
        return CH_E_INVALID;
    *ret_from = v[0] * 60 + v[1];
    *ret_to = v[2] * 60 + v[3];
    return *ret_from == *ret_to ? CH_E_INVALID : CH_OK;
}

static int rules_string_list(const cJSON *arr, const char *key, bool need_one, struct ch_err *err)
{
    if (arr == NULL)
        return need_one ? ch_err_setf(err, CH_E_INVALID, key, "rules need '%s'", key) : CH_OK;
    if (!cJSON_IsArray(arr))
        return ch_err_setf(err, CH_E_INVALID, key, "'%s' must be an array of strings", key);
    int n = cJSON_GetArraySize(arr);
    if (n > RULES_LIST_MAX)
        return ch_err_setf(err, CH_E_LIMIT, key, "'%s' has more than %d entries", key,
                           RULES_LIST_MAX);
    if (need_one && n == 0)
        return ch_err_setf(err, CH_E_INVALID, key, "'%s' needs at least one entry", key);
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (!cJSON_IsString(e) || e->valuestring[0] == '\0' ||
            strlen(e->valuestring) > RULES_STRING_MAX)
            return ch_err_setf(err, CH_E_INVALID, key,
                               "'%s' entries must be strings of 1 to %d bytes", key,
                               RULES_STRING_MAX);
    }
    return CH_OK;
}

/* Validates rules of engagement; writes their compact form and allowed hours. */
static int rules_check(const char *text, struct ch_buf *out, int32_t *ret_from, int32_t *ret_to,
                       struct ch_err *err)
{
    if (text == NULL)
        return ch_err_setf(err, CH_E_INVALID, "rules",
                           "rules of engagement are required (at least a contact)");
    struct ch_json_limits lim = {.max_bytes = CH_COORD_RULES_MAX, .max_depth = 4};
    cJSON *doc = NULL;
    int rc = ch_json_parse(text, strlen(text), &lim, "rules", &doc, err);
    if (rc != CH_OK) {
        snprintf(err->field, sizeof(err->field), "rules");
        return rc;
    }
    static const char *const allowed[] = {"techniques", "max_rate_pps", "max_rate_rps",
                                          "hours",      "contacts",     "notes"};
    if (!cJSON_IsObject(doc)) {
        rc = ch_err_setf(err, CH_E_INVALID, "rules", "rules must be a JSON object");
        goto out;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, doc)
    {
        bool ok = false;
        for (size_t i = 0; i < CH_ARRAY_SIZE(allowed) && !ok; i++)
            ok = strcmp(m->string, allowed[i]) == 0;
        if (!ok) {
            rc = ch_err_setf(err, CH_E_INVALID, "rules",
                             "unknown rules member '%s' (known: techniques, max_rate_pps,"
                             " max_rate_rps, hours, contacts, notes)",
                             m->string);
            goto out;
        }
    }
    rc = rules_string_list(cJSON_GetObjectItemCaseSensitive(doc, "techniques"), "techniques", false,
                           err);
    if (rc == CH_OK)
        rc = rules_string_list(cJSON_GetObjectItemCaseSensitive(doc, "contacts"), "contacts", true,
                               err);
    int64_t ignore;
    if (rc == CH_OK)
        rc = ch_json_get_int(doc, "max_rate_pps", false, "rules", 1, 1000000000, &ignore, err);
    if (rc == CH_OK)
        rc = ch_json_get_int(doc, "max_rate_rps", false, "rules", 1, 1000000000, &ignore, err);
    const char *notes = NULL;
    if (rc == CH_OK)
        rc = ch_json_get_str(doc, "notes", false, "rules", &notes, err);
    if (rc == CH_OK && notes != NULL && strlen(notes) > CH_COORD_TEXT_MAX)
        rc = ch_err_setf(err, CH_E_LIMIT, "rules", "notes exceed %d bytes", CH_COORD_TEXT_MAX);
    const char *hours = NULL;
    if (rc == CH_OK)
        rc = ch_json_get_str(doc, "hours", false, "rules", &hours, err);
    *ret_from = -1;
    *ret_to = -1;
    if (rc == CH_OK && hours != NULL && parse_hours(hours, ret_from, ret_to) != CH_OK)
        rc = ch_err_setf(err, CH_E_INVALID, "rules",
                         "hours must be \"HH:MM-HH:MM\" (UTC, may wrap midnight), not '%s'", hours);
    if (rc == CH_OK) {
        struct ch_jw w;
        ch_jw_init(&w, out, 0);
        ch_jw_cjson(&w, doc);
        rc = ch_jw_finish(&w, err);
    }
out:
    cJSON_Delete(doc);
    return rc;
}

static int check_window(int64_t start, int64_t end, int64_t max, const char *what,
                        struct ch_err *err)
{
    if (start < CH_COORD_TIME_MIN || end > CH_COORD_TIME_MAX)
        return ch_err_setf(err, CH_E_INVALID, "start", "%s window outside 1970..9999", what);
    if (end <= start)
        return ch_err_setf(err, CH_E_INVALID, "end", "%s must end after it starts", what);
    if (end - start > max)
        /* a field value out of range, not an oversized request: 422 over HTTP */
        return ch_err_setf(err, CH_E_INVALID, "end", "%s window exceeds %lld days", what,
                           (long long)(max / 86400));
    return CH_OK;
}

int ch_coord_auth_grant(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                        const struct ch_coord_auth_new *g, int64_t now, int64_t *ret_id,
                        struct ch_err *err)
{
    int rc = check_window(g->start, g->end, CH_COORD_AUTH_MAX_SECONDS, "an authorisation", err);
    if (rc == CH_OK && g->end <= now)
        rc = ch_err_setf(err, CH_E_INVALID, "end", "the authorisation would already have ended");
    if (rc != CH_OK)
        return rc;
    struct ch_buf rules, details;
    ch_buf_init(&rules, CH_COORD_RULES_MAX * 2);
    ch_buf_init(&details, CH_COORD_RULES_MAX * 2 + 1024);
    struct target_row t;
    target_row_init(&t);
    int32_t from = -1, to = -1;
    char partner[64] = "";
    int64_t seq = 0, id = 0;
    rc = rules_check(g->rules_json, &rules, &from, &to, err);
    if (rc == CH_OK)
        rc = target_load(s, g->target_id, &t, err);
    if (rc == CH_OK && !is_admin(a) &&
        !(a->org_id == t.owner && ch_coord__has_role(a, CH_ROLE_OPERATOR)))
        rc = ch_err_set(err, CH_E_PERM,
                        "only an operator of the target's organisation or an admin may grant"
                        " authorisations");
    if (rc == CH_OK && t.kind != CH_TARGET_NETWORK)
        rc = ch_err_setf(err, CH_E_INVALID, "target",
                         "authorisations are for network targets; '%s' is a %s target", t.name,
                         ch_coord_target_kind_name(t.kind));
    if (rc == CH_OK)
        rc = org_slug(s, g->partner_org_id, partner, err);
    if (rc == CH_OK)
        rc = change_begin(c, s, &seq, err);
    if (rc != CH_OK)
        goto out;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "INSERT INTO coord_authorizations (target_id, partner_org_id, starts_at,"
                       " ends_at, rules, hours_from, hours_to, created_at, created_by)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, g->target_id);
        ch_stmt_bind_int(st, 2, g->partner_org_id);
        ch_stmt_bind_int(st, 3, g->start);
        ch_stmt_bind_int(st, 4, g->end);
        ch_stmt_bind_str(st, 5, ch_buf_str(&rules));
        if (from >= 0) {
            ch_stmt_bind_int(st, 6, from);
            ch_stmt_bind_int(st, 7, to);
        }
        ch_stmt_bind_int(st, 8, now);
        ch_stmt_bind_cstr(st, 9, a->name);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK) {
        struct ch_jw w;
        ch_jw_init(&w, &details, 0);
        ch_jw_obj_open(&w);
        ch_jw_kint(&w, "target", g->target_id);
        ch_jw_kstr(&w, "partner", partner);
        ch_jw_ktime(&w, "start", g->start);
        ch_jw_ktime(&w, "end", g->end);
        ch_jw_key(&w, "rules");
        ch_jw_raw(&w, ch_buf_cstr(&rules), rules.len);
        ch_jw_obj_close(&w);
        rc = ch_jw_finish(&w, err);
    }
    char object[64];
    snprintf(object, sizeof(object), "authorization:%lld", (long long)id);
    if (rc == CH_OK)
        rc = ch_coord__audit(s, a, "coord.authorization.grant", object, ch_buf_cstr(&details), now,
                             err);
    rc = change_end(c, s, seq, rc, NULL, 0, err);
    if (rc == CH_OK)
        *ret_id = id;
out:
    target_row_release(&t);
    ch_buf_release(&rules);
    ch_buf_release(&details);
    return rc;
}

/* Ends a lease now (state released or revoked); touched ids are recorded. */
static int end_lease_row(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                         const char *state, const char *reason, int64_t now, int64_t seq,
                         struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "UPDATE coord_leases SET state = ?, ended_at = ?, ended_by = ?,"
                           " end_reason = ?, change_seq = ?,"
                           " ends_at = CASE WHEN ? < starts_at THEN starts_at"
                           " WHEN ? < ends_at THEN ? ELSE ends_at END WHERE id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, state);
    ch_stmt_bind_int(st, 2, now);
    ch_stmt_bind_cstr(st, 3, a->name);
    ch_stmt_bind_cstr(st, 4, reason);
    ch_stmt_bind_int(st, 5, seq);
    ch_stmt_bind_int(st, 6, now);
    ch_stmt_bind_int(st, 7, now);
    ch_stmt_bind_int(st, 8, now);
    ch_stmt_bind_int(st, 9, id);
    return ch_stmt_run(st, err);
}

int ch_coord_auth_revoke(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                         int64_t id, const char *reason, int64_t now, struct ch_err *err)
{
    int rc = text_valid(reason, false, "reason", err);
    if (rc != CH_OK)
        return rc;
    int64_t seq = 0;
    rc = change_begin(c, s, &seq, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    int64_t owner = 0;
    bool revoked = false;
    int64_t *leases = NULL;
    size_t n = 0, cap = 0;
    rc = ch_store_stmt(s,
                       "SELECT t.org_id, a.revoked_at IS NOT NULL, a.partner_org_id"
                       " FROM coord_authorizations a JOIN coord_targets t ON t.id = a.target_id"
                       " WHERE a.id = ?",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, id);
        rc = ch_stmt_step(st, err);
        bool visible = false;
        if (rc == 1) {
            owner = ch_stmt_int(st, 0);
            revoked = ch_stmt_int(st, 1) != 0;
            visible = is_wide(a) || a->org_id == owner || a->org_id == ch_stmt_int(st, 2);
            rc = CH_OK;
        }
        ch_stmt_reset(st);
        if (rc == CH_OK && !visible) /* also when no row */
            rc = ch_err_set(err, CH_E_NOTFOUND, "no authorisation %lld", (long long)id);
    }
    if (rc == CH_OK && !is_admin(a) &&
        !(a->org_id == owner && ch_coord__has_role(a, CH_ROLE_OPERATOR)))
        rc = ch_err_set(err, CH_E_PERM,
                        "only an operator of the target's organisation or an admin may revoke"
                        " an authorisation");
    if (rc == CH_OK && revoked)
        rc = ch_err_set(err, CH_E_CONFLICT, "authorisation %lld is already revoked", (long long)id);
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE coord_authorizations SET revoked_at = ?, revoked_by = ?,"
                           " revoke_reason = ? WHERE id = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, now);
        ch_stmt_bind_cstr(st, 2, a->name);
        ch_stmt_bind_cstr(st, 3, reason);
        ch_stmt_bind_int(st, 4, id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "SELECT id FROM coord_leases WHERE authorization_id = ?"
                           " AND state = 'active' AND ends_at > ? ORDER BY id",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, id);
        ch_stmt_bind_int(st, 2, now);
        while ((rc = ch_stmt_step(st, err)) == 1) {
            if (n == cap) {
                cap = cap == 0 ? 16 : cap * 2;
                int64_t *p = ch_reallocarray(leases, cap, sizeof(*p));
                if (p == NULL) {
                    rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                    break;
                }
                leases = p;
            }
            leases[n++] = ch_stmt_int(st, 0);
        }
        ch_stmt_reset(st);
        if (rc == 0)
            rc = CH_OK;
    }
    char object[64], details[CH_COORD_TEXT_MAX + 256];
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        rc = end_lease_row(s, a, leases[i], "revoked", "authorisation revoked", now, seq, err);
        snprintf(object, sizeof(object), "lease:%lld", (long long)leases[i]);
        snprintf(details, sizeof(details), "{\"authorization\":%lld}", (long long)id);
        if (rc == CH_OK)
            rc = ch_coord__audit(s, a, "coord.lease.revoke", object, details, now, err);
        if (rc == CH_OK)
            rc = refresh_lease(c, s, leases[i], err);
    }
    if (rc == CH_OK) {
        struct ch_buf b;
        ch_buf_init(&b, CH_COORD_TEXT_MAX * 2 + 256);
        struct ch_jw w;
        ch_jw_init(&w, &b, 0);
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "reason", reason);
        ch_jw_kint(&w, "leases_revoked", (int64_t)n);
        ch_jw_obj_close(&w);
        rc = ch_jw_finish(&w, err);
        snprintf(object, sizeof(object), "authorization:%lld", (long long)id);
        if (rc == CH_OK)
            rc = ch_coord__audit(s, a, "coord.authorization.revoke", object, ch_buf_cstr(&b), now,
                                 err);
        ch_buf_release(&b);
    }
    rc = change_end(c, s, seq, rc, leases, n, err);
    ch_free(leases);
    return rc;
}

int ch_coord_auth_list_json(struct ch_store *s, const struct ch_coord_actor *a, int64_t target_id,
                            int64_t now, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s,
        "SELECT a.id, a.target_id, t.name, ow.slug, p.slug, a.starts_at, a.ends_at, a.rules,"
        " a.created_at, a.created_by, COALESCE(a.revoked_at, -1), a.revoke_reason"
        " FROM coord_authorizations a JOIN coord_targets t ON t.id = a.target_id"
        " JOIN orgs ow ON ow.id = t.org_id JOIN orgs p ON p.id = a.partner_org_id"
        " WHERE (CAST(? AS BIGINT) = 1 OR t.org_id = ? OR a.partner_org_id = ?)"
        " AND (CAST(? AS BIGINT) = 0 OR a.target_id = ?) ORDER BY a.id",
        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, is_wide(a) ? 1 : 0);
    ch_stmt_bind_int(st, 2, a->org_id);
    ch_stmt_bind_int(st, 3, a->org_id);
    ch_stmt_bind_int(st, 4, target_id);
    ch_stmt_bind_int(st, 5, target_id);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        int64_t revoked = ch_stmt_int(st, 10);
        const char *state = revoked >= 0                ? "revoked"
                            : ch_stmt_int(st, 6) <= now ? "expired"
                            : ch_stmt_int(st, 5) > now  ? "scheduled"
                                                        : "active";
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kint(w, "target_id", ch_stmt_int(st, 1));
        ch_jw_kstr(w, "target", ch_stmt_cstr(st, 2));
        ch_jw_kstr(w, "owner", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "partner", ch_stmt_cstr(st, 4));
        ch_jw_ktime(w, "start", ch_stmt_int(st, 5));
        ch_jw_ktime(w, "end", ch_stmt_int(st, 6));
        ch_jw_kstr(w, "state", state);
        ch_jw_key(w, "rules");
        struct ch_str rules = ch_stmt_text(st, 7);
        ch_jw_raw(w, rules.ptr, rules.len);
        ch_jw_ktime(w, "created_at", ch_stmt_int(st, 8));
        ch_jw_kstr(w, "created_by", ch_stmt_cstr(st, 9));
        if (revoked >= 0) {
            ch_jw_ktime(w, "revoked_at", revoked);
            ch_jw_kstr(w, "revoke_reason", ch_stmt_cstr(st, 11));
        }
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

/* ---- leases ---- */

/* A lease as checked for conflicts: parsed scope and sources. */
struct cand {
    int64_t id;
    enum ch_lease_mode mode;
    int64_t start, end;
    enum ch_target_kind kind;
    const char *key;      /* repo/package */
    struct scope targets; /* network: what is leased */
    struct scope sources; /* prefixes and UA tokens */
};

static void cand_release(struct cand *k)
{
    scope_release(&k->targets);
    scope_release(&k->sources);
}

/* Conflicting held leases of k into out (ids ascending). Lock held. */
static int cand_conflicts(struct ch_coord *c, const struct cand *k, struct ch_lease_hits *out,
                          struct ch_err *err)
{
    if (k->kind == CH_TARGET_NETWORK) {
        struct ch_lease_spec spec = {.id = k->id,
                                     .mode = k->mode,
                                     .start = k->start,
                                     .end = k->end,
                                     .targets = k->targets.pfx,
                                     .n_targets = k->targets.n_pfx,
                                     .names = k->targets.names,
                                     .n_names = k->targets.n_names,
                                     .sources = k->sources.pfx,
                                     .n_sources = k->sources.n_pfx,
                                     .ua_tokens = k->sources.ua,
                                     .n_ua_tokens = k->sources.n_ua};
        return ch_leaseindex_conflicts(c->ix, &spec, out, err);
    }
    out->n = 0;
    const struct ch_coord__idvec *v = ch_map_get(c->exact, ch_str_c(k->key));
    for (size_t i = 0; v != NULL && i < v->n; i++) {
        const struct ch_coord__lease *l = ch_coord__lease_get(c, v->ids[i]);
        if (l == NULL || l->id == k->id)
            continue;
        if (!(l->start < k->end && k->start < l->end))
            continue;
        if (l->mode != CH_LEASE_EXCLUSIVE && k->mode != CH_LEASE_EXCLUSIVE)
            continue;
        if (out->n == out->cap) {
            size_t cap = out->cap == 0 ? 8 : out->cap * 2;
            int64_t *p = ch_reallocarray(out->ids, cap, sizeof(*p));
            if (p == NULL)
                return ch_err_set(err, CH_E_NOMEM, "out of memory");
            out->ids = p;
            out->cap = cap;
        }
        /* keep ascending */
        size_t j = out->n++;
        while (j > 0 && out->ids[j - 1] > l->id) {
            out->ids[j] = out->ids[j - 1];
            j--;
        }
        out->ids[j] = l->id;
    }
    return CH_OK;
}

static int conflict_error(struct ch_coord *c, const struct ch_lease_hits *h, struct ch_err *err)
{
    const struct ch_coord__lease *l = ch_coord__lease_get(c, h->ids[0]);
    char from[CH_TIME_STR_MAX], to[CH_TIME_STR_MAX];
    if (l == NULL)
        return ch_err_setf(err, CH_E_CONFLICT, "window", "conflicts with lease %lld",
                           (long long)h->ids[0]);
    if (h->n > 1)
        return ch_err_setf(err, CH_E_CONFLICT, "window",
                           "conflicts with lease %lld (%s, held by '%s' on '%s', %s to %s) and"
                           " %zu more",
                           (long long)l->id, mode_name(l->mode), l->holder, l->target,
                           ch_time_format(l->start, from), ch_time_format(l->end, to), h->n - 1);
    return ch_err_setf(err, CH_E_CONFLICT, "window",
                       "conflicts with lease %lld (%s, held by '%s' on '%s', %s to %s)",
                       (long long)l->id, mode_name(l->mode), l->holder, l->target,
                       ch_time_format(l->start, from), ch_time_format(l->end, to));
}

/* The active authorisation covering [start, end) for org on target, or 0. */
static int find_auth(struct ch_store *s, int64_t target, int64_t org, int64_t start, int64_t end,
                     int64_t *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id FROM coord_authorizations WHERE target_id = ?"
                           " AND partner_org_id = ? AND revoked_at IS NULL AND starts_at <= ?"
                           " AND ends_at >= ? ORDER BY ends_at DESC, id LIMIT 1",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, target);
    ch_stmt_bind_int(st, 2, org);
    ch_stmt_bind_int(st, 3, start);
    ch_stmt_bind_int(st, 4, end);
    rc = ch_stmt_step(st, err);
    *ret = rc == 1 ? ch_stmt_int(st, 0) : 0;
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

/*
 * A network target is visible to a partner only once authorised for it
 * (TARGET_VISIBLE); before that a lease request answers "not found", as
 * reading it would, so neither its existence nor its name leaks.
 */
static int network_target_visible(struct ch_store *s, const struct ch_coord_actor *a,
                                  const struct target_row *t, struct ch_err *err)
{
    if (t->kind != CH_TARGET_NETWORK || is_wide(a) || t->owner == a->org_id)
        return CH_OK;
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT 1 FROM coord_authorizations WHERE target_id = ?"
                           " AND partner_org_id = ? AND revoked_at IS NULL LIMIT 1",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, t->id);
    ch_stmt_bind_int(st, 2, a->org_id);
    rc = ch_stmt_step(st, err);
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    return rc == 1 ? CH_OK
                   : ch_err_setf(err, CH_E_NOTFOUND, "target", "no target %lld", (long long)t->id);
}

static int no_auth_error(struct ch_store *s, int64_t org, const char *target, struct ch_err *err)
{
    char slug[64] = "?";
    struct ch_err ignore = CH_ERR_INIT;
    CH_IGNORE(org_slug(s, org, slug, &ignore)); /* only for the message */
    return ch_err_setf(err, CH_E_PERM, "authorization",
                       "no authorisation for '%s' on network target '%s' covers the window:"
                       " the target's operator must grant one first",
                       slug, target);
}

/* Fills the scope and sources of a candidate; tgt has the target's scope. */
static int cand_fill(struct cand *k, const struct target_row *t, const char *scope,
                     const char *sources, const char *ua, struct ch_err *err)
{
    int rc = scope_parse(ch_str_c(sources), false, "sources", &k->sources, err);
    if (rc == CH_OK)
        rc = ua_parse(ch_str_c(ua), &k->sources, err);
    if (rc != CH_OK || t->kind != CH_TARGET_NETWORK) {
        k->key = ch_buf_cstr(&t->key);
        return rc;
    }
    if (k->sources.n_pfx + k->sources.n_ua == 0)
        return ch_err_setf(err, CH_E_INVALID, "sources",
                           "a network lease must declare its scanner's source prefixes or"
                           " user-agent tokens");
    struct scope whole = {0};
    rc = scope_parse(ch_buf_str(&t->scope), true, "scope", &whole, err);
    if (rc == CH_OK && scope != NULL && scope[0] != '\0') {
        rc = scope_parse(ch_str_c(scope), true, "scope", &k->targets, err);
        char what[CH_DNS_STR_MAX];
        if (rc == CH_OK && k->targets.n_pfx + k->targets.n_names == 0)
            rc = ch_err_setf(err, CH_E_INVALID, "scope", "the lease scope is empty");
        if (rc == CH_OK && !scope_within(&k->targets, &whole, what, sizeof(what)))
            rc = ch_err_setf(err, CH_E_INVALID, "scope", "'%s' is outside the scope of target '%s'",
                             what, t->name);
        scope_release(&whole);
    } else if (rc == CH_OK) {
        k->targets = whole;
    }
    return rc;
}

/* Conflict check of a candidate; CH_E_CONFLICT naming the first. Lock held. */
static int cand_check(struct ch_coord *c, const struct cand *k, struct ch_lease_hits *report,
                      struct ch_err *err)
{
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    int rc = cand_conflicts(c, k, &h, err);
    if (rc == CH_OK && h.n > 0) {
        rc = conflict_error(c, &h, err);
        if (report != NULL) {
            ch_lease_hits_release(report);
            *report = h;
            h = (struct ch_lease_hits)CH_LEASE_HITS_INIT;
        }
    }
    ch_lease_hits_release(&h);
    return rc;
}

/*
 * After a refusal for overlap (rc, err hold it): queues its lease_conflict
 * events. The refusal stays the answer; only when the events cannot be
 * queued does the caller get that failure instead, so that retrying the
 * request (same keys) queues them then.
 */
static int refused_event(struct ch_store *s, const struct ch_coord__conflict *k, int64_t now,
                         int rc, struct ch_err *err)
{
    struct ch_err qerr = CH_ERR_INIT;
    int qrc = ch_coord__conflict_event(s, k, now, &qerr);
    if (qrc == CH_OK)
        return rc;
    ch_err_clear(err);
    *err = qerr;
    ch_err_prefix(err, "lease refused (conflict), but its lease_conflict events were not queued");
    return qrc;
}

int ch_coord_lease_request(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                           const struct ch_coord_lease_new *l, int64_t now, int64_t *ret_id,
                           struct ch_err *err)
{
    int64_t holder = l->org_id != 0 ? l->org_id : a->org_id;
    if (holder == 0)
        return ch_err_setf(err, CH_E_INVALID, "org", "name the organisation holding the lease");
    if (!is_admin(a) && !(holder == a->org_id && ch_coord__has_role(a, CH_ROLE_PARTNER)))
        return ch_err_set(err, CH_E_PERM,
                          "only a partner (for its own organisation) or an admin may request"
                          " leases");
    if (l->mode != CH_LEASE_EXCLUSIVE && l->mode != CH_LEASE_SHARED)
        return ch_err_setf(err, CH_E_INVALID, "mode", "mode must be exclusive or shared");
    int rc = check_window(l->start, l->end, CH_COORD_LEASE_MAX_SECONDS, "a lease", err);
    if (rc == CH_OK && l->start < now)
        rc = ch_err_setf(err, CH_E_INVALID, "start",
                         "a lease cannot start in the past (it would authorise scanning after"
                         " the fact)");
    if (rc != CH_OK)
        return rc;
    struct target_row t;
    target_row_init(&t);
    struct cand k = {.mode = l->mode, .start = l->start, .end = l->end};
    struct ch_buf scope_text, src_text, ua_text, details;
    ch_buf_init(&scope_text, CH_COORD_LIST_MAX + 64);
    ch_buf_init(&src_text, CH_COORD_LIST_MAX + 64);
    ch_buf_init(&ua_text, 4096);
    ch_buf_init(&details, 2 * CH_COORD_LIST_MAX + 4096);
    char slug[64] = "";
    int64_t seq = 0, id = 0, auth = 0;
    /* the conflicts are needed for the lease_conflict events even when the caller does not ask */
    struct ch_lease_hits own_hits = CH_LEASE_HITS_INIT;
    struct ch_lease_hits *hits = l->conflicts != NULL ? l->conflicts : &own_hits;
    hits->n = 0;
    rc = target_load(s, l->target_id, &t, err);
    if (rc == CH_OK)
        rc = network_target_visible(s, a, &t, err);
    if (rc == CH_OK)
        rc = org_slug(s, holder, slug, err);
    if (rc == CH_OK) {
        k.kind = t.kind;
        rc = cand_fill(&k, &t, l->scope, l->sources, l->ua_tokens, err);
    }
    if (rc != CH_OK)
        goto out;
    if (t.kind == CH_TARGET_NETWORK && l->scope != NULL && l->scope[0] != '\0')
        scope_format(&k.targets, &scope_text);
    {
        struct scope only_pfx = {.pfx = k.sources.pfx, .n_pfx = k.sources.n_pfx};
        scope_format(&only_pfx, &src_text);
    }
    ua_format(&k.sources, &ua_text);
    rc = change_begin(c, s, &seq, err);
    if (rc != CH_OK)
        goto out;
    if (t.kind == CH_TARGET_NETWORK) {
        rc = find_auth(s, t.id, holder, l->start, l->end, &auth, err);
        if (rc == CH_OK && auth == 0)
            rc = no_auth_error(s, holder, t.name, err);
    }
    if (rc == CH_OK)
        rc = cand_check(c, &k, hits, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "INSERT INTO coord_leases (target_id, org_id, authorization_id, mode,"
                           " starts_at, ends_at, scope, sources, ua_tokens, state, created_at,"
                           " created_by, change_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active',"
                           " ?, ?, ?) RETURNING id",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, t.id);
        ch_stmt_bind_int(st, 2, holder);
        if (auth != 0)
            ch_stmt_bind_int(st, 3, auth);
        ch_stmt_bind_cstr(st, 4, mode_name(l->mode));
        ch_stmt_bind_int(st, 5, l->start);
        ch_stmt_bind_int(st, 6, l->end);
        if (scope_text.len > 0)
            ch_stmt_bind_str(st, 7, ch_buf_str(&scope_text));
        ch_stmt_bind_str(st, 8, ch_buf_str(&src_text));
        ch_stmt_bind_str(st, 9, ch_buf_str(&ua_text));
        ch_stmt_bind_int(st, 10, now);
        ch_stmt_bind_cstr(st, 11, a->name);
        ch_stmt_bind_int(st, 12, seq);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK) {
        struct ch_jw w;
        ch_jw_init(&w, &details, 0);
        ch_jw_obj_open(&w);
        ch_jw_kint(&w, "target", t.id);
        ch_jw_kstr(&w, "holder", slug);
        ch_jw_kstr(&w, "mode", mode_name(l->mode));
        ch_jw_ktime(&w, "start", l->start);
        ch_jw_ktime(&w, "end", l->end);
        if (auth != 0)
            ch_jw_kint(&w, "authorization", auth);
        if (scope_text.len > 0)
            ch_jw_kstr(&w, "scope", ch_buf_cstr(&scope_text));
        ch_jw_kstr(&w, "sources", ch_buf_cstr(&src_text));
        ch_jw_kstr(&w, "ua_tokens", ch_buf_cstr(&ua_text));
        ch_jw_obj_close(&w);
        rc = ch_jw_finish(&w, err);
    }
    char object[64];
    snprintf(object, sizeof(object), "lease:%lld", (long long)id);
    if (rc == CH_OK)
        rc = ch_coord__audit(s, a, "coord.lease.request", object, ch_buf_cstr(&details), now, err);
    if (rc == CH_OK)
        rc = refresh_lease(c, s, id, err);
    rc = change_end(c, s, seq, rc, id != 0 ? &id : NULL, id != 0 ? 1 : 0, err);
    if (rc == CH_E_CONFLICT && hits->n > 0) {
        struct ch_coord__conflict ev = {.requester_org = holder,
                                        .target_id = t.id,
                                        .mode = mode_name(l->mode),
                                        .start = l->start,
                                        .end = l->end,
                                        .leases = hits->ids,
                                        .n_leases = hits->n};
        rc = refused_event(s, &ev, now, rc, err);
    }
    if (rc == CH_OK)
        *ret_id = id;
out:
    ch_lease_hits_release(&own_hits);
    cand_release(&k);
    target_row_release(&t);
    ch_buf_release(&scope_text);
    ch_buf_release(&src_text);
    ch_buf_release(&ua_text);
    ch_buf_release(&details);
    return rc;
}

/* A stored lease, for the changes that act on one. */
struct lease_row {
    int64_t id, target_id, holder, owner, auth;
    int64_t start, end;
    enum ch_lease_mode mode;
    char state[16];
    struct ch_buf scope, sources, ua;
};

static void lease_row_init(struct lease_row *r)
{
    *r = (struct lease_row){0};
    ch_buf_init(&r->scope, CH_COORD_LIST_MAX + 64);
    ch_buf_init(&r->sources, CH_COORD_LIST_MAX + 64);
    ch_buf_init(&r->ua, 4096);
}

static void lease_row_release(struct lease_row *r)
{
    ch_buf_release(&r->scope);
    ch_buf_release(&r->sources);
    ch_buf_release(&r->ua);
}

/* Loads a lease visible to a (CH_E_NOTFOUND otherwise). */
static int lease_load(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                      struct lease_row *r, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc =
        ch_store_stmt(s,
                      "SELECT l.target_id, l.org_id, t.org_id, COALESCE(l.authorization_id, 0),"
                      " l.starts_at, l.ends_at, l.mode, l.state, COALESCE(l.scope, ''),"
                      " l.sources, l.ua_tokens FROM coord_leases l JOIN coord_targets t"
                      " ON t.id = l.target_id WHERE l.id = ?",
                      &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        r->id = id;
        r->target_id = ch_stmt_int(st, 0);
        r->holder = ch_stmt_int(st, 1);
        r->owner = ch_stmt_int(st, 2);
        r->auth = ch_stmt_int(st, 3);
        r->start = ch_stmt_int(st, 4);
        r->end = ch_stmt_int(st, 5);
        r->mode =
            ch_str_eq_c(ch_stmt_text(st, 6), "exclusive") ? CH_LEASE_EXCLUSIVE : CH_LEASE_SHARED;
        snprintf(r->state, sizeof(r->state), "%s", ch_stmt_cstr(st, 7));
        ch_buf_reset(&r->scope);
        ch_buf_append_str(&r->scope, ch_stmt_text(st, 8));
        ch_buf_reset(&r->sources);
        ch_buf_append_str(&r->sources, ch_stmt_text(st, 9));
        ch_buf_reset(&r->ua);
        ch_buf_append_str(&r->ua, ch_stmt_text(st, 10));
        rc = ch_buf_status(&r->scope, "lease", err);
        if (rc == CH_OK)
            rc = ch_buf_status(&r->sources, "lease", err);
        if (rc == CH_OK)
            rc = ch_buf_status(&r->ua, "lease", err);
        if (rc == CH_OK)
            rc = 1;
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    struct ch_coord__lease probe = {.holder_org = r->holder, .owner_org = r->owner};
    if (rc == 0 || !ch_coord__lease_visible(a, &probe))
        return ch_err_set(err, CH_E_NOTFOUND, "no lease %lld", (long long)id);
    return CH_OK;
}

int ch_coord_lease_extend(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                          int64_t id, int64_t new_end, int64_t now, struct ch_err *err)
{
    struct lease_row r;
    lease_row_init(&r);
    struct target_row t;
    target_row_init(&t);
    struct cand k = {.id = id};
    struct ch_lease_hits hits = CH_LEASE_HITS_INIT;
    int64_t seq = 0, auth = 0;
    int rc = change_begin(c, s, &seq, err);
    if (rc != CH_OK)
        goto out;
    rc = lease_load(s, a, id, &r, err);
    if (rc == CH_OK && !is_admin(a) && a->org_id != r.holder)
        rc = ch_err_set(err, CH_E_PERM, "only the lease's holder or an admin may extend it");
    if (rc == CH_OK && (strcmp(r.state, "active") != 0 || r.end <= now))
        rc = ch_err_set(err, CH_E_CONFLICT, "lease %lld has ended; request a new one",
                        (long long)id);
    if (rc == CH_OK && new_end <= r.end)
        rc = ch_err_setf(err, CH_E_INVALID, "end", "an extension must move the end later");
    if (rc == CH_OK)
        rc = check_window(r.start, new_end, CH_COORD_LEASE_MAX_SECONDS, "a lease", err);
    if (rc == CH_OK)
        rc = target_load(s, r.target_id, &t, err);
    if (rc == CH_OK) {
        k.mode = r.mode;
        k.start = r.start;
        k.end = new_end;
        k.kind = t.kind;
        rc = cand_fill(&k, &t, ch_buf_cstr(&r.scope), ch_buf_cstr(&r.sources), ch_buf_cstr(&r.ua),
                       err);
    }
    if (rc == CH_OK && t.kind == CH_TARGET_NETWORK) {
        rc = find_auth(s, t.id, r.holder, r.start, new_end, &auth, err);
        if (rc == CH_OK && auth == 0)
            rc = no_auth_error(s, r.holder, t.name, err);
    }
    if (rc == CH_OK)
        rc = cand_check(c, &k, &hits, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE coord_leases SET ends_at = ?, authorization_id = ?,"
                           " change_seq = ? WHERE id = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, new_end);
        if (auth != 0)
            ch_stmt_bind_int(st, 2, auth);
        ch_stmt_bind_int(st, 3, seq);
        ch_stmt_bind_int(st, 4, id);
        rc = ch_stmt_run(st, err);
    }
    char object[64], details[256], a_end[CH_TIME_STR_MAX], b_end[CH_TIME_STR_MAX];
    snprintf(object, sizeof(object), "lease:%lld", (long long)id);
    snprintf(details, sizeof(details), "{\"from\":\"%s\",\"to\":\"%s\"}",
             ch_time_format(r.end, a_end), ch_time_format(new_end, b_end));
    if (rc == CH_OK)
        rc = ch_coord__audit(s, a, "coord.lease.extend", object, details, now, err);
    if (rc == CH_OK)
        rc = refresh_lease(c, s, id, err);
    rc = change_end(c, s, seq, rc, &id, 1, err);
    if (rc == CH_E_CONFLICT && hits.n > 0) {
        struct ch_coord__conflict ev = {.requester_org = r.holder,
                                        .extending = id,
                                        .target_id = t.id,
                                        .mode = mode_name(r.mode),
                                        .start = r.start,
                                        .end = new_end,
                                        .leases = hits.ids,
                                        .n_leases = hits.n};
        rc = refused_event(s, &ev, now, rc, err);
    }
out:
    ch_lease_hits_release(&hits);
    cand_release(&k);
    target_row_release(&t);
    lease_row_release(&r);
    return rc;
}

static int lease_end(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                     int64_t id, bool revoke, const char *reason, int64_t now, struct ch_err *err)
{
    int rc = text_valid(reason, false, "reason", err);
    if (rc != CH_OK)
        return rc;
    struct lease_row r;
    lease_row_init(&r);
    int64_t seq = 0;
    rc = change_begin(c, s, &seq, err);
    if (rc != CH_OK)
        goto out;
    rc = lease_load(s, a, id, &r, err);
    if (rc == CH_OK && !revoke && !is_admin(a) && a->org_id != r.holder)
        rc = ch_err_set(err, CH_E_PERM, "only the lease's holder or an admin may release it");
    if (rc == CH_OK && revoke && !is_wide(a) &&
        !(a->org_id == r.owner && ch_coord__has_role(a, CH_ROLE_OPERATOR)))
        rc = ch_err_set(err, CH_E_PERM,
                        "only the target's operator, an analyst or an admin may revoke a lease");
    if (rc == CH_OK && (strcmp(r.state, "active") != 0 || r.end <= now))
        rc = ch_err_set(err, CH_E_CONFLICT, "lease %lld has already ended", (long long)id);
    const char *state = revoke ? "revoked" : "released";
    if (rc == CH_OK)
        rc = end_lease_row(s, a, id, state, reason, now, seq, err);
    char object[64];
    snprintf(object, sizeof(object), "lease:%lld", (long long)id);
    struct ch_buf b;
    ch_buf_init(&b, CH_COORD_TEXT_MAX * 2 + 64);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "reason", reason);
    ch_jw_obj_close(&w);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, err);
    if (rc == CH_OK)
        rc = ch_coord__audit(s, a, revoke ? "coord.lease.revoke" : "coord.lease.release", object,
                             ch_buf_cstr(&b), now, err);
    ch_buf_release(&b);
    if (rc == CH_OK)
        rc = refresh_lease(c, s, id, err);
    rc = change_end(c, s, seq, rc, &id, 1, err);
out:
    lease_row_release(&r);
    return rc;
}

int ch_coord_lease_release(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                           int64_t id, int64_t now, struct ch_err *err)
{
    return lease_end(c, s, a, id, false, NULL, now, err);
}

int ch_coord_lease_revoke(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                          int64_t id, const char *reason, int64_t now, struct ch_err *err)
{
    return lease_end(c, s, a, id, true, reason, now, err);
}

/* Lease visibility as SQL over aliases l and t, binding (wide, org, org, operator). */
#define LEASE_VISIBLE                                                                              \
    "(CAST(? AS BIGINT) = 1 OR l.org_id = ? OR (t.org_id = ? AND CAST(? AS BIGINT) = 1))"

static void bind_lease_visible(struct ch_stmt *st, int first, const struct ch_coord_actor *a)
{
    ch_stmt_bind_int(st, first, is_wide(a) ? 1 : 0);
    ch_stmt_bind_int(st, first + 1, a->org_id);
    ch_stmt_bind_int(st, first + 2, a->org_id);
    ch_stmt_bind_int(st, first + 3, ch_coord__has_role(a, CH_ROLE_OPERATOR) ? 1 : 0);
}

#define LEASE_LIST_COLS                                                                            \
    "l.id, l.target_id, t.name, t.kind, o.slug, ow.slug, COALESCE(l.authorization_id, 0),"         \
    " l.mode, l.starts_at, l.ends_at, l.state, l.scope, l.sources, l.ua_tokens, l.created_at,"     \
    " l.created_by, COALESCE(l.ended_at, -1), l.end_reason"
#define LEASE_LIST_FROM                                                                            \
    " FROM coord_leases l JOIN coord_targets t ON t.id = l.target_id"                              \
    " JOIN orgs o ON o.id = l.org_id JOIN orgs ow ON ow.id = t.org_id"

static const char *lease_state(const char *stored, int64_t start, int64_t end, int64_t now)
{
    if (strcmp(stored, "active") != 0)
        return stored;
    if (end <= now)
        return "expired";
    return start > now ? "scheduled" : "active";
}

static void lease_json(struct ch_stmt *st, int64_t now, struct ch_jw *w)
{
    int64_t start = ch_stmt_int(st, 8), end = ch_stmt_int(st, 9);
    ch_jw_obj_open(w);
    ch_jw_kint(w, "id", ch_stmt_int(st, 0));
    ch_jw_kint(w, "target_id", ch_stmt_int(st, 1));
    ch_jw_kstr(w, "target", ch_stmt_cstr(st, 2));
    ch_jw_kstr(w, "kind", ch_stmt_cstr(st, 3));
    ch_jw_kstr(w, "holder", ch_stmt_cstr(st, 4));
    ch_jw_kstr(w, "owner", ch_stmt_cstr(st, 5));
    if (ch_stmt_int(st, 6) != 0)
        ch_jw_kint(w, "authorization", ch_stmt_int(st, 6));
    ch_jw_kstr(w, "mode", ch_stmt_cstr(st, 7));
    ch_jw_ktime(w, "start", start);
    ch_jw_ktime(w, "end", end);
    ch_jw_kstr(w, "state", lease_state(ch_stmt_cstr(st, 10), start, end, now));
    if (!ch_stmt_is_null(st, 11))
        ch_jw_kstr(w, "scope", ch_stmt_cstr(st, 11));
    ch_jw_kstr(w, "sources", ch_stmt_cstr(st, 12));
    ch_jw_kstr(w, "ua_tokens", ch_stmt_cstr(st, 13));
    ch_jw_ktime(w, "created_at", ch_stmt_int(st, 14));
    ch_jw_kstr(w, "created_by", ch_stmt_cstr(st, 15));
    if (ch_stmt_int(st, 16) >= 0) {
        ch_jw_ktime(w, "ended_at", ch_stmt_int(st, 16));
        ch_jw_kstr(w, "end_reason", ch_stmt_cstr(st, 17));
    }
    ch_jw_obj_close(w);
}

int ch_coord_lease_list_json(struct ch_store *s, const struct ch_coord_actor *a,
                             const struct ch_coord_lease_filter *f, int64_t now, struct ch_jw *w,
                             struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT " LEASE_LIST_COLS LEASE_LIST_FROM " WHERE " LEASE_VISIBLE
                              " AND (CAST(? AS BIGINT) = 0 OR l.target_id = ?)"
                              " AND (CAST(? AS BIGINT) = 0 OR (l.state = 'active' AND l.ends_at"
                              " > ?)) ORDER BY l.id",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    bind_lease_visible(st, 1, a);
    int64_t target = f != NULL ? f->target_id : 0;
    ch_stmt_bind_int(st, 5, target);
    ch_stmt_bind_int(st, 6, target);
    ch_stmt_bind_int(st, 7, f != NULL && f->active_only ? 1 : 0);
    ch_stmt_bind_int(st, 8, now);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1)
        lease_json(st, now, w);
    ch_jw_arr_close(w);
    ch_stmt_free(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_coord_lease_show_json(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                             int64_t now, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s, "SELECT " LEASE_LIST_COLS LEASE_LIST_FROM " WHERE l.id = ? AND " LEASE_VISIBLE, &st,
        err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    bind_lease_visible(st, 2, a);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no lease %lld", (long long)id);
    if (rc < 0)
        return rc;
    ch_jw_obj_open(w);
    ch_jw_key(w, "lease");
    lease_json(st, now, w);
    ch_stmt_reset(st);
    rc = ch_store_stmt(s,
                       "SELECT id, scanned, tool, findings, notes, created_at, created_by"
                       " FROM coord_reports WHERE lease_id = ? ORDER BY id",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, id);
        ch_jw_key(w, "reports");
        ch_jw_arr_open(w);
        while ((rc = ch_stmt_step(st, err)) == 1) {
            ch_jw_obj_open(w);
            ch_jw_kint(w, "id", ch_stmt_int(st, 0));
            ch_jw_kstr(w, "scanned", ch_stmt_cstr(st, 1));
            ch_jw_kstr(w, "tool", ch_stmt_cstr(st, 2));
            ch_jw_kint(w, "findings", ch_stmt_int(st, 3));
            ch_jw_kstr(w, "notes", ch_stmt_cstr(st, 4));
            ch_jw_ktime(w, "created_at", ch_stmt_int(st, 5));
            ch_jw_kstr(w, "created_by", ch_stmt_cstr(st, 6));
            ch_jw_obj_close(w);
        }
        ch_jw_arr_close(w);
    }
    ch_jw_obj_close(w);
    return rc < 0 ? rc : CH_OK;
}

int ch_coord_lease_report(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                          const struct ch_coord_report_new *r, int64_t now, int64_t *ret_id,
                          struct ch_err *err)
{
    int rc = text_valid(r->scanned, true, "scanned", err);
    if (rc == CH_OK)
        rc = text_valid(r->tool, true, "tool", err);
    if (rc == CH_OK)
        rc = text_valid(r->notes, false, "notes", err);
    if (rc == CH_OK && (r->findings < 0 || r->findings > 100000000))
        rc = ch_err_setf(err, CH_E_INVALID, "findings", "findings must be 0 to 100000000");
    if (rc != CH_OK)
        return rc;
    struct lease_row l;
    lease_row_init(&l);
    int64_t id = 0;
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        goto out;
    rc = lease_load(s, a, r->lease_id, &l, err);
    if (rc == CH_OK && !is_admin(a) && a->org_id != l.holder)
        rc = ch_err_set(err, CH_E_PERM, "only the lease's holder may report against it");
    if (rc == CH_OK && l.start > now)
        rc = ch_err_set(err, CH_E_CONFLICT, "lease %lld has not started yet",
                        (long long)r->lease_id);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "INSERT INTO coord_reports (lease_id, scanned, tool, findings, notes,"
                           " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, r->lease_id);
        ch_stmt_bind_cstr(st, 2, r->scanned);
        ch_stmt_bind_cstr(st, 3, r->tool);
        ch_stmt_bind_int(st, 4, r->findings);
        ch_stmt_bind_cstr(st, 5, r->notes);
        ch_stmt_bind_int(st, 6, now);
        ch_stmt_bind_cstr(st, 7, a->name);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK) {
        struct ch_buf b;
        ch_buf_init(&b, 4 * CH_COORD_TEXT_MAX + 256);
        struct ch_jw w;
        ch_jw_init(&w, &b, 0);
        ch_jw_obj_open(&w);
        ch_jw_kint(&w, "report", id);
        ch_jw_kstr(&w, "scanned", r->scanned);
        ch_jw_kstr(&w, "tool", r->tool);
        ch_jw_kint(&w, "findings", r->findings);
        ch_jw_obj_close(&w);
        rc = ch_jw_finish(&w, err);
        char object[64];
        snprintf(object, sizeof(object), "lease:%lld", (long long)r->lease_id);
        if (rc == CH_OK)
            rc = ch_coord__audit(s, a, "coord.lease.report", object, ch_buf_cstr(&b), now, err);
        ch_buf_release(&b);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK)
        *ret_id = id;
out:
    (void)c; /* reports do not change the index */
    lease_row_release(&l);
    return rc;
}

/* ---- uncovered targets ---- */

static int score_leases(struct ch_store *s, int64_t target_id, int64_t *ret_score,
                        struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT COUNT(*) FROM coord_leases WHERE target_id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, target_id);
    rc = ch_stmt_step(st, err);
    if (rc == 1)
        *ret_score = ch_stmt_int(st, 0);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

/* purl type → OSV ecosystem name, as the exposure tables (0007) record it. */
static const char *const purl_ecosystems[][2] = {
    {"pypi", "PyPI"},      {"npm", "npm"},     {"cargo", "crates.io"}, {"golang", "Go"},
    {"maven", "Maven"},    {"nuget", "NuGet"}, {"gem", "RubyGems"},    {"composer", "Packagist"},
    {"hex", "Hex"},        {"pub", "Pub"},     {"deb", "Debian"},      {"apk", "Alpine"},
    {"swift", "SwiftURL"},
};

/*
 * Exposed assets that depend on a package target: distinct assets with an
 * exposure (not remediated, not "not affected") in `exposures` (migration
 * 0007) whose ecosystem is the purl type's and whose normalised or inventory
 * package name is the purl's (namespace included, as the ecosystem writes
 * it). Repository and network targets score 0 until exposures can be tied to
 * repositories and addresses.
 */
static int score_exposures(struct ch_store *s, int64_t target_id, int64_t *ret_score,
                           struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s, "SELECT kind, COALESCE(match_key, '') FROM coord_targets WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, target_id);
    rc = ch_stmt_step(st, err);
    bool package = rc == 1 && ch_str_eq_c(ch_stmt_text(st, 0), "package");
    struct ch_buf key;
    ch_buf_init(&key, CH_COORD_URL_MAX + 1024);
    if (package)
        ch_buf_append_str(&key, ch_stmt_text(st, 1));
    ch_stmt_reset(st);
    *ret_score = 0;
    if (rc < 0 || !package) {
        ch_buf_release(&key);
        return rc < 0 ? rc : CH_OK;
    }
    /* the purl part of the key (a ranged key is "purl range") */
    struct ch_str k = ch_buf_str(&key);
    long sp = ch_str_find_char(k, ' ');
    if (sp >= 0)
        k.len = (size_t)sp;
    struct ch_arena *arena = ch_arena_new((size_t)1 << 20);
    struct ch_purl p;
    struct ch_err ignore = CH_ERR_INIT;
    const char *eco = NULL;
    struct ch_buf name;
    ch_buf_init(&name, 8192);
    if (arena != NULL && ch_purl_parse(k, 0, arena, &p, &ignore) == CH_OK) {
        for (size_t i = 0; i < CH_ARRAY_SIZE(purl_ecosystems) && eco == NULL; i++) {
            if (strcmp(p.type, purl_ecosystems[i][0]) == 0)
                eco = purl_ecosystems[i][1];
        }
        if (p.ns != NULL) {
            ch_buf_append_c(&name, p.ns);
            ch_buf_append_byte(&name, strcmp(p.type, "maven") == 0 ? ':' : '/');
        }
        ch_buf_append_c(&name, p.name);
    }
    if (arena == NULL)
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
    if (rc >= 0 && eco != NULL)
        rc = ch_store_stmt(s,
                           "SELECT COUNT(DISTINCT asset_id) FROM exposures WHERE ecosystem = ?"
                           " AND (norm_name = ? OR LOWER(package) = LOWER(?))"
                           " AND status NOT IN ('remediated', 'not_affected')",
                           &st, err);
    if (rc >= 0 && eco != NULL) {
        ch_stmt_bind_cstr(st, 1, eco);
        ch_stmt_bind_str(st, 2, ch_buf_str(&name));
        ch_stmt_bind_str(st, 3, ch_buf_str(&name));
        rc = ch_stmt_step(st, err);
        if (rc == 1)
            *ret_score = ch_stmt_int(st, 0);
        ch_stmt_reset(st);
    }
    ch_arena_free(arena);
    ch_buf_release(&name);
    ch_buf_release(&key);
    return rc < 0 ? rc : CH_OK;
}

const struct ch_coord_ranker ch_coord_rank_leases = {.name = "leases", .score = score_leases};
const struct ch_coord_ranker ch_coord_rank_exposures = {.name = "exposures",
                                                        .score = score_exposures};

static int table_exists(struct ch_store *s, const char *name, bool *ret, struct ch_err *err)
{
    int64_t n = 0;
    int rc = ch_store_backend(s) == CH_STORE_POSTGRES
                 ? ch_store_query_int(s,
                                      "SELECT COUNT(*) FROM information_schema.tables WHERE"
                                      " table_schema = current_schema() AND table_name = ?",
                                      name, 0, &n, err)
                 : ch_store_query_int(s,
                                      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                                      " AND name = ?",
                                      name, 0, &n, err);
    if (rc == CH_OK)
        *ret = n > 0;
    return rc;
}

struct ranked {
    int64_t id, score, last_end;
};

static int ranked_cmp(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->id < b->id ? -1 : (a->id > b->id ? 1 : 0);
}

int ch_coord_uncovered_json(struct ch_store *s, const struct ch_coord_actor *a, int64_t days,
                            const struct ch_coord_ranker *ranker, int64_t now, struct ch_jw *w,
                            struct ch_err *err)
{
    if (days < 1 || days > 3660)
        return ch_err_setf(err, CH_E_INVALID, "days", "days must be 1 to 3660");
    int64_t since = now - days * CH_DAY_SECONDS;
    const char *note = NULL;
    int rc = CH_OK;
    if (ranker == NULL) {
        bool has = false;
        rc = table_exists(s, "exposures", &has, err);
        if (rc != CH_OK)
            return rc;
        ranker = has ? &ch_coord_rank_exposures : &ch_coord_rank_leases;
    }
    struct ch_stmt *st = NULL;
    rc = ch_store_prepare(s,
                          "SELECT t.id, COALESCE((SELECT MAX(x.ends_at) FROM coord_leases x"
                          " WHERE x.target_id = t.id AND x.ends_at > x.starts_at AND"
                          " x.starts_at < ?), -1) FROM coord_targets t WHERE " TARGET_VISIBLE
                          " AND NOT EXISTS (SELECT 1 FROM coord_leases l WHERE l.target_id = t.id"
                          " AND l.ends_at > l.starts_at AND l.starts_at < ? AND l.ends_at > ?)"
                          " ORDER BY t.id",
                          &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, now);
    bind_target_visible(st, 2, a);
    ch_stmt_bind_int(st, 5, now);
    ch_stmt_bind_int(st, 6, since);
    struct ranked *list = NULL;
    size_t n = 0, cap = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            struct ranked *p = ch_reallocarray(list, cap, sizeof(*p));
            if (p == NULL) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                break;
            }
            list = p;
        }
        list[n++] = (struct ranked){.id = ch_stmt_int(st, 0), .last_end = ch_stmt_int(st, 1)};
    }
    ch_stmt_free(st);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = ranker->score(s, list[i].id, &list[i].score, err);
        if (rc != CH_OK && ranker == &ch_coord_rank_exposures) {
            /* the exposure tables do not have the expected shape (yet): say
             * so and rank by leases rather than fail the schedule */
            note = "the exposures table is present but could not be used; ranked by leases";
            ch_err_clear(err);
            ranker = &ch_coord_rank_leases;
            i = (size_t)-1;
            rc = CH_OK;
        }
    }
    if (rc < 0) {
        ch_free(list);
        return rc;
    }
    if (n > 1)
        qsort(list, n, sizeof(*list), ranked_cmp);
    rc = ch_store_stmt(s,
                       "SELECT " TARGET_COLS " FROM coord_targets t JOIN orgs o ON o.id ="
                       " t.org_id WHERE t.id = ?",
                       &st, err);
    ch_jw_obj_open(w);
    ch_jw_kint(w, "days", days);
    ch_jw_ktime(w, "since", since);
    ch_jw_kstr(w, "rank_by", ranker->name);
    if (note != NULL)
        ch_jw_kstr(w, "note", note);
    ch_jw_key(w, "targets");
    ch_jw_arr_open(w);
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        ch_stmt_reset(st);
        ch_stmt_bind_int(st, 1, list[i].id);
        rc = ch_stmt_step(st, err);
        if (rc != 1)
            break;
        rc = CH_OK;
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", list[i].id);
        ch_jw_kstr(w, "org", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "kind", ch_stmt_cstr(st, 2));
        ch_jw_kstr(w, "name", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "locator", ch_stmt_cstr(st, 4));
        ch_jw_kint(w, "score", list[i].score);
        ch_jw_ktime(w, "last_lease_end", list[i].last_end);
        ch_jw_obj_close(w);
    }
    if (st != NULL)
        ch_stmt_reset(st);
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_free(list);
    return rc < 0 ? rc : CH_OK;
}
