package skk;

import java.io.FileReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Command line around {@link NeighborsModel}, used by the Python tests:
 * {@code java skk.NeighborsModelCli MODEL.json ROWS.csv HALF_WIDTH [REPEATS [online]]}.
 *
 * <p>The memory is the document's; with {@code online} it is emptied and
 * its rows added back one by one, the first output row's aim computed after
 * every 37 of them, so that the search meets rows added since its index was
 * built, and rebuilds it, as a gun's memory does in a battle. Each line of ROWS.csv holds the features
 * of one row followed by one angle {@code t}. Prints, per row, the best aim
 * for {@code HALF_WIDTH} and {@code log p(t | x)}, with 17 significant
 * digits. With REPEATS, the aims (neighbour search included) are then
 * recomputed REPEATS times and the mean time per aim is printed on stderr as
 * {@code aim_seconds=... memory=...}.
 */
public final class NeighborsModelCli {
    /** The model document at this path. */
    static NeighborsModel readModel(String path) throws IOException {
        try (FileReader r = new FileReader(path)) {
            return NeighborsModel.load(r);
        }
    }

    public static void main(String[] args) throws IOException {
        NeighborsModel model = readModel(args[0]);
        List<double[]> rows = SkkModelCli.readRows(args[1]);
        double hw = Double.parseDouble(args[2]);
        if (args.length > 4 && "online".equals(args[4])) refill(model, rows.get(0), hw);
        StringBuilder sb = new StringBuilder();
        for (double[] v : rows) {
            double[] x = Arrays.copyOf(v, v.length - 1);
            NeighborsModel.Mixture mix = model.mixture(x);
            sb.append(String.format("%.17g,%.17g%n", model.bestAim(mix, hw), model.logDensity(mix, v[v.length - 1])));
        }
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        out.print(sb);
        out.flush();
        if (args.length > 3 && Integer.parseInt(args[3]) > 0) {
            int repeats = Integer.parseInt(args[3]);
            double sink = 0;
            for (int r = 0; r < 3; r++) { // warm-up for the JIT
                for (double[] v : rows) sink += model.bestAim(Arrays.copyOf(v, v.length - 1), hw);
            }
            long t0 = System.nanoTime();
            for (int r = 0; r < repeats; r++) {
                for (double[] v : rows) sink += model.bestAim(Arrays.copyOf(v, v.length - 1), hw);
            }
            double sec = (System.nanoTime() - t0) / 1e9 / ((double) repeats * rows.size());
            System.err.println("aim_seconds=" + sec + " memory=" + model.size() + " (checksum " + sink + ")");
        }
    }

    /** Empties the memory and adds its rows back one at a time, aiming between. */
    private static void refill(NeighborsModel model, double[] row, double hw) {
        int n = model.size();
        double[][] p = new double[n][];
        double[] c = new double[n], r = new double[n], w = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = model.memoryPoint(i);
            c[i] = model.memoryCenter(i);
            r[i] = model.memoryHalfWidth(i);
            w[i] = model.memoryWeight(i);
        }
        model.forget();
        double[] x = Arrays.copyOf(row, row.length - 1);
        for (int i = 0; i < n; i++) {
            model.addPoint(p[i], c[i], r[i], w[i]);
            if (i % 37 == 36) model.bestAim(x, hw);
        }
    }
}
