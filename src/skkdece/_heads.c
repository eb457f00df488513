/*
 * skkdece._heads: the fused loss of the location-scale heads
 * (_location_scale.py) for the gaussian and the exponential kernel, on the
 * line and (the location head alone) on a circle, and for the von Mises
 * kernel, the kernels of compact support and the wrapped gaussian's
 * Fourier series on a circle: point targets, and interval targets under
 * the cross-entropy.
 *
 * Row i of a block has M logits l, a location mu and a log scale log_s (the
 * outputs of LocationScaleLogits, one row of `outputs`), a target and a
 * weight w.  For a point target t, with z = (t - mu) / s, s = exp(log_s):
 *
 *   a_m    = l_m - (z - c_m)^2 / (2 h_m^2) - log h_m
 *   log q  = logsumexp_m a_m - logsumexp_m l_m - log(2 pi) / 2
 *   loss   = log_s - log q
 *   d loss / d l_m     = w (softmax_m(l) - r_m),   r_m = softmax_m(a)
 *   d loss / d mu      = w slope / s,   slope = sum_m r_m (c_m - z) / h_m^2
 *   d loss / d log_s   = w (1 + z slope)
 *
 * and for intervals the same terms at each quadrature node (interval_rows,
 * below).  The exponential (Laplace) kernel has |z - c_m| / h_m in place
 * of the square, log 2 in place of log(2 pi) / 2, and the slope
 * sum_m r_m sign(c_m - z) / h_m; the von Mises kernel 2 kappa_m
 * sin^2(pi (z - c_m) / P) and its normaliser log(P i0e(kappa_m)) in log_h.
 * On a circle the offsets wrap, with the gaussian's images and the
 * exponential kernel's closed form (_heads_rows.h, circle_terms); the
 * terms of a compact kernel and of the wrapped gaussian's series are their
 * values times the exponentials of the logits (compact_terms,
 * series_terms).  This is what location_scale_loss computes with
 * NumPy, in about
 * ten passes through an n-by-M array with two exponentials per value; here
 * the logits are read once and the gradient written once, the rest stays
 * in the caches.  Every logsumexp is shifted by its largest term, so a
 * target hundreds of bandwidths from every center keeps its exact loss and
 * gradient.  A row whose loss is not finite gets an infinite loss and a
 * zero gradient, as in NumPy; so does one where the gradient of a head that
 * is on is not finite (NumPy would return it as it is).
 *
 * The exponential and the logarithm are written here (expv and logv, in
 * _heads_rows.h) on vectors of doubles, because the C library's are calls,
 * one value at a time, and the loss is its exponentials: within two units
 * in the last place of the C library's, with gradual underflow.  The row
 * loops are compiled for vectors of two, four and eight doubles
 * (_heads_2.c, _heads_4.c, _heads_8.c), each one register of its
 * processor (SSE2, AVX2, AVX-512 on x86-64), and the widest the processor
 * has runs: a vector wider than the registers spills to memory, and the
 * loss then costs two to three times as much.  Sums run in a fixed order,
 * so a row's result does not depend on the thread or the block that
 * computes it; it may differ in the last bits from one width to another,
 * and the compiler may fuse multiplications and additions where the
 * processor can.
 *
 * point_loss(outputs, targets, centers, half_precision, log_h, mu_column,
 *            log_s_column, weight, loss, grad
 *            [, width[, period, images[, kernel]]])
 * interval_loss(outputs, lo, hi, nodes, node_weights, row_ptr, centers,
 *               half_precision, log_h, mu_column, log_s_column, weight,
 *               loss, grad[, width[, period, images[, kernel]]])
 * panel_loss(outputs, lo, hi, h, rule_nodes, rule_weights, centers,
 *            half_precision, log_h, mu_column, log_s_column, weight, loss,
 *            grad[, width[, period, images[, kernel]]])
 *   outputs float64 (n, K) with K >= M + heads; targets float64 (n,);
 *   lo, hi float64 (n,): the standardised interval ends, (a - mu) / s and
 *   (b - mu) / s; nodes, node_weights float64: the quadrature of [lo, hi],
 *   row i's at row_ptr[i]:row_ptr[i + 1] (int64, n + 1), weights summing
 *   to one; centers, half_precision (1 / (2 h_m^2); for the exponential
 *   kernel 1 / h_m, for the von Mises kernel kappa_m), log_h float64 (M,)
 *   (the exponential kernel's on a circle with log(1 - exp(-P / h_m)),
 *   the von Mises kernel's log(P i0e(kappa_m)));
 *   mu_column, log_s_column: the columns of mu and log_s in outputs, or -1
 *   for a head that is off (mu = 0, log_s = 0); weight float64 (n,);
 *   loss float64 (n,) written; grad float64 (n, K) written (columns of the
 *   heads that are off are left as they are), or None; h the bandwidth
 *   and rule_nodes, rule_weights (11, 10) the Gauss-Legendre rules of
 *   heads_place_nodes; width: the vectors' width, 2, 4 or 8, one of WIDTHS
 *   (0, the default: WIDTH); period, images: a circle's period and the
 *   wrapped gaussian's images each side (_heads_rows.h, circle_terms),
 *   where the targets are angles, the offsets t - c_m wrapped and the
 *   location head a rotation (log_s_column must be -1); 0 and 0, the
 *   default, for the line; kernel: 0 (the default) the gaussian, 1 the
 *   exponential kernel (its nodes given: interval_loss), 2 the von Mises
 *   kernel, 3 to 6 the tophat, Epanechnikov, linear and cosine kernels
 *   (with half_precision 1 / h_m and log_h log h_m, 0 or 1 image each
 *   side, and their nodes given), 7 the wrapped gaussian as its Fourier
 *   series (half_precision exp(-2 (pi h_m / P)^2), log_h log P, and the
 *   series' terms in place of the images); all but the first two on a
 *   circle only.
 * Every array C-contiguous.  The GIL is released while rows are computed.
 *
 * Module constants: API_VERSION; WIDTHS, the widths this processor runs;
 * WIDTH, the widest of them, which runs by default.
 */
