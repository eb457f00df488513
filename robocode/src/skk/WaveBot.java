package skk;

import java.awt.geom.Point2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import robocode.AdvancedRobot;
import robocode.Bullet;
import robocode.BulletHitEvent;
import robocode.DeathEvent;
import robocode.RobocodeFileOutputStream;
import robocode.RoundEndedEvent;
import robocode.ScannedRobotEvent;
import robocode.SkippedTurnEvent;
import robocode.WinEvent;
import robocode.util.Utils;

/**
 * Base robot: orbiting movement with wall smoothing, a locked radar, and a
 * wave launched every tick that records guess-factor gun features and the
 * precise-intersection interval of guess factors that would have hit.
 *
 * <p>Subclasses only choose the aim ({@link #aimOffset}) and bullet power.
 * Every robot built on this class writes, at the end of each round,
 * {@code waves-<round>.csv} (one row per completed wave) and
 * {@code stats-<round>.csv} (bullets fired and hit) to its data directory.
 */
public abstract class WaveBot extends AdvancedRobot {

    /** Feature columns, in the order they are written. */
    public static final String[] FEATURES = {
        "bullet_flight_time",
        "lateral_velocity",
        "advancing_velocity",
        "speed",
        "acceleration",
        "ticks_since_velocity_reversal",
        "ticks_since_deceleration",
        "wall_distance_ahead",
        "wall_distance_behind",
        "distance",
        "turn_rate",
    };

    static final double HALF = 18.0; // bots are 36 x 36 squares
    static final double[][] CORNERS = {{-HALF, -HALF}, {-HALF, HALF}, {HALF, -HALF}, {HALF, HALF}};

    /** One wave: fired from {@code source} at {@code fireTime}. */
    public static final class Wave {
        long fireTime;
        double sx, sy, bearing, speed, power, mea;
        int latDir;
        double[] features;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        Bullet bullet; // the real bullet it carries, or null
        double bulletGf = Double.NaN;
        boolean bulletHit;
        boolean done;

        /** A wave fired now from (sx, sy) at the enemy's bearing with this power. */
        Wave(long fireTime, double sx, double sy, double bearing, double power) {
            this.fireTime = fireTime;
            this.sx = sx;
            this.sy = sy;
            this.bearing = bearing;
            this.power = power;
            this.speed = 20.0 - 3.0 * power;
            this.mea = Math.asin(8.0 / speed);
        }
    }

    protected Random random = new Random();
    protected final List<Wave> waves = new ArrayList<Wave>();
    protected final StringBuilder rows = new StringBuilder();
    private final Map<Bullet, Wave> bulletWaves = new HashMap<Bullet, Wave>();
    private boolean written;

    // Enemy history.
    protected double ex, ey, eHeading, eVelocity, eDistance, eAbsBearing, eEnergy;
    protected long lastScan = -1;
    private double prevHeading = Double.NaN, prevSpeed = Double.NaN;
    private int lastVelSign = 1;
    private long lastReversal, lastDecel;
    private long lastScanTime = -1;
    protected double turnRate; // enemy heading change per tick, radians

    // Own movement.
    private int moveDir = 1;
    private long nextFlip = 20;
    protected Rectangle2D.Double field;

    protected int bulletsFired, bulletsHit, skippedTurns;
    private int wavesBad; // real bullets that hit outside their interval

    /** Aim as an offset (radians, clockwise) from the enemy's bearing. */
    protected abstract double aimOffset(Wave w);

    /** Power of the next bullet. */
    protected double nextPower() {
        return 2.0;
    }

    /** Called once per completed wave (for learning guns). */
    protected void onWaveDone(Wave w) {}

    public void run() {
        setAdjustGunForRobotTurn(true);
        setAdjustRadarForGunTurn(true);
        setAdjustRadarForRobotTurn(true);
        field = new Rectangle2D.Double(HALF, HALF,
                getBattleFieldWidth() - 2 * HALF, getBattleFieldHeight() - 2 * HALF);
        random = new Random(31L * getRoundNum() + System.nanoTime());
        initRound();
        while (true) {
            if (getRadarTurnRemainingRadians() == 0) {
                setTurnRadarRightRadians(Double.POSITIVE_INFINITY);
            }
            execute();
        }
    }

