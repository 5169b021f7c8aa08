/* SPDX-License-Identifier: Apache-2.0
 *
 * finding.c: submissions, their visibility, validation and deduplication
 * (see finding.h).
 */
#include "disclose/finding.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "disclose/internal.h"
#include "vuln/kb.h"

/* Directory levels walked when reading a PoC directory (CH_REPRO_MAX_DEPTH bounds names). */
#define POC_DIR_MAX_DEPTH CH_REPRO_MAX_DEPTH
/* Matches recorded per validation: enough for an analyst, bounded against a crowded target. */
#define MAX_MATCHES 50
/* Findings compared by frames per validation (same target, newest first). */
#define MAX_FRAME_CANDIDATES 5000
/* Bytes of frame keys stored: three keys of at most CH_SANREPORT_FUNC_MAX. */
#define FRAME_KEYS_MAX (CH_SANREPORT_SIG_FRAMES * (CH_SANREPORT_FUNC_MAX + 16))

/* ---- actors and visibility ------------------------------------------------------------- */

void ch_disclose_actor_from_principal(const struct ch_principal *p, char *name_buf,
                                      size_t name_buf_size, struct ch_disclose_actor *ret)
{
    snprintf(name_buf, name_buf_size, "user:%s", p->user_name);
    *ret = (struct ch_disclose_actor){
        .org_id = p->org_id, .roles = p->roles, .clearance = p->clearance, .name = name_buf};
}

int ch_disclose_actor_for_user(struct ch_store *s, const char *user, char *name_buf,
                               size_t name_buf_size, struct ch_disclose_actor *ret,
                               struct ch_err *err)
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
    struct ch_disclose_actor a = {.org_id = ch_stmt_int(st, 0), .name = name_buf};
    struct ch_err ignore = CH_ERR_INIT;
    bool ok = ch_roles_parse(ch_stmt_cstr(st, 1), &a.roles, &ignore) == CH_OK &&
              ch_clearance_parse(ch_stmt_cstr(st, 2), &a.clearance) == CH_OK;
    ch_stmt_reset(st);
    if (!ok)
        return ch_err_set(err, CH_E_INTERNAL, "user '%s' has unreadable roles or clearance", user);
    snprintf(name_buf, name_buf_size, "user:%s", user);
    *ret = a;
    return CH_OK;
}

int ch_disclose__visible(struct ch_store *s, const struct ch_disclose_actor *a,
                         const struct ch_disclose__scope *scope, bool *ret, struct ch_err *err)
{
    *ret = false;
    if (a->clearance < scope->classification)
        return CH_OK;
    if (ch_disclose__wide(a) || (a->org_id != 0 && a->org_id == scope->org_id)) {
        *ret = true;
        return CH_OK;
    }
    if (scope->case_id == 0 || a->org_id == 0)
        return CH_OK;
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s, "SELECT 1 FROM disclose_participants WHERE case_id = ? AND org_id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, scope->case_id);
    ch_stmt_bind_int(st, 2, a->org_id);
    rc = ch_stmt_step(st, err);
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    *ret = rc == 1;
    return CH_OK;
}

int ch_disclose__finding_scope(struct ch_store *s, const struct ch_disclose_actor *a,
                               int64_t finding_id, struct ch_disclose__scope *ret,
                               struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT f.org_id, f.classification, COALESCE(c.id, 0)"
                           " FROM disclose_findings f LEFT JOIN disclose_cases c"
                           " ON c.finding_id = f.id WHERE f.id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, finding_id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no finding %lld", (long long)finding_id);
    struct ch_disclose__scope sc = {.org_id = ch_stmt_int(st, 0), .case_id = ch_stmt_int(st, 2)};
    if (ch_clearance_parse(ch_stmt_cstr(st, 1), &sc.classification) != CH_OK)
        sc.classification = CH_CLEAR_TOP_SECRET; /* unreadable: the strictest reading */
    ch_stmt_reset(st);
    bool vis = false;
    rc = ch_disclose__visible(s, a, &sc, &vis, err);
    if (rc != CH_OK)
        return rc;
    if (!vis)
        return ch_err_set(err, CH_E_NOTFOUND, "no finding %lld", (long long)finding_id);
    *ret = sc;
    return CH_OK;
}

int ch_disclose__audit(struct ch_store *s, const struct ch_disclose_actor *a, const char *action,
                       const char *object, const char *details, int64_t now, struct ch_err *err)
{
    struct ch_audit_entry e = {
        .actor = a->name != NULL ? a->name : "cli",
        .action = action,
        .object = object,
        .details = details,
    };
    int64_t seq = 0;
    return ch_audit_append(s, &e, now, &seq, err);
}

/* ---- submission ------------------------------------------------------------------------ */

static int check_text(const char *field, const char *v, size_t max, bool required,
                      struct ch_err *err)
{
    if (v == NULL || v[0] == '\0') {
        if (required)
            return ch_err_setf(err, CH_E_INVALID, field, "%s is required", field);
        return CH_OK;
    }
    if (strlen(v) > max)
        return ch_err_setf(err, CH_E_LIMIT, field, "%s: longer than %zu bytes", field, max);
    return CH_OK;
}

/* An identifier: printable ASCII without spaces ("CWE-122", "CVE-2026-1234", versions). */
static bool token_ok(const char *v, size_t max)
{
    size_t n = strlen(v);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= 0x20 || c >= 0x7f)
            return false;
    }
    return true;
}

