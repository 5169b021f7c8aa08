/* SPDX-License-Identifier: Apache-2.0
 *
 * test_range.c: OSV range evaluation and CVE JSON 5 version status
 * (src/version/range.h): the schema's own examples, the corner cases of
 * event order, limits and versions[] lists, and a self-consistency check
 * over the shared OSV data: every version that a record lists in
 * affected[].versions must also be judged affected by its ranges.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/alloc.h"
#include "core/archive.h"
#include "core/json.h"
#include "version/range.h"
#include "version/version.h"

static const struct ch_version_scheme *scheme(const char *name)
{
    const struct ch_version_scheme *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_version_scheme_by_name(ch_str_c(name), &s, &err), CH_OK);
    return s;
}

#define EV(k, v)                                                                                   \
    {                                                                                              \
        .kind = CH_OSV_##k, .version = CH_STR_LIT(v)                                               \
    }

static bool includes(const struct ch_osv_event *ev, size_t n, const char *sch, const char *v)
{
    struct ch_osv_range r = {.type = CH_OSV_RANGE_ECOSYSTEM, .events = ev, .n_events = n};
    struct ch_err err = CH_ERR_INIT;
    bool in = false;
    if (ch_osv_range_includes(&r, scheme(sch), ch_str_c(v), &in, &err) != CH_OK)
        fail_msg("'%s': %s", v, err.msg);
    return in;
}

static void test_osv_schema_examples(void **state)
{
    (void)state;
    static const struct ch_osv_event all[] = {EV(INTRODUCED, "0")};
    assert_true(includes(all, 1, "semver", "0.0.0"));
    assert_true(includes(all, 1, "semver", "99.0.0"));

    static const struct ch_osv_event fixed[] = {EV(INTRODUCED, "0"), EV(FIXED, "1.0.2")};
    assert_true(includes(fixed, 2, "semver", "1.0.1"));
    assert_true(includes(fixed, 2, "semver", "1.0.2-rc.1"));
    assert_false(includes(fixed, 2, "semver", "1.0.2"));
    assert_false(includes(fixed, 2, "semver", "2.0.0"));

    static const struct ch_osv_event multi[] = {EV(INTRODUCED, "1.0.0"), EV(FIXED, "1.0.2"),
                                                EV(INTRODUCED, "3.0.0"), EV(FIXED, "3.2.5")};
    static const struct {
        const char *v;
        bool in;
    } m[] = {{"0.9.0", false}, {"1.0.0", true}, {"1.0.1", true}, {"1.0.2", false},
             {"2.0.0", false}, {"3.0.0", true}, {"3.2.4", true}, {"3.2.5", false}};
    for (size_t i = 0; i < CH_ARRAY_SIZE(m); i++)
        assert_int_equal(includes(multi, 4, "semver", m[i].v), m[i].in);

    /* the same events unsorted give the same answers */
    static const struct ch_osv_event shuffled[] = {EV(FIXED, "3.2.5"), EV(INTRODUCED, "1.0.0"),
                                                   EV(INTRODUCED, "3.0.0"), EV(FIXED, "1.0.2")};
    for (size_t i = 0; i < CH_ARRAY_SIZE(m); i++)
        assert_int_equal(includes(shuffled, 4, "semver", m[i].v), m[i].in);

    static const struct ch_osv_event last[] = {EV(INTRODUCED, "1.0.0"), EV(LAST_AFFECTED, "1.5.0")};
    assert_false(includes(last, 2, "semver", "0.1.0"));
    assert_true(includes(last, 2, "semver", "1.5.0"));
    assert_false(includes(last, 2, "semver", "1.5.1-alpha"));
}