    /** Hook for subclasses (loading models etc.). */
    protected void initRound() {}

    private double pendingPower = Double.NaN;

    public void onScannedRobot(ScannedRobotEvent e) {
        long now = getTime();
        double myX = getX(), myY = getY();
        eAbsBearing = getHeadingRadians() + e.getBearingRadians();
        eDistance = e.getDistance();
        ex = myX + Math.sin(eAbsBearing) * eDistance;
        ey = myY + Math.cos(eAbsBearing) * eDistance;
        double heading = e.getHeadingRadians();
        double v = e.getVelocity();
        double speed = Math.abs(v);
        long gap = lastScanTime < 0 ? 1 : Math.max(1, now - lastScanTime);
        turnRate = Double.isNaN(prevHeading) ? 0.0
                : Utils.normalRelativeAngle(heading - prevHeading) / gap;
        double accel = Double.isNaN(prevSpeed) ? 0.0 : speed - prevSpeed;
        int velSign = v > 0 ? 1 : (v < 0 ? -1 : lastVelSign);
        if (velSign != lastVelSign) {
            lastReversal = now;
        }
        if (accel < 0) {
            lastDecel = now;
        }
        lastVelSign = velSign;
        prevHeading = heading;
        prevSpeed = speed;
        lastScanTime = now;
        eHeading = heading;
        eVelocity = v;
        eEnergy = e.getEnergy();
        lastScan = now;

        // Radar lock: overshoot the enemy a little.
        double radarTurn = Utils.normalRelativeAngle(eAbsBearing - getRadarHeadingRadians());
        setTurnRadarRightRadians(2.0 * radarTurn);

        updateWaves(now);

        // Fire when the gun was aimed last tick (setFire uses the current gun heading).
        Bullet bullet = null;
        double power = Double.isNaN(pendingPower) ? nextPower() : pendingPower;
        if (getGunHeat() == 0 && Math.abs(getGunTurnRemainingRadians()) < 1e-9
                && getEnergy() > power + 0.1 && now > 0) {
            bullet = setFireBullet(power);
        }
        if (bullet != null) {
            power = bullet.getPower();
        }

        // Launch this tick's wave.
        Wave w = new Wave(now, myX, myY, eAbsBearing, power);
        double lateral = v * Math.sin(heading - eAbsBearing);
        double advancing = -v * Math.cos(heading - eAbsBearing);
        w.latDir = lateral >= 0 ? 1 : -1;
        double tangent = eAbsBearing + w.latDir * Math.PI / 2;
        w.features = new double[] {
            eDistance / w.speed,
            lateral * w.latDir,
            advancing,
            speed,
            accel,
            now - lastReversal,
            now - lastDecel,
            rayToField(ex, ey, tangent),
            rayToField(ex, ey, tangent + Math.PI),
            eDistance,
            turnRate * w.latDir * velSign,
        };
        if (bullet != null) {
            w.bullet = bullet;
            w.bulletGf = Utils.normalRelativeAngle(bullet.getHeadingRadians() - w.bearing)
                    / w.mea * w.latDir;
            bulletWaves.put(bullet, w);
            bulletsFired++;
            pendingPower = Double.NaN;
        }
        waves.add(w);

        // Aim for the next tick's shot (the wave of next tick is close to this one).
        if (Double.isNaN(pendingPower)) {
            pendingPower = nextPower();
        }
        Wave next = new Wave(now, myX, myY, eAbsBearing, pendingPower);
        next.latDir = w.latDir;
        next.features = w.features.clone();
        next.features[0] = eDistance / next.speed;
        double aim = eAbsBearing + aimOffset(next);
        setTurnGunRightRadians(Utils.normalRelativeAngle(aim - getGunHeadingRadians()));

        move();
    }

    /** Distance from (x, y) along heading a to the edge of the bot-centre field. */
    protected double rayToField(double x, double y, double a) {
        double dx = Math.sin(a), dy = Math.cos(a);
        double t = Double.POSITIVE_INFINITY;
        if (dx > 1e-12) t = Math.min(t, (field.getMaxX() - x) / dx);
        if (dx < -1e-12) t = Math.min(t, (field.getMinX() - x) / dx);
        if (dy > 1e-12) t = Math.min(t, (field.getMaxY() - y) / dy);
        if (dy < -1e-12) t = Math.min(t, (field.getMinY() - y) / dy);
        return Math.max(t, 0.0);
    }