static bool cwe_ok(const char *v)
{
    if (strncmp(v, "CWE-", 4) != 0 || v[4] == '\0' || strlen(v) > 12)
        return false;
    for (const char *p = v + 4; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

static int check_submission(const struct ch_finding_new *f, struct ch_err *err)
{
    int rc = check_text("target", f->target, CH_FINDING_MAX_FIELD, true, err);
    if (rc == CH_OK)
        rc = check_text("component", f->component, CH_FINDING_MAX_FIELD, true, err);
    if (rc == CH_OK)
        rc = check_text("ecosystem", f->ecosystem, CH_FINDING_MAX_FIELD, false, err);
    if (rc == CH_OK)
        rc = check_text("vendor", f->vendor, CH_FINDING_MAX_FIELD, false, err);
    if (rc == CH_OK)
        rc = check_text("title", f->title, CH_FINDING_MAX_TITLE, true, err);
    if (rc == CH_OK)
        rc = check_text("description", f->description, CH_FINDING_MAX_DESCRIPTION, true, err);
    if (rc != CH_OK)
        return rc;
    if (f->version == NULL || !token_ok(f->version, 128))
        return ch_err_setf(err, CH_E_INVALID, "version",
                           "version is required: printable, no spaces, at most 128 bytes");
    if (f->introduced != NULL && !token_ok(f->introduced, 128))
        return ch_err_setf(err, CH_E_INVALID, "introduced", "introduced: not a version");
    if (f->fixed != NULL && !token_ok(f->fixed, 128))
        return ch_err_setf(err, CH_E_INVALID, "fixed", "fixed: not a version");
    if (f->cwe == NULL || !cwe_ok(f->cwe))
        return ch_err_setf(err, CH_E_INVALID, "cwe", "cwe: expected CWE-<number>, not '%.32s'",
                           f->cwe != NULL ? f->cwe : "");
    if (f->n_aliases > CH_FINDING_MAX_ALIASES)
        return ch_err_setf(err, CH_E_LIMIT, "aliases", "more than %d aliases",
                           CH_FINDING_MAX_ALIASES);
    for (size_t i = 0; i < f->n_aliases; i++)
        if (!token_ok(f->aliases[i], 127))
            return ch_err_setf(err, CH_E_INVALID, "aliases", "alias '%.32s': not an identifier",
                               f->aliases[i]);
    if (f->n_files == 0)
        return ch_err_setf(err, CH_E_INVALID, "poc", "a proof of concept needs files");
    if (f->n_files > CH_REPRO_MAX_FILES)
        return ch_err_setf(err, CH_E_LIMIT, "poc", "more than %d PoC files", CH_REPRO_MAX_FILES);
    size_t total = 0;
    for (size_t i = 0; i < f->n_files; i++) {
        rc = ch_repro_check_path(f->files[i].path, err);
        if (rc != CH_OK)
            return rc;
        if (f->files[i].len > CH_REPRO_MAX_FILE_BYTES)
            return ch_err_setf(err, CH_E_LIMIT, "poc", "PoC file '%.64s' is larger than %zu bytes",
                               f->files[i].path, CH_REPRO_MAX_FILE_BYTES);
        total += f->files[i].len;
        if (total > CH_REPRO_MAX_TOTAL_BYTES)
            return ch_err_setf(err, CH_E_LIMIT, "poc", "PoC files exceed %zu bytes in all",
                               CH_REPRO_MAX_TOTAL_BYTES);
    }
    struct ch_recipe *r = NULL;
    rc = ch_recipe_parse(f->recipe != NULL ? f->recipe : "", f->recipe_len, &r, err);
    if (rc != CH_OK)
        return rc;
    if (r->stdin_file != NULL) {
        bool found = false;
        for (size_t i = 0; i < f->n_files && !found; i++)
            found = strcmp(f->files[i].path, r->stdin_file) == 0;
        if (!found)
            rc = ch_err_setf(err, CH_E_INVALID, "recipe",
                             "recipe: stdin file '%.64s' is not a PoC file", r->stdin_file);
    }
    ch_recipe_free(r);
    return rc;
}

static int insert_finding(struct ch_store *s, const struct ch_disclose_actor *a,
                          const struct ch_finding_new *f, int64_t org_id, const char *digest,
                          int64_t now, int64_t *ret_id, struct ch_err *err)
{
    struct ch_buf aliases;
    ch_buf_init(&aliases, 4096);
    for (size_t i = 0; i < f->n_aliases; i++)
        ch_buf_appendf(&aliases, "%s%s", i > 0 ? "\n" : "", f->aliases[i]);
    int rc = ch_buf_status(&aliases, "aliases", err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(
            s,
            "INSERT INTO disclose_findings (org_id, submitted_by, target, ecosystem, component,"
            " vendor, version, introduced, fixed, title, cwe, description, classification, recipe,"
            " poc_digest, aliases, state, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?) RETURNING id",
            &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, org_id);
        ch_stmt_bind_cstr(st, 2, a->name != NULL ? a->name : "cli");
        ch_stmt_bind_cstr(st, 3, f->target);
        ch_stmt_bind_cstr(st, 4, f->ecosystem != NULL && f->ecosystem[0] ? f->ecosystem : NULL);
        ch_stmt_bind_cstr(st, 5, f->component);
        ch_stmt_bind_cstr(st, 6, f->vendor != NULL && f->vendor[0] ? f->vendor : NULL);
        ch_stmt_bind_cstr(st, 7, f->version);
        ch_stmt_bind_cstr(st, 8, f->introduced);
        ch_stmt_bind_cstr(st, 9, f->fixed);
        ch_stmt_bind_cstr(st, 10, f->title);
        ch_stmt_bind_cstr(st, 11, f->cwe);
        ch_stmt_bind_cstr(st, 12, f->description);
        ch_stmt_bind_cstr(st, 13, ch_clearance_name(f->classification));
        ch_stmt_bind_text(st, 14, f->recipe, f->recipe_len);
        ch_stmt_bind_cstr(st, 15, digest);
        ch_stmt_bind_cstr(st, 16, f->n_aliases > 0 ? ch_buf_cstr(&aliases) : NULL);
        ch_stmt_bind_int(st, 17, now);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            *ret_id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_DB, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    ch_buf_release(&aliases);
    return rc;
}

static int insert_files(struct ch_store *s, int64_t id, const struct ch_finding_new *f,
                        struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO disclose_finding_files (finding_id, path, digest, bytes,"
                           " content) VALUES (?, ?, ?, ?, ?)",
                           &st, err);
    for (size_t i = 0; i < f->n_files && rc == CH_OK; i++) {
        char d[CH_REPRO_DIGEST_HEX];
        ch_repro_digest(f->files[i].data, f->files[i].len, d);
        ch_stmt_reset(st);
        ch_stmt_bind_int(st, 1, id);
        ch_stmt_bind_cstr(st, 2, f->files[i].path);
        ch_stmt_bind_cstr(st, 3, d);
        ch_stmt_bind_int(st, 4, (int64_t)f->files[i].len);
        ch_stmt_bind_blob(st, 5, f->files[i].data, f->files[i].len);
        rc = ch_stmt_run(st, err);
    }
    return rc;
}

int ch_finding_submit(struct ch_store *s, const struct ch_disclose_actor *actor,
                      const struct ch_finding_new *f, int64_t now, int64_t *ret_id,
                      struct ch_err *err)
{
    if ((actor->roles & (CH_ROLE_PARTNER | CH_ROLE_WIDE)) == 0)
        return ch_err_set(err, CH_E_PERM, "submitting findings needs the partner role");
    int64_t org_id = f->org_id != 0 ? f->org_id : actor->org_id;
    if (org_id == 0)
        return ch_err_setf(err, CH_E_INVALID, "org", "name the submitting organisation");
    if (!ch_disclose__wide(actor) && org_id != actor->org_id)
        return ch_err_set(err, CH_E_PERM, "a partner submits for its own organisation only");
    if (f->classification > actor->clearance)
        return ch_err_setf(err, CH_E_PERM, "classification",
                           "classification %s is above the submitter's clearance",
                           ch_clearance_name(f->classification));
    int rc = check_submission(f, err);
    if (rc != CH_OK)
        return rc;
    char digest[CH_REPRO_DIGEST_HEX];
    rc = ch_repro_poc_digest(f->files, f->n_files, digest, err);
    if (rc != CH_OK)
        return rc;
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    int64_t id = 0;
    rc = insert_finding(s, actor, f, org_id, digest, now, &id, err);
    if (rc == CH_OK)
        rc = insert_files(s, id, f, err);
    if (rc == CH_OK) {
        char object[48];
        char details[256];
        snprintf(object, sizeof(object), "finding:%lld", (long long)id);
        snprintf(details, sizeof(details),
                 "{\"org_id\": %lld, \"poc_digest\": \"%s\", \"files\": %zu, "
                 "\"classification\": \"%s\"}",
                 (long long)org_id, digest, f->n_files, ch_clearance_name(f->classification));
        rc = ch_disclose__audit(s, actor, "finding.submit", object, details, now, err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK)
        *ret_id = id;
    return rc;
}

/* ---- reading --------------------------------------------------------------------------- */

#define FINDING_COLUMNS                                                                            \
    "f.id, f.org_id, o.slug, f.submitted_by, f.target, f.ecosystem, f.component, f.vendor,"        \
    " f.version, f.introduced, f.fixed, f.title, f.cwe, f.classification, f.poc_digest,"           \
    " f.aliases, f.state, f.signature, f.crash_class, f.repro_rate, f.duplicate_of,"               \
    " f.known_vuln, f.created_at, f.validated_at, COALESCE(c.id, 0), f.description"

static void write_lines_array(struct ch_jw *w, const char *key, const char *text)
{
    ch_jw_key(w, key);
    ch_jw_arr_open(w);
    struct ch_str rest = ch_str_c(text);
    struct ch_str part;
    while (text != NULL && ch_str_split_next(&rest, '\n', &part))
        if (part.len > 0)
            ch_jw_str(w, part.ptr, part.len);
    ch_jw_arr_close(w);
}

static void write_finding_row(struct ch_stmt *st, bool full, struct ch_jw *w)
{
    ch_jw_kint(w, "id", ch_stmt_int(st, 0));
    ch_jw_kstr(w, "org", ch_stmt_cstr(st, 2));
    ch_jw_kstr(w, "submitted_by", ch_stmt_cstr(st, 3));
    ch_jw_kstr(w, "target", ch_stmt_cstr(st, 4));
    ch_jw_kstr(w, "ecosystem", ch_stmt_cstr(st, 5));
    ch_jw_kstr(w, "component", ch_stmt_cstr(st, 6));
    ch_jw_kstr(w, "vendor", ch_stmt_cstr(st, 7));
    ch_jw_kstr(w, "version", ch_stmt_cstr(st, 8));
    ch_jw_kstr(w, "introduced", ch_stmt_cstr(st, 9));
    ch_jw_kstr(w, "fixed", ch_stmt_cstr(st, 10));
    ch_jw_kstr(w, "title", ch_stmt_cstr(st, 11));
    ch_jw_kstr(w, "cwe", ch_stmt_cstr(st, 12));
    ch_jw_kstr(w, "classification", ch_stmt_cstr(st, 13));
    ch_jw_kstr(w, "state", ch_stmt_cstr(st, 16));
    ch_jw_kstr(w, "crash_class", ch_stmt_cstr(st, 18));
    ch_jw_kstr(w, "signature", ch_stmt_cstr(st, 17));
    if (ch_stmt_is_null(st, 19))
        ch_jw_kstr(w, "repro_rate", NULL);
    else
        ch_jw_kdouble(w, "repro_rate", ch_stmt_double(st, 19));
    if (ch_stmt_is_null(st, 20))
        ch_jw_kstr(w, "duplicate_of", NULL);
    else
        ch_jw_kint(w, "duplicate_of", ch_stmt_int(st, 20));
    ch_jw_kstr(w, "known_vuln", ch_stmt_cstr(st, 21));
    ch_jw_ktime(w, "created_at", ch_stmt_int(st, 22));
    ch_jw_ktime(w, "validated_at", ch_stmt_is_null(st, 23) ? -1 : ch_stmt_int(st, 23));
    if (ch_stmt_int(st, 24) != 0)
        ch_jw_kint(w, "case_id", ch_stmt_int(st, 24));
    else
        ch_jw_kstr(w, "case_id", NULL);
    if (full) {
        ch_jw_kstr(w, "poc_digest", ch_stmt_cstr(st, 14));
        write_lines_array(w, "aliases", ch_stmt_cstr(st, 15));
        ch_jw_kstr(w, "description", ch_stmt_cstr(st, 25));
    }
}

static int write_files(struct ch_store *s, int64_t id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT path, digest, bytes FROM disclose_finding_files"
                           " WHERE finding_id = ? ORDER BY path",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_jw_key(w, "files");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "path", ch_stmt_cstr(st, 0));
        ch_jw_kstr(w, "blake2b", ch_stmt_cstr(st, 1));
        ch_jw_kint(w, "bytes", ch_stmt_int(st, 2));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

static int write_runs(struct ch_store *s, int64_t id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id, kind, outcome, runs, matched, crash_class, signature,"
                           " fixed_version, build_ms, run_ms, created_at, created_by"
                           " FROM disclose_runs WHERE finding_id = ? ORDER BY id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_jw_key(w, "runs");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "kind", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "outcome", ch_stmt_cstr(st, 2));
        ch_jw_kint(w, "runs", ch_stmt_int(st, 3));
        ch_jw_kint(w, "matched", ch_stmt_int(st, 4));
        ch_jw_kstr(w, "crash_class", ch_stmt_cstr(st, 5));
        ch_jw_kstr(w, "signature", ch_stmt_cstr(st, 6));
        ch_jw_kstr(w, "fixed_version", ch_stmt_cstr(st, 7));
        ch_jw_kint(w, "build_ms", ch_stmt_int(st, 8));
        ch_jw_kint(w, "run_ms", ch_stmt_int(st, 9));
        ch_jw_ktime(w, "created_at", ch_stmt_int(st, 10));
        ch_jw_kstr(w, "created_by", ch_stmt_cstr(st, 11));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

static int write_matches(struct ch_store *s, int64_t id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id, kind, other_id, known_vuln, reason, status"
                           " FROM disclose_matches WHERE finding_id = ? ORDER BY id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_jw_key(w, "matches");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "kind", ch_stmt_cstr(st, 1));
        if (ch_stmt_is_null(st, 2))
            ch_jw_kstr(w, "finding", NULL);
        else
            ch_jw_kint(w, "finding", ch_stmt_int(st, 2));
        ch_jw_kstr(w, "known_vuln", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "reason", ch_stmt_cstr(st, 4));
        ch_jw_kstr(w, "status", ch_stmt_cstr(st, 5));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

int ch_finding_show_json(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                         struct ch_jw *w, struct ch_err *err)
{
    struct ch_disclose__scope sc;
    int rc = ch_disclose__finding_scope(s, actor, id, &sc, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "SELECT " FINDING_COLUMNS " FROM disclose_findings f"
                       " JOIN orgs o ON o.id = f.org_id"
                       " LEFT JOIN disclose_cases c ON c.finding_id = f.id WHERE f.id = ?",
                       &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no finding %lld", (long long)id);
    if (rc < 0)
        return rc;
    ch_jw_obj_open(w);
    write_finding_row(st, true, w);
    ch_stmt_reset(st);
    rc = write_files(s, id, w, err);
    if (rc == CH_OK)
        rc = write_runs(s, id, w, err);
    if (rc == CH_OK)
        rc = write_matches(s, id, w, err);
    ch_jw_obj_close(w);
    return rc;
}

int ch_finding_list_json(struct ch_store *s, const struct ch_disclose_actor *actor,
                         const char *state, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s,
        "SELECT " FINDING_COLUMNS " FROM disclose_findings f JOIN orgs o ON o.id = f.org_id"
        " LEFT JOIN disclose_cases c ON c.finding_id = f.id"
        " WHERE (? = 1 OR f.org_id = ? OR EXISTS (SELECT 1 FROM disclose_participants p"
        "  WHERE p.case_id = c.id AND p.org_id = ?))"
        " AND (CAST(? AS TEXT) IS NULL OR f.state = ?)"
        " ORDER BY f.id DESC LIMIT " CH_STRINGIFY(CH_FINDING_LIST_MAX),
        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, ch_disclose__wide(actor) ? 1 : 0);
    ch_stmt_bind_int(st, 2, actor->org_id);
    ch_stmt_bind_int(st, 3, actor->org_id);
    ch_stmt_bind_cstr(st, 4, state);
    ch_stmt_bind_cstr(st, 5, state);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        enum ch_clearance cl = CH_CLEAR_TOP_SECRET;
        if (ch_clearance_parse(ch_stmt_cstr(st, 13), &cl) != CH_OK || cl > actor->clearance)
            continue;
        ch_jw_obj_open(w);
        write_finding_row(st, false, w);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

/* ---- PoC files ------------------------------------------------------------------------- */

void ch_finding_poc_release(struct ch_finding_poc *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_files; i++) {
        ch_free((char *)p->files[i].path);
        ch_free((unsigned char *)p->files[i].data);
    }
    ch_free(p->files);
    ch_free(p->recipe);
    *p = (struct ch_finding_poc){0};
}

static int poc_add(struct ch_finding_poc *p, const char *path, const void *data, size_t len,
                   struct ch_err *err)
{
    if (p->n_files >= CH_REPRO_MAX_FILES)
        return ch_err_set(err, CH_E_LIMIT, "more than %d PoC files", CH_REPRO_MAX_FILES);
    struct ch_repro_file *nf = ch_reallocarray(p->files, p->n_files + 1, sizeof(*nf));
    if (nf == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    p->files = nf;
    char *pc = ch_strdup(path);
    unsigned char *dc = ch_malloc(len + 1);
    if (pc == NULL || dc == NULL) {
        ch_free(pc);
        ch_free(dc);
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    }
    if (len > 0)
        memcpy(dc, data, len);
    dc[len] = 0;
    p->files[p->n_files++] = (struct ch_repro_file){.path = pc, .data = dc, .len = len};
    return CH_OK;
}

int ch_finding_poc_load(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                        struct ch_finding_poc *ret, struct ch_err *err)
{
    struct ch_disclose__scope sc;
    int rc = ch_disclose__finding_scope(s, actor, id, &sc, err);
    if (rc != CH_OK)
        return rc;
    struct ch_finding_poc p = {0};
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s, "SELECT recipe FROM disclose_findings WHERE id = ?", &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, id);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            struct ch_str r = ch_stmt_text(st, 0);
            p.recipe = ch_strndup(r.ptr, r.len);
            p.recipe_len = r.len;
            rc = p.recipe != NULL ? CH_OK : ch_err_set(err, CH_E_NOMEM, "out of memory");
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_NOTFOUND, "no finding %lld", (long long)id);
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "SELECT path, content FROM disclose_finding_files"
                           " WHERE finding_id = ? ORDER BY path",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, id);
        while ((rc = ch_stmt_step(st, err)) == 1) {
            struct ch_str b = ch_stmt_blob(st, 1);
            rc = poc_add(&p, ch_stmt_cstr(st, 0), b.ptr, b.len, err);
            if (rc != CH_OK)
                break;
        }
        ch_stmt_reset(st);
        if (rc > 0)
            rc = CH_OK;
    }
    if (rc != CH_OK) {
        ch_finding_poc_release(&p);
        return rc;
    }
    *ret = p;
    return CH_OK;
}

static int read_file_bounded(int dirfd, const char *name, const char *rel, struct ch_buf *out,
                             struct ch_err *err)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", rel, strerror(errno));
    ch_buf_reset(out);
    char chunk[8192];
    int rc = CH_OK;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ch_err_set(err, CH_E_IO, "cannot read '%s': %s", rel, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (ch_buf_len(out) + (size_t)n > CH_REPRO_MAX_FILE_BYTES) {
            rc = ch_err_set(err, CH_E_LIMIT, "PoC file '%s' is larger than %zu bytes", rel,
                            CH_REPRO_MAX_FILE_BYTES);
            break;
        }
        if (ch_buf_append(out, chunk, (size_t)n) != CH_OK) {
            rc = ch_buf_status(out, rel, err);
            break;
        }
    }
    close(fd);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(int dirfd, const char *prefix, unsigned depth, struct ch_finding_poc *p,
                size_t *total, struct ch_buf *tmp, struct ch_err *err)
{
    if (depth > POC_DIR_MAX_DEPTH)
        return ch_err_set(err, CH_E_LIMIT, "PoC directory deeper than %d levels",
                          POC_DIR_MAX_DEPTH);
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return ch_err_set(err, CH_E_IO, "cannot read directory '%s': %s", prefix[0] ? prefix : ".",
                          strerror(errno));
    }
    char **names = NULL;
    size_t n = 0;
    int rc = CH_OK;
    for (struct dirent *e = readdir(d); e != NULL && rc == CH_OK; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n >= CH_REPRO_MAX_FILES) {
            rc = ch_err_set(err, CH_E_LIMIT, "more than %d entries in a PoC directory",
                            CH_REPRO_MAX_FILES);
            break;
        }
        char **nn = ch_reallocarray(names, n + 1, sizeof(*names));
        char *dup_name = ch_strdup(e->d_name);
        if (nn != NULL)
            names = nn;
        if (nn == NULL || dup_name == NULL) {
            ch_free(dup_name);
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
            break;
        }
        names[n++] = dup_name;
    }
    closedir(d);
    if (rc == CH_OK && n > 1)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && rc == CH_OK; i++) {
        char rel[CH_REPRO_MAX_PATH + 2];
        int len = snprintf(rel, sizeof(rel), "%s%s%s", prefix, prefix[0] ? "/" : "", names[i]);
        if (len < 0 || (size_t)len > CH_REPRO_MAX_PATH) {
            rc = ch_err_set(err, CH_E_LIMIT, "PoC path longer than %d bytes", CH_REPRO_MAX_PATH);
            break;
        }
        struct stat sb;
        if (fstatat(dirfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = ch_err_set(err, CH_E_IO, "cannot stat '%s': %s", rel, strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                rc = ch_err_set(err, CH_E_IO, "cannot open '%s': %s", rel, strerror(errno));
            } else {
                rc = walk(sub, rel, depth + 1, p, total, tmp, err);
                close(sub);
            }
        } else if (S_ISREG(sb.st_mode)) {
            rc = ch_repro_check_path(rel, err);
            if (rc == CH_OK)
                rc = read_file_bounded(dirfd, names[i], rel, tmp, err);
            if (rc == CH_OK) {
                *total += ch_buf_len(tmp);
                if (*total > CH_REPRO_MAX_TOTAL_BYTES)
                    rc = ch_err_set(err, CH_E_LIMIT, "PoC files exceed %zu bytes in all",
                                    CH_REPRO_MAX_TOTAL_BYTES);
            }
            if (rc == CH_OK)
                rc = poc_add(p, rel, ch_buf_cstr(tmp), ch_buf_len(tmp), err);
        } else {
            rc = ch_err_set(err, CH_E_INVALID,
                            "'%s' is not a regular file or directory (links are refused)", rel);
        }
    }
    for (size_t i = 0; i < n; i++)
        ch_free(names[i]);
    ch_free(names);
    return rc;
}

int ch_finding_poc_read_dir(const char *dir, struct ch_finding_poc *ret, struct ch_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot open PoC directory '%s': %s", dir, strerror(errno));
    struct ch_finding_poc p = {0};
    struct ch_buf tmp;
    ch_buf_init(&tmp, CH_REPRO_MAX_FILE_BYTES + 1);
    size_t total = 0;
    int rc = walk(fd, "", 0, &p, &total, &tmp, err);
    ch_buf_release(&tmp);
    close(fd);
    if (rc == CH_OK && p.n_files == 0)
        rc = ch_err_set(err, CH_E_INVALID, "PoC directory '%s' has no files", dir);
    if (rc != CH_OK) {
        ch_finding_poc_release(&p);
        return rc;
    }
    *ret = p;
    return CH_OK;
}

/* ---- validation and deduplication ------------------------------------------------------ */

int ch_disclose__insert_run(struct ch_store *s, const struct ch_disclose_actor *a,
                            int64_t finding_id, const char *kind, const struct ch_repro_result *r,
                            const char *recipe, const char *fixed_version, int64_t now,
                            int64_t *ret_id, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO disclose_runs (finding_id, kind, outcome, runs, matched,"
                           " crash_class, signature, fixed_version, recipe, log, build_ms, run_ms,"
                           " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                           " ?, ?) RETURNING id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, finding_id);
    ch_stmt_bind_cstr(st, 2, kind);
    ch_stmt_bind_cstr(st, 3, ch_repro_outcome_str(r->outcome));
    ch_stmt_bind_int(st, 4, r->n_runs);
    ch_stmt_bind_int(st, 5, r->n_matched);
    ch_stmt_bind_cstr(st, 6, r->n_runs > 0 ? ch_crash_class_str(r->report.cls) : NULL);
    ch_stmt_bind_cstr(st, 7, r->report.signature[0] != '\0' ? r->report.signature : NULL);
    ch_stmt_bind_cstr(st, 8, fixed_version);
    ch_stmt_bind_cstr(st, 9, recipe);
    ch_stmt_bind_blob(st, 10, ch_buf_cstr(&r->log), ch_buf_len(&r->log));
    ch_stmt_bind_int(st, 11, r->build_ms);
    ch_stmt_bind_int(st, 12, r->run_ms);
    ch_stmt_bind_int(st, 13, now);
    ch_stmt_bind_cstr(st, 14, a->name != NULL ? a->name : "cli");
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        *ret_id = ch_stmt_int(st, 0);
        rc = CH_OK;
    } else if (rc == 0) {
        rc = ch_err_set(err, CH_E_DB, "insert returned no id");
    }
    ch_stmt_reset(st);
    return rc;
}

