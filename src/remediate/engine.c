/* SPDX-License-Identifier: Apache-2.0
 *
 * engine.c: exposure recomputation (exposure.h, docs/remediation.md).
 *
 * A run matches components (matcher.c), compares what it finds with the
 * stored exposures of the asset, and writes only the difference: new
 * exposures, reopened ones, updated versions and fixes, and exposures that
 * went away (remediated). It then decides every directive for each exposure
 * it touched, appending to exposure_deadlines only when a decision changed,
 * and collects notice events per organisation and vulnerability, written
 * once at the end of the run. Everything happens in the caller's
 * transaction, so a failed run leaves nothing half done.
 */
#include "remediate/exposure.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/map.h"
#include "remediate/internal.h"

/* Scratch memory of one asset's matching. */
#define RUN_ARENA_MAX ((size_t)256 << 20)
/* Directives decided per exposure: the directive set's own limit. */
#define RUN_MAX_DIRECTIVES CH_DIRECTIVE_MAX_FILES
/* Audit details of one asset's automatic transitions (ids and statuses). */
#define RUN_MAX_BATCH_BYTES ((size_t)16 << 20)
/* Bytes of the advisory list of one exposure. */
#define RUN_MAX_ADVISORIES_TEXT 4000

struct asset_info {
    int64_t id;
    int64_t org_id;
    enum ch_org_category category;
    char *sector;
    bool exposed; /* yes or unknown */
    int64_t exposed_since;
    char mwi[8]; /* low | medium | high: max(mission, well-being) */
    char name[CH_ASSET_MAX_NAME + 1];
};

/* A decision of one directive to append to the exposure's deadline history. */
struct pending_deadline {
    const char *directive; /* borrowed from the directive set */
    bool applies;
    char inputs[160];
    struct ch_directive_decision dec;
    int64_t tier;
};

/*
 * Transition and deadline rows are written ROW_BATCH at a time by one
 * multi-row INSERT: a statement per row cost SQLite more than the row
 * itself (measured: 2.7 µs a row alone, 1.6 µs in rows of 32). They are
 * flushed before anything reads them: at the end of each asset, before a
 * decision reads an exposure's earlier deadlines, and before notices.
 */
#define ROW_BATCH 32

struct queued_transition {
    int64_t exposure_id;
    const char *from, *to, *reason; /* literals, or the asset's statuses (alive until flushed) */
};

struct queued_deadline {
    int64_t exposure_id;
    struct pending_deadline d;
};

struct notice_row;

struct note {
    int64_t org_id;
    int64_t vuln_id;
    unsigned reasons;        /* NOTE_* bits */
    size_t events;           /* exposures that asked for it: an estimate of its rows */
    struct notice_row *rows; /* the one-pass reading's rows (its arena) */
    size_t n_rows, cap_rows;
};

enum { NOTE_ADVISORY = 1, NOTE_KEV = 2, NOTE_FIXED = 4 };

struct ch_rem_run {
    const struct ch_rem_ctx *ctx;
    struct ch_rem_matcher *matcher;
    struct ch_rem_vcache *vcache;
    struct ch_rem_vcache *vcache_kept; /* a reading thread's, whose entries vcache points to */
    struct ch_arena *arena;            /* per asset */
    /* the exposure INSERT, once looked up: a cache lookup hashes its 500 bytes of SQL,
     * 2% of a full run's writer; the store owns it and outlives the run */
    struct ch_stmt *insert_exposure;
    bool notify;
    struct ch_map *notes;                /* "org:vuln" → struct note */
    struct ch_map *assets;               /* "id" → struct asset_info */
    const struct asset_info *last_asset; /* the last one load_asset gave (owned by assets) */
    struct ch_map *decided; /* 8-byte id → marker: exposures decided in this run (mark_decided) */
    struct ch_rem_ids rising; /* ... and those that came in increasing order */
    struct ch_exposure_stats *stats;
    int64_t t0;
    struct ch_buf batch; /* transitions of the current asset, audited as one entry */
    size_t n_batch;
    const int64_t *only_vulns; /* ch_rem__run_only_vulns: sorted, or NULL */
    size_t n_only_vulns;
    struct ch_rem_ids recheck; /* only_vulns and every id merged into them: sorted */
    /* the changed decisions of the exposure being decided, written once its id is known */
    struct pending_deadline *pend;
    size_t n_pend;
    /* rows waiting for a multi-row INSERT (flush_rows) */
    struct queued_transition tq[ROW_BATCH];
    size_t n_tq;
    struct queued_deadline dq[ROW_BATCH];
    size_t n_dq;
    char *tq_sql, *dq_sql; /* the ROW_BATCH-row statements */
};

static void free_asset(void *p)
{
    struct asset_info *a = p;
    if (a != NULL)
        ch_free(a->sector);
    ch_free(a);
}

static void free_plain(void *p)
{
    ch_free(p);
}

static void free_none(void *p)
{
    (void)p; /* marker values are not allocated */
}

void ch_rem__run_free(struct ch_rem_run *r)
{
    if (r == NULL)
        return;
    ch_rem__matcher_free(r->matcher);
    ch_rem__vcache_free(r->vcache);
    ch_rem__vcache_free(r->vcache_kept);
    ch_arena_free(r->arena);
    ch_map_free(r->notes);
    ch_map_free(r->assets);
    ch_map_free(r->decided);
    ch_free(r->rising.v);
    ch_free(r->recheck.v);
    ch_buf_release(&r->batch);
    ch_free(r->pend);
    ch_free(r->tq_sql);
    ch_free(r->dq_sql);
    ch_free(r);
}

static bool sorted_has(const int64_t *v, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] == x)
            return true;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool vuln_in_filter(const struct ch_rem_run *r, int64_t v)
{
    return sorted_has(r->only_vulns, r->n_only_vulns, v);
}

/* Appends to r->recheck (unsorted while it grows), once. */
static int recheck_add(struct ch_rem_run *r, int64_t id, struct ch_err *err)
{
    for (size_t i = 0; i < r->recheck.n; i++) {
        if (r->recheck.v[i] == id)
            return CH_OK; /* a handful of ids: a scan is enough */
    }
    return ch_rem__ids_add(&r->recheck, id, err);
}

int ch_rem__run_only_vulns(struct ch_rem_run *r, const int64_t *ids, size_t n, struct ch_err *err)
{
    r->only_vulns = ids;
    r->n_only_vulns = ids != NULL ? n : 0;
    ch_free(r->recheck.v);
    r->recheck = (struct ch_rem_ids){0};
    int rc = CH_OK;
    for (size_t i = 0; rc == CH_OK && i < r->n_only_vulns; i++)
        rc = recheck_add(r, ids[i], err);
    /* breadth first over the merges: ids merged into these, and into those */
    for (size_t i = 0; rc == CH_OK && i < r->recheck.n; i++) {
        struct ch_stmt *st = NULL;
        rc = ch_store_stmt(r->ctx->store, "SELECT gone FROM vuln_merges WHERE kept = ?", &st, err);
        if (rc != CH_OK)
            break;
        ch_stmt_bind_int(st, 1, r->recheck.v[i]);
        /* recheck_add asks nothing of the store, so the statement may stay live */
        while ((rc = ch_stmt_step(st, err)) == 1) {
            rc = recheck_add(r, ch_stmt_int(st, 0), err);
            if (rc != CH_OK)
                break;
        }
        ch_stmt_reset(st);
        rc = rc < 0 ? rc : CH_OK;
    }
    if (r->recheck.n > 1)
        qsort(r->recheck.v, r->recheck.n, sizeof(*r->recheck.v), ch_rem__cmp_id);
    return rc;
}

/* "head VALUES (?, ...), (?, ...)": rows tuples of n_params placeholders. */
static char *multi_row_sql(const char *head, int n_params, int rows)
{
    struct ch_buf b;
    ch_buf_init(&b, 16384);
    (void)ch_buf_append_c(&b, head);
    (void)ch_buf_append_c(&b, " VALUES ");
    for (int i = 0; i < rows; i++) {
        (void)ch_buf_append_c(&b, i > 0 ? ", (" : "(");
        for (int k = 0; k < n_params; k++)
            (void)ch_buf_append_c(&b, k > 0 ? ", ?" : "?");
        (void)ch_buf_append_byte(&b, ')');
    }
    char *sql = b.failed ? NULL : ch_strdup(ch_buf_cstr(&b));
    ch_buf_release(&b);
    return sql;
}

#define TRANSITION_HEAD                                                                            \
    "INSERT INTO exposure_transitions (exposure_id, from_status, to_status, at, actor, reason)"
#define TRANSITION_PARAMS 6
#define DEADLINE_HEAD                                                                              \
    "INSERT INTO exposure_deadlines (exposure_id, directive, computed_at, applies, inputs,"        \
    " outcome, action, clock_start, tier_met, due, forensic)"
#define DEADLINE_PARAMS 11

int ch_rem__run_new(const struct ch_rem_ctx *ctx, const struct ch_match_index *ix, bool notify,
                    struct ch_exposure_stats *stats, struct ch_rem_run **ret, struct ch_err *err)
{
    struct ch_rem_run *r = ch_calloc(1, sizeof(*r));
    if (r == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    r->ctx = ctx;
    r->notify = notify;
    r->stats = stats;
    r->t0 = ch_clock_mono_ns();
    ch_buf_init(&r->batch, RUN_MAX_BATCH_BYTES);
    r->vcache = ch_rem__vcache_new(ctx->store);
    r->arena = ch_arena_new(RUN_ARENA_MAX);
    r->notes = ch_map_new(0x6e6f7465, free_plain);
    r->assets = ch_map_new(0x61737365, free_asset);
    r->decided = ch_map_new(0x64656369, free_none);
    size_t n_dir = ctx->directives != NULL ? ch_directive_set_count(ctx->directives) : 0;
    r->pend = ch_calloc(n_dir > 0 ? n_dir : 1, sizeof(*r->pend));
    r->tq_sql = multi_row_sql(TRANSITION_HEAD, TRANSITION_PARAMS, ROW_BATCH);
    r->dq_sql = multi_row_sql(DEADLINE_HEAD, DEADLINE_PARAMS, ROW_BATCH);
    int rc = r->vcache == NULL || r->arena == NULL || r->notes == NULL || r->assets == NULL ||
                     r->decided == NULL || r->pend == NULL || r->tq_sql == NULL || r->dq_sql == NULL
                 ? ch_err_set(err, CH_E_NOMEM, "out of memory")
                 : ch_rem__matcher_new(ctx->store, ix, &r->matcher, err);
    if (rc != CH_OK) {
        ch_rem__run_free(r);
        return rc;
    }
    *ret = r;
    return CH_OK;
}

/* ---- audit and transitions -------------------------------------------- */

int ch_rem__audit(const struct ch_rem_ctx *ctx, const char *action, const char *object,
                  const char *details, struct ch_err *err)
{
    struct ch_audit_entry e = {
        .actor = ctx->actor != NULL ? ctx->actor : "system",
        .action = action,
        .object = object,
        .details = details,
    };
    return ch_audit_append(ctx->store, &e, ctx->now, ctx->ret_audit_seq, err);
}

static int insert_transition(const struct ch_rem_ctx *ctx, int64_t exposure_id, const char *from,
                             const char *to, const char *reason, struct ch_err *err);

int ch_rem__write_transition(const struct ch_rem_ctx *ctx, int64_t exposure_id, const char *from,
                             const char *to, const char *reason, struct ch_err *err)
{
    int rc = insert_transition(ctx, exposure_id, from, to, reason, err);
    if (rc != CH_OK)
        return rc;
    struct ch_buf b;
    ch_buf_init(&b, 8192);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "from", from);
    ch_jw_kstr(&w, "to", to);
    ch_jw_kstr(&w, "reason", reason);
    ch_jw_obj_close(&w);
    char object[48];
    snprintf(object, sizeof(object), "exposure:%lld", (long long)exposure_id);
    rc = ch_jw_finish(&w, err);
    if (rc == CH_OK)
        rc = ch_rem__audit(ctx, "exposure.transition", object, ch_buf_cstr(&b), err);
    ch_buf_release(&b);
    return rc;
}

