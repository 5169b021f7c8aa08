/* SPDX-License-Identifier: Apache-2.0
 *
 * directive.c: directives as data files (see directive.h; the file format is
 * documented in docs/directives.md).
 *
 * Loading validates everything a decision will need, so that deciding cannot
 * fail for a reason that is the file's fault: an SSVC rule's table is loaded
 * and checked complete (ssvc.c), each of its outcomes is mapped exactly once,
 * and the aliases the directive gives to its inputs are attached to the
 * table. Table paths are relative to the directive's folder and may not
 * leave it (no absolute paths, no ".."), so a directive file cannot make the
 * server read an arbitrary file.
 */
#include "remediate/directive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/num.h"

/* Arena bytes of one directive's strings: a page of text, well above any real file. */
#define DIRECTIVE_ARENA_MAX (CH_DIRECTIVE_MAX_FILE_BYTES * 2)
/* The longest path we build (directory + table file name). */
#define PATH_MAX_BYTES 4096
#define FORMAT_ID "clearinghouse-directive/1"

static const char *const category_names[CH_ORG_CATEGORY_COUNT] = {
    [CH_ORG_NSS] = "nss",
    [CH_ORG_DOD] = "dod",
    [CH_ORG_FCEB] = "fceb",
    [CH_ORG_SLTT] = "sltt",
    [CH_ORG_CI] = "ci",
    [CH_ORG_PARTNER] = "partner",
    [CH_ORG_DEVELOPER] = "developer",
    [CH_ORG_CLEARINGHOUSE] = "clearinghouse",
};

/* CVSS qualitative severity ratings, lowest first (CVSS v3.1 spec §5, v4.0 §6). */
enum severity { SEV_NONE, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV_COUNT };
static const char *const severity_names[SEV_COUNT] = {"none", "low", "medium", "high", "critical"};

static const char *const cadences[] = {"continuous",      "daily",       "weekly",
                                       "monthly",         "quarterly",   "annually",
                                       "on_notification", "as_directed", "none"};

struct outcome_map {
    enum ch_directive_action action;
    int days;
    bool forensic;
};

struct input_alias {
    const char *alias;
    size_t point;
};

struct ch_directive {
    struct ch_arena *arena; /* owns every string below */
    const char *id;
    const char *title;
    const char *issuer;
    const char *url;
    const char *revoked_by;
    const char *notes;
    int64_t issued;
    int64_t revoked;
    const char *supersedes[CH_DIRECTIVE_MAX_ITEMS];
    size_t n_supersedes;
    unsigned categories; /* bit 1 << enum ch_org_category */
    const char *sectors[CH_DIRECTIVE_MAX_ITEMS];
    size_t n_sectors; /* 0: every critical-infrastructure sector */
    bool internet_facing_only;
    const char *scope_note;
    enum ch_directive_rule rule;
    enum ch_directive_clock clock;
    const char *table_path; /* as written in the file */
    struct ch_ssvc_table *table;
    struct outcome_map outcomes[CH_SSVC_MAX_VALUES]; /* by outcome value index */
    struct input_alias inputs[CH_DIRECTIVE_MAX_ITEMS];
    size_t n_inputs;
    int severity_days[SEV_COUNT]; /* -1: no deadline */
    const char *cadence;
    const char *reporting;
};

/* ---- categories -------------------------------------------------------- */

/* ---- parsing helpers --------------------------------------------------- */

static int text(struct ch_directive *d, const cJSON *obj, const char *key, bool required,
                const char *path, const char **ret, struct ch_err *err)
{
    const char *s = NULL;
    int rc = ch_json_get_str(obj, key, required, path, &s, err);
    if (rc != CH_OK || s == NULL)
        return rc;
    *ret = ch_arena_strdup(d->arena, s);
    return *ret == NULL ? ch_err_set(err, CH_E_NOMEM, "out of memory") : CH_OK;
}

/* A "YYYY-MM-DD" member as 00:00:00 UTC of that day; absent or null leaves *ret. */
static int date_field(const cJSON *obj, const char *key, bool required, const char *path,
                      int64_t *ret, struct ch_err *err)
{
    const char *s = NULL;
    int rc = ch_json_get_str(obj, key, required, path, &s, err);
    if (rc != CH_OK || s == NULL)
        return rc;
    int64_t t = 0;
    struct ch_err inner = CH_ERR_INIT;
    if (strlen(s) != 10 || ch_time_parse(ch_str_c(s), &t, NULL, &inner) != CH_OK)
        return ch_err_setf(err, CH_E_INVALID, key, "field '%s%s%s': expected a date YYYY-MM-DD",
                           path, path[0] != '\0' ? "." : "", key);
    *ret = t;
    return CH_OK;
}

/* An array of strings into arena copies. */
static int str_list(struct ch_directive *d, const cJSON *obj, const char *key, const char *path,
                    const char **out, size_t *ret_n, struct ch_err *err)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(obj, key, false, path, &arr, err);
    if (rc != CH_OK || arr == NULL)
        return rc;
    size_t n = 0;
    const cJSON *e = NULL;
    cJSON_ArrayForEach(e, arr)
    {
        if (n == CH_DIRECTIVE_MAX_ITEMS)
            return ch_err_set(err, CH_E_LIMIT, "field '%s.%s': more than %d items", path, key,
                              CH_DIRECTIVE_MAX_ITEMS);
        if (!cJSON_IsString(e))
            return ch_err_setf(err, CH_E_INVALID, key, "field '%s.%s[%zu]': expected a string",
                               path, key, n);
        out[n] = ch_arena_strdup(d->arena, e->valuestring);
        if (out[n] == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        n++;
    }
    *ret_n = n;
    return CH_OK;
}

