/*
 * skkdece._pairs: fused pair kernels of the neighbours model (_neighbors.py),
 * and its training search (`nearest`, an exact scan; described below, at
 * its code).
 *
 * A block of m rows arrives with the coordinates it needs gathered into E:
 * its own rows first (row r is E[r]), then the other rows its neighbours
 * are; neighbors[r, c] is the position in E of row r's c-th neighbour j.
 *
 *   pair_logits:    out[r, c] = z[r, c] - z[r, 0],
 *                   z[r, c] = -sum_p phi[p] |E[r, p] - E[j, p]|
 *                   (the logits, shifted so that each row's first is zero)
 *   pair_gradient:  out[p]   +=  sum_{r, c} g[r, c] |E[r, p] - E[j, p]|
 *
 * NumPy makes the m * k * d distances with a gather, a subtraction and an
 * absolute value, and a matrix-vector product reads them back: passes
 * through memory where the linear model has one matrix product.  Here every
 * pair's distances are made and used while in registers, from a block's
 * compact copy of E that stays in the caches.  Both functions release the
 * GIL, so the objective's threads run them side by side, and sum in a fixed
 * order, so a block's result does not depend on the thread that computes it.
 *
 * Arguments are buffers (NumPy arrays), all C-contiguous: E float64 (n, d),
 * neighbors int32 (m, k) with m <= n, phi float64 (d,), g float64 (m, k);
 * out is written.  Positions are checked against n.
 *
 * Both take an optional last argument `rows`, int32 (m,): row r is then
 * E[rows[r]] instead of E[r], so that a block reads a whole E that stays in
 * the caches (a few MB: tens of thousands of rows) without a gathered copy.
 * The sums are the same, term for term, either way.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef int32_t position;

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
 * 'i': int32). */
static int get(PyObject *obj, Buffer *b, int ndim, char kind, int writable,
               const char *name)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
    if (writable) {
        flags |= PyBUF_WRITABLE;
    }
    if (PyObject_GetBuffer(obj, &b->view, flags) < 0) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a C-contiguous%s array", name,
                     writable ? " writable" : "");
        return -1;
    }
    b->held = 1;
    const char *fmt = b->view.format ? b->view.format : "B";
    if (*fmt == '<' || *fmt == '=' || *fmt == '@') {
        fmt++;
    }
    int ok;
    if (kind == 'd') {
        ok = strcmp(fmt, "d") == 0 && b->view.itemsize == sizeof(double);
    }
    else {
        ok = strchr("il", *fmt) != NULL && fmt[1] == '\0' &&
             b->view.itemsize == sizeof(position);
    }
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s must hold %s, not format '%s'",
                     name, kind == 'd' ? "float64" : "int32", fmt);
        release(b);
        return -1;
    }
    if (b->view.ndim != ndim) {
        PyErr_Format(PyExc_ValueError, "%s must have %d dimension(s), not %d",
                     name, ndim, b->view.ndim);
        release(b);
        return -1;
    }
    return 0;
}

/* Whether every position is within [0, n). */
static int positions_ok(const position *nb, Py_ssize_t n, Py_ssize_t count)
{
    for (Py_ssize_t q = 0; q < count; q++) {
        if (nb[q] < 0 || nb[q] >= n) {
            return 0;
        }
    }
    return 1;
}

/* Both kernels work on pairs of features: lane 0 holds the even features,
 * lane 1 the odd ones (and lane 0 the last feature when d is odd).
 *
 * - Logits: each pair's two lanes are summed over p in increasing order,
 *   then added: z = -(lane 0 + lane 1).  Four pairs go through the loop at
 *   once, so the adders have eight independent chains of work.
 * - Gradient: acc[p] gathers its terms in the order of the rows, then of
 *   their neighbours: one chain of additions per feature.
 *
 * With GCC or Clang the lanes are vectors (two doubles, SSE2 on x86-64);
 * elsewhere the same operations run on scalars, in the same order, so every
 * build sums exactly the same terms the same way (SKKDECE_SCALAR_PAIRS
 * selects the scalar code anywhere, for the test that compares the two). */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(SKKDECE_SCALAR_PAIRS)
#define VECTOR_PAIRS 1
#endif

#ifdef VECTOR_PAIRS
typedef double pair2 __attribute__((vector_size(16)));
typedef long long mask2 __attribute__((vector_size(16)));

