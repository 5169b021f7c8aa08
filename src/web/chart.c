/* SPDX-License-Identifier: Apache-2.0
 *
 * chart.c: inline SVG charts (see chart.h). Geometry is fixed (a viewBox of
 * 640 × 240) and the browser scales it; the stylesheet colours series by
 * class (s0 … s5) and keeps lines thick enough to read.
 */
#include "web/chart.h"

#include <stdbool.h>

#include "web/html.h"

#define W 640.0
#define H 240.0
#define LEFT 48.0
#define RIGHT 40.0 /* room for the last date label */
#define TOP 16.0
#define BOTTOM 40.0

static void open_figure(struct ch_buf *b, const char *id, const char *title, const char *desc)
{
    /* the visible title repeats the SVG's; screen readers get the SVG's only */
    ch_buf_append_c(b, "<figure class=\"chart\"><p class=\"chart-title\" aria-hidden=\"true\">");
    ch_html_esc(b, title);
    ch_buf_appendf(b,
                   "</p><svg viewBox=\"0 0 640 240\" role=\"img\" "
                   "aria-labelledby=\"%s-t %s-d\" focusable=\"false\"><title id=\"%s-t\">",
                   id, id, id);
    ch_html_esc(b, title);
    ch_buf_appendf(b, "</title><desc id=\"%s-d\">", id);
    ch_html_esc(b, desc);
    ch_buf_append_c(b, "</desc>");
}

/* A maximum that splits into four whole steps, so the grid's labels are exact counts. */
static double nice_max(double m)
{
    double step = 1;
    while (step * 4 < m)
        step = step < 5 ? step + 1 : step * 2;
    return step * 4;
}

/* Grid lines and their values; fraction: values in [0, 1] with two decimals. */
static void axes(struct ch_buf *b, double ymax, bool fraction)
{
    for (int i = 0; i <= 4; i++) {
        double v = ymax * i / 4;
        double y = H - BOTTOM - (H - TOP - BOTTOM) * i / 4;
        ch_buf_appendf(b,
                       "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                       "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
                       LEFT, y, W - RIGHT, y, LEFT - 6, y + 4);
        ch_buf_appendf(b, fraction ? "%.2f" : "%.0f", v);
        ch_buf_append_c(b, "</text>");
    }
}

static void data_table(struct ch_buf *b, const struct ch_chart_lines *c)
{
    ch_buf_append_c(b, "<details><summary>Data table</summary><table><thead><tr><th "
                       "scope=\"col\">Date</th>");
    for (size_t s = 0; s < c->n_series; s++) {
        ch_buf_append_c(b, "<th scope=\"col\">");
        ch_html_esc(b, c->series[s].name);
        ch_buf_append_c(b, "</th>");
    }
    ch_buf_append_c(b, "</tr></thead><tbody>");
    for (size_t i = 0; i < c->n_points; i++) {
        ch_buf_append_c(b, "<tr><th scope=\"row\">");
        ch_html_esc(b, c->labels[i]);
        ch_buf_append_c(b, "</th>");
        for (size_t s = 0; s < c->n_series; s++)
            ch_buf_appendf(b, "<td>%g</td>", c->series[s].values[i]);
        ch_buf_append_c(b, "</tr>");
    }
    ch_buf_append_c(b, "</tbody></table></details>");
}

