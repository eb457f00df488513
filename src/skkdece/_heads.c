/*
 * skkdece._heads: the fused loss of the location-scale heads
 * (_location_scale.py) for the gaussian kernel on the line: point targets,
 * and interval targets under the cross-entropy.
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
 * below).  This is what location_scale_loss computes with NumPy, in about
 * ten passes through an n-by-M array with two exponentials per value; here
 * the logits are read once and the gradient written once, the rest stays
 * in the caches.  Every logsumexp is shifted by its largest term, so a
 * target hundreds of bandwidths from every center keeps its exact loss and
 * gradient.  A row whose loss is not finite gets an infinite loss and a
 * zero gradient, as in NumPy; so does one where the gradient of a head that
 * is on is not finite (NumPy would return it as it is).
 *
 * The exponential is written here (expv below) on vectors of eight doubles,
 * because the C library's exp is a call, one value at a time, and the loss
 * is its exponentials: within two units in the last place of exp, with
 * gradual underflow.  Sums run in a fixed order, so a row's result does not
 * depend on the thread or the block that computes it; the compiler may fuse
 * multiplications and additions where the processor can, so results may
 * differ in the last bits from one kind of processor to another.
 *
 * point_loss(outputs, targets, centers, half_precision, log_h, mu_column,
 *            log_s_column, weight, loss, grad)
 * interval_loss(outputs, lo, hi, nodes, node_weights, row_ptr, centers,
 *               half_precision, log_h, mu_column, log_s_column, weight,
 *               loss, grad)
 *   outputs float64 (n, K) with K >= M + heads; targets float64 (n,);
 *   lo, hi float64 (n,): the standardised interval ends, (a - mu) / s and
 *   (b - mu) / s; nodes, node_weights float64: the quadrature of [lo, hi],
 *   row i's at row_ptr[i]:row_ptr[i + 1] (int64, n + 1), weights summing
 *   to one; centers, half_precision (1 / (2 h_m^2)), log_h float64 (M,);
 *   mu_column, log_s_column: the columns of mu and log_s in outputs, or -1
 *   for a head that is off (mu = 0, log_s = 0); weight float64 (n,);
 *   loss float64 (n,) written; grad float64 (n, K) written (columns of the
 *   heads that are off are left as they are), or None.
 * Every array C-contiguous.  The GIL is released while rows are computed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The API the Python side checks (_location_scale.py, _HEADS_API). */
#define API_VERSION 1

/* The row loops are compiled for the wider vector units too, and the best
 * one the processor has is chosen when the module loads (GCC's function
 * multi-versioning). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__)
#define VECTOR_CLONES \
    __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif
#if defined(__GNUC__) && !defined(__clang__)
/* Comparisons may become vector blends: no floating-point exception flag is
 * read here, and NaN and infinity still propagate. */
#pragma GCC optimize("no-trapping-math")
/* The vector helpers are inlined: their argument passing never crosses an
 * ABI boundary. */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

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

/* ------------------------------------------------------------------------
 * Vectors of eight doubles (GCC's and Clang's vector extension: the
 * compiler maps one onto whatever units the target has; with AVX-512, one
 * register).  A row's centers go eight to a vector, the last one padded; a
 * batch's per-row values (scales, standardised targets, the ratios whose
 * logarithms the losses need) go eight rows to a vector.  ROWS is that
 * width.
 * ------------------------------------------------------------------------ */

#define ROWS 8
typedef double vec __attribute__((vector_size(8 * ROWS)));
typedef int64_t mask __attribute__((vector_size(8 * ROWS)));
typedef uint64_t bits __attribute__((vector_size(8 * ROWS)));

#if defined(__GNUC__)
#define INLINE static inline __attribute__((always_inline))
#else
#define INLINE static inline
#endif

INLINE vec splat(double v)
{
    vec out = {v, v, v, v, v, v, v, v};
    return out;
}

INLINE vec blend(mask m, vec a, vec b)
{
    return (vec)(((bits)m & (bits)a) | (~(bits)m & (bits)b));
}

