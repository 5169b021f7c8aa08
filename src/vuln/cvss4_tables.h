/* SPDX-License-Identifier: Apache-2.0
 *
 * cvss4_tables.h: the data tables of CVSS v4.0 scoring (specification section
 * 8.2), generated into cvss4_tables.c by tools/gen-cvss4-tables.py. Private to
 * vuln/cvss.c; include it from nowhere else.
 *
 * Indices are equivalence-set levels (0 = highest severity). Scores and
 * distances are in tenths; -1 marks a combination that does not exist
 * (EQ3 level 2 only occurs with EQ6 level 1).
 *
 * The max_* string tables list, for each level, the highest-severity vectors
 * of that level as one value letter per metric, in the order the comment of
 * each table names (e.g. "NNN" for AV:N/PR:N/UI:N); each row ends with NULL.
 */
#ifndef CH_VULN_CVSS4_TABLES_H
#define CH_VULN_CVSS4_TABLES_H

#include <stddef.h>

#define CH_CVSS4__MAX_PER_LEVEL 8

/* Macrovector score, [eq1][eq2][eq3][eq4][eq5][eq6]. */
extern const signed char ch_cvss4__lookup[3][2][3][3][3][2];

/* AV PR UI */
extern const char *const ch_cvss4__max_eq1[3][CH_CVSS4__MAX_PER_LEVEL];
/* AC AT */
extern const char *const ch_cvss4__max_eq2[2][CH_CVSS4__MAX_PER_LEVEL];
/* VC VI VA CR IR AR, [eq3][eq6] */
extern const char *const ch_cvss4__max_eq3eq6[3][2][CH_CVSS4__MAX_PER_LEVEL];
/* SC SI SA */
extern const char *const ch_cvss4__max_eq4[3][CH_CVSS4__MAX_PER_LEVEL];
/* E */
extern const char *const ch_cvss4__max_eq5[3][CH_CVSS4__MAX_PER_LEVEL];

extern const signed char ch_cvss4__max_severity_eq1[3];
extern const signed char ch_cvss4__max_severity_eq2[2];
extern const signed char ch_cvss4__max_severity_eq3eq6[3][2];
extern const signed char ch_cvss4__max_severity_eq4[3];
extern const signed char ch_cvss4__max_severity_eq5[3];

#endif