/* What dedup compares, read from the finding's row. */
struct subject {
    int64_t id;
    int64_t created_at;
    char target[CH_FINDING_MAX_FIELD + 1];
    char component[CH_FINDING_MAX_FIELD + 1];
    char ecosystem[CH_FINDING_MAX_FIELD + 1];
    char introduced[130];
    char fixed[130];
    char cwe[16];
    char aliases[CH_FINDING_MAX_ALIASES * 130];
};

static void copy_col(struct ch_stmt *st, int col, char *out, size_t size)
{
    const char *v = ch_stmt_cstr(st, col);
    snprintf(out, size, "%s", v != NULL ? v : "");
}

static int load_subject(struct ch_store *s, int64_t id, struct subject *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT created_at, target, component, ecosystem,"
                           " COALESCE(introduced, version), fixed, cwe, aliases"
                           " FROM disclose_findings WHERE id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no finding %lld", (long long)id);
    if (rc < 0)
        return rc;
    ret->id = id;
    ret->created_at = ch_stmt_int(st, 0);
    copy_col(st, 1, ret->target, sizeof(ret->target));
    copy_col(st, 2, ret->component, sizeof(ret->component));
    copy_col(st, 3, ret->ecosystem, sizeof(ret->ecosystem));
    copy_col(st, 4, ret->introduced, sizeof(ret->introduced));
    copy_col(st, 5, ret->fixed, sizeof(ret->fixed));
    copy_col(st, 6, ret->cwe, sizeof(ret->cwe));
    copy_col(st, 7, ret->aliases, sizeof(ret->aliases));
    ch_stmt_reset(st);
    return CH_OK;
}