/* ------------------------------------------------------------------------
 * exp(x) of a vector.  x = k ln 2 + r with |r| <= ln 2 / 2 (Cody and Waite's
 * two-part ln 2, k rounded by adding 1.5 * 2^52), exp(r) by its Taylor
 * polynomial of degree 13 (truncation below 4e-18) in Estrin's scheme (four
 * levels of products instead of Horner's thirteen), and 2^k as the product
 * of two powers of two, each a normal number, so that results in the
 * subnormal range round once, as the C library's do.  Beyond the double
 * range the clamps give exact 0 and inf; NaN stays NaN.
 * ------------------------------------------------------------------------ */

#define SHIFTER 6755399441055744.0 /* 1.5 * 2^52 */
#define LOG2E 1.4426950408889634
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10
/* The bits of SHIFTER, less the exponent bias. */
#define SHIFTER_UNBIASED (0x4338000000000000ull - 1023u)

/* 2^j for integers j in [-1022, 1023] held in t = j + SHIFTER. */
INLINE vec power_of_two(vec t)
{
    return (vec)(((bits)t - SHIFTER_UNBIASED) << 52);
}

INLINE vec expv(vec x)
{
    x = blend(x < -1100.0, splat(-1100.0), x);
    x = blend(x > 710.0, splat(710.0), x);
    vec t = x * LOG2E + SHIFTER;
    vec k = t - SHIFTER;
    vec r = (x - k * LN2_HI) - k * LN2_LO;
    vec r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    vec q0 = 1.0 + r;
    vec q1 = 0.5 + r * (1.0 / 6.0);
    vec q2 = 1.0 / 24.0 + r * (1.0 / 120.0);
    vec q3 = 1.0 / 720.0 + r * (1.0 / 5040.0);
    vec q4 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
    vec q5 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
    vec q6 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
    vec p = (q0 + r2 * q1) + r4 * (q2 + r2 * q3) +
            r8 * ((q4 + r2 * q5) + r4 * q6);
    /* k in [-1587, 1025]: halves rounded to even, each within range. */
    vec t1 = k * 0.5 + SHIFTER;
    vec t2 = (k - (t1 - SHIFTER)) + SHIFTER;
    return p * power_of_two(t1) * power_of_two(t2);
}

/* ------------------------------------------------------------------------
 * log(x) of a vector: x = 2^e m with m in [sqrt(1/2), sqrt(2)), log m =
 * 2 atanh(f) with f = (m - 1) / (m + 1), |f| < 0.172, by its series to
 * f^19 (truncation below 1e-17), and e ln 2 in Cody and Waite's two parts:
 * within two units in the last place of the C library's log.  Lanes that
 * are not positive normal numbers (zero, subnormal, infinite, NaN) take
 * the C library's log.
 * ------------------------------------------------------------------------ */

#define SQRT2 1.41421356237309504880

INLINE vec logv(vec x)
{
    const bits exponent_mask = (bits){0, 0, 0, 0, 0, 0, 0, 0} + 0x7ff0000000000000ull;
    bits u = (bits)x;
    /* m in [1, 2), then halved where above sqrt(2). */
    vec m = (vec)((u & ~exponent_mask) | 0x3ff0000000000000ull);
    vec e = (vec)(((u >> 52) & 0x7ff) + (0x4338000000000000ull - 1023u)) - SHIFTER;
    mask high = m > SQRT2;
    m = blend(high, m * 0.5, m);
    e = blend(high, e + 1.0, e);
    vec f = (m - 1.0) / (m + 1.0);
    vec s = f * f, s2 = s * s, s4 = s2 * s2, s8 = s4 * s4;
    vec p = ((1.0 / 3.0 + s * (1.0 / 5.0)) + s2 * (1.0 / 7.0 + s * (1.0 / 9.0))) +
            s4 * ((1.0 / 11.0 + s * (1.0 / 13.0)) +
                  s2 * (1.0 / 15.0 + s * (1.0 / 17.0))) +
            s8 * (1.0 / 19.0);
    vec two_f = f + f;
    vec out = e * LN2_HI + (two_f + (two_f * s * p + e * LN2_LO));
    mask bad = ~((x >= 2.2250738585072014e-308) & (x <= 1.7976931348623157e308));
    for (int j = 0; j < ROWS; j++) {
        if (bad[j]) {
            out[j] = log(x[j]);
        }
    }
    return out;
}