#include "_heads.h"

/* The API the Python side checks (_location_scale.py, _HEADS_API). */
#define API_VERSION 4

/* The row loops of one width. */
typedef struct {
    int width;
    size_t (*point_work)(Py_ssize_t M);
    size_t (*interval_work)(Py_ssize_t M);
    void (*point_rows)(const double *, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                       const double *, const double *, const double *,
                       const double *, Py_ssize_t, Py_ssize_t, const double *,
                       double *, double *, void *, const Circle *, int);
    void (*interval_rows)(const double *, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                          const double *, const double *, const double *,
                          const double *, const int64_t *, const Rule *,
                          const double *, const double *, const double *,
                          Py_ssize_t, Py_ssize_t, const double *, double *,
                          double *, void *, double *, double *, double *,
                          double *, const Circle *, int);
    void (*each_value)(const double *, double *, Py_ssize_t, int);
} Rows;

#define ROWS_OF(w)                                                           \
    {w, point_work_##w, interval_work_##w, point_rows_##w,                   \
     interval_rows_##w, each_value_##w}
static const Rows all_rows[3] = {ROWS_OF(2), ROWS_OF(4), ROWS_OF(8)};

/* Whether this processor runs width all_rows[k].width (set when the module
 * loads). */
static int runnable[3];

/* On x86-64 the wider loops are compiled for AVX2 and AVX-512 (with fused
 * multiply-adds), and run only where those exist; elsewhere only the
 * baseline's two doubles run, one register of SSE2 or NEON (four or eight
 * would spill). */
static int runs(int k)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    switch (all_rows[k].width) {
    case 2: return 1;
    case 4:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    default:
        return __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
#else
    return all_rows[k].width == 2;
#endif
}

/* The loops of `width` (0: the widest this processor runs); NULL with the
 * error set if it does not run them. */
static const Rows *rows_of(Py_ssize_t width)
{
    const Rows *best = NULL;
    for (int k = 0; k < 3; k++) {
        if (runnable[k] && (width == 0 || width == all_rows[k].width)) {
            best = &all_rows[k];
        }
    }
    if (best == NULL) {
        PyErr_Format(PyExc_ValueError,
                     "width must be 0 or one of WIDTHS (the vector widths "
                     "this processor runs), not %zd",
                     width);
    }
    return best;
}

/* `bytes` of work space aligned to HEADS_ALIGN, within *block, which the
 * caller frees (malloc's, not aligned_alloc: that one is missing from older
 * macOS and from MinGW); NULL if there is no memory. */
static void *aligned_work(size_t bytes, void **block)
{
    *block = malloc(bytes + HEADS_ALIGN);
    if (*block == NULL) {
        return NULL;
    }
    uintptr_t address = (uintptr_t)*block;
    return (char *)*block + (HEADS_ALIGN - address % HEADS_ALIGN) % HEADS_ALIGN;
}

typedef struct {
    Py_buffer view;
    int held;
} Buffer;

static void release(Buffer *b)
{
    if (b->held) {
        PyBuffer_Release(&b->view);
        b->held = 0;
    }
}

/* A C-contiguous buffer of `ndim` dimensions holding `kind` ('d': float64,
 * 'q': int64). */
static int get_kind(PyObject *obj, Buffer *b, int ndim, char kind,
                    int writable, const char *name)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
    if (writable) {
        flags |= PyBUF_WRITABLE;
    }
    const char *type = kind == 'd' ? "float64" : "int64";
    if (PyObject_GetBuffer(obj, &b->view, flags) != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous%s %s array",
                     name, writable ? " writable" : "", type);
        return -1;
    }
    b->held = 1;
    /* The format, less a prefix that names the native byte order (arrays
     * that went through pickle or Dask may carry one). */
    const uint16_t probe = 1;
    char native = *(const char *)&probe ? '<' : '>';
    const char *f = b->view.format != NULL ? b->view.format : "B";
    if (*f == '@' || *f == '=' || *f == native) {
        f++;
    }
    int format_ok = kind == 'd' ? strcmp(f, "d") == 0
                                : strcmp(f, "q") == 0 || strcmp(f, "l") == 0;
    if (b->view.ndim != ndim || b->view.itemsize != 8 || !format_ok) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a %d-D %s array, not %d-D of format '%s'",
                     name, ndim, type, b->view.ndim, b->view.format);
        return -1;
    }
    return 0;
}

