/* SPDX-License-Identifier: Apache-2.0
 *
 * publish.c: OSV and CSAF documents of a published case, the CSAF provider
 * metadata and the ROLIE feed (see publish.h).
 */
#include "disclose/publish.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "core/clock.h"
#include "disclose/internal.h"

#define DEFAULT_PUBLISHER "Clearinghouse"
#define OSV_SCHEMA_VERSION "1.6.0"
#define CSAF_SCHEMA_URL "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
/* Product ids of the product tree: the affected range and the fixed version. */
#define PID_AFFECTED "CSAFPID-0001"
#define PID_FIXED "CSAFPID-0002"

/*
 * Names as the CWE catalogue spells them (CSAF mandatory test 6.1.11 checks
 * id and name together). A CWE not listed here is named in a note instead.
 */
static const struct {
    unsigned id;
    const char *name;
} cwe_names[] = {
    {20, "Improper Input Validation"},
    {22, "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')"},
    {78, "Improper Neutralization of Special Elements used in an OS Command ('OS Command "
         "Injection')"},
    {79, "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')"},
    {89, "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')"},
    {119, "Improper Restriction of Operations within the Bounds of a Memory Buffer"},
    {120, "Buffer Copy without Checking Size of Input ('Classic Buffer Overflow')"},
    {121, "Stack-based Buffer Overflow"},
    {122, "Heap-based Buffer Overflow"},
    {125, "Out-of-bounds Read"},
    {134, "Use of Externally-Controlled Format String"},
    {190, "Integer Overflow or Wraparound"},
    {191, "Integer Underflow (Wrap or Wraparound)"},
    {369, "Divide By Zero"},
    {400, "Uncontrolled Resource Consumption"},
    {401, "Missing Release of Memory after Effective Lifetime"},
    {415, "Double Free"},
    {416, "Use After Free"},
    {457, "Use of Uninitialized Variable"},
    {476, "NULL Pointer Dereference"},
    {617, "Reachable Assertion"},
    {674, "Uncontrolled Recursion"},
    {704, "Incorrect Type Conversion or Cast"},
    {770, "Allocation of Resources Without Limits or Throttling"},
    {787, "Out-of-bounds Write"},
    {824, "Access of Uninitialized Pointer"},
    {835, "Loop with Unreachable Exit Condition ('Infinite Loop')"},
    {843, "Access of Resource Using Incompatible Type ('Type Confusion')"},
    {908, "Use of Uninitialized Resource"},
};

const char *ch_disclose_cwe_name(const char *cwe)
{
    if (cwe == NULL || strncmp(cwe, "CWE-", 4) != 0)
        return NULL;
    unsigned n = 0;
    const char *p = cwe + 4;
    if (*p == '\0')
        return NULL;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || n > 100000)
            return NULL;
        n = n * 10 + (unsigned)(*p - '0');
    }
    for (size_t i = 0; i < CH_ARRAY_SIZE(cwe_names); i++)
        if (cwe_names[i].id == n)
            return cwe_names[i].name;
    return NULL;
}

static const char *base_url(const struct ch_disclose_publisher *p)
{
    return p != NULL && p->base_url != NULL && p->base_url[0] ? p->base_url
                                                              : CH_DISCLOSE_DEFAULT_BASE_URL;
}

static const char *pub_name(const struct ch_disclose_publisher *p)
{
    return p != NULL && p->name != NULL && p->name[0] ? p->name : DEFAULT_PUBLISHER;
}

static const char *pub_namespace(const struct ch_disclose_publisher *p)
{
    return p != NULL && p->namespace_url != NULL && p->namespace_url[0] ? p->namespace_url
                                                                        : base_url(p);
}

void ch_disclose_csaf_path(const char *id, int64_t published, char out[CH_DISCLOSE_PATH_MAX])
{
    int64_t y = 0;
    unsigned m = 0;
    unsigned d = 0;
    ch_civil_from_days(published / CH_DAY_SECONDS, &y, &m, &d);
    /* CSAF 2.0 §5.1: lowercase the id, and replace runs of other characters with '_' */
    char name[64];
    size_t n = 0;
    bool under = false;
    for (const char *c = id; *c != '\0' && n < sizeof(name) - 1; c++) {
        char ch = *c;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '-';
        if (!keep) {
            if (!under)
                name[n++] = '_';
            under = true;
            continue;
        }
        under = false;
        name[n++] = ch;
    }
    name[n] = '\0';
    snprintf(out, CH_DISCLOSE_PATH_MAX, "white/%04lld/%s.json", (long long)y, name);
}

