package skk;

import java.io.FileReader;
import java.io.IOException;

/**
 * The learned neighbours gun: a metric trained offline, a memory filled
 * online. Reads {@code model.json} (an export of a
 * {@code SoftmaxKDENeighborsRegressor}, format version 2, written with or
 * without a memory) from its data directory once, adds every wave of the
 * battle to the memory as it breaks (kept across rounds), and fires at the
 * guess factor maximising the predicted mass within the enemy's angular
 * half-width ({@link NeighborsModel#bestAim}), with the bandwidth and
 * sharpness that predicted this battle's waves best so far
 * ({@link OnlineTuning}); a file named {@code untuned} in its data directory
 * keeps the trained values. With an empty memory, or without a model, it
 * aims head-on. Same movement as the recorder.
 *
 * <p>Writes {@code aimtime-<round>.csv} to its data directory at the end of
 * each round: aims so far, their total and largest time in nanoseconds, the
 * memory's size, the load error if any, the bandwidth and sharpness factors
 * aimed with at the end of the round, and the broken waves so far with the
 * total time of scoring and adding them.
 */
public class LearnedGun extends WaveBot {
    private static NeighborsModel model;
    private static OnlineTuning tuning;
    private static int[] columns;
    private static String loadError;
    public static long aimNanos, aims, maxAimNanos, observeNanos, observed;

    protected void initRound() {
        if (model != null || loadError != null) {
            return;
        }
        try (FileReader r = new FileReader(getDataFile("model.json"))) {
            model = NeighborsModel.load(r);
            columns = featureColumns(model.featureNames, model.nFeatures);
            // A file named untuned in the data directory keeps the trained
            // bandwidth and sharpness (the gun before OnlineTuning), for
            // comparisons in the same run.
            boolean untuned = new java.io.File(getDataDirectory(), "untuned").exists();
            tuning = untuned
                    ? new OnlineTuning(model, new double[] {1.0}, new double[] {1.0})
                    : new OnlineTuning(model);
        } catch (IOException | RuntimeException e) {
            model = null;
            tuning = null;
            loadError = e.toString();
            out.println("LearnedGun: no model (" + loadError + "); aiming head-on");
        }
    }

    private double[] row(Wave w) {
        double[] x = new double[columns.length];
        for (int j = 0; j < x.length; j++) x[j] = w.features[columns[j]];
        return x;
    }

    protected void onWaveDone(Wave w) {
        if (model == null) {
            return;
        }
        double[] gf = gfInterval(w);
        long t0 = System.nanoTime();
        tuning.observe(row(w), gf[0], gf[1]);
        observeNanos += System.nanoTime() - t0;
        observed++;
    }

    protected double aimOffset(Wave w) {
        if (model == null || model.size() == 0) {
            return 0.0;
        }
        double halfGf = Math.atan(HALF / Math.max(eDistance, HALF)) / w.mea;
        long t0 = System.nanoTime();
        double gf = tuning.bestAim(row(w), halfGf);
        long dt = System.nanoTime() - t0;
        aimNanos += dt;
        maxAimNanos = Math.max(maxAimNanos, dt);
        aims++;
        return gf * w.mea * w.latDir;
    }

    protected void write() {
        super.write();
        try {
            java.io.PrintStream ps = new java.io.PrintStream(new robocode.RobocodeFileOutputStream(
                    getDataFile("aimtime-" + getRoundNum() + ".csv")));
            ps.println("aims,aim_nanos,max_aim_nanos,memory,load_error,bandwidth_factor,sharpness_factor,"
                    + "observed,observe_nanos");
            ps.println(aims + "," + aimNanos + "," + maxAimNanos + "," + (model == null ? 0 : model.size()) + ","
                    + (loadError == null ? "" : loadError.replace(',', ';')) + ","
                    + (tuning == null ? "," : tuning.bandwidthFactor(tuning.best()) + "," + tuning.sharpnessFactor(tuning.best()))
                    + "," + observed + "," + observeNanos);
            ps.close();
        } catch (IOException e) {
            out.println("could not write aim times: " + e);
        }
    }
}
