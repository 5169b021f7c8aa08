/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: inventory readers on our fixtures (tests/fixtures/sbom, see its
 * README), on malformed and hostile input, and on the public examples of the
 * shared data set (CycloneDX bom-examples, spdx-examples, osv-scanner). */
#include "testutil.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "sbom/inventory.h"
#include "sbom/sbom.h"

static struct ch_inventory *new_inv(void)
{
    struct ch_inventory *inv = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_inventory_new(NULL, &inv, &err), CH_OK);
    return inv;
}

static struct ch_inventory *read_fixture(const char *rel, enum ch_sbom_format fmt,
                                         const struct ch_sbom_options *opt)
{
    struct ch_inventory *inv = new_inv();
    char *path = ch_test_fixture(rel);
    struct ch_err err = CH_ERR_INIT;
    if (ch_sbom_read_file(inv, path, fmt, opt, &err) != CH_OK)
        fail_msg("%s: %s", rel, err.msg);
    ch_free(path);
    return inv;
}

static const struct ch_component *find(const struct ch_inventory *inv, const char *name)
{
    for (size_t i = 0; i < ch_inventory_count(inv); i++) {
        const struct ch_component *c = ch_inventory_get(inv, i);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    fail_msg("no component named '%s'", name);
    return NULL;
}

static void expect(const struct ch_inventory *inv, const char *name, const char *eco,
                   const char *version, const char *purl)
{
    const struct ch_component *c = find(inv, name);
    if (eco == NULL)
        assert_null(c->ecosystem);
    else
        assert_string_equal(c->ecosystem, eco);
    if (version == NULL)
        assert_null(c->version);
    else
        assert_string_equal(c->version, version);
    if (purl == NULL)
        assert_null(c->purl);
    else
        assert_string_equal(c->purl, purl);
}

/* True when some skipped entry's reason contains needle (and, if given, its location is loc). */
static bool skipped(const struct ch_inventory *inv, const char *loc, const char *needle)
{
    for (size_t i = 0; i < ch_inventory_n_skipped(inv); i++) {
        const struct ch_inventory_skip *s = ch_inventory_skipped(inv, i);
        if (strstr(s->reason, needle) != NULL &&
            (loc == NULL || (s->location != NULL && strcmp(s->location, loc) == 0)))
            return true;
    }
    return false;
}

static void test_sbom_cyclonedx_fixture(void **state)
{
    struct ch_inventory *inv = read_fixture("sbom/cyclonedx-1.5.cdx.json", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 5);
    expect(inv, "lodash", "npm", "4.17.21", "pkg:npm/lodash@4.17.21");
    expect(inv, "org.apache.logging.log4j:log4j-core", "Maven", "2.14.1",
           "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
    const struct ch_component *c = find(inv, "org.apache.logging.log4j:log4j-api");
    assert_string_equal(c->location, "components[1].components[0]");
    assert_true(ch_test_contains(c->file, "cyclonedx-1.5.cdx.json"));
    c = find(inv, "org.apache.logging.log4j:log4j-core");
    assert_string_equal(c->cpe, "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*");
    assert_string_equal(find(inv, "lodash")->ref, "pkg:npm/lodash@4.17.21");
    expect(inv, "no-purl", NULL, "1.0", NULL);
    expect(inv, "bad-purl", NULL, "1.0", NULL);
    assert_true(skipped(inv, "components[3]", "invalid purl 'pkg:maven/@1.0'"));
    assert_true(skipped(inv, "components[4]", "components[4].version"));
    assert_true(skipped(inv, "components[5]", "not an object"));
    ch_inventory_free(inv);
}

static void test_sbom_spdx_fixtures(void **state)
{
    struct ch_inventory *inv = read_fixture("sbom/spdx-2.3.spdx.json", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 3);
    expect(inv, "jinja2", "PyPI", "3.1.2", "pkg:pypi/jinja2@3.1.2");
    assert_string_equal(find(inv, "jinja2")->ref, "SPDXRef-jinja2");
    assert_true(ch_test_contains(find(inv, "jinja2")->cpe, "palletsprojects"));
    const struct ch_component *c = find(inv, "pcre3");
    assert_string_equal(c->ecosystem, "Ubuntu");
    assert_string_equal(c->release, "20.04");
    assert_string_equal(c->version, "2:8.39-12ubuntu0.1");
    expect(inv, "app", NULL, NULL, NULL);
    ch_inventory_free(inv);

    inv = read_fixture("sbom/spdx-3.0.spdx3.json", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 2);
    expect(inv, "tokio", "crates.io", "1.19.2", "pkg:cargo/tokio@1.19.2");
    expect(inv, "express", "npm", "4.18.2", "pkg:npm/express@4.18.2");
    assert_string_equal(find(inv, "express")->location, "@graph[2]");
    assert_string_equal(find(inv, "tokio")->ref, "https://example.com/pkg/tokio");
    ch_inventory_free(inv);
}

static void test_sbom_dpkg_fixture(void **state)
{
    struct ch_sbom_options opt = {.distro = "debian", .distro_release = "12"};
    struct ch_inventory *inv = read_fixture("sbom/status", CH_SBOM_DPKG, &opt);
    assert_int_equal(ch_inventory_count(inv), 3);
    const struct ch_component *c = find(inv, "libssl3");
    assert_string_equal(c->ecosystem, "Debian");
    assert_string_equal(c->release, "12");
    assert_string_equal(c->version, "3.0.11-1~deb12u2+b1");
    assert_string_equal(c->source_name, "openssl");
    assert_string_equal(c->source_version, "3.0.11-1~deb12u2");
    assert_string_equal(c->purl,
                        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2%2Bb1?arch=amd64&distro=debian-12");
    assert_string_equal(c->location, "line 16");
    c = find(inv, "libc6");
    assert_string_equal(c->source_name, "glibc");
    assert_string_equal(c->source_version, "2.36-9+deb12u4");
    c = find(inv, "zlib1g");
    assert_string_equal(c->version, "1:1.2.13.dfsg-1");
    assert_true(skipped(inv, "line 23", "'old-config' is not installed"));
    ch_inventory_free(inv);

    /* Release from the os-release of the root the status file is under. */
    inv = read_fixture("sbom/rootfs/var/lib/dpkg/status", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 3);
    assert_string_equal(find(inv, "libc6")->release, "12");
    assert_true(ch_test_contains(find(inv, "libc6")->purl, "distro=debian-12"));
    ch_inventory_free(inv);

    /* Neither option nor os-release: Debian without a release. */
    inv = read_fixture("sbom/status", CH_SBOM_DPKG, NULL);
    assert_null(find(inv, "libc6")->release);
    assert_string_equal(find(inv, "libc6")->ecosystem, "Debian");
    ch_inventory_free(inv);
}

static void test_sbom_requirements_fixture(void **state)
{
    struct ch_inventory *inv = read_fixture("sbom/requirements.txt", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 5);
    expect(inv, "django", "PyPI", "4.2.7", "pkg:pypi/django@4.2.7");
    expect(inv, "requests", "PyPI", "2.31.0", "pkg:pypi/requests@2.31.0");
    expect(inv, "jinja2", "PyPI", "3.1.2", "pkg:pypi/jinja2@3.1.2");
    expect(inv, "urllib3", "PyPI", "2.0.7", "pkg:pypi/urllib3@2.0.7");
    expect(inv, "zope.interface", "PyPI", "6.1", "pkg:pypi/zope.interface@6.1");
    assert_string_equal(find(inv, "urllib3")->location, "line 5");
    assert_true(skipped(inv, "line 7", "'flask>=2.0' is not pinned"));
    assert_true(skipped(inv, "line 8", "'numpy' is not pinned"));
    assert_true(skipped(inv, "line 9", "not an exact pin"));
    assert_true(skipped(inv, "line 10", "option line"));
    assert_true(skipped(inv, "line 11", "option line"));
    assert_true(skipped(inv, "line 12", "not pinned"));
    assert_int_equal(ch_inventory_n_skipped(inv), 6);
    ch_inventory_free(inv);
}

static void test_sbom_gomod_fixture(void **state)
{
    struct ch_inventory *inv = read_fixture("sbom/go.mod", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 4);
    expect(inv, "github.com/gorilla/mux", "Go", "v1.8.0", "pkg:golang/github.com/gorilla/mux@v1.8.0");
    expect(inv, "golang.org/x/net", "Go", "v0.17.0", "pkg:golang/golang.org/x/net@v0.17.0");
    expect(inv, "github.com/pkg/errors", "Go", "v0.9.2", "pkg:golang/github.com/pkg/errors@v0.9.2");
    expect(inv, "github.com/new/name", "Go", "v1.1.0", "pkg:golang/github.com/new/name@v1.1.0");
    assert_string_equal(find(inv, "github.com/new/name")->location, "line 11");
    assert_true(skipped(inv, "line 10", "replaced by local directory '../local'"));
    ch_inventory_free(inv);
}

static void test_sbom_lockfile_fixtures(void **state)
{
    struct ch_inventory *inv = read_fixture("sbom/Cargo.lock", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 2);
    expect(inv, "serde", "crates.io", "1.0.193", "pkg:cargo/serde@1.0.193");
    expect(inv, "tokio", "crates.io", "1.35.0", "pkg:cargo/tokio@1.35.0");
    assert_true(skipped(inv, "line 5", "local crate"));
    assert_true(skipped(inv, NULL, "'forked' is not from crates.io"));
    ch_inventory_free(inv);

    inv = read_fixture("sbom/Gemfile.lock", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 3);
    expect(inv, "actionpack", "RubyGems", "7.0.8", "pkg:gem/actionpack@7.0.8");
    expect(inv, "nokogiri", "RubyGems", "1.15.4", "pkg:gem/nokogiri@1.15.4?platform=x86_64-linux");
    expect(inv, "rack", "RubyGems", "2.2.8", "pkg:gem/rack@2.2.8");
    assert_true(skipped(inv, "line 5", "git source"));
    assert_true(skipped(inv, "line 10", "local path"));
    ch_inventory_free(inv);

    inv = read_fixture("sbom/composer.lock", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 3);
    expect(inv, "monolog/monolog", "Packagist", "3.5.0", "pkg:composer/monolog/monolog@3.5.0");
    expect(inv, "symfony/http-kernel", "Packagist", "v6.4.0",
           "pkg:composer/symfony/http-kernel@v6.4.0");
    assert_string_equal(find(inv, "phpunit/phpunit")->location, "packages-dev[0]");
    assert_true(skipped(inv, "packages-dev[1]", "packages-dev[1].name"));
    ch_inventory_free(inv);
}

static void test_sbom_npm_fixtures(void **state)
{
    struct ch_inventory *inv = read_fixture("sbom/package-lock-v3.json", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 4);
    expect(inv, "lodash", "npm", "4.17.21", "pkg:npm/lodash@4.17.21");
    expect(inv, "@babel/core", "npm", "7.23.5", "pkg:npm/%40babel/core@7.23.5");
    expect(inv, "semver", "npm", "6.3.1", "pkg:npm/semver@6.3.1");
    expect(inv, "real-name", "npm", "2.0.0", "pkg:npm/real-name@2.0.0");
    assert_string_equal(find(inv, "semver")->location,
                        "packages[\"node_modules/@babel/core/node_modules/semver\"]");
    assert_true(skipped(inv, NULL, "link to a local folder"));
    assert_true(skipped(inv, NULL, "'fromgit' is not from the registry"));
    assert_true(skipped(inv, "packages[\"packages/mylib\"]", "workspace folder"));
    ch_inventory_free(inv);

    inv = read_fixture("sbom/package-lock-v1.json", 0, NULL);
    assert_int_equal(ch_inventory_count(inv), 4);
    expect(inv, "express", "npm", "4.17.1", "pkg:npm/express@4.17.1");
    expect(inv, "debug", "npm", "2.6.9", "pkg:npm/debug@2.6.9");
    expect(inv, "@types/node", "npm", "20.10.0", "pkg:npm/%40types/node@20.10.0");
    expect(inv, "lodash", "npm", "4.17.20", "pkg:npm/lodash@4.17.20");
    assert_string_equal(find(inv, "debug")->location,
                        "dependencies[\"express\"].dependencies[\"debug\"]");
    assert_true(skipped(inv, NULL, "'local' is not from the registry"));
    ch_inventory_free(inv);
}

static void test_sbom_detect(void **state)
{
    assert_int_equal(ch_sbom_detect("x/package-lock.json", "", 0), CH_SBOM_NPM_LOCK);
    assert_int_equal(ch_sbom_detect("/var/lib/dpkg/status", "", 0), CH_SBOM_DPKG);
    assert_int_equal(ch_sbom_detect("requirements-dev.txt", "", 0), CH_SBOM_REQUIREMENTS);
    assert_int_equal(ch_sbom_detect("a.cdx.json", "", 0), CH_SBOM_CYCLONEDX);
    const char *cdx = "  {\"bomFormat\": \"CycloneDX\"}";
    assert_int_equal(ch_sbom_detect("x.json", cdx, strlen(cdx)), CH_SBOM_CYCLONEDX);
    const char *spdx = "{\"spdxVersion\": \"SPDX-2.3\"}";
    assert_int_equal(ch_sbom_detect(NULL, spdx, strlen(spdx)), CH_SBOM_SPDX2);
    const char *dpkg = "Package: a\nStatus: install ok installed\n";
    assert_int_equal(ch_sbom_detect("status.txt", dpkg, strlen(dpkg)), CH_SBOM_DPKG);
    assert_int_equal(ch_sbom_detect("x", "module a\n", 9), CH_SBOM_GOMOD);
    assert_int_equal(ch_sbom_detect("x", "hello", 5), CH_SBOM_UNKNOWN);
    assert_int_equal(ch_sbom_format_from_name("gomod"), CH_SBOM_GOMOD);
    assert_string_equal(ch_sbom_format_name(CH_SBOM_SPDX3), "spdx3");
}

static void test_sbom_scan_dir(void **state)
{
    struct ch_inventory *inv = new_inv();
    char *dir = ch_test_fixture("sbom");
    struct ch_err err = CH_ERR_INIT;
    int n = ch_sbom_scan_dir(inv, dir, NULL, &err);
    if (n < 0)
        fail_msg("%s", err.msg);
    /* go.mod, Cargo.lock, Gemfile.lock, composer.lock, requirements.txt,
     * cyclonedx-1.5.cdx.json, spdx-2.3.spdx.json, spdx-3.0.spdx3.json,
     * rootfs/var/lib/dpkg/status (package-lock-v*.json and status are not
     * names the walker knows) */
    assert_int_equal(n, 9);
    assert_string_equal(find(inv, "libc6")->release, "12");
    find(inv, "serde");
    find(inv, "tokio");
    ch_free(dir);
    ch_inventory_free(inv);
}

/* ---- malformed and hostile input ---- */

static int read_text(struct ch_inventory *inv, const char *name, const char *text,
                     enum ch_sbom_format fmt, struct ch_err *err)
{
    ch_err_clear(err);
    return ch_sbom_read(inv, name, text, strlen(text), fmt, NULL, err);
}

static void expect_fail(const char *name, const char *text, enum ch_sbom_format fmt, int rc,
                        const char *msg)
{
    struct ch_inventory *inv = new_inv();
    struct ch_err err = CH_ERR_INIT;
    int got = read_text(inv, name, text, fmt, &err);
    if (got != rc)
        fail_msg("%s: rc %d (%s), want %d", name, got, err.msg, rc);
    if (strstr(err.msg, msg) == NULL)
        fail_msg("%s: message '%s' lacks '%s'", name, err.msg, msg);
    ch_inventory_free(inv);
}

static void test_sbom_malformed(void **state)
{
    expect_fail("bom.json", "{\"bomFormat\": \"CycloneDX\",\n \"specVersion\": \"1.5\",\n x}", 0,
                CH_E_INVALID, "bom.json:3:");
    expect_fail("bom.json", "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"2.0\"}", 0,
                CH_E_UNSUPPORTED, "specVersion '2.0'");
    expect_fail("bom.json", "{\"bomFormat\": \"SWID\", \"specVersion\": \"1.5\"}", 0,
                CH_E_INVALID, "not CycloneDX");
    expect_fail("bom.json",
                "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"components\": {}}", 0,
                CH_E_INVALID, "'components': expected an array");
    expect_fail("s.json", "{\"spdxVersion\": \"SPDX-3.0\"}", 0, CH_E_UNSUPPORTED, "SPDX-3.0");
    expect_fail("s.json", "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": 3}", 0, CH_E_INVALID,
                "packages");
    expect_fail("g.json", "{\"@context\": \"https://schema.org\", \"@graph\": []}", 0,
                CH_E_UNSUPPORTED, "SPDX 3 context");
    expect_fail("package-lock.json", "{\"lockfileVersion\": 9}", 0, CH_E_UNSUPPORTED,
                "lockfileVersion 9");
    expect_fail("package-lock.json", "{\"lockfileVersion\": \"2\"}", 0, CH_E_INVALID,
                "lockfileVersion");
    expect_fail("x.json", "{\"hello\": 1}", 0, CH_E_UNSUPPORTED, "not a known");
    expect_fail("x.txt", "hello", 0, CH_E_UNSUPPORTED, "not a known");
    expect_fail("status", "Package: a\nthis is not a field\n", CH_SBOM_DPKG, CH_E_INVALID,
                "status:2: expected 'Field: value'");
    expect_fail("go.mod", "module a\nrequire (\n  b v1\n", 0, CH_E_INVALID,
                "unterminated block");
    expect_fail("go.mod", "module a\nrequire b\n", 0, CH_E_INVALID, "go.mod:2:");
    expect_fail("go.mod", "module a\nreplace b => c\n", 0, CH_E_INVALID, "go.mod:2:");
    expect_fail("Gemfile.lock", "GEM\n  specs:\n    broken\n", 0, CH_E_INVALID,
                "Gemfile.lock:3:");
}

static void test_sbom_hostile(void **state)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 24);
    /* CycloneDX components nested past the limit */
    ch_buf_append_c(&b, "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.4\",\"components\":");
    for (unsigned i = 0; i < CH_SBOM_MAX_NESTING + 2; i++)
        ch_buf_append_c(&b, "[{\"name\":\"a\",\"components\":");
    ch_buf_append_c(&b, "[]");
    for (unsigned i = 0; i < CH_SBOM_MAX_NESTING + 2; i++)
        ch_buf_append_c(&b, "}]");
    ch_buf_append_c(&b, "}");
    expect_fail("deep.cdx.json", ch_buf_cstr(&b), 0, CH_E_LIMIT, "deeper than");
    /* a line longer than the limit */
    ch_buf_reset(&b);
    ch_buf_append_c(&b, "Package: ");
    for (size_t i = 0; i < CH_SBOM_MAX_LINE_BYTES; i++)
        ch_buf_append_byte(&b, 'a');
    expect_fail("status", ch_buf_cstr(&b), CH_SBOM_DPKG, CH_E_LIMIT, "status:1: line longer");
    ch_buf_release(&b);

    /* component limit of the inventory */
    struct ch_inventory_limits lim = {.max_components = 2, .max_skipped = 1};
    struct ch_inventory *inv = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_inventory_new(&lim, &inv, &err), CH_OK);
    const char *req = "a==1\nb==1\nc==1\n";
    assert_int_equal(read_text(inv, "requirements.txt", req, 0, &err), CH_E_LIMIT);
    assert_true(ch_test_contains(err.msg, "more than 2 components"));
    assert_int_equal(ch_inventory_count(inv), 2);
    /* skipped entries past the limit are counted, not stored */
    assert_int_equal(read_text(inv, "requirements.txt", "x\ny\nz\n", 0, &err), CH_OK);
    assert_int_equal(ch_inventory_n_skipped(inv), 1);
    assert_int_equal(ch_inventory_n_skipped_total(inv), 3);
    ch_inventory_free(inv);

    /* binary junk is not an inventory */
    static const char junk[] = {'\x7f', 'E', 'L', 'F', 0, 1, 2, 3};
    inv = new_inv();
    assert_int_equal(ch_sbom_read(inv, "a.out", junk, sizeof(junk), 0, NULL, &err),
                     CH_E_UNSUPPORTED);
    ch_inventory_free(inv);
}

