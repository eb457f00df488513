/*
 * skkdece._heads: what its files share.  _heads.c holds the module (the
 * arrays' checks, the quadrature's nodes, the choice of a width);
 * _heads_rows.h the row loops, compiled once per vector width by
 * _heads_2.c, _heads_4.c and _heads_8.c, each for its processor.
 */
#ifndef SKKDECE_HEADS_H
#define SKKDECE_HEADS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define HEADS_HIDDEN __attribute__((visibility("hidden")))
#else
#define HEADS_HIDDEN
#endif

/* The alignment of the work spaces: one vector of the widest width. */
#define HEADS_ALIGN 64

/* The quadrature rule of _tables._quadrature for a kernel without kinks
 * (the gaussian), when the caller gives no nodes (heads_place_nodes, in
 * _heads.c): bandwidth h, and x[k * RULE_MAX + i], w[k * RULE_MAX + i] the
 * k-node Gauss-Legendre rule on [-1, 1]. */
typedef struct {
    double h;
    const double *x, *w;
} Rule;

/* A circle of period P (targets as angles, the location head a rotation):
 * each offset t - c wrapped into [-P/2, P/2], and the wrapped gaussian's
 * images at k P, 0 < |k| <= images, added where they matter (_heads_rows.h,
 * circle_terms).  The line has no Circle (NULL). */
typedef struct {
    double period, inv_period;
    int images;
    int nearest_only; /* set by the row loops from the bandwidths */
} Circle;

/* The kernels of the compiled loss (the row loops' `kernel`): the gaussian
 * (on the line and a circle), the exponential (on the line and a circle),
 * the von Mises kernel (a circle's own), on a circle the kernels of
 * compact support, narrower than the period (_heads_rows.h,
 * compact_terms), and the wrapped gaussian wider than a third of the
 * period, as its Fourier series (series_terms). */
#define KERNEL_GAUSSIAN 0
#define KERNEL_EXPONENTIAL 1
#define KERNEL_VONMISES 2
#define KERNEL_TOPHAT 3
#define KERNEL_EPANECHNIKOV 4
#define KERNEL_LINEAR 5
#define KERNEL_COSINE 6
#define KERNEL_SERIES 7
#define KERNEL_COMPACT(kernel)                                               \
    ((kernel) >= KERNEL_TOPHAT && (kernel) <= KERNEL_COSINE)

#define RULE_SLACK 1e-9
/* The widest interval, in bandwidths (the Python side's _MAX_STRETCH). */
#define RULE_MAX_STRETCH 2048.0
#define RULE_MIN 3
#define RULE_MAX 10

HEADS_HIDDEN Py_ssize_t heads_place_nodes(double lo, double hi,
                                          const Rule *rule, double *nodes,
                                          double *weights);

/* The row loops of one width (_heads_rows.h describes them). */
#define HEADS_ROWS(width)                                                    \
    HEADS_HIDDEN size_t point_work_##width(Py_ssize_t M);                    \
    HEADS_HIDDEN size_t interval_work_##width(Py_ssize_t M);                 \
    HEADS_HIDDEN void point_rows_##width(                                    \
        const double *outputs, Py_ssize_t n, Py_ssize_t K, Py_ssize_t M,     \
        const double *targets, const double *centers, const double *p2,      \
        const double *log_h, Py_ssize_t mu_col, Py_ssize_t log_s_col,        \
        const double *weight, double *loss, double *grad, void *work,        \
        const Circle *circle, int kernel);                                   \
    HEADS_HIDDEN void interval_rows_##width(                                 \
        const double *outputs, Py_ssize_t n, Py_ssize_t K, Py_ssize_t M,     \
        const double *lo, const double *hi, const double *nodes,             \
        const double *node_w, const int64_t *row_ptr, const Rule *rule,      \
        const double *centers, const double *p2, const double *log_h,        \
        Py_ssize_t mu_col, Py_ssize_t log_s_col, const double *weight,       \
        double *loss, double *grad, void *work, double *node_shift,          \
        double *node_total, double *row_nodes, double *row_w,                \
        const Circle *circle, int kernel);                                   \
    HEADS_HIDDEN void each_value_##width(const double *x, double *out,       \
                                         Py_ssize_t n, int log_of);

HEADS_ROWS(2)
HEADS_ROWS(4)
HEADS_ROWS(8)

#endif