static int get(PyObject *obj, Buffer *b, int ndim, int writable,
               const char *name)
{
    return get_kind(obj, b, ndim, 'd', writable, name);
}

/* The buffers of a call's arrays, by `kinds`, one letter each: 'd' a 1-D
 * float64 array, 'D' a 2-D one, 'q' a 1-D int64 one, 'w' a writable 1-D
 * float64 one, 'G' a writable 2-D float64 one or None (left unheld). */
static int get_args(PyObject *const *objs, Buffer *b, const char *kinds,
                    const char *const *names)
{
    for (int k = 0; kinds[k]; k++) {
        char kind = kinds[k];
        if (kind == 'G' && objs[k] == Py_None) {
            continue;
        }
        int ndim = kind == 'D' || kind == 'G' ? 2 : 1;
        int writable = kind == 'w' || kind == 'G';
        if (get_kind(objs[k], &b[k], ndim, kind == 'q' ? 'q' : 'd', writable,
                     names[k])) {
            return -1;
        }
    }
    return 0;
}

/* Whether each held buffer has its length by `lengths`, one letter each:
 * 'n' the rows, 'p' the rows and one, 'M' the centers, 'N' the nodes, '2'
 * the rows by K columns, '.' anything; if not, the error is set. */
static int lengths_fit(const char *name, const Buffer *b, const char *lengths,
                       Py_ssize_t n, Py_ssize_t M, Py_ssize_t N, Py_ssize_t K)
{
    int ok = M >= 1;
    for (int k = 0; lengths[k]; k++) {
        if (!b[k].held) {
            continue;
        }
        const Py_ssize_t *shape = b[k].view.shape;
        switch (lengths[k]) {
        case 'n': ok &= shape[0] == n; break;
        case 'p': ok &= shape[0] == n + 1; break;
        case 'M': ok &= shape[0] == M; break;
        case 'N': ok &= shape[0] == N; break;
        case '2': ok &= shape[0] == n && shape[1] == K; break;
        default: break;
        }
    }
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "%s: the arrays' shapes do not match",
                     name);
    }
    return ok;
}

