/* SPDX-License-Identifier: Apache-2.0
 * Unit tests of coord/netaddr: address, prefix and DNS name parsing,
 * canonical formatting, containment and intersection. */
#include "testutil.h"

#include <string.h>

#include "coord/netaddr.h"

static void ip_ok(const char *in, const char *want)
{
    struct ch_ipaddr a;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_ip_parse(ch_str_c(in), &a, &err);
    if (rc != CH_OK)
        fail_msg("'%s': %s", in, err.msg);
    char out[CH_IP_STR_MAX];
    assert_string_equal(ch_ip_format(&a, out), want);
}

static void ip_bad(const char *in, int want_rc, const char *msg_part)
{
    struct ch_ipaddr a;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_ip_parse(ch_str_c(in), &a, &err);
    if (rc != want_rc)
        fail_msg("'%s': rc %d, want %d", in, rc, want_rc);
    if (msg_part != NULL && !ch_test_contains(err.msg, msg_part))
        fail_msg("'%s': message '%s' lacks '%s'", in, err.msg, msg_part);
}

static void test_ip_parse_v4(void **state)
{
    (void)state;
    ip_ok("0.0.0.0", "0.0.0.0");
    ip_ok("192.0.2.1", "192.0.2.1");
    ip_ok("255.255.255.255", "255.255.255.255");
    ip_bad("256.0.0.1", CH_E_INVALID, "above 255");
    ip_bad("1.2.3", CH_E_INVALID, "IPv4");
    ip_bad("1.2.3.4.5", CH_E_INVALID, "more than four");
    ip_bad("01.2.3.4", CH_E_INVALID, "leading zero");
    ip_bad("1..3.4", CH_E_INVALID, NULL);
    ip_bad("1.2.3.4 ", CH_E_INVALID, NULL);
    ip_bad("1.2.3.-4", CH_E_INVALID, NULL);
    ip_bad("1.2.3.1000", CH_E_INVALID, NULL);
    ip_bad("", CH_E_INVALID, "empty");
    ip_bad("example.com", CH_E_INVALID, NULL);
}