static int insert_match(struct ch_store *s, int64_t finding_id, int64_t other_id, const char *kind,
                        const char *reason, const char *known, int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO disclose_matches (finding_id, other_id, kind, reason,"
                           " known_vuln, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, finding_id);
    if (other_id != 0)
        ch_stmt_bind_int(st, 2, other_id);
    else
        ch_stmt_bind_null(st, 2);
    ch_stmt_bind_cstr(st, 3, kind);
    ch_stmt_bind_cstr(st, 4, reason);
    ch_stmt_bind_cstr(st, 5, known);
    /* exact duplicates and known records are facts; probable ones wait for an analyst */
    ch_stmt_bind_cstr(st, 6, strcmp(kind, "probable") == 0 ? "open" : "confirmed");
    ch_stmt_bind_int(st, 7, now);
    return ch_stmt_run(st, err);
}

static int mark_duplicate(struct ch_store *s, const struct ch_disclose_actor *a, int64_t id,
                          int64_t of, int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s, "UPDATE disclose_findings SET state = 'duplicate', duplicate_of = ? WHERE id = ?", &st,
        err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, of);
    ch_stmt_bind_int(st, 2, id);
    rc = ch_stmt_run(st, err);
    if (rc == CH_OK)
        rc = insert_match(s, id, of, "duplicate", "same crash signature on the same target", NULL,
                          now, err);
    if (rc == CH_OK) {
        char object[48];
        char details[64];
        snprintf(object, sizeof(object), "finding:%lld", (long long)id);
        snprintf(details, sizeof(details), "{\"duplicate_of\": %lld}", (long long)of);
        rc = ch_disclose__audit(s, a, "finding.duplicate", object, details, now, err);
    }
    return rc;
}

