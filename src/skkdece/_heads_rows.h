/*
 * skkdece._heads: the row loops of the heads' loss on vectors of ROWS
 * doubles (2, 4 or 8), which the file that includes this one defines,
 * with the processor it compiles them for (_heads_2.c, _heads_4.c,
 * _heads_8.c).  _heads.c describes the loss and chooses among them.
 *
 * GCC's and Clang's vector extension: the compiler maps a vector onto the
 * units the target has; each width is one register of its target (SSE2 or
 * NEON, AVX2, AVX-512), so the loops do not spill to memory.  A row's
 * centers go ROWS to a vector, the last one padded; a batch's per-row
 * values (scales, standardised targets, the ratios whose logarithms the
 * losses need) go ROWS rows to a vector.
 */

#include "_heads.h"

#if defined(__GNUC__) && !defined(__clang__)
/* Comparisons may become vector blends: no floating-point exception flag is
 * read here, and NaN and infinity still propagate. */
#pragma GCC optimize("no-trapping-math")
/* The vector helpers are inlined: their argument passing never crosses an
 * ABI boundary. */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#if ROWS != 2 && ROWS != 4 && ROWS != 8
#error "ROWS must be 2, 4 or 8"
#endif
/* The exported names carry the width: point_rows_8 and so on. */
#define WIDE_(name, width) name##_##width
#define WIDE__(name, width) WIDE_(name, width)
#define WIDE(name) WIDE__(name, ROWS)

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
    vec out;
    for (int j = 0; j < ROWS; j++) {
        out[j] = v;
    }
    return out;
}

INLINE vec blend(mask m, vec a, vec b)
{
    return (vec)(((bits)m & (bits)a) | (~(bits)m & (bits)b));
}

/* ------------------------------------------------------------------------
 * exp(x) of a vector, two ways, both with 2^k as the product of two powers
 * of two (each a normal number) where the result may leave the normal
 * range, so that results in the subnormal range round once, as the C
 * library's do.  Beyond the double range the clamps give exact 0 and inf;
 * NaN stays NaN.
 *
 * Eight doubles (AVX-512): x = k ln 2 + r with |r| <= ln 2 / 2 (Cody and
 * Waite's two-part ln 2, k rounded by adding 1.5 * 2^52), exp(r) by its
 * Taylor polynomial of degree 13 (truncation below 4e-18) in Estrin's
 * scheme (four levels of products instead of Horner's thirteen); within
 * 2 ulp of the C library's.
 *
 * Two and four doubles: x = (64 e + j) ln 2 / 64 + r with |r| <= ln 2 /
 * 128, exp(x) = 2^e 2^(j/64) (1 + q(r)), the 64 values 2^(j/64) from a
 * table (correctly rounded) and q of degree 5 (truncation below 4e-17);
 * within 1 ulp of the C library's.  Reading the table lane by lane costs
 * little on two and four lanes and more than the longer polynomial on
 * eight (measured 2026-12-07, 2^16 values: 1.83x and 1.35x faster on two
 * and four lanes, 0.77x on eight).
 * ------------------------------------------------------------------------ */

#define SHIFTER 6755399441055744.0 /* 1.5 * 2^52 */
#define HALF_LOG_2PI 0.91893853320467274178
#define PI 3.14159265358979323846
#define LOG_2 0.69314718055994530942
/* The part of the log kernel's normaliser that log_h leaves out: log
 * sqrt(2 pi) for the gaussian, log 2 for the exponential kernel, none for
 * the von Mises kernel (log_h holds log(P i0e(kappa))), the wrapped
 * gaussian's series (log_h holds log P) and the compact kernels (their
 * unit values hold theirs: compact_unit). */
#define KERNEL_NORM(kernel)                                                  \
    ((kernel) == KERNEL_GAUSSIAN      ? HALF_LOG_2PI                         \
     : (kernel) == KERNEL_EXPONENTIAL ? LOG_2                                \
                                      : 0.0)
#define LOG2E 1.4426950408889634
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10

#if ROWS == 8

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

#else

/* 2^(j/64), j = 0..63, each rounded to the nearest double. */
static const double EXP2_SIXTY_FOURTHS[64] = {
    0x1.0000000000000p+0, 0x1.02c9a3e778061p+0,
    0x1.059b0d3158574p+0, 0x1.0874518759bc8p+0,
    0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0,
    0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0,
    0x1.172b83c7d517bp+0, 0x1.1a35beb6fcb75p+0,
    0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,
    0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0,
    0x1.29e9df51fdee1p+0, 0x1.2d285a6e4030bp+0,
    0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0,
    0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0,
    0x1.3dea64c123422p+0, 0x1.4160a21f72e2ap+0,
    0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,
    0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0,
    0x1.5342b569d4f82p+0, 0x1.56f4736b527dap+0,
    0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0,
    0x1.6247eb03a5585p+0, 0x1.6623882552225p+0,
    0x1.6a09e667f3bcdp+0, 0x1.6dfb23c651a2fp+0,
    0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,
    0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0,
    0x1.82589994cce13p+0, 0x1.868d99b4492edp+0,
    0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0,
    0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0,
    0x1.9c49182a3f090p+0, 0x1.a0c667b5de565p+0,
    0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,
    0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0,
    0x1.b7f76f2fb5e47p+0, 0x1.bcc1e904bc1d2p+0,
    0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0,
    0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0,
    0x1.d5818dcfba487p+0, 0x1.da9e603db3285p+0,
    0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,
    0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0,
    0x1.f50765b6e4540p+0, 0x1.fa7c1819e90d8p+0,
};