static void test_sbom_os_release(void **state)
{
    struct ch_arena *a = ch_arena_new(1 << 16);
    struct ch_err err = CH_ERR_INIT;
    const char *id = NULL, *ver = NULL;
    const char *text = "NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID='22.04'\nVERSION_CODENAME=jammy\n";
    assert_int_equal(ch_sbom_parse_os_release(text, strlen(text), a, &id, &ver, &err), CH_OK);
    assert_string_equal(id, "ubuntu");
    assert_string_equal(ver, "22.04");
    text = "ID=debian\nVERSION_CODENAME=trixie\n";
    assert_int_equal(ch_sbom_parse_os_release(text, strlen(text), a, &id, &ver, &err), CH_OK);
    assert_string_equal(ver, "trixie");
    ch_arena_free(a);
}

/* ---- the public examples of the shared data set ---- */

static size_t read_tree(struct ch_inventory *inv, const char *dir, size_t *files)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    size_t n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR) {
            n += read_tree(inv, p, files);
            continue;
        }
        if (strstr(e->d_name, ".json") == NULL)
            continue;
        struct ch_err err = CH_ERR_INIT;
        size_t before = ch_inventory_count(inv);
        if (ch_sbom_read_file(inv, p, CH_SBOM_UNKNOWN, NULL, &err) != CH_OK)
            fail_msg("%s", err.msg);
        n += ch_inventory_count(inv) - before;
        (*files)++;
    }
    closedir(d);
    return n;
}

