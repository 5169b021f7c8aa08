/* SPDX-License-Identifier: Apache-2.0
 *
 * designate.h: "covered frontier model" designation (DESIGN.md §4
 * "Designation"): versioned policies as data, the decision on confidence
 * bounds, and signed decision records.
 *
 * Policy (JSON, format "clearinghouse-designation-policy/1", shipped as
 * policies/default-v1.json): an id and an integer version, a family-wise
 * confidence level, an interval method, a multiplicity correction
 * (bonferroni or holm) and measures. A measure names the suites (and
 * optionally task kinds and categories) whose scored samples it counts, a
 * capability threshold and an alert level (alert <= threshold).
 *
 * Decision, with alpha = 1 - confidence split across the m measures:
 *   - designated   when, for any measure, the lower confidence bound of the
 *                  success rate is above its threshold ("capability shown");
 *   - cleared      when, for every measure, the upper bound is below its
 *                  alert level ("capability ruled out");
 *   - undetermined otherwise: continue testing, with the extra samples
 *                  ch_stats_samples_needed() says would settle each measure.
 * Bonferroni computes every interval at confidence 1 - alpha/m. Holm
 * (Clopper-Pearson only) tests one-sided exact binomial p-values,
 * P(X >= k | threshold) to show and P(X <= k | alert) to rule out, each
 * family at alpha/2 (the one-sided level of a two-sided interval), step-down;
 * the bounds reported are those at the confidence each measure was tested
 * at. A bound equal to the threshold does not clear it (strict).
 *
 * Decision records are JSON objects in canonical form (keys sorted
 * bytewise, no white space, integers without a fraction, other numbers in
 * shortest round-trip form) followed by one newline, carrying a member
 * "signature" {alg, key_id, public_key, value}: an Ed25519 signature over
 * the canonical bytes of the record without signature.value (so the key
 * id and public key are signed too). Verification
 * refuses any text that is not exactly the canonical form of what it
 * parses to, so a change of one byte anywhere (white space included) fails.
 *
 * Results are read through struct ch_designate_source, so the decision can
 * be tested on constructed result sets; ch_designate_store_source() reads
 * the runs tied to a model (eval_model_runs) from the store.
 */
#ifndef CH_EVAL_DESIGNATE_H
#define CH_EVAL_DESIGNATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/keys.h"
#include "eval/models.h"
#include "eval/stats.h"

struct ch_store;

#define CH_POLICY_FORMAT "clearinghouse-designation-policy/1"
#define CH_DECISION_FORMAT "clearinghouse-designation-decision/1"
/* A policy file is a page of JSON. */
#define CH_POLICY_MAX_BYTES ((size_t)1 << 20)
#define CH_POLICY_MAX_MEASURES 32u
#define CH_POLICY_MAX_SUITES 16u
#define CH_POLICY_MAX_FILTERS 32u
#define CH_POLICY_MAX_ID 128u
#define CH_POLICY_MAX_TEXT 4096u
/* Runs counted for one measure (their ids go into the record). */
#define CH_DESIGNATE_MAX_RUNS 256u
/* A decision record: measures x a few hundred bytes. */
#define CH_DECISION_MAX_BYTES ((size_t)1 << 20)

enum ch_policy_multiplicity {
    CH_POLICY_BONFERRONI = 0,
    CH_POLICY_HOLM,
};

struct ch_policy_measure {
    char id[CH_POLICY_MAX_ID];
    char description[CH_POLICY_MAX_TEXT];
    char suites[CH_POLICY_MAX_SUITES][CH_POLICY_MAX_ID];
    size_t n_suites;
    char kinds[CH_POLICY_MAX_FILTERS][CH_POLICY_MAX_ID]; /* empty: every kind */
    size_t n_kinds;
    char categories[CH_POLICY_MAX_FILTERS][CH_POLICY_MAX_ID]; /* empty: every category */
    size_t n_categories;
    double threshold; /* in (0, 1) */
    double alert;     /* in (0, threshold] */
};

/* A loaded policy; plain value, no pointers (copy freely). */
struct ch_policy {
    char id[CH_POLICY_MAX_ID];
    int64_t version;
    char description[CH_POLICY_MAX_TEXT];
    double confidence; /* family-wise, two-sided, in (0, 1) */
    enum ch_stats_method method;
    enum ch_policy_multiplicity multiplicity;
    struct ch_policy_measure measures[CH_POLICY_MAX_MEASURES];
    size_t n_measures;
    char sha256[65]; /* of the policy document's bytes */
};

/*
 * Parses and validates a policy. Unknown members, duplicate measure ids,
 * out-of-range numbers and Holm with another method than Clopper-Pearson
 * are CH_E_INVALID naming the JSON path. The policy is large: allocate it.
 */
int ch_policy_parse(const char *data, size_t len, const char *source, struct ch_policy *ret,
                    struct ch_err *err) CH_MUST_CHECK;
int ch_policy_load(const char *path, struct ch_policy *ret, struct ch_err *err) CH_MUST_CHECK;
/*
 * The path of a policy named by `ref`: a path when it contains '/' or ends
 * in ".json", else "<dir>/<ref>.json" with dir $CLEARINGHOUSE_POLICY_DIR or
 * "policies". Writes into buf.
 */
int ch_policy_resolve(const char *ref, char *buf, size_t size, struct ch_err *err) CH_MUST_CHECK;

/* ---- results and the decision ----------------------------------------------------------- */

