/* SPDX-License-Identifier: Apache-2.0
 *
 * kev.c: the CISA KEV catalog into struct ch_kev_entry (see kev.h and
 * docs/formats.md; schema: known_exploited_vulnerabilities_schema.json of
 * https://github.com/cisagov/kev-data).
 *
 * The catalog is one JSON document parsed whole (it is about 1.3 MB), then
 * every element of `vulnerabilities` is checked against the schema's
 * required fields and types. Entries are independent: a bad one is reported
 * to the sink with the JSON path of the offending field and skipped. Dates
 * are calendar days ("2021-11-03") and become the start of that UTC day.
 * The catalog's own `count` is not trusted for anything.
 */
#include "vuln/kev.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"

/* The catalog is 1.3 MB for 1,404 entries (2025); 64 MiB leaves decades of growth. */
#define CH_KEV_MAX_BYTES ((size_t)64 << 20)
/* The catalog nests 4 levels. */
#define CH_KEV_MAX_DEPTH 16u
/* Longest real string is 572 bytes (a description); 64 KiB bounds one hostile value. */
#define CH_KEV_MAX_STRING ((size_t)64 << 10)
/* Entries: 1,404 today. */
#define CH_KEV_MAX_ENTRIES 1000000
/* cwes[] of one entry: 4 at most today. */
#define CH_KEV_MAX_CWES 256
/* Bad entries reported before giving up on the file. */
#define CH_KEV_MAX_REJECTS 1000

#define PATH_BYTES 96

static void entry_field(char *out, size_t i, const char *field)
{
    snprintf(out, PATH_BYTES, "vulnerabilities[%zu].%.48s", i, field);
}

static int bad(struct ch_err *err, const char *path, const char *what)
{
    return ch_err_setf(err, CH_E_INVALID, path, "field '%s': %s", path, what);
}

