/* SPDX-License-Identifier: Apache-2.0
 *
 * exposure.h: assets, their inventories, and exposures (asset ×
 * vulnerability × package) with their lifecycle and due dates
 * (DESIGN.md §1 item 3; docs/remediation.md).
 *
 * An asset belongs to one organisation. Attaching an inventory (any reader
 * of src/sbom) stores the file and its SHA-256, makes it the asset's
 * current inventory version (older versions stay), refreshes the reverse
 * index package → assets and recomputes the asset's exposures at once.
 * When the knowledge base changes, ch_exposure_recompute_changes() re-checks
 * only the assets that hold the changed packages and re-decides only the
 * exposures of the changed vulnerabilities; ch_exposure_recompute_pending()
 * finds those changes itself (advisories and KEV entries imported since the
 * last run), and ch_exposure_recompute_all() re-matches everything with the
 * matching index.
 *
 * Lifecycle: open → in_progress → remediated, plus risk_accepted (with a
 * justification, an approver and an expiry, after which the exposure opens
 * again) and not_affected (with a VEX justification). "remediated" is set
 * by the engine when the asset's newest inventory no longer holds an
 * affected version, and undone ("reopened") when one comes back. Every
 * status change is a row of exposure_transitions and an audit entry,
 * written in the transaction of the change.
 *
 * Due dates: every directive of the set that applies to the organisation's
 * category (and sector) and to the asset's exposure decides; each decision
 * is kept in exposure_deadlines whenever it changes, so reports as of a past
 * date see what was decided then. An exposure's due date is the earliest
 * due date among the directives in force at `now` and it names them all.
 *
 * Tenancy: functions taking `scope_org` see only that organisation's
 * objects (0 = every organisation, for clearinghouse-wide roles); an object
 * of another organisation is CH_E_NOTFOUND, as if it did not exist.
 *
 * Time comes from ctx->now only. Not thread-safe (one store, one thread).
 */
#ifndef CH_REMEDIATE_EXPOSURE_H
#define CH_REMEDIATE_EXPOSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"
#include "identity/identity.h"
#include "remediate/directive.h"
#include "sbom/sbom.h"
#include "store/store.h"

/* Name, environment and tag text of an asset (bytes). */
#define CH_ASSET_MAX_NAME 200
#define CH_ASSET_MAX_TAGS 1000
/* Reason, justification and approver text of a transition (bytes). */
#define CH_EXPOSURE_MAX_TEXT 2000
/* Rows one list call returns at most. */
#define CH_EXPOSURE_MAX_LIST 10000

/* What every operation needs. */
struct ch_rem_ctx {
    struct ch_store *store;
    const struct ch_directive_set *directives; /* NULL: no due dates are decided */
    int64_t now;
    const char *actor; /* audit actor: "cli", "user:alice" */
    /* when not NULL, receives the sequence number of each audit entry appended, so that the
     * caller (the HTTP server) can tell when a checkpoint is due; meaningful after a commit */
    int64_t *ret_audit_seq;
    /* optional: a second, read-only connection to the same database (the caller's); with it a
     * full recomputation reads and matches inventories on a second thread while this one
     * writes */
    struct ch_store *reader;
    /* how notices read their rows: 0 chosen per run (one ordered pass over the active
     * exposures when the notices cover a quarter of them or more, else one indexed query per
     * notice); 1 always the pass; -1 always per notice. Same notices; tests compare them. */
    int notice_reads;
    /* whether a full run drops the exposures table's secondary indexes while it inserts and
     * builds them again after (SQLite, ch_store_indexes_defer): 0 chosen per run (when it
     * starts with fewer exposures than assets); 1 always; -1 never. Same rows; tests compare. */
    int defer_indexes;
};

/* The organisation a principal may see: 0 (all) for clearinghouse-wide roles. */
int64_t ch_rem_scope(const struct ch_principal *p);

enum ch_asset_exposure {
    CH_ASSET_EXPOSED_NO,
    CH_ASSET_EXPOSED_YES,
    CH_ASSET_EXPOSED_UNKNOWN, /* counts as exposed for BOD 26-04 */
};

enum ch_impact {
    CH_IMPACT_LOW,
    CH_IMPACT_MEDIUM,
    CH_IMPACT_HIGH,
};

