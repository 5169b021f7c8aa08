/* SPDX-License-Identifier: Apache-2.0
 *
 * service.h: scan coordination (DESIGN.md §1 item 4): targets, the
 * authorisations operators grant for their network scopes, the leases
 * partners hold, their coverage reports, and the in-memory deconfliction
 * index kept in step with the store.
 *
 * Targets belong to an organisation and are one of: a source repository at a
 * commit or tag ("repo"), a package given as a purl with a version or with a
 * version range ("package"), or a network scope of IPv4/IPv6 CIDR blocks and
 * DNS names ("network"). Leases on network targets need an authorisation:
 * the owning operator grants a named partner organisation a window with
 * rules of engagement, and a lease must lie inside one. No authorisation, no
 * lease.
 *
 * Overlap rules (docs/coordination.md): two leases conflict when their
 * targets intersect, their windows [start, end) overlap and one of them is
 * exclusive. Network targets intersect as coord/leaseindex.h says (prefix
 * containment, names, wildcards; names never meet addresses); repository and
 * package targets intersect only when their match keys are equal (the same
 * repository URL and ref, the same canonical purl and version or range).
 * A refused request names the conflicting lease.
 *
 * The record is the store; the service holds the index (network leases) and
 * an exact-match map (repository and package leases), built at start from
 * every lease that ended less than `history_seconds` ago and compacted, then
 * kept in step on every change. Released and revoked leases are cut short
 * (their end becomes the moment they ended) rather than forgotten, so a
 * question about an earlier time still finds them; expired leases need no
 * action, their window has passed. Every change bumps coord_head.seq under a
 * row lock: several processes sharing one PostgreSQL database stay correct,
 * each catching up (ch_coord_sync) on leases changed since it last looked.
 *
 * Every change runs in one write transaction with its audit entry
 * (audit/audit.h). Tenancy (DESIGN.md §7): admins and analysts see
 * everything; a partner sees its own leases, an operator the leases and
 * authorisations on its organisation's targets. What a caller may not see is
 * CH_E_NOTFOUND, as if it did not exist.
 *
 * Thread-safety: one struct ch_coord is shared by all threads; it has its
 * own read/write lock. The store passed to each call is the caller's
 * connection (one per thread).
 */
#ifndef CH_COORD_SERVICE_H
#define CH_COORD_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "coord/leaseindex.h"
#include "core/err.h"
#include "core/json.h"
#include "core/str.h"
#include "identity/identity.h"
#include "store/store.h"

/* Default history the index holds: a lease that ended longer ago than this
 * is not loaded, and questions about earlier times are refused (CH_E_LIMIT)
 * rather than answered "unauthorised" from an incomplete index. */
#define CH_COORD_HISTORY_DEFAULT ((int64_t)400 * 86400)
/* Longest lease window: leases are for scanning campaigns, not standing
 * permissions; longer work is a new lease (or an extension). */
#define CH_COORD_LEASE_MAX_SECONDS ((int64_t)90 * 86400)
/* Longest authorisation window (operators renew them yearly). */
#define CH_COORD_AUTH_MAX_SECONDS ((int64_t)366 * 86400)
/* Bytes of a target name, a repository URL, a ref, free-text fields. */
#define CH_COORD_NAME_MAX 128
#define CH_COORD_URL_MAX 2048
#define CH_COORD_REF_MAX 256
#define CH_COORD_TEXT_MAX 4096
/* Rules of engagement document (JSON object). */
#define CH_COORD_RULES_MAX 16384
/* Bytes of a scope or source list as text (65,536 prefixes of ~20 bytes). */
#define CH_COORD_LIST_MAX ((size_t)2 << 20)

enum ch_target_kind {
    CH_TARGET_REPO = 1,
    CH_TARGET_PACKAGE = 2,
    CH_TARGET_NETWORK = 3,
};

/* "repo", "package", "network"; NULL for another value. */
const char *ch_coord_target_kind_name(enum ch_target_kind k);
int ch_coord_target_kind_parse(const char *s, enum ch_target_kind *ret);

/*
 * Who is acting. The CLI acts as CH_COORD_ACTOR_LOCAL (a local administrator)
 * unless told to act as a user; the server builds one from the principal.
 * name is the audit actor ("user:alice", "cli"); borrowed.
 */