    /** Track every wave over the enemy's square at its position of this tick. */
    private void updateWaves(long now) {
        for (Iterator<Wave> it = waves.iterator(); it.hasNext();) {
            Wave w = it.next();
            // The bullet moves before the bots in each turn: during the next
            // turn it covers radii [(now - fire) v, (now - fire + 1) v] and is
            // tested against the enemy where it is now.
            double rIn = (now - w.fireTime) * w.speed;
            double rOut = rIn + w.speed;
            double rx = ex - w.sx, ry = ey - w.sy;
            double far = Math.hypot(Math.abs(rx) + HALF, Math.abs(ry) + HALF);
            if (rIn > far) {
                it.remove();
                finish(w);
                continue;
            }
            intersect(w, rx, ry, rIn, rOut);
        }
    }

    private void consider(Wave w, double px, double py) {
        double off = Utils.normalRelativeAngle(Math.atan2(px, py) - w.bearing);
        if (off < w.lo) w.lo = off;
        if (off > w.hi) w.hi = off;
    }

    /** Angular extent, seen from the wave source, of square ∩ annulus. */
    void intersect(Wave w, double rx, double ry, double rIn, double rOut) {
        double in2 = rIn * rIn, out2 = rOut * rOut;
        for (double[] c : CORNERS) {
            double qx = rx + c[0], qy = ry + c[1];
            double d2 = qx * qx + qy * qy;
            if (d2 >= in2 && d2 <= out2) consider(w, qx, qy);
        }
        for (double r : new double[] {rIn, rOut}) {
            for (int side = -1; side <= 1; side += 2) {
                double ex2 = rx + side * HALF; // vertical edge x = ex2
                double disc = r * r - ex2 * ex2;
                if (disc >= 0) {
                    double root = Math.sqrt(disc);
                    for (int s = -1; s <= 1; s += 2) {
                        double yy = s * root;
                        if (Math.abs(yy - ry) <= HALF) consider(w, ex2, yy);
                    }
                }
                double ey2 = ry + side * HALF; // horizontal edge y = ey2
                disc = r * r - ey2 * ey2;
                if (disc >= 0) {
                    double root = Math.sqrt(disc);
                    for (int s = -1; s <= 1; s += 2) {
                        double xx = s * root;
                        if (Math.abs(xx - rx) <= HALF) consider(w, xx, ey2);
                    }
                }
            }
        }
    }

    private void finish(Wave w) {
        w.done = true;
        if (w.lo > w.hi) {
            return; // never intersected (missed scans): drop
        }
        double a = w.lo / w.mea * w.latDir, b = w.hi / w.mea * w.latDir;
        double gfLo = Math.min(a, b), gfHi = Math.max(a, b);
        onWaveDone(w);
        StringBuilder sb = rows;
        sb.append(getRoundNum()).append(',').append(w.fireTime);
        for (double f : w.features) sb.append(',').append(f);
        sb.append(',').append(w.power).append(',').append(w.latDir).append(',').append(w.mea);
        sb.append(',').append(gfLo).append(',').append(gfHi);
        sb.append(',').append(w.bullet != null ? 1 : 0);
        sb.append(',').append(w.bullet != null ? Double.toString(w.bulletGf) : "");
        sb.append(',').append(w.bulletHit ? 1 : 0).append('\n');
    }

    /**
     * For each of a model's features, its column in {@link #FEATURES}: by
     * name when the model has names, else in order.
     */
    protected static int[] featureColumns(String[] names, int n) {
        int[] columns = new int[n];
        for (int j = 0; j < n; j++) {
            columns[j] = j;
            if (names != null) {
                columns[j] = -1;
                for (int k = 0; k < FEATURES.length; k++) {
                    if (FEATURES[k].equals(names[j])) columns[j] = k;
                }
                if (columns[j] < 0) {
                    throw new IllegalArgumentException("unknown feature " + names[j]);
                }
            }
        }
        return columns;
    }