/*
 * Exact duplicates: every reproduced finding on this target with this
 * signature; the first submitted keeps the credit, the others become its
 * duplicates (also one validated earlier but submitted later).
 */
static int dedup_exact(struct ch_store *s, const struct ch_disclose_actor *a,
                       const struct subject *sub, const char *signature, int64_t now,
                       struct ch_finding_validation *v, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id, duplicate_of FROM disclose_findings"
                           " WHERE target = ? AND signature = ?"
                           " AND state IN ('reproduced', 'flaky', 'duplicate')"
                           " ORDER BY created_at, id LIMIT " CH_STRINGIFY(MAX_MATCHES),
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, sub->target);
    ch_stmt_bind_cstr(st, 2, signature);
    int64_t ids[MAX_MATCHES];
    bool dup[MAX_MATCHES];
    size_t n = 0;
    while ((rc = ch_stmt_step(st, err)) == 1 && n < MAX_MATCHES) {
        dup[n] = !ch_stmt_is_null(st, 1);
        ids[n++] = ch_stmt_int(st, 0);
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    if (n < 2)
        return CH_OK;
    int64_t first = ids[0];
    for (size_t i = 1; i < n && rc >= 0; i++) {
        if (dup[i] && ids[i] != sub->id)
            continue; /* already someone's duplicate */
        rc = mark_duplicate(s, a, ids[i], first, now, err);
    }
    if (rc < 0)
        return rc;
    if (first != sub->id)
        v->duplicate_of = first;
    return CH_OK;
}