static void test_osv_limits_and_ties(void **state)
{
    (void)state;
    static const struct ch_osv_event lim[] = {EV(INTRODUCED, "0"), EV(LIMIT, "2.0.0"),
                                              EV(LIMIT, "1.5.0")};
    assert_true(includes(lim, 3, "semver", "1.9.0"));
    assert_false(includes(lim, 3, "semver", "2.0.0"));
    static const struct ch_osv_event star[] = {EV(INTRODUCED, "1.0.0"), EV(LIMIT, "*")};
    assert_true(includes(star, 2, "semver", "9.0.0"));

    /* adjacent ranges: the record's order decides between equal versions */
    static const struct ch_osv_event adjacent[] = {EV(INTRODUCED, "0"), EV(FIXED, "1.0"),
                                                   EV(INTRODUCED, "1.0"), EV(FIXED, "2.0")};
    assert_true(includes(adjacent, 4, "pep440", "0.5"));
    assert_true(includes(adjacent, 4, "pep440", "1.0"));
    assert_true(includes(adjacent, 4, "pep440", "1.5"));
    assert_false(includes(adjacent, 4, "pep440", "2.0"));
    static const struct ch_osv_event empty[] = {EV(INTRODUCED, "1.0"), EV(FIXED, "1.0")};
    assert_false(includes(empty, 2, "pep440", "1.0"));
    assert_false(includes(empty, 2, "pep440", "3.0"));

    /* ecosystem equality, not string equality: 1.0.0 == 1.0 in PEP 440 */
    static const struct ch_osv_event py[] = {EV(INTRODUCED, "1.0.0"), EV(FIXED, "1.2")};
    assert_true(includes(py, 2, "pep440", "1.0"));
    assert_false(includes(py, 2, "pep440", "1.2.0"));
    assert_true(includes(py, 2, "pep440", "1.2rc1"));

    /* dpkg epochs and tildes */
    static const struct ch_osv_event deb[] = {EV(INTRODUCED, "0"), EV(FIXED, "1:2.4-1")};
    assert_true(includes(deb, 2, "dpkg", "2.9-1"));
    assert_true(includes(deb, 2, "dpkg", "1:2.4-1~deb12u1"));
    assert_false(includes(deb, 2, "dpkg", "1:2.4-1"));
}

static void test_osv_affected_entry(void **state)
{
    (void)state;
    static const struct ch_osv_event git_ev[] = {EV(INTRODUCED, "0"), EV(FIXED, "a1b2c3d4e5f6")};
    static const struct ch_osv_event eco_ev[] = {EV(INTRODUCED, "2.0"), EV(FIXED, "2.3")};
    const struct ch_osv_range ranges[] = {
        {.type = CH_OSV_RANGE_GIT, .events = git_ev, .n_events = 2},
        {.type = CH_OSV_RANGE_ECOSYSTEM, .events = eco_ev, .n_events = 2},
    };
    const struct ch_str versions[] = {CH_STR_LIT("1.4"), CH_STR_LIT("not-a-version")};
    struct ch_osv_affected a = {.scheme = scheme("pep440"),
                                .ranges = ranges,
                                .n_ranges = 2,
                                .versions = versions,
                                .n_versions = 2};
    static const struct {
        const char *v;
        bool in;
    } cases[] = {{"1.4", true},  {"1.4.0", true}, {"not-a-version", true},
                 {"1.5", false}, {"2.1", true},   {"2.3", false},
                 {"0", false}};
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        struct ch_err err = CH_ERR_INIT;
        bool in = !cases[i].in;
        if (ch_osv_is_affected(&a, ch_str_c(cases[i].v), &in, &err) != CH_OK)
            fail_msg("%s: %s", cases[i].v, err.msg);
        if (in != cases[i].in)
            fail_msg("%s: want %d", cases[i].v, cases[i].in);
    }
    /* an unparsable query version is an error naming it, unless listed */
    struct ch_err err = CH_ERR_INIT;
    bool in = false;
    assert_int_equal(ch_osv_is_affected(&a, CH_STR_LIT("x.y"), &in, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "x.y"));

    /* a SEMVER range uses SemVer whatever the ecosystem; bad events do not hide a match */
    static const struct ch_osv_event bad_ev[] = {EV(INTRODUCED, "0"), EV(FIXED, "1..0")};
    static const struct ch_osv_event sem_ev[] = {EV(INTRODUCED, "1.0.0"), EV(FIXED, "1.1.0")};
    const struct ch_osv_range r2[] = {
        {.type = CH_OSV_RANGE_SEMVER, .events = bad_ev, .n_events = 2},
        {.type = CH_OSV_RANGE_SEMVER, .events = sem_ev, .n_events = 2},
    };
    struct ch_osv_affected b = {.scheme = NULL, .ranges = r2, .n_ranges = 2};
    ch_err_clear(&err);
    assert_int_equal(ch_osv_is_affected(&b, CH_STR_LIT("1.0.5"), &in, &err), CH_OK);
    assert_true(in);
    ch_err_clear(&err);
    assert_int_equal(ch_osv_is_affected(&b, CH_STR_LIT("2.0.0"), &in, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "1..0"));
    /* ECOSYSTEM range without an order */
    const struct ch_osv_range r3[] = {
        {.type = CH_OSV_RANGE_ECOSYSTEM, .events = sem_ev, .n_events = 2}};
    struct ch_osv_affected c = {.scheme = NULL, .ranges = r3, .n_ranges = 1};
    ch_err_clear(&err);
    assert_int_equal(ch_osv_is_affected(&c, CH_STR_LIT("1.0.5"), &in, &err), CH_E_UNSUPPORTED);
}

