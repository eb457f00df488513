package skk;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A softmax kernel-density model exported by {@code skkdece.export}, with no
 * dependency beyond the JDK (it carries its own small JSON reader).
 *
 * <p>Row {@code x} gets the density
 * {@code p(t) = sum_m softmax(coef x' + intercept)_m K_h(t - c_m)}, with
 * {@code x' = (x - mean) / scale}. {@link #logDensity} evaluates it and
 * {@link #bestAim} finds the angle maximising the mass of {@code [t - w, t + w]}
 * for every kernel of skkdece (wrapped onto the circle when periodic).
 *
 * <p>A document of format version 3 adds a location head
 * {@code mu = beta x' + beta_0} and a log-scale head
 * {@code log s = gamma x' + gamma_0} (either may be absent): the mixture
 * {@code q} above is then the density of the standardised target
 * {@code z = (t - mu) / s}, and {@code p(t | x) = q((t - mu) / s) / s}
 * ({@link #logDensityAt}); the best aim of half-width {@code w} is
 * {@code mu + s z*}, with {@code z*} the best aim of {@code q} for the
 * half-width {@code w / s} ({@link #bestAim}). With a period only the
 * location exists, a rotation: {@code p(t | x) = q(t - mu)}. The methods that
 * take log weights ({@link #logDensity}, {@link #bestAimWeights}) answer for
 * {@code q}, the standardised target.
 *
 * <p>The aim is located by the sign change of the derivative of the mass,
 * {@code p(t + w) - p(t - w)} ({@code p'(t)} for {@code w = 0}), between the
 * points of a grid of quarter bandwidths and kernel kinks, refined by
 * bisection to the last bits; the local maxima are then compared by their
 * mass. This is accurate to rounding, not to the square root of it as a
 * search on the mass itself would be.
 */
public final class SkkModel {

    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2.0 * Math.PI);
    private static final double LN2 = Math.log(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    public final String kernel;
    public final double bandwidth;
    public final boolean periodic;
    public final double period;
    public final double windowStart;
    public final double[] centers;
    public final double[][] coef;
    public final double[] intercept;
    public final double[] mean;
    public final double[] scale;
    public final String[] featureNames;
    /** The location head's weights on the scaled features (null: no location). */
    public final double[] locationCoef;
    /** The location head's intercept (0 without one). */
    public final double locationIntercept;
    /** The log-scale head's weights on the scaled features (null: no scale). */
    public final double[] scaleCoef;
    /** The log-scale head's intercept (0 without one). */
    public final double scaleIntercept;
    private final int kind; // 0 gaussian 1 exponential 2 tophat 3 epanechnikov 4 linear 5 cosine 6 vonmises
    private final int nImages;
    private final double logH;
    private final double kappa;
    private final double vonmisesLogNorm;
    private final double[] kinks; // offsets in bandwidths where the kernel is not smooth
    private final double lo, hi; // hull of the centers (non-periodic)

    // ------------------------------------------------------------------ loading
    public SkkModel(Map<String, Object> doc) {
        if (!"skkdece-model".equals(doc.get("format"))) {
            throw new IllegalArgumentException("not an skkdece model document");
        }
        int version = ((Number) doc.get("format_version")).intValue();
        if (version != 1 && version != 3) {
            throw new IllegalArgumentException("unsupported format_version " + doc.get("format_version")
                    + " (SkkModel reads versions 1 and 3 of softmax_kde)");
        }
        if (!"softmax_kde".equals(doc.get("model"))) {
            throw new IllegalArgumentException("unsupported model " + doc.get("model"));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) doc.get("softmax_kde");
        kernel = (String) m.get("kernel");
        bandwidth = ((Number) m.get("bandwidth")).doubleValue();
        periodic = m.get("period") != null;
        period = periodic ? ((Number) m.get("period")).doubleValue() : Double.NaN;
        windowStart = m.get("window") == null ? 0.0 : vector(m.get("window"))[0];
        centers = vector(m.get("centers"));
        intercept = vector(m.get("intercept"));
        List<?> rows = (List<?>) m.get("coef");
        coef = new double[rows.size()][];
        for (int i = 0; i < coef.length; i++) {
            coef[i] = vector(rows.get(i));
        }
        int nf = ((Number) doc.get("n_features")).intValue();
        @SuppressWarnings("unchecked")
        Map<String, Object> sc = (Map<String, Object>) doc.get("scaling");
        double[][] ms = scaling(sc, nf);
        mean = ms[0];
        scale = ms[1];
        featureNames = names(doc.get("feature_names"));
        double[][] location = head(m, "location", nf);
        double[][] logScale = head(m, "scale", nf);
        if (logScale != null && periodic) {
            throw new IllegalArgumentException("a scale head with a period: on a circle the period does not"
                    + " stretch, so only a location head (a rotation) is possible");
        }
        locationCoef = location == null ? null : location[0];
        locationIntercept = location == null ? 0.0 : location[1][0];
        scaleCoef = logScale == null ? null : logScale[0];
        scaleIntercept = logScale == null ? 0.0 : logScale[1][0];
        kind = kernelKind(kernel, periodic);
        logH = Math.log(bandwidth);
        double r = periodic ? bandwidth / period : 0.0;
        if (!periodic) nImages = 0;
        else if (kind == 0) nImages = (int) Math.ceil(9.0 * r + 0.5);
        else if (kind == 1) nImages = (int) Math.ceil(40.0 * r + 0.5);
        else nImages = (int) Math.ceil(r + 0.5);
        if (kind == 6) {
            double q = period / (2.0 * Math.PI * bandwidth);
            kappa = q * q;
            vonmisesLogNorm = Math.log(period) + logI0e(kappa);
        } else {
            kappa = Double.NaN;
            vonmisesLogNorm = Double.NaN;
        }
        kinks = kinkOffsets(kind);
        double a = Double.POSITIVE_INFINITY, b = Double.NEGATIVE_INFINITY;
        for (double c : centers) {
            a = Math.min(a, c);
            b = Math.max(b, c);
        }
        lo = a;
        hi = b;
    }

    public static SkkModel load(Reader in) throws IOException {
        return new SkkModel(document(in));
    }

    /** The JSON object read from {@code in}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> document(Reader in) throws IOException {
        StringBuilder sb = new StringBuilder();
        char[] buf = new char[8192];
        int n;
        while ((n = in.read(buf)) > 0) sb.append(buf, 0, n);
        return (Map<String, Object>) Json.parse(sb.toString());
    }

    static double[] vector(Object o) {
        List<?> l = (List<?>) o;
        double[] v = new double[l.size()];
        for (int i = 0; i < v.length; i++) v[i] = ((Number) l.get(i)).doubleValue();
        return v;
    }

    /** {mean, scale} of a document's "scaling" (zeros and ones when null). */
    static double[][] scaling(Map<String, Object> sc, int nf) {
        double[] mean = sc == null ? new double[nf] : vector(sc.get("mean"));
        double[] scale;
        if (sc == null) {
            scale = new double[nf];
            java.util.Arrays.fill(scale, 1.0);
        } else {
            scale = vector(sc.get("scale"));
        }
        return new double[][] {mean, scale};
    }

    /** {coef, {intercept}} of a head of the "softmax_kde" part, or null when absent. */
    static double[][] head(Map<String, Object> part, String name, int nf) {
        @SuppressWarnings("unchecked")
        Map<String, Object> h = (Map<String, Object>) part.get(name);
        if (h == null) return null;
        double[] c = vector(h.get("coef"));
        if (c.length != nf) {
            throw new IllegalArgumentException("the " + name + " head has " + c.length
                    + " coefficients for " + nf + " features");
        }
        return new double[][] {c, {((Number) h.get("intercept")).doubleValue()}};
    }

    /** A document's "feature_names", or null. */
    static String[] names(Object names) {
        if (names == null) return null;
        List<?> l = (List<?>) names;
        String[] out = new String[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = (String) l.get(i);
        return out;
    }

    /** 0 gaussian 1 exponential 2 tophat 3 epanechnikov 4 linear 5 cosine 6 vonmises. */
    static int kernelKind(String kernel, boolean periodic) {
        String[] all = {"gaussian", "exponential", "tophat", "epanechnikov", "linear", "cosine", "vonmises"};
        int k = -1;
        for (int i = 0; i < all.length; i++) if (all[i].equals(kernel)) k = i;
        if (k < 0) throw new IllegalArgumentException("unknown kernel " + kernel);
        if (k == 6 && !periodic) throw new IllegalArgumentException("vonmises needs a period");
        return k;
    }

    /** Offsets, in bandwidths, where a kernel is not smooth. */
    static double[] kinkOffsets(int kind) {
        switch (kind) {
            case 1: return new double[] {0.0};
            case 2: case 3: case 5: return new double[] {-1.0, 1.0};
            case 4: return new double[] {-1.0, 0.0, 1.0};
            default: return new double[0];
        }
    }

    /** log of the unit kernel of a kind (not von Mises) at u. */
    static double unitLog(int kind, double u) {
        double a = Math.abs(u);
        switch (kind) {
            case 0: return -0.5 * u * u - LOG_SQRT_2PI;
            case 1: return -a - LN2;
            case 2: return a <= 1.0 ? -LN2 : Double.NEGATIVE_INFINITY;
            case 3: return a <= 1.0 ? Math.log(0.75) + Math.log1p(-a * a) : Double.NEGATIVE_INFINITY;
            case 4: return a <= 1.0 ? Math.log1p(-a) : Double.NEGATIVE_INFINITY;
            case 5: return a <= 1.0 ? Math.log(Math.PI / 4.0) + Math.log(Math.cos(0.5 * Math.PI * a))
                    : Double.NEGATIVE_INFINITY;
            default: throw new IllegalStateException();
        }
    }

    /** log(I0(k) exp(-k)): power series in log form, asymptotic series for large k. */
    static double logI0e(double k) {
        if (k > 700.0) {
            double s = 1.0, term = 1.0;
            for (int j = 1; j < 30; j++) {
                double f = (2.0 * j - 1.0);
                double next = term * f * f / (8.0 * k * j);
                if (next > term) break;
                term = next;
                s += term;
            }
            return Math.log(s) - 0.5 * Math.log(2.0 * Math.PI * k);
        }
        double x = 0.25 * k * k, term = 1.0, s = 1.0;
        for (int j = 1; j < 100000; j++) {
            term *= x / ((double) j * j);
            s += term;
            if (term < 1e-17 * s) break;
        }
        return Math.log(s) - k;
    }

    // ------------------------------------------------------------------ logits
    /** The scaled features {@code x' = (x - mean) / scale} of a row. */
    public double[] scaled(double[] x) {
        double[] xs = new double[x.length];
        for (int j = 0; j < x.length; j++) xs[j] = (x[j] - mean[j]) / scale[j];
        return xs;
    }

    /** Whether the model has a location or a scale head. */
    public boolean hasHeads() {
        return locationCoef != null || scaleCoef != null;
    }

    private static double linear(double[] w, double w0, double[] xs) {
        double s = 0;
        for (int j = 0; j < xs.length; j++) s += w[j] * xs[j];
        return s + w0;
    }

    /** The row's location {@code mu} (0 without a location head), from scaled features. */
    public double locationScaled(double[] xs) {
        return locationCoef == null ? 0.0 : linear(locationCoef, locationIntercept, xs);
    }

    /** The row's log scale {@code log s} (0 without a scale head), from scaled features. */
    public double logScaleScaled(double[] xs) {
        return scaleCoef == null ? 0.0 : linear(scaleCoef, scaleIntercept, xs);
    }

    /** Log softmax weights of a feature row. */
    public double[] logWeights(double[] x) {
        return logWeightsScaled(scaled(x));
    }

    /** Log softmax weights of a row of scaled features. */
    public double[] logWeightsScaled(double[] xs) {
        int nc = centers.length;
        double[] z = new double[nc];
        double mx = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < nc; i++) {
            double s = intercept[i];
            double[] row = coef[i];
            for (int j = 0; j < xs.length; j++) s += row[j] * xs[j];
            z[i] = s;
            if (s > mx) mx = s;
        }
        double sum = 0;
        for (int i = 0; i < nc; i++) sum += Math.exp(z[i] - mx);
        double lse = mx + Math.log(sum);
        for (int i = 0; i < nc; i++) z[i] -= lse;
        return z;
    }

    // ------------------------------------------------------------------ kernel
    private double unitLog(double u) {
        return unitLog(kind, u);
    }

    /** Derivative of the unit kernel (not log), for the mode. */
    private double unitDeriv(double u) {
        double a = Math.abs(u), s = Math.signum(u);
        switch (kind) {
            case 0: return -u * Math.exp(-0.5 * u * u) * INV_SQRT_2PI;
            case 1: return -s * 0.5 * Math.exp(-a);
            case 2: return 0.0;
            case 3: return a <= 1.0 ? -1.5 * u : 0.0;
            case 4: return a <= 1.0 ? -s : 0.0;
            case 5: return a <= 1.0 ? -s * Math.PI * Math.PI / 8.0 * Math.sin(0.5 * Math.PI * a) : 0.0;
            default: throw new IllegalStateException();
        }
    }

    private double wrap(double u) {
        return u - period * Math.floor(u / period + 0.5);
    }

    /** log K_h(u), wrapped when periodic. */
    public double logKernel(double u) {
        if (!periodic) return unitLog(u / bandwidth) - logH;
        u = wrap(u);
        if (kind == 6) {
            double s = Math.sin(Math.PI * u / period);
            return -2.0 * kappa * s * s - vonmisesLogNorm;
        }
        double mx = Double.NEGATIVE_INFINITY;
        double[] t = new double[2 * nImages + 1];
        for (int k = -nImages; k <= nImages; k++) {
            double v = unitLog((u + k * period) / bandwidth);
            t[k + nImages] = v;
            if (v > mx) mx = v;
        }
        if (mx == Double.NEGATIVE_INFINITY) return mx;
        double s = 0;
        for (double v : t) s += Math.exp(v - mx);
        return mx + Math.log(s) - logH;
    }

    /** d/du K_h(u) (wrapped when periodic). */
    private double kernelDeriv(double u) {
        if (periodic && kind == 6) {
            u = wrap(u);
            double th = 2.0 * Math.PI * u / period;
            return -kappa * (2.0 * Math.PI / period) * Math.sin(th) * kernelValue(u);
        }
        double h2 = bandwidth * bandwidth;
        if (!periodic) return unitDeriv(u / bandwidth) / h2;
        u = wrap(u);
        double s = 0;
        for (int k = -nImages; k <= nImages; k++) s += unitDeriv((u + k * period) / bandwidth);
        return s / h2;
    }

    // ------------------------------------------------------------------ density
    /** log p(t) for log weights {@code lw}. */
    public double logDensity(double[] lw, double t) {
        double mx = Double.NEGATIVE_INFINITY;
        double[] v = new double[centers.length];
        for (int i = 0; i < centers.length; i++) {
            v[i] = lw[i] + logKernel(t - centers[i]);
            if (v[i] > mx) mx = v[i];
        }
        if (mx == Double.NEGATIVE_INFINITY) return mx;
        double s = 0;
        for (double a : v) s += Math.exp(a - mx);
        return mx + Math.log(s);
    }

    /** log p(t | x), moved and stretched by the heads when there are any. */
    public double logDensityAt(double[] x, double t) {
        if (!hasHeads()) return logDensity(logWeights(x), t);
        double[] xs = scaled(x);
        double[] lw = logWeightsScaled(xs);
        double mu = locationScaled(xs);
        if (periodic) return logDensity(lw, t - mu);
        double logS = logScaleScaled(xs);
        return logDensity(lw, (t - mu) / Math.exp(logS)) - logS;
    }

    /**
     * The predicted mass of {@code [a, b]} for row x ({@code a <= b}; with a
     * period, an arc shorter than one period that may cross the seam).
     */
    public double hitProbability(double[] x, double a, double b) {
        if (!(b >= a)) throw new IllegalArgumentException("hitProbability needs a <= b");
        if (periodic && !(b - a < period)) {
            throw new IllegalArgumentException("hitProbability needs an arc shorter than the period");
        }
        double[] xs = scaled(x);
        double[] lw = logWeightsScaled(xs);
        double mu = locationScaled(xs), s = periodic ? 1.0 : Math.exp(logScaleScaled(xs));
        double za = (a - mu) / s, zb = (b - mu) / s;
        double sum = 0;
        for (int i = 0; i < centers.length; i++) {
            double w = Math.exp(lw[i]);
            if (w > 0) sum += w * kernelMass(za - centers[i], zb - centers[i]);
        }
        return Math.min(Math.max(sum, 0.0), 1.0);
    }

    private double unitValue(double u) {
        double a = Math.abs(u);
        switch (kind) {
            case 0: return Math.exp(-0.5 * u * u) * INV_SQRT_2PI;
            case 1: return 0.5 * Math.exp(-a);
            case 2: return a <= 1.0 ? 0.5 : 0.0;
            case 3: return a <= 1.0 ? 0.75 * (1.0 - a * a) : 0.0;
            case 4: return a <= 1.0 ? 1.0 - a : 0.0;
            case 5: return a <= 1.0 ? Math.PI / 4.0 * Math.cos(0.5 * Math.PI * a) : 0.0;
            default: throw new IllegalStateException();
        }
    }

    /** K_h(u), wrapped when periodic (may underflow to 0 in far tails). */
    private double kernelValue(double u) {
        if (!periodic) return unitValue(u / bandwidth) / bandwidth;
        u = wrap(u);
        if (kind == 6) {
            double s = Math.sin(Math.PI * u / period);
            return Math.exp(-2.0 * kappa * s * s - vonmisesLogNorm);
        }
        double s = 0;
        for (int k = -nImages; k <= nImages; k++) s += unitValue((u + k * period) / bandwidth);
        return s / bandwidth;
    }

    private double density(double[] w, double t) {
        double s = 0;
        for (int i = 0; i < centers.length; i++) {
            if (w[i] > 0) s += w[i] * kernelValue(t - centers[i]);
        }
        return s;
    }

    /** Slope of the objective: p(t + w) - p(t - w), or p'(t) when w = 0. */
    private double slope(double[] w, double t, double hw) {
        if (hw > 0) return density(w, t + hw) - density(w, t - hw);
        double s = 0;
        for (int i = 0; i < centers.length; i++) {
            if (w[i] > 0) s += w[i] * kernelDeriv(t - centers[i]);
        }
        return s;
    }

    // ------------------------------------------------------------------ mass
    private double unitCdf(double u) {
        double v = Math.max(-1.0, Math.min(1.0, u));
        switch (kind) {
            case 0: return 0.5 * erfc(-u / Math.sqrt(2.0));
            case 1: return u < 0 ? 0.5 * Math.exp(u) : 1.0 - 0.5 * Math.exp(-u);
            case 2: return 0.5 * (v + 1.0);
            case 3: return 0.5 + 0.75 * (v - v * v * v / 3.0);
            case 4: return v < 0 ? 0.5 * (1 + v) * (1 + v) : 1.0 - 0.5 * (1 - v) * (1 - v);
            case 5: return 0.5 * (1.0 + Math.sin(0.5 * Math.PI * v));
            default: throw new IllegalStateException();
        }
    }

    static final double[] GL_X = {
        -0.9739065285171717, -0.8650633666889845, -0.6794095682990244, -0.4333953941292472,
        -0.1488743389816312, 0.1488743389816312, 0.4333953941292472, 0.6794095682990244,
        0.8650633666889845, 0.9739065285171717};
    static final double[] GL_W = {
        0.0666713443086881, 0.1494513491505806, 0.2190863625159820, 0.2692667193099963,
        0.2955242247147529, 0.2955242247147529, 0.2692667193099963, 0.2190863625159820,
        0.1494513491505806, 0.0666713443086881};

    /** Kernel mass of offsets [a, b] (b - a below one period). */
    private double kernelMass(double a, double b) {
        if (!periodic) return unitCdf(b / bandwidth) - unitCdf(a / bandwidth);
        if (kind == 6) {
            int panels = (int) Math.ceil((b - a) / (0.25 * bandwidth)) + 1;
            double width = (b - a) / panels, s = 0;
            for (int p = 0; p < panels; p++) {
                double mid = a + (p + 0.5) * width;
                for (int j = 0; j < GL_X.length; j++) {
                    s += GL_W[j] * kernelValue(mid + 0.5 * width * GL_X[j]);
                }
            }
            return s * 0.5 * width;
        }
        double shift = period * Math.floor(a / period + 0.5);
        a -= shift;
        b -= shift;
        double s = 0;
        for (int k = -nImages - 1; k <= nImages + 1; k++) {
            s += unitCdf((b + k * period) / bandwidth) - unitCdf((a + k * period) / bandwidth);
        }
        return s;
    }

    private double mass(double[] w, double t, double hw) {
        if (hw == 0) return density(w, t);
        double s = 0;
        for (int i = 0; i < centers.length; i++) {
            if (w[i] > 0) s += w[i] * kernelMass(t - hw - centers[i], t + hw - centers[i]);
        }
        return s;
    }

    /** 2/sqrt(pi) (-1)^n / (n! (2n + 1)): erf(x) = x sum_n ERF_TAYLOR[n] x^(2n). */
    private static final double[] ERF_TAYLOR = new double[14];

    static {
        double f = 2.0 / Math.sqrt(Math.PI);
        for (int n = 0; n < ERF_TAYLOR.length; n++) {
            if (n > 0) f *= -1.0 / n;
            ERF_TAYLOR[n] = f / (2 * n + 1);
        }
    }

    /**
     * erfc to about 3e-16 relative on [-9, 9], 0 beyond 9 (erfc(9) = 4e-37,
     * nothing next to any real mass). Below 0.5, 1 - erf by the Taylor series
     * of erf (14 terms reach 1e-19 there); from 0.5 to 9, exp(-x^2) erfcx(x)
     * with erfcx a polynomial of degree 12 on each piece of width 1/2
     * ({@link ErfcTable}, interpolated at Chebyshev points by
     * robocode/make_erfc_table.py: the piecewise-polynomial scheme of libm
     * error functions). About ten times faster than summing the series to
     * 2.5 and a continued fraction beyond, which is what the aim's box atoms
     * spend most of their time on.
     */
    static double erfc(double x) {
        if (x < 0) return 2.0 - erfc(-x);
        if (x < ErfcTable.START) {
            double x2 = x * x, s = 0.0;
            for (int n = ERF_TAYLOR.length - 1; n >= 0; n--) s = s * x2 + ERF_TAYLOR[n];
            return 1.0 - x * s;
        }
        if (x > 9.0) return 0.0;
        return expMinusSquare(x) * erfcxTable(x);
    }

    /** exp(x^2) erfc(x) for 0.5 <= x <= 9, from the table. */
    static double erfcxTable(double x) {
        int i = Math.min((int) ((x - ErfcTable.START) / ErfcTable.WIDTH), ErfcTable.COEFFICIENTS.length - 1);
        double[] c = ErfcTable.COEFFICIENTS[i];
        double s = x - (ErfcTable.START + ErfcTable.WIDTH * (i + 0.5)), v = 0.0;
        for (int k = c.length - 1; k >= 0; k--) v = v * s + c[k];
        return v;
    }

    /**
     * exp(-x^2) without the rounding of x^2 (whose relative error the
     * exponential would multiply by x^2): x = xh + xl with xh of 24 bits, so
     * xh^2 is exact and exp(-x^2) = exp(-xh^2) exp(-xl (x + xh)), the second
     * factor 1 - d + d^2/2 - d^3/6 to 1e-22 (|d| < 5e-6 for x <= 9).
     */
    static double expMinusSquare(double x) {
        double xh = (float) x, d = (x - xh) * (x + xh);
        return Math.exp(-xh * xh) * (1.0 - d * (1.0 - d * (0.5 - d / 6.0)));
    }

    // ------------------------------------------------------------------ aim
    private double toWindow(double t) {
        if (!periodic) return t;
        double r = windowStart + (t - windowStart) - period * Math.floor((t - windowStart) / period);
        return r >= windowStart + period ? windowStart : r;
    }

    /**
     * The angle maximising the predicted mass of [t - hw, t + hw] for row x:
     * with heads, {@code mu + s z*} with {@code z*} the standardised mixture's
     * best aim for {@code hw / s} (on a circle {@code z* + mu}, in the window).
     */
    public double bestAim(double[] x, double hw) {
        if (!hasHeads()) return bestAimWeights(logWeights(x), hw);
        if (!(hw >= 0)) throw new IllegalArgumentException("half width must be >= 0");
        double[] xs = scaled(x);
        double[] lw = logWeightsScaled(xs);
        double mu = locationScaled(xs);
        if (periodic) return toWindow(bestAimWeights(lw, hw) + mu);
        double s = Math.exp(logScaleScaled(xs));
        return mu + s * bestAimWeights(lw, hw / s);
    }

    /** As {@link #bestAim}, from log weights. */
    public double bestAimWeights(double[] lw, double hw) {
        if (!(hw >= 0)) throw new IllegalArgumentException("half width must be >= 0");
        int nc = centers.length;
        double[] w = new double[nc];
        double lwMax = Double.NEGATIVE_INFINITY;
        for (double v : lw) lwMax = Math.max(lwMax, v);
        for (int i = 0; i < nc; i++) {
            // Weights below 1e-18 of the largest cannot move a maximum by a
            // representable amount: skipped (density() ignores zero weights).
            w[i] = lw[i] < lwMax - 41.5 ? 0.0 : Math.exp(lw[i]);
        }
        double[] cand;
        double[] g;
        if (kind == 2 && hw > 0) {
            // The tophat's window mass is piecewise linear between the grid's
            // kinks (c +- h +- hw): its maximum is at one of them. The sign of
            // its slope is not looked at, since a kink computed with rounding
            // can fall on either side of the jump it stands for (and a slope
            // of the wrong sign there hid maxima).
            cand = candidates(hw);
            double bestT = cand[0], bestM = Double.NEGATIVE_INFINITY;
            for (double t : cand) {
                double m = mass(w, t, hw);
                if (m > bestM) { bestM = m; bestT = t; }
            }
            return toWindow(bestT);
        }
        if (kind == 0 && !periodic && hw > 0 && hi > lo) {
            double[][] cg = gaussianSlopes(w, hw);
            cand = cg[0];
            g = cg[1];
        } else {
            cand = candidates(hw);
            g = new double[cand.length];
            for (int i = 0; i < cand.length; i++) g[i] = slope(w, cand[i], hw);
        }
        int n = cand.length;
        double bestT = cand[0], bestM = Double.NEGATIVE_INFINITY;
        int last = periodic ? n : n - 1;
        // The slope integrates to the objective: a trapezoid sum of g along the
        // grid ranks the local maxima cheaply (for w = 0 it sums p' to p);
        // only those within SKIP of the best get refined and compared exactly.
        double[] approx = new double[n + 1];
        double approxBest = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < last; i++) {
            int j = i + 1;
            double b = j < n ? cand[j] : cand[0] + period;
            double gb = j < n ? g[j] : g[0];
            approx[j] = approx[i] + 0.5 * (g[i] + gb) * (b - cand[i]);
            if (g[i] > 0 && gb <= 0) approxBest = Math.max(approxBest, Math.max(approx[i], approx[j]));
        }
        // Smooth kernels only: jumps and kinks spoil the trapezoid estimate.
        double skip = (kind == 0 || kind == 6)
                ? SKIP * Math.max(approxBest - minOf(approx, last), 0.0)
                : Double.POSITIVE_INFINITY;
        for (int i = 0; i < last; i++) {
            int j = i + 1;
            double a = cand[i], b = j < n ? cand[j] : cand[0] + period;
            double gb = j < n ? g[j] : g[0];
            if (!(g[i] > 0 && gb <= 0)) continue;
            if (Math.max(approx[i], approx[j]) < approxBest - skip) continue;
            double t = refine(w, a, b, hw);
            double m = mass(w, t, hw);
            if (m > bestM) {
                bestM = m;
                bestT = t;
            }
        }
        if (!periodic) {
            // Ends of the hull: maxima there have no sign change inside.
            if (g[0] <= 0) {
                double m = mass(w, cand[0], hw);
                if (m > bestM) { bestM = m; bestT = cand[0]; }
            }
            if (g[n - 1] > 0) {
                double m = mass(w, cand[n - 1], hw);
                if (m > bestM) { bestM = m; bestT = cand[n - 1]; }
            }
        }
        if (bestM == Double.NEGATIVE_INFINITY) {
            // Flat objective everywhere on the grid: the best grid point.
            for (double t : cand) {
                double m = mass(w, t, hw);
                if (m > bestM) { bestM = m; bestT = t; }
            }
        }
        return toWindow(bestT);
    }

    /** Local maxima whose trapezoid estimate trails the best by more than this
     * fraction of the estimate's range are not refined (smooth kernels). */
    private static final double SKIP = 0.05;

    private static double minOf(double[] v, int last) {
        double m = Double.POSITIVE_INFINITY;
        for (int i = 0; i <= last; i++) m = Math.min(m, v[i]);
        return m;
    }

    /** Bisection on the sign of the slope, g(a) > 0 >= g(b), to the last bits. */
    private double refine(double[] w, double a, double b, double hw) {
        return signChange(t -> slope(w, t, hw), a, b);
    }

    /**
     * Where {@code g} changes sign in [a, b], g(a) > 0 >= g(b), to adjacent
     * doubles: Illinois regula falsi, falling back to bisection whenever a
     * step fails to halve the bracket (kinks and jumps of compact kernels).
     */
    static double signChange(java.util.function.DoubleUnaryOperator g, double a, double b) {
        double ga = g.applyAsDouble(a), gb = g.applyAsDouble(b);
        int side = 0;
        boolean bisect = false;
        for (int it = 0; it < 400; it++) {
            double width = b - a;
            double m = bisect || !(ga > gb) ? 0.5 * (a + b) : a + width * ga / (ga - gb);
            if (!(m > a && m < b)) m = 0.5 * (a + b);
            if (m <= a || m >= b) break;
            double gm = g.applyAsDouble(m);
            if (gm > 0) {
                a = m;
                ga = gm;
                if (side == 1) gb *= 0.5;
                side = 1;
            } else {
                b = m;
                gb = gm;
                if (side == -1) ga *= 0.5;
                side = -1;
            }
            bisect = !bisect && (b - a) > 0.5 * width;
            if (gm == 0) {
                return m;
            }
        }
        return a; // the sign change is between a and b, adjacent doubles
    }

    /**
     * Gaussian kernel on the line: the slope on the candidate grid, with the
     * uniform part computed without an exp per point. Along a uniform grid
     * the kernel's consecutive ratios form a geometric sequence, so each
     * center's values follow by two multiplications a point, walking away
     * from the center (where they only shrink). The rounding this adds, a few
     * hundred ulps at most, only matters for a slope within that of zero at a
     * grid point, where the sign change is then as close to the point.
     */
    private double[][] gaussianSlopes(double[] w, double hw) {
        double h = bandwidth;
        int n = (int) Math.min(Math.ceil((hi - lo) / (0.25 * h)), 8192) + 1;
        double step = (hi - lo) / (n - 1);
        double[] plus = new double[n], minus = new double[n];
        for (int i = 0; i < centers.length; i++) {
            if (w[i] > 0) {
                gaussianWalk(w[i] * INV_SQRT_2PI / h, lo + hw - centers[i], step, plus);
                gaussianWalk(w[i] * INV_SQRT_2PI / h, lo - hw - centers[i], step, minus);
            }
        }
        double[] ext = new double[centers.length];
        int m = 0;
        for (double c : centers) {
            if (c > lo && c < hi) ext[m++] = c; // hull ends are grid points
        }
        ext = java.util.Arrays.copyOf(ext, m);
        java.util.Arrays.sort(ext);
        double[] cand = new double[n + m], g = new double[n + m];
        int a = 0, b = 0, k = 0;
        while (a < n || b < m) {
            double ta = a < n ? (a == n - 1 ? hi : lo + a * step) : Double.POSITIVE_INFINITY;
            double tb = b < m ? ext[b] : Double.POSITIVE_INFINITY;
            if (ta <= tb) {
                if (ta == tb) b++;
                cand[k] = ta;
                g[k++] = plus[a] - minus[a];
                a++;
            } else {
                cand[k] = tb;
                g[k++] = slope(w, tb, hw);
                b++;
            }
        }
        return new double[][] {java.util.Arrays.copyOf(cand, k), java.util.Arrays.copyOf(g, k)};
    }

    /** Adds scale * exp(-(x0 + k step)^2 / (2 h^2)) to out[k] for every k. */
    private void gaussianWalk(double scale, double x0, double step, double[] out) {
        int n = out.length;
        double h2 = 2.0 * bandwidth * bandwidth;
        long kcl = Math.round(-x0 / step);
        int kc = (int) Math.max(0, Math.min(n - 1, kcl));
        double d = x0 + kc * step;
        double v0 = scale * Math.exp(-d * d / h2);
        out[kc] += v0;
        double q = Math.exp(-2.0 * step * step / h2);
        double v = v0, r = Math.exp(-(2.0 * d * step + step * step) / h2);
        for (int k = kc + 1; k < n && v > 0; k++) {
            v *= r;
            r *= q;
            out[k] += v;
        }
        v = v0;
        r = Math.exp((2.0 * d * step - step * step) / h2);
        for (int k = kc - 1; k >= 0 && v > 0; k--) {
            v *= r;
            r *= q;
            out[k] += v;
        }
    }

    private double[] candidates(double hw) {
        double h = bandwidth;
        List<Double> c = new ArrayList<Double>();
        if (!periodic) {
            int n = (int) Math.min(Math.ceil((hi - lo) / (0.25 * h)), 8192) + 1;
            for (int i = 0; i < n; i++) c.add(n == 1 ? lo : lo + (hi - lo) * i / (n - 1));
        } else {
            int n = (int) Math.min(Math.max(Math.ceil(period / (0.25 * h)), 16), 8192);
            for (int i = 0; i < n; i++) c.add(windowStart + period * i / n);
        }
        for (double ctr : centers) {
            c.add(ctr);
            for (double k : kinks) {
                if (hw > 0) {
                    c.add(ctr + k * h - hw);
                    c.add(ctr + k * h + hw);
                } else {
                    c.add(ctr + k * h);
                }
            }
        }
        double[] out = new double[c.size()];
        int m = 0;
        for (double v : c) {
            if (periodic) out[m++] = toWindow(v);
            else if (v >= lo && v <= hi) out[m++] = v;
        }
        out = java.util.Arrays.copyOf(out, m);
        java.util.Arrays.sort(out);
        int u = 0;
        for (int i = 0; i < out.length; i++) if (u == 0 || out[i] != out[u - 1]) out[u++] = out[i];
        return java.util.Arrays.copyOf(out, u);
    }

    // ------------------------------------------------------------------ JSON
    /** A small JSON reader: objects, arrays, strings, numbers, true/false/null. */
    public static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        public static Object parse(String text) {
            Json p = new Json(text);
            Object v = p.value();
            p.ws();
            if (p.i != text.length()) throw p.error("trailing characters");
            return v;
        }

        private IllegalArgumentException error(String msg) {
            return new IllegalArgumentException("JSON: " + msg + " at " + i);
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private Object value() {
            ws();
            if (i >= s.length()) throw error("unexpected end");
            char ch = s.charAt(i);
            if (ch == '{') return object();
            if (ch == '[') return array();
            if (ch == '"') return string();
            if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
            if (s.startsWith("null", i)) { i += 4; return null; }
            if (s.startsWith("NaN", i)) { i += 3; return Double.NaN; }
            if (s.startsWith("Infinity", i)) { i += 8; return Double.POSITIVE_INFINITY; }
            if (s.startsWith("-Infinity", i)) { i += 9; return Double.NEGATIVE_INFINITY; }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            if (start == i) throw error("unexpected character '" + ch + "'");
            return Double.parseDouble(s.substring(start, i));
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<String, Object>();
            i++;
            ws();
            if (s.charAt(i) == '}') { i++; return m; }
            while (true) {
                ws();
                String k = string();
                ws();
                if (s.charAt(i++) != ':') throw error("expected ':'");
                m.put(k, value());
                ws();
                char ch = s.charAt(i++);
                if (ch == '}') return m;
                if (ch != ',') throw error("expected ',' or '}'");
            }
        }

        private List<Object> array() {
            List<Object> l = new ArrayList<Object>();
            i++;
            ws();
            if (s.charAt(i) == ']') { i++; return l; }
            while (true) {
                l.add(value());
                ws();
                char ch = s.charAt(i++);
                if (ch == ']') return l;
                if (ch != ',') throw error("expected ',' or ']'");
            }
        }

        private String string() {
            if (s.charAt(i) != '"') throw error("expected a string");
            i++;
            StringBuilder sb = new StringBuilder();
            while (true) {
                char ch = s.charAt(i++);
                if (ch == '"') return sb.toString();
                if (ch == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n': sb.append('\n'); break;
                        case 't': sb.append('\t'); break;
                        case 'r': sb.append('\r'); break;
                        case 'b': sb.append('\b'); break;
                        case 'f': sb.append('\f'); break;
                        case 'u': sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
                        default: sb.append(e);
                    }
                } else {
                    sb.append(ch);
                }
            }
        }
    }
}
