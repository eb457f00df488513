package skk;

/**
 * A neighbours model's bandwidth and sharpness, chosen online from the waves
 * of the battle by their prequential score.
 *
 * <p>A metric trained offline comes with the bandwidth and sharpness that
 * suited its training memory: tens of thousands of waves of other
 * opponents. A gun that starts a battle with an empty memory has a few
 * waves of one opponent, whose nearest neighbours are farther and fewer, so
 * the trained values are too narrow and too sharp early, and need not be
 * right for this opponent later. Each candidate {@code (g, f)} of a small
 * grid is the model with bandwidth {@code g h} and sharpness {@code f s}.
 * When a wave breaks, before it joins the memory, every candidate scores it
 * by the mean log density of its hit interval under the mixture the
 * memory gives ({@link NeighborsModel#meanLogDensity}): each score is the
 * candidate's log-likelihood of the battle so far, every wave predicted
 * from the waves before it only. Aims use the candidate of the highest
 * score so far, the trained one ({@code g = f = 1}, listed first) until
 * another scores higher. One neighbour search serves all candidates: they
 * share the neighbours and differ in the weights and kernels only.
 */
public final class OnlineTuning {
    /** Bandwidth factors of the grid (with 1 the trained bandwidth). */
    public static final double[] BANDWIDTH_FACTORS = {1.0, 2.0, 4.0};
    /** Sharpness factors of the grid (with 1 the trained sharpness). */
    public static final double[] SHARPNESS_FACTORS = {1.0, 0.5, 0.25};

    private final NeighborsModel model;
    private final NeighborsModel[] kernels;
    private final double[] bandwidthFactors, sharpnessFactors;
    private final double[] scores;
    private int best, scored;

    /** The default grid, {@link #BANDWIDTH_FACTORS} by {@link #SHARPNESS_FACTORS}. */
    public OnlineTuning(NeighborsModel model) {
        this(model, BANDWIDTH_FACTORS, SHARPNESS_FACTORS);
    }

    /**
     * Candidates {@code (g, f)} for every bandwidth factor {@code g} and
     * sharpness factor {@code f}, in that order (bandwidth factors outer);
     * the first is the one aimed with until another scores higher, so list
     * the trained values (1) first.
     */
    public OnlineTuning(NeighborsModel model, double[] bandwidthFactors, double[] sharpnessFactors) {
        if (bandwidthFactors.length == 0 || sharpnessFactors.length == 0) {
            throw new IllegalArgumentException("the grid needs a bandwidth factor and a sharpness factor");
        }
        this.model = model;
        this.bandwidthFactors = bandwidthFactors.clone();
        this.sharpnessFactors = sharpnessFactors.clone();
        kernels = new NeighborsModel[bandwidthFactors.length];
        for (int i = 0; i < kernels.length; i++) {
            kernels[i] = bandwidthFactors[i] == 1.0 ? model : model.withBandwidth(bandwidthFactors[i] * model.bandwidth);
        }
        for (double f : sharpnessFactors) {
            if (!(f >= 0) || Double.isInfinite(f)) {
                throw new IllegalArgumentException("sharpness factors must be finite and >= 0, not " + f);
            }
        }
        scores = new double[bandwidthFactors.length * sharpnessFactors.length];
    }

    /** The model, whose memory this adds to. */
    public NeighborsModel model() {
        return model;
    }

    /** Candidates in the grid. */
    public int size() {
        return scores.length;
    }

    /** The candidate aimed with now. */
    public int best() {
        return best;
    }

    public double bandwidthFactor(int candidate) {
        return bandwidthFactors[candidate / sharpnessFactors.length];
    }

    public double sharpnessFactor(int candidate) {
        return sharpnessFactors[candidate % sharpnessFactors.length];
    }

    /** A candidate's score: the sum of the mean log densities of the waves it predicted. */
    public double score(int candidate) {
        return scores[candidate];
    }

    /** Waves scored so far (those that broke while the memory held a row). */
    public int scored() {
        return scored;
    }

    /** The candidate's mixture for a row, from the model's neighbours of it. */
    private NeighborsModel.Mixture mixture(NeighborsModel.Mixture neighbours, int candidate) {
        double f = sharpnessFactor(candidate);
        return f == 1.0 ? neighbours : model.sharpened(neighbours, f);
    }

    /**
     * A wave broke: scores it with every candidate (when the memory holds a
     * row), then adds it to the memory. A score that is not finite (an
     * interval far beyond every atom of a candidate, whose log density
     * underflows to minus infinity) leaves that candidate behind for good,
     * as its likelihood is then zero.
     */
    public void observe(double[] x, double lower, double upper) {
        if (model.size() > 0) {
            NeighborsModel.Mixture neighbours = model.mixture(x);
            int nf = sharpnessFactors.length;
            double[][] logWeights = new double[nf][];
            for (int f = 0; f < nf; f++) logWeights[f] = mixture(neighbours, f).logWeights;
            double[] out = new double[nf];
            for (int g = 0; g < kernels.length; g++) {
                // The atoms' log densities once per bandwidth, for every sharpness.
                kernels[g].meanLogDensities(neighbours, logWeights, lower, upper, out);
                for (int f = 0; f < nf; f++) scores[g * nf + f] += out[f];
            }
            scored++;
            int top = 0;
            for (int c = 1; c < scores.length; c++) {
                if (scores[c] > scores[top]) top = c;
            }
            best = top;
        }
        model.add(x, lower, upper);
    }

    /** The best aim for a row with the current candidate ({@link NeighborsModel#bestAim}). */
    public double bestAim(double[] x, double halfWidth) {
        NeighborsModel.Mixture neighbours = model.mixture(x);
        return kernels[best / sharpnessFactors.length].bestAim(mixture(neighbours, best), halfWidth);
    }

    /** Starts a new battle: an empty memory, every score back to zero. */
    public void forget() {
        model.forget();
        java.util.Arrays.fill(scores, 0.0);
        best = 0;
        scored = 0;
    }
}
