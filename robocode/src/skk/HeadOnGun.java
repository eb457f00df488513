package skk;

/** Baseline: fires straight at the enemy's current position. */
public class HeadOnGun extends WaveBot {
    protected double aimOffset(Wave w) {
        return 0.0;
    }
}