static size_t count_file(const char *rel, struct ch_inventory **ret)
{
    char *p = ch_test_shared(rel);
    if (p == NULL)
        return 0;
    struct ch_inventory *inv = new_inv();
    struct ch_err err = CH_ERR_INIT;
    if (ch_sbom_read_file(inv, p, CH_SBOM_UNKNOWN, NULL, &err) != CH_OK)
        fail_msg("%s", err.msg);
    ch_free(p);
    size_t n = ch_inventory_count(inv);
    if (ret != NULL)
        *ret = inv;
    else
        ch_inventory_free(inv);
    return n;
}

static void test_sbom_shared_cyclonedx(void **state)
{
    char *dir = ch_test_shared("sbom/cyclonedx-bom-examples");
    if (dir == NULL)
        skip();
    struct ch_inventory *inv = new_inv();
    size_t files = 0;
    size_t n = read_tree(inv, dir, &files);
    print_message("cyclonedx examples: %zu components from %zu files, %zu skipped\n", n, files,
                  ch_inventory_n_skipped_total(inv));
    assert_int_equal(files, 65);
    assert_int_equal(n, 11951);
    ch_inventory_free(inv);
    ch_free(dir);

    assert_int_equal(count_file("sbom/cyclonedx-bom-examples/SBOM/juice-shop/v11.1.2/bom.json",
                                NULL), 840);
    assert_int_equal(count_file("sbom/cyclonedx-bom-examples/SBOM/keycloak-10.0.2/bom.json",
                                NULL), 903);
    struct ch_inventory *dw = NULL;
    assert_int_equal(count_file("sbom/cyclonedx-bom-examples/SBOM/dropwizard-1.3.15/bom.json",
                                &dw), 167);
    const struct ch_component *c = find(dw, "com.fasterxml.jackson.core:jackson-databind");
    assert_string_equal(c->ecosystem, "Maven");
    assert_string_equal(c->version, "2.9.10");
    ch_inventory_free(dw);
    struct ch_inventory *lv = NULL;
    assert_int_equal(count_file("sbom/cyclonedx-bom-examples/SBOM/laravel-7.12.0/bom.1.4.json",
                                &lv), 62);
    assert_string_equal(find(lv, "laravel/framework")->ecosystem, "Packagist");
    ch_inventory_free(lv);
}

