package skk;

/**
 * The data-recording robot: aims every real bullet at a guess factor drawn
 * uniformly from [-1, 1] with a power drawn uniformly from [1, 3], so that the
 * recorded waves and the bullet-hit check cover the whole escape range.
 */
public class WaveRecorder extends WaveBot {
    protected double aimOffset(Wave w) {
        return (2.0 * random.nextDouble() - 1.0) * w.mea * w.latDir;
    }

    protected double nextPower() {
        return 1.0 + 2.0 * random.nextDouble();
    }
}