static int parse_scope(struct ch_directive *d, const cJSON *root, struct ch_err *err)
{
    const cJSON *scope = NULL;
    const cJSON *cats = NULL;
    int rc = ch_json_get_obj(root, "scope", true, "", &scope, err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(scope, "categories", true, "scope", &cats, err);
    if (rc != CH_OK)
        return rc;
    size_t i = 0;
    const cJSON *e = NULL;
    cJSON_ArrayForEach(e, cats)
    {
        enum ch_org_category c = CH_ORG_NSS;
        if (!cJSON_IsString(e))
            return ch_err_setf(err, CH_E_INVALID, "categories",
                               "field 'scope.categories[%zu]': expected a string", i);
        rc = ch_org_category_parse(ch_str_c(e->valuestring), &c, err);
        if (rc != CH_OK)
            return ch_err_prefix(err, "field 'scope.categories[%zu]'", i);
        d->categories |= 1u << c;
        i++;
    }
    if (d->categories == 0)
        return ch_err_setf(err, CH_E_INVALID, "categories",
                           "field 'scope.categories': name at least one category");
    rc = str_list(d, scope, "sectors", "scope", d->sectors, &d->n_sectors, err);
    if (rc == CH_OK && d->n_sectors > 0 && (d->categories & (1u << CH_ORG_CI)) == 0)
        rc = ch_err_setf(err, CH_E_INVALID, "sectors",
                         "field 'scope.sectors': sectors need the category 'ci'");
    const char *facing = "any";
    if (rc == CH_OK)
        rc = ch_json_get_str(scope, "internet_facing", false, "scope", &facing, err);
    if (rc != CH_OK)
        return rc;
    if (strcmp(facing, "required") == 0)
        d->internet_facing_only = true;
    else if (strcmp(facing, "any") != 0)
        return ch_err_setf(err, CH_E_INVALID, "internet_facing",
                           "field 'scope.internet_facing': expected \"any\" or \"required\"");
    return text(d, scope, "note", false, "scope", &d->scope_note, err);
}

/* Joins base_dir and a relative table path that must stay inside base_dir. */
static int table_path(const char *base_dir, const char *rel, char *out, size_t out_size,
                      struct ch_err *err)
{
    if (rel[0] == '\0' || rel[0] == '/')
        return ch_err_setf(err, CH_E_INVALID, "table",
                           "field 'rule.table': expected a path relative to the directive");
    struct ch_str rest = ch_str_c(rel);
    struct ch_str part;
    while (ch_str_split_next(&rest, '/', &part)) {
        if (ch_str_eq_c(part, ".."))
            return ch_err_setf(err, CH_E_INVALID, "table",
                               "field 'rule.table': '..' may not leave the directive's folder");
    }
    int n = snprintf(out, out_size, "%s%s%s", base_dir != NULL ? base_dir : "",
                     base_dir != NULL && base_dir[0] != '\0' ? "/" : "", rel);
    if (n < 0 || (size_t)n >= out_size)
        return ch_err_set(err, CH_E_LIMIT, "table path longer than %zu bytes", out_size);
    return CH_OK;
}

static int parse_outcome(const cJSON *j, const char *path, struct outcome_map *o,
                         struct ch_err *err)
{
    if (!cJSON_IsObject(j))
        return ch_err_set(err, CH_E_INVALID, "field '%s': expected an object", path);
    const char *action = NULL;
    int64_t days = -1;
    int rc = ch_json_get_str(j, "action", false, path, &action, err);
    if (rc == CH_OK)
        rc = ch_json_get_int(j, "days", false, path, 0, CH_DIRECTIVE_MAX_DAYS, &days, err);
    if (rc == CH_OK)
        rc = ch_json_get_bool(j, "forensic_triage", false, path, &o->forensic, err);
    if (rc != CH_OK)
        return rc;
    if (days >= 0 && action == NULL) {
        o->action = CH_ACTION_DAYS;
        o->days = (int)days;
    } else if (days < 0 && action != NULL && strcmp(action, "next_upgrade") == 0) {
        o->action = CH_ACTION_NEXT_UPGRADE;
        o->days = -1;
    } else if (days < 0 && action != NULL && strcmp(action, "none") == 0) {
        o->action = CH_ACTION_NONE;
        o->days = -1;
    } else {
        return ch_err_set(err, CH_E_INVALID,
                          "field '%s': expected either \"days\" or \"action\" (\"next_upgrade\" "
                          "or \"none\")",
                          path);
    }
    return CH_OK;
}

static int parse_ssvc_rule(struct ch_directive *d, const cJSON *rule, const char *base_dir,
                           struct ch_err *err)
{
    int rc = text(d, rule, "table", true, "rule", &d->table_path, err);
    char path[PATH_MAX_BYTES];
    if (rc == CH_OK)
        rc = table_path(base_dir, d->table_path, path, sizeof(path), err);
    if (rc == CH_OK)
        rc = ch_ssvc_table_load(path, &d->table, err);
    if (rc != CH_OK)
        return rc;
    const cJSON *inputs = NULL;
    const cJSON *outcomes = NULL;
    rc = ch_json_get_obj(rule, "inputs", false, "rule", &inputs, err);
    if (rc == CH_OK)
        rc = ch_json_get_obj(rule, "outcomes", true, "rule", &outcomes, err);
    if (rc != CH_OK)
        return rc;
    const cJSON *m = NULL;
    cJSON_ArrayForEach(m, inputs)
    {
        char p[200];
        snprintf(p, sizeof(p), "rule.inputs.%.100s", m->string);
        if (d->n_inputs == CH_DIRECTIVE_MAX_ITEMS)
            return ch_err_set(err, CH_E_LIMIT, "field 'rule.inputs': more than %d aliases",
                              CH_DIRECTIVE_MAX_ITEMS);
        if (!cJSON_IsString(m))
            return ch_err_set(err, CH_E_INVALID, "field '%s': expected a string", p);
        size_t pi = 0;
        rc = ch_ssvc_table_find_point(d->table, ch_str_c(m->valuestring), &pi, err);
        if (rc == CH_OK)
            rc = ch_ssvc_table_add_alias(d->table, m->string, pi, err);
        const char *alias = rc == CH_OK ? ch_arena_strdup(d->arena, m->string) : NULL;
        if (rc == CH_OK && alias == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
        if (rc != CH_OK)
            return ch_err_prefix(err, "field '%s'", p);
        d->inputs[d->n_inputs++] = (struct input_alias){.alias = alias, .point = pi};
    }
    const struct ch_ssvc_point *op = ch_ssvc_table_outcome(d->table);
    bool mapped[CH_SSVC_MAX_VALUES] = {false};
    cJSON_ArrayForEach(m, outcomes)
    {
        char p[200];
        snprintf(p, sizeof(p), "rule.outcomes.%.100s", m->string);
        size_t vi = 0;
        rc = ch_ssvc_point_find_value(op, ch_str_c(m->string), &vi, err);
        if (rc != CH_OK)
            return ch_err_prefix(err, "field '%s'", p);
        if (mapped[vi])
            return ch_err_set(err, CH_E_INVALID, "field '%s': outcome '%s' mapped twice", p,
                              op->values[vi].name);
        rc = parse_outcome(m, p, &d->outcomes[vi], err);
        if (rc != CH_OK)
            return rc;
        mapped[vi] = true;
    }
    for (size_t i = 0; i < op->n_values; i++) {
        if (!mapped[i])
            return ch_err_setf(err, CH_E_INVALID, "outcomes",
                               "field 'rule.outcomes': no entry for outcome '%s' (%s)",
                               op->values[i].name, op->values[i].key);
    }
    return CH_OK;
}

static int parse_severity_rule(struct ch_directive *d, const cJSON *rule, struct ch_err *err)
{
    const cJSON *days = NULL;
    int rc = ch_json_get_obj(rule, "days", true, "rule", &days, err);
    if (rc != CH_OK)
        return rc;
    for (size_t i = 0; i < SEV_COUNT; i++)
        d->severity_days[i] = -1;
    const cJSON *m = NULL;
    cJSON_ArrayForEach(m, days)
    {
        size_t sev = SEV_COUNT;
        for (size_t i = 0; i < SEV_COUNT; i++) {
            if (strcmp(m->string, severity_names[i]) == 0)
                sev = i;
        }
        if (sev == SEV_COUNT)
            return ch_err_setf(err, CH_E_INVALID, "days",
                               "field 'rule.days.%.60s': unknown severity (expected critical, "
                               "high, medium, low or none)",
                               m->string);
        int64_t n = 0;
        rc = ch_json_get_int(days, m->string, true, "rule.days", 0, CH_DIRECTIVE_MAX_DAYS, &n, err);
        if (rc != CH_OK)
            return rc;
        d->severity_days[sev] = (int)n;
    }
    return CH_OK;
}

static int parse_rule(struct ch_directive *d, const cJSON *root, const char *base_dir,
                      struct ch_err *err)
{
    const cJSON *rule = NULL;
    const char *type = NULL;
    int rc = ch_json_get_obj(root, "rule", true, "", &rule, err);
    if (rc == CH_OK)
        rc = ch_json_get_str(rule, "type", true, "rule", &type, err);
    if (rc != CH_OK)
        return rc;
    if (strcmp(type, "ssvc") == 0) {
        d->rule = CH_RULE_SSVC;
        return parse_ssvc_rule(d, rule, base_dir, err);
    }
    if (strcmp(type, "kev_due_date") == 0) {
        d->rule = CH_RULE_KEV_DUE_DATE;
        return CH_OK;
    }
    if (strcmp(type, "severity") == 0) {
        d->rule = CH_RULE_SEVERITY;
        return parse_severity_rule(d, rule, err);
    }
    return ch_err_setf(err, CH_E_INVALID, "type",
                       "field 'rule.type': unknown rule '%.60s' (expected \"ssvc\", "
                       "\"kev_due_date\" or \"severity\")",
                       type);
}

static int parse_clock_and_reporting(struct ch_directive *d, const cJSON *root, struct ch_err *err)
{
    const cJSON *clock = NULL;
    const cJSON *rep = NULL;
    const char *start = "detection";
    int rc = ch_json_get_obj(root, "clock", d->rule != CH_RULE_KEV_DUE_DATE, "", &clock, err);
    if (rc == CH_OK && clock != NULL)
        rc = ch_json_get_str(clock, "start", true, "clock", &start, err);
    if (rc != CH_OK)
        return rc;
    if (strcmp(start, "detection") == 0)
        d->clock = CH_CLOCK_DETECTION;
    else if (strcmp(start, "detection_or_tier") == 0)
        d->clock = CH_CLOCK_DETECTION_OR_TIER;
    else
        return ch_err_setf(err, CH_E_INVALID, "start",
                           "field 'clock.start': expected \"detection\" or \"detection_or_tier\"");
    rc = ch_json_get_obj(root, "reporting", true, "", &rep, err);
    if (rc == CH_OK)
        rc = text(d, rep, "cadence", true, "reporting", &d->cadence, err);
    if (rc == CH_OK)
        rc = text(d, rep, "description", false, "reporting", &d->reporting, err);
    if (rc != CH_OK)
        return rc;
    for (size_t i = 0; i < CH_ARRAY_SIZE(cadences); i++) {
        if (strcmp(d->cadence, cadences[i]) == 0)
            return CH_OK;
    }
    return ch_err_setf(err, CH_E_INVALID, "cadence",
                       "field 'reporting.cadence': unknown cadence '%.60s' (expected continuous, "
                       "daily, weekly, monthly, quarterly, annually, on_notification, "
                       "as_directed or none)",
                       d->cadence);
}

static int parse_header(struct ch_directive *d, const cJSON *root, struct ch_err *err)
{
    const char *format = NULL;
    int rc = ch_json_get_str(root, "format", true, "", &format, err);
    if (rc != CH_OK)
        return rc;
    if (strcmp(format, FORMAT_ID) != 0)
        return ch_err_setf(err, CH_E_UNSUPPORTED, "format",
                           "field 'format': '%.60s' is not \"" FORMAT_ID "\"", format);
    rc = text(d, root, "id", true, "", &d->id, err);
    if (rc == CH_OK && (d->id[0] == '\0' || strlen(d->id) > 64))
        rc = ch_err_setf(err, CH_E_INVALID, "id", "field 'id': expected 1 to 64 characters");
    if (rc == CH_OK)
        rc = text(d, root, "title", true, "", &d->title, err);
    if (rc == CH_OK)
        rc = text(d, root, "issuer", false, "", &d->issuer, err);
    if (rc == CH_OK)
        rc = text(d, root, "url", false, "", &d->url, err);
    if (rc == CH_OK)
        rc = text(d, root, "notes", false, "", &d->notes, err);
    if (rc == CH_OK)
        rc = date_field(root, "issued", true, "", &d->issued, err);
    if (rc == CH_OK)
        rc = date_field(root, "revoked", false, "", &d->revoked, err);
    if (rc == CH_OK)
        rc = text(d, root, "revoked_by", false, "", &d->revoked_by, err);
    if (rc == CH_OK)
        rc = str_list(d, root, "supersedes", "", d->supersedes, &d->n_supersedes, err);
    if (rc != CH_OK)
        return rc;
    if (d->revoked >= 0 && d->revoked <= d->issued)
        return ch_err_setf(err, CH_E_INVALID, "revoked",
                           "field 'revoked': must be later than 'issued'");
    if (d->revoked_by != NULL && d->revoked < 0)
        return ch_err_setf(err, CH_E_INVALID, "revoked_by",
                           "field 'revoked_by' needs a 'revoked' date");
    return CH_OK;
}

int ch_directive_parse(const char *data, size_t len, const char *source, const char *base_dir,
                       struct ch_directive **ret, struct ch_err *err)
{
    if (source == NULL)
        source = "input";
    struct ch_json_limits lim = {.max_bytes = CH_DIRECTIVE_MAX_FILE_BYTES, .max_depth = 16};
    cJSON *root = NULL;
    int rc = ch_json_parse(data, len, &lim, source, &root, err);
    if (rc != CH_OK)
        return rc;
    struct ch_directive *d = ch_calloc(1, sizeof(*d));
    if (d == NULL) {
        cJSON_Delete(root);
        return ch_err_set(err, CH_E_NOMEM, "out of memory loading '%s'", source);
    }
    d->revoked = -1;
    d->arena = ch_arena_new(DIRECTIVE_ARENA_MAX);
    if (d->arena == NULL)
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory loading '%s'", source);
    else if (!cJSON_IsObject(root))
        rc = ch_err_set(err, CH_E_INVALID, "expected a JSON object");
    if (rc == CH_OK)
        rc = parse_header(d, root, err);
    if (rc == CH_OK)
        rc = parse_scope(d, root, err);
    if (rc == CH_OK)
        rc = parse_rule(d, root, base_dir, err);
    if (rc == CH_OK)
        rc = parse_clock_and_reporting(d, root, err);
    cJSON_Delete(root);
    if (rc != CH_OK) {
        if (strncmp(err->msg, source, strlen(source)) != 0)
            ch_err_prefix(err, "%s", source);
        ch_directive_free(d);
        return rc;
    }
    *ret = d;
    return CH_OK;
}

/* Reads a whole regular file of at most max bytes into out. */
static int read_file(const char *path, size_t max, struct ch_buf *out, struct ch_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    int rc = CH_OK;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ch_err_set(err, CH_E_IO, "'%s' is not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        rc = ch_err_set(err, CH_E_LIMIT, "'%s' is larger than %zu bytes", path, max);
        goto out;
    }
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ch_err_set(err, CH_E_IO, "cannot read '%s': %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        ch_buf_append(out, chunk, (size_t)n);
        if (out->failed != 0)
            break;
    }
    rc = ch_buf_status(out, path, err);
out:
    close(fd);
    return rc;
}

int ch_directive_load(const char *path, struct ch_directive **ret, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_DIRECTIVE_MAX_FILE_BYTES);
    char dir[PATH_MAX_BYTES];
    const char *slash = strrchr(path, '/');
    size_t dlen = slash == NULL ? 0 : (size_t)(slash - path);
    if (dlen >= sizeof(dir))
        return ch_err_set(err, CH_E_LIMIT, "path longer than %zu bytes", sizeof(dir));
    memcpy(dir, path, dlen);
    dir[dlen] = '\0';
    if (slash == path)
        memcpy(dir, "/", 2);
    int rc = read_file(path, CH_DIRECTIVE_MAX_FILE_BYTES, &b, err);
    if (rc == CH_OK)
        rc = ch_directive_parse(ch_buf_cstr(&b), ch_buf_len(&b), path, slash == NULL ? NULL : dir,
                                ret, err);
    ch_buf_release(&b);
    return rc;
}

void ch_directive_free(struct ch_directive *d)
{
    if (d == NULL)
        return;
    ch_ssvc_table_free(d->table);
    ch_arena_free(d->arena);
    ch_free(d);
}

/* ---- accessors --------------------------------------------------------- */

const char *ch_directive_id(const struct ch_directive *d)
{
    return d->id;
}

const char *ch_directive_title(const struct ch_directive *d)
{
    return d->title;
}

int64_t ch_directive_issued(const struct ch_directive *d)
{
    return d->issued;
}

int64_t ch_directive_revoked(const struct ch_directive *d)
{
    return d->revoked;
}

const char *ch_directive_revoked_by(const struct ch_directive *d)
{
    return d->revoked_by;
}

enum ch_directive_rule ch_directive_rule_kind(const struct ch_directive *d)
{
    return d->rule;
}

enum ch_directive_clock ch_directive_clock_kind(const struct ch_directive *d)
{
    return d->clock;
}

const struct ch_ssvc_table *ch_directive_table(const struct ch_directive *d)
{
    return d->table;
}

bool ch_directive_in_force(const struct ch_directive *d, int64_t t)
{
    return t >= d->issued && (d->revoked < 0 || t < d->revoked);
}

bool ch_directive_applies_to_sector(const struct ch_directive *d, enum ch_org_category category,
                                    const char *sector, bool internet_facing)
{
    if ((unsigned)category >= CH_ORG_CATEGORY_COUNT || (d->categories & (1u << category)) == 0)
        return false;
    if (d->internet_facing_only && !internet_facing)
        return false;
    if (category != CH_ORG_CI || d->n_sectors == 0)
        return true;
    for (size_t i = 0; sector != NULL && i < d->n_sectors; i++) {
        if (ch_str_case_eq_c(ch_str_c(sector), d->sectors[i]))
            return true;
    }
    return false;
}

bool ch_directive_applies_to(const struct ch_directive *d, enum ch_org_category category,
                             bool internet_facing)
{
    return ch_directive_applies_to_sector(d, category, NULL, internet_facing);
}

/* ---- decisions --------------------------------------------------------- */

int64_t ch_directive_due(int64_t start, int days)
{
    return ch_time_day_start(start) + ((int64_t)days + 1) * CH_DAY_SECONDS - 1;
}

bool ch_directive_is_late(int64_t due, int64_t t)
{
    return due >= 0 && t > due;
}

static void set_clock(const struct ch_directive *d, const struct ch_directive_inputs *in,
                      struct ch_directive_decision *dec)
{
    if (dec->action != CH_ACTION_DAYS || in->detected < 0)
        return;
    int64_t start = in->detected;
    if (d->clock == CH_CLOCK_DETECTION_OR_TIER && in->tier_met > start)
        start = in->tier_met;
    dec->clock_start = ch_time_day_start(start);
    dec->due = ch_directive_due(start, dec->days);
}

static int decide_ssvc(const struct ch_directive *d, const struct ch_directive_inputs *in,
                       struct ch_directive_decision *dec, struct ch_err *err)
{
    size_t o = 0;
    int rc = ch_ssvc_table_lookup(d->table, in->values, in->n_values, &o, err);
    if (rc != CH_OK)
        return rc;
    const struct ch_ssvc_value *v = &ch_ssvc_table_outcome(d->table)->values[o];
    dec->outcome = v->name;
    dec->outcome_key = v->key;
    dec->action = d->outcomes[o].action;
    dec->days = d->outcomes[o].days;
    dec->forensic_triage = d->outcomes[o].forensic;
    return CH_OK;
}

/* CVSS v3.1/v4.0 qualitative rating of a base score. */
static enum severity severity_of_score(double s)
{
    if (s >= 9.0)
        return SEV_CRITICAL;
    if (s >= 7.0)
        return SEV_HIGH;
    if (s >= 4.0)
        return SEV_MEDIUM;
    if (s > 0.0)
        return SEV_LOW;
    return SEV_NONE;
}

static int severity_input(const struct ch_ssvc_input *v, enum severity *ret, struct ch_err *err)
{
    if (ch_str_case_eq_c(ch_str_trim(v->point), "cvss")) {
        double score = 0;
        struct ch_err inner = CH_ERR_INIT;
        if (ch_num_parse_double(ch_str_trim(v->value), &score, &inner) != CH_OK || score < 0.0 ||
            score > 10.0)
            return ch_err_setf(err, CH_E_INVALID, "cvss",
                               "cvss: expected a base score from 0.0 to 10.0, not '%.*s'",
                               CH_STR_FMT(ch_str_sub(v->value, 0, 40)));
        *ret = severity_of_score(score);
        return CH_OK;
    }
    for (size_t i = 0; i < SEV_COUNT; i++) {
        if (ch_str_case_eq_c(ch_str_trim(v->value), severity_names[i])) {
            *ret = (enum severity)i;
            return CH_OK;
        }
    }
    return ch_err_setf(err, CH_E_NOTFOUND, "severity",
                       "unknown severity '%.*s' (expected critical, high, medium, low or none)",
                       CH_STR_FMT(ch_str_sub(v->value, 0, 40)));
}

static int decide_severity(const struct ch_directive *d, const struct ch_directive_inputs *in,
                           struct ch_directive_decision *dec, struct ch_err *err)
{
    const struct ch_ssvc_input *given = NULL;
    for (size_t i = 0; i < in->n_values; i++) {
        const struct ch_ssvc_input *v = &in->values[i];
        struct ch_str name = ch_str_trim(v->point);
        if (!ch_str_case_eq_c(name, "severity") && !ch_str_case_eq_c(name, "cvss"))
            return ch_err_setf(err, CH_E_NOTFOUND, "point",
                               "unknown input '%.*s' (expected 'severity' or 'cvss')",
                               CH_STR_FMT(ch_str_sub(name, 0, 60)));
        if (given != NULL)
            return ch_err_setf(err, CH_E_INVALID, "point",
                               "give one of 'severity' and 'cvss', once");
        given = v;
    }
    if (given == NULL)
        return ch_err_setf(err, CH_E_INVALID, "severity", "no value given for 'severity'");
    enum severity sev = SEV_NONE;
    int rc = severity_input(given, &sev, err);
    if (rc != CH_OK)
        return rc;
    dec->outcome = severity_names[sev];
    dec->outcome_key = severity_names[sev];
    dec->days = d->severity_days[sev];
    dec->action = dec->days >= 0 ? CH_ACTION_DAYS : CH_ACTION_NONE;
    return CH_OK;
}

static int decide_kev(const struct ch_directive_inputs *in, struct ch_directive_decision *dec,
                      struct ch_err *err)
{
    bool in_kev = in->kev_due >= 0;
    bool said = false;
    for (size_t i = 0; i < in->n_values; i++) {
        const struct ch_ssvc_input *v = &in->values[i];
        if (!ch_str_case_eq_c(ch_str_trim(v->point), "kev") || said)
            return ch_err_setf(err, CH_E_NOTFOUND, "point",
                               "unexpected input '%.*s' (this rule takes 'kev' and a KEV due date)",
                               CH_STR_FMT(ch_str_sub(v->point, 0, 60)));
        struct ch_str s = ch_str_trim(v->value);
        if (ch_str_case_eq_c(s, "yes") || ch_str_case_eq_c(s, "true"))
            in_kev = true;
        else if (ch_str_case_eq_c(s, "no") || ch_str_case_eq_c(s, "false"))
            in_kev = false;
        else
            return ch_err_setf(err, CH_E_INVALID, "kev", "kev: expected yes or no, not '%.*s'",
                               CH_STR_FMT(ch_str_sub(s, 0, 40)));
        said = true;
    }
    if (!in_kev) {
        dec->outcome = "not in KEV";
        dec->outcome_key = dec->outcome;
        dec->action = CH_ACTION_NONE;
        return CH_OK;
    }
    if (in->kev_due < 0)
        return ch_err_setf(err, CH_E_INVALID, "kev_due",
                           "a KEV due date is needed to decide under this rule");
    dec->outcome = "KEV due date";
    dec->outcome_key = dec->outcome;
    dec->action = CH_ACTION_DATE;
    /* a due date before the entry's dateAdded (KEV carried over older deadlines) is kept as is */
    dec->due = ch_time_day_start(in->kev_due) + CH_DAY_SECONDS - 1;
    return CH_OK;
}

int ch_directive_decide(const struct ch_directive *d, const struct ch_directive_inputs *in,
                        struct ch_directive_decision *ret, struct ch_err *err)
{
    struct ch_directive_decision dec = {.outcome = "no deadline",
                                        .outcome_key = "no deadline",
                                        .action = CH_ACTION_NONE,
                                        .days = -1,
                                        .forensic_triage = false,
                                        .clock_start = -1,
                                        .due = -1};
    int rc = CH_OK;
    switch (d->rule) {
    case CH_RULE_SSVC:
        rc = decide_ssvc(d, in, &dec, err);
        break;
    case CH_RULE_SEVERITY:
        rc = decide_severity(d, in, &dec, err);
        break;
    case CH_RULE_KEV_DUE_DATE:
        rc = decide_kev(in, &dec, err);
        break;
    default:
        rc = ch_err_set(err, CH_E_INTERNAL, "unknown rule kind %d", (int)d->rule);
        break;
    }
    if (rc != CH_OK)
        return rc;
    set_clock(d, in, &dec);
    *ret = dec;
    return CH_OK;
}

/* ---- output ------------------------------------------------------------ */

static const char *rule_name(enum ch_directive_rule r)
{
    switch (r) {
    case CH_RULE_SSVC:
        return "ssvc";
    case CH_RULE_KEV_DUE_DATE:
        return "kev_due_date";
    case CH_RULE_SEVERITY:
        return "severity";
    }
    return "?";
}

static const char *action_name(enum ch_directive_action a)
{
    switch (a) {
    case CH_ACTION_NONE:
        return "none";
    case CH_ACTION_DAYS:
        return "days";
    case CH_ACTION_DATE:
        return "date";
    case CH_ACTION_NEXT_UPGRADE:
        return "next_upgrade";
    }
    return "?";
}

static void jw_date(struct ch_jw *w, const char *key, int64_t t)
{
    char buf[CH_TIME_STR_MAX];
    ch_jw_key(w, key);
    if (t < 0)
        ch_jw_null(w);
    else
        ch_jw_cstr(w, ch_time_format_date(t, buf));
}

static void write_scope(const struct ch_directive *d, struct ch_jw *w)
{
    ch_jw_key(w, "scope");
    ch_jw_obj_open(w);
    ch_jw_key(w, "categories");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < CH_ORG_CATEGORY_COUNT; i++) {
        if (d->categories & (1u << i))
            ch_jw_cstr(w, category_names[i]);
    }
    ch_jw_arr_close(w);
    ch_jw_key(w, "sectors");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < d->n_sectors; i++)
        ch_jw_cstr(w, d->sectors[i]);
    ch_jw_arr_close(w);
    ch_jw_kstr(w, "internet_facing", d->internet_facing_only ? "required" : "any");
    if (d->scope_note != NULL)
        ch_jw_kstr(w, "note", d->scope_note);
    ch_jw_obj_close(w);
}