static void test_sbom_shared_spdx(void **state)
{
    char *dir = ch_test_shared("sbom/spdx-examples");
    if (dir == NULL)
        skip();
    struct ch_inventory *inv = new_inv();
    size_t files = 0;
    size_t n = read_tree(inv, dir, &files);
    size_t with_purl = 0;
    for (size_t i = 0; i < ch_inventory_count(inv); i++)
        with_purl += ch_inventory_get(inv, i)->purl != NULL;
    print_message("spdx examples: %zu packages (%zu with purl) from %zu files, %zu skipped\n", n,
                  with_purl, files, ch_inventory_n_skipped_total(inv));
    assert_int_equal(files, 44);
    assert_int_equal(n, 116);
    assert_int_equal(with_purl, 25);
    ch_inventory_free(inv);
    ch_free(dir);

    struct ch_inventory *one = NULL;
    assert_int_equal(count_file("sbom/spdx-examples/software/example9/spdx3.0/"
                                "appbomination.spdx3.json", &one), 7);
    ch_inventory_free(one);
    assert_int_equal(count_file("sbom/spdx-examples/software/example11/spdx3.0/sbom.spdx3.json",
                                &one), 4);
    expect(one, "hyper", "crates.io", "0.14", "pkg:cargo/hyper@0.14");
    ch_inventory_free(one);
    assert_int_equal(count_file("sbom/spdx-examples/software/example11/spdx2.3/sbom.spdx.json",
                                &one), 4);
    expect(one, "hyper", "crates.io", "0.14", "pkg:cargo/hyper@0.14");
    ch_inventory_free(one);
}

