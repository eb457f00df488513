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
 * half-width ({@link NeighborsModel#bestAim}). With an empty memory, or
 * without a model, it aims head-on. Same movement as the recorder.
 *
 * <p>Writes {@code aimtime-<round>.csv} to its data directory at the end of
 * each round: aims so far, their total and largest time in nanoseconds, the
 * memory's size, and the load error if any.
 */
public class LearnedGun extends WaveBot {
    private static NeighborsModel model;
    private static int[] columns;
    private static String loadError;
    public static long aimNanos, aims, maxAimNanos;

    protected void initRound() {
        if (model != null || loadError != null) {
            return;
        }
        try (FileReader r = new FileReader(getDataFile("model.json"))) {
            model = NeighborsModel.load(r);
            columns = featureColumns(model.featureNames, model.nFeatures);
        } catch (IOException | RuntimeException e) {
            model = null;
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
        model.add(row(w), gf[0], gf[1]);
    }

    protected double aimOffset(Wave w) {
        if (model == null || model.size() == 0) {
            return 0.0;
        }
        double halfGf = Math.atan(HALF / Math.max(eDistance, HALF)) / w.mea;
        long t0 = System.nanoTime();
        double gf = model.bestAim(row(w), halfGf);
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
            ps.println("aims,aim_nanos,max_aim_nanos,memory,load_error");
            ps.println(aims + "," + aimNanos + "," + maxAimNanos + "," + (model == null ? 0 : model.size()) + ","
                    + (loadError == null ? "" : loadError.replace(',', ';')));
            ps.close();
        } catch (IOException e) {
            out.println("could not write aim times: " + e);
        }
    }
}