/* 64 / ln 2, and ln 2 / 64 in Cody and Waite's two parts (LN2_HI has 32
 * significant bits: k times it is exact for |k| < 2^21). */
#define SIXTY_FOUR_LOG2E 92.332482616893656
#define LN2_64_HI (LN2_HI / 64.0)
#define LN2_64_LO (LN2_LO / 64.0)
/* The bits of SHIFTER: t - SHIFTER's bits hold k in two's complement. */
#define SHIFTER_BITS 0x4338000000000000ull

INLINE vec expv(vec x)
{
    /* Where every lane's result is a normal number, 2^e is one power. */
    mask normal = (x > -708.0) & (x < 709.0);
    int all_normal = 1;
    for (int j = 0; j < ROWS; j++) {
        all_normal &= normal[j] != 0;
    }
    if (!all_normal) {
        x = blend(x < -1100.0, splat(-1100.0), x);
        x = blend(x > 710.0, splat(710.0), x);
    }
    vec t = x * SIXTY_FOUR_LOG2E + SHIFTER;
    vec k = t - SHIFTER;
    vec r = (x - k * LN2_64_HI) - k * LN2_64_LO;
    vec r2 = r * r;
    /* exp(r) - 1, and the table's value times exp(r) without rounding
     * 1 + q first. */
    vec q = r + r2 * ((0.5 + r * (1.0 / 6.0)) +
                      r2 * (1.0 / 24.0 + r * (1.0 / 120.0)));
    bits ki = (bits)t - SHIFTER_BITS;
    bits j64 = ki & 63; /* any bits, NaN's too, index the table */
    vec table;
    for (int j = 0; j < ROWS; j++) {
        table[j] = EXP2_SIXTY_FOURTHS[j64[j]];
    }
    vec p = table + table * q;
    /* e = floor(k / 64), k >= -101 568 (x >= -1100): shifted by a bias
     * that keeps it positive (the shift is a logical one). */
    bits e = ((ki + (1ull << 20)) >> 6) - (1ull << 14);
    if (all_normal) {
        return p * (vec)((e + 1023) << 52);
    }
    /* e in [-1588, 1024]: floor(e / 2) and the rest, each within range. */
    bits e1 = ((e + (1ull << 12)) >> 1) - (1ull << 11);
    bits e2 = e - e1;
    return p * (vec)((e1 + 1023) << 52) * (vec)((e2 + 1023) << 52);
}

#endif

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
    bits u = (bits)x;
    /* m in [1, 2) (the exponent's bits replaced), then halved where above
     * sqrt(2). */
    vec m = (vec)((u & 0x800fffffffffffffull) | 0x3ff0000000000000ull);
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

/* The lanes' sum, in a fixed order (halves added until one is left), and
 * their largest. */
INLINE double hsum(vec v)
{
#if ROWS == 8
    return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
#elif ROWS == 4
    return (v[0] + v[2]) + (v[1] + v[3]);
#else
    return v[0] + v[1];
#endif
}

INLINE double larger(double a, double b)
{
    return a > b ? a : b;
}

INLINE double hmax(vec v)
{
#if ROWS == 8
    return larger(larger(larger(v[0], v[4]), larger(v[2], v[6])),
                  larger(larger(v[1], v[5]), larger(v[3], v[7])));
#elif ROWS == 4
    return larger(larger(v[0], v[2]), larger(v[1], v[3]));
#else
    return larger(v[0], v[1]);
#endif
}

INLINE vec vabs(vec v)
{
    return (vec)((bits)v & 0x7fffffffffffffffull);
}

/* The number of vectors that hold M values. */
static Py_ssize_t n_vectors(Py_ssize_t M)
{
    return (M + ROWS - 1) / ROWS;
}

/* ------------------------------------------------------------------------
 * On a circle of period P the kernel is the wrapped gaussian,
 * sum_k N(u + k P), with the offset u = t - c_m wrapped into [-P/2, P/2]:
 * its main term, and the images at k P for 0 < |k| <= images, as
 * _tables._kernels.image_shifts counts them (every image left out lies
 * more than 39 nats below the nearest).  The images cost an exponential
 * each, and most do not matter: a center's images are computed only where
 * the nearest of them (P - |u| away) comes within IMAGE_CUT nats of the
 * row's largest term, and where every kernel is narrower than
 * P / sqrt(2 IMAGE_CUT) only that nearest one (the others lie more than
 * P^2 / 2h^2 > IMAGE_CUT nats below the center's main term).  An image
 * left out weighs less than e^-45 of the row's sum.  The wrapped
 * exponential kernel is its main term and nearest image over
 * 1 - exp(-P / h), in closed form; the von Mises kernel is periodic itself.
 * ------------------------------------------------------------------------ */

#define IMAGE_CUT 45.0

/* u wrapped into [-P/2, P/2]: u - P rint(u / P).  NaN and infinity give
 * NaN, as NumPy's floor does, and so does an offset of 2^51 turns or more,
 * which keeps no digit within a turn (its row's loss is then infinite, a
 * step the solver takes back). */
INLINE vec wrap(vec u, const Circle *circle)
{
    vec x = u * circle->inv_period;
    vec k = (x + SHIFTER) - SHIFTER;
    k = blend(vabs(x) < 2251799813685248.0, k, splat(NAN));
    return u - k * circle->period;
}

/* The terms in kern + p V of `count` targets (one or two) exponentiated
 * less each target's largest, shift[p] = hmax(top[p]), and summed into
 * acc[p]. */