static inline pair2 load2(const double *p)
{
    pair2 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store2(double *p, pair2 v) { memcpy(p, &v, sizeof v); }

static inline pair2 abs2(pair2 v)
{
    const mask2 magnitude = {0x7fffffffffffffffLL, 0x7fffffffffffffffLL};
    return (pair2)((mask2)v & magnitude);
}

static inline pair2 splat2(double x) { return (pair2){x, x}; }
static inline double lane0(pair2 v) { return v[0]; }
static inline double lane1(pair2 v) { return v[1]; }
#else
typedef struct {
    double v0, v1;
} pair2;

static inline pair2 load2(const double *p) { return (pair2){p[0], p[1]}; }

static inline void store2(double *p, pair2 v)
{
    p[0] = v.v0;
    p[1] = v.v1;
}

static inline pair2 abs2(pair2 v) { return (pair2){fabs(v.v0), fabs(v.v1)}; }
static inline pair2 splat2(double x) { return (pair2){x, x}; }
static inline double lane0(pair2 v) { return v.v0; }
static inline double lane1(pair2 v) { return v.v1; }
#endif

/* a + w |x - y|, lane by lane; `madd` spells it once for both builds. */
static inline pair2 madd(pair2 a, pair2 w, pair2 x, pair2 y)
{
#ifdef VECTOR_PAIRS
    return a + w * abs2(x - y);
#else
    pair2 t = abs2((pair2){x.v0 - y.v0, x.v1 - y.v1});
    return (pair2){a.v0 + w.v0 * t.v0, a.v1 + w.v1 * t.v1};
#endif
}

/* The gradient's sums are per feature, so any lane width sums the same
 * terms in the same order: four features at a time where vectors exist (one
 * AVX2 register; two SSE2 ones, as GCC splits it), pairs elsewhere. */
#ifdef VECTOR_PAIRS
#define WIDE 4
/* Only inlined static functions take or return these: GCC's note that
 * their calling convention depends on AVX concerns nothing here. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef double wide_t __attribute__((vector_size(32)));
typedef long long wide_mask __attribute__((vector_size(32)));

static inline wide_t wide_load(const double *p)
{
    wide_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

#define wide_store(p, v) memcpy((p), &(v), sizeof(wide_t))

/* a + g |x - y|, lane by lane (macros: GCC notes a change of calling
 * convention for functions taking these by value). */
#define WIDE_MAGNITUDE                                                       \
    ((wide_mask){0x7fffffffffffffffLL, 0x7fffffffffffffffLL,                 \
                 0x7fffffffffffffffLL, 0x7fffffffffffffffLL})
#define wide_madd(a, g, x, y)                                                \
    ((a) + (g) * (wide_t)((wide_mask)((x) - (y)) & WIDE_MAGNITUDE))

static inline wide_t wide_splat(double x) { return (wide_t){x, x, x, x}; }
#else
#define WIDE 2
typedef pair2 wide_t;
#define wide_load load2
#define wide_store store2
#define wide_madd madd
#define wide_splat splat2
#endif

/* sum_p w[p] |x[p] - y[p]| for one pair. */
static inline double weighted_distance(const double *restrict x,
                                       const double *restrict y,
                                       const double *restrict w, Py_ssize_t d)
{
    pair2 s = splat2(0.0);
    Py_ssize_t p = 0;
    for (; p + 2 <= d; p += 2) {
        s = madd(s, load2(w + p), load2(x + p), load2(y + p));
    }
    double a = lane0(s);
    if (p < d) {
        a += w[p] * fabs(x[p] - y[p]);
    }
    return a + lane1(s);
}

/* The same sums for four pairs (x, y0) ... (x, y3), into out[0..3]. */
static inline void weighted_distance4(const double *restrict x,
                                      const double *restrict y0,
                                      const double *restrict y1,
                                      const double *restrict y2,
                                      const double *restrict y3,
                                      const double *restrict w, Py_ssize_t d,
                                      double *restrict out)
{
    pair2 s0 = splat2(0.0), s1 = s0, s2 = s0, s3 = s0;
    Py_ssize_t p = 0;
    for (; p + 2 <= d; p += 2) {
        const pair2 wp = load2(w + p), xp = load2(x + p);
        s0 = madd(s0, wp, xp, load2(y0 + p));
        s1 = madd(s1, wp, xp, load2(y1 + p));
        s2 = madd(s2, wp, xp, load2(y2 + p));
        s3 = madd(s3, wp, xp, load2(y3 + p));
    }
    double a0 = lane0(s0), a1 = lane0(s1), a2 = lane0(s2), a3 = lane0(s3);
    if (p < d) {
        const double wp = w[p], xp = x[p];
        a0 += wp * fabs(xp - y0[p]);
        a1 += wp * fabs(xp - y1[p]);
        a2 += wp * fabs(xp - y2[p]);
        a3 += wp * fabs(xp - y3[p]);
    }
    out[0] = a0 + lane1(s0);
    out[1] = a1 + lane1(s1);
    out[2] = a2 + lane1(s2);
    out[3] = a3 + lane1(s3);
}

/* Outputs with their own specialised loops (and the gradient's group). */
#define FIXED_D 16

/* Row j of E (n, d). */
static inline const double *row(const double *e, position j, Py_ssize_t d)
{
    return e + (Py_ssize_t)j * d;
}

/* The row of E that block row r is: own[r], or r when own is NULL. */
static inline position own_row(const position *own, Py_ssize_t r)
{
    return own ? own[r] : (position)r;
}

/* The shifted logits of rows 0..m-1, into z (m, k). */
static inline void logits_rows(const double *restrict e,
                               const position *restrict own,
                               const position *restrict nb, Py_ssize_t m,
                               Py_ssize_t k, Py_ssize_t d,
                               const double *restrict w, double *restrict z)
{
    for (Py_ssize_t r = 0; r < m; r++) {
        const double *ei = row(e, own_row(own, r), d);
        const position *nbi = nb + r * k;
        double *zr = z + r * k;
        Py_ssize_t c = 0;
        for (; c + 4 <= k; c += 4) {
            weighted_distance4(ei, row(e, nbi[c], d), row(e, nbi[c + 1], d),
                               row(e, nbi[c + 2], d), row(e, nbi[c + 3], d),
                               w, d, zr + c);
        }
        for (; c < k; c++) {
            zr[c] = weighted_distance(ei, row(e, nbi[c], d), w, d);
        }
        /* -dist_c - (-dist_0): the logits shifted so that the first is 0 */
        const double first = zr[0];
        for (c = 0; c < k; c++) {
            zr[c] = first - zr[c];
        }
    }
}

/* acc[p] = sum_{r, c} g[r, c] |E[r, p] - E[j, p]| for the `width` features
 * p0 .. p0 + width - 1 (at most FIXED_D), in the order of the rows, then of
 * their neighbours; E's rows are `d` long. */
static inline void gradient_rows(const double *restrict e,
                                 const position *restrict own,
                                 const position *restrict nb, Py_ssize_t m,
                                 Py_ssize_t k, Py_ssize_t d, Py_ssize_t p0,
                                 Py_ssize_t width, const double *restrict g,
                                 double *restrict acc)
{
    wide_t lanes[FIXED_D / WIDE];
    const Py_ssize_t n_wide = width / WIDE;
    double rest[WIDE] = {0.0};
    const Py_ssize_t n_rest = width - n_wide * WIDE;
    for (Py_ssize_t q = 0; q < n_wide; q++) {
        lanes[q] = wide_splat(0.0);
    }
    for (Py_ssize_t r = 0; r < m; r++) {
        const double *ei = row(e, own_row(own, r), d) + p0;
        const position *nbi = nb + r * k;
        const double *gr = g + r * k;
        for (Py_ssize_t c = 0; c < k; c++) {
            const double *y = row(e, nbi[c], d) + p0;
            const wide_t gc = wide_splat(gr[c]);
            for (Py_ssize_t q = 0; q < n_wide; q++) {
                lanes[q] = wide_madd(lanes[q], gc, wide_load(ei + WIDE * q),
                                     wide_load(y + WIDE * q));
            }
            for (Py_ssize_t p = 0; p < n_rest; p++) {
                const Py_ssize_t f = n_wide * WIDE + p;
                rest[p] += gr[c] * fabs(ei[f] - y[f]);
            }
        }
    }
    for (Py_ssize_t q = 0; q < n_wide; q++) {
        wide_store(acc + WIDE * q, lanes[q]);
    }
    for (Py_ssize_t p = 0; p < n_rest; p++) {
        acc[n_wide * WIDE + p] = rest[p];
    }
}

/* On x86-64 Linux with GCC, each entry point is compiled twice, for AVX2
 * and for the baseline (SSE2), and the loader picks the one the processor
 * runs (6% faster per evaluation of the objective at a million rows).  The
 * AVX2 code does the same operations lane by lane, without fused
 * multiply-adds, so both give the same bits. */
#if defined(VECTOR_PAIRS) && defined(__GNUC__) && !defined(__clang__) && \
    defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

/* The row loops specialised for each number of outputs up to FIXED_D, where
 * the compiler keeps every feature's sums in registers (a loop over a run-
 * time d kept them in memory: 3x slower), and for any d beyond. */

#define SPECIALISE(D)                                                        \
    CLONES static void logits_##D(const double *e, const position *own,      \
                                  const position *nb, Py_ssize_t m,          \
                                  Py_ssize_t k, const double *w, double *z)  \
    {                                                                        \
        logits_rows(e, own, nb, m, k, D, w, z);                              \
    }                                                                        \
    CLONES static void gradient_##D(const double *e, const position *own,    \
                                    const position *nb, Py_ssize_t m,        \
                                    Py_ssize_t k, const double *g,           \
                                    double *acc)                             \
    {                                                                        \
        gradient_rows(e, own, nb, m, k, D, 0, D, g, acc);                    \
    }