/* Whether the heads' columns, mu_col and log_s_col (-1: off), lie after the
 * M logits within the K outputs; if not, the error is set. */
static int heads_fit(const char *name, Py_ssize_t M, Py_ssize_t K,
                     Py_ssize_t mu_col, Py_ssize_t log_s_col)
{
    if (M > K || mu_col >= K || log_s_col >= K ||
        (mu_col >= 0 && mu_col < M) || (log_s_col >= 0 && log_s_col < M)) {
        PyErr_Format(PyExc_ValueError,
                     "%s: the heads' columns must follow the M logits "
                     "within outputs",
                     name);
        return 0;
    }
    return 1;
}


/* The quadrature rule of _tables._quadrature for a kernel without kinks
 * (the gaussian), when the caller gives no nodes: each interval cut into
 * panels at most h wide, ceil(2 + 8 width / h) Gauss-Legendre nodes on
 * each (3 to 10).  The same operations in the same order as NumPy's, so
 * the same nodes, bit for bit: no fused multiply-adds here (this file is
 * compiled for the baseline processor, and GCC is told too).
 *
 * Row [lo, hi]'s nodes and weights (when the arrays are given); returns
 * their number.  An empty interval is a point: one node of weight one. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
Py_ssize_t heads_place_nodes(double lo, double hi, const Rule *rule,
                             double *nodes, double *weights)
{
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    double width = hi - lo;
    if (!(width > 0.0)) {
        if (nodes != NULL) {
            nodes[0] = lo;
            weights[0] = 1.0;
        }
        return 1;
    }
    double panels = ceil(width / rule->h - RULE_SLACK);
    panels = panels < 1.0 ? 1.0 : panels;
    double panel = width / panels;
    double per = ceil(2.0 + 8.0 * (panel / rule->h) - RULE_SLACK);
    per = per < RULE_MIN ? RULE_MIN : (per > RULE_MAX ? RULE_MAX : per);
    Py_ssize_t k = (Py_ssize_t)per, count = (Py_ssize_t)panels * k;
    if (nodes == NULL) {
        return count;
    }
    double half = 0.5 * panel, share = panel / width;
    const double *x = rule->x + k * RULE_MAX, *w = rule->w + k * RULE_MAX;
    for (Py_ssize_t p = 0; p < (Py_ssize_t)panels; p++) {
        double start = lo + (double)p * panel;
        for (Py_ssize_t i = 0; i < k; i++) {
            nodes[p * k + i] = (start + half) + half * x[i];
            weights[p * k + i] = share * (0.5 * w[i]);
        }
    }
    return count;
}

/* The circle of a call's optional period and images (a period of zero:
 * the line, NULL); 0 with the error set if they are not a positive finite
 * period and 0 to 64 images, or zero and zero, if a scale head comes with a
 * circle, or if the kernel is not one of the KERNEL_ codes (the von Mises
 * kernel on a circle only). */
