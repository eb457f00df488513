package skk;

import java.io.IOException;
import java.io.Reader;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The neighbours model of {@code skkdece.robocode.export} (format version 2,
 * {@code "softmax_kde_neighbors"}), with an online memory; no dependency
 * beyond the JDK (the JSON reader is {@link SkkModel.Json}).
 *
 * <p>A row {@code x} (scaled by the document's {@code scaling}) is embedded
 * feature by feature, its outputs with a positive metric weight times that
 * weight make its point, and its density is the mixture over the
 * {@code n_neighbors} memory rows nearest in the Manhattan distance of
 * points: weights {@code softmax(-s d_j + log(m_j / max m))}, atoms the
 * kernel at each neighbour's center or smoothed over its box
 * {@code [c_j - r_j, c_j + r_j]}. The Python module docstring spells the
 * format out.
 *
 * <p>{@link #add} appends a row to the memory (weight 1 unless told), as a gun
 * does when a wave breaks; unlike Python's {@code partial_fit} it never merges
 * a row with an equal one. {@link #bestAim} maximises the mixture's mass of
 * {@code [t - w, t + w]}: the sign changes of {@code p(t + w) - p(t - w)} on a
 * grid of quarter bandwidths and atom kinks, each refined to the last bits,
 * compared by their mass; the grid is searched in blocks, in decreasing order
 * of a bound on the window mass within each, and a block whose bound is
 * below the best mass found is never evaluated (the result is the full
 * scan's).
 */
public final class NeighborsModel {

    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2.0 * Math.PI);
    private static final double LN2 = Math.log(2.0);
    private static final double SQRT_PI = Math.sqrt(Math.PI);

    public final String kernel;
    public final double bandwidth;
    public final boolean periodic;
    public final double period;
    public final double windowStart;
    /** Whether atoms are boxes ({@code neighbor_target = "interval"}). */
    public final boolean boxes;
    public final int nNeighbors;
    public final double sharpness;
    public final String[] featureNames;
    public final int nFeatures;
    private final double[] mean, scale, featureCenter, featureScale;
    private final double[][] knots;
    private final int nOutputs;
    private final int[] live;
    private final double[] liveWeight;
    /** Coordinates of a point: the live outputs (one zero when none). */
    public final int dim;
    private final Map<String, Object> doc;
    private final int kind; // 0 gaussian 1 exponential 2 tophat 3 epanechnikov 4 linear 5 cosine 6 vonmises
    private final int nImages;
    private final double logH, kappa, vonmisesLogNorm;
    private final double[] kinks;

    // The memory: points (row-major), atoms, weights.
    private double[] points = new double[0];
    private double[] centers = new double[0];
    private double[] halfWidths = new double[0];
    private double[] weights = new double[0];
    private int size;
    private double maxWeight, firstWeight;
    private boolean equalWeights = true;

    // ------------------------------------------------------------------ loading
    @SuppressWarnings("unchecked")
    public NeighborsModel(Map<String, Object> doc) {
        if (!"skkdece-model".equals(doc.get("format"))) {
            throw new IllegalArgumentException("not an skkdece model document");
        }
        int version = ((Number) doc.get("format_version")).intValue();
        if (version != 2 || !"softmax_kde_neighbors".equals(doc.get("model"))) {
            throw new IllegalArgumentException("NeighborsModel reads format_version 2 softmax_kde_neighbors, not "
                    + "format_version " + version + " " + doc.get("model") + " (SkkModel reads softmax_kde)");
        }
        this.doc = doc;
        Map<String, Object> m = (Map<String, Object>) doc.get("softmax_kde_neighbors");
        kernel = (String) m.get("kernel");
        bandwidth = num(m.get("bandwidth"));
        periodic = m.get("period") != null;
        period = periodic ? num(m.get("period")) : Double.NaN;
        windowStart = m.get("window") == null ? 0.0 : vector(m.get("window"))[0];
        boxes = "interval".equals(m.get("neighbor_target"));
        nNeighbors = ((Number) m.get("n_neighbors")).intValue();
        sharpness = num(m.get("sharpness"));
        featureCenter = vector(m.get("feature_center"));
        featureScale = vector(m.get("feature_scale"));
        List<?> kn = (List<?>) m.get("knots");
        knots = new double[kn.size()][];
        int outputs = 0;
        for (int f = 0; f < knots.length; f++) {
            knots[f] = vector(kn.get(f));
            outputs += knots[f].length + 1;
        }
        nOutputs = outputs;
        double[] metric = vector(m.get("metric_weights"));
        if (metric.length != nOutputs) throw new IllegalArgumentException("metric_weights do not fit the knots");
        int nl = 0;
        for (double v : metric) if (v > 0) nl++;
        live = new int[nl];
        liveWeight = new double[nl];
        for (int i = 0, j = 0; i < metric.length; i++) {
            if (metric[i] > 0) {
                live[j] = i;
                liveWeight[j++] = metric[i];
            }
        }
        dim = Math.max(nl, 1);
        nFeatures = ((Number) doc.get("n_features")).intValue();
        double[][] ms = SkkModel.scaling((Map<String, Object>) doc.get("scaling"), nFeatures);
        mean = ms[0];
        scale = ms[1];
        featureNames = SkkModel.names(doc.get("feature_names"));
        kind = SkkModel.kernelKind(kernel, periodic);
        logH = Math.log(bandwidth);
        double r = periodic ? bandwidth / period : 0.0;
        // Images of the line kernel on the circle, one more than the linear
        // model's: a box reaches half a period beyond its center.
        if (!periodic) nImages = 0;
        else if (kind == 0) nImages = (int) Math.ceil(9.0 * r + 0.5) + 1;
        else if (kind == 1) nImages = (int) Math.ceil(40.0 * r + 0.5) + 1;
        else nImages = (int) Math.ceil(r + 0.5) + 1;
        if (kind == 6) {
            double q = period / (2.0 * Math.PI * bandwidth);
            kappa = q * q;
            vonmisesLogNorm = Math.log(period) + SkkModel.logI0e(kappa);
        } else {
            kappa = Double.NaN;
            vonmisesLogNorm = Double.NaN;
        }
        kinks = SkkModel.kinkOffsets(kind);
        Map<String, Object> mem = (Map<String, Object>) m.get("memory");
        if (mem != null) {
            List<?> pts = (List<?>) mem.get("points");
            double[] c = vector(mem.get("centers"));
            double[] hw = boxes ? vector(mem.get("half_widths")) : new double[c.length];
            double[] w = vector(mem.get("weights"));
            for (int i = 0; i < c.length; i++) addPoint(vector(pts.get(i)), c[i], hw[i], w[i]);
            // Indexed now, while loading, rather than in the first aim's turn
            // (50 000 rows: tens of milliseconds before the JIT warms up).
            if (size > 0) rebuild();
        }
    }

    public static NeighborsModel load(Reader in) throws IOException {
        return new NeighborsModel(SkkModel.document(in));
    }

    /**
     * This model's metric, sharpness and kernel with bandwidth {@code h}, and
     * an empty memory: it evaluates this model's mixtures
     * ({@link #logDensity}, {@link #meanLogDensity}, {@link #bestAim}) with a
     * wider or narrower kernel.
     */
    @SuppressWarnings("unchecked")
    public NeighborsModel withBandwidth(double h) {
        if (!(h > 0) || Double.isInfinite(h)) throw new IllegalArgumentException("bandwidth must be positive, not " + h);
        Map<String, Object> top = new LinkedHashMap<String, Object>(doc);
        Map<String, Object> m = new LinkedHashMap<String, Object>((Map<String, Object>) doc.get("softmax_kde_neighbors"));
        m.put("bandwidth", h);
        m.remove("memory");
        top.put("softmax_kde_neighbors", m);
        return new NeighborsModel(top);
    }

    private static double num(Object o) {
        return ((Number) o).doubleValue();
    }

    private static double[] vector(Object o) {
        return SkkModel.vector(o);
    }

    // ------------------------------------------------------------------ memory
    /** Rows in the memory. */
    public int size() {
        return size;
    }

    /** Empties the memory (a new battle), keeping the metric. */
    public void forget() {
        size = 0;
        indexed = 0;
        equalWeights = true;
        maxWeight = 0;
    }

    /** The point of a feature row in the learned metric (length {@link #dim}). */
    public double[] point(double[] x) {
        double[] out = new double[dim];
        if (live.length == 0) return out;
        double[] e = new double[nOutputs];
        int col = 0;
        for (int f = 0; f < knots.length; f++) {
            double z = featureScale[f] > 0 ? ((x[f] - mean[f]) / scale[f] - featureCenter[f]) / featureScale[f] : 0.0;
            double[] kf = knots[f];
            if (kf.length == 0) {
                e[col++] = z;
                continue;
            }
            for (int q = 0; q <= kf.length; q++) {
                double lo = q == 0 ? Double.NEGATIVE_INFINITY : kf[q - 1];
                double hi = q == kf.length ? Double.POSITIVE_INFINITY : kf[q];
                e[col++] = Math.min(Math.max(z, lo), hi);
            }
        }
        for (int j = 0; j < live.length; j++) out[j] = e[live[j]] * liveWeight[j];
        return out;
    }

    /** The memory's row i: its point (a copy), center, half-width and weight. */
    public double[] memoryPoint(int i) {
        return Arrays.copyOfRange(points, i * dim, (i + 1) * dim);
    }

    public double memoryCenter(int i) {
        return centers[i];
    }

    public double memoryHalfWidth(int i) {
        return halfWidths[i];
    }

    public double memoryWeight(int i) {
        return weights[i];
    }

    /** Adds a row of features with target interval [lower, upper], weight 1. */
    public void add(double[] x, double lower, double upper) {
        double mid = 0.5 * (lower + upper);
        addPoint(point(x), mid, boxes ? 0.5 * (upper - lower) : 0.0, 1.0);
    }

    /** Adds a row by its point, atom and weight as a neighbour. */
    public void addPoint(double[] p, double center, double halfWidth, double weight) {
        if (p.length != dim) throw new IllegalArgumentException("a point has " + dim + " coordinates");
        if (!(weight > 0)) throw new IllegalArgumentException("weights must be positive");
        if (size == centers.length) {
            int cap = Math.max(16, 2 * size);
            points = Arrays.copyOf(points, cap * dim);
            centers = Arrays.copyOf(centers, cap);
            halfWidths = Arrays.copyOf(halfWidths, cap);
            weights = Arrays.copyOf(weights, cap);
        }
        System.arraycopy(p, 0, points, size * dim, dim);
        centers[size] = center;
        halfWidths[size] = halfWidth;
        weights[size] = weight;
        if (size == 0) {
            firstWeight = weight;
            equalWeights = true;
            maxWeight = weight;
        } else {
            equalWeights &= weight == firstWeight;
            maxWeight = Math.max(maxWeight, weight);
        }
        size++;
    }

    // ------------------------------------------------------------------ mixture
    /** The mixture of a row: its neighbours' log weights, centers and half-widths. */
    public static final class Mixture {
        /** Per neighbour: log weight, atom center and half-width, memory row, distance. */
        public final double[] logWeights, centers, halfWidths, distances;
        public final int[] rows;

        Mixture(double[] lw, double[] c, double[] r, int[] rows, double[] d) {
            logWeights = lw;
            centers = c;
            halfWidths = r;
            this.rows = rows;
            distances = d;
        }
    }

    // ------------------------------------------------------------------ search
    /*
     * A k-d tree over the first `indexed` rows of the memory, rebuilt when
     * the rows added since (scanned linearly) pass an eighth of them: each
     * node holds a range of `order` (rows sorted by the tree) and the
     * bounding box of their points; a query visits the nearer child first and
     * skips a node whose box is farther, in the Manhattan distance, than the
     * k-th nearest row found. Exact: the same rows as a full scan (ties
     * aside, which a scan's order breaks).
     */
    private static final int LEAF = 8;
    private int indexed;
    private int[] order = new int[0];
    private double[] treePoints = new double[0]; // points in `order`, row-major
    private int[] nodeStart = new int[0], nodeEnd = new int[0], nodeLeft = new int[0], nodeRight = new int[0];
    private double[] nodeBox = new double[0]; // per node: min then max, dim each
    private int nodes;

    private void rebuild() {
        int n = size;
        order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        int cap = Math.max(1, 2 * ((n + LEAF - 1) / LEAF) + 1);
        nodeStart = new int[cap];
        nodeEnd = new int[cap];
        nodeLeft = new int[cap];
        nodeRight = new int[cap];
        nodeBox = new double[cap * 2 * dim];
        nodes = 0;
        build(0, n);
        treePoints = new double[n * dim];
        for (int i = 0; i < n; i++) System.arraycopy(points, order[i] * dim, treePoints, i * dim, dim);
        indexed = n;
    }

    private int build(int lo, int hi) {
        int node = nodes++;
        if (node >= nodeStart.length) {
            int cap = 2 * nodeStart.length;
            nodeStart = Arrays.copyOf(nodeStart, cap);
            nodeEnd = Arrays.copyOf(nodeEnd, cap);
            nodeLeft = Arrays.copyOf(nodeLeft, cap);
            nodeRight = Arrays.copyOf(nodeRight, cap);
            nodeBox = Arrays.copyOf(nodeBox, cap * 2 * dim);
        }
        nodeStart[node] = lo;
        nodeEnd[node] = hi;
        int box = node * 2 * dim;
        int widest = 0;
        double spread = -1;
        for (int j = 0; j < dim; j++) {
            double mn = Double.POSITIVE_INFINITY, mx = Double.NEGATIVE_INFINITY;
            for (int i = lo; i < hi; i++) {
                double v = points[order[i] * dim + j];
                mn = Math.min(mn, v);
                mx = Math.max(mx, v);
            }
            nodeBox[box + j] = mn;
            nodeBox[box + dim + j] = mx;
            if (mx - mn > spread) {
                spread = mx - mn;
                widest = j;
            }
        }
        if (hi - lo <= LEAF || !(spread > 0)) {
            nodeLeft[node] = -1;
            nodeRight[node] = -1;
            return node;
        }
        int mid = (lo + hi) >>> 1;
        select(lo, hi - 1, mid, widest);
        int left = build(lo, mid);
        int right = build(mid, hi);
        nodeLeft[node] = left;
        nodeRight[node] = right;
        return node;
    }

    /** Reorders order[lo..hi] so that order[k] holds the k-th smallest coordinate j (Hoare's selection). */
    private void select(int lo, int hi, int k, int j) {
        while (hi > lo) {
            double pivot = points[order[(lo + hi) >>> 1] * dim + j];
            int a = lo, b = hi;
            while (a <= b) {
                while (points[order[a] * dim + j] < pivot) a++;
                while (points[order[b] * dim + j] > pivot) b--;
                if (a <= b) {
                    int t = order[a];
                    order[a++] = order[b];
                    order[b--] = t;
                }
            }
            if (k <= b) hi = b;
            else if (k >= a) lo = a;
            else return;
        }
    }

    /** The search's state: the k nearest so far in a max-heap. */
    private static final class Heap {
        final int[] rows;
        final double[] dist;
        final int k;
        int m;

        Heap(int k) {
            this.k = k;
            rows = new int[k];
            dist = new double[k];
        }

        double bound() {
            return m == k ? dist[0] : Double.POSITIVE_INFINITY;
        }

        void offer(int row, double d) {
            if (m < k) {
                rows[m] = row;
                dist[m] = d;
                siftUp(rows, dist, m++);
            } else if (d < dist[0]) {
                rows[0] = row;
                dist[0] = d;
                siftDown(rows, dist, k);
            }
        }
    }

    /** Offers the rows of a point array (row-major) to the heap; a sum stops once past the bound. */
    private void scan(double[] q, double[] pts, int from, int to, int[] rowOf, Heap heap) {
        for (int i = from; i < to; i++) {
            int off = i * dim;
            double bound = heap.bound();
            double d = 0;
            for (int j = 0; j < dim && d <= bound; j++) d += Math.abs(q[j] - pts[off + j]);
            heap.offer(rowOf == null ? i : rowOf[i], d);
        }
    }

    private void search(int node, double[] q, Heap heap) {
        if (nodeLeft[node] < 0) {
            scan(q, treePoints, nodeStart[node], nodeEnd[node], order, heap);
            return;
        }
        int a = nodeLeft[node], b = nodeRight[node];
        double da = boxDistance(a, q), db = boxDistance(b, q);
        if (db < da) {
            int t = a;
            a = b;
            b = t;
            double u = da;
            da = db;
            db = u;
        }
        if (da <= heap.bound()) search(a, q, heap);
        if (db <= heap.bound()) search(b, q, heap);
    }

    /** The Manhattan distance from q to a node's box (a lower bound of its rows' distances). */
    private double boxDistance(int node, double[] q) {
        int box = node * 2 * dim;
        double d = 0;
        for (int j = 0; j < dim; j++) {
            double lo = nodeBox[box + j], hi = nodeBox[box + dim + j];
            if (q[j] < lo) d += lo - q[j];
            else if (q[j] > hi) d += q[j] - hi;
        }
        return d;
    }

    /**
     * The row's mixture over its nearest memory rows, the
     * {@code min(n_neighbors, size)} smallest Manhattan distances: the k-d
     * tree over the indexed rows, then a scan of those added since (a
     * distance's sum stops once it passes the k-th smallest so far, which
     * leaves every completed distance's bits as a full sum would).
     */
    public Mixture mixture(double[] x) {
        if (size == 0) throw new IllegalStateException("the memory is empty");
        int tail = size - indexed;
        if (tail > 64 && tail > indexed / 8) rebuild();
        double[] q = point(x);
        int k = Math.min(nNeighbors, size);
        Heap found = new Heap(k);
        if (indexed > 0) search(0, q, found);
        scan(q, points, indexed, size, null, found);
        int[] heap = found.rows;
        double[] dist = found.dist;
        double[] c = new double[k], r = new double[k];
        for (int j = 0; j < k; j++) {
            c[j] = centers[heap[j]];
            r[j] = halfWidths[heap[j]];
        }
        return new Mixture(logWeights(heap, dist, sharpness), c, r, heap, dist);
    }

    /**
     * The same neighbours weighted at sharpness {@code factor} times the
     * model's: {@code softmax(-factor s d_j + log(m_j / max m))}.
     */
    public Mixture sharpened(Mixture mix, double factor) {
        if (!(factor >= 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("a sharpness factor must be finite and >= 0, not " + factor);
        }
        double[] lw = logWeights(mix.rows, mix.distances, factor * sharpness);
        return new Mixture(lw, mix.centers, mix.halfWidths, mix.rows, mix.distances);
    }

    /** Normalised log weights of memory rows at these distances. */
    private double[] logWeights(int[] rows, double[] dist, double s) {
        int k = rows.length;
        double[] z = new double[k];
        double mx = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            z[j] = -s * dist[j];
            if (!equalWeights) z[j] += Math.log(weights[rows[j]] / maxWeight);
            mx = Math.max(mx, z[j]);
        }
        double sum = 0;
        for (int j = 0; j < k; j++) sum += Math.exp(z[j] - mx);
        double lse = mx + Math.log(sum);
        for (int j = 0; j < k; j++) z[j] -= lse;
        return z;
    }

    private static void siftUp(int[] heap, double[] d, int i) {
        while (i > 0) {
            int p = (i - 1) / 2;
            if (d[p] >= d[i]) return;
            swap(heap, d, i, p);
            i = p;
        }
    }

    private static void siftDown(int[] heap, double[] d, int n) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, big = i;
            if (l < n && d[l] > d[big]) big = l;
            if (r < n && d[r] > d[big]) big = r;
            if (big == i) return;
            swap(heap, d, i, big);
            i = big;
        }
    }

    private static void swap(int[] heap, double[] d, int a, int b) {
        int t = heap[a];
        heap[a] = heap[b];
        heap[b] = t;
        double u = d[a];
        d[a] = d[b];
        d[b] = u;
    }

    // ------------------------------------------------------------------ kernels
    private double unitLog(double u) {
        return SkkModel.unitLog(kind, u);
    }

    /** log of the unit kernel's CDF at {@code x <= 0}, exact in the tails. */
    private double unitLogCdfLeft(double x) {
        switch (kind) {
            case 0: {
                double z = -x / Math.sqrt(2.0);
                if (z < 1.0) return Math.log(0.5 * SkkModel.erfc(z));
                return Math.log(0.5 * erfcx(z)) - z * z;
            }
            case 1: return x - LN2;
            default: {
                double v = Math.max(-1.0, Math.min(1.0, x));
                double f;
                switch (kind) {
                    case 2: f = 0.5 * (v + 1.0); break;
                    case 3: f = 0.5 + 0.75 * (v - v * v * v / 3.0); break;
                    case 4: f = 0.5 * (1 + v) * (1 + v); break;
                    case 5: f = 0.5 * (1.0 + Math.sin(0.5 * Math.PI * v)); break;
                    default: throw new IllegalStateException();
                }
                return Math.log(f);
            }
        }
    }

    /** erfc(z) exp(z^2) for z >= 1. */
    static double erfcx(double z) {
        if (z <= 9.0) return SkkModel.erfcxTable(z);
        double f = z;
        for (int n = 70; n >= 1; n--) f = z + (n * 0.5) / f;
        return 1.0 / (SQRT_PI * f);
    }

    private static double log1mExp(double x) {
        // log(1 - e^x), x <= 0
        return x > -LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
    }

    /** log of the unit kernel's mass on [a, b], a < b, on the line. */
    private double unitLogMass(double a, double b) {
        if (a > 0) {
            double t = a;
            a = -b;
            b = -t;
        }
        if (b <= 0) {
            double lb = unitLogCdfLeft(b);
            if (lb == Double.NEGATIVE_INFINITY) return lb;
            return lb + log1mExp(unitLogCdfLeft(a) - lb);
        }
        return Math.log1p(-(Math.exp(unitLogCdfLeft(a)) + Math.exp(unitLogCdfLeft(-b))));
    }

    private double wrap(double u) {
        return u - period * Math.floor(u / period + 0.5);
    }

    private double vonmisesLog(double u) {
        double s = Math.sin(Math.PI * u / period);
        return -2.0 * kappa * s * s - vonmisesLogNorm;
    }

    private static final double[] GL_X = SkkModel.GL_X;
    private static final double[] GL_W = SkkModel.GL_W;

    /** log of the von Mises kernel's mass on [a, b]: Gauss-Legendre on panels of h / 4. */
    private double vonmisesLogMass(double a, double b) {
        int panels = (int) Math.ceil((b - a) / (0.25 * bandwidth));
        double width = (b - a) / panels;
        double mx = Double.NEGATIVE_INFINITY;
        double[] v = new double[panels * GL_X.length];
        for (int p = 0, i = 0; p < panels; p++) {
            double mid = a + (p + 0.5) * width;
            for (int j = 0; j < GL_X.length; j++, i++) {
                v[i] = Math.log(GL_W[j]) + vonmisesLog(mid + 0.5 * width * GL_X[j]);
                mx = Math.max(mx, v[i]);
            }
        }
        double s = 0;
        for (double x : v) s += Math.exp(x - mx);
        return mx + Math.log(s) + Math.log(0.5 * width);
    }

    /** log of an atom's density at offset u from its center, half-width r. */
    public double logAtom(double u, double r) {
        if (!periodic) {
            if (r > 0) return unitLogMass((u - r) / bandwidth, (u + r) / bandwidth) - Math.log(2.0 * r);
            return unitLog(u / bandwidth) - logH;
        }
        u = wrap(u);
        if (kind == 6) return r > 0 ? vonmisesLogMass(u - r, u + r) - Math.log(2.0 * r) : vonmisesLog(u);
        double mx = Double.NEGATIVE_INFINITY;
        double[] t = new double[2 * nImages + 1];
        for (int k = -nImages; k <= nImages; k++) {
            double s = u + k * period;
            double v = r > 0 ? unitLogMass((s - r) / bandwidth, (s + r) / bandwidth) : unitLog(s / bandwidth) - logH;
            t[k + nImages] = v;
            mx = Math.max(mx, v);
        }
        if (mx == Double.NEGATIVE_INFINITY) return mx;
        double s = 0;
        for (double v : t) s += Math.exp(v - mx);
        return mx + Math.log(s) - (r > 0 ? Math.log(2.0 * r) : 0.0);
    }

    /** log p(t) of a mixture. */
    public double logDensity(Mixture mix, double t) {
        int k = mix.centers.length;
        double[] atoms = new double[k];
        for (int j = 0; j < k; j++) atoms[j] = logAtom(t - mix.centers[j], mix.halfWidths[j]);
        return logSumExp(mix.logWeights, atoms, new double[k]);
    }

    /** log sum_j exp(logWeights[j] + atoms[j]), with v as scratch. */
    private static double logSumExp(double[] logWeights, double[] atoms, double[] v) {
        double mx = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < atoms.length; j++) {
            v[j] = logWeights[j] + atoms[j];
            mx = Math.max(mx, v[j]);
        }
        if (mx == Double.NEGATIVE_INFINITY) return mx;
        double s = 0;
        for (int j = 0; j < atoms.length; j++) s += Math.exp(v[j] - mx);
        return mx + Math.log(s);
    }

    private static final double[] GL5_X = {
        -0.9061798459386640, -0.5384693101056831, 0.0, 0.5384693101056831, 0.9061798459386640};
    private static final double[] GL5_W = {
        0.2369268850561891, 0.4786286704993665, 0.5688888888888889, 0.4786286704993665, 0.2369268850561891};

    /**
     * The mean of {@code log p(t)} over {@code t} uniform on [lo, hi] (the
     * cross-entropy the model is fitted on, with its sign changed), by
     * five-point Gauss-Legendre over the whole interval; {@code log p(lo)}
     * when {@code hi == lo}. Each {@code log p} is exact in its tails; the
     * rule is exact for the smooth kernels' densities to a few digits over
     * intervals of a few bandwidths, Python's
     * {@code mean_log_density(lower, upper, n_quadrature=5)} on a smooth
     * kernel.
     */
    public double meanLogDensity(Mixture mix, double lo, double hi) {
        double[] out = new double[1];
        meanLogDensities(mix, new double[][] {mix.logWeights}, lo, hi, out);
        return out[0];
    }

    /**
     * {@link #meanLogDensity} of one mixture's atoms under several weightings
     * (the same neighbours at other sharpnesses, {@link #sharpened}):
     * {@code out[w]} for {@code logWeights[w]}. Each atom's log density at
     * each node is computed once, for all the weightings.
     */
    public void meanLogDensities(Mixture mix, double[][] logWeights, double lo, double hi, double[] out) {
        if (!(hi >= lo)) throw new IllegalArgumentException("need lo <= hi, not [" + lo + ", " + hi + "]");
        int k = mix.centers.length;
        double[] atoms = new double[k], v = new double[k];
        Arrays.fill(out, 0, logWeights.length, 0.0);
        boolean point = hi == lo;
        double mid = 0.5 * (lo + hi), half = 0.5 * (hi - lo);
        for (int i = 0; i < (point ? 1 : GL5_X.length); i++) {
            double t = point ? lo : mid + half * GL5_X[i];
            double weight = point ? 1.0 : 0.5 * GL5_W[i];
            for (int j = 0; j < k; j++) atoms[j] = logAtom(t - mix.centers[j], mix.halfWidths[j]);
            for (int w = 0; w < logWeights.length; w++) out[w] += weight * logSumExp(logWeights[w], atoms, v);
        }
    }

    /** log p(t | x). */
    public double logDensityAt(double[] x, double t) {
        return logDensity(mixture(x), t);
    }

    // ------------------------------------------------------------------ aim
    private double density(double[] w, Mixture mix, double t) {
        double s = 0;
        for (int j = 0; j < w.length; j++) {
            double u = t - mix.centers[j], r = mix.halfWidths[j];
            if (!(w[j] > 0) || far(u, r)) continue;
            if (kind == 0 && !periodic) {
                // Gaussian atoms on the line without logs: the same values to
                // rounding, at about half the cost (the aim's inner loop).
                double h = bandwidth;
                if (r > 0) {
                    double a = (u - r) / h, b = (u + r) / h;
                    s += w[j] * (a > 0 ? ndtr(-a) - ndtr(-b) : ndtr(b) - ndtr(a)) / (2.0 * r);
                } else {
                    s += w[j] * Math.exp(-0.5 * (u / h) * (u / h) - LOG_SQRT_2PI) / h;
                }
            } else {
                s += w[j] * Math.exp(logAtom(u, r));
            }
        }
        return s;
    }

    /**
     * Whether an atom's density at offset u is below e^-72 of its peak (or
     * zero): left out of the aim's sums, where it cannot move a maximum by a
     * representable amount, and costs most of the time (an erfc or a
     * quadrature per atom) when the atoms spread over many bandwidths.
     */
    private boolean far(double u, double r) {
        if (periodic) u = wrap(u);
        double d = Math.abs(u) - r;
        if (d <= 0) return false;
        if (kind == 6) {
            double s = Math.sin(Math.PI * d / period);
            return 2.0 * kappa * s * s > 72.0;
        }
        double reach = kind == 0 ? 12.0 : kind == 1 ? 72.0 : 1.0;
        double other = periodic ? period - Math.abs(u) - r : Double.POSITIVE_INFINITY;
        return d > reach * bandwidth && other > reach * bandwidth;
    }

    private double slope(double[] w, Mixture mix, double t, double hw) {
        return density(w, mix, t + hw) - density(w, mix, t - hw);
    }

    /** Phi(x) of the standard normal. */
    private static double ndtr(double x) {
        return 0.5 * SkkModel.erfc(-x / Math.sqrt(2.0));
    }

    /** x Phi(x) + phi(x): the antiderivative of Phi. */
    private static double ndtrIntegral(double x) {
        return x * ndtr(x) + Math.exp(-0.5 * x * x - LOG_SQRT_2PI);
    }

    /**
     * The mass of [t - hw, t + hw]. Gaussian kernels on the line in closed
     * form (a box atom's through the antiderivative of Phi); the others by
     * Gauss-Legendre between the atoms' kinks.
     */
    private double mass(double[] w, Mixture mix, double t, double hw, double[] breaks) {
        if (kind == 0 && !periodic) {
            double s = 0, h = bandwidth;
            for (int j = 0; j < w.length; j++) {
                if (!(w[j] > 0)) continue;
                double a = t - hw - mix.centers[j], b = t + hw - mix.centers[j], r = mix.halfWidths[j];
                if (r > 0) {
                    double hi = ndtrIntegral((b + r) / h) - ndtrIntegral((b - r) / h);
                    double lo = ndtrIntegral((a + r) / h) - ndtrIntegral((a - r) / h);
                    s += w[j] * h * (hi - lo) / (2.0 * r);
                } else {
                    s += w[j] * (ndtr(b / h) - ndtr(a / h));
                }
            }
            return s;
        }
        double a = t - hw, b = t + hw;
        double[] cut = new double[breaks.length + 2];
        int n = 0;
        cut[n++] = a;
        for (double x : breaks) {
            double y = x;
            if (periodic) y = a + (x - a) - period * Math.floor((x - a) / period);
            if (y > a && y < b) cut[n++] = y;
        }
        cut[n++] = b;
        Arrays.sort(cut, 0, n);
        double s = 0;
        for (int i = 0; i + 1 < n; i++) {
            double lo = cut[i], hi = cut[i + 1];
            if (!(hi > lo)) continue;
            int panels = (int) Math.ceil((hi - lo) / (0.25 * bandwidth));
            double width = (hi - lo) / panels;
            for (int p = 0; p < panels; p++) {
                double mid = lo + (p + 0.5) * width;
                for (int j = 0; j < GL_X.length; j++) {
                    s += 0.5 * width * GL_W[j] * density(w, mix, mid + 0.5 * width * GL_X[j]);
                }
            }
        }
        return s;
    }

    private double toWindow(double t) {
        if (!periodic) return t;
        double r = windowStart + (t - windowStart) - period * Math.floor((t - windowStart) / period);
        return r >= windowStart + period ? windowStart : r;
    }

    /** The angle maximising the predicted mass of [t - hw, t + hw] for row x (hw > 0). */
    public double bestAim(double[] x, double hw) {
        return bestAim(mixture(x), hw);
    }

    /** As {@link #bestAim(double[], double)}, for a mixture. */
    public double bestAim(Mixture mix, double hw) {
        if (!(hw > 0)) throw new IllegalArgumentException("half width must be > 0");
        int k = mix.centers.length;
        double[] w = new double[k];
        double lwMax = Double.NEGATIVE_INFINITY;
        for (double v : mix.logWeights) lwMax = Math.max(lwMax, v);
        for (int j = 0; j < k; j++) w[j] = mix.logWeights[j] < lwMax - 41.5 ? 0.0 : Math.exp(mix.logWeights[j]);
        // Kinks of the atoms (box ends, kernel kinks), and of the window mass.
        double[] breaks = new double[k * (2 + 2 * kinks.length)];
        int nb = 0;
        boolean smooth = kind == 0 || kind == 6; // and so are their boxes
        boolean compact = kind >= 2 && kind <= 5;
        for (int j = 0; j < k; j++) {
            double c = mix.centers[j], r = mix.halfWidths[j];
            if (r > 0) {
                if (!smooth) {
                    breaks[nb++] = c - r;
                    breaks[nb++] = c + r;
                }
                for (double kk : kinks) {
                    breaks[nb++] = c - r + kk * bandwidth;
                    breaks[nb++] = c + r + kk * bandwidth;
                }
            } else {
                for (double kk : kinks) breaks[nb++] = c + kk * bandwidth;
            }
        }
        breaks = Arrays.copyOf(breaks, nb);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double c : mix.centers) {
            lo = Math.min(lo, c);
            hi = Math.max(hi, c);
        }
        double h = bandwidth;
        int ng = periodic ? (int) Math.min(Math.max(Math.ceil(period / (0.25 * h)), 16), 8192)
                : (int) Math.min(Math.ceil((hi - lo) / (0.25 * h)), 8192) + 1;
        double[] cand = new double[ng + k + 2 * nb];
        int n = 0;
        for (int i = 0; i < ng; i++) {
            cand[n++] = periodic ? windowStart + period * i / ng : (ng == 1 ? lo : lo + (hi - lo) * i / (ng - 1));
        }
        for (double c : mix.centers) cand[n++] = c;
        for (int i = 0; i < nb; i++) {
            cand[n++] = breaks[i] - hw;
            cand[n++] = breaks[i] + hw;
        }
        int m = 0;
        for (int i = 0; i < n; i++) {
            double v = cand[i];
            if (periodic) cand[m++] = toWindow(v);
            else if (v >= lo && v <= hi) cand[m++] = v;
        }
        Arrays.sort(cand, 0, m);
        int u = 0;
        for (int i = 0; i < m; i++) if (u == 0 || cand[i] != cand[u - 1]) cand[u++] = cand[i];
        // Compact kernels, the middle of every gap: their slope is constant
        // between kinks, and a kink itself takes one side's value, so a short
        // stretch of falling mass between two kinks has only its middle to
        // show it.
        n = u;
        if (compact) {
            double[] all = new double[2 * u];
            n = 0;
            for (int i = 0; i < u; i++) {
                all[n++] = cand[i];
                double next = i + 1 < u ? cand[i + 1] : (periodic ? cand[0] + period : Double.NaN);
                if (next == next) all[n++] = periodic ? toWindow(0.5 * (cand[i] + next)) : 0.5 * (cand[i] + next);
            }
            Arrays.sort(all, 0, n);
            cand = all;
        }
        return toWindow(searchBlocks(w, mix, hw, breaks, cand, n, lo, hi));
    }

    /** Consecutive candidate pairs a block of the search holds. */
    private static final int BLOCK = 8;

    /**
     * The best sign change of the slope among the candidates, exactly as a
     * scan over every pair of neighbours would find it, but block by block
     * in decreasing order of a bound on the window mass within the block,
     * stopping at the first block whose bound is below the best mass found:
     * no aim in it can win. The scan's order still breaks ties (the first
     * pair, then the line's first and last candidates).
     */
    private double searchBlocks(double[] w, Mixture mix, double hw, double[] breaks, double[] cand, int n,
                                double lo, double hi) {
        int pairs = periodic ? n : n - 1;
        int nBlocks = Math.max(1, (pairs + BLOCK - 1) / BLOCK);
        double[] g = new double[n];
        Arrays.fill(g, Double.NaN);
        double[] bound = new double[nBlocks];
        Integer[] order = new Integer[nBlocks];
        double slack = boundSlack(w, mix, hw, lo, hi);
        for (int q = 0; q < nBlocks; q++) {
            int e = Math.min((q + 1) * BLOCK, pairs);
            double a = cand[q * BLOCK], b = e < n ? cand[e] : cand[0] + period;
            bound[q] = windowBound(w, mix, 0.5 * (a + b), hw + 0.5 * (b - a));
            order[q] = q;
        }
        Arrays.sort(order, (p, q) -> Double.compare(bound[q], bound[p]));
        double bestT = cand[0], bestM = Double.NEGATIVE_INFINITY;
        int bestKey = Integer.MAX_VALUE;
        for (int q : order) {
            if (bound[q] + slack < bestM) break;
            int e = Math.min((q + 1) * BLOCK, pairs);
            for (int i = q * BLOCK; i < e; i++) {
                int j = i + 1 < n ? i + 1 : 0;
                double gi = slopeAt(g, i, w, mix, cand, hw), gj = slopeAt(g, j, w, mix, cand, hw);
                if (!(gi > 0 && gj <= 0)) continue;
                double b = j > i ? cand[j] : cand[0] + period;
                double t = refine(w, mix, cand[i], b, hw);
                double ms = mass(w, mix, t, hw, breaks);
                if (ms > bestM || (ms == bestM && i < bestKey)) {
                    bestM = ms;
                    bestT = t;
                    bestKey = i;
                }
            }
            if (periodic) continue;
            if (q == 0 && slopeAt(g, 0, w, mix, cand, hw) <= 0) {
                double ms = mass(w, mix, cand[0], hw, breaks);
                if (ms > bestM || (ms == bestM && pairs < bestKey)) {
                    bestM = ms;
                    bestT = cand[0];
                    bestKey = pairs;
                }
            }
            if (q == nBlocks - 1 && slopeAt(g, n - 1, w, mix, cand, hw) > 0) {
                double ms = mass(w, mix, cand[n - 1], hw, breaks);
                if (ms > bestM || (ms == bestM && pairs + 1 < bestKey)) {
                    bestM = ms;
                    bestT = cand[n - 1];
                    bestKey = pairs + 1;
                }
            }
        }
        if (bestM == Double.NEGATIVE_INFINITY) { // no block was left out
            for (int i = 0; i < n; i++) {
                double ms = mass(w, mix, cand[i], hw, breaks);
                if (ms > bestM) { bestM = ms; bestT = cand[i]; }
            }
        }
        return bestT;
    }

    private double slopeAt(double[] g, int i, double[] w, Mixture mix, double[] cand, double hw) {
        if (g[i] != g[i]) g[i] = slope(w, mix, cand[i], hw);
        return g[i];
    }

    /**
     * An upper bound of {@link #mass} over [m - l, m + l], and so of the
     * mass of every window within it. Gaussian atoms on the line: the mass
     * itself, in closed form, an atom beyond the reach of {@link #far} counted
     * as 1e-30 (its true mass there is below 1e-32). Other kernels: the
     * weight of every atom that reaches the interval (an atom's mass is at
     * most 1; the quadrature's excess over it is far below the 1e-6 added),
     * nothing when the interval wraps the whole circle.
     */
    private double windowBound(double[] w, Mixture mix, double m, double l) {
        if (periodic && 2.0 * l >= period) return Double.POSITIVE_INFINITY;
        boolean closed = kind == 0 && !periodic;
        double s = 0, h = bandwidth;
        for (int j = 0; j < w.length; j++) {
            if (!(w[j] > 0)) continue;
            double c = mix.centers[j], r = mix.halfWidths[j];
            if (far(m - c, r + l)) {
                s += closed ? 1e-30 * w[j] : 0.0;
            } else if (!closed) {
                s += w[j] * (1.0 + 1e-6);
            } else if (r > 0) {
                double a = m - l - c, b = m + l - c;
                double up = ndtrIntegral((b + r) / h) - ndtrIntegral((b - r) / h);
                double down = ndtrIntegral((a + r) / h) - ndtrIntegral((a - r) / h);
                s += w[j] * h * (up - down) / (2.0 * r);
            } else {
                s += w[j] * (ndtr((m + l - c) / h) - ndtr((m - l - c) / h));
            }
        }
        return s;
    }

    /**
     * What rounding can add to a bound of {@link #windowBound} or take from a
     * mass of {@link #mass}, together: the closed form of a Gaussian box
     * atom differences values of x Phi(x) + phi(x) as large as its largest
     * argument A, each good to a few ulps of A, then divides by 2r / h; the
     * other sums are good to a few ulps of their total weight.
     */
    private double boundSlack(double[] w, Mixture mix, double hw, double lo, double hi) {
        double eps = Math.ulp(1.0), s = 0, total = 0;
        for (int j = 0; j < w.length; j++) {
            if (!(w[j] > 0)) continue;
            double r = mix.halfWidths[j];
            total += w[j];
            if (kind == 0 && !periodic && r > 0) {
                double arg = (2.0 * (hi - lo) + 2.0 * hw + 2.0 * r) / bandwidth + 1.0;
                s += w[j] * 64.0 * eps * arg * bandwidth / (2.0 * r);
            }
        }
        return s + 1e-9 * total;
    }

    /** The sign change of the slope in [a, b], g(a) > 0 >= g(b), to adjacent doubles. */
    private double refine(double[] w, Mixture mix, double a, double b, double hw) {
        return SkkModel.signChange(t -> slope(w, mix, t, hw), a, b);
    }
}
