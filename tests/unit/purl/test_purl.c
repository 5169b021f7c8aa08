/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: purl parsing, building and canonical form, against the
 * purl-spec test suite (tests/spec and tests/types, schema 0.2) and the legacy
 * test-suite-data.json from the shared data set, plus our own cases. */
#include "testutil.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/json.h"
#include "purl/purl.h"

struct tally {
    int run;
    int failed;
    int contradictions;
};

static int parse_file(const char *path, cJSON **ret)
{
    struct ch_buf b;
    ch_buf_init(&b, 64u << 20);
    ch_test_read_file(path, &b);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, path, ret, &err);
    ch_buf_release(&b);
    if (rc != CH_OK)
        fail_msg("%s", err.msg);
    return rc;
}

static bool str_eq_null(const char *a, const cJSON *b)
{
    if (b == NULL || cJSON_IsNull(b))
        return a == NULL;
    return a != NULL && cJSON_IsString(b) && strcmp(a, b->valuestring) == 0;
}

/* Compares parsed components with an expected_output object. */
static bool same_components(const struct ch_purl *p, const cJSON *want, char *why, size_t n)
{
    static const char *const keys[] = {"type", "namespace", "name", "version", "subpath"};
    const char *got[] = {p->type, p->ns, p->name, p->version, p->subpath};
    for (size_t i = 0; i < CH_ARRAY_SIZE(keys); i++) {
        if (!str_eq_null(got[i], cJSON_GetObjectItemCaseSensitive(want, keys[i]))) {
            snprintf(why, n, "%s is '%s'", keys[i], got[i] == NULL ? "(null)" : got[i]);
            return false;
        }
    }
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(want, "qualifiers");
    size_t nq = cJSON_IsObject(q) ? (size_t)cJSON_GetArraySize(q) : 0;
    if (nq != p->n_qualifiers) {
        snprintf(why, n, "%zu qualifiers, want %zu", p->n_qualifiers, nq);
        return false;
    }
    for (size_t i = 0; i < p->n_qualifiers; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(q, p->qualifiers[i].key);
        if (!str_eq_null(p->qualifiers[i].value, v)) {
            snprintf(why, n, "qualifier '%s' is '%s'", p->qualifiers[i].key,
                     p->qualifiers[i].value);
            return false;
        }
    }
    return true;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A ch_purl from a components object of the test suite (strings borrowed). */
static void components_from_json(const cJSON *in, struct ch_arena *a, struct ch_purl *p)
{
    *p = (struct ch_purl){.type = jstr(in, "type"), .ns = jstr(in, "namespace"),
                          .name = jstr(in, "name"), .version = jstr(in, "version"),
                          .subpath = jstr(in, "subpath")};
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(in, "qualifiers");
    if (!cJSON_IsObject(q))
        return;
    int n = cJSON_GetArraySize(q);
    struct ch_purl_qualifier *qs = ch_arena_calloc(a, (size_t)n + 1, sizeof(*qs));
    assert_non_null(qs);
    const cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, q)
    {
        qs[i].key = it->string;
        qs[i].value = cJSON_IsString(it) ? it->valuestring : NULL;
        i++;
    }
    p->qualifiers = qs;
    p->n_qualifiers = i;
}

/*
 * Cases of the current suite that contradict others of the same suite. The
 * "required" group rejects upper-case qualifier keys ("Platform" for gem,
 * "Arch" for rpm: "Should fail due to qualifier key not in lowercase"), yet
 * this required case expects "repositorY_url" to parse; its twin with
 * "classifier" is in the "recommended" group, where we fold keys (and pass).
 */
static const char *const spec_contradictions[] = {
    "pkg:Maven/org.apache.xmlgraphics/batik-anim@1.9.1?type=pom&repositorY_url=repo.spring.io/"
    "release",
};

static bool is_contradiction(const char *type, const cJSON *input)
{
    if (strcmp(type, "parse") != 0 || !cJSON_IsString(input))
        return false;
    for (size_t i = 0; i < CH_ARRAY_SIZE(spec_contradictions); i++) {
        if (strcmp(spec_contradictions[i], input->valuestring) == 0)
            return true;
    }
    return false;
}