SPECIALISE(1)
SPECIALISE(2)
SPECIALISE(3)
SPECIALISE(4)
SPECIALISE(5)
SPECIALISE(6)
SPECIALISE(7)
SPECIALISE(8)
SPECIALISE(9)
SPECIALISE(10)
SPECIALISE(11)
SPECIALISE(12)
SPECIALISE(13)
SPECIALISE(14)
SPECIALISE(15)
SPECIALISE(16)

typedef void (*logits_fn)(const double *, const position *, const position *,
                          Py_ssize_t, Py_ssize_t, const double *, double *);
typedef void (*gradient_fn)(const double *, const position *,
                            const position *, Py_ssize_t, Py_ssize_t,
                            const double *, double *);

static const logits_fn fixed_logits[FIXED_D + 1] = {
    NULL, logits_1, logits_2, logits_3, logits_4, logits_5, logits_6,
    logits_7, logits_8, logits_9, logits_10, logits_11, logits_12,
    logits_13, logits_14, logits_15, logits_16,
};
static const gradient_fn fixed_gradient[FIXED_D + 1] = {
    NULL, gradient_1, gradient_2, gradient_3, gradient_4, gradient_5,
    gradient_6, gradient_7, gradient_8, gradient_9, gradient_10,
    gradient_11, gradient_12, gradient_13, gradient_14, gradient_15,
    gradient_16,
};

CLONES static void logits_any(const double *e, const position *own,
                              const position *nb, Py_ssize_t m, Py_ssize_t k,
                              Py_ssize_t d, const double *w, double *z)
{
    logits_rows(e, own, nb, m, k, d, w, z);
}

/* Past FIXED_D outputs, FIXED_D features at a time: each feature's sum is
 * the same, and the rows of E, reread for each group, stay in the caches. */
CLONES static void gradient_any(const double *e, const position *own,
                                const position *nb, Py_ssize_t m,
                                Py_ssize_t k, Py_ssize_t d, const double *g,
                                double *acc)
{
    for (Py_ssize_t p0 = 0; p0 < d; p0 += FIXED_D) {
        const Py_ssize_t width = d - p0 < FIXED_D ? d - p0 : FIXED_D;
        gradient_rows(e, own, nb, m, k, d, p0, width, g, acc + p0);
    }
}

static void logits(const double *e, const position *own, const position *nb,
                   Py_ssize_t m, Py_ssize_t k, Py_ssize_t d, const double *w,
                   double *z)
{
    if (d >= 1 && d <= FIXED_D) {
        fixed_logits[d](e, own, nb, m, k, w, z);
    }
    else {
        logits_any(e, own, nb, m, k, d, w, z);
    }
}

