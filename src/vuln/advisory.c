/* SPDX-License-Identifier: Apache-2.0
 *
 * advisory.c: helpers of the advisory model (see advisory.h).
 */
#include "vuln/advisory.h"

#include <string.h>

const char *ch_adv_source_name(enum ch_adv_source s)
{
    switch (s) {
    case CH_ADV_OSV: return "osv";
    case CH_ADV_CVE5: return "cve5";
    case CH_ADV_CSAF: return "csaf";
    }
    return "unknown";
}

void ch_advisory_init(struct ch_advisory *a, enum ch_adv_source source)
{
    memset(a, 0, sizeof(*a));
    a->source = source;
    a->published = -1;
    a->modified = -1;
    a->withdrawn = -1;
    a->kev_date_added = -1;
    a->ssvc.timestamp = -1;
}

bool ch_is_cve_id(const char *s)
{
    if (s == NULL || strncmp(s, "CVE-", 4) != 0)
        return false;
    const char *p = s + 4;
    for (int i = 0; i < 4; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
    }
    if (p[4] != '-')
        return false;
    p += 5;
    size_t n = 0;
    while (p[n] >= '0' && p[n] <= '9')
        n++;
    return n >= 4 && p[n] == '\0';
}