static void run_case(const char *file, const cJSON *t, struct tally *tally)
{
    const char *type = jstr(t, "test_type");
    const char *group = jstr(t, "test_group");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(t, "input");
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(t, "expected_output");
    bool want_fail = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "expected_failure"));
    unsigned flags = group != NULL && strcmp(group, "required") == 0 ? CH_PURL_STRICT : 0;
    struct ch_arena *a = ch_arena_new(1 << 20);
    struct ch_err err = CH_ERR_INIT;
    struct ch_purl p;
    char why[300] = "";
    bool ok;
    int rc;
    assert_non_null(a);
    if (strcmp(type, "build") == 0) {
        struct ch_purl in;
        components_from_json(input, a, &in);
        rc = ch_purl_build(&in, a, &p, &err);
        if (want_fail || rc != CH_OK) {
            ok = want_fail == (rc != CH_OK);
        } else {
            const char *s = ch_purl_to_string(&p, a);
            ok = cJSON_IsString(want) && s != NULL && strcmp(s, want->valuestring) == 0;
            snprintf(why, sizeof(why), "built '%s'", s);
        }
    } else {
        struct ch_str text = ch_str_c(cJSON_IsString(input) ? input->valuestring : "");
        if (strcmp(type, "validate") == 0)
            flags = 0;
        rc = ch_purl_parse(text, flags, a, &p, &err);
        if (want_fail || rc != CH_OK) {
            ok = want_fail == (rc != CH_OK);
        } else if (strcmp(type, "parse") == 0) {
            ok = same_components(&p, want, why, sizeof(why));
        } else {
            const char *s = ch_purl_to_string(&p, a);
            ok = cJSON_IsString(want) && s != NULL && strcmp(s, want->valuestring) == 0;
            snprintf(why, sizeof(why), "canonical '%s'", s);
        }
    }
    tally->run++;
    if (!ok && is_contradiction(type, input) && flags == CH_PURL_STRICT) {
        /* Strict mode rejects it; lenient mode must give the expected parts. */
        struct ch_err err2 = CH_ERR_INIT;
        ok = ch_purl_parse(ch_str_c(input->valuestring), 0, a, &p, &err2) == CH_OK &&
             same_components(&p, want, why, sizeof(why));
        if (ok)
            tally->contradictions++;
    }
    if (!ok) {
        tally->failed++;
        char *in = cJSON_PrintUnformatted(input);
        print_error("FAIL %s %s %s: %s rc=%d %s %s\n", file, type, group, in, rc, err.msg, why);
        cJSON_free(in);
    }
    ch_arena_free(a);
}

static void run_file(const char *path, const char *label, struct tally *tally)
{
    cJSON *doc = NULL;
    if (parse_file(path, &doc) != CH_OK)
        return;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(doc, "tests"))
    {
        run_case(label, t, tally);
    }
    cJSON_Delete(doc);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_purl_spec_suite(void **state)
{
    char *spec = ch_test_shared("purl/purl-spec/tests/spec/specification-test.json");
    char *types = ch_test_shared("purl/purl-spec/tests/types");
    if (spec == NULL || types == NULL) {
        ch_free(spec);
        ch_free(types);
        skip();
    }
    struct tally tally = {0};
    run_file(spec, "specification-test.json", &tally);
    DIR *d = opendir(types);
    assert_non_null(d);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < CH_ARRAY_SIZE(names)) {
        if (strstr(e->d_name, "-test.json") != NULL)
            names[n++] = ch_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_cmp);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", types, names[i]);
        run_file(path, names[i], &tally);
        ch_free(names[i]);
    }
    print_message("purl-spec: %d of %d cases pass (%zu type files); %d self-contradictory "
                  "case(s) pass in lenient mode only\n",
                  tally.run - tally.failed - tally.contradictions, tally.run, n,
                  tally.contradictions);
    ch_free(spec);
    ch_free(types);
    assert_true(tally.run >= 586);
    assert_int_equal(tally.failed, 0);
    assert_int_equal(tally.contradictions, (int)CH_ARRAY_SIZE(spec_contradictions));
}

/*
 * Legacy cases where the current specification (purl-spec tests and type
 * definitions) deliberately says otherwise; we follow the current one.
 */
static const struct {
    const char *purl;
    const char *why;
} legacy_divergences[] = {
    {"pkg:cpan/URI::PackageURL@2.11",
     "current cpan definition: a distribution name shall not contain '::'"},
    {"pkg:cpan/Perl-Version@1.013",
     "current cpan definition: namespace optional (tests accept pkg:cpan/URI-PackageURL)"},
    {"pkg:conan/bincrafters/cctz@2.3",
     "current conan definition: channel only when published with one"},
    {"pkg:conan/cctz@2.3?channel=stable", "current conan definition: namespace optional"},
    {"pkg:cran/A3", "current cran definition: version optional"},
    {"pkg:swift/github.com/Alamofire/Alamofire", "current swift definition: version optional"},
};