static void doc_url(const struct ch_disclose_publisher *p, const char *path, struct ch_buf *out)
{
    ch_buf_reset(out);
    ch_buf_appendf(out, "%s%s%s", base_url(p), CH_DISCLOSE_CSAF_DIR, path);
}

/* ---- OSV ------------------------------------------------------------------------------- */

int ch_disclose_osv_json(const struct ch_disclose_advisory *a,
                         const struct ch_disclose_publisher *p, struct ch_buf *out,
                         struct ch_err *err)
{
    char t[CH_TIME_STR_MAX];
    char path[CH_DISCLOSE_PATH_MAX];
    ch_disclose_csaf_path(a->id, a->published, path);
    struct ch_buf url;
    ch_buf_init(&url, 4096);
    doc_url(p, path, &url);
    ch_buf_reset(out);
    struct ch_jw w;
    ch_jw_init(&w, out, 1);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "schema_version", OSV_SCHEMA_VERSION);
    char id[160];
    snprintf(id, sizeof(id), "%s%s", CH_DISCLOSE_OSV_PREFIX, a->id);
    ch_jw_kstr(&w, "id", id);
    ch_jw_kstr(&w, "modified", ch_time_format(a->modified, t));
    ch_jw_kstr(&w, "published", ch_time_format(a->published, t));
    ch_jw_key(&w, "aliases");
    ch_jw_arr_open(&w);
    ch_jw_cstr(&w, a->id);
    for (size_t i = 0; i < a->n_aliases; i++)
        ch_jw_cstr(&w, a->aliases[i]);
    ch_jw_arr_close(&w);
    ch_jw_kstr(&w, "summary", a->title);
    ch_jw_kstr(&w, "details", a->description);
    ch_jw_key(&w, "affected");
    ch_jw_arr_open(&w);
    ch_jw_obj_open(&w);
    if (a->ecosystem != NULL) {
        ch_jw_key(&w, "package");
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "ecosystem", a->ecosystem);
        ch_jw_kstr(&w, "name", a->component);
        ch_jw_obj_close(&w);
    }
    ch_jw_key(&w, "ranges");
    ch_jw_arr_open(&w);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "type", "ECOSYSTEM");
    ch_jw_key(&w, "events");
    ch_jw_arr_open(&w);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "introduced", a->introduced != NULL ? a->introduced : "0");
    ch_jw_obj_close(&w);
    if (a->fixed != NULL) {
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "fixed", a->fixed);
        ch_jw_obj_close(&w);
    }
    ch_jw_arr_close(&w);
    ch_jw_obj_close(&w);
    ch_jw_arr_close(&w);
    ch_jw_key(&w, "database_specific");
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "component", a->component);
    ch_jw_kstr(&w, "vendor", a->vendor != NULL ? a->vendor : a->component);
    ch_jw_obj_close(&w);
    ch_jw_obj_close(&w);
    ch_jw_arr_close(&w);
    ch_jw_key(&w, "references");
    ch_jw_arr_open(&w);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "type", "ADVISORY");
    ch_jw_kstr(&w, "url", ch_buf_cstr(&url));
    ch_jw_obj_close(&w);
    ch_jw_arr_close(&w);
    if (a->credit != NULL) {
        ch_jw_key(&w, "credits");
        ch_jw_arr_open(&w);
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "name", a->credit);
        ch_jw_kstr(&w, "type", "FINDER");
        ch_jw_obj_close(&w);
        ch_jw_arr_close(&w);
    }
    ch_jw_key(&w, "database_specific");
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "source", pub_name(p));
    ch_jw_key(&w, "cwe_ids");
    ch_jw_arr_open(&w);
    ch_jw_cstr(&w, a->cwe);
    ch_jw_arr_close(&w);
    if (a->crash_class != NULL)
        ch_jw_kstr(&w, "crash_class", a->crash_class);
    if (a->signature != NULL)
        ch_jw_kstr(&w, "crash_signature", a->signature);
    ch_jw_kbool(&w, "exploited", a->exploited);
    ch_jw_kstr(&w, "csaf", ch_buf_cstr(&url));
    ch_jw_obj_close(&w);
    ch_jw_obj_close(&w);
    int rc = ch_buf_status(&url, "advisory URL", err);
    ch_buf_release(&url);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, err);
}

