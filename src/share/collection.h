/* SPDX-License-Identifier: Apache-2.0
 *
 * collection.h: the TAXII 2.1 collections and the index of STIX objects
 * they serve (docs/sharing.md).
 *
 * Collections are fixed (ch_share_collection_at): published vulnerabilities,
 * KEV additions, notices for the caller's organisation and indicators of
 * unauthorised scanning. Their objects live in share_objects (migration
 * 0011), one row per object version, filled by *sources*: each source reads
 * its part of the store (advisories, KEV, notices, released incidents) from
 * a watermark on and emits rendered objects; ch_share_sync() versions them
 * (a new row only when the body's hash changed, with modified strictly
 * later than the previous version and created kept) and stamps every new row
 * of one batch with the same date_added. Batches run under the share_head
 * row lock and take strictly increasing date_added values, so the order in
 * which batches commit is the order of their date_added: a consumer paging
 * with added_after never misses a row that commits later.
 *
 * Visibility (DESIGN.md §7) is part of every read: a row is visible to a
 * viewer when its scope is every organisation (0) or the viewer's own, and
 * its level is at most the viewer's clearance. Notices are always scoped to
 * their organisation, so no collection returns another organisation's
 * notices, whatever the viewer's role.
 *
 * Sources are a function-pointer interface (struct ch_share_source): the
 * built-in ones are in sources.h; tests and future subsystems add their own.
 *
 * Threading: functions use the store they are given (one thread at a time
 * per store). Syncs from several processes serialise on share_head.
 */
#ifndef CH_SHARE_COLLECTION_H
#define CH_SHARE_COLLECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"
#include "identity/identity.h"
#include "share/stix.h"
#include "store/store.h"

/* Objects per page: TAXII lets the server cap `limit`. */
#define CH_SHARE_DEFAULT_LIMIT 1000u
#define CH_SHARE_MAX_LIMIT 10000u
/* Values of one match[id] / match[type] / match[version] filter. */
#define CH_SHARE_MAX_MATCH 64u
/* A source's watermark is held back this long, so rows committed late with an
 * earlier timestamp (a long import transaction) are still picked up; the
 * content hash makes the re-scan free of new versions. */
#define CH_SHARE_WATERMARK_SLACK_S 300

struct ch_share_collection_info {
    const char *key; /* "vulnerabilities", "kev", "notices", "indicators" */
    const char *id;  /* TAXII collection id: UUIDv5 of "collection:<key>" */
    const char *title;
    const char *description;
};

/* The i-th collection, NULL past the end. */
const struct ch_share_collection_info *ch_share_collection_at(size_t i);
/* By TAXII id or key; NULL when unknown. */
const struct ch_share_collection_info *ch_share_collection_find(struct ch_str id_or_key);

/* Who reads. */
struct ch_share_viewer {
    int64_t org_id; /* 0: no organisation: sees only unscoped rows */
    enum ch_clearance clearance;
};

/* ---- sources ---- */

/*
 * One rendered object a source emits. created_ms / modified_ms < 0: absent
 * (cyber-observables have neither; marking definitions no modified). body is
 * the member list of stix.h (borrowed for the call).
 */
struct ch_share_obj {
    const char *stix_id;
    const char *type;
    int64_t created_ms;
    int64_t modified_ms;
    int64_t scope_org; /* 0: every organisation */
    enum ch_clearance level;
    const char *body;
    size_t body_len;
};

typedef int (*ch_share_emit_fn)(void *emit_ctx, const struct ch_share_obj *o, struct ch_err *err);

/*
 * A source fills one collection. scan() emits every object whose inputs
 * changed at or after `since` (Unix seconds; 0 = everything) and returns in
 * *ret_mark the time to start from next time (the latest change it saw; the
 * sync holds it back by CH_SHARE_WATERMARK_SLACK_S). It runs inside the
 * sync's write transaction and must stop at emit's first error.
 */
struct ch_share_source {
    const char *name;       /* watermark key: share_state "taxii.<name>" */
    const char *collection; /* collection key */
    int (*scan)(const struct ch_share_source *src, struct ch_store *s, int64_t since,
                ch_share_emit_fn emit, void *emit_ctx, int64_t *ret_mark, struct ch_err *err);
    void *ctx;
};