static enum ch_cve_status cve(const struct ch_cve_product *p, const char *sch, const char *v)
{
    struct ch_err err = CH_ERR_INIT;
    enum ch_cve_status st = CH_CVE_UNKNOWN;
    if (ch_cve_version_status(p, sch == NULL ? NULL : scheme(sch), ch_str_c(v), &st, &err) != CH_OK)
        fail_msg("'%s': %s", v, err.msg);
    return st;
}

#define NOSTR                                                                                      \
    {                                                                                              \
        .ptr = NULL, .len = 0                                                                      \
    }

static void test_cve_versions(void **state)
{
    (void)state;
    /* cve-schema docs/versions.md examples */
    static const struct ch_cve_change changes[] = {
        {.at = CH_STR_LIT("2.6.3"), .status = CH_CVE_UNAFFECTED},
        {.at = CH_STR_LIT("2.5.2"), .status = CH_CVE_UNAFFECTED},
        {.at = CH_STR_LIT("2.6.0"), .status = CH_CVE_AFFECTED},
    };
    const struct ch_cve_version series[] = {{
        .version = CH_STR_LIT("2.0.0"),
        .status = CH_CVE_AFFECTED,
        .version_type = CH_STR_LIT("semver"),
        .less_than = CH_STR_LIT("2.*"),
        .less_than_or_equal = NOSTR,
        .changes = changes,
        .n_changes = 3,
    }};
    struct ch_cve_product p = {.versions = series, .n_versions = 1};
    assert_int_equal(cve(&p, NULL, "1.9.0"), CH_CVE_UNKNOWN);
    assert_int_equal(cve(&p, NULL, "2.0.0"), CH_CVE_AFFECTED);
    assert_int_equal(cve(&p, NULL, "2.5.1"), CH_CVE_AFFECTED);
    assert_int_equal(cve(&p, NULL, "2.5.2"), CH_CVE_UNAFFECTED);
    assert_int_equal(cve(&p, NULL, "2.6.2"), CH_CVE_AFFECTED);
    assert_int_equal(cve(&p, NULL, "2.6.3"), CH_CVE_UNAFFECTED);
    assert_int_equal(cve(&p, NULL, "2.99.0"), CH_CVE_UNAFFECTED);
    assert_int_equal(cve(&p, NULL, "3.0.0"), CH_CVE_UNKNOWN);

    const struct ch_cve_version mixed[] = {
        {.version = CH_STR_LIT("2.4"),
         .status = CH_CVE_AFFECTED,
         .version_type = NOSTR,
         .less_than = NOSTR,
         .less_than_or_equal = NOSTR},
        {.version = CH_STR_LIT("0"),
         .status = CH_CVE_AFFECTED,
         .version_type = CH_STR_LIT("python"),
         .less_than = NOSTR,
         .less_than_or_equal = CH_STR_LIT("1.5")},
        {.version = CH_STR_LIT("3.0"),
         .status = CH_CVE_UNAFFECTED,
         .version_type = CH_STR_LIT("python"),
         .less_than = CH_STR_LIT("*"),
         .less_than_or_equal = NOSTR},
    };
    struct ch_cve_product q = {
        .versions = mixed, .n_versions = 3, .default_status = CH_CVE_UNAFFECTED};
    assert_int_equal(cve(&q, NULL, "2.4"), CH_CVE_AFFECTED);
    assert_int_equal(cve(&q, "pep440", "2.4.0"), CH_CVE_AFFECTED);
    assert_int_equal(cve(&q, NULL, "0.1"), CH_CVE_AFFECTED);
    assert_int_equal(cve(&q, NULL, "1.5"), CH_CVE_AFFECTED);
    assert_int_equal(cve(&q, NULL, "1.5.post1"), CH_CVE_UNAFFECTED);
    assert_int_equal(cve(&q, NULL, "2.5"), CH_CVE_UNAFFECTED);
    assert_int_equal(cve(&q, NULL, "30.0"), CH_CVE_UNAFFECTED);

    /* a range with no usable order */
    const struct ch_cve_version custom[] = {{.version = CH_STR_LIT("1.0.0"),
                                             .status = CH_CVE_AFFECTED,
                                             .version_type = CH_STR_LIT("custom"),
                                             .less_than = CH_STR_LIT("2.0.0"),
                                             .less_than_or_equal = NOSTR}};
    struct ch_cve_product r = {.versions = custom, .n_versions = 1};
    struct ch_err err = CH_ERR_INIT;
    enum ch_cve_status st;
    assert_int_equal(ch_cve_version_status(&r, NULL, CH_STR_LIT("1.5.0"), &st, &err),
                     CH_E_UNSUPPORTED);
    /* the product's own order stands in for an unusable versionType */
    assert_int_equal(cve(&r, "semver", "1.5.0"), CH_CVE_AFFECTED);
    assert_int_equal(cve(&r, "semver", "2.0.0"), CH_CVE_UNKNOWN);

    enum ch_cve_status parsed;
    ch_err_clear(&err);
    assert_int_equal(ch_cve_status_parse(CH_STR_LIT("unaffected"), &parsed, &err), CH_OK);
    assert_int_equal(parsed, CH_CVE_UNAFFECTED);
    assert_string_equal(ch_cve_status_str(parsed), "unaffected");
    assert_int_equal(ch_cve_status_parse(CH_STR_LIT("fixed"), &parsed, &err), CH_E_INVALID);
}