INLINE void exponentiate_terms(vec *kern, Py_ssize_t V, int count,
                               const vec *top, double *shift, vec *acc)
{
    for (int p = 0; p < count; p++) {
        shift[p] = hmax(top[p]);
        acc[p] = splat(0.0);
    }
    for (Py_ssize_t v = 0; v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec e = expv(kern[p * V + v] - shift[p]);
            kern[p * V + v] = e;
            acc[p] += e;
        }
    }
}

/* The lanes' sums of `count` targets: acc[p] into total[p] and, if slope
 * is not NULL, factor times s_acc[p] into slope[p]. */
INLINE void store_sums(const vec *acc, const vec *s_acc, int count,
                       double factor, double *total, double *slope)
{
    for (int p = 0; p < count; p++) {
        total[p] = hsum(acc[p]);
        if (slope != NULL) {
            slope[p] = factor * hsum(s_acc[p]);
        }
    }
}

/* The log kernel's offset term of the gaussian, u^2 q (q = 1 / 2h^2), or
 * of the exponential kernel, |u| q (q = 1 / h). */
INLINE vec offset_term(vec u, vec q, int kernel)
{
    return kernel == KERNEL_EXPONENTIAL ? vabs(u) * q : u * u * q;
}

/* The slope weight of an offset u: u q for the gaussian (the slope is
 * -2 u q), sign(u) q for the exponential kernel (the slope is -sign(u) q,
 * zero at the kink). */
INLINE vec slope_weight(vec u, vec q, int kernel)
{
    if (kernel != KERNEL_EXPONENTIAL) {
        return u * q;
    }
    vec sign = blend(u > 0.0, splat(1.0), blend(u < 0.0, splat(-1.0), splat(0.0)));
    return sign * q;
}

/* How far the nearest image's term (P - |u| away) lies below the main
 * term's: (P - |u|)^2 q - u^2 q, or (P - |u|) q - |u| q. */
INLINE vec image_gap(vec u, vec q, double P, int kernel)
{
    if (kernel == KERNEL_EXPONENTIAL) {
        return q * (P - 2.0 * vabs(u));
    }
    return q * (P * (P - 2.0 * vabs(u)));
}

/* node_terms on a circle, for `count` targets t[p] (one or two), the
 * logits of target p at lg + p lg_stride, with the gaussian or the
 * exponential kernel: the terms exponentiated and shifted by each target's
 * largest (each center's images included) into kern + p V (the wrapped
 * offsets into wrapped + p V), their sums in total[p], their shifts in
 * shift[p], and, if slope is not NULL, minus the sum of e times
 * slope_weight over the terms and images in slope[p].  The exponential
 * kernel's images sum in closed form: the main term and the nearest image,
 * over 1 - exp(-P / h) (in log_h). */
INLINE void circle_terms(const vec *lg, Py_ssize_t lg_stride,
                         Py_ssize_t V, const double *t, int count,
                         const vec *c, const vec *q, const vec *lh,
                         vec *kern, vec *wrapped, double *shift,
                         double *total, double *slope, const Circle *circle,
                         int kernel)
{
    const double P = circle->period;
    vec top[2] = {splat(-INFINITY), splat(-INFINITY)};
    vec near[2] = {splat(-INFINITY), splat(-INFINITY)};
    for (Py_ssize_t v = 0; v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec u = wrap(t[p] - c[v], circle);
            vec a = (lg[p * lg_stride + v] - offset_term(u, q[v], kernel)) - lh[v];
            wrapped[p * V + v] = u;
            kern[p * V + v] = a;
            top[p] = vmax(a, top[p]);
            near[p] = vmax(a - image_gap(u, q[v], P, kernel), near[p]);
        }
    }
    vec acc[2], s_acc[2] = {splat(0.0), splat(0.0)};
    exponentiate_terms(kern, V, count, top, shift, acc);
    for (Py_ssize_t v = 0; v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec u = wrapped[p * V + v];
            s_acc[p] += kern[p * V + v] * slope_weight(u, q[v], kernel);
        }
    }
    for (int p = 0; p < count; p++) {
        double cut = shift[p] - IMAGE_CUT;
        if (circle->images > 0 && hmax(near[p]) > cut) {
            const vec *l = lg + p * lg_stride;
            for (Py_ssize_t v = 0; v < V; v++) {
                vec u = wrapped[p * V + v];
                vec a = (l[v] - offset_term(u, q[v], kernel)) - lh[v];
                if (!(hmax(a - image_gap(u, q[v], P, kernel)) > cut)) {
                    continue;
                }
                vec img = splat(0.0), s_img = splat(0.0);
                if (circle->nearest_only) {
                    vec un = blend(u < 0.0, u + P, u - P);
                    vec an = (l[v] - offset_term(un, q[v], kernel)) - lh[v];
                    img = expv(an - shift[p]);
                    /* The exponential kernel's image term rises as |u|
                     * does, its slope zero at u = 0 as the main term's is
                     * (un would take one side of that kink). */
                    vec side = kernel == KERNEL_EXPONENTIAL ? -u : un;
                    s_img = img * slope_weight(side, q[v], kernel);
                }
                else {
                    for (int k = 1; k <= circle->images; k++) {
                        vec up = u + (double)k * P, um = u - (double)k * P;
                        vec ap = (l[v] - offset_term(up, q[v], kernel)) - lh[v];
                        vec am = (l[v] - offset_term(um, q[v], kernel)) - lh[v];
                        vec ep = expv(ap - shift[p]), em = expv(am - shift[p]);
                        img += ep + em;
                        s_img += ep * slope_weight(up, q[v], kernel) +
                                 em * slope_weight(um, q[v], kernel);
                    }
                }
                kern[p * V + v] += img;
                acc[p] += img;
                s_acc[p] += s_img;
            }
        }
    }
    store_sums(acc, s_acc, count, -1.0, total, slope);
}