struct ch_coord_actor {
    int64_t org_id;              /* 0: no organisation (the local administrator) */
    unsigned roles;              /* enum ch_role bits */
    enum ch_clearance clearance;
    const char *name;
};

#define CH_COORD_ACTOR_LOCAL                                                                    \
    ((struct ch_coord_actor){.org_id = 0,                                                       \
                             .roles = CH_ROLE_ADMIN | CH_ROLE_ANALYST,                          \
                             .clearance = CH_CLEAR_TOP_SECRET,                                  \
                             .name = "cli"})

/* The actor of an authenticated principal; name_buf (64 bytes+) receives "user:NAME". */
void ch_coord_actor_from_principal(const struct ch_principal *p, char *name_buf,
                                   size_t name_buf_size, struct ch_coord_actor *ret);
/* The actor of a user by name (for `--as USER` on the command line). */
int ch_coord_actor_for_user(struct ch_store *s, const char *user, char *name_buf,
                            size_t name_buf_size, struct ch_coord_actor *ret,
                            struct ch_err *err) CH_MUST_CHECK;

struct ch_coord;

struct ch_coord_options {
    int64_t history_seconds; /* 0: CH_COORD_HISTORY_DEFAULT */
};

/*
 * Builds the service from the store: loads every lease that ended after
 * now - history into the index, compacts it. *ret is owned (ch_coord_free).
 * Errors: store errors, CH_E_NOMEM, CH_E_INVALID for a stored lease that no
 * longer parses (names the lease).
 */
int ch_coord_new(struct ch_store *s, const struct ch_coord_options *opts, int64_t now,
                 struct ch_coord **ret, struct ch_err *err) CH_MUST_CHECK;
void ch_coord_free(struct ch_coord *c);

/* Catches up with lease changes made through other processes since the last
 * call (one small query when there are none). */
int ch_coord_sync(struct ch_coord *c, struct ch_store *s, struct ch_err *err) CH_MUST_CHECK;

/* Drops from the index leases that ended before now - history (memory only),
 * and compacts when many changes were made since the last compaction. */
int ch_coord_prune(struct ch_coord *c, int64_t now, struct ch_err *err) CH_MUST_CHECK;

/* Statistics of the index (leases, prefixes, ...) and the exact-match map. */
void ch_coord_stats(struct ch_coord *c, struct ch_leaseindex_stats *ret, size_t *ret_exact);

/* ---- targets ---- */

struct ch_coord_target_new {
    int64_t org_id;                /* owner; 0: the actor's organisation */
    enum ch_target_kind kind;
    const char *name;              /* label, unique per organisation */
    const char *repo_url;          /* repo: https://host/path (scheme http(s), git, ssh) */
    const char *repo_ref;          /* repo: commit (hex) or tag */
    const char *purl;              /* package: with a version, unless range is given */
    const char *range;             /* package: a version range ("vers:npm/>=1.0|<2.0") */
    const char *scope;             /* network: CIDRs and names, separated by spaces or commas */
    const char *description;       /* may be NULL */
};

/* Operators of the owning organisation and admins may add targets. */
int ch_coord_target_add(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                        const struct ch_coord_target_new *t, int64_t now, int64_t *ret_id,
                        struct ch_err *err) CH_MUST_CHECK;
/* Finds a target by id ("12") or by "ORG/NAME"; CH_E_NOTFOUND when not visible. */
int ch_coord_target_find(struct ch_store *s, const struct ch_coord_actor *a, const char *ref,
                         int64_t *ret_id, struct ch_err *err) CH_MUST_CHECK;