/* A string member copied into the arena; absent optional members give NULL. */
static int get_copy(const cJSON *e, size_t i, const char *key, bool required,
                    struct ch_arena *arena, const char **ret, struct ch_err *err)
{
    const char *s = NULL;
    char base[PATH_BYTES];
    snprintf(base, sizeof(base), "vulnerabilities[%zu]", i);
    int rc = ch_json_get_str(e, key, required, base, &s, err);
    if (rc != CH_OK)
        return rc;
    *ret = NULL;
    if (s == NULL)
        return CH_OK;
    *ret = ch_arena_strdup(arena, s);
    if (*ret == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory reading KEV entry");
    return CH_OK;
}

/* A YYYY-MM-DD day; the start of that UTC day. */
static int get_day(const char *s, size_t i, const char *key, int64_t *ret, struct ch_err *err)
{
    char p[PATH_BYTES];
    entry_field(p, i, key);
    struct ch_err terr = CH_ERR_INIT;
    int64_t t;
    if (strlen(s) != 10 || ch_time_parse(ch_str_c(s), &t, NULL, &terr) != CH_OK)
        return bad(err, p, "expected a date YYYY-MM-DD");
    if (t < 0)
        return bad(err, p, "date before 1970-01-01"); /* -1 means "absent" in the model */
    *ret = t;
    return CH_OK;
}

static int read_cwes(const cJSON *e, size_t i, struct ch_arena *arena, struct ch_kev_entry *k,
                     struct ch_err *err)
{
    char base[PATH_BYTES];
    char p[PATH_BYTES];
    snprintf(base, sizeof(base), "vulnerabilities[%zu]", i);
    entry_field(p, i, "cwes");
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(e, "cwes", false, base, &arr, err);
    if (rc != CH_OK || arr == NULL)
        return rc;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n > CH_KEV_MAX_CWES)
        return ch_err_setf(err, CH_E_LIMIT, p, "field '%s': more than %d entries", p,
                           CH_KEV_MAX_CWES);
    if (n == 0)
        return CH_OK;
    k->cwes = ch_arena_calloc(arena, n, sizeof(*k->cwes));
    if (k->cwes == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory reading KEV entry");
    size_t j = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, j++) {
        char q[PATH_BYTES];
        snprintf(q, sizeof(q), "vulnerabilities[%zu].cwes[%zu]", i, j);
        const char *s = cJSON_IsString(c) ? c->valuestring : NULL;
        size_t digits = s != NULL && strncmp(s, "CWE-", 4) == 0 ? strspn(s + 4, "0123456789") : 0;
        if (digits == 0 || s[4 + digits] != '\0' || digits > 9)
            return bad(err, q, "expected a CWE id (CWE-NNN)");
        k->cwes[k->n_cwes] = ch_arena_strdup(arena, s);
        if (k->cwes[k->n_cwes] == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory reading KEV entry");
        k->n_cwes++;
    }
    return CH_OK;
}

static int read_entry(const cJSON *e, size_t i, struct ch_arena *arena, struct ch_kev_entry *k,
                      struct ch_err *err)
{
    if (!cJSON_IsObject(e)) {
        char p[PATH_BYTES];
        snprintf(p, sizeof(p), "vulnerabilities[%zu]", i);
        return bad(err, p, "expected an object");
    }
    const char *added = NULL;
    const char *due = NULL;
    int rc = get_copy(e, i, "cveID", true, arena, &k->cve, err);
    if (rc == CH_OK && !ch_is_cve_id(k->cve)) {
        char p[PATH_BYTES];
        entry_field(p, i, "cveID");
        return bad(err, p, "expected a CVE id (CVE-YYYY-NNNN)");
    }
    if (rc == CH_OK)
        rc = get_copy(e, i, "vendorProject", true, arena, &k->vendor, err);
    if (rc == CH_OK)
        rc = get_copy(e, i, "product", true, arena, &k->product, err);
    if (rc == CH_OK)
        rc = get_copy(e, i, "vulnerabilityName", true, arena, &k->name, err);
    if (rc == CH_OK)
        rc = get_copy(e, i, "shortDescription", true, arena, &k->description, err);
    if (rc == CH_OK)
        rc = get_copy(e, i, "requiredAction", true, arena, &k->required_action, err);
    if (rc == CH_OK)
        rc = get_copy(e, i, "dateAdded", true, arena, &added, err);
    if (rc == CH_OK)
        rc = get_copy(e, i, "dueDate", true, arena, &due, err);
    if (rc == CH_OK)
        rc = get_copy(e, i, "knownRansomwareCampaignUse", false, arena, &k->ransomware, err);
    if (rc == CH_OK)
        rc = get_copy(e, i, "notes", false, arena, &k->notes, err);
    if (rc == CH_OK)
        rc = get_day(added, i, "dateAdded", &k->date_added, err);
    if (rc == CH_OK)
        rc = get_day(due, i, "dueDate", &k->due_date, err);
    if (rc == CH_OK)
        rc = read_cwes(e, i, arena, k, err);
    return rc;
}

static int read_catalog(const cJSON *root, const cJSON **ret_vulns, struct ch_err *err)
{
    if (!cJSON_IsObject(root))
        return ch_err_setf(err, CH_E_INVALID, "$", "field '$': expected an object");
    const char *version = NULL;
    const char *released = NULL;
    int rc = ch_json_get_str(root, "catalogVersion", false, "", &version, err);
    if (rc == CH_OK)
        rc = ch_json_get_str(root, "dateReleased", false, "", &released, err);
    if (rc == CH_OK && released != NULL) {
        struct ch_err terr = CH_ERR_INIT;
        int64_t t;
        if (ch_time_parse(ch_str_c(released), &t, NULL, &terr) != CH_OK)
            return bad(err, "dateReleased", terr.msg);
    }
    if (rc == CH_OK)
        rc = ch_json_get_arr(root, "vulnerabilities", true, "", ret_vulns, err);
    if (rc == CH_OK && cJSON_GetArraySize(*ret_vulns) > CH_KEV_MAX_ENTRIES)
        return ch_err_setf(err, CH_E_LIMIT, "vulnerabilities",
                           "field 'vulnerabilities': more than %d entries", CH_KEV_MAX_ENTRIES);
    return rc;
}

static int deliver(const cJSON *vulns, const char *source, struct ch_arena *arena,
                   const struct ch_vuln_sink *sink, struct ch_err *err)
{
    int delivered = 0;
    size_t rejects = 0;
    size_t i = 0;
    for (const cJSON *e = vulns->child; e != NULL; e = e->next, i++) {
        struct ch_kev_entry k = {.date_added = -1, .due_date = -1};
        struct ch_err eerr = CH_ERR_INIT;
        int rc = read_entry(e, i, arena, &k, &eerr);
        if (rc == CH_E_NOMEM) {
            ch_err_copy(err, &eerr);
            return rc;
        }
        if (rc != CH_OK) {
            if (++rejects > CH_KEV_MAX_REJECTS)
                return ch_err_set(err, CH_E_LIMIT, "%s: more than %d bad entries", source,
                                  CH_KEV_MAX_REJECTS);
            rc = sink->reject != NULL ? sink->reject(sink->ctx, source, eerr.field, eerr.msg, err)
                                      : CH_OK;
        } else {
            rc = sink->kev != NULL ? sink->kev(sink->ctx, &k, err) : CH_OK;
            delivered++;
        }
        if (rc != CH_OK)
            return rc;
    }
    return delivered;
}

int ch_kev_read(const char *data, size_t len, const char *source_name, struct ch_arena *arena,
                const struct ch_vuln_sink *sink, struct ch_err *err)
{
    const char *source = source_name != NULL ? source_name : "input";
    const struct ch_json_limits limits = {
        .max_bytes = CH_KEV_MAX_BYTES,
        .max_depth = CH_KEV_MAX_DEPTH,
        .max_string = CH_KEV_MAX_STRING,
    };
    cJSON *root = NULL;
    int rc = ch_json_parse(data, len, &limits, source, &root, err);
    if (rc != CH_OK)
        return rc;
    const cJSON *vulns = NULL;
    rc = read_catalog(root, &vulns, err);
    if (rc != CH_OK)
        ch_err_prefix(err, "%s", source);
    else
        rc = deliver(vulns, source, arena, sink, err);
    cJSON_Delete(root);
    return rc;
}
