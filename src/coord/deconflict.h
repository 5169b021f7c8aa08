/* SPDX-License-Identifier: Apache-2.0
 *
 * deconflict.h: "is the scanning I see from source S against target T at
 * time t authorised?", one question or many at once.
 *
 * A question is text, as an operator copies it from a log:
 *
 *   SOURCE  an IPv4/IPv6 address; "ua:" followed by the User-Agent seen
 *           (matched against the leases' declared tokens: a claim anyone can
 *           make, so answers say when it is the only evidence); or "-" for
 *           any source (every lease covering the target).
 *   TARGET  an IPv4/IPv6 address or a DNS name (network targets);
 *           "pkg:..." a purl with a version, or "repo:URL@REF" (repository
 *           and package targets, exact match on the target's key).
 *   TIME    UTC seconds; a lease answers when start <= t < end.
 *
 * The answer is the covering leases (with their authorisations) or
 * "unauthorised". A caller sees the details of the leases it may see
 * (service.h tenancy) and only the number of the others.
 *
 * Batches: struct ch_coord_batch holds up to its capacity of questions in
 * arrays allocated once, so parse → answer → render runs without an
 * allocation per question (answer lists grow once and are reused). Network
 * questions go through ch_leaseindex_query_batch(); an unparsable question
 * gets an error answer and does not stop the others. Answers equal those of
 * single questions (tested).
 *
 * Thread-safety: a batch belongs to one thread; answering takes the
 * service's read lock.
 */
#ifndef CH_COORD_DECONFLICT_H
#define CH_COORD_DECONFLICT_H

#include <stdbool.h>
#include <stdint.h>

#include "coord/leaseindex.h"
#include "coord/service.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/str.h"

/* Questions per batch round: 4,096 × ~400 bytes of query state is under
 * 2 MB per batch, and large enough that the per-round costs vanish. */
#define CH_COORD_BATCH_MAX 4096
/* Bytes of one question's source or target text (a User-Agent is the longest). */
#define CH_COORD_ASK_TEXT_MAX (CH_COORD_UA_MAX + 3)

enum ch_coord_ask_kind {
    CH_COORD_ASK_BAD = 0,     /* could not be parsed or answered: see the error */
    CH_COORD_ASK_NETWORK = 1, /* through the prefix/name index */
    CH_COORD_ASK_EXACT = 2,   /* repository or package key */
};

/*
 * Caller-owned, reusable; ch_coord_batch_init() allocates the arrays for
 * `cap` questions, ch_coord_batch_release() frees them. Question texts are
 * borrowed from the caller until the batch is reset; fields are read-only
 * outside deconflict.c.
 */
struct ch_coord_batch {
    size_t n, cap;
    struct ch_coord_query *qs;       /* index questions (network ones) */
    struct ch_dnsname *names;        /* target names, pointed to by qs[i].tgt_name */
    uint8_t *kind;                   /* enum ch_coord_ask_kind */
    struct ch_str *src_text, *tgt_text; /* as given, for the answer */
    uint32_t *aux_off, *aux_len;     /* exact key or error message, in aux */
    struct ch_lease_hits *outs;      /* answers: lease ids, ascending */
    struct ch_buf aux;
};

int ch_coord_batch_init(struct ch_coord_batch *b, size_t cap, struct ch_err *err) CH_MUST_CHECK;
void ch_coord_batch_release(struct ch_coord_batch *b);
/* Forgets the questions (keeps the memory). */
void ch_coord_batch_reset(struct ch_coord_batch *b);
static inline bool ch_coord_batch_full(const struct ch_coord_batch *b)
{
    return b->n >= b->cap;
}

/*
 * Adds a question (texts borrowed until reset). A question that does not
 * parse is added as CH_COORD_ASK_BAD with its error as the answer, and this
 * still returns CH_OK; errors are CH_E_LIMIT (batch full) and CH_E_NOMEM.
 */
int ch_coord_batch_add(struct ch_coord_batch *b, struct ch_str source, struct ch_str target,
                       int64_t t, struct ch_err *err) CH_MUST_CHECK;

/* Answers every question into b->outs (lease ids, unfiltered). */
int ch_coord_batch_run(struct ch_coord *c, struct ch_coord_batch *b,
                       struct ch_err *err) CH_MUST_CHECK;

/* The error text of a bad question i (empty view otherwise). */
struct ch_str ch_coord_batch_error(const struct ch_coord_batch *b, size_t i);

enum ch_coord_out {
    CH_COORD_OUT_TEXT = 1,  /* "SOURCE TARGET TIME authorised lease=3,7" per line */
    CH_COORD_OUT_JSONL = 2, /* one JSON object per line */
};

/*
 * Answers and renders every question: as JSON objects appended to w (one
 * array element each: the caller opens and closes the array), or as lines
 * of text or JSON appended to out. Details only of the leases actor may see.
 * Returns the number of questions answered "authorised", or an error.
 */
int ch_coord_batch_answer_json(struct ch_coord *c, const struct ch_coord_actor *a,
                               struct ch_coord_batch *b, struct ch_jw *w,
                               struct ch_err *err) CH_MUST_CHECK;
int ch_coord_batch_answer_lines(struct ch_coord *c, const struct ch_coord_actor *a,
                                struct ch_coord_batch *b, enum ch_coord_out fmt,
                                struct ch_buf *out, struct ch_err *err) CH_MUST_CHECK;

/*
 * One question, answered as a JSON object into w (see the batch form).
 * *ret_authorised tells the answer. Errors: CH_E_INVALID for a question that
 * does not parse, CH_E_LIMIT for a time before the history held.
 */
int ch_coord_deconflict_json(struct ch_coord *c, const struct ch_coord_actor *a,
                             struct ch_str source, struct ch_str target, int64_t t,
                             struct ch_jw *w, bool *ret_authorised,
                             struct ch_err *err) CH_MUST_CHECK;

/* Parses a question's time: RFC 3339 or decimal UTC seconds. */
int ch_coord_time_parse(struct ch_str s, int64_t *ret, struct ch_err *err) CH_MUST_CHECK;

#endif
