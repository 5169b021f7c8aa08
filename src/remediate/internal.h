/* SPDX-License-Identifier: Apache-2.0
 *
 * internal.h: what the files of src/remediate share and nobody else sees:
 * package keys as the matching index forms them, the keyed matcher used for
 * incremental work, vulnerability facts read once per run, and small SQL
 * helpers. Never include this from outside src/remediate.
 */
#ifndef CH_REMEDIATE_INTERNAL_H
#define CH_REMEDIATE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "match/index.h"
#include "store/store.h"

/* Bytes of one package key (ecosystem key or normalised name). */
#define CH_REM_KEY_MAX 1024

/* A growable list of ids; v is owned (ch_free). */
struct ch_rem_ids {
    int64_t *v;
    size_t n, cap;
};

int ch_rem__ids_add(struct ch_rem_ids *x, int64_t id, struct ch_err *err) CH_MUST_CHECK;
/* qsort() order of int64_t ids. */
int ch_rem__cmp_id(const void *a, const void *b);

/* The name a component is matched under: Debian/Ubuntu use the source package. */
void ch_rem__match_name(const char *eco, const char *name, const char *version,
                        const char *source_name, const char *source_version, const char **ret_name,
                        const char **ret_version);

/*
 * A matcher answers "which advisories affect this component" like
 * ch_match_component(). With an index (ix != NULL) it delegates to it; with
 * none it uses a lazy matching index (ch_match_index_new_lazy), which loads
 * the affected entries of each package key from the store the first time
 * that key is asked for (one indexed query per key), and remembers each
 * (package, version) answer: what incremental work wants, a few packages
 * and no index build.
 */
struct ch_rem_matcher;

int ch_rem__matcher_new(struct ch_store *s, const struct ch_match_index *ix,
                        struct ch_rem_matcher **ret, struct ch_err *err) CH_MUST_CHECK;
void ch_rem__matcher_free(struct ch_rem_matcher *m);
/* The index the matcher delegates to, or NULL (keyed). */
const struct ch_match_index *ch_rem__matcher_index(const struct ch_rem_matcher *m);
/* Hits live in arena. */
int ch_rem__match(struct ch_rem_matcher *m, const struct ch_match_component *c,
                  struct ch_arena *arena, struct ch_match_hit **ret_hits, size_t *ret_n,
                  struct ch_err *err) CH_MUST_CHECK;

/* Facts about one vulnerability that deadlines and priorities need. */
struct ch_rem_vinfo {
    int64_t vuln_id;
    const char *display_id;
    const char *summary;
    double cvss; /* highest base score, -1 if none */
    bool kev;
    int64_t kev_added;            /* -1 when not in KEV */
    int64_t kev_due;              /* -1 when not in KEV or no due date */
    const char *exploitation;     /* none | poc | active */
    const char *automatable;      /* yes | no */
    const char *technical_impact; /* partial | total */
    const char *ssvc_source;      /* adp | cvss | default */
};

/* Reads (and caches in arena) the facts of a vulnerability. */
struct ch_rem_vcache;
struct ch_rem_vcache *ch_rem__vcache_new(struct ch_store *s);
void ch_rem__vcache_free(struct ch_rem_vcache *c);
/* Lets dst answer with src's entries too; src must outlive dst's use of them. */
void ch_rem__vcache_adopt(struct ch_rem_vcache *dst, const struct ch_rem_vcache *src);
int ch_rem__vinfo(struct ch_rem_vcache *c, int64_t vuln_id, const struct ch_rem_vinfo **ret,
                  struct ch_err *err) CH_MUST_CHECK;

/*
 * The documented derivation of SSVC Automatable and Technical Impact from a
 * CVSS v3.x or v4.0 vector (docs/remediation.md): AV:N with PR:N and UI:N →
 * automatable yes; C:H or I:H (v4: VC:H or VI:H) → total. Returns false when
 * the text is not a CVSS vector.
 */
bool ch_rem__ssvc_from_cvss(const char *vector, const char **ret_automatable,
                            const char **ret_technical_impact);

/* A value from remediate_state, or dflt. */
int ch_rem__state_get(struct ch_store *s, const char *name, int64_t dflt, int64_t *ret,
                      struct ch_err *err) CH_MUST_CHECK;
int ch_rem__state_set(struct ch_store *s, const char *name, int64_t v,
                      struct ch_err *err) CH_MUST_CHECK;

/* ---- the recomputation engine (engine.c) ------------------------------ */

struct ch_rem_ctx;
struct ch_exposure_stats;
struct ch_rem_run;

/*
 * A run: one transaction's worth of matching and deciding. ix may be NULL
 * (keyed matching). notify: emit notices for what the run finds.
 */
int ch_rem__run_new(const struct ch_rem_ctx *ctx, const struct ch_match_index *ix, bool notify,
                    struct ch_exposure_stats *stats, struct ch_rem_run **ret,
                    struct ch_err *err) CH_MUST_CHECK;
/* Writes the run's notices; call before committing. */
int ch_rem__run_finish(struct ch_rem_run *r, struct ch_err *err) CH_MUST_CHECK;
void ch_rem__run_free(struct ch_rem_run *r);

/*
 * Re-matches an asset's current inventory: every component (keys NULL) or
 * only those of the n_keys package keys given, and applies the difference
 * to its exposures.
 */
int ch_rem__run_asset(struct ch_rem_run *r, int64_t asset_id, const char *const *eco_keys,
                      const char *const *norm_names, size_t n_keys,
                      struct ch_err *err) CH_MUST_CHECK;
/*
 * ch_rem__run_asset (every component) for each of n assets, in order; with
 * ctx->reader set, the components are read and matched on a second thread.
 */
int ch_rem__run_all_assets(struct ch_rem_run *r, const int64_t *ids, size_t n,
                           struct ch_err *err) CH_MUST_CHECK;
/*
 * Limits the keyed runs that follow (ch_rem__run_asset with keys) to the
 * vulnerabilities of changed advisories: sorted, unique ids, borrowed until
 * the filter is cleared (ids NULL). A change to one advisory cannot alter an
 * exposure to another vulnerability, so those are neither read nor
 * rewritten. Exposures to ids merged into these by an alias (vuln_merges,
 * followed through chains) are re-checked too: their vulnerability no longer
 * exists, so nothing matches them any more.
 */
int ch_rem__run_only_vulns(struct ch_rem_run *r, const int64_t *ids, size_t n,
                           struct ch_err *err) CH_MUST_CHECK;
/* Re-decides the deadlines of one exposure (not remediated ones). */
int ch_rem__run_decide(struct ch_rem_run *r, int64_t exposure_id, struct ch_err *err) CH_MUST_CHECK;

/* Appends a status change and its audit entry (inside the caller's transaction). */
int ch_rem__write_transition(const struct ch_rem_ctx *ctx, int64_t exposure_id, const char *from,
                             const char *to, const char *reason, struct ch_err *err) CH_MUST_CHECK;
/* Audits one action on one object with JSON details (may be NULL). */
int ch_rem__audit(const struct ch_rem_ctx *ctx, const char *action, const char *object,
                  const char *details, struct ch_err *err) CH_MUST_CHECK;

#endif