static int circle_of(const char *name, double period, int images,
                     Py_ssize_t log_s_col, int kernel, Circle *circle,
                     const Circle **out)
{
    *out = NULL;
    if (kernel < KERNEL_GAUSSIAN || kernel > KERNEL_SERIES) {
        PyErr_Format(PyExc_ValueError,
                     "%s: kernel must be 0 (the gaussian), 1 (the exponential "
                     "kernel), 2 (the von Mises kernel), 3 to 6 (the tophat, "
                     "Epanechnikov, linear and cosine kernels) or 7 (the "
                     "wrapped gaussian's series)",
                     name);
        return 0;
    }
    if (period == 0.0 && images == 0) {
        if (kernel >= KERNEL_VONMISES) {
            PyErr_Format(PyExc_ValueError,
                         "%s: the %s needs a circle (a positive period)",
                         name,
                         kernel == KERNEL_VONMISES ? "von Mises kernel"
                         : kernel == KERNEL_SERIES
                             ? "wrapped gaussian's series"
                             : "compiled loss of a compact kernel");
            return 0;
        }
        return 1;
    }
    if (KERNEL_COMPACT(kernel) && images > 1) {
        PyErr_Format(PyExc_ValueError,
                     "%s: a compact kernel takes 0 or 1 image each side (it "
                     "is narrower than the period)",
                     name);
        return 0;
    }
    if (!(period > 0.0 && period < INFINITY) || images < 0 || images > 64) {
        PyErr_Format(PyExc_ValueError,
                     "%s: period must be positive and finite, with 0 to 64 "
                     "images (or both zero, for the line)",
                     name);
        return 0;
    }
    if (log_s_col >= 0) {
        PyErr_Format(PyExc_ValueError,
                     "%s: a circle has no scale head (log_s_column must be "
                     "-1): the period does not stretch",
                     name);
        return 0;
    }
    circle->period = period;
    circle->inv_period = 1.0 / period;
    circle->images = images;
    circle->nearest_only = 0;
    *out = circle;
    return 1;
}

/* The arrays of interval_loss (nodes given) and panel_loss (placed here). */
typedef struct {
    const Buffer *outputs, *lo, *hi, *nodes, *node_w, *row_ptr, *centers;
    const Buffer *p2, *log_h, *weight, *loss, *grad;
} Intervals;

/* The largest number of nodes of a row, after checking row_ptr (or the
 * intervals' widths against the rule); -1 with the error set. */
static Py_ssize_t most_nodes(const char *name, const Intervals *a,
                             const Rule *rule, Py_ssize_t n)
{
    const double *lo = a->lo->view.buf, *hi = a->hi->view.buf;
    Py_ssize_t most = 1;
    if (rule == NULL) {
        const int64_t *ptr = a->row_ptr->view.buf;
        int ok = ptr[0] == 0 && ptr[n] == a->nodes->view.shape[0];
        for (Py_ssize_t i = 0; ok && i < n; i++) {
            ok = ptr[i] < ptr[i + 1] && ptr[i + 1] <= ptr[n];
            if (ok && ptr[i + 1] - ptr[i] > most) {
                most = (Py_ssize_t)(ptr[i + 1] - ptr[i]);
            }
        }
        if (!ok) {
            PyErr_Format(PyExc_ValueError,
                         "%s: row_ptr must rise from 0 to the number of "
                         "nodes, every row with a node",
                         name);
            return -1;
        }
        return most;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (hi[i] - lo[i] > RULE_MAX_STRETCH * rule->h) {
            PyErr_Format(PyExc_ValueError,
                         "%s: an interval spans more than %d bandwidths", name,
                         (int)RULE_MAX_STRETCH);
            return -1;
        }
        Py_ssize_t count = heads_place_nodes(lo[i], hi[i], rule, NULL, NULL);
        most = count > most ? count : most;
    }
    return most;
}

