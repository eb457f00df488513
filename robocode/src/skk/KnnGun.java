package skk;

import java.util.ArrayList;
import java.util.List;

/**
 * Baseline: a plain k-nearest-neighbour guess-factor gun that learns online
 * from the waves of the current battle (kept across rounds). Features are
 * divided by fixed scales; the aim is the best of 81 guess factors in
 * [-1, 1], scored by a sum over the 25 nearest waves of gaussian bumps
 * centred on the middles of their hit intervals, as wide as the intervals,
 * weighted by 1 / (1 + distance).
 */
public class KnnGun extends WaveBot {
    static final List<double[]> LOG_X = new ArrayList<double[]>();
    static final List<double[]> LOG_Y = new ArrayList<double[]>();
    static final double[] SCALE = {20, 4, 4, 4, 1, 40, 40, 300, 300, 400, 0.1};
    static final int K = 25;
    static final int BINS = 81;

    static double[] scaled(double[] f) {
        double[] s = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            s[i] = f[i] / SCALE[i];
        }
        s[5] = Math.min(s[5], 2.0);
        s[6] = Math.min(s[6], 2.0);
        return s;
    }

    private static boolean preloaded, frozen;

    /**
     * Before the first round, loads {@code knn.csv} from the data directory if
     * present: rows of the {@link WaveBot#FEATURES} followed by the guess
     * factor interval (the same training waves a model gets). A file named
     * {@code frozen} in the data directory turns off online learning.
     */
    protected void initRound() {
        if (preloaded) {
            return;
        }
        preloaded = true;
        // Not getDataFile("frozen").exists(): in Robocode 1.9 getDataFile
        // creates the file it names, so that was always true and the gun
        // never learned online.
        frozen = new java.io.File(getDataDirectory(), "frozen").exists();
        java.io.File f = getDataFile("knn.csv");
        if (!f.exists() || f.length() == 0) {
            return;
        }
        try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.FileReader(f))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] p = line.split(",");
                if (p.length != FEATURES.length + 2) continue;
                double[] x = new double[FEATURES.length];
                for (int j = 0; j < x.length; j++) x[j] = Double.parseDouble(p[j]);
                LOG_X.add(scaled(x));
                LOG_Y.add(new double[] {Double.parseDouble(p[x.length]), Double.parseDouble(p[x.length + 1])});
            }
        } catch (java.io.IOException | RuntimeException e) {
            out.println("KnnGun: could not read knn.csv: " + e);
        }
    }

    /** Also writes {@code knn-<round>.csv}: the memory's size, and whether it is frozen. */
    protected void write() {
        super.write();
        try {
            java.io.PrintStream ps = new java.io.PrintStream(new robocode.RobocodeFileOutputStream(
                    getDataFile("knn-" + getRoundNum() + ".csv")));
            ps.println("memory,frozen");
            ps.println(LOG_X.size() + "," + (frozen ? 1 : 0));
            ps.close();
        } catch (java.io.IOException e) {
            out.println("could not write the memory size: " + e);
        }
    }

    protected void onWaveDone(Wave w) {
        if (frozen) {
            return;
        }
        LOG_X.add(scaled(w.features));
        LOG_Y.add(gfInterval(w));
    }

    protected double aimOffset(Wave w) {
        int n = LOG_X.size();
        if (n == 0) {
            return 0.0;
        }
        double[] q = scaled(w.features);
        int k = Math.min(K, n);
        int[] best = new int[k];
        double[] bestD = new double[k];
        int m = 0;
        for (int i = 0; i < n; i++) {
            double[] x = LOG_X.get(i);
            double d = 0;
            for (int j = 0; j < q.length; j++) {
                double diff = x[j] - q[j];
                d += diff * diff;
            }
            if (m < k) {
                best[m] = i;
                bestD[m] = d;
                m++;
            } else {
                int worst = 0;
                for (int j = 1; j < k; j++) {
                    if (bestD[j] > bestD[worst]) worst = j;
                }
                if (d < bestD[worst]) {
                    best[worst] = i;
                    bestD[worst] = d;
                }
            }
        }
        double bestScore = -1, bestGf = 0;
        for (int b = 0; b < BINS; b++) {
            double gf = -1.0 + 2.0 * b / (BINS - 1);
            double score = 0;
            for (int j = 0; j < m; j++) {
                // A bump at the middle of each neighbour's hit interval, as
                // wide as the interval (ties between bins cannot occur).
                double[] y = LOG_Y.get(best[j]);
                double z = (gf - 0.5 * (y[0] + y[1])) / Math.max(0.5 * (y[1] - y[0]), 1e-3);
                score += Math.exp(-0.5 * z * z) / (1.0 + Math.sqrt(bestD[j]));
            }
            if (score > bestScore) {
                bestScore = score;
                bestGf = gf;
            }
        }
        return bestGf * w.mea * w.latDir;
    }
}