/* ---- self-consistency on the shared OSV data ------------------------------ */

#define MAX_EXAMPLES 6

struct tally {
    size_t records;
    size_t entries;     /* affected[] entries with versions[] and a SEMVER/ECOSYSTEM range */
    size_t git_only;    /* entries with versions[] but only GIT ranges: not checkable */
    size_t unsupported; /* versions of ecosystems without an order */
    size_t checked;
    size_t agree;
    size_t outside; /* listed but outside every range */
    size_t errors;  /* a version that does not parse */
    size_t n_out_ex, n_err_ex;
    char out_ex[MAX_EXAMPLES][240];
    char err_ex[MAX_EXAMPLES][400];
};

static enum ch_osv_event_kind event_kind(const cJSON *ev, const char **ret_v)
{
    static const struct {
        const char *key;
        enum ch_osv_event_kind kind;
    } keys[] = {{"introduced", CH_OSV_INTRODUCED},
                {"fixed", CH_OSV_FIXED},
                {"last_affected", CH_OSV_LAST_AFFECTED},
                {"limit", CH_OSV_LIMIT}};
    for (size_t i = 0; i < CH_ARRAY_SIZE(keys); i++) {
        const char *v = ch_json_str(ev, keys[i].key);
        if (v != NULL) {
            *ret_v = v;
            return keys[i].kind;
        }
    }
    *ret_v = NULL;
    return CH_OSV_LIMIT;
}

static void check_affected(const char *id, const cJSON *aff, struct tally *t)
{
    const cJSON *versions = ch_json_arr(aff, "versions");
    const cJSON *jranges = ch_json_arr(aff, "ranges");
    const cJSON *pkg = ch_json_obj(aff, "package");
    const char *eco = pkg != NULL ? ch_json_str(pkg, "ecosystem") : NULL;
    if (versions == NULL || jranges == NULL || cJSON_GetArraySize(versions) == 0 || eco == NULL)
        return;
    int n_r = cJSON_GetArraySize(jranges);
    struct ch_osv_range *ranges = ch_calloc((size_t)n_r + 1, sizeof(*ranges));
    assert_non_null(ranges);
    size_t n_ranges = 0;
    bool checkable = false;
    const cJSON *jr;
    cJSON_ArrayForEach(jr, jranges)
    {
        const char *type = ch_json_str(jr, "type");
        const cJSON *evs = ch_json_arr(jr, "events");
        if (type == NULL || evs == NULL)
            continue;
        struct ch_osv_range *r = &ranges[n_ranges++];
        r->type = strcmp(type, "SEMVER") == 0      ? CH_OSV_RANGE_SEMVER
                  : strcmp(type, "ECOSYSTEM") == 0 ? CH_OSV_RANGE_ECOSYSTEM
                                                   : CH_OSV_RANGE_GIT;
        checkable = checkable || r->type != CH_OSV_RANGE_GIT;
        struct ch_osv_event *ev = ch_calloc((size_t)cJSON_GetArraySize(evs) + 1, sizeof(*ev));
        assert_non_null(ev);
        const cJSON *je;
        cJSON_ArrayForEach(je, evs)
        {
            const char *v = NULL;
            enum ch_osv_event_kind k = event_kind(je, &v);
            if (v != NULL)
                ev[r->n_events++] = (struct ch_osv_event){.kind = k, .version = ch_str_c(v)};
        }
        r->events = ev;
    }
    int n_versions = cJSON_GetArraySize(versions);
    const struct ch_version_scheme *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (!checkable) {
        t->git_only++;
    } else if (ch_version_scheme_for(ch_str_c(eco), &s, &err) != CH_OK) {
        t->unsupported += (size_t)n_versions;
    } else {
        t->entries++;
        struct ch_osv_affected a = {.scheme = s, .ranges = ranges, .n_ranges = n_ranges};
        const cJSON *jv;
        cJSON_ArrayForEach(jv, versions)
        {
            if (!cJSON_IsString(jv))
                continue;
            t->checked++;
            bool in = false;
            ch_err_clear(&err);
            if (ch_osv_is_affected(&a, ch_str_c(jv->valuestring), &in, &err) != CH_OK) {
                if (t->n_err_ex < MAX_EXAMPLES)
                    snprintf(t->err_ex[t->n_err_ex++], sizeof(t->err_ex[0]), "%s (%s) '%s': %s", id,
                             eco, jv->valuestring, err.msg);
                t->errors++;
            } else if (in) {
                t->agree++;
            } else {
                if (t->n_out_ex < MAX_EXAMPLES)
                    snprintf(t->out_ex[t->n_out_ex++], sizeof(t->out_ex[0]),
                             "%s (%s) '%s' is listed but outside the ranges", id, eco,
                             jv->valuestring);
                t->outside++;
            }
        }
    }
    for (size_t i = 0; i < n_ranges; i++)
        ch_free((void *)ranges[i].events);
    ch_free(ranges);
}

