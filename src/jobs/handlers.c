/* SPDX-License-Identifier: Apache-2.0
 *
 * handlers.c: the kind -> handler table and the shipped handlers (see
 * handlers.h for their payloads).
 *
 * Adding a kind: write validate (refuse at enqueue what run could not use)
 * and run (idempotent; CH_JOB_IN_TX when its effects fit in the completing
 * transaction), then add a row to `handlers`.
 */
#include "jobs/handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/log.h"
#include "remediate/exposure.h"
#include "vuln/detect.h"
#include "vuln/import.h"

/* A payload names only members its kind knows: a typo is an error, not a default. */
static int only_members(const cJSON *payload, const char *const *names, size_t n_names,
                        struct ch_err *err)
{
    const cJSON *m = NULL;
    cJSON_ArrayForEach(m, payload)
    {
        size_t i = 0;
        while (i < n_names && strcmp(m->string, names[i]) != 0)
            i++;
        if (i == n_names)
            return ch_err_setf(err, CH_E_INVALID, m->string, "unknown member '%.64s'", m->string);
    }
    return CH_OK;
}

/* --- import ------------------------------------------------------------- */

static int import_format(const cJSON *payload, enum ch_feed_format *ret, struct ch_err *err)
{
    const char *name = "auto";
    int rc = ch_json_get_str(payload, "format", false, "", &name, err);
    if (rc != CH_OK)
        return rc;
    if (strcmp(name, "auto") == 0) {
        *ret = CH_FEED_UNKNOWN;
        return CH_OK;
    }
    return ch_feed_format_parse(ch_str_c(name), ret, err);
}

static int import_validate(const cJSON *payload, struct ch_err *err)
{
    static const char *const members[] = {"paths", "format"};
    const cJSON *paths = NULL;
    int rc = only_members(payload, members, CH_ARRAY_SIZE(members), err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(payload, "paths", true, "", &paths, err);
    if (rc != CH_OK)
        return rc;
    int n = cJSON_GetArraySize(paths);
    if (n == 0 || n > CH_JOB_IMPORT_MAX_PATHS)
        return ch_err_setf(err, CH_E_INVALID, "paths", "an import names 1 to %d paths",
                           CH_JOB_IMPORT_MAX_PATHS);
    const cJSON *p = NULL;
    cJSON_ArrayForEach(p, paths)
    {
        if (!cJSON_IsString(p) || p->valuestring[0] == '\0' ||
            strlen(p->valuestring) > CH_JOB_PATH_MAX)
            return ch_err_setf(err, CH_E_INVALID, "paths", "each path is a string of 1 to %d bytes",
                               CH_JOB_PATH_MAX);
    }
    enum ch_feed_format f;
    return import_format(payload, &f, err);
}

static void import_result(struct ch_buf *out, const struct ch_import_stats *st)
{
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, "import_id", st->import_id);
    ch_jw_kint(&w, "files", (int64_t)st->files);
    ch_jw_kint(&w, "records", (int64_t)st->records);
    ch_jw_kint(&w, "added", (int64_t)st->added);
    ch_jw_kint(&w, "updated", (int64_t)st->updated);
    ch_jw_kint(&w, "unchanged", (int64_t)st->unchanged);
    ch_jw_kint(&w, "withdrawn", (int64_t)st->withdrawn);
    ch_jw_kint(&w, "rejected", (int64_t)st->rejected);
    ch_jw_kdouble(&w, "seconds", st->seconds);
    ch_jw_obj_close(&w);
}

/*
 * Re-running an import is safe (records already stored are "unchanged"), so
 * a run cut short by a dead worker is simply run again. Rejected records are
 * counted in the result, not a failure: the import's reject list keeps them.
 */