/* The centers' angles `factor` c_m as their cosines cb and sines sb (V
 * vectors each, the last padded with angle 0): the von Mises kernel's half
 * angles pi c_m / P, the wrapped gaussian series' angles 2 pi c_m / P. */
INLINE void center_angles(const double *centers, Py_ssize_t M, double factor,
                          vec *cb, vec *sb)
{
    Py_ssize_t V = n_vectors(M);
    for (Py_ssize_t v = 0; v < V; v++) {
        cb[v] = splat(1.0);
        sb[v] = splat(0.0);
    }
    for (Py_ssize_t m = 0; m < M; m++) {
        cb[m / ROWS][m % ROWS] = cos(factor * centers[m]);
        sb[m / ROWS][m % ROWS] = sin(factor * centers[m]);
    }
}

INLINE void vonmises_centers(const double *centers, Py_ssize_t M,
                             const Circle *circle, vec *cb, vec *sb)
{
    center_angles(centers, M, PI * circle->inv_period, cb, sb);
}

/* node_terms for the von Mises kernel, a circle's own (no images):
 * log K = -2 kappa sin^2(pi u / P) - log(P i0e(kappa)), with q_m = kappa_m
 * and lh_m = log(P i0e(kappa_m)).  sin(pi (t - c) / P) comes from the
 * target's half angle and the centers' (cb, sb) by the difference formula,
 * so that a tiny offset keeps its digits; if slope is not NULL, the sum of
 * e_m d/dt log K_m = -(4 pi / P) kappa_m sin cos (half angles) in
 * slope[p]. */
INLINE void vonmises_terms(const vec *lg, Py_ssize_t lg_stride,
                           Py_ssize_t V, const double *t, int count,
                           const vec *cb, const vec *sb, const vec *q,
                           const vec *lh, vec *kern, double *shift,
                           double *total, double *slope,
                           const Circle *circle)
{
    double sa[2], ca[2];
    double half = PI * circle->inv_period;
    for (int p = 0; p < count; p++) {
        sa[p] = sin(half * t[p]);
        ca[p] = cos(half * t[p]);
    }
    vec top[2] = {splat(-INFINITY), splat(-INFINITY)};
    for (Py_ssize_t v = 0; v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec sn = sa[p] * cb[v] - ca[p] * sb[v];
            vec a = (lg[p * lg_stride + v] - 2.0 * q[v] * (sn * sn)) - lh[v];
            kern[p * V + v] = a;
            top[p] = vmax(a, top[p]);
        }
    }
    vec acc[2], s_acc[2] = {splat(0.0), splat(0.0)};
    exponentiate_terms(kern, V, count, top, shift, acc);
    for (Py_ssize_t v = 0; slope != NULL && v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec sn = sa[p] * cb[v] - ca[p] * sb[v];
            vec cs = ca[p] * cb[v] + sa[p] * sb[v];
            s_acc[p] += kern[p * V + v] * (q[v] * (sn * cs));
        }
    }
    store_sums(acc, s_acc, count, -4.0 * half, total, slope);
}

/* node_terms for the exponential (Laplace) kernel on the line,
 * K_h(u) = exp(-|u| / h) / 2h, with q_m = 1 / h_m: the terms
 * lg_m - |t - c_m| q_m - log h_m (log 2 comes with the normaliser) of
 * `count` targets t[p], the logits of target p at lg + p lg_stride,
 * exponentiated and shifted by each target's largest into kern + p V,
 * their sums in total[p], their shifts in shift[p], and, if slope is not
 * NULL, sum_m e_m sign(c_m - t) q_m in slope[p] (the kernel's slope is
 * zero at its center, as NumPy's). */
INLINE void laplace_terms(const vec *lg, Py_ssize_t lg_stride,
                          Py_ssize_t V, const double *t, int count,
                          const vec *c, const vec *q, const vec *lh,
                          vec *kern, double *shift, double *total,
                          double *slope)
{
    vec top[2] = {splat(-INFINITY), splat(-INFINITY)};
    for (Py_ssize_t v = 0; v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec u = t[p] - c[v];
            vec a = (lg[p * lg_stride + v] -
                     offset_term(u, q[v], KERNEL_EXPONENTIAL)) - lh[v];
            kern[p * V + v] = a;
            top[p] = vmax(a, top[p]);
        }
    }
    vec acc[2], s_acc[2] = {splat(0.0), splat(0.0)};
    exponentiate_terms(kern, V, count, top, shift, acc);
    for (Py_ssize_t v = 0; slope != NULL && v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec u = t[p] - c[v];
            vec w = slope_weight(u, q[v], KERNEL_EXPONENTIAL);
            s_acc[p] += kern[p * V + v] * w;
        }
    }
    store_sums(acc, s_acc, count, -1.0, total, slope);
}

/* Each target's shift, the largest of its terms top[p] (lanes), and its
 * sums acc[p] and s_acc[p] at zero. */
INLINE void start_sums(const vec *top, int count, double *shift, vec *acc,
                       vec *s_acc)
{
    for (int p = 0; p < count; p++) {
        shift[p] = hmax(top[p]);
        acc[p] = splat(0.0);
        s_acc[p] = splat(0.0);
    }
}