static PyObject *run_intervals(const char *name, const Intervals *a,
                               const Rule *rule, Py_ssize_t mu_col,
                               Py_ssize_t log_s_col, Py_ssize_t width,
                               const Circle *circle, int kernel)
{
    PyObject *result = NULL;
    void *work = NULL, *work_block = NULL;
    double *node_log = NULL, *row_nodes = NULL, *row_w = NULL;
    Py_ssize_t n = a->outputs->view.shape[0], K = a->outputs->view.shape[1];
    Py_ssize_t M = a->centers->view.shape[0];
    Py_ssize_t N = rule == NULL ? a->nodes->view.shape[0] : 0;
    const Buffer *shapes[] = {a->outputs, a->lo,     a->hi,    a->centers,
                              a->p2,      a->log_h,  a->weight, a->loss,
                              a->grad};
    Buffer checked[9];
    for (int k = 0; k < 9; k++) {
        checked[k] = *shapes[k];
    }
    int ok = lengths_fit(name, checked, "2nnMMMnn2", n, M, 0, K) &&
             heads_fit(name, M, K, mu_col, log_s_col);
    if (ok && rule == NULL) {
        ok = a->nodes->view.shape[0] == N && a->node_w->view.shape[0] == N &&
             a->row_ptr->view.shape[0] == n + 1;
        if (!ok) {
            PyErr_Format(PyExc_ValueError,
                         "%s: the arrays' shapes do not match", name);
        }
    }
    const Rows *loops = ok ? rows_of(width) : NULL;
    Py_ssize_t most = loops != NULL ? most_nodes(name, a, rule, n) : -1;
    if (most < 0) {
        return NULL;
    }
    work = aligned_work(loops->interval_work(M), &work_block);
    node_log = malloc(2 * (size_t)most * sizeof(double));
    /* node_log: each node's shift, then (from most on) its sum. */
    row_nodes = malloc((size_t)most * sizeof(double));
    row_w = malloc((size_t)most * sizeof(double));
    if (work == NULL || node_log == NULL || row_nodes == NULL || row_w == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    loops->interval_rows(
        a->outputs->view.buf, n, K, M, a->lo->view.buf, a->hi->view.buf,
        rule == NULL ? a->nodes->view.buf : NULL,
        rule == NULL ? a->node_w->view.buf : NULL,
        rule == NULL ? a->row_ptr->view.buf : NULL, rule, a->centers->view.buf,
        a->p2->view.buf, a->log_h->view.buf, mu_col, log_s_col,
        a->weight->view.buf, a->loss->view.buf,
        a->grad->held ? a->grad->view.buf : NULL, work, node_log,
        node_log + most, row_nodes, row_w, circle, kernel);
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    free(work_block);
    free(node_log);
    free(row_nodes);
    free(row_w);
    return result;
}

static PyObject *interval_loss(PyObject *self, PyObject *args)
{
    static const char *const names[] = {
        "outputs", "lo",     "hi",    "nodes",  "node_weights", "row_ptr",
        "centers", "half_precision", "log_h", "weight", "loss", "grad"};
    PyObject *o[12];
    Py_ssize_t mu_col, log_s_col, width = 0;
    double period = 0.0;
    int images = 0, kernel = 0;
    Circle circle;
    const Circle *on = NULL;
    Buffer b[12];
    memset(b, 0, sizeof b);
    PyObject *result = NULL;
    if (PyArg_ParseTuple(args, "OOOOOOOOOnnOOO|ndii", &o[0], &o[1], &o[2],
                         &o[3], &o[4], &o[5], &o[6], &o[7], &o[8], &mu_col,
                         &log_s_col, &o[9], &o[10], &o[11], &width, &period,
                         &images, &kernel) &&
        circle_of("interval_loss", period, images, log_s_col, kernel,
                  &circle, &on) &&
        get_args(o, b, "DddddqddddwG", names) == 0) {
        Intervals a = {&b[0], &b[1], &b[2], &b[3], &b[4],  &b[5],
                       &b[6], &b[7], &b[8], &b[9], &b[10], &b[11]};
        result = run_intervals("interval_loss", &a, NULL, mu_col, log_s_col,
                               width, on, kernel);
    }
    for (int j = 0; j < 12; j++) {
        release(&b[j]);
    }
    return result;
}

static PyObject *panel_loss(PyObject *self, PyObject *args)
{
    static const char *const names[] = {
        "outputs", "lo",    "hi",     "rule_nodes", "rule_weights", "centers",
        "half_precision", "log_h", "weight", "loss", "grad"};
    PyObject *o[11];
    Py_ssize_t mu_col, log_s_col, width = 0;
    double h, period = 0.0;
    int images = 0, kernel = 0;
    Circle circle;
    const Circle *on = NULL;
    Buffer b[11];
    memset(b, 0, sizeof b);
    PyObject *result = NULL;
    if (PyArg_ParseTuple(args, "OOOdOOOOOnnOOO|ndii", &o[0], &o[1], &o[2], &h,
                         &o[3], &o[4], &o[5], &o[6], &o[7], &mu_col,
                         &log_s_col, &o[8], &o[9], &o[10], &width, &period,
                         &images, &kernel) &&
        circle_of("panel_loss", period, images, log_s_col, kernel, &circle,
                  &on) &&
        get_args(o, b, "DddDDddddwG", names) == 0) {
        if (kernel == KERNEL_EXPONENTIAL || KERNEL_COMPACT(kernel)) {
            /* Their kinks (at the centers, at the ends of the supports)
             * split the panels: the caller places the nodes
             * (interval_loss). */
            PyErr_SetString(PyExc_ValueError,
                            "panel_loss: the nodes it places are those of a "
                            "kernel without kinks (the gaussian, its wrapped "
                            "series, the von Mises kernel); give the nodes of "
                            "the exponential and the compact kernels to "
                            "interval_loss");
        }
        else if (!(h > 0.0) || b[3].view.shape[0] != RULE_MAX + 1 ||
            b[3].view.shape[1] != RULE_MAX || b[4].view.shape[0] != RULE_MAX + 1 ||
            b[4].view.shape[1] != RULE_MAX) {
            PyErr_SetString(PyExc_ValueError,
                            "panel_loss: the bandwidth must be positive and "
                            "the rules (11, 10) arrays");
        }
        else {
            Rule rule = {h, b[3].view.buf, b[4].view.buf};
            Buffer none;
            memset(&none, 0, sizeof none);
            Intervals a = {&b[0], &b[1], &b[2], &none, &none, &none,
                           &b[5], &b[6], &b[7], &b[8], &b[9], &b[10]};
            result = run_intervals("panel_loss", &a, &rule, mu_col, log_s_col,
                                   width, on, kernel);
        }
    }
    for (int j = 0; j < 11; j++) {
        release(&b[j]);
    }
    return result;
}

static PyObject *point_loss(PyObject *self, PyObject *args)
{
    static const char *const names[] = {
        "outputs", "targets", "centers", "half_precision",
        "log_h",   "weight",  "loss",    "grad"};
    PyObject *o[8];
    Py_ssize_t mu_col, log_s_col, width = 0;
    double period = 0.0;
    int images = 0, kernel = 0;
    Circle circle;
    const Circle *on = NULL;
    Buffer b[8];
    memset(b, 0, sizeof b);
    PyObject *result = NULL;
    void *work = NULL, *work_block = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOnnOOO|ndii", &o[0], &o[1], &o[2], &o[3],
                          &o[4], &mu_col, &log_s_col, &o[5], &o[6], &o[7],
                          &width, &period, &images, &kernel) ||
        !circle_of("point_loss", period, images, log_s_col, kernel, &circle,
                   &on)) {
        return NULL;
    }
    if (get_args(o, b, "DdddddwG", names)) {
        goto done;
    }
    int has_grad = o[7] != Py_None;
    Py_ssize_t n = b[0].view.shape[0], K = b[0].view.shape[1];
    Py_ssize_t M = b[2].view.shape[0];
    if (!lengths_fit("point_loss", b, "2nMMMnn2", n, M, 0, K) ||
        !heads_fit("point_loss", M, K, mu_col, log_s_col)) {
        goto done;
    }
    const Rows *loops = rows_of(width);
    if (loops == NULL) {
        goto done;
    }
    work = aligned_work(loops->point_work(M), &work_block);
    if (work == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    loops->point_rows(b[0].view.buf, n, K, M, b[1].view.buf, b[2].view.buf,
               b[3].view.buf, b[4].view.buf, mu_col, log_s_col,
               b[5].view.buf, b[6].view.buf,
               has_grad ? b[7].view.buf : NULL, work, on, kernel);
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    free(work_block);
    for (int j = 0; j < 8; j++) {
        release(&b[j]);
    }
    return result;
}