/* ---- CSAF ------------------------------------------------------------------------------ */

static void kv_obj(struct ch_jw *w, const char *k1, const char *v1, const char *k2, const char *v2)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, k1, v1);
    if (k2 != NULL)
        ch_jw_kstr(w, k2, v2);
    ch_jw_obj_close(w);
}

static void note(struct ch_jw *w, const char *category, const char *title, const char *text)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "category", category);
    ch_jw_kstr(w, "text", text);
    ch_jw_kstr(w, "title", title);
    ch_jw_obj_close(w);
}

static void publisher(struct ch_jw *w, const struct ch_disclose_publisher *p)
{
    ch_jw_key(w, "publisher");
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "category", "coordinator");
    if (p != NULL && p->contact_details != NULL)
        ch_jw_kstr(w, "contact_details", p->contact_details);
    if (p != NULL && p->issuing_authority != NULL)
        ch_jw_kstr(w, "issuing_authority", p->issuing_authority);
    ch_jw_kstr(w, "name", pub_name(p));
    ch_jw_kstr(w, "namespace", pub_namespace(p));
    ch_jw_obj_close(w);
}

/* A product leaf: {"category", "name", "product": {"name", "product_id"}}. */
static void leaf(struct ch_jw *w, const char *category, const char *name, const char *full,
                 const char *pid)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "category", category);
    ch_jw_kstr(w, "name", name);
    ch_jw_key(w, "product");
    kv_obj(w, "name", full, "product_id", pid);
    ch_jw_obj_close(w);
}

static void product_tree(struct ch_jw *w, const struct ch_disclose_advisory *a, struct ch_buf *tmp)
{
    const char *vendor = a->vendor != NULL ? a->vendor : a->component;
    bool from_zero = a->introduced == NULL || strcmp(a->introduced, "0") == 0;
    /* vers (https://github.com/package-url/purl-spec VERSION-RANGE-SPEC) of the affected range */
    struct ch_buf range;
    ch_buf_init(&range, 1024);
    ch_buf_append_c(&range, "vers:generic/");
    if (!from_zero)
        ch_buf_appendf(&range, ">=%s", a->introduced);
    if (a->fixed != NULL)
        ch_buf_appendf(&range, "%s<%s", from_zero ? "" : "|", a->fixed);
    if (from_zero && a->fixed == NULL)
        ch_buf_append_c(&range, "*");
    ch_jw_key(w, "product_tree");
    ch_jw_obj_open(w);
    ch_jw_key(w, "branches");
    ch_jw_arr_open(w);
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "category", "vendor");
    ch_jw_kstr(w, "name", vendor);
    ch_jw_key(w, "branches");
    ch_jw_arr_open(w);
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "category", "product_name");
    ch_jw_kstr(w, "name", a->component);
    ch_jw_key(w, "branches");
    ch_jw_arr_open(w);
    ch_buf_reset(tmp);
    ch_buf_appendf(tmp, "%s %s %s", vendor, a->component, ch_buf_cstr(&range));
    leaf(w, "product_version_range", ch_buf_cstr(&range), ch_buf_cstr(tmp), PID_AFFECTED);
    if (a->fixed != NULL) {
        ch_buf_reset(tmp);
        ch_buf_appendf(tmp, "%s %s %s", vendor, a->component, a->fixed);
        leaf(w, "product_version", a->fixed, ch_buf_cstr(tmp), PID_FIXED);
    }
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_buf_release(&range);
}

static void pid_list(struct ch_jw *w, const char *key, const char *pid)
{
    ch_jw_key(w, key);
    ch_jw_arr_open(w);
    ch_jw_cstr(w, pid);
    ch_jw_arr_close(w);
}

static const char *first_cve(const struct ch_disclose_advisory *a)
{
    for (size_t i = 0; i < a->n_aliases; i++)
        if (strncmp(a->aliases[i], "CVE-", 4) == 0)
            return a->aliases[i];
    return NULL;
}