/* Binds one transition row's TRANSITION_PARAMS parameters from first. */
static void bind_transition(struct ch_stmt *st, int first, const struct ch_rem_ctx *ctx,
                            const struct queued_transition *t)
{
    ch_stmt_bind_int(st, first, t->exposure_id);
    ch_stmt_bind_cstr_ref(st, first + 1, t->from);
    ch_stmt_bind_cstr_ref(st, first + 2, t->to);
    ch_stmt_bind_int(st, first + 3, ctx->now);
    ch_stmt_bind_cstr_ref(st, first + 4, ctx->actor != NULL ? ctx->actor : "system");
    ch_stmt_bind_cstr_ref(st, first + 5, t->reason);
}

/* Inserts a transition row only (the caller audits it). */
static int insert_transition(const struct ch_rem_ctx *ctx, int64_t exposure_id, const char *from,
                             const char *to, const char *reason, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(ctx->store, TRANSITION_HEAD " VALUES (?, ?, ?, ?, ?, ?)", &st, err);
    if (rc != CH_OK)
        return rc;
    const struct queued_transition t = {exposure_id, from, to, reason};
    bind_transition(st, 1, ctx, &t);
    return ch_stmt_run(st, err);
}

static void bind_opt(struct ch_stmt *st, int idx, int64_t v);
static const char *action_name(enum ch_directive_action a);

/* Binds one deadline row's DEADLINE_PARAMS parameters from first. */
static void bind_deadline(struct ch_stmt *st, int first, int64_t now,
                          const struct queued_deadline *q)
{
    const struct pending_deadline *pd = &q->d;
    ch_stmt_bind_int(st, first, q->exposure_id);
    ch_stmt_bind_cstr_ref(st, first + 1, pd->directive);
    ch_stmt_bind_int(st, first + 2, now);
    ch_stmt_bind_bool(st, first + 3, pd->applies);
    ch_stmt_bind_cstr_ref(st, first + 4, pd->inputs);
    ch_stmt_bind_cstr_ref(st, first + 5, pd->dec.outcome);
    ch_stmt_bind_cstr_ref(st, first + 6, pd->applies ? action_name(pd->dec.action) : "none");
    bind_opt(st, first + 7, pd->dec.clock_start);
    bind_opt(st, first + 8, pd->tier);
    bind_opt(st, first + 9, pd->dec.due);
    ch_stmt_bind_bool(st, first + 10, pd->dec.forensic_triage);
}

/* Writes the queued rows: a full queue in one statement, a partial one row by row. */
static int flush_rows(struct ch_rem_run *r, struct ch_err *err)
{
    struct ch_store *s = r->ctx->store;
    struct ch_stmt *st = NULL;
    int rc = CH_OK;
    if (r->n_tq == ROW_BATCH) {
        rc = ch_store_stmt(s, r->tq_sql, &st, err);
        for (size_t i = 0; rc == CH_OK && i < r->n_tq; i++)
            bind_transition(st, 1 + (int)i * TRANSITION_PARAMS, r->ctx, &r->tq[i]);
        if (rc == CH_OK)
            rc = ch_stmt_run(st, err);
    } else {
        for (size_t i = 0; rc == CH_OK && i < r->n_tq; i++)
            rc = insert_transition(r->ctx, r->tq[i].exposure_id, r->tq[i].from, r->tq[i].to,
                                   r->tq[i].reason, err);
    }
    r->n_tq = 0;
    if (rc == CH_OK && r->n_dq == ROW_BATCH) {
        rc = ch_store_stmt(s, r->dq_sql, &st, err);
        for (size_t i = 0; rc == CH_OK && i < r->n_dq; i++)
            bind_deadline(st, 1 + (int)i * DEADLINE_PARAMS, r->ctx->now, &r->dq[i]);
        if (rc == CH_OK)
            rc = ch_stmt_run(st, err);
    } else if (rc == CH_OK) {
        for (size_t i = 0; rc == CH_OK && i < r->n_dq; i++) {
            rc = ch_store_stmt(s, DEADLINE_HEAD " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st,
                               err);
            if (rc != CH_OK)
                break;
            bind_deadline(st, 1, r->ctx->now, &r->dq[i]);
            rc = ch_stmt_run(st, err);
        }
    }
    r->n_dq = 0;
    return rc;
}

/*
 * An automatic transition of the engine: the row now, the audit entry with
 * the asset's other transitions when the asset is done (flush_batch), so a
 * run over a large estate appends one audit entry per asset, not one per
 * exposure, and every transition is still named in the audit log.
 */
static int run_transition(struct ch_rem_run *r, int64_t exposure_id, const char *from,
                          const char *to, const char *reason, struct ch_err *err)
{
    int rc = r->n_tq == ROW_BATCH ? flush_rows(r, err) : CH_OK;
    if (rc != CH_OK)
        return rc;
    r->tq[r->n_tq++] = (struct queued_transition){exposure_id, from, to, reason};
    (void)ch_buf_appendf(&r->batch, "%s[%lld,\"%s\",\"%s\"]", r->n_batch > 0 ? "," : "",
                         (long long)exposure_id, from != NULL ? from : "", to);
    r->n_batch++;
    return ch_buf_status(&r->batch, "audit details", err);
}

static int flush_batch(struct ch_rem_run *r, int64_t asset_id, struct ch_err *err)
{
    int rc = flush_rows(r, err);
    if (rc != CH_OK || r->n_batch == 0)
        return rc;
    char object[48];
    snprintf(object, sizeof(object), "asset:%lld", (long long)asset_id);
    struct ch_buf d;
    ch_buf_init(&d, RUN_MAX_BATCH_BYTES + 64);
    (void)ch_buf_appendf(&d, "{\"transitions\":[%s]}", ch_buf_cstr(&r->batch));
    rc = ch_buf_status(&d, "audit details", err);
    if (rc == CH_OK)
        rc = ch_rem__audit(r->ctx, "exposure.transitions", object, ch_buf_cstr(&d), err);
    ch_buf_release(&d);
    ch_buf_reset(&r->batch);
    r->n_batch = 0;
    return rc;
}

/* ---- assets ----------------------------------------------------------- */

/* The asset's facts, from cache (a map owned by the caller) or read from s. */
static int load_asset_in(struct ch_store *s, struct ch_map *cache, int64_t id,
                         const struct asset_info **ret, struct ch_err *err)
{
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)id);
    struct asset_info *a = ch_map_get(cache, ch_str_c(key));
    if (a != NULL) {
        *ret = a;
        return CH_OK;
    }
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT a.org_id, o.category, o.sector, a.internet_facing,"
                           " a.exposed_since, a.mission_impact, a.wellbeing_impact, a.name"
                           " FROM assets a JOIN orgs o ON o.id = a.org_id WHERE a.id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "asset %lld not found", (long long)id);
    if (rc < 0) {
        ch_stmt_reset(st);
        return rc;
    }
    a = ch_calloc(1, sizeof(*a));
    if (a == NULL) {
        ch_stmt_reset(st);
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    }
    a->id = id;
    a->org_id = ch_stmt_int(st, 0);
    struct ch_err cerr = CH_ERR_INIT;
    if (ch_org_category_parse(ch_stmt_text(st, 1), &a->category, &cerr) != CH_OK)
        a->category = CH_ORG_CATEGORY_COUNT; /* matches no directive */
    const char *sector = ch_stmt_cstr(st, 2);
    a->sector = sector != NULL ? ch_strdup(sector) : NULL;
    a->exposed = strcmp(ch_stmt_cstr(st, 3), "no") != 0;
    a->exposed_since = ch_stmt_is_null(st, 4) ? -1 : ch_stmt_int(st, 4);
    const char *m = ch_stmt_cstr(st, 5), *wb = ch_stmt_cstr(st, 6);
    enum ch_impact im = CH_IMPACT_MEDIUM, iw = CH_IMPACT_MEDIUM;
    (void)ch_impact_parse(m, &im); /* stored values were validated on insert */
    (void)ch_impact_parse(wb, &iw);
    snprintf(a->mwi, sizeof(a->mwi), "%s", ch_impact_name(im > iw ? im : iw));
    snprintf(a->name, sizeof(a->name), "%s", ch_stmt_cstr(st, 7));
    ch_stmt_reset(st);
    if ((sector != NULL && a->sector == NULL) || ch_map_put(cache, ch_str_c(key), a) != CH_OK) {
        free_asset(a);
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    }
    *ret = a;
    return CH_OK;
}

static int load_asset(struct ch_rem_run *r, int64_t id, const struct asset_info **ret,
                      struct ch_err *err)
{
    /* callers ask for the same asset many times in a row (its exposures are together) */
    if (r->last_asset != NULL && r->last_asset->id == id) {
        *ret = r->last_asset;
        return CH_OK;
    }
    int rc = load_asset_in(r->ctx->store, r->assets, id, ret, err);
    if (rc == CH_OK)
        r->last_asset = *ret;
    return rc;
}

/* ---- deciding --------------------------------------------------------- */

struct prev_decision {
    bool have;
    bool applies;
    char inputs[160];
    char outcome[64];
    int64_t clock_start, tier_met, due;
    bool forensic;
};

struct decision_out {
    int64_t due;          /* earliest among directives in force; -1 none */
    char directives[512]; /* ids of the directives in force that apply */
    char outcome[96];
    bool forensic;
    const char *forensic_directive;
    int64_t forensic_due;
};

static const char *action_name(enum ch_directive_action a)
{
    switch (a) {
    case CH_ACTION_DAYS:
        return "days";
    case CH_ACTION_DATE:
        return "date";
    case CH_ACTION_NEXT_UPGRADE:
        return "next_upgrade";
    case CH_ACTION_NONE:
        break;
    }
    return "none";
}

/* The value of input token `key` in "K=v K=v" text, into out ("" when absent). */
static void input_value(const char *inputs, const char *key, char *out, size_t out_size)
{
    out[0] = '\0';
    struct ch_str rest = ch_str_c(inputs), tok;
    size_t kl = strlen(key);
    while (ch_str_split_next(&rest, ' ', &tok)) {
        if (tok.len > kl && memcmp(tok.ptr, key, kl) == 0 && tok.ptr[kl] == '=') {
            snprintf(out, out_size, "%.*s", (int)(tok.len - kl - 1), tok.ptr + kl + 1);
            return;
        }
    }
}