/* What one measure counted. */
struct ch_designate_counts {
    uint64_t successes;
    uint64_t trials;                        /* scored samples */
    int64_t run_ids[CH_DESIGNATE_MAX_RUNS]; /* runs that contributed, ascending */
    size_t n_runs;
};

/* Fills *ret (zeroed by the caller) for measure m of model model_id. */
typedef int (*ch_designate_counts_fn)(void *arg, int64_t model_id,
                                      const struct ch_policy_measure *m,
                                      struct ch_designate_counts *ret, struct ch_err *err);

struct ch_designate_source {
    ch_designate_counts_fn counts;
    void *arg;
};

/*
 * The store's results: samples of the runs tied to the model, done, with a
 * scored outcome (success, fail, limit, refused, filtered; harness failures
 * are excluded), of the measure's suites, kinds and categories. Borrows s.
 */
struct ch_designate_source ch_designate_store_source(struct ch_store *s);

enum ch_designate_outcome {
    CH_DESIGNATE_UNDETERMINED = 0,
    CH_DESIGNATE_DESIGNATED,
    CH_DESIGNATE_CLEARED,
};

/* "undetermined", "designated", "cleared". */
const char *ch_designate_outcome_str(enum ch_designate_outcome o);

struct ch_designate_measure_result {
    struct ch_designate_counts counts;
    double estimate;          /* successes / trials; 0 with no trials */
    double conf_show;         /* two-sided confidence of the lower bound */
    double lower;             /* lower bound at conf_show (0 with no trials) */
    double conf_rule_out;     /* two-sided confidence of the upper bound */
    double upper;             /* upper bound at conf_rule_out (1 with no trials) */
    double p_show;            /* Holm: P(X >= k | threshold); Bonferroni: NaN */
    double p_rule_out;        /* Holm: P(X <= k | alert); Bonferroni: NaN */
    bool shown;               /* capability shown: lower > threshold */
    bool ruled_out;           /* capability ruled out: upper < alert */
    int64_t more_to_show;     /* extra samples to show it at the observed rate; -1: none would */
    int64_t more_to_rule_out; /* extra samples to rule it out at the observed rate; -1: none */
};

struct ch_designate_decision {
    enum ch_designate_outcome outcome;
    struct ch_designate_measure_result results[CH_POLICY_MAX_MEASURES];
    size_t n_results;
    int64_t to_designate; /* fewest extra samples of one measure that would designate; -1 */
    int64_t to_clear;     /* extra samples of the measure needing most to clear; -1 */
};

/*
 * The decision of policy p on counts[0..p->n_measures). Pure: no store, no
 * clock. CH_E_INVALID for counts with successes > trials.
 */
int ch_designate_decide(const struct ch_policy *p, const struct ch_designate_counts *counts,
                        struct ch_designate_decision *ret, struct ch_err *err) CH_MUST_CHECK;

/* ---- records ----------------------------------------------------------------------------- */

/*
 * Canonical JSON of a cJSON tree into out (appended): sorted keys, no white
 * space, integral numbers below 2^53 as integers. `skip_key` (may be NULL)
 * leaves out that member of the top-level object.
 */
int ch_decision_canonical(const cJSON *v, const char *skip_key, struct ch_buf *out,
                          struct ch_err *err) CH_MUST_CHECK;

struct ch_designate_request {
    const char *model; /* reference, see ch_models_find() */
    const struct ch_policy *policy;
    struct ch_designate_source source;
};

/*
 * Decides for a model and records the signed decision: reads the counts,
 * decides, writes the record (canonical JSON + "\n") into ret_record
 * (reset first), stores it in eval_decisions and audits
 * "designation.decide". Only evaluating roles decide (CH_E_PERM).
 */
int ch_designate_run(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                     const struct ch_designate_request *r, int64_t now, int64_t *ret_id,
                     struct ch_designate_decision *ret_decision, struct ch_buf *ret_record,
                     struct ch_err *err) CH_MUST_CHECK;

/*
 * Builds and signs a record from a decision (no store). The record carries
 * the model (id, name, version, organisation slug), policy, decision time,
 * run ids, per-measure statistics, outcome and reasons.
 */
int ch_decision_build(const struct ch_keys *keys, const struct ch_models_model *m,
                      const struct ch_policy *p, const struct ch_designate_decision *d, int64_t now,
                      struct ch_buf *ret_record, struct ch_err *err) CH_MUST_CHECK;

struct ch_decision_check {
    bool ok;
    char problem[CH_ERR_MSG_MAX]; /* why not, when !ok */
    char outcome[32];             /* the record's outcome, when it parsed */
    char key_id[CH_KEYS_ID_MAX];
};

/*
 * Verifies a record's text. public_key (32 bytes) is the key it must be
 * signed with; NULL trusts the key embedded in the record (detects
 * alteration, not forgery). Returns CH_OK whether or not it verifies (see
 * ret->ok); errors only for out of memory.
 */
int ch_decision_verify(const char *text, size_t len, const unsigned char *public_key,
                       struct ch_decision_check *ret, struct ch_err *err) CH_MUST_CHECK;

/* The record text of decision `id`, if the actor may see the model. */
int ch_decision_get(struct ch_store *s, const struct ch_eval_actor *a, int64_t id,
                    struct ch_buf *ret_record, struct ch_err *err) CH_MUST_CHECK;
/* Decisions (id, model, policy, outcome, time) visible to the actor, newest first. */
int ch_decision_list_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t model_id,
                          struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;
/* Whether the latest decision about model_id designated it. */
int ch_designate_is_covered(struct ch_store *s, int64_t model_id, bool *ret,
                            struct ch_err *err) CH_MUST_CHECK;

#endif