int ch_coord_target_list_json(struct ch_store *s, const struct ch_coord_actor *a,
                              struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;
int ch_coord_target_show_json(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                              int64_t now, struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

/* ---- authorisations (network targets) ---- */

struct ch_coord_auth_new {
    int64_t target_id;
    int64_t partner_org_id;
    int64_t start, end;            /* [start, end), end - start <= CH_COORD_AUTH_MAX_SECONDS */
    /* Rules of engagement, a JSON object: "techniques" (array of strings),
     * "max_rate_pps" (packets/s), "max_rate_rps" (requests/s), "hours"
     * ("HH:MM-HH:MM" UTC, may wrap midnight), "contacts" (array of strings,
     * at least one), "notes". Other members are refused. */
    const char *rules_json;
};

int ch_coord_auth_grant(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                        const struct ch_coord_auth_new *g, int64_t now, int64_t *ret_id,
                        struct ch_err *err) CH_MUST_CHECK;
/* Revokes an authorisation and, with it, every lease resting on it (cut at now). */
int ch_coord_auth_revoke(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                         int64_t id, const char *reason, int64_t now,
                         struct ch_err *err) CH_MUST_CHECK;
/* target_id 0: all visible. */
int ch_coord_auth_list_json(struct ch_store *s, const struct ch_coord_actor *a, int64_t target_id,
                            int64_t now, struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

/* ---- leases ---- */

struct ch_coord_lease_new {
    int64_t target_id;
    int64_t org_id;                /* holder; 0: the actor's organisation */
    enum ch_lease_mode mode;
    int64_t start, end;            /* start >= now, end > start, within the limits above */
    const char *scope;             /* network: part of the target's scope; NULL: all */
    const char *sources;           /* source CIDRs, separated by spaces or commas */
    const char *ua_tokens;         /* user-agent tokens, separated by spaces or commas */
    struct ch_lease_hits *conflicts; /* optional: receives the conflicting lease ids */
};

/*
 * Grants a lease, or refuses it: CH_E_CONFLICT naming the first conflicting
 * lease (and how many more), CH_E_PERM without an authorisation covering
 * the window for a network target, CH_E_INVALID for bad input (err->field).
 * Partners (for their own organisation) and admins may request.
 */
int ch_coord_lease_request(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                           const struct ch_coord_lease_new *l, int64_t now, int64_t *ret_id,
                           struct ch_err *err) CH_MUST_CHECK;
/* Moves an active lease's end later; checked for conflicts and authorisation as a new lease. */
int ch_coord_lease_extend(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                          int64_t id, int64_t new_end, int64_t now,
                          struct ch_err *err) CH_MUST_CHECK;
/* The holder ends its lease now. */
int ch_coord_lease_release(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                           int64_t id, int64_t now, struct ch_err *err) CH_MUST_CHECK;
/* The target's operator, an analyst or an admin ends a lease now. */
int ch_coord_lease_revoke(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                          int64_t id, const char *reason, int64_t now,
                          struct ch_err *err) CH_MUST_CHECK;

struct ch_coord_lease_filter {
    int64_t target_id;             /* 0: any */
    bool active_only;              /* only leases whose window has not ended */
};
int ch_coord_lease_list_json(struct ch_store *s, const struct ch_coord_actor *a,
                             const struct ch_coord_lease_filter *f, int64_t now, struct ch_jw *w,
                             struct ch_err *err) CH_MUST_CHECK;
/* One lease with its reports. */
int ch_coord_lease_show_json(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                             int64_t now, struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

struct ch_coord_report_new {
    int64_t lease_id;
    const char *scanned;           /* what was covered (scope, paths, versions) */
    const char *tool;              /* tool and version */
    int64_t findings;              /* >= 0 */
    const char *notes;             /* may be NULL */
};
/* The holder reports coverage and results against its lease. */
int ch_coord_lease_report(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                          const struct ch_coord_report_new *r, int64_t now, int64_t *ret_id,
                          struct ch_err *err) CH_MUST_CHECK;

/* ---- scheduling help ---- */

/*
 * Ranks uncovered targets: writes into *ret_score how much it matters that
 * target `target_id` is scanned. The default ranks by the number of leases
 * the target ever had (a proxy for interest until exposure data exists);
 * ch_coord_rank_exposures counts exposed assets depending on the target in
 * the `exposures` table and is chosen automatically when that table exists.
 */
struct ch_coord_ranker {
    const char *name;              /* shown in the output: "leases", "exposures" */
    int (*score)(struct ch_store *s, int64_t target_id, int64_t *ret_score, struct ch_err *err);
};
extern const struct ch_coord_ranker ch_coord_rank_leases;
extern const struct ch_coord_ranker ch_coord_rank_exposures;

/*
 * Targets no lease covered during [now - days, now), ranked (highest first).
 * ranker NULL: exposures when the `exposures` table exists, else leases.
 * Visible targets only.
 */
int ch_coord_uncovered_json(struct ch_store *s, const struct ch_coord_actor *a, int64_t days,
                            const struct ch_coord_ranker *ranker, int64_t now, struct ch_jw *w,
                            struct ch_err *err) CH_MUST_CHECK;

#endif