struct ch_share_sync_stats {
    size_t emitted;   /* objects the sources rendered */
    size_t added;     /* new object versions indexed */
    size_t unchanged; /* emitted with the same content as their latest version */
};

/*
 * Runs each source from its watermark (from 0 with full) and indexes what it
 * emits; also makes sure every collection holds the TLP marking definitions
 * and the clearinghouse's identity. One write transaction per source.
 * ret may be NULL.
 */
int ch_share_sync(struct ch_store *s, const struct ch_share_source *const *sources, size_t n,
                  int64_t now, bool full, struct ch_share_sync_stats *ret,
                  struct ch_err *err) CH_MUST_CHECK;
/* ch_share_sync() over the built-in sources (sources.h). */
int ch_share_sync_builtin(struct ch_store *s, int64_t now, bool full,
                          struct ch_share_sync_stats *ret, struct ch_err *err) CH_MUST_CHECK;

/* ---- reading ---- */

enum ch_share_versions {
    CH_SHARE_V_LAST = 1 << 0,
    CH_SHARE_V_FIRST = 1 << 1,
    CH_SHARE_V_ALL = 1 << 2,
    CH_SHARE_V_LIST = 1 << 3, /* the timestamps in version_ms */
};

/* A TAXII query over one collection (all filters ANDed). */
struct ch_share_query {
    const char *collection; /* key */
    struct ch_share_viewer viewer;
    int64_t added_after_ms; /* -1: none; strictly after */
    const char *const *ids; /* match[id]; n_ids 0: any */
    size_t n_ids;
    const char *const *types; /* match[type] */
    size_t n_types;
    unsigned versions; /* enum ch_share_versions; 0 means LAST */
    const int64_t *version_ms;
    size_t n_version_ms;
    bool no_spec_match;     /* match[spec_version] named no version we hold: nothing matches */
    unsigned limit;         /* 1..CH_SHARE_MAX_LIMIT */
    int64_t after_added_ms; /* keyset position from `next`; after_id 0: none */
    int64_t after_id;
};

/* One row handed to the callback; strings borrowed for the call. */
struct ch_share_row {
    int64_t id;
    const char *stix_id;
    const char *type;
    int64_t created_ms;  /* -1: absent */
    int64_t modified_ms; /* -1: absent */
    int64_t version_ms;
    int64_t added_ms;
    const char *body; /* NULL unless the query asked for bodies */
    size_t body_len;
};

typedef int (*ch_share_row_fn)(void *ctx, const struct ch_share_row *r, struct ch_err *err);

struct ch_share_page {
    size_t n;
    bool more;              /* rows remain after this page */
    int64_t first_added_ms; /* of the page's first / last row; -1 when empty */
    int64_t last_added_ms;
    int64_t last_id; /* keyset of the last row (for `next`) */
};

/*
 * Calls fn for up to q->limit visible rows in (date_added, row id) order and
 * reports the page. with_body false skips reading bodies (manifests,
 * versions). CH_E_INVALID for a query out of bounds (limit, filter sizes).
 */
int ch_share_query_run(struct ch_store *s, const struct ch_share_query *q, bool with_body,
                       ch_share_row_fn fn, void *ctx, struct ch_share_page *ret,
                       struct ch_err *err) CH_MUST_CHECK;

/* Latest-version objects of a collection the viewer sees. */
int ch_share_collection_count(struct ch_store *s, const char *collection,
                              const struct ch_share_viewer *v, int64_t *ret,
                              struct ch_err *err) CH_MUST_CHECK;

/* `next` tokens: base64url of "<added_ms>.<row id>"; false when not one of ours. */
#define CH_SHARE_NEXT_MAX 64
void ch_share_next_encode(int64_t added_ms, int64_t id, char out[CH_SHARE_NEXT_MAX]);
bool ch_share_next_decode(struct ch_str token, int64_t *ret_added_ms, int64_t *ret_id);

#endif