/* exp or log of every value of a float64 array, into out: the tests
 * compare expv and logv with the C library's, and the location-scale table
 * takes its interval rows' scales with vector_exp (NumPy 1.x's exp depends
 * on the arrays' alignment in the last bit). */
static PyObject *each(PyObject *args, int log_of)
{
    PyObject *o_x, *o_out;
    Py_ssize_t width = 0;
    Buffer b[2];
    memset(b, 0, sizeof b);
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OO|n", &o_x, &o_out, &width)) {
        return NULL;
    }
    const Rows *loops = rows_of(width);
    if (loops == NULL || get(o_x, &b[0], 1, 0, "x") ||
        get(o_out, &b[1], 1, 1, "out")) {
        goto done;
    }
    if (b[0].view.shape[0] != b[1].view.shape[0]) {
        PyErr_SetString(PyExc_ValueError, "x and out differ in length");
        goto done;
    }
    loops->each_value(b[0].view.buf, b[1].view.buf, b[0].view.shape[0], log_of);
    Py_INCREF(Py_None);
    result = Py_None;
done:
    release(&b[0]);
    release(&b[1]);
    return result;
}

static PyObject *vector_exp(PyObject *self, PyObject *args)
{
    return each(args, 0);
}

static PyObject *vector_log(PyObject *self, PyObject *args)
{
    return each(args, 1);
}