static void vulnerability(struct ch_jw *w, const struct ch_disclose_advisory *a, const char *t_pub,
                          const char *t_disc, struct ch_buf *tmp)
{
    ch_jw_key(w, "vulnerabilities");
    ch_jw_arr_open(w);
    ch_jw_obj_open(w);
    if (a->credit != NULL) {
        ch_jw_key(w, "acknowledgments");
        ch_jw_arr_open(w);
        ch_jw_obj_open(w);
        ch_jw_key(w, "organization");
        ch_jw_cstr(w, a->credit);
        ch_jw_kstr(w, "summary", "found and reported the vulnerability");
        ch_jw_obj_close(w);
        ch_jw_arr_close(w);
    }
    const char *cve = first_cve(a);
    if (cve != NULL)
        ch_jw_kstr(w, "cve", cve);
    const char *cwe_name = ch_disclose_cwe_name(a->cwe);
    if (cwe_name != NULL) {
        ch_jw_key(w, "cwe");
        kv_obj(w, "id", a->cwe, "name", cwe_name);
    }
    ch_jw_kstr(w, "discovery_date", t_disc);
    ch_jw_key(w, "ids");
    ch_jw_arr_open(w);
    kv_obj(w, "system_name", pub_name(NULL), "text", a->id);
    for (size_t i = 0; i < a->n_aliases; i++) {
        if (a->aliases[i] == cve)
            continue;
        kv_obj(w, "system_name", strncmp(a->aliases[i], "GHSA-", 5) == 0 ? "GitHub" : "alias",
               "text", a->aliases[i]);
    }
    ch_jw_arr_close(w);
    ch_jw_key(w, "notes");
    ch_jw_arr_open(w);
    note(w, "description", "Description", a->description);
    ch_buf_reset(tmp);
    ch_buf_appendf(tmp, "Weakness: %s%s%s%s.", a->cwe, cwe_name != NULL ? " (" : "",
                   cwe_name != NULL ? cwe_name : "", cwe_name != NULL ? ")" : "");
    if (a->crash_class != NULL)
        ch_buf_appendf(tmp, " Reproduced by the clearinghouse in a sandbox: %s", a->crash_class);
    if (a->signature != NULL)
        ch_buf_appendf(tmp, ", crash signature %s", a->signature);
    if (a->crash_class != NULL)
        ch_buf_append_c(tmp, ".");
    if (a->exploited)
        ch_buf_append_c(tmp, " Exploited in the wild.");
    note(w, "details", "Validation", ch_buf_cstr(tmp));
    ch_jw_arr_close(w);
    ch_jw_key(w, "product_status");
    ch_jw_obj_open(w);
    if (a->fixed != NULL)
        pid_list(w, "fixed", PID_FIXED);
    pid_list(w, "known_affected", PID_AFFECTED);
    ch_jw_obj_close(w);
    ch_jw_kstr(w, "release_date", t_pub);
    ch_jw_key(w, "remediations");
    ch_jw_arr_open(w);
    ch_jw_obj_open(w);
    ch_buf_reset(tmp);
    if (a->fixed != NULL) {
        ch_jw_kstr(w, "category", "vendor_fix");
        ch_buf_appendf(tmp, "Update %s to version %s or later.", a->component, a->fixed);
    } else {
        ch_jw_kstr(w, "category", "none_available");
        ch_buf_appendf(tmp, "No fixed version of %s is available yet.", a->component);
    }
    ch_jw_kstr(w, "details", ch_buf_cstr(tmp));
    pid_list(w, "product_ids", PID_AFFECTED);
    ch_jw_obj_close(w);
    ch_jw_arr_close(w);
    if (a->exploited) {
        ch_jw_key(w, "threats");
        ch_jw_arr_open(w);
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "category", "exploit_status");
        ch_jw_kstr(w, "details", "Exploited in the wild.");
        pid_list(w, "product_ids", PID_AFFECTED);
        ch_jw_obj_close(w);
        ch_jw_arr_close(w);
    }
    ch_jw_kstr(w, "title", a->title);
    ch_jw_obj_close(w);
    ch_jw_arr_close(w);
}