static void gradient(const double *e, const position *own,
                     const position *nb, Py_ssize_t m, Py_ssize_t k,
                     Py_ssize_t d, const double *g, double *acc)
{
    if (d >= 1 && d <= FIXED_D) {
        fixed_gradient[d](e, own, nb, m, k, g, acc);
    }
    else {
        gradient_any(e, own, nb, m, k, d, g, acc);
    }
}

/* The arguments of both functions: E, neighbors, then a per-output vector
 * (d,) and a per-pair array (m, k), or the other way round; the last one is
 * written. */
typedef struct {
    Buffer E, nb, pairs, vector, rows;
    Py_ssize_t n, d, k, m;
} Call;

static void release_call(Call *c)
{
    release(&c->E);
    release(&c->nb);
    release(&c->pairs);
    release(&c->vector);
    release(&c->rows);
}

/* The block's own rows: c->rows' positions, or NULL (rows 0..m-1). */
static const position *own_rows(const Call *c)
{
    return c->rows.held ? (const position *)c->rows.view.buf : NULL;
}

/* Whether every position, the rows' too, is within [0, n). */
static int call_positions_ok(const Call *c)
{
    const position *own = own_rows(c);
    return positions_ok(c->nb.view.buf, c->n, c->m * c->k) &&
           (own == NULL || positions_ok(own, c->n, c->m));
}

/* Parse and check a call; on failure the exception is set and nothing is
 * held.  `pairs_first`: the per-pair array comes before the vector (and the
 * vector is written), else after it (and it is written). */
static int parse_call(PyObject *args, const char *format, int pairs_first,
                      const char *pairs_name, const char *vector_name,
                      Call *c)
{
    PyObject *o[5] = {NULL, NULL, NULL, NULL, Py_None};
    if (!PyArg_ParseTuple(args, format, &o[0], &o[1], &o[2], &o[3], &o[4])) {
        return -1;
    }
    PyObject *opairs = pairs_first ? o[2] : o[3];
    PyObject *ovector = pairs_first ? o[3] : o[2];
    if (get(o[0], &c->E, 2, 'd', 0, "E") ||
        get(o[1], &c->nb, 2, 'i', 0, "neighbors") ||
        get(opairs, &c->pairs, 2, 'd', !pairs_first, pairs_name) ||
        get(ovector, &c->vector, 1, 'd', pairs_first, vector_name) ||
        (o[4] != Py_None && get(o[4], &c->rows, 1, 'i', 0, "rows"))) {
        release_call(c);
        return -1;
    }
    c->n = c->E.view.shape[0];
    c->d = c->E.view.shape[1];
    c->m = c->nb.view.shape[0];
    c->k = c->nb.view.shape[1];
    if (c->m > c->n && !c->rows.held) {
        PyErr_Format(PyExc_ValueError,
                     "neighbors has %zd rows, more than E's %zd", c->m, c->n);
    }
    else if (c->rows.held && c->rows.view.shape[0] != c->m) {
        PyErr_Format(PyExc_ValueError,
                     "rows has %zd values, neighbors %zd rows",
                     c->rows.view.shape[0], c->m);
    }
    else if (c->pairs.view.shape[0] != c->m ||
             c->pairs.view.shape[1] != c->k) {
        PyErr_Format(PyExc_ValueError,
                     "%s must have shape (%zd, %zd), not (%zd, %zd)",
                     pairs_name, c->m, c->k, c->pairs.view.shape[0],
                     c->pairs.view.shape[1]);
    }
    else if (c->vector.view.shape[0] != c->d) {
        PyErr_Format(PyExc_ValueError, "%s has %zd values, E has %zd columns",
                     vector_name, c->vector.view.shape[0], c->d);
    }
    else {
        return 0;
    }
    release_call(c);
    return -1;
}

static PyObject *position_error(void)
{
    PyErr_SetString(PyExc_IndexError,
                    "a neighbour's position is outside E's rows");
    return NULL;
}

static PyObject *pair_logits(PyObject *Py_UNUSED(self), PyObject *args)
{
    Call c = {0};
    if (parse_call(args, "OOOO|O:pair_logits", 0, "out", "phi", &c)) {
        return NULL;
    }
    const double *e = c.E.view.buf, *w = c.vector.view.buf;
    const position *nb = c.nb.view.buf, *own = own_rows(&c);
    double *z = c.pairs.view.buf;
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = call_positions_ok(&c);
    if (ok) {
        logits(e, own, nb, c.m, c.k, c.d, w, z);
    }
    Py_END_ALLOW_THREADS
    release_call(&c);
    return ok ? Py_NewRef(Py_None) : position_error();
}