/* ------------------------------------------------------------------------
 * Kernels of compact support on a circle (the tophat, the Epanechnikov,
 * the linear and the cosine kernel), narrower than the period.  Their
 * logarithms would cost a logarithm a term, so the terms are taken apart:
 * the logits less log h_m, shifted by the largest among the centers whose
 * support holds the target, exponentiated, and multiplied by the unit
 * kernel k(v), v = |u| / h_m, of the wrapped offset u (and of its nearest
 * image where a kernel is wider than half the period; farther images lie
 * beyond every support).  A center that holds the target has k(v) of at
 * least about 2^-53, so the shifted sum is at least that (no underflow),
 * and a term that underflows weighs less than e^-700 of it.  A target that
 * no center holds has no density: its shift is -inf and its sum zero, and
 * its row's loss infinite (as log 0 is in NumPy).
 * ------------------------------------------------------------------------ */

/* cos(pi v / 2) and sin(pi v / 2) for v in [0, 1] (clamped there), from
 * the nearer end: with r = min(v, 1 - v) (exact) and y = pi r / 2 <= pi / 4,
 * the Taylor series of cos y and sin y to the terms in y^16 and y^17 (the
 * next are below 2^-58 of the sums), swapped where v > 1/2, so that the
 * cosine near v = 1 keeps its digits.  (A square root for the cosine cost
 * more than its polynomial.) */
/* (-1)^k / (2k)!, k = 8 .. 0, and (-1)^k / (2k + 1)!, k = 8 .. 1. */
static const double COS_TAYLOR[9] = {
    1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0,
    -1.0 / 3628800.0,       1.0 / 40320.0,        -1.0 / 720.0,
    1.0 / 24.0,             -0.5,                 1.0};
static const double SIN_TAYLOR[8] = {
    1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0,
    -1.0 / 39916800.0,       1.0 / 362880.0,         -1.0 / 5040.0,
    1.0 / 120.0,             -1.0 / 6.0};

INLINE void quarter_turn(vec v, vec *cosine, vec *sine)
{
    vec x = blend(v > 0.0, v, splat(0.0));
    x = blend(x < 1.0, x, splat(1.0));
    mask far = x > 0.5;
    vec y = (PI / 2.0) * blend(far, 1.0 - x, x);
    vec y2 = y * y;
    vec c = splat(COS_TAYLOR[0]), s = splat(SIN_TAYLOR[0]);
    for (int i = 1; i < 9; i++) {
        c = c * y2 + COS_TAYLOR[i];
    }
    for (int i = 1; i < 8; i++) {
        s = s * y2 + SIN_TAYLOR[i];
    }
    s = y + y * (y2 * s);
    *cosine = blend(far, s, c);
    *sine = blend(far, c, s);
}

/* Where a compact kernel's unit value is positive: v < 1, and for the
 * tophat v <= 1.  At the end of a support the two losses may disagree on
 * whether a target is held, within an ulp or two: v here is |u| (1 / h),
 * NumPy's |u| / h, and at v = 1 NumPy's logs of 1 - v^2 and 1 - v are
 * -inf, its cosine of pi / 2 6e-17 where this one is zero.  (An interval
 * whose end lies there has, in NumPy, a finite loss and an infinite slope;
 * here, as for every kernel, an infinite loss.) */
INLINE mask compact_holds(vec v, int kernel)
{
    return kernel == KERNEL_TOPHAT ? (v <= 1.0) : (v < 1.0);
}

/* The unit kernel of a compact code at v >= 0: k(v) into *k (zero beyond
 * the support) and dk/dv into *dk (zero from v = 1 on): 1/2; 3/4 (1 - v)
 * (1 + v); 1 - v; pi/4 cos(pi v / 2). */
INLINE void compact_unit(vec v, int kernel, vec *k, vec *dk)
{
    mask holds = compact_holds(v, kernel), inside = v < 1.0;
    vec zero = splat(0.0), value;
    if (kernel == KERNEL_TOPHAT) {
        value = splat(0.5);
        *dk = zero;
    }
    else if (kernel == KERNEL_EPANECHNIKOV) {
        value = 0.75 * ((1.0 - v) * (1.0 + v));
        *dk = blend(inside, -1.5 * v, zero);
    }
    else if (kernel == KERNEL_LINEAR) {
        value = 1.0 - v;
        *dk = blend(inside, splat(-1.0), zero);
    }
    else {
        vec cosine, sine;
        quarter_turn(v, &cosine, &sine);
        value = (PI / 4.0) * cosine;
        *dk = blend(inside, (-PI * PI / 8.0) * sine, zero);
    }
    *k = blend(holds, value, zero);
}

INLINE vec sign_of(vec u)
{
    return blend(u > 0.0, splat(1.0), blend(u < 0.0, splat(-1.0), splat(0.0)));
}

/* node_terms for a compact kernel on a circle, with q_m = 1 / h_m and
 * lh_m = log h_m: for `count` targets t[p] (one or two), the logits of
 * target p at lg + p lg_stride, the terms e_m k(v_m) (e_m the logit less
 * log h_m, less the largest of those whose support holds the target,
 * exponentiated) into kern + p V, their sums in total[p], their shifts in
 * shift[p] and, if slope is not NULL, sum_m e_m k'(v_m) sign(u_m) q_m in
 * slope[p] (the slope of the sum, that of log q once divided by it); the
 * wrapped offsets in wrapped + p V.  With circle->images the nearest
 * image's term is added too. */