static void frames_to_report(const char *keys, struct ch_sanreport *r)
{
    *r = (struct ch_sanreport){.cls = CH_CRASH_SIGNAL};
    struct ch_str rest = ch_str_c(keys);
    struct ch_str part;
    while (ch_str_split_next(&rest, '\n', &part) && r->n_frames < CH_SANREPORT_SIG_FRAMES) {
        size_t len = part.len < CH_SANREPORT_FUNC_MAX - 1 ? part.len : CH_SANREPORT_FUNC_MAX - 1;
        memcpy(r->frames[r->n_frames].function, part.ptr, len);
        r->frames[r->n_frames].function[len] = '\0';
        r->n_frames++;
    }
}

static bool already_matched(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/*
 * Findings (not sub, not `except`, none of skip[]) with the same component,
 * ecosystem, affected range and CWE as sub, oldest first, into ids
 * (MAX_MATCHES); *ret_n counts them.
 */
static int same_range(struct ch_store *s, const struct subject *sub, int64_t except,
                      const int64_t *skip, size_t n_skip, int64_t ids[MAX_MATCHES], size_t *ret_n,
                      struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id FROM disclose_findings WHERE id <> ? AND component = ?"
                           " AND COALESCE(ecosystem, '') = ? AND COALESCE(introduced, version) = ?"
                           " AND COALESCE(fixed, '') = ? AND cwe = ?"
                           " AND state <> 'invalid_recipe' AND duplicate_of IS NULL"
                           " ORDER BY created_at, id LIMIT " CH_STRINGIFY(MAX_MATCHES),
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, sub->id);
    ch_stmt_bind_cstr(st, 2, sub->component);
    ch_stmt_bind_cstr(st, 3, sub->ecosystem);
    ch_stmt_bind_cstr(st, 4, sub->introduced);
    ch_stmt_bind_cstr(st, 5, sub->fixed);
    ch_stmt_bind_cstr(st, 6, sub->cwe);
    size_t n = 0;
    while ((rc = ch_stmt_step(st, err)) == 1 && n < MAX_MATCHES) {
        int64_t id = ch_stmt_int(st, 0);
        if (id != except && !already_matched(skip, n_skip, id))
            ids[n++] = id;
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    *ret_n = n;
    return CH_OK;
}

static int dedup_probable(struct ch_store *s, const struct subject *sub, const char *frame_keys,
                          const char *signature, int64_t now, struct ch_finding_validation *v,
                          struct ch_err *err)
{
    int64_t seen[MAX_MATCHES];
    size_t n_seen = 0;
    struct ch_stmt *st = NULL;
    int rc = CH_OK;
    if (frame_keys != NULL && frame_keys[0] != '\0') {
        struct ch_sanreport mine;
        frames_to_report(frame_keys, &mine);
        rc = ch_store_stmt(s,
                           "SELECT id, frame_keys FROM disclose_findings"
                           " WHERE target = ? AND id <> ? AND frame_keys IS NOT NULL"
                           " AND state IN ('reproduced', 'flaky') AND duplicate_of IS NULL"
                           " AND (signature IS NULL OR signature <> ?)"
                           " ORDER BY created_at, id LIMIT " CH_STRINGIFY(MAX_FRAME_CANDIDATES),
                           &st, err);
        if (rc != CH_OK)
            return rc;
        ch_stmt_bind_cstr(st, 1, sub->target);
        ch_stmt_bind_int(st, 2, sub->id);
        ch_stmt_bind_cstr(st, 3, signature != NULL ? signature : "");
        while ((rc = ch_stmt_step(st, err)) == 1 && n_seen < MAX_MATCHES) {
            struct ch_sanreport other;
            frames_to_report(ch_stmt_cstr(st, 1), &other);
            if (ch_sanreport_similar(&mine, &other))
                seen[n_seen++] = ch_stmt_int(st, 0);
        }
        ch_stmt_reset(st);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < n_seen && rc >= 0; i++)
            rc = insert_match(s, sub->id, seen[i], "probable",
                              "shares at least two of its top three frames", NULL, now, err);
        if (rc < 0)
            return rc;
    }
    size_t n_frames = n_seen;
    int64_t range_ids[MAX_MATCHES];
    size_t n_range = 0;
    rc = same_range(s, sub, v->duplicate_of, seen, n_frames, range_ids, &n_range, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n_range && rc >= 0; i++)
        rc = insert_match(s, sub->id, range_ids[i], "probable",
                          "same component, affected versions and CWE", NULL, now, err);
    if (rc < 0)
        return rc;
    v->n_probable = (unsigned)(n_frames + n_range);
    return CH_OK;
}