static void write_ssvc_rule(const struct ch_directive *d, struct ch_jw *w)
{
    const struct ch_ssvc_table *t = d->table;
    const struct ch_ssvc_point *op = ch_ssvc_table_outcome(t);
    ch_jw_kstr(w, "table", d->table_path);
    ch_jw_kstr(w, "table_id", ch_ssvc_table_id(t));
    ch_jw_key(w, "inputs");
    ch_jw_obj_open(w);
    for (size_t i = 0; i < d->n_inputs; i++)
        ch_jw_kstr(w, d->inputs[i].alias, ch_ssvc_table_point(t, d->inputs[i].point)->id);
    ch_jw_obj_close(w);
    ch_jw_key(w, "outcomes");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < op->n_values; i++) {
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "key", op->values[i].key);
        ch_jw_kstr(w, "name", op->values[i].name);
        ch_jw_kstr(w, "action", action_name(d->outcomes[i].action));
        if (d->outcomes[i].action == CH_ACTION_DAYS)
            ch_jw_kint(w, "days", d->outcomes[i].days);
        ch_jw_kbool(w, "forensic_triage", d->outcomes[i].forensic);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_jw_key(w, "rows");
    ch_jw_arr_open(w);
    for (size_t r = 0; r < ch_ssvc_table_n_rows(t); r++) {
        size_t vals[CH_SSVC_MAX_POINTS];
        size_t o = ch_ssvc_table_row(t, r, vals);
        ch_jw_obj_open(w);
        for (size_t i = 0; i < ch_ssvc_table_n_points(t); i++) {
            const struct ch_ssvc_point *p = ch_ssvc_table_point(t, i);
            ch_jw_kstr(w, p->name, p->values[vals[i]].name);
        }
        ch_jw_kstr(w, "outcome", op->values[o].name);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
}