/*
 * The SSVC inputs of one exposure for a table: each point by its key.
 * Returns false when the table has a point we cannot fill.
 */
static bool ssvc_inputs(const struct ch_ssvc_table *t, const struct ch_rem_vinfo *v,
                        const struct asset_info *a, struct ch_ssvc_input *in, char *text,
                        size_t text_size)
{
    size_t n = ch_ssvc_table_n_points(t);
    text[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = ch_ssvc_table_point(t, i)->key;
        const char *val = NULL;
        if (strcmp(key, "KEV") == 0)
            val = v->kev ? "yes" : "no";
        else if (strcmp(key, "PE") == 0)
            val = a->exposed ? "yes" : "no";
        else if (strcmp(key, "A") == 0)
            val = v->automatable;
        else if (strcmp(key, "TI") == 0)
            val = v->technical_impact;
        else if (strcmp(key, "E") == 0)
            val = v->exploitation;
        else if (strcmp(key, "MWI") == 0)
            val = a->mwi;
        if (val == NULL)
            return false;
        in[i].point = ch_str_c(ch_ssvc_table_point(t, i)->id);
        in[i].value = ch_str_c(val);
        int w = snprintf(text + used, text_size - used, "%s%s=%s", i > 0 ? " " : "", key, val);
        if (w > 0 && (size_t)w < text_size - used)
            used += (size_t)w;
    }
    return true;
}

/*
 * When the exposure met its current tier under an SSVC rule: kept while the
 * outcome stays; when it changes, the date of the input that changed (the
 * KEV dateAdded, the day the asset became exposed) or now.
 */
static int64_t tier_date(const struct prev_decision *p, const char *inputs, const char *outcome,
                         const struct ch_rem_vinfo *v, const struct asset_info *a, int64_t now)
{
    if (p->have && p->applies && strcmp(p->outcome, outcome) == 0)
        return p->tier_met;
    int64_t t = -1;
    if (!p->have || !p->applies) {
        if (v->kev && v->kev_added > t)
            t = v->kev_added;
        if (a->exposed && a->exposed_since > t)
            t = a->exposed_since;
        return t;
    }
    static const char *const keys[] = {"KEV", "PE", "A", "TI", "E", "MWI"};
    for (size_t i = 0; i < CH_ARRAY_SIZE(keys); i++) {
        char was[32], is[32];
        input_value(p->inputs, keys[i], was, sizeof(was));
        input_value(inputs, keys[i], is, sizeof(is));
        if (strcmp(was, is) == 0)
            continue;
        int64_t c = now;
        if (i == 0 && strcmp(is, "yes") == 0 && v->kev_added >= 0)
            c = v->kev_added;
        else if (i == 1 && strcmp(is, "yes") == 0 && a->exposed_since >= 0)
            c = a->exposed_since;
        if (c > t)
            t = c;
    }
    return t < 0 ? now : t;
}

static int load_prev(struct ch_store *s, int64_t exposure_id, const struct ch_directive_set *set,
                     struct prev_decision *prev, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT directive, applies, inputs, outcome, clock_start, tier_met, due,"
                           " forensic FROM exposure_deadlines WHERE exposure_id = ? ORDER BY id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, exposure_id);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        const struct ch_directive *d = ch_directive_set_find(set, ch_stmt_text(st, 0));
        size_t i = 0;
        while (d != NULL && ch_directive_set_get(set, i) != d)
            i++;
        if (d == NULL)
            continue; /* a directive no longer in the set */
        struct prev_decision *p = &prev[i];
        p->have = true;
        p->applies = ch_stmt_int(st, 1) != 0;
        snprintf(p->inputs, sizeof(p->inputs), "%s", ch_stmt_cstr(st, 2));
        snprintf(p->outcome, sizeof(p->outcome), "%s", ch_stmt_cstr(st, 3));
        p->clock_start = ch_stmt_is_null(st, 4) ? -1 : ch_stmt_int(st, 4);
        p->tier_met = ch_stmt_is_null(st, 5) ? -1 : ch_stmt_int(st, 5);
        p->due = ch_stmt_is_null(st, 6) ? -1 : ch_stmt_int(st, 6);
        p->forensic = ch_stmt_int(st, 7) != 0;
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

static void bind_opt(struct ch_stmt *st, int idx, int64_t v)
{
    if (v < 0)
        ch_stmt_bind_null(st, idx);
    else
        ch_stmt_bind_int(st, idx, v);
}

/* Queues the decisions decide_all kept. */
static int write_deadlines(struct ch_rem_run *r, int64_t exposure_id, struct ch_err *err)
{
    int rc = CH_OK;
    for (size_t i = 0; rc == CH_OK && i < r->n_pend; i++) {
        if (r->n_dq == ROW_BATCH)
            rc = flush_rows(r, err);
        r->dq[r->n_dq++] = (struct queued_deadline){exposure_id, r->pend[i]};
    }
    r->n_pend = 0;
    return rc;
}

/* Decides one directive; *applies false when out of scope or nothing is asked. */
static int decide_one(const struct ch_directive *d, const struct ch_rem_vinfo *v,
                      const struct asset_info *a, int64_t detected, const struct prev_decision *p,
                      int64_t now, bool *ret_applies, char *inputs, size_t inputs_size,
                      struct ch_directive_decision *dec, int64_t *ret_tier, struct ch_err *err)
{
    struct ch_ssvc_input in[CH_SSVC_MAX_POINTS];
    struct ch_directive_inputs di = CH_DIRECTIVE_INPUTS_INIT;
    di.detected = detected;
    char score[32];
    *dec = (struct ch_directive_decision){.outcome = "out of scope",
                                          .outcome_key = "",
                                          .action = CH_ACTION_NONE,
                                          .days = -1,
                                          .clock_start = -1,
                                          .due = -1};
    *ret_applies = false;
    *ret_tier = -1;
    inputs[0] = '\0';
    if (!ch_directive_applies_to_sector(d, a->category, a->sector, a->exposed))
        return CH_OK;
    switch (ch_directive_rule_kind(d)) {
    case CH_RULE_SSVC:
        if (!ssvc_inputs(ch_directive_table(d), v, a, in, inputs, inputs_size)) {
            dec->outcome = "unsupported decision point";
            return CH_OK;
        }
        di.values = in;
        di.n_values = ch_ssvc_table_n_points(ch_directive_table(d));
        break;
    case CH_RULE_SEVERITY:
        if (v->cvss < 0) {
            dec->outcome = "no severity";
            return CH_OK;
        }
        snprintf(score, sizeof(score), "%.1f", v->cvss);
        in[0] = (struct ch_ssvc_input){.point = ch_str_c("cvss"), .value = ch_str_c(score)};
        di.values = in;
        di.n_values = 1;
        snprintf(inputs, inputs_size, "cvss=%s", score);
        break;
    case CH_RULE_KEV_DUE_DATE:
        di.kev_due = v->kev ? v->kev_due : -1;
        if (v->kev && v->kev_due < 0) {
            dec->outcome = "in KEV without a due date";
            return CH_OK;
        }
        snprintf(inputs, inputs_size, "kev=%s", v->kev ? "yes" : "no");
        break;
    }
    struct ch_directive_decision probe = *dec;
    if (ch_directive_rule_kind(d) == CH_RULE_SSVC) {
        /* the tier date depends on the outcome, which needs a first decision */
        int rc = ch_directive_decide(d, &di, &probe, err);
        if (rc != CH_OK)
            return rc;
        di.tier_met = tier_date(p, inputs, probe.outcome, v, a, now);
        *ret_tier = di.tier_met;
    }
    int rc = ch_directive_decide(d, &di, dec, err);
    if (rc != CH_OK)
        return ch_err_prefix(err, "directive %s", ch_directive_id(d));
    *ret_applies = dec->action != CH_ACTION_NONE;
    return CH_OK;
}

static void append_word(char *out, size_t size, const char *word)
{
    size_t used = strlen(out);
    snprintf(out + used, size - used, "%s%s", used > 0 ? " " : "", word);
}

/*
 * Decides every directive for one exposure, keeps the changed decisions in
 * r->pend (write_deadlines appends them once the exposure has an id) and
 * summarises the directives in force at now. A fresh exposure (no row yet,
 * exposure_id 0) has no earlier decisions: it is decided before its row is
 * written, so that the row is inserted whole.
 */
static int decide_core(const struct ch_rem_ctx *ctx, const struct prev_decision *prev,
                       const struct ch_rem_vinfo *v, const struct asset_info *a, int64_t detected,
                       struct pending_deadline *pend, size_t *n_pend, struct decision_out *out,
                       struct ch_err *err);

static int decide_all(struct ch_rem_run *r, int64_t exposure_id, const struct ch_rem_vinfo *v,
                      const struct asset_info *a, int64_t detected, bool fresh,
                      struct decision_out *out, struct ch_err *err)
{
    const struct ch_directive_set *set = r->ctx->directives;
    size_t n = set != NULL ? ch_directive_set_count(set) : 0;
    if (n > RUN_MAX_DIRECTIVES)
        return ch_err_set(err, CH_E_LIMIT, "more than %d directives", RUN_MAX_DIRECTIVES);
    struct prev_decision prev[RUN_MAX_DIRECTIVES];
    memset(prev, 0, n * sizeof(prev[0]));
    int rc = CH_OK;
    if (!fresh && n > 0) {
        rc = flush_rows(r, err); /* earlier decisions may still be queued */
        if (rc == CH_OK)
            rc = load_prev(r->ctx->store, exposure_id, set, prev, err);
    }
    if (rc == CH_OK)
        rc = decide_core(r->ctx, prev, v, a, detected, r->pend, &r->n_pend, out, err);
    return rc;
}

/* Decides every directive given the earlier decisions (one per directive; zeroed: none). */
static int decide_core(const struct ch_rem_ctx *ctx, const struct prev_decision *prev,
                       const struct ch_rem_vinfo *v, const struct asset_info *a, int64_t detected,
                       struct pending_deadline *pend, size_t *n_pend, struct decision_out *out,
                       struct ch_err *err)
{
    const struct ch_directive_set *set = ctx->directives;
    *out = (struct decision_out){.due = -1, .forensic_due = -1};
    *n_pend = 0;
    if (set == NULL)
        return CH_OK;
    size_t n = ch_directive_set_count(set);
    int rc = CH_OK;
    int64_t now = ctx->now;
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        const struct ch_directive *d = ch_directive_set_get(set, i);
        bool applies = false;
        char inputs[160];
        struct ch_directive_decision dec;
        int64_t tier = -1;
        rc = decide_one(d, v, a, detected, &prev[i], now, &applies, inputs, sizeof(inputs), &dec,
                        &tier, err);
        if (rc != CH_OK)
            break;
        const struct prev_decision *p = &prev[i];
        bool changed = p->have ? p->applies != applies || strcmp(p->outcome, dec.outcome) != 0 ||
                                     strcmp(p->inputs, inputs) != 0 || p->due != dec.due ||
                                     p->clock_start != dec.clock_start
                               : applies;
        if (changed) {
            struct pending_deadline *pd = &pend[(*n_pend)++];
            pd->directive = ch_directive_id(d);
            pd->applies = applies;
            memcpy(pd->inputs, inputs, sizeof(pd->inputs));
            pd->dec = dec;
            pd->tier = tier;
        }
        if (!applies || !ch_directive_in_force(d, now))
            continue;
        append_word(out->directives, sizeof(out->directives), ch_directive_id(d));
        if (dec.due >= 0 && (out->due < 0 || dec.due < out->due)) {
            out->due = dec.due;
            snprintf(out->outcome, sizeof(out->outcome), "%s: %s", ch_directive_id(d), dec.outcome);
        } else if (out->outcome[0] == '\0') {
            snprintf(out->outcome, sizeof(out->outcome), "%s: %s", ch_directive_id(d), dec.outcome);
        }
        if (dec.forensic_triage && !out->forensic) {
            out->forensic = true;
            out->forensic_directive = ch_directive_id(d);
            out->forensic_due = dec.due;
        }
    }
    return rc;
}