INLINE vec vmax(vec a, vec b)
{
    return blend(a > b, a, b);
}

/* The lanes' sum, in a fixed order, and their largest. */
INLINE double hsum(vec v)
{
    return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

INLINE double hmax(vec v)
{
    double a = v[0] > v[4] ? v[0] : v[4], b = v[1] > v[5] ? v[1] : v[5];
    double c = v[2] > v[6] ? v[2] : v[6], d = v[3] > v[7] ? v[3] : v[7];
    a = a > c ? a : c;
    b = b > d ? b : d;
    return a > b ? a : b;
}

/* The number of vectors that hold M values. */
static Py_ssize_t n_vectors(Py_ssize_t M)
{
    return (M + ROWS - 1) / ROWS;
}

/* Work space of point_rows, in vectors: nine per vector of centers, and
 * three per eight rows of a batch. */
#define BATCH 256
static size_t work_size(Py_ssize_t M)
{
    return 9 * (size_t)n_vectors(M) + 3 * BATCH / ROWS;
}

/* Values v[0..M) into V, the last vector's missing values `pad`. */
INLINE void load(vec *V, const double *v, Py_ssize_t M, double pad)
{
    Py_ssize_t full = M / ROWS, m = full * ROWS;
    for (Py_ssize_t k = 0; k < full; k++) {
        memcpy(&V[k], v + k * ROWS, sizeof(vec));
    }
    if (m < M) {
        vec last = splat(pad);
        for (int j = 0; m + j < M; j++) {
            last[j] = v[m + j];
        }
        V[full] = last;
    }
}

INLINE void store(double *v, const vec *V, Py_ssize_t M)
{
    Py_ssize_t full = M / ROWS, m = full * ROWS;
    for (Py_ssize_t k = 0; k < full; k++) {
        memcpy(v + k * ROWS, &V[k], sizeof(vec));
    }
    for (int j = 0; m + j < M; j++) {
        v[m + j] = V[full][j];
    }
}

/* A row's loss, infinite unless it and the gradients of the heads that are
 * on are finite; returns whether they are. */
INLINE int row_loss(double value, double g_mu, double g_log_s, int location,
                    int scale, double *loss)
{
    int finite = fabs(value) < INFINITY && (!location || fabs(g_mu) < INFINITY) &&
                 (!scale || fabs(g_log_s) < INFINITY);
    *loss = finite ? value : INFINITY;
    return finite;
}

/* A row's gradient into g: w (softmax - responsibilities) as
 * soft f_soft - resp f_resp, through out (V vectors), and the heads';
 * all zero unless `finite`. */
INLINE void row_gradient(double *g, vec *out, const vec *soft, double f_soft,
                         const vec *resp, double f_resp, Py_ssize_t V,
                         Py_ssize_t M, Py_ssize_t mu_col, double g_mu,
                         Py_ssize_t log_s_col, double g_log_s, int finite)
{
    for (Py_ssize_t v = 0; v < V; v++) {
        /* Zeros, not products with zero: the terms may be NaN. */
        out[v] = finite ? soft[v] * f_soft - resp[v] * f_resp : splat(0.0);
    }
    store(g, out, M);
    if (mu_col >= 0) {
        g[mu_col] = finite ? g_mu : 0.0;
    }
    if (log_s_col >= 0) {
        g[log_s_col] = finite ? g_log_s : 0.0;
    }
}

/* The softmax of one row's logits lg (V vectors), into soft; returns its
 * sum and sets *shift: shifted by the first logit (one term is then one),
 * or by the largest where that overflows. */
INLINE double softmax_row(const vec *lg, Py_ssize_t V, vec *soft,
                          double *shift)
{
    vec acc = splat(0.0);
    double first = lg[0][0];
    for (Py_ssize_t v = 0; v < V; v++) {
        soft[v] = expv(lg[v] - first);
        acc += soft[v];
    }
    double total = hsum(acc);
    *shift = first;
    if (total < INFINITY) {
        return total;
    }
    vec top = lg[0];
    for (Py_ssize_t v = 1; v < V; v++) {
        top = vmax(lg[v], top);
    }
    *shift = hmax(top);
    acc = splat(0.0);
    for (Py_ssize_t v = 0; v < V; v++) {
        soft[v] = expv(lg[v] - *shift);
        acc += soft[v];
    }
    return hsum(acc);
}

/* Rows two at a time (their steps independent, so that the processor runs
 * them side by side), their centers eight at a time (the last vector
 * padded with logits of -inf, which add nothing); a batch's scales and
 * standardised targets first, eight rows at a time.  The logarithms of a
 * batch come last, in a loop of their own. */
VECTOR_CLONES
static void point_rows(const double *outputs, Py_ssize_t n, Py_ssize_t K,
                       Py_ssize_t M, const double *targets,
                       const double *centers, const double *p2,
                       const double *log_h, Py_ssize_t mu_col,
                       Py_ssize_t log_s_col, const double *weight,
                       double *loss, double *grad, vec *work)
{
    const double half_log_2pi = 0.91893853320467274178;
    Py_ssize_t V = n_vectors(M);
    vec *c = work, *q = c + V, *lh = q + V, *lg = lh + V, *soft = lg + 2 * V;
    vec *kern = soft + 2 * V, *zs = kern + 2 * V, *ss = zs + BATCH / ROWS;
    vec *ratio = ss + BATCH / ROWS;
    load(c, centers, M, 0.0);
    load(q, p2, M, 0.0);
    load(lh, log_h, M, 0.0);
    for (Py_ssize_t b0 = 0; b0 < n; b0 += BATCH) {
        Py_ssize_t rows = n - b0 < BATCH ? n - b0 : BATCH;
        for (Py_ssize_t j0 = 0; j0 < rows; j0 += ROWS) {
            vec mu = splat(0.0), log_s = splat(0.0), t = splat(0.0);
            for (int j = 0; j < ROWS && j0 + j < rows; j++) {
                const double *l = outputs + (b0 + j0 + j) * K;
                mu[j] = mu_col >= 0 ? l[mu_col] : 0.0;
                log_s[j] = log_s_col >= 0 ? l[log_s_col] : 0.0;
                t[j] = targets[b0 + j0 + j];
            }
            vec s = expv(log_s);
            ss[j0 / ROWS] = s;
            zs[j0 / ROWS] = (t - mu) / s;
        }
        for (Py_ssize_t k = 0; k < BATCH / ROWS; k++) {
            ratio[k] = splat(1.0);
        }
        for (Py_ssize_t r0 = 0; r0 < rows; r0 += 2) {
            int pair = r0 + 1 < rows ? 2 : 1;
            double z[2], l_shift[2], l_total[2], a_shift[2];
            vec top[2], a_acc[2], s_acc[2];
            for (int p = 0; p < pair; p++) {
                load(lg + p * V, outputs + (b0 + r0 + p) * K, M, -INFINITY);
                z[p] = zs[(r0 + p) / ROWS][(r0 + p) % ROWS];
            }
            for (int p = 0; p < pair; p++) {
                l_total[p] = softmax_row(lg + p * V, V, soft + p * V, &l_shift[p]);
            }
            /* The log kernels plus logits, shifted by their largest. */
            for (int p = 0; p < pair; p++) {
                top[p] = splat(-INFINITY);
            }
            for (Py_ssize_t v = 0; v < V; v++) {
                for (int p = 0; p < pair; p++) {
                    vec u = z[p] - c[v];
                    vec a = (lg[p * V + v] - u * u * q[v]) - lh[v];
                    kern[p * V + v] = a;
                    top[p] = vmax(a, top[p]);
                }
            }
            for (int p = 0; p < pair; p++) {
                a_shift[p] = hmax(top[p]);
                a_acc[p] = splat(0.0);
                s_acc[p] = splat(0.0);
            }
            for (Py_ssize_t v = 0; v < V; v++) {
                for (int p = 0; p < pair; p++) {
                    vec e = expv(kern[p * V + v] - a_shift[p]);
                    kern[p * V + v] = e;
                    a_acc[p] += e;
                    s_acc[p] += e * ((c[v] - z[p]) * q[v]);
                }
            }
            for (int p = 0; p < pair; p++) {
                Py_ssize_t r = r0 + p, i = b0 + r;
                const double *l = outputs + i * K;
                double s = ss[r / ROWS][r % ROWS];
                double a_total = hsum(a_acc[p]), inv_a = 1.0 / a_total;
                double inv_l = 1.0 / l_total[p];
                double w = weight[i];
                double slope = 2.0 * hsum(s_acc[p]) * inv_a;
                double g_mu = w * slope / s, g_log_s = w * (1.0 + z[p] * slope);
                /* The loss less log(a_total / l_total), which comes below. */
                double value = (log_s_col >= 0 ? l[log_s_col] : 0.0) -
                               ((a_shift[p] - l_shift[p]) - half_log_2pi);
                ratio[r / ROWS][r % ROWS] = a_total * inv_l;
                int finite = row_loss(value, g_mu, g_log_s, mu_col >= 0,
                                      log_s_col >= 0, &loss[i]);
                if (grad != NULL) {
                    row_gradient(grad + i * K, lg + p * V, soft + p * V,
                                 w * inv_l, kern + p * V, w * inv_a, V, M,
                                 mu_col, g_mu, log_s_col, g_log_s, finite);
                }
            }
        }
        /* The logarithms.  A ratio of zero or infinity makes the loss
         * infinite, and its gradient must then be zero. */
        for (Py_ssize_t r0 = 0; r0 < rows; r0 += ROWS) {
            vec log_ratio = logv(ratio[r0 / ROWS]);
            for (int j = 0; j < ROWS && r0 + j < rows; j++) {
                Py_ssize_t i = b0 + r0 + j;
                double x = ratio[r0 / ROWS][j];
                if (loss[i] < INFINITY && x > 0.0 && x < INFINITY) {
                    loss[i] -= log_ratio[j];
                    continue;
                }
                loss[i] = INFINITY;
                if (grad != NULL) {
                    double *g = grad + i * K;
                    for (Py_ssize_t m = 0; m < M; m++) {
                        g[m] = 0.0;
                    }
                    if (mu_col >= 0) {
                        g[mu_col] = 0.0;
                    }
                    if (log_s_col >= 0) {
                        g[log_s_col] = 0.0;
                    }
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------
 * Interval targets, the cross-entropy: the mean of log q over each row's
 * standardised interval [lo, hi], by the quadrature nodes and weights
 * that the caller made (_tables._quadrature, row i's nodes at
 * row_ptr[i]:row_ptr[i + 1], weights summing to one).  With G that mean:
 *
 *   loss             = log_s - G
 *   d loss / d l_m   = w (softmax_m(l) - sum_j v_j r_jm)   (r_j: node j's
 *                                                          responsibilities)
 *   d loss / d mu    = w (log q(hi) - log q(lo)) / ((hi - lo) s)
 *   d loss / d log_s = w (1 + log q(lo) - G + hi (log q(hi) - log q(lo)) /
 *                      (hi - lo))
 *
 * as location_scale_loss has them.  Rows one at a time, their nodes one
 * after another (each node's terms independent of the last's).
 * ------------------------------------------------------------------------ */

/* The terms lg_m - (t - c_m)^2 q_m - log h_m of `count` nodes t[p] (one or
 * two, side by side: their steps are independent), exponentiated and
 * shifted by each node's largest, into kern + p V; their sums in total[p],
 * their shifts in shift[p]. */
INLINE void node_terms(const vec *lg, Py_ssize_t V, const double *t, int count,
                       const vec *c, const vec *q, const vec *lh, vec *kern,
                       double *shift, double *total)
{
    vec top[2] = {splat(-INFINITY), splat(-INFINITY)};
    for (Py_ssize_t v = 0; v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec u = t[p] - c[v];
            vec a = (lg[v] - u * u * q[v]) - lh[v];
            kern[p * V + v] = a;
            top[p] = vmax(a, top[p]);
        }
    }
    vec acc[2] = {splat(0.0), splat(0.0)};
    for (int p = 0; p < count; p++) {
        shift[p] = hmax(top[p]);
    }
    for (Py_ssize_t v = 0; v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec e = expv(kern[p * V + v] - shift[p]);
            kern[p * V + v] = e;
            acc[p] += e;
        }
    }
    for (int p = 0; p < count; p++) {
        total[p] = hsum(acc[p]);
    }
}

/* The quadrature rule of _tables._quadrature for a kernel without kinks
 * (the gaussian), when the caller gives no nodes: each interval cut into
 * panels at most h wide, ceil(2 + 8 width / h) Gauss-Legendre nodes on
 * each (3 to 10; x[k * 10 + i] and w[k * 10 + i] the k-node rule on
 * [-1, 1]).  The same operations in the same order as NumPy's, so the same
 * nodes, bit for bit: no fused multiply-adds here. */
typedef struct {
    double h;
    const double *x, *w;
} Rule;

#define RULE_SLACK 1e-9
/* The widest interval, in bandwidths (the Python side's _MAX_STRETCH). */
#define RULE_MAX_STRETCH 2048.0
#define RULE_MIN 3
#define RULE_MAX 10

/* Row [lo, hi]'s nodes and weights (when the arrays are given); returns
 * their number.  An empty interval is a point: one node of weight one. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
static Py_ssize_t place_nodes(double lo, double hi, const Rule *rule,
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

/* Work space of interval_rows, in vectors. */
static size_t interval_work_size(Py_ssize_t M)
{
    return 8 * (size_t)n_vectors(M);
}

VECTOR_CLONES
static void interval_rows(const double *outputs, Py_ssize_t n, Py_ssize_t K,
                          Py_ssize_t M, const double *lo, const double *hi,
                          const double *nodes, const double *node_w,
                          const int64_t *row_ptr, const Rule *rule,
                          const double *centers, const double *p2,
                          const double *log_h, Py_ssize_t mu_col,
                          Py_ssize_t log_s_col, const double *weight,
                          double *loss, double *grad, vec *work,
                          double *node_shift, double *node_total,
                          double *row_nodes, double *row_w)
{
    const double half_log_2pi = 0.91893853320467274178;
    Py_ssize_t V = n_vectors(M);
    vec *c = work, *q = c + V, *lh = q + V, *lg = lh + V, *soft = lg + V;
    vec *kern = soft + V, *mean = kern + 2 * V;
    load(c, centers, M, 0.0);
    load(q, p2, M, 0.0);
    load(lh, log_h, M, 0.0);
    for (Py_ssize_t i = 0; i < n; i++) {
        const double *l = outputs + i * K;
        double log_s = log_s_col >= 0 ? l[log_s_col] : 0.0;
        load(lg, l, M, -INFINITY);
        double l_shift;
        double l_total = softmax_row(lg, V, soft, &l_shift);
        double log_norm = (l_shift + log(l_total)) + half_log_2pi;
        /* Each node's shifted sum of terms, and the weighted mean of the
         * responsibilities; the logarithms after the loop. */
        const double *t = nodes, *tw = node_w;
        Py_ssize_t n_row;
        if (rule != NULL) {
            n_row = place_nodes(lo[i], hi[i], rule, row_nodes, row_w);
            t = row_nodes;
            tw = row_w;
        }
        else {
            t += row_ptr[i];
            tw += row_ptr[i];
            n_row = (Py_ssize_t)(row_ptr[i + 1] - row_ptr[i]);
        }
        for (Py_ssize_t v = 0; v < V; v++) {
            mean[v] = splat(0.0);
        }
        for (Py_ssize_t j = 0; j < n_row; j += 2) {
            int count = j + 1 < n_row ? 2 : 1;
            double shift[2], total[2];
            node_terms(lg, V, t + j, count, c, q, lh, kern, shift, total);
            for (int p = 0; p < count; p++) {
                node_shift[j + p] = shift[p];
                node_total[j + p] = total[p];
                double f = tw[j + p] / total[p];
                for (Py_ssize_t v = 0; v < V; v++) {
                    mean[v] += kern[p * V + v] * f;
                }
            }
        }
        double ends[2] = {lo[i], hi[i]}, end_shift[2], end_total[2];
        node_terms(lg, V, ends, 2, c, q, lh, kern, end_shift, end_total);
        double G = 0.0;
        /* G in eight partial sums (the last vector padded with nodes of
         * weight zero and sum one). */
        vec G_acc = splat(0.0);
        for (Py_ssize_t j = 0; j < n_row; j += ROWS) {
            vec sh = splat(0.0), tot = splat(1.0), wt = splat(0.0);
            for (int k = 0; k < ROWS && j + k < n_row; k++) {
                sh[k] = node_shift[j + k];
                tot[k] = node_total[j + k];
                wt[k] = tw[j + k];
            }
            G_acc += wt * (sh + logv(tot));
        }
        G = hsum(G_acc);
        G -= log_norm;
        double log_q_lo = (end_shift[0] + log(end_total[0])) - log_norm;
        double log_q_hi = (end_shift[1] + log(end_total[1])) - log_norm;
        double value = log_s - G;
        double w = weight[i];
        /* Written so that far, narrow intervals lose nothing to the
         * cancellation of hi log q(hi) - lo log q(lo). */
        double difference = (log_q_hi - log_q_lo) / (hi[i] - lo[i]);
        double g_mu = w * difference / exp(log_s);
        double g_log_s = w * (1.0 + (log_q_lo - G) + hi[i] * difference);
        int finite = row_loss(value, g_mu, g_log_s, mu_col >= 0,
                              log_s_col >= 0, &loss[i]);
        if (grad != NULL) {
            row_gradient(grad + i * K, kern, soft, w / l_total, mean, w, V, M,
                         mu_col, g_mu, log_s_col, g_log_s, finite);
        }
    }
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
        Py_ssize_t count = place_nodes(lo[i], hi[i], rule, NULL, NULL);
        most = count > most ? count : most;
    }
    return most;
}

static PyObject *run_intervals(const char *name, const Intervals *a,
                               const Rule *rule, Py_ssize_t mu_col,
                               Py_ssize_t log_s_col)
{
    PyObject *result = NULL;
    vec *work = NULL;
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
    Py_ssize_t most = ok ? most_nodes(name, a, rule, n) : -1;
    if (most < 0) {
        return NULL;
    }
    work = aligned_alloc(sizeof(vec), interval_work_size(M) * sizeof(vec));
    node_log = malloc(2 * (size_t)most * sizeof(double));
    /* node_log: each node's shift, then (from most on) its sum. */
    row_nodes = malloc((size_t)most * sizeof(double));
    row_w = malloc((size_t)most * sizeof(double));
    if (work == NULL || node_log == NULL || row_nodes == NULL || row_w == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    interval_rows(
        a->outputs->view.buf, n, K, M, a->lo->view.buf, a->hi->view.buf,
        rule == NULL ? a->nodes->view.buf : NULL,
        rule == NULL ? a->node_w->view.buf : NULL,
        rule == NULL ? a->row_ptr->view.buf : NULL, rule, a->centers->view.buf,
        a->p2->view.buf, a->log_h->view.buf, mu_col, log_s_col,
        a->weight->view.buf, a->loss->view.buf,
        a->grad->held ? a->grad->view.buf : NULL, work, node_log,
        node_log + most, row_nodes, row_w);
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    free(work);
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
    Py_ssize_t mu_col, log_s_col;
    Buffer b[12];
    memset(b, 0, sizeof b);
    PyObject *result = NULL;
    if (PyArg_ParseTuple(args, "OOOOOOOOOnnOOO", &o[0], &o[1], &o[2], &o[3],
                         &o[4], &o[5], &o[6], &o[7], &o[8], &mu_col,
                         &log_s_col, &o[9], &o[10], &o[11]) &&
        get_args(o, b, "DddddqddddwG", names) == 0) {
        Intervals a = {&b[0], &b[1], &b[2], &b[3], &b[4],  &b[5],
                       &b[6], &b[7], &b[8], &b[9], &b[10], &b[11]};
        result = run_intervals("interval_loss", &a, NULL, mu_col, log_s_col);
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
    Py_ssize_t mu_col, log_s_col;
    double h;
    Buffer b[11];
    memset(b, 0, sizeof b);
    PyObject *result = NULL;
    if (PyArg_ParseTuple(args, "OOOdOOOOOnnOOO", &o[0], &o[1], &o[2], &h,
                         &o[3], &o[4], &o[5], &o[6], &o[7], &mu_col,
                         &log_s_col, &o[8], &o[9], &o[10]) &&
        get_args(o, b, "DddDDddddwG", names) == 0) {
        if (!(h > 0.0) || b[3].view.shape[0] != RULE_MAX + 1 ||
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
            result = run_intervals("panel_loss", &a, &rule, mu_col, log_s_col);
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
    Py_ssize_t mu_col, log_s_col;
    Buffer b[8];
    memset(b, 0, sizeof b);
    PyObject *result = NULL;
    vec *work = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOnnOOO", &o[0], &o[1], &o[2], &o[3],
                          &o[4], &mu_col, &log_s_col, &o[5], &o[6], &o[7])) {
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
    work = aligned_alloc(sizeof(vec), work_size(M) * sizeof(vec));
    if (work == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    point_rows(b[0].view.buf, n, K, M, b[1].view.buf, b[2].view.buf,
               b[3].view.buf, b[4].view.buf, mu_col, log_s_col,
               b[5].view.buf, b[6].view.buf,
               has_grad ? b[7].view.buf : NULL, work);
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    free(work);
    for (int j = 0; j < 8; j++) {
        release(&b[j]);
    }
    return result;
}

/* expv (log: logv) of every value, eight at a time. */
VECTOR_CLONES
static void each_value(const double *x, double *out, Py_ssize_t n, int log_of)
{
    for (Py_ssize_t i0 = 0; i0 < n; i0 += ROWS) {
        vec v = splat(1.0);
        for (int j = 0; j < ROWS && i0 + j < n; j++) {
            v[j] = x[i0 + j];
        }
        v = log_of ? logv(v) : expv(v);
        for (int j = 0; j < ROWS && i0 + j < n; j++) {
            out[i0 + j] = v[j];
        }
    }
}

/* exp or log of every value of a float64 array, into out: the tests
 * compare expv and logv with the C library's. */
static PyObject *each(PyObject *args, int log_of)
{
    PyObject *o_x, *o_out;
    Buffer b[2];
    memset(b, 0, sizeof b);
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OO", &o_x, &o_out)) {
        return NULL;
    }
    if (get(o_x, &b[0], 1, 0, "x") || get(o_out, &b[1], 1, 1, "out")) {
        goto done;
    }
    if (b[0].view.shape[0] != b[1].view.shape[0]) {
        PyErr_SetString(PyExc_ValueError, "x and out differ in length");
        goto done;
    }
    each_value(b[0].view.buf, b[1].view.buf, b[0].view.shape[0], log_of);
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
     "heads (gaussian kernel on the line)."},
    {"interval_loss", interval_loss, METH_VARARGS,
     "Losses and gradients of interval targets (the cross-entropy) under "
     "the location-scale heads (gaussian kernel on the line)."},
    {"panel_loss", panel_loss, METH_VARARGS,
     "interval_loss with the nodes placed as _tables._quadrature places "
     "them for the gaussian."},
    {"vector_exp", vector_exp, METH_VARARGS,
     "The loss's exponential of every value, into out."},
    {"vector_log", vector_log, METH_VARARGS,
     "The loss's logarithm of every value, into out."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_heads",
    "Fused loss of the location-scale heads on point targets.", -1, methods,
};

PyMODINIT_FUNC PyInit__heads(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "API_VERSION", API_VERSION)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