/*
 * The submitter's aliases that the knowledge base holds: the first into
 * known (known_size bytes, left "" when none); with record, each becomes a
 * "known" match of sub.
 */
static int known_aliases(struct ch_store *s, const struct subject *sub, bool record, int64_t now,
                         char *known, size_t known_size, struct ch_err *err)
{
    struct ch_str rest = ch_str_c(sub->aliases);
    struct ch_str part;
    while (sub->aliases[0] != '\0' && ch_str_split_next(&rest, '\n', &part)) {
        char alias[130];
        if (part.len == 0 || part.len >= sizeof(alias))
            continue;
        memcpy(alias, part.ptr, part.len);
        alias[part.len] = '\0';
        int64_t vuln = 0;
        struct ch_err e = CH_ERR_INIT;
        int rc = ch_kb_find_vuln(s, alias, &vuln, &e);
        if (rc == CH_E_NOTFOUND)
            continue;
        if (rc != CH_OK) {
            ch_err_copy(err, &e);
            return rc;
        }
        if (record) {
            rc = insert_match(s, sub->id, 0, "known", "an alias is a record of the knowledge base",
                              alias, now, err);
            if (rc != CH_OK)
                return rc;
        }
        if (known[0] == '\0')
            snprintf(known, known_size, "%s", alias);
    }
    return CH_OK;
}

static int dedup_known(struct ch_store *s, const struct subject *sub, int64_t now,
                       struct ch_finding_validation *v, struct ch_err *err)
{
    return known_aliases(s, sub, true, now, v->known_vuln, sizeof(v->known_vuln), err);
}

static const char *state_of(enum ch_repro_outcome o)
{
    switch (o) {
    case CH_REPRO_REPRODUCED:
        return "reproduced";
    case CH_REPRO_FLAKY:
        return "flaky";
    case CH_REPRO_NOT_REPRODUCED:
        return "not_reproduced";
    case CH_REPRO_INVALID_RECIPE:
        return "invalid_recipe";
    }
    return "submitted";
}