/* "no"/"false", "yes"/"true", "unknown" (case-insensitive). */
int ch_asset_exposure_parse(const char *s, enum ch_asset_exposure *ret);
const char *ch_asset_exposure_name(enum ch_asset_exposure e);
/* "low", "medium", "high". */
int ch_impact_parse(const char *s, enum ch_impact *ret);
const char *ch_impact_name(enum ch_impact i);

struct ch_asset_new {
    int64_t org_id;
    const char *name;        /* unique within the organisation; 1-200 printable bytes */
    const char *environment; /* NULL: "production" */
    enum ch_asset_exposure internet_facing;
    enum ch_impact mission;
    enum ch_impact wellbeing;
    const char *tags; /* comma list, NULL: none */
};

/* Creates an asset (audited). CH_E_CONFLICT when the name is taken in the organisation. */
int ch_asset_create(const struct ch_rem_ctx *ctx, const struct ch_asset_new *a, int64_t *ret_id,
                    struct ch_err *err) CH_MUST_CHECK;
/* An asset by organisation and name; CH_E_NOTFOUND. */
int ch_asset_find(struct ch_store *s, int64_t org_id, const char *name, int64_t *ret_id,
                  struct ch_err *err) CH_MUST_CHECK;
/* Changes whether an asset is internet-facing (audited) and re-decides its exposures. */
int ch_asset_set_exposure(const struct ch_rem_ctx *ctx, int64_t scope_org, int64_t asset_id,
                          enum ch_asset_exposure e, struct ch_err *err) CH_MUST_CHECK;

/* JSON array of assets with their current inventory version and open exposures. */
int ch_asset_list_json(struct ch_store *s, int64_t scope_org, struct ch_jw *w,
                       struct ch_err *err) CH_MUST_CHECK;
/* One asset with its inventory history; CH_E_NOTFOUND outside scope. */
int ch_asset_show_json(struct ch_store *s, int64_t scope_org, int64_t asset_id, struct ch_jw *w,
                       struct ch_err *err) CH_MUST_CHECK;
/*
 * A page of an asset's inventory history, oldest first: a JSON array of at
 * most `limit` versions {version, file, format, sha256, components,
 * attached_at, attached_by} above `after`. *ret_next is the version to
 * continue after, 0 on the last page. CH_E_NOTFOUND outside scope.
 */
int ch_asset_inventories_json(struct ch_store *s, int64_t scope_org, int64_t asset_id,
                              int64_t after, size_t limit, struct ch_jw *w, int64_t *ret_next,
                              struct ch_err *err) CH_MUST_CHECK;

struct ch_exposure_stats {
    size_t assets;     /* assets re-checked */
    size_t components; /* components matched */
    size_t opened;     /* new exposures */
    size_t reopened;   /* remediated exposures that came back */
    size_t remediated; /* exposures that went away */
    size_t expired;    /* risk acceptances that expired */
    size_t decided;    /* exposures whose deadlines were re-decided */
    size_t notices;    /* notices created */
    double seconds;
};

/* Writes the counters of a run as members of the object open in w. */
void ch_exposure_stats_json(const struct ch_exposure_stats *st, struct ch_jw *w);

struct ch_inventory_attach {
    int64_t asset_id;
    const char *file_name; /* names the inventory (and picks its format) */
    const char *data;      /* the file, len bytes (borrowed) */
    size_t len;
    enum ch_sbom_format format;         /* CH_SBOM_UNKNOWN: detect */
    const struct ch_sbom_options *sbom; /* may be NULL */
};

/*
 * Reads the inventory, stores it as the asset's next version (file, SHA-256,
 * components), replaces the asset's rows of the reverse index and
 * recomputes its exposures, all in one transaction (audited). Returns the
 * new version number in *ret_version. CH_E_INVALID / CH_E_UNSUPPORTED from
 * the reader, CH_E_NOTFOUND for an asset outside scope.
 */
int ch_asset_attach_inventory(const struct ch_rem_ctx *ctx, int64_t scope_org,
                              const struct ch_inventory_attach *in, int64_t *ret_version,
                              struct ch_exposure_stats *ret_stats,
                              struct ch_err *err) CH_MUST_CHECK;

/* Package key of the reverse index: the matching index's (ecosystem key, normalised name). */
struct ch_pkg_key {
    const char *eco_key; /* "Debian:12", "PyPI" */
    const char *norm_name;
};