static int open_forensic_task(struct ch_rem_run *r, int64_t exposure_id, const struct asset_info *a,
                              const struct decision_out *o, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(r->ctx->store,
                           "INSERT INTO remediation_tasks (org_id, asset_id, exposure_id, kind,"
                           " directive, created_at, due, status)"
                           " VALUES (?, ?, ?, 'forensic_triage', ?, ?, ?, 'open')"
                           " ON CONFLICT (exposure_id, kind, directive) DO NOTHING",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, a->org_id);
    ch_stmt_bind_int(st, 2, a->id);
    ch_stmt_bind_int(st, 3, exposure_id);
    ch_stmt_bind_cstr(st, 4, o->forensic_directive);
    ch_stmt_bind_int(st, 5, r->ctx->now);
    bind_opt(st, 6, o->forensic_due);
    rc = ch_stmt_run(st, err);
    if (rc != CH_OK || ch_store_changes(r->ctx->store) == 0)
        return rc;
    char object[48];
    snprintf(object, sizeof(object), "exposure:%lld", (long long)exposure_id);
    return ch_rem__audit(r->ctx, "task.forensic_triage", object, NULL, err);
}

static int note_event(struct ch_rem_run *r, int64_t org_id, int64_t vuln_id, unsigned reason,
                      struct ch_err *err)
{
    if (!r->notify)
        return CH_OK;
    int64_t k[2] = {org_id, vuln_id};
    struct ch_str key = ch_str_make((const char *)k, sizeof(k));
    struct note *n = ch_map_get(r->notes, key);
    if (n == NULL) {
        n = ch_calloc(1, sizeof(*n));
        if (n == NULL || ch_map_put(r->notes, key, n) != CH_OK) {
            ch_free(n);
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        }
        n->org_id = org_id;
        n->vuln_id = vuln_id;
    }
    n->reasons |= reason;
    n->events++;
    return CH_OK;
}

/* Keys of the run's maps that are ids: the 8 bytes of the id. */
static struct ch_str id_key(const int64_t *id)
{
    return ch_str_make((const char *)id, sizeof(*id));
}

/*
 * Exposures decided in this run. Ids arrive mostly in increasing order (new
 * rows get increasing ids; a full run goes asset by asset): those go in a
 * sorted array, found by binary search; the rest in a map. A full run
 * marks every one of its 300,000 exposures, and a map entry costs an
 * allocation each.
 */
static int mark_decided(struct ch_rem_run *r, int64_t exposure_id, struct ch_err *err)
{
    if (r->rising.n == 0 || exposure_id > r->rising.v[r->rising.n - 1])
        return ch_rem__ids_add(&r->rising, exposure_id, err);
    if (sorted_has(r->rising.v, r->rising.n, exposure_id))
        return CH_OK;
    if (ch_map_put(r->decided, id_key(&exposure_id), r) != CH_OK)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    return CH_OK;
}

static bool was_decided(const struct ch_rem_run *r, int64_t exposure_id)
{
    return sorted_has(r->rising.v, r->rising.n, exposure_id) ||
           ch_map_has(r->decided, id_key(&exposure_id));
}

/*
 * Binds the facts of the vulnerability and the decision summary as 11
 * parameters from first: kev_added, kev_due, exploitation, automatable,
 * technical_impact, ssvc_source, cvss, due_at, directives, outcome, forensic.
 */
static void bind_facts(struct ch_stmt *st, int first, const struct ch_rem_vinfo *v,
                       const struct decision_out *o)
{
    bind_opt(st, first, v->kev_added);
    bind_opt(st, first + 1, v->kev_due);
    ch_stmt_bind_cstr_ref(st, first + 2, v->exploitation);
    ch_stmt_bind_cstr_ref(st, first + 3, v->automatable);
    ch_stmt_bind_cstr_ref(st, first + 4, v->technical_impact);
    ch_stmt_bind_cstr_ref(st, first + 5, v->ssvc_source);
    if (v->cvss < 0)
        ch_stmt_bind_null(st, first + 6);
    else
        ch_stmt_bind_double(st, first + 6, v->cvss);
    bind_opt(st, first + 7, o->due);
    ch_stmt_bind_cstr_ref(st, first + 8, o->directives[0] != '\0' ? o->directives : NULL);
    ch_stmt_bind_cstr_ref(st, first + 9, o->outcome[0] != '\0' ? o->outcome : NULL);
    ch_stmt_bind_bool(st, first + 10, o->forensic);
}