INLINE void compact_terms(const vec *lg, Py_ssize_t lg_stride, Py_ssize_t V,
                          const double *t, int count, const vec *c,
                          const vec *q, const vec *lh, vec *kern,
                          vec *wrapped, double *shift, double *total,
                          double *slope, const Circle *circle, int kernel)
{
    const double P = circle->period;
    const int image = circle->images > 0;
    vec top[2] = {splat(-INFINITY), splat(-INFINITY)};
    for (Py_ssize_t v = 0; v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec u = wrap(t[p] - c[v], circle);
            mask holds = compact_holds(vabs(u) * q[v], kernel);
            if (image) {
                holds |= compact_holds((P - vabs(u)) * q[v], kernel);
            }
            vec a = lg[p * lg_stride + v] - lh[v];
            wrapped[p * V + v] = u;
            kern[p * V + v] = a;
            top[p] = vmax(blend(holds, a, splat(-INFINITY)), top[p]);
        }
    }
    vec acc[2], s_acc[2];
    start_sums(top, count, shift, acc, s_acc);
    for (Py_ssize_t v = 0; v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec u = wrapped[p * V + v], k, dk;
            compact_unit(vabs(u) * q[v], kernel, &k, &dk);
            vec ds = dk * sign_of(u);
            if (image) {
                vec un = blend(u < 0.0, u + P, u - P), kn, dkn;
                compact_unit(vabs(un) * q[v], kernel, &kn, &dkn);
                k += kn;
                ds += dkn * sign_of(un);
            }
            /* Zero where k is: exp(0) keeps every lane of the exponential
             * in the normal range (its fast path). */
            vec e = expv(blend(k > 0.0, kern[p * V + v] - shift[p], splat(0.0)));
            kern[p * V + v] = e * k;
            acc[p] += e * k;
            s_acc[p] += e * (ds * q[v]);
        }
    }
    store_sums(acc, s_acc, count, 1.0, total, slope);
}

/* ------------------------------------------------------------------------
 * The wrapped gaussian wider than a third of the period, the Fourier series
 * that NumPy sums there: K(u) = (1 + 2 sum_{k=1..N} rho^(k^2) cos(k theta))
 * / P, theta = 2 pi u / P, with rho_m = exp(-2 (pi h_m / P)^2) in q_m (at
 * most exp(-2 pi^2 / 9) = 0.11) and log P in lh_m.  The sum in parentheses
 * then lies between 0.77 and 1.23, so, as for the compact kernels, the
 * terms are its values times the exponentials of the logits shifted by
 * their largest, no logarithm a term.  cos(k theta) and sin(k theta) come
 * from Chebyshev's recurrences, from cos theta and sin theta, and those
 * from the target's angle and the centers' by the difference formulas (two
 * libm calls a target, none a term); rho^(k^2) from rho by products.  N,
 * in circle->images, is the finest kernel's count of terms (the last above
 * exp(-39) of the first, as NumPy counts them); a wider kernel's further
 * terms are smaller still.
 * ------------------------------------------------------------------------ */

INLINE void series_centers(const double *centers, Py_ssize_t M,
                           const Circle *circle, vec *cc, vec *sc)
{
    center_angles(centers, M, 2.0 * PI * circle->inv_period, cc, sc);
}

/* node_terms for the wrapped gaussian's series, with q_m = rho_m and lh_m
 * = log P: for `count` targets t[p] (one or two), the logits of target p
 * at lg + p lg_stride, the terms e_m S_m (e_m the logit less log P, less
 * the largest, exponentiated; S_m the series) into kern + p V, their sums
 * in total[p], their shifts in shift[p] and, if slope is not NULL, the sum
 * of e_m dS_m / dt in slope[p].  A target wrapped into [-P/2, P/2] first
 * (2^51 turns or more: not a number, as in wrap). */
INLINE void series_terms(const vec *lg, Py_ssize_t lg_stride, Py_ssize_t V,
                         const double *t, int count, const vec *cc,
                         const vec *sc, const vec *q, const vec *lh,
                         vec *kern, double *shift, double *total,
                         double *slope, const Circle *circle)
{
    const double full = 2.0 * PI * circle->inv_period;
    const int N = circle->images;
    double ct[2], st[2];
    for (int p = 0; p < count; p++) {
        double x = t[p] * circle->inv_period;
        double u = fabs(x) < 2251799813685248.0 ? t[p] - rint(x) * circle->period
                                                 : NAN;
        ct[p] = cos(full * u);
        st[p] = sin(full * u);
    }
    vec top[2] = {splat(-INFINITY), splat(-INFINITY)};
    for (Py_ssize_t v = 0; v < V; v++) {
        for (int p = 0; p < count; p++) {
            vec a = lg[p * lg_stride + v] - lh[v];
            kern[p * V + v] = a;
            top[p] = vmax(a, top[p]);
        }
    }
    vec acc[2], s_acc[2];
    start_sums(top, count, shift, acc, s_acc);
    for (Py_ssize_t v = 0; v < V; v++) {
        vec rho = q[v], rho2 = rho * rho;
        for (int p = 0; p < count; p++) {
            vec c1 = ct[p] * cc[v] + st[p] * sc[v];
            vec s1 = st[p] * cc[v] - ct[p] * sc[v];
            /* r = rho^(k^2) = rho^((k-1)^2) g, g = rho^(2k - 1). */
            vec g = rho, r = rho;
            vec ck = c1, c_last = splat(1.0), sk = s1, s_last = splat(0.0);
            vec sum = r * ck, d_sum = r * sk;
            for (int k = 2; k <= N; k++) {
                g = g * rho2;
                r = r * g;
                vec c_next = 2.0 * c1 * ck - c_last;
                vec s_next = 2.0 * c1 * sk - s_last;
                c_last = ck;
                ck = c_next;
                s_last = sk;
                sk = s_next;
                sum += r * ck;
                d_sum += (double)k * (r * sk);
            }
            vec series = 1.0 + 2.0 * sum;
            vec e = expv(kern[p * V + v] - shift[p]);
            kern[p * V + v] = e * series;
            acc[p] += e * series;
            s_acc[p] += e * d_sum;
        }
    }
    /* dS/dt = -2 (2 pi / P) sum_k k rho^(k^2) sin(k theta). */
    store_sums(acc, s_acc, count, -2.0 * full, total, slope);
}

