/* SPDX-License-Identifier: Apache-2.0
 *
 * internal.h: what the files of src/coord share and no one else sees: the
 * service's state (service.c owns it; deconflict.c and incident.c read it
 * under its lock) and the lease metadata kept beside the index.
 */
#ifndef CH_COORD_INTERNAL_H
#define CH_COORD_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "coord/leaseindex.h"
#include "coord/service.h"
#include "core/buf.h"
#include "core/map.h"

/*
 * What the service remembers of one held lease, for answers and for the
 * conflict checks of repository and package leases (which the prefix index
 * does not hold). Owned by ch_coord.meta; strings owned by the struct.
 */
struct ch_coord__lease {
    int64_t id, target_id, holder_org, owner_org, auth_id; /* auth_id 0: none */
    int64_t start, end;
    enum ch_lease_mode mode;
    enum ch_target_kind kind;
    int32_t hours_from, hours_to;   /* allowed UTC minutes of day; -1: any time */
    char holder[64];                /* holder organisation's slug */
    char target[CH_COORD_NAME_MAX + 1];
    char *key;                      /* repo/package: the target's match key */
    struct ch_prefix *sources;      /* repo/package: declared source prefixes */
    size_t n_sources;
    char *ua;                       /* repo/package: UA tokens, space-separated */
};

/* The lease ids held on one match key (repo/package). */
struct ch_coord__idvec {
    int64_t *ids;
    size_t n, cap;
};

struct ch_coord {
    pthread_rwlock_t lock;          /* readers: queries; writers: changes, sync */
    struct ch_leaseindex *ix;       /* network leases */
    struct ch_map *meta;            /* 8-byte id → struct ch_coord__lease (owned) */
    struct ch_map *exact;           /* match key → struct ch_coord__idvec (owned) */
    int64_t seen_seq;               /* coord_head.seq the index reflects */
    int64_t history;                /* seconds of ended leases kept */
    int64_t horizon;                /* leases ending at or before it are not held */
    size_t changes_since_compact;
    bool stale;                     /* an index update could not be undone: reload */
};

/* The metadata of a held lease, or NULL. Caller holds the lock. */
const struct ch_coord__lease *ch_coord__lease_get(const struct ch_coord *c, int64_t id);

/* True when actor a may see lease l (holder, the target's operator, wide roles). */
bool ch_coord__lease_visible(const struct ch_coord_actor *a, const struct ch_coord__lease *l);

/* Whole-token match of tok in a user-agent string (leaseindex.h rules). */
bool ch_coord__ua_has_token(struct ch_str ua, struct ch_str tok);

/* True when the actor holds any of the roles. */
static inline bool ch_coord__has_role(const struct ch_coord_actor *a, unsigned roles)
{
    return (a->roles & roles) != 0;
}

/* Appends an audit entry (inside the caller's transaction); details may be NULL. */
int ch_coord__audit(struct ch_store *s, const struct ch_coord_actor *a, const char *action,
                    const char *object, const char *details, int64_t now,
                    struct ch_err *err) CH_MUST_CHECK;

/* Canonical repository key "repo:URL@REF" into out (reset first). */
int ch_coord__repo_key(struct ch_str url, struct ch_str ref, struct ch_buf *out,
                       struct ch_err *err) CH_MUST_CHECK;
/* Canonical package key (purl with version, or versionless purl + " " + range). */
int ch_coord__package_key(struct ch_str purl, struct ch_str range, struct ch_buf *out,
                          struct ch_err *err) CH_MUST_CHECK;

/* A refused lease request, as its lease_conflict events tell it (conflictevent.c). */
struct ch_coord__conflict {
    int64_t requester_org; /* the organisation the lease was requested for */
    int64_t extending;     /* the requester's lease an extension was refused for; 0: new lease */
    int64_t target_id;
    const char *mode; /* "exclusive" | "shared" */
    int64_t start, end;
    const int64_t *leases; /* conflicting lease ids, ascending (borrowed) */
    size_t n_leases;
};

/*
 * Queues the lease_conflict events of a refusal (of a new lease or of an
 * extension) in a transaction of its own (the request's was rolled back): to the requester, and to each conflicting
 * lease's holder. Call without the service's lock and outside a transaction.
 */
int ch_coord__conflict_event(struct ch_store *s, const struct ch_coord__conflict *k, int64_t now,
                             struct ch_err *err) CH_MUST_CHECK;

#endif
