package skk;

import java.io.FileReader;
import java.io.IOException;

/**
 * Aims with a model exported by {@code skkdece.export.export_model}: reads
 * {@code model.json} from its data directory, computes the features of the
 * wave it is about to fire (named as in {@link WaveBot#FEATURES}) and fires at
 * the guess factor maximising the predicted mass within the enemy's angular
 * half-width ({@link SkkModel#bestAim}). Same movement as the recorder.
 */
public class ModelGun extends WaveBot {
    private static SkkModel model;
    private static int[] columns;
    private static String loadError;
    public static long aimNanos, aims;

    protected void initRound() {
        if (model != null || loadError != null) {
            return;
        }
        try (FileReader r = new FileReader(getDataFile("model.json"))) {
            model = SkkModel.load(r);
            columns = featureColumns(model.featureNames, model.mean.length);
        } catch (IOException | RuntimeException e) {
            model = null;
            loadError = e.toString();
            out.println("ModelGun: no model (" + loadError + "); aiming head-on");
        }
    }

    protected double aimOffset(Wave w) {
        if (model == null) {
            return 0.0;
        }
        double[] x = new double[columns.length];
        for (int j = 0; j < x.length; j++) x[j] = w.features[columns[j]];
        double halfGf = Math.atan(HALF / Math.max(eDistance, HALF)) / w.mea;
        long t0 = System.nanoTime();
        double gf = model.bestAim(x, halfGf);
        aimNanos += System.nanoTime() - t0;
        aims++;
        return gf * w.mea * w.latDir;
    }

    protected void write() {
        super.write();
        try {
            java.io.PrintStream ps = new java.io.PrintStream(new robocode.RobocodeFileOutputStream(
                    getDataFile("aimtime-" + getRoundNum() + ".csv")));
            ps.println("aims,aim_nanos,load_error");
            ps.println(aims + "," + aimNanos + "," + (loadError == null ? "" : loadError.replace(',', ';')));
            ps.close();
        } catch (IOException e) {
            out.println("could not write aim times: " + e);
        }
    }
}