/* What changed in the knowledge base (any member may be empty). */
struct ch_kb_changes {
    const int64_t *advisory_ids; /* advisories added, modified or withdrawn */
    size_t n_advisories;
    const int64_t *vuln_ids; /* vulnerabilities whose facts changed (KEV, scores) */
    size_t n_vulns;
    const struct ch_pkg_key *packages;
    size_t n_packages;
};

/*
 * Re-checks the assets holding the packages of the changed advisories (and
 * the packages named) and re-decides the exposures of the changed
 * vulnerabilities; emits one notice per organisation and vulnerability that
 * gained exposures, a KEV listing or a fixed version. One transaction.
 */
int ch_exposure_recompute_changes(const struct ch_rem_ctx *ctx, const struct ch_kb_changes *ch,
                                  struct ch_exposure_stats *ret_stats,
                                  struct ch_err *err) CH_MUST_CHECK;

/*
 * The periodic run: changes since the last run (advisories and KEV entries
 * imported since then), expired risk acceptances, and, when a directive was
 * issued or revoked since the last run, the deadlines of every exposure.
 */
int ch_exposure_recompute_pending(const struct ch_rem_ctx *ctx, struct ch_exposure_stats *ret_stats,
                                  struct ch_err *err) CH_MUST_CHECK;

/* Re-matches every asset with the matching index and re-decides every exposure. */
int ch_exposure_recompute_all(const struct ch_rem_ctx *ctx, struct ch_exposure_stats *ret_stats,
                              struct ch_err *err) CH_MUST_CHECK;

enum ch_exposure_status {
    CH_EXPOSURE_OPEN,
    CH_EXPOSURE_IN_PROGRESS,
    CH_EXPOSURE_REMEDIATED,
    CH_EXPOSURE_RISK_ACCEPTED,
    CH_EXPOSURE_NOT_AFFECTED,
    CH_EXPOSURE_STATUS_COUNT
};

const char *ch_exposure_status_name(enum ch_exposure_status s);
int ch_exposure_status_parse(const char *s, enum ch_exposure_status *ret);

/* OpenVEX justifications accepted for not_affected. */
bool ch_vex_justification_valid(const char *s);

struct ch_exposure_transition {
    enum ch_exposure_status to;
    const char *reason;            /* free text, required */
    const char *justification;     /* risk_accepted: required */
    const char *approver;          /* risk_accepted: required */
    int64_t expires_at;            /* risk_accepted: required, later than now */
    const char *vex_justification; /* not_affected: required (ch_vex_justification_valid) */
};

/*
 * A manual status change: open ⇄ in_progress, open/in_progress →
 * risk_accepted | not_affected, risk_accepted/not_affected → open.
 * "remediated" is the engine's to set. CH_E_CONFLICT for a transition not
 * allowed from the current status, CH_E_INVALID for missing fields.
 */
int ch_exposure_transition(const struct ch_rem_ctx *ctx, int64_t scope_org, int64_t exposure_id,
                           const struct ch_exposure_transition *t,
                           struct ch_err *err) CH_MUST_CHECK;

struct ch_exposure_filter {
    int64_t scope_org; /* 0: all */
    int64_t asset_id;  /* 0: all */
    int status;        /* an ch_exposure_status, or -1: all, -2: active (not closed) */
    bool overdue_only; /* due_at < now and active */
    size_t limit;      /* 0: CH_EXPOSURE_MAX_LIST */
};

/* JSON array of exposures, soonest due first. */
int ch_exposure_list_json(struct ch_store *s, const struct ch_exposure_filter *f, int64_t now,
                          struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;
/*
 * A page of an exposure's transitions, oldest first: a JSON array of at most
 * `limit` rows {id, from, to, at, actor, reason} with id > after. *ret_next
 * is the id to continue after, 0 on the last page. CH_E_NOTFOUND outside
 * scope.
 */
int ch_exposure_transitions_json(struct ch_store *s, int64_t scope_org, int64_t exposure_id,
                                 int64_t after, size_t limit, struct ch_jw *w, int64_t *ret_next,
                                 struct ch_err *err) CH_MUST_CHECK;
/* One exposure with its transitions and deadline history; CH_E_NOTFOUND outside scope. */
int ch_exposure_show_json(struct ch_store *s, int64_t scope_org, int64_t exposure_id, int64_t now,
                          struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

#endif
