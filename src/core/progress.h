/* SPDX-License-Identifier: Apache-2.0
 *
 * progress.h: a one-line progress bar for long CLI work. It draws only when
 * its stream is a terminal, at most ten times a second, so piped output and
 * logs stay clean and redrawing never costs more than the work.
 */
#ifndef CH_CORE_PROGRESS_H
#define CH_CORE_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct ch_progress;

/* total 0 means unknown (shows a count and a rate instead of a bar). NULL on OOM. */
struct ch_progress *ch_progress_new(FILE *out, const char *label, uint64_t total);
/* Sets the position and an optional short status (NULL keeps the last). */
void ch_progress_update(struct ch_progress *p, uint64_t done, const char *status);
void ch_progress_set_total(struct ch_progress *p, uint64_t total);
/* Erases the bar; frees p. NULL-safe. */
void ch_progress_free(struct ch_progress *p);
/* Whether anything is drawn (the stream is a terminal). */
int ch_progress_active(const struct ch_progress *p);

#endif