void ch_chart_lines_svg(struct ch_buf *b, const struct ch_chart_lines *c)
{
    size_t n = c->n_points < CH_CHART_MAX_POINTS ? c->n_points : CH_CHART_MAX_POINTS;
    size_t ns = c->n_series < CH_CHART_MAX_SERIES ? c->n_series : CH_CHART_MAX_SERIES;
    double m = 0;
    for (size_t s = 0; s < ns; s++)
        for (size_t i = 0; i < n; i++)
            m = c->series[s].values[i] > m ? c->series[s].values[i] : m;
    double ymax = nice_max(m);
    open_figure(b, c->id, c->title, c->desc);
    axes(b, ymax, false);
    double span = W - LEFT - RIGHT;
    double dx = n > 1 ? span / (double)(n - 1) : 0;
    for (size_t i = 0; i < n; i++) {
        ch_buf_appendf(b, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                       LEFT + dx * (double)i, H - BOTTOM + 18);
        ch_html_esc(b, c->labels[i]);
        ch_buf_append_c(b, "</text>");
    }
    for (size_t s = 0; s < ns; s++) {
        ch_buf_appendf(b, "<polyline class=\"line s%zu\" fill=\"none\" points=\"", s);
        for (size_t i = 0; i < n; i++) {
            double y = H - BOTTOM - (H - TOP - BOTTOM) * c->series[s].values[i] / ymax;
            ch_buf_appendf(b, "%s%.1f,%.1f", i ? " " : "", LEFT + dx * (double)i, y);
        }
        ch_buf_append_c(b, "\"/>");
        for (size_t i = 0; i < n; i++) {
            double y = H - BOTTOM - (H - TOP - BOTTOM) * c->series[s].values[i] / ymax;
            ch_buf_appendf(b, "<circle class=\"dot s%zu\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>", s,
                           LEFT + dx * (double)i, y);
        }
    }
    ch_buf_append_c(b, "</svg><figcaption>");
    for (size_t s = 0; s < ns; s++) {
        ch_buf_appendf(b, "<span class=\"key s%zu\">", s);
        ch_html_esc(b, c->series[s].name);
        ch_buf_append_c(b, "</span> ");
    }
    ch_buf_append_c(b, "</figcaption>");
    data_table(b, c);
    ch_buf_append_c(b, "</figure>");
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

void ch_chart_intervals_svg(struct ch_buf *b, const struct ch_chart_intervals *c)
{
    size_t n = c->n_items < CH_CHART_MAX_POINTS ? c->n_items : CH_CHART_MAX_POINTS;
    open_figure(b, c->id, c->title, c->desc);
    axes(b, 1.0, true);
    double span = W - LEFT - RIGHT;
    double slot = n > 0 ? span / (double)n : span;
    /* narrow slots: every other label one line lower, so long labels do not overlap */
    bool stagger = slot < 80;
    for (size_t i = 0; i < n; i++) {
        const struct ch_chart_estimate *e = &c->items[i];
        double x = LEFT + slot * ((double)i + 0.5);
        double y = H - BOTTOM - (H - TOP - BOTTOM) * clamp01(e->value);
        double ylo = H - BOTTOM - (H - TOP - BOTTOM) * clamp01(e->lo);
        double yhi = H - BOTTOM - (H - TOP - BOTTOM) * clamp01(e->hi);
        ch_buf_appendf(b,
                       "<line class=\"ci\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                       "<circle class=\"dot s0\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>"
                       "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                       x, ylo, x, yhi, x, y, x, H - BOTTOM + (stagger && i % 2 == 1 ? 32 : 16));
        ch_html_esc(b, e->label);
        ch_buf_append_c(b, "</text>");
    }
    if (c->threshold_label != NULL) {
        /* the label sits on the line, so the chart reads without the legend */
        double ty = H - BOTTOM - (H - TOP - BOTTOM) * clamp01(c->threshold);
        ch_buf_appendf(b,
                       "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                       "y2=\"%.1f\"/><text class=\"tick thr-label\" x=\"%.1f\" y=\"%.1f\" "
                       "text-anchor=\"end\">",
                       LEFT, ty, W - RIGHT, ty, W - RIGHT, ty - 5);
        ch_html_esc(b, c->threshold_label);
        ch_buf_append_c(b, "</text>");
    }
    ch_buf_append_c(b, "</svg><figcaption><span class=\"key s0\">score, with its confidence "
                       "interval</span>");
    if (c->threshold_label != NULL) {
        ch_buf_append_c(b, " <span class=\"key thr\">");
        ch_html_esc(b, c->threshold_label);
        ch_buf_append_c(b, "</span>");
    }
    ch_buf_append_c(b, "</figcaption><details><summary>Data table</summary><table><thead><tr>"
                       "<th scope=\"col\">");
    ch_html_esc(b, c->row_label != NULL ? c->row_label : "Item");
    ch_buf_append_c(b, "</th><th scope=\"col\">Score</th><th scope=\"col\">Lower</th><th "
                       "scope=\"col\">Upper</th></tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        ch_buf_append_c(b, "<tr><th scope=\"row\">");
        ch_html_esc(b, c->items[i].label);
        ch_buf_appendf(b, "</th><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>", c->items[i].value,
                       c->items[i].lo, c->items[i].hi);
    }
    ch_buf_append_c(b, "</tbody></table></details></figure>");
}