static int import_run(struct ch_job_ctx *ctx, const cJSON *payload, struct ch_err *err)
{
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(payload, "paths");
    int n = cJSON_GetArraySize(paths);
    const char **v = ch_calloc((size_t)n, sizeof(*v));
    if (v == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    size_t i = 0;
    const cJSON *p = NULL;
    cJSON_ArrayForEach(p, paths) v[i++] = p->valuestring;
    struct ch_import_options io = {.now = ctx->now};
    int rc = import_format(payload, &io.format, err);
    struct ch_import_stats st;
    if (rc == CH_OK)
        rc = ch_import_paths(ctx->store, v, i, &io, &st, err);
    ch_free(v);
    if (rc == CH_OK)
        import_result(ctx->result, &st);
    /* The exposures follow the knowledge base: a run of the changes since the
     * last one. Keyed by this job, so a retried import queues it once; a retry
     * queues it even when it found nothing new (the first attempt may have
     * stored the records and died before queueing). */
    if (rc == CH_OK && (st.added + st.updated + st.withdrawn > 0 || ctx->job->attempts > 1)) {
        char key[64];
        snprintf(key, sizeof(key), "exposure.recompute:after-job:%lld", (long long)ctx->job->id);
        const struct ch_job_new next = {
            .kind = "exposure.recompute", .payload = "{}", .idempotency_key = key};
        int64_t id = 0;
        rc = ch_jobs_enqueue(ctx->store, &next, ctx->now, &id, NULL, err);
    }
    return rc;
}

/* --- exposure.recompute ------------------------------------------------- */

static int recompute_validate(const cJSON *payload, struct ch_err *err)
{
    static const char *const members[] = {"all"};
    bool all = false;
    int rc = only_members(payload, members, CH_ARRAY_SIZE(members), err);
    return rc != CH_OK ? rc : ch_json_get_bool(payload, "all", false, "", &all, err);
}

static void recompute_result(struct ch_buf *out, bool all, const struct ch_exposure_stats *st)
{
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "mode", all ? "all" : "pending");
    ch_exposure_stats_json(st, &w);
    ch_jw_obj_close(&w);
}

/*
 * Its own transaction (the run commits): not CH_JOB_IN_TX. Safe to run again
 * after a dead worker: a run writes only what differs from what is stored,
 * and the pending run's watermark has moved past what the first run saw.
 */
static int recompute_run(struct ch_job_ctx *ctx, const cJSON *payload, struct ch_err *err)
{
    bool all = false;
    int rc = ch_json_get_bool(payload, "all", false, "", &all, err);
    if (rc != CH_OK)
        return rc;
    if (ctx->directives == NULL)
        ch_log_warn("job %lld: no directives loaded: exposures get no due dates",
                    (long long)ctx->job->id);
    char actor[48];
    snprintf(actor, sizeof(actor), "job:%lld", (long long)ctx->job->id);
    struct ch_rem_ctx rc_ctx = {
        .store = ctx->store, .directives = ctx->directives, .now = ctx->now, .actor = actor};
    /* the full run reads on a second thread over a connection of its own; without one it
     * reads on this thread (slower, same result) */
    struct ch_store *reader = NULL;
    if (all && ctx->db_url != NULL) {
        const struct ch_store_options ro = {.read_only = true, .no_migrate = true};
        struct ch_err rerr = CH_ERR_INIT;
        if (ch_store_open(ctx->db_url, &ro, &reader, &rerr) != CH_OK) {
            ch_log_info("job %lld: exposure recompute on one thread: %s",
                        (long long)ctx->job->id, rerr.msg);
            reader = NULL;
        }
    }
    rc_ctx.reader = reader;
    struct ch_exposure_stats st = {0};
    rc = all ? ch_exposure_recompute_all(&rc_ctx, &st, err)
             : ch_exposure_recompute_pending(&rc_ctx, &st, err);
    ch_store_free(reader);
    if (rc == CH_OK)
        recompute_result(ctx->result, all, &st);
    return rc;
}

/* --- test.record -------------------------------------------------------- */

