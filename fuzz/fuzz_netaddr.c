/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_netaddr.c: the address, prefix and DNS name parsers of coord/netaddr.
 * Every input goes through all three. Invariants beyond "no crash": an
 * accepted value formats to canonical text that parses back to the same
 * value and formats to the same bytes (parse -> format -> parse round trip);
 * the text fits its buffer; a prefix contains its own network address; a
 * rejection carries a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coord/netaddr.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

static void fuzz_ip(struct ch_str s)
{
    struct ch_ipaddr a, b;
    struct ch_err err = CH_ERR_INIT;
    if (ch_ip_parse(s, &a, &err) != CH_OK) {
        check(err.msg[0] != '\0');
        return;
    }
    char t1[CH_IP_STR_MAX], t2[CH_IP_STR_MAX];
    ch_ip_format(&a, t1);
    check(strlen(t1) < CH_IP_STR_MAX);
    check(ch_ip_parse(ch_str_c(t1), &b, &err) == CH_OK);
    check(ch_ip_eq(&a, &b));
    check(strcmp(ch_ip_format(&b, t2), t1) == 0);
    struct ch_ipaddr u = ch_ip_unmap(&a);
    check(u.family == a.family || ch_ip_is_v4mapped(&a));
}

static void fuzz_prefix(struct ch_str s)
{
    struct ch_prefix p, q;
    struct ch_err err = CH_ERR_INIT;
    if (ch_prefix_parse(s, &p, &err) != CH_OK) {
        check(err.msg[0] != '\0');
        return;
    }
    char t1[CH_IP_STR_MAX], t2[CH_IP_STR_MAX];
    ch_prefix_format(&p, t1);
    check(strlen(t1) < CH_IP_STR_MAX);
    check(ch_prefix_parse(ch_str_c(t1), &q, &err) == CH_OK);
    check(ch_prefix_eq(&p, &q));
    check(strcmp(ch_prefix_format(&q, t2), t1) == 0);
    check(ch_prefix_contains_ip(&p, &p.addr));
    check(ch_prefix_contains(&p, &q) && ch_prefix_intersects(&p, &q));
}

static void fuzz_name(struct ch_str s)
{
    struct ch_dnsname n, m;
    struct ch_err err = CH_ERR_INIT;
    if (ch_dnsname_parse(s, &n, &err) != CH_OK) {
        check(err.msg[0] != '\0');
        return;
    }
    char t1[CH_DNS_STR_MAX], t2[CH_DNS_STR_MAX];
    ch_dnsname_format(&n, t1);
    check(strlen(t1) <= s.len); /* normalising never lengthens */
    check(ch_dnsname_parse(ch_str_c(t1), &m, &err) == CH_OK);
    check(ch_dnsname_eq(&n, &m));
    check(strcmp(ch_dnsname_format(&m, t2), t1) == 0);
    check(ch_dnsname_intersects(&n, &m));
    check(n.wildcard || ch_dnsname_covers(&n, &m));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ch_str s = ch_str_make((const char *)data, size);
    fuzz_ip(s);
    fuzz_prefix(s);
    fuzz_name(s);
    return 0;
}