/* Writes the facts and the decision summary of an exposure. */
static int update_facts(struct ch_rem_run *r, int64_t exposure_id, const struct ch_rem_vinfo *v,
                        const struct decision_out *o, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(r->ctx->store,
                           "UPDATE exposures SET kev = ?1, updated_at = ?2, kev_added = ?4,"
                           " kev_due = ?5, exploitation = ?6, automatable = ?7,"
                           " technical_impact = ?8, ssvc_source = ?9, cvss = ?10, due_at = ?11,"
                           " directives = ?12, outcome = ?13, forensic = ?14 WHERE id = ?3",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_bool(st, 1, v->kev);
    ch_stmt_bind_int(st, 2, r->ctx->now);
    ch_stmt_bind_int(st, 3, exposure_id);
    bind_facts(st, 4, v, o);
    return ch_stmt_run(st, err);
}

/* What follows a decision written with its exposure: the triage task, the run's bookkeeping. */
static int after_decision(struct ch_rem_run *r, int64_t exposure_id, const struct asset_info *a,
                          const struct decision_out *o, struct ch_err *err)
{
    int rc = write_deadlines(r, exposure_id, err);
    if (rc == CH_OK && o->forensic)
        rc = open_forensic_task(r, exposure_id, a, o, err);
    if (rc == CH_OK)
        rc = mark_decided(r, exposure_id, err);
    if (rc == CH_OK)
        r->stats->decided++;
    return rc;
}

/* Re-decides an exposure whose row is known (asset, vuln, detection, KEV flag as stored). */
static int decide_known(struct ch_rem_run *r, int64_t exposure_id, int64_t asset_id,
                        int64_t vuln_id, int64_t detected, bool was_kev, struct ch_err *err)
{
    const struct asset_info *a = NULL;
    const struct ch_rem_vinfo *v = NULL;
    int rc = load_asset(r, asset_id, &a, err);
    if (rc == CH_OK)
        rc = ch_rem__vinfo(r->vcache, vuln_id, &v, err);
    struct decision_out o;
    if (rc == CH_OK)
        rc = decide_all(r, exposure_id, v, a, detected, false, &o, err);
    if (rc == CH_OK)
        rc = update_facts(r, exposure_id, v, &o, err);
    if (rc == CH_OK)
        rc = after_decision(r, exposure_id, a, &o, err);
    if (rc == CH_OK && v->kev && !was_kev)
        rc = note_event(r, a->org_id, vuln_id, NOTE_KEV, err);
    return rc;
}

int ch_rem__run_decide(struct ch_rem_run *r, int64_t exposure_id, struct ch_err *err)
{
    if (was_decided(r, exposure_id))
        return CH_OK;
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(r->ctx->store,
                           "SELECT asset_id, vuln_id, detected_at, kev, status FROM exposures"
                           " WHERE id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, exposure_id);
    rc = ch_stmt_step(st, err);
    if (rc <= 0) {
        ch_stmt_reset(st);
        return rc < 0 ? rc
                      : ch_err_set(err, CH_E_NOTFOUND, "exposure %lld not found",
                                   (long long)exposure_id);
    }
    int64_t asset = ch_stmt_int(st, 0), vuln = ch_stmt_int(st, 1), det = ch_stmt_int(st, 2);
    bool kev = ch_stmt_int(st, 3) != 0;
    bool remediated = strcmp(ch_stmt_cstr(st, 4), "remediated") == 0;
    ch_stmt_reset(st);
    if (remediated)
        return CH_OK;
    return decide_known(r, exposure_id, asset, vuln, det, kev, err);
}

/* ---- matching one asset ------------------------------------------------ */

struct comp {
    struct ch_match_component mc;
    const char *eco_key;
    const char *norm_name;
};

struct found {
    int64_t vuln_id;
    const char *eco_key;
    const char *norm_name;
    const char *ecosystem;
    const char *package;
    const char *version;
    const char *fixed;
    bool no_fix;
    struct ch_buf *advisories;
    /* from the reading thread of a full run (ch_rem__run_all_assets), else NULL / false */
    const struct ch_rem_vinfo *v;
    bool decided; /* o and pend hold the decision as a new exposure */
    struct decision_out o;
    struct pending_deadline *pend;
    size_t n_pend;
};

struct existing {
    int64_t id;
    int64_t vuln_id;
    char *eco_key;
    char *norm_name;
    char *status;
    char *version;
    char *fixed;
    char *advisories;
    int64_t detected;
    bool kev;
    bool seen;
};

struct vec {
    void *v;
    size_t n, cap;
};

static void *vec_push(struct ch_arena *a, struct vec *x, size_t size)
{
    if (x->n == x->cap) {
        size_t cap = x->cap == 0 ? 16 : x->cap * 2;
        void *nv = ch_arena_alloc(a, cap * size);
        if (nv == NULL)
            return NULL;
        if (x->n > 0)
            memcpy(nv, x->v, x->n * size);
        x->v = nv;
        x->cap = cap;
    }
    void *slot = (char *)x->v + x->n * size;
    memset(slot, 0, size);
    x->n++;
    return slot;
}

static const char *adup(struct ch_arena *a, struct ch_stmt *st, int col)
{
    return ch_stmt_is_null(st, col) ? NULL : ch_arena_strdup(a, ch_stmt_cstr(st, col));
}

/*
 * What reading and matching an asset's components needs: a connection, a
 * matcher and the arena the results live in. The run has its own; a
 * pipelined full run gives its reading thread another (ch_rem__run_all).
 */
struct gather {
    struct ch_store *store;
    struct ch_rem_matcher *matcher;
    struct ch_arena *arena;
};

static int read_components(struct ch_arena *a, struct ch_stmt *st, struct vec *comps,
                           struct ch_err *err)
{
    int rc;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct comp *c = vec_push(a, comps, sizeof(*c));
        if (c == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        c->mc.ecosystem = adup(a, st, 0);
        c->mc.release = adup(a, st, 1);
        c->mc.name = adup(a, st, 2);
        c->mc.version = adup(a, st, 3);
        c->mc.source_name = adup(a, st, 4);
        c->mc.source_version = adup(a, st, 5);
        c->eco_key = adup(a, st, 6);
        c->norm_name = adup(a, st, 7);
        if (c->eco_key == NULL || c->norm_name == NULL)
            comps->n--; /* no ecosystem: nothing can match it */
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

#define COMPONENT_COLUMNS                                                                          \
    "SELECT c.ecosystem, c.release, c.name, c.version, c.source_name, c.source_version,"           \
    " c.eco_key, c.norm_name FROM inventory_components c JOIN assets a"                            \
    " ON a.inventory_id = c.inventory_id WHERE a.id = ?"

static int load_components(const struct gather *g, int64_t asset_id, const char *const *eco_keys,
                           const char *const *norms, size_t n_keys, struct vec *comps,
                           struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc;
    if (eco_keys == NULL) {
        rc = ch_store_stmt(g->store, COMPONENT_COLUMNS, &st, err);
        if (rc != CH_OK)
            return rc;
        ch_stmt_bind_int(st, 1, asset_id);
        return read_components(g->arena, st, comps, err);
    }
    /* Two index searches rather than "eco_key = ? OR alt_eco_key = ?", with
     * which the planner used only inventory_id and read the whole inventory. */
    for (size_t i = 0; i < n_keys; i++) {
        rc = ch_store_stmt(g->store,
                           COMPONENT_COLUMNS " AND c.eco_key = ? AND c.norm_name = ?"
                                             " UNION ALL " COMPONENT_COLUMNS
                                             " AND c.alt_eco_key = ? AND c.norm_name = ?"
                                             " AND c.eco_key <> ?",
                           &st, err);
        if (rc != CH_OK)
            return rc;
        ch_stmt_bind_int(st, 1, asset_id);
        ch_stmt_bind_cstr(st, 2, eco_keys[i]);
        ch_stmt_bind_cstr(st, 3, norms[i]);
        ch_stmt_bind_int(st, 4, asset_id);
        ch_stmt_bind_cstr(st, 5, eco_keys[i]);
        ch_stmt_bind_cstr(st, 6, norms[i]);
        ch_stmt_bind_cstr(st, 7, eco_keys[i]);
        rc = read_components(g->arena, st, comps, err);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

static const char *combine_fix(const char *eco, const char *cur, const char *fix, bool *none)
{
    if (fix == NULL) {
        *none = true;
        return cur;
    }
    if (cur == NULL)
        return fix;
    int c = 0;
    struct ch_err err = CH_ERR_INIT;
    if (ch_match_version_cmp(eco, fix, cur, &c, &err) != CH_OK)
        return cur;
    return c > 0 ? fix : cur;
}

static int add_hit(struct ch_arena *a, struct ch_map *fmap, const struct comp *c,
                   const struct ch_match_hit *h, struct ch_err *err)
{
    char *key =
        ch_arena_printf(a, "%lld\x1f%s\x1f%s", (long long)h->vuln_id, c->eco_key, c->norm_name);
    if (key == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    struct found *f = ch_map_get(fmap, ch_str_c(key));
    if (f == NULL) {
        f = ch_arena_calloc(a, 1, sizeof(*f));
        struct ch_buf *b = ch_arena_calloc(a, 1, sizeof(*b));
        if (f == NULL || b == NULL || ch_map_put(fmap, ch_str_c(key), f) != CH_OK)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        ch_buf_init(b, RUN_MAX_ADVISORIES_TEXT);
        f->advisories = b;
        f->vuln_id = h->vuln_id;
        f->eco_key = c->eco_key;
        f->norm_name = c->norm_name;
        f->ecosystem = c->mc.ecosystem;
        f->package = c->mc.name;
        f->version = c->mc.version;
    }
    struct ch_str have = ch_buf_str(f->advisories);
    bool dup = false;
    for (struct ch_str rest = have, tok; !dup && ch_str_split_next(&rest, ' ', &tok);)
        dup = ch_str_eq_c(tok, h->advisory);
    if (!dup) {
        if (have.len > 0)
            (void)ch_buf_append_byte(f->advisories, ' ');
        (void)ch_buf_append_c(f->advisories, h->advisory); /* truncation shows as failed buf */
    }
    f->fixed = combine_fix(h->ecosystem, f->fixed, h->fixed, &f->no_fix);
    return CH_OK;
}

static void free_found(void *p)
{
    struct found *f = p;
    if (f != NULL)
        ch_buf_release(f->advisories);
}

/* Reads one row of the exposures query below into emap. */
static int existing_row(struct ch_rem_run *r, struct ch_stmt *st, struct ch_map *emap,
                        struct ch_err *err)
{
    const char *ek = ch_stmt_cstr(st, 2), *nn = ch_stmt_cstr(st, 3);
    struct existing *e = ch_arena_calloc(r->arena, 1, sizeof(*e));
    char *key =
        ch_arena_printf(r->arena, "%lld\x1f%s\x1f%s", (long long)ch_stmt_int(st, 1), ek, nn);
    if (e == NULL || key == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    e->id = ch_stmt_int(st, 0);
    e->vuln_id = ch_stmt_int(st, 1);
    e->status = ch_arena_strdup(r->arena, ch_stmt_cstr(st, 4));
    e->version = ch_arena_strdup(r->arena, ch_stmt_cstr(st, 5));
    e->fixed = ch_stmt_is_null(st, 6) ? NULL : ch_arena_strdup(r->arena, ch_stmt_cstr(st, 6));
    e->advisories = ch_arena_strdup(r->arena, ch_stmt_cstr(st, 7));
    e->detected = ch_stmt_int(st, 8);
    e->kev = ch_stmt_int(st, 9) != 0;
    if (e->status == NULL || e->version == NULL || e->advisories == NULL ||
        ch_map_put(emap, ch_str_c(key), e) != CH_OK)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    return CH_OK;
}

#define EXISTING_SELECT                                                                            \
    "SELECT id, vuln_id, eco_key, norm_name, status, version, fixed, advisories, detected_at, kev" \
    " FROM exposures"
#define EXISTING_COLUMNS EXISTING_SELECT " WHERE asset_id = ?"

/*
 * The asset's exposures: all of them, or (a run for some packages) those of
 * the packages of comps. The second asks once per distinct package, so that
 * the unique index (asset_id, vuln_id, eco_key, norm_name) filters the rows
 * instead of this loop reading every exposure of the asset — with 300 per
 * asset that was most of an incremental run.
 */
/* Under a vulnerability filter: the package's exposures to the re-checked
 * vulnerabilities, each one row of the unique index away. */
static int load_existing_filtered(struct ch_rem_run *r, int64_t asset_id, const struct comp *c,
                                  struct ch_map *emap, struct ch_err *err)
{
    int rc = CH_OK;
    for (size_t i = 0; rc == CH_OK && i < r->recheck.n; i++) {
        struct ch_stmt *st = NULL;
        rc = ch_store_stmt(r->ctx->store,
                           EXISTING_SELECT " WHERE asset_id = ? AND vuln_id = ? AND eco_key = ?"
                                           " AND norm_name = ?",
                           &st, err);
        if (rc != CH_OK)
            break;
        ch_stmt_bind_int(st, 1, asset_id);
        ch_stmt_bind_int(st, 2, r->recheck.v[i]);
        ch_stmt_bind_cstr(st, 3, c->eco_key);
        ch_stmt_bind_cstr(st, 4, c->norm_name);
        rc = ch_stmt_step(st, err);
        if (rc == 1)
            rc = existing_row(r, st, emap, err);
        ch_stmt_reset(st);
        rc = rc < 0 ? rc : CH_OK;
    }
    return rc;
}

static int load_existing(struct ch_rem_run *r, int64_t asset_id, const struct vec *comps, bool all,
                         struct ch_map *emap, struct ch_err *err)
{
    int rc = CH_OK;
    for (size_t i = 0; rc == CH_OK && i < (all ? 1 : comps->n); i++) {
        const struct comp *c = all ? NULL : (const struct comp *)comps->v + i;
        bool again = false;
        for (size_t j = 0; c != NULL && !again && j < i; j++) {
            const struct comp *d = (const struct comp *)comps->v + j;
            again = strcmp(c->eco_key, d->eco_key) == 0 && strcmp(c->norm_name, d->norm_name) == 0;
        }
        if (again)
            continue;
        if (c != NULL && r->only_vulns != NULL) {
            rc = load_existing_filtered(r, asset_id, c, emap, err);
            continue;
        }
        struct ch_stmt *st = NULL;
        rc = ch_store_stmt(r->ctx->store,
                           c == NULL ? EXISTING_COLUMNS
                                     : EXISTING_COLUMNS " AND eco_key = ? AND norm_name = ?",
                           &st, err);
        if (rc != CH_OK)
            break;
        ch_stmt_bind_int(st, 1, asset_id);
        if (c != NULL) {
            ch_stmt_bind_cstr(st, 2, c->eco_key);
            ch_stmt_bind_cstr(st, 3, c->norm_name);
        }
        while ((rc = ch_stmt_step(st, err)) == 1) {
            rc = existing_row(r, st, emap, err);
            if (rc != CH_OK)
                break;
        }
        ch_stmt_reset(st);
        rc = rc < 0 ? rc : CH_OK;
    }
    return rc;
}

static bool str_eq_null(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A new exposure, with its facts and the decision made before (decide_all). */
static int insert_exposure(struct ch_rem_run *r, const struct asset_info *a, const struct found *f,
                           const struct ch_rem_vinfo *v, const struct decision_out *o,
                           int64_t *ret_id, struct ch_err *err)
{
    struct ch_stmt *st = r->insert_exposure;
    int rc =
        st != NULL
            ? CH_OK
            : ch_store_stmt(r->ctx->store,
                            "INSERT INTO exposures (org_id, asset_id, vuln_id, eco_key, norm_name,"
                            " ecosystem, package, version, fixed, advisories, status, status_at,"
                            " detected_at, kev, updated_at, kev_added, kev_due, exploitation,"
                            " automatable, technical_impact, ssvc_source, cvss, due_at, directives,"
                            " outcome, forensic)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?,"
                            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            &st, err);
    if (rc != CH_OK)
        return rc;
    r->insert_exposure = st; /* reset after each use, below */
    int64_t now = r->ctx->now;
    ch_stmt_bind_int(st, 1, a->org_id);
    ch_stmt_bind_int(st, 2, a->id);
    ch_stmt_bind_int(st, 3, f->vuln_id);
    ch_stmt_bind_cstr_ref(st, 4, f->eco_key);
    ch_stmt_bind_cstr_ref(st, 5, f->norm_name);
    ch_stmt_bind_cstr_ref(st, 6, f->ecosystem);
    ch_stmt_bind_cstr_ref(st, 7, f->package);
    ch_stmt_bind_cstr_ref(st, 8, f->version);
    ch_stmt_bind_cstr_ref(st, 9, f->no_fix ? NULL : f->fixed);
    ch_stmt_bind_cstr_ref(st, 10, ch_buf_cstr(f->advisories));
    ch_stmt_bind_int(st, 11, now);
    ch_stmt_bind_int(st, 12, now);
    ch_stmt_bind_bool(st, 13, v->kev);
    ch_stmt_bind_int(st, 14, now);
    bind_facts(st, 15, v, o);
    rc = ch_stmt_step(st, err);
    if (rc == 1)
        *ret_id = ch_stmt_int(st, 0);
    ch_stmt_reset(st);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_DB, "insert returned no id");
    return rc < 0 ? rc : CH_OK;
}

static int set_status(struct ch_rem_run *r, int64_t id, const char *status, bool remediated,
                      struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        r->ctx->store,
        "UPDATE exposures SET status = ?, status_at = ?,"
        " remediated_at = CASE WHEN CAST(? AS BIGINT) = 1 THEN CAST(? AS BIGINT) ELSE NULL END,"
        " risk_justification = NULL, risk_approver = NULL,"
        " risk_expires_at = NULL, vex_justification = NULL, updated_at = ?"
        " WHERE id = ?",
        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, status);
    ch_stmt_bind_int(st, 2, r->ctx->now);
    ch_stmt_bind_int(st, 3, remediated ? 1 : 0);
    ch_stmt_bind_int(st, 4, r->ctx->now);
    ch_stmt_bind_int(st, 5, r->ctx->now);
    ch_stmt_bind_int(st, 6, id);
    return ch_stmt_run(st, err);
}

static int update_match(struct ch_rem_run *r, const struct existing *e, const struct found *f,
                        struct ch_err *err)
{
    const char *fixed = f->no_fix ? NULL : f->fixed;
    if (strcmp(e->version, f->version) == 0 && str_eq_null(e->fixed, fixed) &&
        strcmp(e->advisories, ch_buf_cstr(f->advisories)) == 0)
        return CH_OK;
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(r->ctx->store,
                           "UPDATE exposures SET version = ?, fixed = ?, advisories = ?,"
                           " updated_at = ? WHERE id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, f->version);
    ch_stmt_bind_cstr(st, 2, fixed);
    ch_stmt_bind_cstr(st, 3, ch_buf_cstr(f->advisories));
    ch_stmt_bind_int(st, 4, r->ctx->now);
    ch_stmt_bind_int(st, 5, e->id);
    return ch_stmt_run(st, err);
}

/* A matched exposure: new, reopened or refreshed. */
static int apply_found(struct ch_rem_run *r, const struct asset_info *a, struct ch_map *emap,
                       const char *key, struct found *f, struct ch_err *err)
{
    const struct ch_rem_vinfo *v = f->v;
    int rc = v != NULL ? CH_OK : ch_rem__vinfo(r->vcache, f->vuln_id, &v, err);
    if (rc != CH_OK)
        return rc;
    struct existing *e = ch_map_get(emap, ch_str_c(key));
    if (e == NULL) {
        int64_t id = 0;
        struct decision_out o;
        if (f->decided) {
            o = f->o;
            if (f->n_pend > 0)
                memcpy(r->pend, f->pend, f->n_pend * sizeof(*f->pend));
            r->n_pend = f->n_pend;
        } else {
            rc = decide_all(r, 0, v, a, r->ctx->now, true, &o, err);
        }
        if (rc == CH_OK)
            rc = insert_exposure(r, a, f, v, &o, &id, err);
        if (rc == CH_OK)
            rc = run_transition(r, id, NULL, "open", "detected", err);
        if (rc == CH_OK)
            rc = after_decision(r, id, a, &o, err);
        if (rc == CH_OK)
            rc = note_event(r, a->org_id, f->vuln_id, NOTE_ADVISORY, err);
        r->stats->opened++;
        return rc;
    }
    e->seen = true;
    if (strcmp(e->status, "remediated") == 0) {
        rc = set_status(r, e->id, "open", false, err);
        if (rc == CH_OK)
            rc = run_transition(r, e->id, "remediated", "open", "an affected version is back", err);
        if (rc == CH_OK)
            rc = note_event(r, a->org_id, f->vuln_id, NOTE_ADVISORY, err);
        r->stats->reopened++;
    }
    const char *fixed = f->no_fix ? NULL : f->fixed;
    if (rc == CH_OK && fixed != NULL && !str_eq_null(e->fixed, fixed))
        rc = note_event(r, a->org_id, f->vuln_id, NOTE_FIXED, err);
    if (rc == CH_OK)
        rc = update_match(r, e, f, err);
    /* deadlines depend on the vulnerability and the asset, not on the match: re-decide
       a reopened exposure here; changed vulnerabilities are re-decided by their run */
    if (rc == CH_OK && strcmp(e->status, "remediated") == 0 && !was_decided(r, e->id))
        rc = decide_known(r, e->id, a->id, f->vuln_id, e->detected, e->kev, err);
    return rc;
}

/*
 * Reads an asset's components (all, or those of n_keys packages) and
 * matches them: comps and fmap ("vuln\x1feco_key\x1fnorm" → struct found)
 * are filled from g's arena. filter: a run whose vulnerability filter
 * applies to a keyed run, or NULL.
 */
static int gather_asset(const struct gather *g, const struct ch_rem_run *filter, int64_t asset_id,
                        const char *const *eco_keys, const char *const *norm_names, size_t n_keys,
                        struct vec *comps, struct ch_map *fmap, struct ch_err *err)
{
    int rc = load_components(g, asset_id, eco_keys, norm_names, n_keys, comps, err);
    for (size_t i = 0; rc == CH_OK && i < comps->n; i++) {
        const struct comp *c = (const struct comp *)comps->v + i;
        struct ch_match_hit *hits = NULL;
        size_t n = 0;
        rc = ch_rem__match(g->matcher, &c->mc, g->arena, &hits, &n, err);
        for (size_t k = 0; rc == CH_OK && k < n; k++) {
            /* under a filter, exposures to other vulnerabilities were not loaded */
            if (eco_keys != NULL && filter != NULL && filter->only_vulns != NULL &&
                !vuln_in_filter(filter, hits[k].vuln_id))
                continue;
            rc = add_hit(g->arena, fmap, c, &hits[k], err);
        }
    }
    return rc;
}

/* Applies what gather_asset found to the asset's exposures (keyed: only those packages). */
static int apply_asset(struct ch_rem_run *r, const struct asset_info *a, const struct vec *comps,
                       struct ch_map *fmap, bool keyed, struct ch_err *err)
{
    struct ch_map *emap = ch_map_new(0x65786973, free_none);
    if (emap == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    r->stats->components += comps->n;
    r->stats->assets++;
    int rc = load_existing(r, a->id, comps, !keyed, emap, err);
    size_t it = 0;
    struct ch_str key;
    void *val;
    while (rc == CH_OK && ch_map_next(fmap, &it, &key, &val))
        rc = apply_found(r, a, emap, key.ptr, val, err);
    it = 0;
    while (rc == CH_OK && ch_map_next(emap, &it, &key, &val)) {
        struct existing *e = val;
        if (e->seen || strcmp(e->status, "remediated") == 0)
            continue;
        rc = set_status(r, e->id, "remediated", true, err);
        if (rc == CH_OK)
            rc = run_transition(r, e->id, e->status, "remediated",
                                "no affected version in the current inventory", err);
        r->stats->remediated++;
    }
    if (rc == CH_OK)
        rc = flush_batch(r, a->id, err);
    ch_map_free(emap);
    return rc;
}

int ch_rem__run_asset(struct ch_rem_run *r, int64_t asset_id, const char *const *eco_keys,
                      const char *const *norm_names, size_t n_keys, struct ch_err *err)
{
    const struct asset_info *a = NULL;
    int rc = load_asset(r, asset_id, &a, err);
    if (rc != CH_OK)
        return rc;
    ch_arena_reset(r->arena);
    struct vec comps = {0};
    struct ch_map *fmap = ch_map_new(0x666f756e, free_found);
    if (fmap == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    const struct gather g = {.store = r->ctx->store, .matcher = r->matcher, .arena = r->arena};
    rc = gather_asset(&g, r, asset_id, eco_keys, norm_names, n_keys, &comps, fmap, err);
    if (rc == CH_OK)
        rc = apply_asset(r, a, &comps, fmap, eco_keys != NULL, err);
    ch_map_free(fmap);
    return rc;
}

/* ---- the full run on two threads -------------------------------------- */

/*
 * A full recomputation reads and matches 500 components per asset and
 * writes a few rows per exposure; on one thread the two add up. With a
 * second connection (ch_rem_ctx.reader) a reading thread gathers assets
 * (components and matches, into one of PIPE_SLOTS slots, each with its own
 * arena) while this thread applies them in the same order. The reader sees
 * the database as it was before the run: the run changes no inventory, and
 * its own exposures are read here, on the writing connection.
 */
#define PIPE_SLOTS 4

struct pipe_slot {
    struct ch_arena *arena;
    struct vec comps;
    struct ch_map *fmap;
    int rc;
    struct ch_err err;
};

struct pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pipe_slot slot[PIPE_SLOTS];
    size_t produced, consumed;
    bool cancel;
    const int64_t *ids;
    size_t n;
    struct gather g; /* the reading thread's: reader connection, own matcher */
    /* ... and what it needs to decide new exposures (pre_decide) */
    const struct ch_rem_ctx *ctx;
    struct ch_rem_vcache *vcache; /* handed to the run when the pipeline ends */
    struct ch_map *assets;        /* id → struct asset_info */
    struct prev_decision *none;   /* one zeroed entry per directive: no earlier decision */
    struct pending_deadline *pend;
};

/*
 * The reading thread also reads each match's vulnerability facts and
 * decides it as a new exposure (most of a full run's are): the writer
 * then only writes, or decides again when the exposure turns out to exist.
 */
static int pre_decide(struct pipe *p, struct ch_arena *a, int64_t asset_id, struct ch_map *fmap,
                      struct ch_err *err)
{
    const struct asset_info *ai = NULL;
    int rc = load_asset_in(p->g.store, p->assets, asset_id, &ai, err);
    size_t it = 0;
    struct ch_str key;
    void *val;
    while (rc == CH_OK && ch_map_next(fmap, &it, &key, &val)) {
        struct found *f = val;
        rc = ch_rem__vinfo(p->vcache, f->vuln_id, &f->v, err);
        if (rc == CH_OK)
            rc = decide_core(p->ctx, p->none, f->v, ai, p->ctx->now, p->pend, &f->n_pend, &f->o,
                             err);
        if (rc == CH_OK && f->n_pend > 0) {
            f->pend = ch_arena_alloc(a, f->n_pend * sizeof(*f->pend));
            if (f->pend == NULL)
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
            else
                memcpy(f->pend, p->pend, f->n_pend * sizeof(*f->pend));
        }
        f->decided = rc == CH_OK;
    }
    return rc;
}

static void *pipe_main(void *arg)
{
    struct pipe *p = arg;
    for (size_t i = 0; i < p->n; i++) {
        pthread_mutex_lock(&p->mu);
        while (!p->cancel && p->produced - p->consumed == PIPE_SLOTS)
            pthread_cond_wait(&p->cv, &p->mu);
        bool cancel = p->cancel;
        pthread_mutex_unlock(&p->mu);
        if (cancel)
            break;
        struct pipe_slot *sl = &p->slot[i % PIPE_SLOTS];
        ch_arena_reset(sl->arena);
        sl->comps = (struct vec){0};
        sl->fmap = ch_map_new(0x666f756e, free_found);
        struct gather g = p->g;
        g.arena = sl->arena;
        sl->rc = sl->fmap == NULL ? ch_err_set(&sl->err, CH_E_NOMEM, "out of memory")
                                  : gather_asset(&g, NULL, p->ids[i], NULL, NULL, 0, &sl->comps,
                                                 sl->fmap, &sl->err);
        if (sl->rc == CH_OK)
            sl->rc = pre_decide(p, sl->arena, p->ids[i], sl->fmap, &sl->err);
        pthread_mutex_lock(&p->mu);
        p->produced++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (sl->rc != CH_OK)
            break;
    }
    return NULL;
}

int ch_rem__run_all_assets(struct ch_rem_run *r, const int64_t *ids, size_t n, struct ch_err *err)
{
    struct ch_store *reader = r->ctx->reader;
    if (reader == NULL || n < 2) {
        int rc = CH_OK;
        for (size_t i = 0; rc == CH_OK && i < n; i++)
            rc = ch_rem__run_asset(r, ids[i], NULL, NULL, 0, err);
        return rc;
    }
    struct pipe *p = ch_calloc(1, sizeof(*p));
    if (p == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    p->ids = ids;
    p->n = n;
    p->g.store = reader;
    p->ctx = r->ctx;
    size_t n_dir = r->ctx->directives != NULL ? ch_directive_set_count(r->ctx->directives) : 0;
    p->vcache = ch_rem__vcache_new(reader);
    p->assets = ch_map_new(0x61737365, free_asset);
    p->none = ch_calloc(n_dir > 0 ? n_dir : 1, sizeof(*p->none));
    p->pend = ch_calloc(n_dir > 0 ? n_dir : 1, sizeof(*p->pend));
    int rc = p->vcache == NULL || p->assets == NULL || p->none == NULL || p->pend == NULL
                 ? ch_err_set(err, CH_E_NOMEM, "out of memory")
             : n_dir > RUN_MAX_DIRECTIVES
                 ? ch_err_set(err, CH_E_LIMIT, "more than %d directives", RUN_MAX_DIRECTIVES)
                 : CH_OK;
    if (rc == CH_OK)
        rc = ch_rem__matcher_new(reader, ch_rem__matcher_index(r->matcher), &p->g.matcher, err);
    for (size_t i = 0; rc == CH_OK && i < PIPE_SLOTS; i++) {
        p->slot[i].arena = ch_arena_new(RUN_ARENA_MAX);
        p->slot[i].err = (struct ch_err)CH_ERR_INIT;
        if (p->slot[i].arena == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
    }
    pthread_t th;
    bool started = false;
    if (rc == CH_OK) {
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->cv, NULL);
        started = pthread_create(&th, NULL, pipe_main, p) == 0;
        if (!started) {
            pthread_mutex_destroy(&p->mu);
            pthread_cond_destroy(&p->cv);
            rc = ch_err_set(err, CH_E_NOMEM, "cannot start the reading thread");
        }
    }
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        pthread_mutex_lock(&p->mu);
        while (p->produced <= i)
            pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
        struct pipe_slot *sl = &p->slot[i % PIPE_SLOTS];
        if (sl->rc != CH_OK) {
            ch_err_copy(err, &sl->err);
            rc = sl->rc;
        }
        const struct asset_info *a = NULL;
        if (rc == CH_OK)
            rc = load_asset(r, ids[i], &a, err);
        if (rc == CH_OK) {
            ch_arena_reset(r->arena);
            rc = apply_asset(r, a, &sl->comps, sl->fmap, false, err);
        }
        ch_map_free(sl->fmap);
        sl->fmap = NULL;
        pthread_mutex_lock(&p->mu);
        p->consumed++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    if (started) {
        pthread_mutex_lock(&p->mu);
        p->cancel = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(th, NULL);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
    }
    for (size_t i = 0; i < PIPE_SLOTS; i++) {
        ch_map_free(p->slot[i].fmap); /* gathered but not applied (after an error) */
        ch_arena_free(p->slot[i].arena);
    }
    ch_rem__matcher_free(p->g.matcher);
    ch_map_free(p->assets);
    ch_free(p->none);
    ch_free(p->pend);
    /* the facts it read stay with the run (notices ask for them again), found through its cache */
    if (p->vcache != NULL) {
        ch_rem__vcache_adopt(r->vcache, p->vcache);
        r->vcache_kept = p->vcache;
    }
    ch_free(p);
    return rc;
}

/* ---- notices ---------------------------------------------------------- */

static const char *reason_words(unsigned reasons, char *out, size_t size)
{
    out[0] = '\0';
    if (reasons & NOTE_ADVISORY)
        append_word(out, size, "advisory");
    if (reasons & NOTE_KEV)
        append_word(out, size, "kev");
    if (reasons & NOTE_FIXED)
        append_word(out, size, "fixed");
    return out;
}

/*
 * Notices. A notice lists the organisation's open exposures to the
 * vulnerability, ordered by asset name (bytes) and id, as they stand at the
 * end of the run. A run with a few notices reads each one's rows through
 * the (vulnerability, organisation) index; a run whose notices cover much of
 * the estate (the full computation: every exposure is new) reads every
 * active exposure once, in storage order, handing each row to its notice:
 * one sequential pass instead of a random row read per exposure, and no
 * sort of the whole table. Either way each notice's rows are sorted here,
 * so both give the same notices.
 */

/* Fewer exposures than this behind a run's notices: one query per notice, without counting. */
#define NOTICE_PASS_MIN_EVENTS 20000
/* Bytes of the copy of a run's notice rows (about 200 per exposure listed). */
#define NOTICE_ROWS_ARENA_MAX ((size_t)2 << 30)
/* The columns a notice row is read from, after any the query puts first. */
#define NOTICE_COLS                                                                                \
    "x.asset_id, x.id, x.ecosystem, x.package, x.version, x.fixed, x.due_at, x.directives,"        \
    " x.status FROM exposures x WHERE x.status NOT IN ('remediated', 'not_affected')"

/* One exposure a notice lists. */
struct notice_row {
    const char *asset; /* the asset's name (the run's asset cache) */
    int64_t id;
    const char *ecosystem, *package, *version, *fixed; /* in the rows' arena; fixed may be NULL */
    int64_t due;                                       /* -1: none */
    const char *directives, *status;
};

static char *row_dup(struct ch_arena *a, struct ch_stmt *st, int col, bool *oom)
{
    const char *v = ch_stmt_cstr(st, col);
    if (v == NULL)
        return NULL;
    char *c = ch_arena_strdup(a, v);
    *oom |= c == NULL;
    return c;
}

/* Adds the NOTICE_COLS row of st, starting at column c, to n's rows. */
static int add_notice_row(struct ch_rem_run *r, struct ch_arena *a, struct note *n,
                          struct ch_stmt *st, int c, struct ch_err *err)
{
    const struct asset_info *ai = NULL;
    int rc = load_asset(r, ch_stmt_int(st, c), &ai, err);
    if (rc != CH_OK)
        return rc;
    if (n->n_rows == n->cap_rows) {
        size_t cap = n->cap_rows == 0 ? 16 : n->cap_rows * 2;
        struct notice_row *nr = ch_arena_alloc(a, cap * sizeof(*nr));
        if (nr == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory reading notices");
        if (n->n_rows > 0)
            memcpy(nr, n->rows, n->n_rows * sizeof(*nr));
        n->rows = nr;
        n->cap_rows = cap;
    }
    bool oom = false;
    n->rows[n->n_rows++] = (struct notice_row){
        .asset = ai->name,
        .id = ch_stmt_int(st, c + 1),
        .ecosystem = row_dup(a, st, c + 2, &oom),
        .package = row_dup(a, st, c + 3, &oom),
        .version = row_dup(a, st, c + 4, &oom),
        .fixed = row_dup(a, st, c + 5, &oom),
        .due = ch_stmt_is_null(st, c + 6) ? -1 : ch_stmt_int(st, c + 6),
        .directives = row_dup(a, st, c + 7, &oom),
        .status = row_dup(a, st, c + 8, &oom),
    };
    return oom ? ch_err_set(err, CH_E_NOMEM, "out of memory reading notices") : CH_OK;
}

/* strcmp with NULL first (a NULL fixed version: no fix yet). */
static int cmp_null(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* The part of a row its group shares: package, version, fix, due date, directives. */
static int cmp_notice_group(const struct notice_row *x, const struct notice_row *y)
{
    int c = strcmp(x->ecosystem, y->ecosystem);
    if (c == 0)
        c = strcmp(x->package, y->package);
    if (c == 0)
        c = strcmp(x->version, y->version);
    if (c == 0)
        c = cmp_null(x->fixed, y->fixed);
    if (c == 0)
        c = (x->due > y->due) - (x->due < y->due);
    if (c == 0)
        c = cmp_null(x->directives, y->directives);
    return c;
}

/* Groups in order, and in a group its assets by name (then exposure: names may repeat). */
static int cmp_notice_row(const void *a, const void *b)
{
    const struct notice_row *x = a, *y = b;
    int c = cmp_notice_group(x, y);
    if (c == 0)
        c = strcmp(x->asset, y->asset);
    if (c != 0)
        return c;
    return (x->id > y->id) - (x->id < y->id);
}

struct notice_writer {
    struct ch_buf b;
    struct ch_jw w;
    int64_t due;
    size_t count;
    const struct notice_row *group; /* the first row of the open group, NULL before one */
};

static void notice_begin(struct notice_writer *nw, const struct ch_rem_vinfo *v)
{
    ch_buf_init(&nw->b, (size_t)4 << 20);
    ch_jw_init(&nw->w, &nw->b, 0);
    nw->due = -1;
    nw->count = 0;
    nw->group = NULL;
    ch_jw_obj_open(&nw->w);
    ch_jw_kstr(&nw->w, "vulnerability", v->display_id);
    ch_jw_kstr(&nw->w, "summary", v->summary);
    ch_jw_kbool(&nw->w, "kev", v->kev);
    ch_jw_key(&nw->w, "affected");
    ch_jw_arr_open(&nw->w);
}

static void notice_group_close(struct notice_writer *nw)
{
    if (nw->group == NULL)
        return;
    ch_jw_arr_close(&nw->w);
    ch_jw_obj_close(&nw->w);
    nw->group = NULL;
}

/*
 * Rows come sorted (cmp_notice_row): each run of rows sharing a package,
 * version, fix, due date and directives is one group, written once with the
 * assets it covers. An estate runs one library at a handful of versions, so
 * this is a few groups of many assets each, not every fact once per asset.
 */
static void notice_item(struct notice_writer *nw, const struct notice_row *row)
{
    struct ch_jw *w = &nw->w;
    if (nw->group == NULL || cmp_notice_group(nw->group, row) != 0) {
        notice_group_close(nw);
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "ecosystem", row->ecosystem);
        ch_jw_kstr(w, "package", row->package);
        ch_jw_kstr(w, "version", row->version);
        ch_jw_kstr(w, "fixed", row->fixed);
        ch_jw_ktime(w, "due", row->due);
        ch_jw_kstr(w, "directives", row->directives);
        ch_jw_key(w, "assets");
        ch_jw_arr_open(w);
        nw->group = row;
    }
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "asset", row->asset);
    ch_jw_kint(w, "exposure", row->id);
    ch_jw_kstr(w, "status", row->status);
    ch_jw_obj_close(w);
    if (row->due >= 0 && (nw->due < 0 || row->due < nw->due))
        nw->due = row->due;
    nw->count++;
}

/* Builds the body of n's notice from its rows (sorted here); nw->count 0: nothing to tell. */
static int notice_build(struct note *n, const struct ch_rem_vinfo *v, struct notice_writer *nw,
                        struct ch_err *err)
{
    qsort(n->rows, n->n_rows, sizeof(*n->rows), cmp_notice_row);
    notice_begin(nw, v);
    for (size_t k = 0; k < n->n_rows; k++)
        notice_item(nw, &n->rows[k]);
    notice_group_close(nw);
    ch_jw_arr_close(&nw->w);
    ch_jw_obj_close(&nw->w);
    return ch_jw_finish(&nw->w, err);
}

/* Stores a built notice (when it lists anything) and releases the writer. */
static int notice_store(struct ch_rem_run *r, struct notice_writer *nw, const struct note *n,
                        const struct ch_rem_vinfo *v, struct ch_err *err)
{
    if (nw->count == 0) {
        ch_buf_release(&nw->b);
        return CH_OK; /* nothing left to tell (e.g. remediated in the same run) */
    }
    int rc = CH_OK;
    char reasons[64];
    reason_words(n->reasons, reasons, sizeof(reasons));
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(r->ctx->store,
                       "INSERT INTO notices (org_id, vuln_id, vuln, created_at, reasons, due_at,"
                       " body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, n->org_id);
        ch_stmt_bind_int(st, 2, n->vuln_id);
        ch_stmt_bind_cstr(st, 3, v->display_id);
        ch_stmt_bind_int(st, 4, r->ctx->now);
        ch_stmt_bind_cstr(st, 5, reasons);
        bind_opt(st, 6, nw->due);
        ch_stmt_bind_str(st, 7, ch_buf_str(&nw->b));
        rc = ch_stmt_run(st, err);
    }
    ch_buf_release(&nw->b);
    if (rc == CH_OK) {
        char object[64];
        snprintf(object, sizeof(object), "org:%lld", (long long)n->org_id);
        char details[160];
        snprintf(details, sizeof(details), "{\"vulnerability\":\"%s\",\"reasons\":\"%s\"}",
                 v->display_id, reasons);
        rc = ch_rem__audit(r->ctx, "notice.create", object, details, err);
    }
    if (rc == CH_OK)
        r->stats->notices++;
    return rc;
}

/* Writes the notice of n's rows, then forgets them. */
static int emit_notice(struct ch_rem_run *r, struct note *n, struct ch_err *err)
{
    int rc = CH_OK;
    if (n->n_rows > 0) {
        const struct ch_rem_vinfo *v = NULL;
        rc = ch_rem__vinfo(r->vcache, n->vuln_id, &v, err);
        struct notice_writer nw;
        if (rc == CH_OK) {
            rc = notice_build(n, v, &nw, err);
            if (rc == CH_OK)
                rc = notice_store(r, &nw, n, v, err);
            else
                ch_buf_release(&nw.b);
        }
    }
    n->rows = NULL; /* the rows' arena's */
    n->n_rows = n->cap_rows = 0;
    return rc; /* no rows: nothing left to tell (e.g. remediated in the same run) */
}

/*
 * The one-pass reading builds its many notices' bodies (sorting and JSON,
 * an eighth of a full run) on two threads: a helper takes every other
 * notice; the stores stay on the run's thread, in order.
 */
struct notice_job {
    struct note **notes;
    const struct ch_rem_vinfo **v;
    struct notice_writer *nw;
    int *rc;
    struct ch_err *errs;
    size_t n, first, step;
};

static void notice_jobs(struct notice_job *j)
{
    for (size_t i = j->first; i < j->n; i += j->step) {
        if (j->notes[i]->n_rows == 0)
            continue;
        j->rc[i] = notice_build(j->notes[i], j->v[i], &j->nw[i], &j->errs[i]);
    }
}

static void *notice_helper(void *arg)
{
    notice_jobs(arg);
    return NULL;
}

static int build_notices(struct ch_rem_run *r, struct note **notes, size_t n, struct ch_err *err)
{
    const struct ch_rem_vinfo **v = ch_calloc(n, sizeof(*v));
    struct notice_writer *nw = ch_calloc(n, sizeof(*nw));
    int *rcs = ch_calloc(n, sizeof(*rcs));
    struct ch_err *errs = ch_calloc(n, sizeof(*errs));
    int rc = v == NULL || nw == NULL || rcs == NULL || errs == NULL
                 ? ch_err_set(err, CH_E_NOMEM, "out of memory")
                 : CH_OK;
    /* the facts first, here: the cache is this thread's */
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        errs[i] = (struct ch_err)CH_ERR_INIT;
        if (notes[i]->n_rows > 0)
            rc = ch_rem__vinfo(r->vcache, notes[i]->vuln_id, &v[i], err);
    }
    if (rc == CH_OK) {
        struct notice_job mine = {notes, v, nw, rcs, errs, n, 0, 2};
        struct notice_job other = mine;
        other.first = 1;
        pthread_t th;
        bool helper = n > 1 && pthread_create(&th, NULL, notice_helper, &other) == 0;
        if (!helper)
            mine.step = 1; /* no second thread: this one builds them all */
        notice_jobs(&mine);
        if (helper)
            pthread_join(th, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        if (rc != CH_OK || notes[i]->n_rows == 0)
            continue;
        if (rcs[i] != CH_OK) {
            ch_err_copy(err, &errs[i]);
            rc = rcs[i];
            continue;
        }
        rc = notice_store(r, &nw[i], notes[i], v[i], err);
    }
    /* the bodies not stored (after an error); releasing a released one does nothing */
    for (size_t i = 0; nw != NULL && i < n; i++)
        ch_buf_release(&nw[i].b);
    ch_free(v);
    ch_free(nw);
    ch_free(rcs);
    ch_free(errs);
    return rc;
}

/* One notice from its own rows, through the (vulnerability, organisation) index. */
static int write_notice(struct ch_rem_run *r, struct ch_arena *a, struct note *n,
                        struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(r->ctx->store,
                           "SELECT " NOTICE_COLS " AND x.org_id = ? AND x.vuln_id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, n->org_id);
    ch_stmt_bind_int(st, 2, n->vuln_id);
    int step;
    while ((step = ch_stmt_step(st, err)) == 1 &&
           (rc = add_notice_row(r, a, n, st, 0, err)) == CH_OK) {
    }
    ch_stmt_reset(st);
    if (rc == CH_OK && step < 0)
        rc = step;
    if (rc == CH_OK)
        rc = emit_notice(r, n, err);
    n->rows = NULL; /* after an error: the arena's */
    n->n_rows = n->cap_rows = 0;
    ch_arena_reset(a);
    return rc;
}

/* Every notice from one pass over the active exposures; notes sorted by cmp_note. */
static int write_notices_pass(struct ch_rem_run *r, struct ch_arena *a, struct note **notes,
                              size_t n_notes, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(r->ctx->store, "SELECT x.org_id, x.vuln_id, " NOTICE_COLS, &st, err);
    int step = 0;
    while (rc == CH_OK && (step = ch_stmt_step(st, err)) == 1) {
        int64_t k[2] = {ch_stmt_int(st, 0), ch_stmt_int(st, 1)};
        struct note *n = ch_map_get(r->notes, ch_str_make((const char *)k, sizeof(k)));
        if (n != NULL)
            rc = add_notice_row(r, a, n, st, 2, err);
    }
    if (st != NULL)
        ch_stmt_reset(st);
    if (rc == CH_OK && step < 0)
        rc = step;
    if (rc == CH_OK)
        rc = build_notices(r, notes, n_notes, err);
    for (size_t i = 0; i < n_notes; i++) {
        notes[i]->rows = NULL; /* after an error: the arena's */
        notes[i]->n_rows = notes[i]->cap_rows = 0;
    }
    return rc;
}

static int cmp_note(const void *a, const void *b)
{
    const struct note *x = *(const struct note *const *)a, *y = *(const struct note *const *)b;
    if (x->org_id != y->org_id)
        return x->org_id < y->org_id ? -1 : 1;
    return (x->vuln_id > y->vuln_id) - (x->vuln_id < y->vuln_id);
}

int ch_rem__run_finish(struct ch_rem_run *r, struct ch_err *err)
{
    int frc = flush_rows(r, err);
    if (frc != CH_OK)
        return frc;
    size_t n = ch_map_count(r->notes), it = 0, events = 0;
    struct note **notes = ch_reallocarray(NULL, n > 0 ? n : 1, sizeof(*notes));
    if (notes == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    struct ch_str key;
    void *val;
    for (size_t i = 0; ch_map_next(r->notes, &it, &key, &val); i++) {
        notes[i] = val;
        events += notes[i]->events;
    }
    qsort(notes, n, sizeof(*notes), cmp_note);
    int rc = CH_OK;
    bool scan = r->ctx->notice_reads > 0;
    if (r->ctx->notice_reads == 0 && events >= NOTICE_PASS_MIN_EVENTS) {
        /* one pass when the notices cover a quarter of the active exposures or more (counting
         * them reads an index of every exposure: not worth it for a few notices) */
        int64_t active = 0;
        rc = ch_store_query_int(r->ctx->store,
                                "SELECT COUNT(*) FROM exposures"
                                " WHERE status NOT IN ('remediated', 'not_affected')",
                                NULL, 0, &active, err);
        scan = rc == CH_OK && (int64_t)events * 4 >= active;
    }
    struct ch_arena *a = rc == CH_OK ? ch_arena_new(NOTICE_ROWS_ARENA_MAX) : NULL;
    if (rc == CH_OK && a == NULL)
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
    if (rc == CH_OK && scan && n > 0)
        rc = write_notices_pass(r, a, notes, n, err);
    for (size_t i = 0; rc == CH_OK && !scan && i < n; i++)
        rc = write_notice(r, a, notes[i], err);
    ch_arena_free(a);
    ch_free(notes);
    r->stats->seconds = (double)(ch_clock_mono_ns() - r->t0) / 1e9;
    return rc;
}