static void check_zip(const char *path, struct tally *t)
{
    struct ch_archive *ar = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (ch_archive_open(path, NULL, 0, &ar, &err) != CH_OK)
        fail_msg("%s: %s", path, err.msg);
    struct ch_buf buf;
    ch_buf_init(&buf, CH_ARCHIVE_DEFAULT_MAX_ENTRY);
    for (;;) {
        const char *name = NULL;
        int rc = ch_archive_next(ar, &name, &err);
        if (rc == 0)
            break;
        if (rc < 0)
            fail_msg("%s: %s", path, err.msg);
        if (!ch_str_ends_with(ch_str_c(name), ".json"))
            continue;
        assert_int_equal(ch_archive_read(ar, &buf, &err), CH_OK);
        cJSON *root = NULL;
        if (ch_json_parse(ch_buf_cstr(&buf), ch_buf_len(&buf), NULL, name, &root, &err) != CH_OK) {
            ch_err_clear(&err);
            continue;
        }
        t->records++;
        const char *id = ch_json_str(root, "id");
        const cJSON *affs = ch_json_arr(root, "affected");
        const cJSON *aff;
        if (affs != NULL) {
            cJSON_ArrayForEach(aff, affs)
            {
                check_affected(id != NULL ? id : name, aff, t);
            }
        }
        cJSON_Delete(root);
    }
    ch_buf_release(&buf);
    ch_archive_free(ar);
}

static void test_osv_data_self_consistency(void **state)
{
    (void)state;
    char *dir = ch_test_shared("osv");
    if (dir == NULL)
        return; /* skipped: no shared data */
    ch_json_global_init();
    struct tally *t = ch_calloc(1, sizeof(*t));
    assert_non_null(t);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!ch_str_ends_with(ch_str_c(e->d_name), ".zip"))
            continue;
        struct ch_buf p;
        ch_buf_init(&p, 4096);
        ch_buf_appendf(&p, "%s/%s", dir, e->d_name);
        check_zip(ch_buf_cstr(&p), t);
        ch_buf_release(&p);
    }
    closedir(d);
    double rate = t->checked == 0 ? 1.0 : (double)t->agree / (double)t->checked;
    fprintf(stderr,
            "OSV self-consistency: %zu records, %zu affected entries with versions[] and "
            "SEMVER/ECOSYSTEM ranges (%zu more with GIT ranges only); %zu listed versions "
            "checked, %zu judged affected by the ranges (%.4f%%), %zu outside every range, "
            "%zu unparsable; %zu versions of ecosystems without an order\n",
            t->records, t->entries, t->git_only, t->checked, t->agree, 100.0 * rate, t->outside,
            t->errors, t->unsupported);
    for (size_t i = 0; i < t->n_out_ex; i++)
        fprintf(stderr, "  outside: %s\n", t->out_ex[i]);
    for (size_t i = 0; i < t->n_err_ex; i++)
        fprintf(stderr, "  error:   %s\n", t->err_ex[i]);
    assert_true(t->checked > 10000);
    /* docs/matching.md explains the remaining disagreements (upstream data errors). */
    assert_true(rate >= 0.999);
    ch_free(t);
    ch_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_osv_schema_examples),
        cmocka_unit_test(test_osv_limits_and_ties),
        cmocka_unit_test(test_osv_affected_entry),
        cmocka_unit_test(test_cve_versions),
        cmocka_unit_test(test_osv_data_self_consistency),
    };
    return cmocka_run_group_tests_name("version range", tests, NULL, NULL);
}