static void test_ip_parse_v6(void **state)
{
    (void)state;
    ip_ok("::", "::");
    ip_ok("::1", "::1");
    ip_ok("2001:DB8::1", "2001:db8::1");
    ip_ok("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    ip_ok("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"); /* RFC 5952 4.2.3: first run */
    ip_ok("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"); /* one zero group stays */
    ip_ok("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0");
    ip_ok("::ffff:192.0.2.1", "::ffff:192.0.2.1");
    ip_ok("::FFFF:c000:0201", "::ffff:192.0.2.1");
    ip_ok("64:ff9b::192.0.2.1", "64:ff9b::c000:201");
    ip_ok("fe80::", "fe80::");
    ip_bad("1:2:3:4:5:6:7:8:9", CH_E_INVALID, "eight");
    ip_bad("1::2::3", CH_E_INVALID, "'::'");
    ip_bad("1:2:3:4:5:6:7", CH_E_INVALID, "fewer");
    ip_bad("12345::", CH_E_INVALID, "four hex");
    ip_bad(":1::", CH_E_INVALID, NULL);
    ip_bad("1::2:", CH_E_INVALID, NULL);
    ip_bad("fe80::1%eth0", CH_E_INVALID, NULL);
    ip_bad("[::1]", CH_E_INVALID, NULL);
    ip_bad("::ffff:1.2.3", CH_E_INVALID, NULL);
    ip_bad("1:2:3:4:5:6:7:1.2.3.4", CH_E_INVALID, NULL);
    ip_bad("1:2:3:4:5:6:7:8::", CH_E_INVALID, NULL);
    ip_bad("aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa", CH_E_LIMIT, "longer");
}

static void pfx_ok(const char *in, const char *want)
{
    struct ch_prefix p;
    struct ch_err err = CH_ERR_INIT;
    if (ch_prefix_parse(ch_str_c(in), &p, &err) != CH_OK)
        fail_msg("'%s': %s", in, err.msg);
    char out[CH_IP_STR_MAX];
    assert_string_equal(ch_prefix_format(&p, out), want);
}

static void pfx_bad(const char *in, const char *msg_part)
{
    struct ch_prefix p;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_prefix_parse(ch_str_c(in), &p, &err);
    if (rc == CH_OK)
        fail_msg("'%s' accepted", in);
    if (msg_part != NULL && !ch_test_contains(err.msg, msg_part))
        fail_msg("'%s': message '%s' lacks '%s'", in, err.msg, msg_part);
}

static void test_prefix_parse(void **state)
{
    (void)state;
    pfx_ok("10.0.0.0/8", "10.0.0.0/8");
    pfx_ok("10.1.2.3", "10.1.2.3/32");
    pfx_ok("0.0.0.0/0", "0.0.0.0/0");
    pfx_ok("2001:db8::/32", "2001:db8::/32");
    pfx_ok("2001:db8::1", "2001:db8::1/128");
    pfx_ok("::/0", "::/0");
    pfx_bad("10.0.0.1/8", "host bits set; the network is '10.0.0.0/8'");
    pfx_bad("2001:db8::1/32", "'2001:db8::/32'");
    pfx_bad("10.0.0.0/33", "0..32");
    pfx_bad("::/129", "0..128");
    pfx_bad("10.0.0.0/", NULL);
    pfx_bad("10.0.0.0/08", NULL);
    pfx_bad("10.0.0.0/-1", NULL);
    pfx_bad("10.0.0.0/8/8", NULL);
    pfx_bad("/8", NULL);
}

static struct ch_prefix P(const char *s)
{
    struct ch_prefix p;
    struct ch_err err = CH_ERR_INIT;
    if (ch_prefix_parse(ch_str_c(s), &p, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return p;
}

static struct ch_ipaddr A(const char *s)
{
    struct ch_ipaddr a;
    struct ch_err err = CH_ERR_INIT;
    if (ch_ip_parse(ch_str_c(s), &a, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return a;
}

static void test_prefix_contains(void **state)
{
    (void)state;
    struct ch_prefix p16 = P("10.1.0.0/16"), p24 = P("10.1.2.0/24"), q24 = P("10.2.2.0/24");
    struct ch_ipaddr a = A("10.1.2.3");
    assert_true(ch_prefix_contains_ip(&p16, &a));
    assert_true(ch_prefix_contains_ip(&p24, &a));
    assert_false(ch_prefix_contains_ip(&q24, &a));
    assert_true(ch_prefix_contains(&p16, &p24));
    assert_false(ch_prefix_contains(&p24, &p16));
    assert_true(ch_prefix_intersects(&p24, &p16));
    assert_false(ch_prefix_intersects(&q24, &p16));
    struct ch_prefix v6 = P("2001:db8::/32"), v6b = P("2001:db8:1::/48");
    struct ch_ipaddr a6 = A("2001:db8:1::5");
    assert_true(ch_prefix_contains_ip(&v6, &a6));
    assert_true(ch_prefix_contains(&v6, &v6b));
    /* no containment across families, not even for ::/0 */
    struct ch_prefix all6 = P("::/0");
    assert_false(ch_prefix_contains_ip(&all6, &a));
    assert_false(ch_prefix_intersects(&all6, &p16));
    /* odd lengths */
    struct ch_prefix p13 = P("10.8.0.0/13");
    struct ch_ipaddr in = A("10.15.255.255"), out = A("10.16.0.0");
    assert_true(ch_prefix_contains_ip(&p13, &in));
    assert_false(ch_prefix_contains_ip(&p13, &out));
}

static void test_ip_unmap(void **state)
{
    (void)state;
    struct ch_ipaddr m = A("::ffff:10.1.2.3");
    assert_true(ch_ip_is_v4mapped(&m));
    struct ch_ipaddr u = ch_ip_unmap(&m), v4 = A("10.1.2.3");
    assert_true(ch_ip_eq(&u, &v4));
    struct ch_ipaddr other = A("2001:db8::1");
    struct ch_ipaddr same = ch_ip_unmap(&other);
    assert_true(ch_ip_eq(&same, &other));
    struct ch_prefix p;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_prefix_make(&v4, 33, &p, &err), CH_E_INVALID);
    assert_int_equal(ch_prefix_make(&v4, 8, &p, &err), CH_OK);
    char out[CH_IP_STR_MAX];
    assert_string_equal(ch_prefix_format(&p, out), "10.0.0.0/8");
}

static void name_ok(const char *in, const char *want)
{
    struct ch_dnsname n;
    struct ch_err err = CH_ERR_INIT;
    if (ch_dnsname_parse(ch_str_c(in), &n, &err) != CH_OK)
        fail_msg("'%s': %s", in, err.msg);
    char out[CH_DNS_STR_MAX];
    assert_string_equal(ch_dnsname_format(&n, out), want);
}

static void name_bad(const char *in, int want_rc, const char *msg_part)
{
    struct ch_dnsname n;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_dnsname_parse(ch_str_c(in), &n, &err);
    if (rc != want_rc)
        fail_msg("'%s': rc %d, want %d (%s)", in, rc, want_rc, err.msg);
    if (msg_part != NULL && !ch_test_contains(err.msg, msg_part))
        fail_msg("'%s': message '%s' lacks '%s'", in, err.msg, msg_part);
}

static void test_dnsname_parse(void **state)
{
    (void)state;
    name_ok("Example.COM", "example.com");
    name_ok("example.com.", "example.com");
    name_ok("*.Example.com.", "*.example.com");
    name_ok("localhost", "localhost");
    name_ok("xn--bcher-kva.example", "xn--bcher-kva.example");
    name_ok("a-b.c1.example.org", "a-b.c1.example.org");
    name_ok("1.2.3.example", "1.2.3.example");
    name_bad("", CH_E_INVALID, "empty");
    name_bad(".", CH_E_INVALID, "empty");
    name_bad("a..b", CH_E_INVALID, "empty label");
    name_bad("example.com..", CH_E_INVALID, "empty label");
    name_bad("-a.example", CH_E_INVALID, "'-'");
    name_bad("a-.example", CH_E_INVALID, "'-'");
    name_bad("a_b.example", CH_E_INVALID, "letters, digits");
    name_bad("a b.example", CH_E_INVALID, NULL);
    name_bad("a.*.example", CH_E_INVALID, "first label");
    name_bad("*example.com", CH_E_INVALID, NULL);
    name_bad("*", CH_E_INVALID, NULL);
    name_bad("*.com", CH_E_INVALID, "two labels");
    name_bad("10.0.0.1", CH_E_INVALID, "all digits");
    name_bad("example.123", CH_E_INVALID, "all digits");
    char label[70];
    memset(label, 'a', 64);
    memcpy(label + 64, ".com", 5);
    name_bad(label, CH_E_INVALID, "63");
    char longname[300];
    size_t o = 0;
    while (o + 10 < 270) {
        memcpy(longname + o, "abcdefghi.", 10);
        o += 10;
    }
    memcpy(longname + o, "com", 4);
    name_bad(longname, CH_E_LIMIT, "longer");
    /* exactly 253 bytes is fine */
    char max[260];
    memset(max, 'a', 253);
    for (int i = 63; i < 253; i += 64)
        max[i] = '.';
    max[253] = '\0';
    struct ch_dnsname n;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_dnsname_parse(ch_str_c(max), &n, &err), CH_OK);
    assert_int_equal(n.len, 253);
}

static struct ch_dnsname N(const char *s)
{
    struct ch_dnsname n;
    struct ch_err err = CH_ERR_INIT;
    if (ch_dnsname_parse(ch_str_c(s), &n, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return n;
}

static void test_dnsname_covers(void **state)
{
    (void)state;
    struct ch_dnsname w = N("*.example.com"), apex = N("example.com"), sub = N("a.example.com"),
                      deep = N("x.y.example.com"), other = N("a.example.org"),
                      tricky = N("badexample.com"), ws = N("*.a.example.com");
    assert_true(ch_dnsname_covers(&w, &sub));
    assert_true(ch_dnsname_covers(&w, &deep));
    assert_false(ch_dnsname_covers(&w, &apex));
    assert_false(ch_dnsname_covers(&w, &other));
    assert_false(ch_dnsname_covers(&w, &tricky));
    assert_true(ch_dnsname_covers(&apex, &apex));
    assert_false(ch_dnsname_covers(&apex, &sub));
    assert_false(ch_dnsname_covers(&w, &ws)); /* a wildcard is not a concrete name */
    assert_true(ch_dnsname_intersects(&w, &ws));
    assert_true(ch_dnsname_intersects(&ws, &w));
    assert_true(ch_dnsname_intersects(&w, &w));
    assert_true(ch_dnsname_intersects(&w, &sub));
    assert_true(ch_dnsname_intersects(&sub, &w));
    assert_false(ch_dnsname_intersects(&w, &apex));
    assert_false(ch_dnsname_intersects(&ws, &sub)); /* *.a.example.com excludes a.example.com */
    assert_false(ch_dnsname_intersects(&apex, &sub));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip_parse_v4),     cmocka_unit_test(test_ip_parse_v6),
        cmocka_unit_test(test_prefix_parse),    cmocka_unit_test(test_prefix_contains),
        cmocka_unit_test(test_ip_unmap),        cmocka_unit_test(test_dnsname_parse),
        cmocka_unit_test(test_dnsname_covers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
