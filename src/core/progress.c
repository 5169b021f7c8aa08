/* SPDX-License-Identifier: Apache-2.0
 *
 * progress.c: terminal progress bar (see progress.h).
 */
#include "core/progress.h"

#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"

#define BAR_WIDTH 30
#define REDRAW_NS 100000000LL

struct ch_progress {
    FILE *out;
    int active;
    char label[48];
    char status[64];
    uint64_t total;
    uint64_t done;
    int64_t start_ns;
    int64_t last_ns;
};

struct ch_progress *ch_progress_new(FILE *out, const char *label, uint64_t total)
{
    struct ch_progress *p = ch_calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->out = out;
    p->active = out != NULL && isatty(fileno(out));
    snprintf(p->label, sizeof(p->label), "%s", label);
    p->total = total;
    p->start_ns = ch_clock_mono_ns();
    return p;
}

int ch_progress_active(const struct ch_progress *p)
{
    return p != NULL && p->active;
}

static void draw(struct ch_progress *p, int64_t now)
{
    double secs = (double)(now - p->start_ns) / 1e9;
    double rate = secs > 0 ? (double)p->done / secs : 0;
    if (p->total > 0) {
        double frac = (double)p->done / (double)p->total;
        if (frac > 1)
            frac = 1;
        char bar[BAR_WIDTH + 1];
        int fill = (int)(frac * BAR_WIDTH);
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[BAR_WIDTH] = '\0';
        double eta = rate > 0 ? (double)(p->total - (p->done < p->total ? p->done : p->total)) / rate : 0;
        fprintf(p->out, "\r\033[K%s [%s] %3.0f%% %.0f/s eta %.0fs %s", p->label, bar, frac * 100,
                rate, eta, p->status);
    } else {
        fprintf(p->out, "\r\033[K%s %llu (%.0f/s) %s", p->label, (unsigned long long)p->done, rate,
                p->status);
    }
    fflush(p->out);
}

void ch_progress_update(struct ch_progress *p, uint64_t done, const char *status)
{
    if (p == NULL)
        return;
    p->done = done;
    if (status != NULL)
        snprintf(p->status, sizeof(p->status), "%s", status);
    if (!p->active)
        return;
    int64_t now = ch_clock_mono_ns();
    if (now - p->last_ns < REDRAW_NS)
        return;
    p->last_ns = now;
    draw(p, now);
}

void ch_progress_set_total(struct ch_progress *p, uint64_t total)
{
    if (p != NULL)
        p->total = total;
}

void ch_progress_free(struct ch_progress *p)
{
    if (p == NULL)
        return;
    if (p->active) {
        fprintf(p->out, "\r\033[K");
        fflush(p->out);
    }
    ch_free(p);
}
