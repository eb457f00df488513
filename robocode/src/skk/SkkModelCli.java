package skk;

import java.io.BufferedReader;
import java.io.FileReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Command line around {@link SkkModel}, used by the Python tests:
 * {@code java skk.SkkModelCli MODEL.json ROWS.csv HALF_WIDTH [REPEATS]}.
 *
 * <p>Each line of ROWS.csv holds the features of one row followed by one
 * angle {@code t}. Prints, per row, the best aim for {@code HALF_WIDTH},
 * {@code log p(t | x)} and the predicted mass of
 * {@code [t - HALF_WIDTH, t + HALF_WIDTH]}, with 17 significant digits (the
 * location and scale heads applied, when the model has them). With REPEATS, the aims
 * are then recomputed REPEATS times and the mean time per aim is printed on
 * stderr as {@code aim_seconds=...}.
 */
public final class SkkModelCli {
    /** The rows of a CSV file of numbers, blank lines skipped. */
    static List<double[]> readRows(String path) throws IOException {
        List<double[]> rows = new ArrayList<double[]>();
        try (BufferedReader in = new BufferedReader(new FileReader(path))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) continue;
                String[] parts = line.split(",");
                double[] v = new double[parts.length];
                for (int i = 0; i < v.length; i++) v[i] = Double.parseDouble(parts[i]);
                rows.add(v);
            }
        }
        return rows;
    }

    public static void main(String[] args) throws IOException {
        SkkModel model;
        try (FileReader r = new FileReader(args[0])) {
            model = SkkModel.load(r);
        }
        List<double[]> rows = readRows(args[1]);
        double hw = Double.parseDouble(args[2]);
        StringBuilder sb = new StringBuilder();
        for (double[] v : rows) {
            double[] x = java.util.Arrays.copyOf(v, v.length - 1);
            double aim = model.bestAim(x, hw);
            double t = v[v.length - 1];
            double ld = model.logDensityAt(x, t);
            double mass = model.hitProbability(x, t - hw, t + hw);
            sb.append(String.format("%.17g,%.17g,%.17g%n", aim, ld, mass));
        }
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        out.print(sb);
        out.flush();
        if (args.length > 3) {
            int repeats = Integer.parseInt(args[3]);
            double sink = 0;
            for (int r = 0; r < 3; r++) { // warm-up for the JIT
                for (double[] v : rows) sink += model.bestAim(java.util.Arrays.copyOf(v, v.length - 1), hw);
            }
            long t0 = System.nanoTime();
            for (int r = 0; r < repeats; r++) {
                for (double[] v : rows) sink += model.bestAim(java.util.Arrays.copyOf(v, v.length - 1), hw);
            }
            double sec = (System.nanoTime() - t0) / 1e9 / ((double) repeats * rows.size());
            System.err.println("aim_seconds=" + sec + " (checksum " + sink + ")");
        }
    }
}