int ch_disclose_csaf_json(const struct ch_disclose_advisory *a,
                          const struct ch_disclose_publisher *p, struct ch_buf *out,
                          struct ch_err *err)
{
    char t_pub[CH_TIME_STR_MAX];
    char t_mod[CH_TIME_STR_MAX];
    char t_disc[CH_TIME_STR_MAX];
    ch_time_format(a->published, t_pub);
    ch_time_format(a->modified, t_mod);
    ch_time_format(a->discovered, t_disc);
    char path[CH_DISCLOSE_PATH_MAX];
    ch_disclose_csaf_path(a->id, a->published, path);
    struct ch_buf tmp;
    ch_buf_init(&tmp, (size_t)1 << 20);
    ch_buf_reset(out);
    struct ch_jw w;
    ch_jw_init(&w, out, 1);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "document");
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "category", "csaf_security_advisory");
    ch_jw_kstr(&w, "csaf_version", "2.0");
    ch_jw_key(&w, "distribution");
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "tlp");
    kv_obj(&w, "label", "WHITE", "url", "https://www.first.org/tlp/");
    ch_jw_obj_close(&w);
    ch_jw_kstr(&w, "lang", "en");
    ch_jw_key(&w, "notes");
    ch_jw_arr_open(&w);
    note(&w, "summary", "Summary", a->title);
    ch_jw_arr_close(&w);
    publisher(&w, p);
    ch_jw_key(&w, "references");
    ch_jw_arr_open(&w);
    doc_url(p, path, &tmp);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "category", "self");
    ch_jw_kstr(&w, "summary", "This advisory (CSAF)");
    ch_jw_kstr(&w, "url", ch_buf_cstr(&tmp));
    ch_jw_obj_close(&w);
    ch_buf_reset(&tmp);
    ch_buf_appendf(&tmp, "%s/v1/vulns/%s%s", base_url(p), CH_DISCLOSE_OSV_PREFIX, a->id);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "category", "external");
    ch_jw_kstr(&w, "summary", "This advisory (OSV)");
    ch_jw_kstr(&w, "url", ch_buf_cstr(&tmp));
    ch_jw_obj_close(&w);
    ch_jw_arr_close(&w);
    ch_jw_kstr(&w, "title", a->title);
    ch_jw_key(&w, "tracking");
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "current_release_date", t_mod);
    ch_jw_key(&w, "generator");
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "date", t_mod);
    ch_jw_key(&w, "engine");
    kv_obj(&w, "name", "clearinghouse", "version", CH_VERSION);
    ch_jw_obj_close(&w);
    ch_jw_kstr(&w, "id", a->id);
    ch_jw_kstr(&w, "initial_release_date", t_pub);
    ch_jw_key(&w, "revision_history");
    ch_jw_arr_open(&w);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "date", t_pub);
    ch_jw_kstr(&w, "number", "1");
    ch_jw_kstr(&w, "summary", "Initial publication.");
    ch_jw_obj_close(&w);
    ch_jw_arr_close(&w);
    ch_jw_kstr(&w, "status", "final");
    ch_jw_kstr(&w, "version", "1");
    ch_jw_obj_close(&w);
    ch_jw_obj_close(&w);
    product_tree(&w, a, &tmp);
    vulnerability(&w, a, t_pub, t_disc, &tmp);
    ch_jw_obj_close(&w);
    int rc = ch_buf_status(&tmp, "CSAF document", err);
    ch_buf_release(&tmp);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, err);
}

/* ---- provider metadata and feed -------------------------------------------------------- */

static int last_update(struct ch_store *s, int64_t dflt, int64_t *ret, struct ch_err *err)
{
    return ch_store_query_int(s, "SELECT MAX(updated_at) FROM published_advisories", NULL, dflt,
                              ret, err);
}

int ch_disclose_provider_metadata_json(struct ch_store *s, const struct ch_disclose_publisher *p,
                                       int64_t now, struct ch_jw *w, struct ch_err *err)
{
    int64_t updated = now;
    int rc = last_update(s, now, &updated, err);
    if (rc != CH_OK)
        return rc;
    if (updated <= 0)
        updated = now;
    char t[CH_TIME_STR_MAX];
    struct ch_buf url;
    ch_buf_init(&url, 4096);
    ch_jw_obj_open(w);
    ch_buf_appendf(&url, "%s%s", base_url(p), CH_DISCLOSE_METADATA_PATH);
    ch_jw_kstr(w, "canonical_url", ch_buf_cstr(&url));
    ch_jw_key(w, "distributions");
    ch_jw_arr_open(w);
    ch_jw_obj_open(w);
    ch_jw_key(w, "rolie");
    ch_jw_obj_open(w);
    ch_jw_key(w, "feeds");
    ch_jw_arr_open(w);
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "summary", "Advisories published by the clearinghouse (TLP:WHITE)");
    ch_jw_kstr(w, "tlp_label", "WHITE");
    ch_buf_reset(&url);
    ch_buf_appendf(&url, "%s%s", base_url(p), CH_DISCLOSE_FEED_PATH);
    ch_jw_kstr(w, "url", ch_buf_cstr(&url));
    ch_jw_obj_close(w);
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_jw_obj_close(w);
    ch_jw_arr_close(w);
    ch_jw_kstr(w, "last_updated", ch_time_format(updated, t));
    ch_jw_kbool(w, "list_on_CSAF_aggregators", true);
    ch_jw_kstr(w, "metadata_version", "2.0");
    ch_jw_kbool(w, "mirror_on_CSAF_aggregators", true);
    /* Documents are not OpenPGP-signed: the clearinghouse signs with Ed25519 (docs/disclosure.md).
     */
    ch_jw_key(w, "public_openpgp_keys");
    ch_jw_arr_open(w);
    ch_jw_arr_close(w);
    publisher(w, p);
    ch_jw_kstr(w, "role", "csaf_provider");
    ch_jw_obj_close(w);
    rc = ch_buf_status(&url, "provider metadata", err);
    ch_buf_release(&url);
    return rc;
}