static void frame_keys_of(const struct ch_sanreport *r, char *out, size_t size)
{
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < r->n_frames && i < CH_SANREPORT_SIG_FRAMES; i++) {
        const struct ch_crash_frame *f = &r->frames[i];
        int n;
        if (f->function[0] != '\0')
            n = snprintf(out + used, size - used, "%s%s", i > 0 ? "\n" : "", f->function);
        else
            n = snprintf(out + used, size - used, "%s%s:%u", i > 0 ? "\n" : "", f->file,
                         (unsigned)f->line);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

static int record_validation(struct ch_store *s, const struct ch_disclose_actor *a, int64_t id,
                             const struct ch_repro_result *r, const char *recipe, int64_t now,
                             struct ch_finding_validation *v, struct ch_err *err)
{
    bool crashed = r->outcome == CH_REPRO_REPRODUCED || r->outcome == CH_REPRO_FLAKY;
    char keys[FRAME_KEYS_MAX];
    frame_keys_of(&r->report, keys, sizeof(keys));
    /* a report without frames (a timeout) says nothing about where: no signature dedup */
    bool sig_usable = crashed && r->report.signature[0] != '\0' && r->report.n_frames > 0;
    struct subject sub;
    int rc = load_subject(s, id, &sub, err);
    if (rc == CH_OK)
        rc = ch_disclose__insert_run(s, a, id, "validate", r, recipe, NULL, now, &v->run_id, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(
            s, "DELETE FROM disclose_matches WHERE finding_id = ? AND status = 'open'", &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE disclose_findings SET state = ?, signature = ?,"
                           " crash_class = ?, frame_keys = ?, repro_rate = ?, validated_at = ?,"
                           " duplicate_of = NULL, known_vuln = NULL WHERE id = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, state_of(r->outcome));
        ch_stmt_bind_cstr(st, 2, sig_usable ? r->report.signature : NULL);
        ch_stmt_bind_cstr(st, 3, crashed ? ch_crash_class_str(r->report.cls) : NULL);
        ch_stmt_bind_cstr(st, 4, crashed && keys[0] != '\0' ? keys : NULL);
        ch_stmt_bind_double(st, 5, r->n_runs > 0 ? (double)r->n_matched / r->n_runs : 0.0);
        ch_stmt_bind_int(st, 6, now);
        ch_stmt_bind_int(st, 7, id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK && sig_usable)
        rc = dedup_exact(s, a, &sub, r->report.signature, now, v, err);
    if (rc == CH_OK && crashed)
        rc = dedup_probable(s, &sub, keys, sig_usable ? r->report.signature : NULL, now, v, err);
    if (rc == CH_OK)
        rc = dedup_known(s, &sub, now, v, err);
    if (rc == CH_OK && v->known_vuln[0] != '\0') {
        rc = ch_store_stmt(s, "UPDATE disclose_findings SET known_vuln = ? WHERE id = ?", &st, err);
        if (rc == CH_OK) {
            ch_stmt_bind_cstr(st, 1, v->known_vuln);
            ch_stmt_bind_int(st, 2, id);
            rc = ch_stmt_run(st, err);
        }
    }
    v->state = v->duplicate_of != 0 ? "duplicate" : state_of(r->outcome);
    if (rc == CH_OK) {
        struct ch_buf d;
        ch_buf_init(&d, 4096);
        struct ch_jw w;
        ch_jw_init(&w, &d, 0);
        ch_finding_validation_json(v, id, &w);
        char object[48];
        snprintf(object, sizeof(object), "finding:%lld", (long long)id);
        rc = ch_jw_finish(&w, err);
        if (rc == CH_OK)
            rc = ch_disclose__audit(s, a, "finding.validate", object, ch_buf_cstr(&d), now, err);
        ch_buf_release(&d);
    }
    return rc;
}

int ch_finding_validate(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                        const struct ch_repro_options *opts, int64_t now,
                        struct ch_finding_validation *ret, struct ch_err *err)
{
    struct ch_finding_poc poc = {0};
    int rc = ch_finding_poc_load(s, actor, id, &poc, err);
    if (rc != CH_OK)
        return rc;
    if (!ch_disclose__wide(actor)) {
        ch_finding_poc_release(&poc);
        return ch_err_set(err, CH_E_PERM, "validating findings needs the analyst role");
    }
    struct ch_recipe *recipe = NULL;
    rc = ch_recipe_parse(poc.recipe, poc.recipe_len, &recipe, err);
    struct ch_repro_result r;
    bool have_result = false;
    if (rc == CH_OK) {
        rc = ch_repro_run(recipe, poc.files, poc.n_files, opts, &r, err);
        have_result = true;
    }
    struct ch_finding_validation v = {0};
    if (rc == CH_OK) {
        v.outcome = r.outcome;
        v.n_runs = r.n_runs;
        v.n_matched = r.n_matched;
        v.cls = r.report.cls;
        if (r.outcome == CH_REPRO_REPRODUCED || r.outcome == CH_REPRO_FLAKY)
            memcpy(v.signature, r.report.signature, sizeof(v.signature));
        rc = ch_store_begin_write(s, err);
        if (rc == CH_OK) {
            rc = record_validation(s, actor, id, &r, poc.recipe, now, &v, err);
            if (rc == CH_OK)
                rc = ch_store_commit(s, err);
            else
                ch_store_rollback(s);
        }
    }
    if (have_result)
        ch_repro_result_release(&r);
    ch_recipe_free(recipe);
    ch_finding_poc_release(&poc);
    if (rc == CH_OK)
        *ret = v;
    return rc;
}

void ch_finding_validation_json(const struct ch_finding_validation *v, int64_t finding_id,
                                struct ch_jw *w)
{
    ch_jw_obj_open(w);
    ch_jw_kint(w, "finding", finding_id);
    ch_jw_kint(w, "run", v->run_id);
    ch_jw_kstr(w, "outcome", ch_repro_outcome_str(v->outcome));
    ch_jw_kstr(w, "state", v->state);
    ch_jw_kint(w, "runs", v->n_runs);
    ch_jw_kint(w, "matched", v->n_matched);
    ch_jw_kdouble(w, "rate", v->n_runs > 0 ? (double)v->n_matched / v->n_runs : 0.0);
    ch_jw_kstr(w, "crash_class", v->n_runs > 0 ? ch_crash_class_str(v->cls) : NULL);
    ch_jw_kstr(w, "signature", v->signature[0] != '\0' ? v->signature : NULL);
    if (v->duplicate_of != 0)
        ch_jw_kint(w, "duplicate_of", v->duplicate_of);
    else
        ch_jw_kstr(w, "duplicate_of", NULL);
    ch_jw_kint(w, "probable_duplicates", v->n_probable);
    ch_jw_kstr(w, "known_vuln", v->known_vuln[0] != '\0' ? v->known_vuln : NULL);
    ch_jw_obj_close(w);
}

int ch_finding_match_resolve(struct ch_store *s, const struct ch_disclose_actor *actor,
                             int64_t finding_id, int64_t match_id, bool confirmed, int64_t now,
                             struct ch_err *err)
{
    if (!ch_disclose__wide(actor))
        return ch_err_set(err, CH_E_PERM, "resolving duplicates needs the analyst role");
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    int64_t finding = 0;
    int64_t other = 0;
    rc = ch_store_stmt(s,
                       "SELECT finding_id, COALESCE(other_id, 0) FROM disclose_matches"
                       " WHERE id = ? AND kind = 'probable' AND status = 'open'"
                       " AND (? = 0 OR finding_id = ?)",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, match_id);
        ch_stmt_bind_int(st, 2, finding_id);
        ch_stmt_bind_int(st, 3, finding_id);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            finding = ch_stmt_int(st, 0);
            other = ch_stmt_int(st, 1);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_NOTFOUND, "no open probable duplicate %lld",
                            (long long)match_id);
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK)
        rc = ch_store_stmt(s, "UPDATE disclose_matches SET status = ? WHERE id = ?", &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, confirmed ? "confirmed" : "dismissed");
        ch_stmt_bind_int(st, 2, match_id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK && confirmed) {
        rc = ch_store_stmt(s,
                           "UPDATE disclose_findings SET state = 'duplicate', duplicate_of = ?"
                           " WHERE id = ?",
                           &st, err);
        if (rc == CH_OK) {
            ch_stmt_bind_int(st, 1, other);
            ch_stmt_bind_int(st, 2, finding);
            rc = ch_stmt_run(st, err);
        }
    }
    if (rc == CH_OK) {
        char object[48];
        char details[96];
        snprintf(object, sizeof(object), "finding:%lld", (long long)finding);
        snprintf(details, sizeof(details), "{\"match\": %lld, \"other\": %lld, \"status\": \"%s\"}",
                 (long long)match_id, (long long)other, confirmed ? "confirmed" : "dismissed");
        rc = ch_disclose__audit(s, actor, "finding.match", object, details, now, err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    return rc;
}

/* ---- the verdict at submission ---------------------------------------------------------- */

static int same_poc(struct ch_store *s, const struct subject *sub, int64_t *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT o.id FROM disclose_findings o, disclose_findings f"
                           " WHERE f.id = ? AND o.id < f.id AND o.target = f.target"
                           " AND o.poc_digest = f.poc_digest ORDER BY o.created_at, o.id LIMIT 1",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, sub->id);
    rc = ch_stmt_step(st, err);
    if (rc == 1)
        *ret = ch_stmt_int(st, 0);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_finding_intake_check(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                            struct ch_finding_intake *ret, struct ch_err *err)
{
    struct ch_disclose__scope scope;
    int rc = ch_disclose__finding_scope(s, actor, id, &scope, err);
    struct subject sub;
    if (rc == CH_OK)
        rc = load_subject(s, id, &sub, err);
    struct ch_finding_intake v = {.verdict = "new"};
    int64_t earlier = 0;
    if (rc == CH_OK)
        rc = same_poc(s, &sub, &earlier, err);
    int64_t range_ids[MAX_MATCHES];
    size_t n_range = 0;
    if (rc == CH_OK)
        rc = same_range(s, &sub, earlier, NULL, 0, range_ids, &n_range, err);
    if (rc == CH_OK)
        rc = known_aliases(s, &sub, false, 0, v.known_vuln, sizeof(v.known_vuln), err);
    if (rc != CH_OK)
        return rc;
    v.n_probable = (unsigned)n_range;
    if (earlier != 0) {
        v.verdict = "duplicate";
        /* the earlier finding's id only for those who may see it: existence is not leaked */
        struct ch_disclose__scope other;
        struct ch_err ignore = CH_ERR_INIT;
        rc = ch_disclose__finding_scope(s, actor, earlier, &other, &ignore);
        if (rc == CH_OK) {
            v.duplicate_of = earlier;
        } else if (rc != CH_E_NOTFOUND) {
            ch_err_copy(err, &ignore);
            return rc;
        }
    } else if (v.known_vuln[0] != '\0') {
        v.verdict = "already_known";
    } else if (n_range > 0) {
        v.verdict = "probable";
    }
    *ret = v;
    return CH_OK;
}

void ch_finding_intake_json(const struct ch_finding_intake *v, struct ch_jw *w)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "verdict", v->verdict);
    if (v->duplicate_of != 0)
        ch_jw_kint(w, "duplicate_of", v->duplicate_of);
    else
        ch_jw_kstr(w, "duplicate_of", NULL);
    ch_jw_kint(w, "probable_duplicates", v->n_probable);
    ch_jw_kstr(w, "known_vuln", v->known_vuln[0] != '\0' ? v->known_vuln : NULL);
    ch_jw_obj_close(w);
}