void ch_directive_write_json(const struct ch_directive *d, struct ch_jw *w)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "format", FORMAT_ID);
    ch_jw_kstr(w, "id", d->id);
    ch_jw_kstr(w, "title", d->title);
    ch_jw_kstr(w, "issuer", d->issuer);
    ch_jw_kstr(w, "url", d->url);
    jw_date(w, "issued", d->issued);
    jw_date(w, "revoked", d->revoked);
    ch_jw_kstr(w, "revoked_by", d->revoked_by);
    ch_jw_key(w, "supersedes");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < d->n_supersedes; i++)
        ch_jw_cstr(w, d->supersedes[i]);
    ch_jw_arr_close(w);
    write_scope(d, w);
    ch_jw_key(w, "rule");
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "type", rule_name(d->rule));
    if (d->rule == CH_RULE_SSVC) {
        write_ssvc_rule(d, w);
    } else if (d->rule == CH_RULE_SEVERITY) {
        ch_jw_key(w, "days");
        ch_jw_obj_open(w);
        for (size_t i = SEV_COUNT; i-- > 0;) {
            if (d->severity_days[i] >= 0)
                ch_jw_kint(w, severity_names[i], d->severity_days[i]);
        }
        ch_jw_obj_close(w);
    }
    ch_jw_obj_close(w);
    ch_jw_key(w, "clock");
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "start", d->clock == CH_CLOCK_DETECTION ? "detection" : "detection_or_tier");
    ch_jw_obj_close(w);
    ch_jw_key(w, "reporting");
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "cadence", d->cadence);
    ch_jw_kstr(w, "description", d->reporting);
    ch_jw_obj_close(w);
    ch_jw_kstr(w, "notes", d->notes);
    ch_jw_obj_close(w);
}