static void test_sbom_shared_osv_scanner(void **state)
{
    struct ch_inventory *inv = NULL;
    if (count_file("sbom/osv-scanner-testdata/alpine-zlib-16.cdx.json", &inv) == 0)
        skip();
    const struct ch_component *c = find(inv, "zlib");
    assert_string_equal(c->ecosystem, "Alpine");
    assert_string_equal(c->release, "3.22");
    assert_string_equal(c->version, "1.2.12-r1");
    ch_inventory_free(inv);
    assert_int_equal(count_file("sbom/osv-scanner-testdata/only-unimportant.spdx.json", &inv), 1);
    c = find(inv, "pcre3");
    assert_string_equal(c->ecosystem, "Ubuntu");
    assert_string_equal(c->release, "20.04");
    assert_string_equal(c->version, "2:8.39-12ubuntu0.1");
    ch_inventory_free(inv);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sbom_cyclonedx_fixture),
        cmocka_unit_test(test_sbom_spdx_fixtures),
        cmocka_unit_test(test_sbom_dpkg_fixture),
        cmocka_unit_test(test_sbom_requirements_fixture),
        cmocka_unit_test(test_sbom_gomod_fixture),
        cmocka_unit_test(test_sbom_lockfile_fixtures),
        cmocka_unit_test(test_sbom_npm_fixtures),
        cmocka_unit_test(test_sbom_detect),
        cmocka_unit_test(test_sbom_scan_dir),
        cmocka_unit_test(test_sbom_malformed),
        cmocka_unit_test(test_sbom_hostile),
        cmocka_unit_test(test_sbom_os_release),
        cmocka_unit_test(test_sbom_shared_cyclonedx),
        cmocka_unit_test(test_sbom_shared_spdx),
        cmocka_unit_test(test_sbom_shared_osv_scanner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