    /** Guess factor interval of a completed wave, ordered. */
    protected static double[] gfInterval(Wave w) {
        double a = w.lo / w.mea * w.latDir, b = w.hi / w.mea * w.latDir;
        return new double[] {Math.min(a, b), Math.max(a, b)};
    }

    public void onSkippedTurn(SkippedTurnEvent e) {
        skippedTurns++;
    }

    public void onBulletHit(BulletHitEvent e) {
        bulletsHit++;
        Wave w = bulletWaves.get(e.getBullet());
        if (w == null) {
            for (Map.Entry<Bullet, Wave> en : bulletWaves.entrySet()) {
                if (en.getKey().equals(e.getBullet())) {
                    w = en.getValue();
                }
            }
        }
        if (w != null) {
            w.bulletHit = true;
        }
    }

    // ------------------------------------------------------------ movement
    private void move() {
        long now = getTime();
        if (now >= nextFlip) {
            moveDir = -moveDir;
            nextFlip = now + 10 + random.nextInt(50);
        }
        double myX = getX(), myY = getY();
        // Orbit, drifting towards a preferred distance.
        double want = 420.0;
        double approach = Math.max(-0.5, Math.min(0.5, (eDistance - want) / 500.0));
        double angle = eAbsBearing + moveDir * (Math.PI / 2 - approach);
        angle = smooth(myX, myY, angle, moveDir);
        double turn = Utils.normalRelativeAngle(angle - getHeadingRadians());
        double ahead = 100;
        if (Math.abs(turn) > Math.PI / 2) {
            turn = Utils.normalRelativeAngle(turn + Math.PI);
            ahead = -100;
        }
        setTurnRightRadians(turn);
        setAhead(ahead);
        setMaxVelocity(Math.abs(turn) > 1.0 ? 2.0 : 8.0);
    }

    /** Rotate the heading away from the walls until a point 150 px ahead is inside. */
    private double smooth(double x, double y, double angle, int dir) {
        Rectangle2D.Double safe = new Rectangle2D.Double(36, 36,
                getBattleFieldWidth() - 72, getBattleFieldHeight() - 72);
        for (int i = 0; i < 100; i++) {
            double px = x + Math.sin(angle) * 150, py = y + Math.cos(angle) * 150;
            if (safe.contains(px, py)) {
                break;
            }
            angle += dir * 0.05;
        }
        return angle;
    }

    // ------------------------------------------------------------ output
    /**
     * The engine ends a round in the turn of the kill and runs onRoundEnded
     * before the killing bullet's onBulletHit, which never comes; the
     * bullet itself already names its victim, so it is counted here.
     */
    private void countLastHits() {
        for (Map.Entry<Bullet, Wave> en : bulletWaves.entrySet()) {
            if (!en.getValue().bulletHit && en.getKey().getVictim() != null) {
                en.getValue().bulletHit = true;
                bulletsHit++;
            }
        }
    }

    public void onRoundEnded(RoundEndedEvent e) {
        write();
    }

    public void onDeath(DeathEvent e) {
        write();
    }

    public void onWin(WinEvent e) {
        // Keep tracking waves during the victory lap; written at round end.
    }

    protected void write() {
        if (written) {
            return;
        }
        written = true;
        countLastHits();
        int round = getRoundNum();
        try {
            PrintStream out = new PrintStream(
                    new RobocodeFileOutputStream(getDataFile("waves-" + round + ".csv")));
            out.print("round,fire_time");
            for (String f : FEATURES) out.print("," + f);
            out.println(",bullet_power,lateral_direction,max_escape_angle,gf_lower,gf_upper,"
                    + "real_bullet,bullet_gf,bullet_hit");
            out.print(rows);
            out.close();
            PrintStream st = new PrintStream(
                    new RobocodeFileOutputStream(getDataFile("stats-" + round + ".csv")));
            st.println("round,bullets_fired,bullets_hit,energy,alive,skipped_turns");
            st.println(round + "," + bulletsFired + "," + bulletsHit + "," + getEnergy()
                    + "," + (getEnergy() > 0 ? 1 : 0) + "," + skippedTurns);
            st.close();
        } catch (IOException ex) {
            out.println("could not write: " + ex);
        }
    }
}