static const char *legacy_divergence(const char *purl)
{
    for (size_t i = 0; i < CH_ARRAY_SIZE(legacy_divergences); i++) {
        if (strcmp(legacy_divergences[i].purl, purl) == 0)
            return legacy_divergences[i].why;
    }
    return NULL;
}

static void test_purl_legacy_suite(void **state)
{
    char *path = ch_test_shared("purl/purl-spec-legacy/test-suite-data.json");
    if (path == NULL)
        skip();
    cJSON *doc = NULL;
    assert_int_equal(parse_file(path, &doc), CH_OK);
    int run = 0, failed = 0, diverged = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, doc)
    {
        const char *purl = jstr(t, "purl");
        const char *canon = jstr(t, "canonical_purl");
        bool invalid = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "is_invalid"));
        struct ch_arena *a = ch_arena_new(1 << 20);
        struct ch_err err = CH_ERR_INIT;
        struct ch_purl p, p2;
        char why[300] = "";
        int rc = ch_purl_parse(ch_str_c(purl), 0, a, &p, &err);
        bool ok;
        if (invalid || rc != CH_OK) {
            ok = invalid == (rc != CH_OK);
        } else {
            ok = same_components(&p, t, why, sizeof(why));
            /* The legacy canonical form leaves '/' unencoded in qualifier
             * values; it must denote the same purl as ours. */
            struct ch_err err2 = CH_ERR_INIT;
            if (ok && ch_purl_parse(ch_str_c(canon), 0, a, &p2, &err2) == CH_OK) {
                const char *s1 = ch_purl_to_string(&p, a), *s2 = ch_purl_to_string(&p2, a);
                ok = strcmp(s1, s2) == 0;
                snprintf(why, sizeof(why), "'%s' vs '%s'", s1, s2);
            } else if (ok) {
                ok = false;
                snprintf(why, sizeof(why), "canonical '%s' rejected: %s", canon, err2.msg);
            }
        }
        run++;
        const char *div = legacy_divergence(purl);
        if (div != NULL) {
            /* Must really diverge, or the entry is stale. */
            if (ok)
                fail_msg("legacy divergence '%s' no longer diverges", purl);
            diverged++;
        } else if (!ok) {
            failed++;
            print_error("FAIL legacy %s: rc=%d %s %s\n", purl, rc, err.msg, why);
        }
        ch_arena_free(a);
    }
    print_message("purl legacy suite: %d of %d pass, %d documented divergences\n",
                  run - failed - diverged, run, diverged);
    cJSON_Delete(doc);
    ch_free(path);
    assert_int_equal(run, 59);
    assert_int_equal(failed, 0);
}

/* ---- our own cases ---- */

static const char *canon(struct ch_arena *a, const char *in, unsigned flags,
                         struct ch_err *err)
{
    const char *out = NULL;
    ch_err_clear(err);
    if (ch_purl_canonicalize(ch_str_c(in), flags, a, &out, err) != CH_OK)
        return NULL;
    return out;
}

static void expect_canon(const char *in, const char *want)
{
    struct ch_arena *a = ch_arena_new(1 << 20);
    struct ch_err err = CH_ERR_INIT;
    const char *got = canon(a, in, 0, &err);
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("'%s' -> '%s' (%s), want '%s'", in, got ? got : "(error)", err.msg, want);
    /* and the canonical form is a fixed point */
    const char *again = canon(a, got, CH_PURL_STRICT, &err);
    assert_non_null(again);
    assert_string_equal(again, got);
    ch_arena_free(a);
}

static void expect_reject(const char *in, int rc, const char *field, const char *msg)
{
    struct ch_arena *a = ch_arena_new(1 << 20);
    struct ch_err err = CH_ERR_INIT;
    struct ch_purl p;
    int got = ch_purl_parse(ch_str_c(in), 0, a, &p, &err);
    if (got != rc)
        fail_msg("'%s': rc %d (%s), want %d", in, got, err.msg, rc);
    if (field != NULL && strcmp(err.field, field) != 0)
        fail_msg("'%s': field '%s', want '%s' (%s)", in, err.field, field, err.msg);
    if (strstr(err.msg, msg) == NULL)
        fail_msg("'%s': message '%s' lacks '%s'", in, err.msg, msg);
    ch_arena_free(a);
}