static void describe_outcome(const struct outcome_map *o, struct ch_buf *out)
{
    if (o->action == CH_ACTION_DAYS)
        ch_buf_appendf(out, "%d days", o->days);
    else if (o->action == CH_ACTION_NEXT_UPGRADE)
        ch_buf_append_c(out, "at the next system upgrade");
    else
        ch_buf_append_c(out, "no deadline");
    if (o->forensic)
        ch_buf_append_c(out, " + forensic triage");
}

static void describe_ssvc(const struct ch_directive *d, struct ch_buf *out)
{
    const struct ch_ssvc_table *t = d->table;
    const struct ch_ssvc_point *op = ch_ssvc_table_outcome(t);
    ch_buf_appendf(out, "rule:      SSVC table %s (%s)\n", ch_ssvc_table_id(t), d->table_path);
    ch_buf_append_c(out, "inputs:   ");
    for (size_t i = 0; i < ch_ssvc_table_n_points(t); i++) {
        const struct ch_ssvc_point *p = ch_ssvc_table_point(t, i);
        ch_buf_appendf(out, " %s", p->name);
        for (size_t k = 0; k < d->n_inputs; k++) {
            if (d->inputs[k].point == i)
                ch_buf_appendf(out, " [%s]", d->inputs[k].alias);
        }
        ch_buf_append_c(out, i + 1 < ch_ssvc_table_n_points(t) ? ";" : "\n");
    }
    ch_buf_append_c(out, "outcomes:\n");
    for (size_t i = 0; i < op->n_values; i++) {
        ch_buf_appendf(out, "  %-34s ", op->values[i].name);
        describe_outcome(&d->outcomes[i], out);
        ch_buf_append_c(out, "\n");
    }
    ch_buf_append_c(out, "table:\n");
    for (size_t r = 0; r < ch_ssvc_table_n_rows(t); r++) {
        size_t vals[CH_SSVC_MAX_POINTS];
        size_t o = ch_ssvc_table_row(t, r, vals);
        ch_buf_append_c(out, " ");
        for (size_t i = 0; i < ch_ssvc_table_n_points(t); i++)
            ch_buf_appendf(out, " %-8s", ch_ssvc_table_point(t, i)->values[vals[i]].name);
        ch_buf_appendf(out, " -> %s\n", op->values[o].name);
    }
}

