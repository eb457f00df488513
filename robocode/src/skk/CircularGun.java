package skk;

import robocode.util.Utils;

/**
 * Baseline: linear-predictive circular aim. Assumes the enemy keeps its speed
 * and turn rate, iterates its position tick by tick until the bullet reaches
 * it (stopping at the walls), and fires at that point.
 */
public class CircularGun extends WaveBot {
    protected double aimOffset(Wave w) {
        double x = ex, y = ey, h = eHeading;
        double v = eVelocity;
        for (int t = 1; t < 200; t++) {
            h += turnRate;
            x += Math.sin(h) * v;
            y += Math.cos(h) * v;
            x = Math.max(field.getMinX(), Math.min(field.getMaxX(), x));
            y = Math.max(field.getMinY(), Math.min(field.getMaxY(), y));
            if (Math.hypot(x - getX(), y - getY()) <= t * w.speed) {
                break;
            }
        }
        double aim = Math.atan2(x - getX(), y - getY());
        return Utils.normalRelativeAngle(aim - eAbsBearing);
    }
}