/* The circle of a call with its gaussian kernels' precisions
 * p2 = 1 / 2h^2 (M of them): whether only each center's nearest image can
 * matter. */
INLINE Circle circle_for(const Circle *circle, const double *p2, Py_ssize_t M)
{
    Circle out = *circle;
    double least = INFINITY;
    for (Py_ssize_t m = 0; m < M; m++) {
        least = p2[m] < least ? p2[m] : least;
    }
    out.nearest_only = circle->images > 0 &&
                       least * circle->period * circle->period > IMAGE_CUT;
    return out;
}

/* circle_for for a call's kernel: the exponential kernel's images beyond
 * the nearest are in its normaliser (circle_terms). */
INLINE Circle circle_of_kernel(const Circle *circle, const double *p2,
                               Py_ssize_t M, int kernel)
{
    Circle out = circle_for(circle, p2, M);
    if (kernel == KERNEL_EXPONENTIAL) {
        out.nearest_only = circle->images > 0;
    }
    return out;
}

/* Work space of point_rows, in bytes (the caller aligns it to
 * HEADS_ALIGN): eleven vectors per vector of centers, and three per ROWS
 * rows of a batch. */
#define BATCH 256
size_t WIDE(point_work)(Py_ssize_t M)
{
    return (11 * (size_t)n_vectors(M) + 3 * BATCH / ROWS) * sizeof(vec);
}

/* The padding of the last vector of per-center constants q: 0 (its logit
 * of -inf adds nothing), and for a compact kernel 1 / h = 1e300, a support
 * that holds no target but one at its center (with 0 it would hold every
 * one, and exponentiate -inf off the exponential's fast path; with inf its
 * zero slope times q would not be a number). */
INLINE double pad_precision(int kernel)
{
    return KERNEL_COMPACT(kernel) ? 1e300 : 0.0;
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
 * them side by side), their centers ROWS at a time (the last vector padded
 * with logits of -inf, which add nothing); a batch's scales and
 * standardised targets first, ROWS rows at a time.  The logarithms of a
 * batch come last, in a loop of their own. */
void WIDE(point_rows)(const double *outputs, Py_ssize_t n, Py_ssize_t K,
                      Py_ssize_t M, const double *targets,
                      const double *centers, const double *p2,
                      const double *log_h, Py_ssize_t mu_col,
                      Py_ssize_t log_s_col, const double *weight,
                      double *loss, double *grad, void *work_space,
                      const Circle *circle, int kernel)
{
    vec *work = work_space;
    const double kernel_norm = KERNEL_NORM(kernel);
    Py_ssize_t V = n_vectors(M);
    vec *c = work, *q = c + V, *lh = q + V, *lg = lh + V, *soft = lg + 2 * V;
    vec *kern = soft + 2 * V, *zs = kern + 2 * V, *ss = zs + BATCH / ROWS;
    vec *ratio = ss + BATCH / ROWS, *wrapped = ratio + BATCH / ROWS;
    load(c, centers, M, 0.0);
    load(q, p2, M, pad_precision(kernel));
    load(lh, log_h, M, 0.0);
    Circle here;
    if (circle != NULL) {
        here = circle_of_kernel(circle, p2, M, kernel);
        circle = &here;
        if (kernel == KERNEL_VONMISES) {
            vonmises_centers(centers, M, circle, wrapped, wrapped + V);
        }
        else if (kernel == KERNEL_SERIES) {
            series_centers(centers, M, circle, wrapped, wrapped + V);
        }
    }
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
            /* The log kernels plus logits, shifted by their largest: their
             * sums and slope sums into a_total and s_total. */
            double a_total_of[2], s_total_of[2];
            if (kernel == KERNEL_VONMISES) {
                vonmises_terms(lg, V, V, z, pair, wrapped, wrapped + V, q, lh,
                               kern, a_shift, a_total_of, s_total_of, circle);
            }
            else if (kernel == KERNEL_SERIES) {
                series_terms(lg, V, V, z, pair, wrapped, wrapped + V, q, lh,
                             kern, a_shift, a_total_of, s_total_of, circle);
            }
            else if (KERNEL_COMPACT(kernel)) {
                compact_terms(lg, V, V, z, pair, c, q, lh, kern, wrapped,
                              a_shift, a_total_of, s_total_of, circle, kernel);
            }
            else if (circle != NULL) {
                circle_terms(lg, V, V, z, pair, c, q, lh, kern, wrapped,
                             a_shift, a_total_of, s_total_of, circle, kernel);
            }
            else if (kernel == KERNEL_EXPONENTIAL) {
                laplace_terms(lg, V, V, z, pair, c, q, lh, kern, a_shift,
                              a_total_of, s_total_of);
            }
            else {
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
                    a_total_of[p] = hsum(a_acc[p]);
                    s_total_of[p] = hsum(s_acc[p]);
                }
            }
            for (int p = 0; p < pair; p++) {
                Py_ssize_t r = r0 + p, i = b0 + r;
                const double *l = outputs + i * K;
                double s = ss[r / ROWS][r % ROWS];
                double a_total = a_total_of[p], inv_a = 1.0 / a_total;
                double inv_l = 1.0 / l_total[p];
                double w = weight[i];
                /* The gaussian's sums are half its slope's (q = 1 / 2h^2). */
                double slope = (kernel == KERNEL_GAUSSIAN ? 2.0 : 1.0) *
                               s_total_of[p] * inv_a;
                double g_mu = w * slope / s, g_log_s = w * (1.0 + z[p] * slope);
                /* The loss less log(a_total / l_total), which comes below. */
                double value = (log_s_col >= 0 ? l[log_s_col] : 0.0) -
                               ((a_shift[p] - l_shift[p]) - kernel_norm);
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
 * their shifts in shift[p].  On a circle (circle not NULL) circle_terms'
 * terms, with `wrapped` (2 V vectors) for the wrapped offsets; for the
 * exponential kernel on the line laplace_terms'; for the von Mises kernel
 * vonmises_terms', its centers' half angles in `wrapped`; for the wrapped
 * gaussian's series series_terms', its centers' angles in `wrapped`; for a
 * compact kernel compact_terms' (in those two the kernels' values, not
 * exponentials, times the shifted exponentials of the logits). */