int ch_directive_inputs_add(struct ch_directive_inputs *in, struct ch_ssvc_input *vals, size_t max,
                            struct ch_str name, struct ch_str value, struct ch_err *err)
{
    static const char *const dates[] = {"detected", "tier", "kev_due"};
    int64_t *slots[] = {&in->detected, &in->tier_met, &in->kev_due};
    for (size_t i = 0; i < CH_ARRAY_SIZE(dates); i++) {
        if (!ch_str_case_eq_c(name, dates[i]))
            continue;
        struct ch_err perr = CH_ERR_INIT;
        int rc = ch_time_parse(value, slots[i], NULL, &perr);
        if (rc != CH_OK)
            return ch_err_setf(err, rc, dates[i], "%s: %s", dates[i], perr.msg);
        return CH_OK;
    }
    if (in->n_values >= max)
        return ch_err_setf(err, CH_E_LIMIT, "inputs", "more than %zu inputs", max);
    vals[in->n_values] = (struct ch_ssvc_input){.point = name, .value = value};
    in->values = vals;
    in->n_values++;
    return CH_OK;
}

const char *ch_directive_status_at(const struct ch_directive *d, int64_t now)
{
    if (ch_directive_in_force(d, now))
        return "in force";
    return now < ch_directive_issued(d) ? "not yet issued" : "revoked";
}

