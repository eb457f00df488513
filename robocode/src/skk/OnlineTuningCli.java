package skk;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Command line around {@link OnlineTuning}, used by the Python tests:
 * {@code java skk.OnlineTuningCli MODEL.json ROWS.csv HALF_WIDTH}.
 *
 * <p>The document's memory is emptied, then each line of ROWS.csv (the
 * features of one row, then the lower and upper ends of its target
 * interval) is a wave that breaks: the line printed for it holds the best
 * aim for {@code HALF_WIDTH} before the wave joins the memory ({@code NaN}
 * while the memory is empty), the candidate aimed with, and every
 * candidate's score after the wave, with 17 significant digits.
 */
public final class OnlineTuningCli {
    public static void main(String[] args) throws IOException {
        NeighborsModel model = NeighborsModelCli.readModel(args[0]);
        OnlineTuning tuning = new OnlineTuning(model);
        List<double[]> rows = SkkModelCli.readRows(args[1]);
        double hw = Double.parseDouble(args[2]);
        tuning.forget();
        StringBuilder sb = new StringBuilder();
        for (double[] v : rows) {
            double[] x = Arrays.copyOf(v, v.length - 2);
            double aim = model.size() > 0 ? tuning.bestAim(x, hw) : Double.NaN;
            sb.append(String.format("%.17g,%d", aim, tuning.best()));
            tuning.observe(x, v[v.length - 2], v[v.length - 1]);
            for (int c = 0; c < tuning.size(); c++) sb.append(String.format(",%.17g", tuning.score(c)));
            sb.append(String.format("%n"));
        }
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        out.print(sb);
        out.flush();
    }
}