static void test_purl_canonical_form(void **state)
{
    expect_canon("PKG:NPM/%40Babel/Core@7.0.0", "pkg:npm/%40Babel/Core@7.0.0");
    expect_canon("pkg:pypi/Foo_Bar.baz@1.0RC1", "pkg:pypi/foo-bar.baz@1.0rc1");
    expect_canon("pkg:npm/a@1?b=2&a=1&c=", "pkg:npm/a@1?a=1&b=2");
    expect_canon("pkg:generic/x?checksum=SHA256:ABCDEF,sha1:00",
                 "pkg:generic/x?checksum=sha256:abcdef%2Csha1:00");
    expect_canon("pkg:generic/x#a/./b/../c//d/", "pkg:generic/x#a/b/c/d");
    expect_canon("pkg:generic/x#%2E%2E", "pkg:generic/x");
    expect_canon("pkg:generic/a%2Fb@1", "pkg:generic/a%2Fb@1");
    expect_canon("pkg:generic/caf%C3%A9@1~2", "pkg:generic/caf%C3%A9@1~2");
    expect_canon("pkg:deb/Debian/Curl@7.88.1-10+deb12u5?arch=amd64&distro=debian-12",
                 "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12");
    expect_canon("pkg:cpan/drolsky/DateTime@1.55", "pkg:cpan/DROLSKY/DateTime@1.55");
    expect_canon("pkg:pub/Flutter-Web@1", "pkg:pub/flutter_web@1");
    expect_canon("pkg:git/GitHub.com//Foo/Bar@abc", "pkg:git/github.com/foo/bar@abc");
}

static void test_purl_rejects_name_the_part(void **state)
{
    expect_reject("", CH_E_INVALID, "scheme", "pkg:");
    expect_reject("http://example.com", CH_E_INVALID, "scheme", "pkg:");
    expect_reject("pkg:/", CH_E_INVALID, "type", "type is missing");
    expect_reject("pkg:n&g/x", CH_E_INVALID, "type", "invalid character");
    expect_reject("pkg:npm", CH_E_INVALID, "name", "name is required");
    expect_reject("pkg:npm/", CH_E_INVALID, "name", "name is required");
    expect_reject("pkg:npm/x@", CH_E_INVALID, "version", "empty");
    expect_reject("pkg:npm/x@1%2", CH_E_INVALID, "version", "escape");
    expect_reject("pkg:npm/x@1%zz", CH_E_INVALID, "version", "escape");
    expect_reject("pkg:npm/x%00y", CH_E_INVALID, "name", "NUL");
    expect_reject("pkg:npm/x%FF", CH_E_INVALID, "name", "UTF-8");
    expect_reject("pkg:npm/x?a", CH_E_INVALID, "qualifiers", "no '='");
    expect_reject("pkg:npm/x?1a=b", CH_E_INVALID, "qualifiers", "digit");
    expect_reject("pkg:npm/x?a=1&A=2", CH_E_INVALID, "qualifiers", "more than once");
    expect_reject("pkg:npm/x?checksum=sha1", CH_E_INVALID, "qualifiers", "algorithm:hex");
    expect_reject("pkg:maven/io", CH_E_INVALID, "namespace", "requires a namespace");
    expect_reject("pkg:pypi/a/b", CH_E_INVALID, "namespace", "must not have");
    expect_reject("pkg:julia/X@1", CH_E_INVALID, "qualifiers", "uuid");
    expect_reject("pkg:npm/a b", CH_E_INVALID, NULL, "space");
    expect_reject("pkg:npm/a\x01", CH_E_INVALID, NULL, "control");
    expect_reject("pkg:npm/\xc3", CH_E_INVALID, NULL, "UTF-8");
}

static void test_purl_limits(void **state)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    ch_buf_append_c(&b, "pkg:npm/x?");
    for (int i = 0; i <= CH_PURL_MAX_QUALIFIERS; i++)
        ch_buf_appendf(&b, "k%d=v&", i);
    expect_reject(ch_buf_cstr(&b), CH_E_LIMIT, "qualifiers", "qualifiers");
    ch_buf_reset(&b);
    ch_buf_append_c(&b, "pkg:generic/");
    for (int i = 0; i <= CH_PURL_MAX_SEGMENTS; i++)
        ch_buf_append_c(&b, "a/");
    ch_buf_append_c(&b, "name");
    expect_reject(ch_buf_cstr(&b), CH_E_LIMIT, "namespace", "segments");
    ch_buf_reset(&b);
    ch_buf_append_c(&b, "pkg:npm/");
    for (int i = 0; i < CH_PURL_MAX_LEN; i++)
        ch_buf_append_byte(&b, 'x');
    expect_reject(ch_buf_cstr(&b), CH_E_LIMIT, NULL, "longer than");
    /* Content within the limit whose canonical text is three times as long
     * (every byte percent-encoded): it prints, and what it prints parses
     * again, strictly, to the same purl. */
    ch_buf_reset(&b);
    ch_buf_append_c(&b, "pkg:generic/");
    for (int i = 0; i < CH_PURL_MAX_LEN - 8; i++)
        ch_buf_append_byte(&b, '\'');
    struct ch_arena *a = ch_arena_new(1 << 20);
    struct ch_err err = CH_ERR_INIT;
    const char *c1 = canon(a, ch_buf_cstr(&b), 0, &err);
    assert_non_null(c1);
    assert_true(strlen(c1) > (size_t)CH_PURL_MAX_LEN * 3 - 30);
    const char *c2 = canon(a, c1, CH_PURL_STRICT, &err);
    assert_non_null(c2);
    assert_string_equal(c1, c2);
    /* text beyond even the encoded limit is refused before any decoding */
    ch_buf_reset(&b);
    ch_buf_append_c(&b, "pkg:generic/");
    for (int i = 0; i < CH_PURL_MAX_TEXT; i++)
        ch_buf_append_c(&b, "%");
    expect_reject(ch_buf_cstr(&b), CH_E_LIMIT, NULL, "longer than");
    ch_arena_free(a);
    ch_buf_release(&b);
}