void ch_directive_write_summary_json(const struct ch_directive *d, int64_t now, struct ch_jw *w)
{
    char t1[CH_TIME_STR_MAX];
    char t2[CH_TIME_STR_MAX];
    int64_t rev = ch_directive_revoked(d);
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "id", ch_directive_id(d));
    ch_jw_kstr(w, "title", ch_directive_title(d));
    ch_jw_kstr(w, "issued", ch_time_format_date(ch_directive_issued(d), t1));
    ch_jw_kstr(w, "revoked", rev < 0 ? NULL : ch_time_format_date(rev, t2));
    ch_jw_kstr(w, "status", ch_directive_status_at(d, now));
    ch_jw_obj_close(w);
}

void ch_directive_decision_write_json(const struct ch_directive *d,
                                      const struct ch_directive_decision *dec, struct ch_jw *w)
{
    static const char *const actions[] = {"none", "days", "date", "next_upgrade"};
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "directive", ch_directive_id(d));
    ch_jw_kstr(w, "outcome", dec->outcome);
    ch_jw_kstr(w, "outcome_key", dec->outcome_key);
    ch_jw_kstr(w, "action",
               (unsigned)dec->action < CH_ARRAY_SIZE(actions) ? actions[dec->action] : "none");
    if (dec->days >= 0)
        ch_jw_kint(w, "days", dec->days);
    else
        ch_jw_kstr(w, "days", NULL);
    ch_jw_kbool(w, "forensic_triage", dec->forensic_triage);
    ch_jw_ktime(w, "clock_start", dec->clock_start);
    ch_jw_ktime(w, "due", dec->due);
    ch_jw_obj_close(w);
}