static PyMethodDef methods[] = {
    {"point_loss", point_loss, METH_VARARGS,
     "Losses and gradients of point targets under the location-scale "
     "heads (gaussian, exponential, von Mises or compact kernel)."},
    {"interval_loss", interval_loss, METH_VARARGS,
     "Losses and gradients of interval targets (the cross-entropy) under "
     "the location-scale heads (gaussian, exponential, von Mises or "
     "compact kernel)."},
    {"panel_loss", panel_loss, METH_VARARGS,
     "interval_loss with the nodes placed as _tables._quadrature places "
     "them for a kernel without kinks (the gaussian, its wrapped series, "
     "the von Mises kernel)."},
    {"vector_exp", vector_exp, METH_VARARGS,
     "The loss's exponential of every value, into out."},
    {"vector_log", vector_log, METH_VARARGS,
     "The loss's logarithm of every value, into out."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_heads",
    "Fused loss of the location-scale heads.",
    -1, methods,
};

PyMODINIT_FUNC PyInit__heads(void)
{
    int n_runnable = 0, widest = 2;
    for (int k = 0; k < 3; k++) {
        runnable[k] = runs(k);
        if (runnable[k]) {
            n_runnable++;
            widest = all_rows[k].width;
        }
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    PyObject *widths = PyTuple_New(n_runnable);
    for (int k = 0, j = 0; widths != NULL && k < 3; k++) {
        PyObject *width = runnable[k] ? PyLong_FromLong(all_rows[k].width) : NULL;
        if (runnable[k] && width == NULL) {
            Py_CLEAR(widths);
        }
        else if (runnable[k]) {
            PyTuple_SET_ITEM(widths, j++, width);
        }
    }
    /* PyModule_AddObject steals the reference only when it succeeds. */
    if (widths == NULL || PyModule_AddObject(m, "WIDTHS", widths) != 0) {
        Py_XDECREF(widths);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "API_VERSION", API_VERSION) ||
        PyModule_AddIntConstant(m, "WIDTH", widest)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