int ch_disclose_rolie_feed_json(struct ch_store *s, const struct ch_disclose_publisher *p,
                                int64_t now, struct ch_jw *w, struct ch_err *err)
{
    int64_t updated = now;
    int rc = last_update(s, now, &updated, err);
    if (rc != CH_OK)
        return rc;
    if (updated <= 0)
        updated = now;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "SELECT vuln_key, title, csaf_path, published_at, updated_at"
                       " FROM published_advisories ORDER BY published_at DESC, id DESC"
                       " LIMIT " CH_STRINGIFY(CH_DISCLOSE_FEED_MAX),
                       &st, err);
    if (rc != CH_OK)
        return rc;
    char t[CH_TIME_STR_MAX];
    struct ch_buf url;
    ch_buf_init(&url, 4096);
    ch_jw_obj_open(w);
    ch_jw_key(w, "feed");
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "id", "csaf-feed-tlp-white");
    ch_buf_appendf(&url, "%s CSAF feed (TLP:WHITE)", pub_name(p));
    ch_jw_kstr(w, "title", ch_buf_cstr(&url));
    ch_jw_key(w, "link");
    ch_jw_arr_open(w);
    ch_buf_reset(&url);
    ch_buf_appendf(&url, "%s%s", base_url(p), CH_DISCLOSE_FEED_PATH);
    kv_obj(w, "rel", "self", "href", ch_buf_cstr(&url));
    ch_jw_arr_close(w);
    ch_jw_key(w, "category");
    ch_jw_arr_open(w);
    kv_obj(w, "scheme", "urn:ietf:params:rolie:category:information-type", "term", "csaf");
    ch_jw_arr_close(w);
    ch_jw_kstr(w, "updated", ch_time_format(updated, t));
    ch_jw_key(w, "entry");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        doc_url(p, ch_stmt_cstr(st, 2), &url);
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "id", ch_stmt_cstr(st, 0));
        ch_jw_kstr(w, "title", ch_stmt_cstr(st, 1));
        ch_jw_key(w, "link");
        ch_jw_arr_open(w);
        kv_obj(w, "rel", "self", "href", ch_buf_cstr(&url));
        ch_jw_arr_close(w);
        ch_jw_kstr(w, "published", ch_time_format(ch_stmt_int(st, 3), t));
        ch_jw_kstr(w, "updated", ch_time_format(ch_stmt_int(st, 4), t));
        ch_jw_key(w, "content");
        kv_obj(w, "type", "application/json", "src", ch_buf_cstr(&url));
        ch_jw_key(w, "format");
        kv_obj(w, "schema", CSAF_SCHEMA_URL, "version", "2.0");
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_jw_obj_close(w);
    if (rc > 0)
        rc = CH_OK;
    int brc = ch_buf_status(&url, "ROLIE feed", err);
    ch_buf_release(&url);
    return rc < 0 ? rc : brc;
}

int ch_disclose_csaf_get(struct ch_store *s, const char *path, struct ch_buf *out,
                         int64_t *ret_updated, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s, "SELECT csaf, updated_at FROM published_advisories WHERE csaf_path = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, path);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no CSAF document '%s'", path);
    if (rc < 0)
        return rc;
    struct ch_str doc = ch_stmt_text(st, 0);
    ch_buf_reset(out);
    ch_buf_append(out, doc.ptr, doc.len);
    if (ret_updated != NULL)
        *ret_updated = ch_stmt_int(st, 1);
    ch_stmt_reset(st);
    return ch_buf_status(out, "CSAF document", err);
}