void ch_directive_describe(const struct ch_directive *d, struct ch_buf *out)
{
    char a[CH_TIME_STR_MAX];
    ch_buf_appendf(out, "%s: %s\n", d->id, d->title);
    if (d->issuer != NULL)
        ch_buf_appendf(out, "issuer:    %s\n", d->issuer);
    if (d->url != NULL)
        ch_buf_appendf(out, "url:       %s\n", d->url);
    ch_buf_appendf(out, "issued:    %s\n", ch_time_format_date(d->issued, a));
    if (d->revoked >= 0)
        ch_buf_appendf(out, "revoked:   %s%s%s\n", ch_time_format_date(d->revoked, a),
                       d->revoked_by != NULL ? " by " : "",
                       d->revoked_by != NULL ? d->revoked_by : "");
    ch_buf_append_c(out, "scope:    ");
    for (size_t i = 0; i < CH_ORG_CATEGORY_COUNT; i++) {
        if (d->categories & (1u << i))
            ch_buf_appendf(out, " %s", category_names[i]);
    }
    for (size_t i = 0; i < d->n_sectors; i++)
        ch_buf_appendf(out, "%s%s", i == 0 ? " (sectors: " : ", ", d->sectors[i]);
    ch_buf_appendf(out, "%s%s\n", d->n_sectors > 0 ? ")" : "",
                   d->internet_facing_only ? "; internet-facing systems only" : "");
    if (d->scope_note != NULL)
        ch_buf_appendf(out, "           %s\n", d->scope_note);
    ch_buf_appendf(out, "clock:     days from %s\n",
                   d->clock == CH_CLOCK_DETECTION
                       ? "first detection"
                       : "the later of first detection and the day the exposure met its tier");
    if (d->rule == CH_RULE_SSVC) {
        describe_ssvc(d, out);
    } else if (d->rule == CH_RULE_KEV_DUE_DATE) {
        ch_buf_append_c(out, "rule:      remediate by the KEV catalogue's due date\n");
    } else {
        ch_buf_append_c(out, "rule:      CVSS severity");
        for (size_t i = SEV_COUNT; i-- > 0;) {
            if (d->severity_days[i] >= 0)
                ch_buf_appendf(out, "; %s %d days", severity_names[i], d->severity_days[i]);
        }
        ch_buf_append_c(out, "\n");
    }
    ch_buf_appendf(out, "reporting: %s%s%s\n", d->cadence, d->reporting != NULL ? ": " : "",
                   d->reporting != NULL ? d->reporting : "");
    if (d->notes != NULL)
        ch_buf_appendf(out, "notes:     %s\n", d->notes);
}

/* ---- directive sets ---------------------------------------------------- */

struct ch_directive_set {
    struct ch_directive **items;
    size_t n;
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_directives(const void *a, const void *b)
{
    const struct ch_directive *x = *(struct ch_directive *const *)a;
    const struct ch_directive *y = *(struct ch_directive *const *)b;
    if (x->issued != y->issued)
        return x->issued < y->issued ? -1 : 1;
    return strcmp(x->id, y->id);
}

void ch_directive_set_free(struct ch_directive_set *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++)
        ch_directive_free(s->items[i]);
    ch_free(s->items);
    ch_free(s);
}

/* The sorted names of the "*.json" files directly in dir (owned, with their array). */
static int list_json_files(const char *dir, char ***ret, size_t *ret_n, struct ch_err *err)
{
    DIR *dh = opendir(dir);
    if (dh == NULL)
        return ch_err_set(err, CH_E_IO, "cannot open directive folder '%s': %s", dir,
                          strerror(errno));
    char **names = ch_calloc(CH_DIRECTIVE_MAX_FILES, sizeof(char *));
    size_t n = 0;
    int rc = names == NULL ? ch_err_set(err, CH_E_NOMEM, "out of memory") : CH_OK;
    struct dirent *e = NULL;
    while (rc == CH_OK && (e = readdir(dh)) != NULL) {
        struct ch_str name = ch_str_c(e->d_name);
        if (name.len == 0 || name.ptr[0] == '.' || !ch_str_ends_with(name, ".json"))
            continue;
        if (n == CH_DIRECTIVE_MAX_FILES) {
            rc = ch_err_set(err, CH_E_LIMIT, "more than %d directive files in '%s'",
                            CH_DIRECTIVE_MAX_FILES, dir);
            break;
        }
        names[n] = ch_strdup(e->d_name);
        if (names[n] == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
        else
            n++;
    }
    closedir(dh);
    if (rc != CH_OK) {
        for (size_t i = 0; i < n; i++)
            ch_free(names[i]);
        ch_free(names);
        return rc;
    }
    qsort(names, n, sizeof(char *), cmp_names);
    *ret = names;
    *ret_n = n;
    return CH_OK;
}

int ch_directive_set_load(const char *dir, struct ch_directive_set **ret, struct ch_err *err)
{
    char **names = NULL;
    size_t n = 0;
    int rc = list_json_files(dir, &names, &n, err);
    if (rc != CH_OK)
        return rc;
    struct ch_directive_set *s = ch_calloc(1, sizeof(*s));
    if (s != NULL)
        s->items = ch_calloc(n > 0 ? n : 1, sizeof(*s->items));
    if (s == NULL || s->items == NULL)
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        char path[PATH_MAX_BYTES];
        int len = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (len < 0 || (size_t)len >= sizeof(path)) {
            rc = ch_err_set(err, CH_E_LIMIT, "path of '%s' too long", names[i]);
            break;
        }
        rc = ch_directive_load(path, &s->items[s->n], err);
        if (rc == CH_OK)
            s->n++;
    }
    for (size_t i = 0; i < n; i++)
        ch_free(names[i]);
    ch_free(names);
    if (rc == CH_OK) {
        qsort(s->items, s->n, sizeof(*s->items), cmp_directives);
        for (size_t i = 0; i < s->n && rc == CH_OK; i++) {
            for (size_t k = 0; k < i; k++) {
                if (strcasecmp(s->items[i]->id, s->items[k]->id) == 0) {
                    rc = ch_err_set(err, CH_E_CONFLICT, "directive '%s' defined twice in '%s'",
                                    s->items[i]->id, dir);
                    break;
                }
            }
        }
    }
    if (rc != CH_OK) {
        ch_directive_set_free(s);
        return rc;
    }
    *ret = s;
    return CH_OK;
}

size_t ch_directive_set_count(const struct ch_directive_set *s)
{
    return s->n;
}

const struct ch_directive *ch_directive_set_get(const struct ch_directive_set *s, size_t i)
{
    CH_ASSERT(i < s->n);
    return s->items[i];
}

const struct ch_directive *ch_directive_set_find(const struct ch_directive_set *s, struct ch_str id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (ch_str_case_eq_c(id, s->items[i]->id))
            return s->items[i];
    }
    return NULL;
}