static int test_validate(const cJSON *payload, struct ch_err *err)
{
    static const char *const members[] = {"note", "audit", "sleep_ms", "fail_attempts"};
    const char *note = NULL;
    bool audit_flag = false;
    int64_t n = 0;
    int rc = only_members(payload, members, CH_ARRAY_SIZE(members), err);
    if (rc == CH_OK)
        rc = ch_json_get_str(payload, "note", false, "", &note, err);
    if (rc == CH_OK && note != NULL && strlen(note) > CH_JOB_NOTE_MAX)
        rc = ch_err_setf(err, CH_E_INVALID, "note", "a note has at most %d bytes", CH_JOB_NOTE_MAX);
    if (rc == CH_OK)
        rc = ch_json_get_bool(payload, "audit", false, "", &audit_flag, err);
    if (rc == CH_OK)
        rc = ch_json_get_int(payload, "sleep_ms", false, "", 0, CH_JOB_TEST_MAX_SLEEP_MS, &n, err);
    if (rc == CH_OK)
        rc = ch_json_get_int(payload, "fail_attempts", false, "", 0, CH_JOBS_MAX_ATTEMPTS, &n, err);
    return rc;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static int test_run(struct ch_job_ctx *ctx, const cJSON *payload, struct ch_err *err)
{
    const char *note = ch_json_str(payload, "note");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(payload, "audit");
    const cJSON *sl = cJSON_GetObjectItemCaseSensitive(payload, "sleep_ms");
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(payload, "fail_attempts");
    if (cJSON_IsNumber(fa) && (double)ctx->job->attempts <= fa->valuedouble)
        return ch_err_set(err, CH_E_BUSY, "planned failure on attempt %lld",
                          (long long)ctx->job->attempts);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(ctx->store,
                           "INSERT INTO job_test_records (job_id, attempt, worker, note, at)"
                           " VALUES (?, ?, ?, ?, ?)",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, ctx->job->id);
    ch_stmt_bind_int(st, 2, ctx->job->attempts);
    ch_stmt_bind_cstr(st, 3, ctx->job->owner);
    ch_stmt_bind_cstr(st, 4, note);
    ch_stmt_bind_int(st, 5, ctx->now);
    rc = ch_stmt_run(st, err);
    if (rc == CH_OK && cJSON_IsTrue(a)) {
        char object[48];
        snprintf(object, sizeof(object), "job:%lld", (long long)ctx->job->id);
        const struct ch_audit_entry e = {
            .actor = "system", .action = "job.test_record", .object = object, .details = note};
        rc = ch_audit_append(ctx->store, &e, ctx->now, NULL, err);
    }
    /* after the effects, before the commit: where a killed worker hurts most */
    int64_t sleep_for;
    if (rc == CH_OK && ch_json_int_value(sl, &sleep_for) && sleep_for > 0)
        sleep_ms(sleep_for);
    if (rc == CH_OK)
        rc = ch_buf_appendf(ctx->result, "{\"attempt\": %lld}", (long long)ctx->job->attempts);
    return rc;
}

/* --- the table ---------------------------------------------------------- */

static const struct ch_job_handler handlers[] = {
    {.kind = "import",
     .summary = "import feeds: {\"paths\": [...], \"format\": \"auto\"}",
     .validate = import_validate,
     .run = import_run,
     .flags = 0},
    {.kind = "exposure.recompute",
     .summary = "recompute exposures: {\"all\": false} the changes since the last run, "
                "true every asset",
     .validate = recompute_validate,
     .run = recompute_run,
     .flags = 0},
    {.kind = "test.record",
     .summary = "record one row per run (tests): {\"note\", \"audit\", \"sleep_ms\", "
                "\"fail_attempts\"}",
     .validate = test_validate,
     .run = test_run,
     .flags = CH_JOB_IN_TX},
};

const struct ch_job_handler *ch_job_handler_find(const char *kind)
{
    for (size_t i = 0; kind != NULL && i < CH_ARRAY_SIZE(handlers); i++) {
        if (strcmp(handlers[i].kind, kind) == 0)
            return &handlers[i];
    }
    return NULL;
}

const struct ch_job_handler *ch_job_handler_at(size_t i)
{
    return i < CH_ARRAY_SIZE(handlers) ? &handlers[i] : NULL;
}

int ch_job_payload_parse(const char *kind, const char *payload, cJSON **ret, struct ch_err *err)
{
    const struct ch_job_handler *h = ch_job_handler_find(kind);
    if (h == NULL)
        return ch_err_set(err, CH_E_UNSUPPORTED, "unknown job kind '%.64s'", kind);
    const struct ch_json_limits limits = {.max_bytes = CH_JOBS_PAYLOAD_MAX};
    cJSON *tree = NULL;
    int rc = ch_json_parse(payload, strlen(payload), &limits, "payload", &tree, err);
    if (rc != CH_OK)
        return rc;
    if (!cJSON_IsObject(tree)) {
        cJSON_Delete(tree);
        return ch_err_set(err, CH_E_INVALID, "a job payload is a JSON object");
    }
    rc = h->validate(tree, err);
    if (rc != CH_OK) {
        cJSON_Delete(tree);
        return ch_err_prefix(err, "%s payload", kind);
    }
    *ret = tree;
    return CH_OK;
}
