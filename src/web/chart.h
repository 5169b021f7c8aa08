/* SPDX-License-Identifier: Apache-2.0
 *
 * chart.h: charts as inline SVG, drawn by the server so they need no
 * JavaScript. Each chart is <figure> holding <svg role="img"
 * aria-labelledby> with <title> and <desc>, and the same figures as a
 * <table> (in a <details>) for screen readers and for copying. Colours come
 * from classes styled by the dashboard's stylesheet (no style attributes:
 * the Content Security Policy forbids inline styles).
 *
 * Every text goes through ch_html_esc(). Charts take at most
 * CH_CHART_MAX_POINTS points and CH_CHART_MAX_SERIES series.
 */
#ifndef CH_WEB_CHART_H
#define CH_WEB_CHART_H

#include <stddef.h>

#include "core/buf.h"

#define CH_CHART_MAX_POINTS 64u
#define CH_CHART_MAX_SERIES 6u

struct ch_chart_series {
    const char *name;     /* legend and table heading */
    const double *values; /* n_points values */
};

/* A line chart over labelled points in time (x: labels in order). */
struct ch_chart_lines {
    const char *id;    /* unique in the page: prefixes the element ids */
    const char *title; /* the chart's name */
    const char *desc;  /* one sentence saying what it shows */
    const char *const *labels;
    size_t n_points;
    const struct ch_chart_series *series;
    size_t n_series;
};

void ch_chart_lines_svg(struct ch_buf *b, const struct ch_chart_lines *c);

/* One estimate with its confidence interval. */
struct ch_chart_estimate {
    const char *label;
    double value, lo, hi; /* in [0, 1] */
};

/* Estimates with intervals against a threshold, all on a 0..1 scale. */
struct ch_chart_intervals {
    const char *id;        /* unique in the page: prefixes the element ids */
    const char *title;     /* the chart's name */
    const char *desc;      /* one sentence saying what it shows */
    const char *row_label; /* heading of the data table's first column ("Run", "Category") */
    const struct ch_chart_estimate *items;
    size_t n_items;
    double threshold;            /* in [0, 1] */
    const char *threshold_label; /* legend and line label; NULL: no threshold line */
};

/*
 * Each estimate as a dot with its interval as a vertical bar, and the
 * threshold as a dashed, labelled line: the score chart of the designation
 * policy.
 */
void ch_chart_intervals_svg(struct ch_buf *b, const struct ch_chart_intervals *c);

#endif