INLINE void node_terms(const vec *lg, Py_ssize_t V, const double *t, int count,
                       const vec *c, const vec *q, const vec *lh, vec *kern,
                       double *shift, double *total, const Circle *circle,
                       vec *wrapped, int kernel)
{
    if (kernel == KERNEL_VONMISES) {
        vonmises_terms(lg, 0, V, t, count, wrapped, wrapped + V, q, lh, kern,
                       shift, total, NULL, circle);
        return;
    }
    if (kernel == KERNEL_SERIES) {
        series_terms(lg, 0, V, t, count, wrapped, wrapped + V, q, lh, kern,
                     shift, total, NULL, circle);
        return;
    }
    if (KERNEL_COMPACT(kernel)) {
        compact_terms(lg, 0, V, t, count, c, q, lh, kern, wrapped, shift,
                      total, NULL, circle, kernel);
        return;
    }
    if (circle != NULL) {
        circle_terms(lg, 0, V, t, count, c, q, lh, kern, wrapped, shift, total,
                     NULL, circle, kernel);
        return;
    }
    if (kernel == KERNEL_EXPONENTIAL) {
        laplace_terms(lg, 0, V, t, count, c, q, lh, kern, shift, total, NULL);
        return;
    }
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


/* Work space of interval_rows, in bytes: ten vectors per vector of
 * centers. */
size_t WIDE(interval_work)(Py_ssize_t M)
{
    return 10 * (size_t)n_vectors(M) * sizeof(vec);
}

void WIDE(interval_rows)(const double *outputs, Py_ssize_t n, Py_ssize_t K,
                         Py_ssize_t M, const double *lo, const double *hi,
                         const double *nodes, const double *node_w,
                         const int64_t *row_ptr, const Rule *rule,
                         const double *centers, const double *p2,
                         const double *log_h, Py_ssize_t mu_col,
                         Py_ssize_t log_s_col, const double *weight,
                         double *loss, double *grad, void *work_space,
                         double *node_shift, double *node_total,
                         double *row_nodes, double *row_w,
                         const Circle *circle, int kernel)
{
    vec *work = work_space;
    const double kernel_norm = KERNEL_NORM(kernel);
    Py_ssize_t V = n_vectors(M);
    vec *c = work, *q = c + V, *lh = q + V, *lg = lh + V, *soft = lg + V;
    vec *kern = soft + V, *mean = kern + 2 * V, *wrapped = mean + V;
    load(c, centers, M, 0.0);
    load(q, p2, M, pad_precision(kernel));
    load(lh, log_h, M, 0.0);
    Circle here;
    if (circle != NULL) {
        here = circle_of_kernel(circle, p2, M, kernel);
        circle = &here;
        if (kernel == KERNEL_VONMISES) {
            vonmises_centers(centers, M, circle, wrapped, wrapped + V);
        }
        else if (kernel == KERNEL_SERIES) {
            series_centers(centers, M, circle, wrapped, wrapped + V);
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const double *l = outputs + i * K;
        double log_s = log_s_col >= 0 ? l[log_s_col] : 0.0;
        load(lg, l, M, -INFINITY);
        double l_shift;
        double l_total = softmax_row(lg, V, soft, &l_shift);
        double log_norm = (l_shift + log(l_total)) + kernel_norm;
        /* Each node's shifted sum of terms, and the weighted mean of the
         * responsibilities; the logarithms after the loop. */
        const double *t = nodes, *tw = node_w;
        Py_ssize_t n_row;
        if (rule != NULL) {
            n_row = heads_place_nodes(lo[i], hi[i], rule, row_nodes, row_w);
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
            node_terms(lg, V, t + j, count, c, q, lh, kern, shift, total,
                       circle, wrapped, kernel);
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
        node_terms(lg, V, ends, 2, c, q, lh, kern, end_shift, end_total,
                   circle, wrapped, kernel);
        double G = 0.0;
        /* G in ROWS partial sums (the last vector padded with nodes of
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

/* expv (log: logv) of every value, ROWS at a time. */
void WIDE(each_value)(const double *x, double *out, Py_ssize_t n, int log_of)
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