static PyObject *pair_gradient(PyObject *Py_UNUSED(self), PyObject *args)
{
    Call c = {0};
    if (parse_call(args, "OOOO|O:pair_gradient", 1, "g", "out", &c)) {
        return NULL;
    }
    const Py_ssize_t d = c.d;
    double *acc = PyMem_Calloc(d > 0 ? d : 1, sizeof(double));
    if (acc == NULL) {
        release_call(&c);
        return PyErr_NoMemory();
    }
    const double *e = c.E.view.buf, *g = c.pairs.view.buf;
    const position *nb = c.nb.view.buf, *own = own_rows(&c);
    double *out = c.vector.view.buf;
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = call_positions_ok(&c);
    if (ok) {
        gradient(e, own, nb, c.m, c.k, d, g, acc);
        for (Py_ssize_t p = 0; p < d; p++) {
            out[p] += acc[p];
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(acc);
    release_call(&c);
    return ok ? Py_NewRef(Py_None) : position_error();
}

/* ------------------------------------------------------------------------
 * nearest: each row's nearest other rows, Manhattan, by an exact scan.
 *
 * The n rows arrive sorted by a projection: proj[u] = sum_p v[p] x_u[p]
 * with every |v[p]| <= 1, increasing in u, and the points by feature in
 * that order (pt is (d, n8), pt[p * n8 + u] the p-th coordinate of row u,
 * with n8 >= n a multiple of 8: the columns past n are padding, never read
 * as rows).  Then
 * |proj[u] - proj[j]| <= sum_p |x_u[p] - x_j[p]|, so the candidates of row
 * u are scanned outwards from u, both ways, and a way stops where the
 * projection alone puts every further row beyond the k-th distance found so
 * far (plus `slack`, which covers the rounding of the projection and of the
 * distances).  No row is passed over that could be among the k nearest.
 *
 * For sorted rows start .. start + m - 1, out receives the k allowed rows
 * with the smallest distances, as original row numbers (row[u] is row u's),
 * nearest first, ties to the lower row number.  Allowed: j != u,
 * groups[j] != groups[u] (when groups are given, by sorted row),
 * |row[j] - row[u]| > adjacent.  Each distance is summed over p in
 * increasing order, as scikit-learn's Manhattan metric sums it, so a tree
 * search finds the same neighbours unless two rows tie at the k-th distance.
 * ------------------------------------------------------------------------ */

/* Key order: by distance, then by row number. */
static inline int key_less(double da, position ia, double db, position ib)
{
    return da < db || (da == db && ia < ib);
}

/* Put (dist, idx) at the top of the max-heap of k keys and sift it down. */
static void heap_replace_top(double *hd, position *hi, Py_ssize_t k,
                             double dist, position idx)
{
    Py_ssize_t i = 0;
    for (;;) {
        Py_ssize_t c = 2 * i + 1;
        if (c >= k) {
            break;
        }
        if (c + 1 < k && key_less(hd[c], hi[c], hd[c + 1], hi[c + 1])) {
            c++;
        }
        if (!key_less(dist, idx, hd[c], hi[c])) {
            break;
        }
        hd[i] = hd[c];
        hi[i] = hi[c];
        i = c;
    }
    hd[i] = dist;
    hi[i] = idx;
}

/* Sort a max-heap of k keys into increasing order, in place. */
static void heap_sort(double *hd, position *hi, Py_ssize_t k)
{
    for (Py_ssize_t end = k - 1; end > 0; end--) {
        double d = hd[end];
        position j = hi[end];
        hd[end] = hd[0];
        hi[end] = hi[0];
        heap_replace_top(hd, hi, end, d, j);
    }
}

#define SCAN_STEP 8

/* The distances from the point q (d values) to rows c0 .. c0 + 7, into acc:
 * per row, |q[0] - x[0]| + |q[1] - x[1]| + ... in that order. */
static inline void scan_distances(const double *restrict pt, Py_ssize_t n8,
                                  Py_ssize_t d, const double *restrict q,
                                  Py_ssize_t c0, double *restrict acc)
{
    const double *x = pt + c0;
#ifdef VECTOR_PAIRS
    /* Two rows per SSE2 register, each summing its own terms in order. */
    pair2 q0 = splat2(q[0]);
    pair2 s0 = abs2(q0 - load2(x)), s1 = abs2(q0 - load2(x + 2));
    pair2 s2 = abs2(q0 - load2(x + 4)), s3 = abs2(q0 - load2(x + 6));
    for (Py_ssize_t p = 1; p < d; p++) {
        const double *xp = x + p * n8;
        const pair2 qp = splat2(q[p]);
        s0 += abs2(qp - load2(xp));
        s1 += abs2(qp - load2(xp + 2));
        s2 += abs2(qp - load2(xp + 4));
        s3 += abs2(qp - load2(xp + 6));
    }
    store2(acc, s0);
    store2(acc + 2, s1);
    store2(acc + 4, s2);
    store2(acc + 6, s3);
#else
    for (int j = 0; j < SCAN_STEP; j++) {
        double s = fabs(q[0] - x[j]);
        for (Py_ssize_t p = 1; p < d; p++) {
            s += fabs(q[p] - x[p * n8 + j]);
        }
        acc[j] = s;
    }
#endif
}

typedef struct {
    const double *pt, *proj;
    const position *row, *groups;
    Py_ssize_t n, n8, d, k, adjacent;
    double slack;
    /* Whether the heap may hold rows already (seeds): then a row is put in
     * only if it is not there. */
    int seeded;
} Scan;

/* Whether row number r is among the k keys of the heap. */
static inline int in_heap(const position *hi, Py_ssize_t k, position r)
{
    for (Py_ssize_t c = 0; c < k; c++) {
        if (hi[c] == r) {
            return 1;
        }
    }
    return 0;
}

/* Whether row j may be row u's neighbour, and if its key beats the heap's
 * top, put it in.  dist: their distance. */
static inline void offer(const Scan *sc, Py_ssize_t u, Py_ssize_t j,
                         double dist, double *hd, position *hi)
{
    const position ru = sc->row[u], rj = sc->row[j];
    if (j == u || !key_less(dist, rj, hd[0], hi[0])) {
        return;
    }
    const Py_ssize_t gap = rj > ru ? (Py_ssize_t)rj - ru : (Py_ssize_t)ru - rj;
    if (gap <= sc->adjacent ||
        (sc->groups && sc->groups[j] == sc->groups[u]) ||
        (sc->seeded && in_heap(hi, sc->k, rj))) {
        return;
    }
    heap_replace_top(hd, hi, sc->k, dist, rj);
}

/* Start row u's heap: empty keys, then the seed rows at positions
 * seeds[0 .. n_seeds - 1] (another search's answer: its k-th distance
 * bounds this one's from the start), each distance summed as
 * scan_distances sums it. */
static void start_heap(const Scan *sc, Py_ssize_t u, const double *q,
                       const position *seeds, Py_ssize_t n_seeds, double *hd,
                       position *hi)
{
    for (Py_ssize_t c = 0; c < sc->k; c++) {
        hd[c] = INFINITY;
        hi[c] = INT32_MAX;
    }
    for (Py_ssize_t s = 0; s < n_seeds; s++) {
        const Py_ssize_t j = seeds[s];
        const double *x = sc->pt + j;
        double dist = fabs(q[0] - x[0]);
        for (Py_ssize_t p = 1; p < sc->d; p++) {
            dist += fabs(q[p] - x[p * sc->n8]);
        }
        offer(sc, u, j, dist, hd, hi);
    }
}

/* Offer rows c0 .. c0 + 7 (those below end) to row u's heap. */
static inline void scan_offer(const Scan *sc, Py_ssize_t u, const double *q,
                              Py_ssize_t c0, Py_ssize_t end, double *hd,
                              position *hi_, double *acc)
{
    scan_distances(sc->pt, sc->n8, sc->d, q, c0, acc);
    const Py_ssize_t stop = end - c0 < SCAN_STEP ? end - c0 : SCAN_STEP;
    for (Py_ssize_t c = 0; c < stop; c++) {
        offer(sc, u, c0 + c, acc[c], hd, hi_);
    }
}

/* Row u's search by the scan, its heap started: the rows are read in steps
 * of SCAN_STEP aligned to its multiples, up from u's step and down from it
 * in turn, each way until the projection rules out the rest. */
static void scan_row(const void *index, Py_ssize_t u, const double *q,
                     double *hd, position *hi, double *acc)
{
    const Scan *sc = index;
    const Py_ssize_t n = sc->n;
    const double pu = sc->proj[u];
    /* up: steps starting at `up`; down: steps ending at `down`. */
    Py_ssize_t up = u - u % SCAN_STEP, down = up;
    int go_up = 1, go_down = down > 0;
    while (go_up || go_down) {
        if (go_up) {
            if (up >= n) {
                go_up = 0;
            }
            else if (sc->proj[up] - pu > hd[0] + sc->slack) {
                go_up = 0;
            }
            else {
                scan_offer(sc, u, q, up, n, hd, hi, acc);
                up += SCAN_STEP;
            }
        }
        if (go_down) {
            if (pu - sc->proj[down - 1] > hd[0] + sc->slack) {
                go_down = 0;
            }
            else {
                down -= SCAN_STEP;
                scan_offer(sc, u, q, down, n, hd, hi, acc);
                go_down = down > 0;
            }
        }
    }
}

typedef void (*row_search)(const void *index, Py_ssize_t u, const double *q,
                           double *hd, position *hi, double *acc);

/* The first problem with the arguments nearest and tree_nearest share, or
 * NULL.  min_pad: the padding columns the search reads. */
static const char *common_problem(const Scan *sc, Py_ssize_t min_pad,
                                  Py_ssize_t start, const Buffer *gr,
                                  const Buffer *out, const Buffer *seeds)
{
    const Py_ssize_t n = sc->n, m = out->view.shape[0];
    if (sc->d < 1) {
        return "points must have at least one feature";
    }
    if (sc->n8 < n + min_pad) {
        return min_pad ? "points must have at least 7 padding columns"
                       : "points must have a column per row";
    }
    if (n > INT32_MAX - 1) {
        return "points has more rows than int32 positions hold";
    }
    if (gr->held && gr->view.shape[0] != n) {
        return "groups need one value per row";
    }
    if (start < 0 || m > n - start) {
        return "rows start .. start + len(out) must be rows of points";
    }
    if (out->view.shape[1] < 1) {
        return "out must have at least one column";
    }
    if (!(sc->slack >= 0.0)) {
        return "slack must be a non-negative number";
    }
    if (seeds->held &&
        (seeds->view.shape[0] != m ||
         !positions_ok(seeds->view.buf, n, m * seeds->view.shape[1]))) {
        return "seeds need a row per row of out, of positions 0 .. n - 1";
    }
    return NULL;
}

/* What nearest and tree_nearest share: the checks of the common arguments
 * (problem: the caller's own first finding, or NULL), then each row's heap
 * started (from its seeds, if any), searched and sorted into out. */
static PyObject *search_rows(Scan *sc, const void *index, row_search search,
                             Py_ssize_t min_pad, Py_ssize_t start,
                             const Buffer *gr, const Buffer *out,
                             const Buffer *seeds, const char *problem)
{
    if (problem == NULL) {
        problem = common_problem(sc, min_pad, start, gr, out, seeds);
    }
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        return NULL;
    }
    const Py_ssize_t d = sc->d, n8 = sc->n8;
    const Py_ssize_t m = out->view.shape[0], k = out->view.shape[1];
    const Py_ssize_t n_seeds = seeds->held ? seeds->view.shape[1] : 0;
    sc->k = k;
    sc->seeded = n_seeds > 0;
    double *hd = PyMem_Malloc((k + SCAN_STEP) * sizeof(double));
    position *hi = PyMem_Malloc(k * sizeof(position));
    double *q = PyMem_Malloc(d * sizeof(double));
    if (hd == NULL || hi == NULL || q == NULL) {
        PyMem_Free(hd);
        PyMem_Free(hi);
        PyMem_Free(q);
        return PyErr_NoMemory();
    }
    position *o = out->view.buf;
    const position *sd = seeds->held ? seeds->view.buf : NULL;
    double *acc = hd + k;
    int full = 1;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < m; r++) {
        const Py_ssize_t u = start + r;
        for (Py_ssize_t p = 0; p < d; p++) {
            q[p] = sc->pt[p * n8 + u];
        }
        start_heap(sc, u, q, sd ? sd + r * n_seeds : NULL, n_seeds, hd, hi);
        search(index, u, q, hd, hi, acc);
        heap_sort(hd, hi, k);
        full &= hi[k - 1] != INT32_MAX;
        memcpy(o + r * k, hi, k * sizeof(position));
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(hd);
    PyMem_Free(hi);
    PyMem_Free(q);
    if (!full) {
        PyErr_SetString(PyExc_ValueError,
                        "a row has fewer allowed rows than out's columns");
        return NULL;
    }
    return Py_NewRef(Py_None);
}

static PyObject *nearest(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *opt, *oproj, *orow, *ogroups, *oout, *oseeds = Py_None;
    Py_ssize_t adjacent, start;
    double slack;
    if (!PyArg_ParseTuple(args, "OOOOndnO|O:nearest", &opt, &oproj, &orow,
                          &ogroups, &adjacent, &slack, &start, &oout,
                          &oseeds)) {
        return NULL;
    }
    Buffer pt = {0}, proj = {0}, row = {0}, gr = {0}, out = {0}, sd = {0};
    PyObject *result = NULL;
    if (get(opt, &pt, 2, 'd', 0, "points") ||
        get(oproj, &proj, 1, 'd', 0, "projection") ||
        get(orow, &row, 1, 'i', 0, "rows") ||
        (ogroups != Py_None && get(ogroups, &gr, 1, 'i', 0, "groups")) ||
        get(oout, &out, 2, 'i', 1, "out") ||
        (oseeds != Py_None && get(oseeds, &sd, 2, 'i', 0, "seeds"))) {
        goto done;
    }
    const Py_ssize_t n = row.view.shape[0], n8 = pt.view.shape[1];
    const char *problem = NULL;
    if (n8 % SCAN_STEP != 0 || n8 - n >= SCAN_STEP) {
        problem = "points must have the rows padded to a multiple of 8";
    }
    else if (proj.view.shape[0] != n) {
        problem = "the projection needs one value per row";
    }
    Scan sc = {pt.view.buf, proj.view.buf, row.view.buf,
               gr.held ? (const position *)gr.view.buf : NULL,
               n, n8, pt.view.shape[0], 0, adjacent, slack, 0};
    result = search_rows(&sc, &sc, scan_row, 0, start, &gr, &out, &sd,
                         problem);
done:
    release(&pt);
    release(&proj);
    release(&row);
    release(&gr);
    release(&out);
    release(&sd);
    return result;
}

/* ------------------------------------------------------------------------
 * tree_nearest: nearest's answer, found through a k-d tree's boxes.
 *
 * The rows arrive in the tree's order, by feature as for nearest but with
 * at least 7 padding columns (a leaf's last step of 8 is read whole).
 * Node i holds rows first[i] .. last[i] - 1 and lies in the box
 * lower[i] .. upper[i] (d values each, taken from the rows themselves); its
 * children are 2 i + 1 and 2 i + 2, and it is a leaf when 2 i + 1 >= the
 * number of nodes (scikit-learn's KDTree lays its nodes out so).  The
 * Manhattan distance from a row to a box bounds the distance to every row in
 * it from below, so a node whose bound exceeds the k-th distance found so
 * far (plus slack, as for nearest) holds no neighbour and is passed over.
 * The nearer child is visited first.  Keys, exclusions and distances are
 * nearest's, so the answer is the same, tie rule included.
 * ------------------------------------------------------------------------ */

typedef struct {
    Scan sc;
    const double *lower, *upper;
    const position *first, *last;
    Py_ssize_t n_nodes;
} Tree;

/* Manhattan distance from q to the box lo .. hi (zero inside it). */
static inline double box_distance(const double *restrict lo,
                                  const double *restrict hi,
                                  const double *restrict q, Py_ssize_t d)
{
    double s = 0.0;
    for (Py_ssize_t p = 0; p < d; p++) {
        const double below = lo[p] - q[p], above = q[p] - hi[p];
        s += below > 0.0 ? below : (above > 0.0 ? above : 0.0);
    }
    return s;
}

static void tree_visit(const Tree *t, Py_ssize_t node, double bound,
                       Py_ssize_t u, const double *q, double *hd,
                       position *hi, double *acc)
{
    const Scan *sc = &t->sc;
    if (bound > hd[0] + sc->slack) {
        return;
    }
    const Py_ssize_t left = 2 * node + 1, d = sc->d;
    if (left >= t->n_nodes) {
        const Py_ssize_t end = t->last[node];
        for (Py_ssize_t c0 = t->first[node]; c0 < end; c0 += SCAN_STEP) {
            scan_offer(sc, u, q, c0, end, hd, hi, acc);
        }
        return;
    }
    const Py_ssize_t right = left + 1;
    const double bl = box_distance(t->lower + left * d, t->upper + left * d,
                                   q, d);
    const double br = box_distance(t->lower + right * d,
                                   t->upper + right * d, q, d);
    if (bl <= br) {
        tree_visit(t, left, bl, u, q, hd, hi, acc);
        tree_visit(t, right, br, u, q, hd, hi, acc);
    }
    else {
        tree_visit(t, right, br, u, q, hd, hi, acc);
        tree_visit(t, left, bl, u, q, hd, hi, acc);
    }
}

/* Row u's search down the tree, its heap started. */
static void tree_row(const void *index, Py_ssize_t u, const double *q,
                     double *hd, position *hi, double *acc)
{
    const Tree *t = index;
    tree_visit(t, 0, box_distance(t->lower, t->upper, q, t->sc.d), u, q, hd,
               hi, acc);
}

static PyObject *tree_nearest(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *opt, *olo, *ohi, *ofirst, *olast, *orow, *ogroups, *oout;
    PyObject *oseeds = Py_None;
    Py_ssize_t adjacent, start;
    double slack;
    if (!PyArg_ParseTuple(args, "OOOOOOOndnO|O:tree_nearest", &opt, &olo,
                          &ohi, &ofirst, &olast, &orow, &ogroups, &adjacent,
                          &slack, &start, &oout, &oseeds)) {
        return NULL;
    }
    Buffer pt = {0}, lo = {0}, up = {0}, first = {0}, last = {0}, row = {0},
           gr = {0}, out = {0}, sd = {0};
    PyObject *result = NULL;
    if (get(opt, &pt, 2, 'd', 0, "points") ||
        get(olo, &lo, 2, 'd', 0, "lower") ||
        get(ohi, &up, 2, 'd', 0, "upper") ||
        get(ofirst, &first, 1, 'i', 0, "first") ||
        get(olast, &last, 1, 'i', 0, "last") ||
        get(orow, &row, 1, 'i', 0, "rows") ||
        (ogroups != Py_None && get(ogroups, &gr, 1, 'i', 0, "groups")) ||
        get(oout, &out, 2, 'i', 1, "out") ||
        (oseeds != Py_None && get(oseeds, &sd, 2, 'i', 0, "seeds"))) {
        goto done;
    }
    const Py_ssize_t d = pt.view.shape[0], n = row.view.shape[0];
    const Py_ssize_t n_nodes = lo.view.shape[0];
    const char *problem = NULL;
    if (n_nodes < 1 || lo.view.shape[1] != d || up.view.shape[0] !=
        n_nodes || up.view.shape[1] != d || first.view.shape[0] !=
        n_nodes || last.view.shape[0] != n_nodes) {
        problem = "the nodes need one box of d values and one row range each";
    }
    else if ((n_nodes & (n_nodes + 1)) != 0) {
        /* Every node with a left child then has a right one. */
        problem = "the nodes must fill a binary tree's levels (2**L - 1 nodes)";
    }
    else {
        const position *f = first.view.buf, *l = last.view.buf;
        for (Py_ssize_t i = 0; i < n_nodes && problem == NULL; i++) {
            if (f[i] < 0 || f[i] > l[i] || l[i] > n) {
                problem = "a node's rows must lie in 0 .. n";
            }
        }
    }
    Tree t = {{pt.view.buf, NULL, row.view.buf,
               gr.held ? (const position *)gr.view.buf : NULL, n,
               pt.view.shape[1], d, 0, adjacent, slack, 0},
              lo.view.buf, up.view.buf, first.view.buf, last.view.buf,
              n_nodes};
    result = search_rows(&t.sc, &t, tree_row, SCAN_STEP - 1, start, &gr,
                         &out, &sd, problem);
done:
    release(&pt);
    release(&lo);
    release(&up);
    release(&first);
    release(&last);
    release(&row);
    release(&gr);
    release(&out);
    release(&sd);
    return result;
}

static PyMethodDef methods[] = {
    {"pair_logits", pair_logits, METH_VARARGS,
     "pair_logits(E, neighbors, phi, out[, rows]): out[r, c] = z[r, c] - "
     "z[r, 0] with z[r, c] = -sum_p phi[p] |E[i, p] - E[neighbors[r, c], p]|"
     ", i = rows[r] (r without rows)."},
    {"pair_gradient", pair_gradient, METH_VARARGS,
     "pair_gradient(E, neighbors, g, out[, rows]): out[p] += "
     "sum_{r, c} g[r, c] |E[i, p] - E[neighbors[r, c], p]|, i = rows[r] "
     "(r without rows)."},
    {"nearest", nearest, METH_VARARGS,
     "nearest(points_by_feature, projection, rows, groups, adjacent, slack, "
     "start, out[, seeds]): for sorted rows start .. start + len(out) - 1, "
     "the len(out[0]) nearest allowed rows, Manhattan, nearest first (ties to "
     "the lower row number), as numbers from rows; seeds: positions offered "
     "first; see _pairs.c."},
    {"tree_nearest", tree_nearest, METH_VARARGS,
     "tree_nearest(points_by_feature, lower, upper, first, last, rows, "
     "groups, adjacent, slack, start, out[, seeds]): nearest's answer for "
     "rows in a k-d tree's order, through the tree's boxes; see _pairs.c."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "skkdece._pairs",
    "Fused pair kernels and the training search of skkdece's neighbours "
    "model.", -1, methods,
    NULL, NULL, NULL, NULL,
};

/* The calling convention of the functions above; _neighbors.py uses the
 * module only when it states the one it expects: an editable install keeps
 * its in-place build until it is reinstalled, so after a change here an old
 * build is ignored, with a warning, rather than called. */
#define API_VERSION 5

PyMODINIT_FUNC PyInit__pairs(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "API_VERSION", API_VERSION)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