static void test_purl_strict_keys(void **state)
{
    struct ch_arena *a = ch_arena_new(1 << 16);
    struct ch_err err = CH_ERR_INIT;
    assert_null(canon(a, "pkg:gem/x@1?Platform=java", CH_PURL_STRICT, &err));
    assert_string_equal(err.field, "qualifiers");
    assert_string_equal(canon(a, "pkg:gem/x@1?Platform=java", 0, &err),
                        "pkg:gem/x@1?platform=java");
    ch_arena_free(a);
}

static void test_purl_build_and_qualifier(void **state)
{
    struct ch_arena *a = ch_arena_new(1 << 16);
    struct ch_err err = CH_ERR_INIT;
    struct ch_purl_qualifier q[] = {{"Distro", "bookworm"}, {"arch", "amd64"}, {"x", ""}};
    struct ch_purl in = {.type = "DEB", .ns = "/debian/", .name = "Zlib1g",
                         .version = "1:1.2.13.dfsg-1", .qualifiers = q, .n_qualifiers = 3};
    struct ch_purl p;
    assert_int_equal(ch_purl_build(&in, a, &p, &err), CH_OK);
    assert_string_equal(ch_purl_to_string(&p, a),
                        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=bookworm");
    assert_string_equal(ch_purl_qualifier(&p, "distro"), "bookworm");
    assert_null(ch_purl_qualifier(&p, "x"));
    ch_arena_free(a);
}

static void test_purl_cli(void **state)
{
    struct ch_buf out, errout;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&errout, 1 << 20);
    const char *ok[] = {"purl", "pkg:PYPI/Django_package@1.0", "pkg:npm/%40a/b@1?z=1&Y=2", NULL};
    assert_int_equal(ch_test_run_cli(ok, NULL, &out, &errout), 0);
    assert_string_equal(ch_buf_cstr(&out),
                        "pkg:pypi/django-package@1.0\npkg:npm/%40a/b@1?y=2&z=1\n");
    const char *json[] = {"purl", "--json", "pkg:maven/org.a/b@1", NULL};
    assert_int_equal(ch_test_run_cli(json, NULL, &out, &errout), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"name\": \"org.a:b\""));
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"ecosystem\": \"Maven\""));
    const char *bad[] = {"purl", "pkg:npm/ok@1", "pkg:maven/@1", NULL};
    assert_int_equal(ch_test_run_cli(bad, NULL, &out, &errout), 3);
    assert_string_equal(ch_buf_cstr(&out), "pkg:npm/ok@1\n");
    assert_true(ch_test_contains(ch_buf_cstr(&errout), "invalid purl 'pkg:maven/@1' (name)"));
    const char *strict[] = {"purl", "--strict", "pkg:gem/a@1?Platform=java", NULL};
    assert_int_equal(ch_test_run_cli(strict, NULL, &out, &errout), 3);
    assert_true(ch_test_contains(ch_buf_cstr(&errout), "(qualifiers)"));
    const char *none[] = {"purl", NULL};
    assert_int_equal(ch_test_run_cli(none, NULL, &out, &errout), 2);
    ch_buf_release(&out);
    ch_buf_release(&errout);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_purl_spec_suite),
        cmocka_unit_test(test_purl_legacy_suite),
        cmocka_unit_test(test_purl_canonical_form),
        cmocka_unit_test(test_purl_rejects_name_the_part),
        cmocka_unit_test(test_purl_limits),
        cmocka_unit_test(test_purl_strict_keys),
        cmocka_unit_test(test_purl_build_and_qualifier),
        cmocka_unit_test(test_purl_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
