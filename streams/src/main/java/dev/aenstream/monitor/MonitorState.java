package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.SaeState;
import dev.aenstream.avro.Severity;
import dev.aenstream.sae.train.FeatureWindow;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the starvation monitor knows of one SAE: per feature the tokens since it last fired, a
 * decayed density, its state (healthy, rare, dead) and the state last alerted. Each statistics
 * record moves it forward and yields the alerts due: a feature's alert goes out when its state
 * differs from the alerted one and its hysteresis period has passed, so an edge case raises at most
 * one alert a period.
 */
final class MonitorState {
    static final byte HEALTHY = 0;
    static final byte RARE = 1;
    static final byte DEAD = 2;

    private long version;
    private final int d;
    private long tokens;
    private final long[] sinceFire;
    private final double[] recentFires;
    private double recentTokens;
    private final byte[] status;
    private final byte[] alerted;
    private final long[] lastAlertAt;
    private boolean deadFractionHigh;
    private double l0;

    /** The shard of the dictionary the statistics are of, as the latest record said. */
    private int shard;

    private int shards = 1;
    private int firstFeature;

    /** Whether enough tokens were seen to judge features (the monitor's minimum). */
    private boolean judged;

    MonitorState(int d) {
        this.d = d;
        this.sinceFire = new long[d];
        this.recentFires = new double[d];
        this.status = new byte[d];
        this.alerted = new byte[d];
        this.lastAlertAt = new long[d];
        java.util.Arrays.fill(lastAlertAt, Long.MIN_VALUE / 2);
    }

    int d() {
        return d;
    }

    byte status(int j) {
        return status[j];
    }

    /** Moves the state forward by one statistics record; returns the alerts it makes due. */
    List<Alert> update(String saeId, FeatureStats stats, MonitorConfig config, long nowMs) {
        long t = stats.getTokens();
        shard = stats.getShard();
        shards = stats.getShards();
        firstFeature = stats.getFirstFeature();
        long[] fires = FeatureAccumulator.fireCounts(stats);
        version = Math.max(version, stats.getVersion());
        tokens += t;
        l0 = t == 0 ? l0 : stats.getL0Sum() / t;
        double decay = Math.exp(-(double) t / config.get(MonitorConfig.DENSITY_HORIZON_TOKENS));
        recentTokens = recentTokens * decay + t;
        for (int j = 0; j < d; j++) {
            recentFires[j] = recentFires[j] * decay + fires[j];
            sinceFire[j] = fires[j] > 0 ? 0 : sinceFire[j] + t;
        }
        List<Alert> alerts = new ArrayList<>();
        judged = tokens >= config.get(MonitorConfig.MIN_TOKENS);
        if (!judged) return alerts;
        List<Integer> dead = new ArrayList<>();
        List<Integer> rare = new ArrayList<>();
        List<Integer> revived = new ArrayList<>();
        long deadTokens = config.get(MonitorConfig.DEAD_TOKENS);
        double rareDensity = config.get(MonitorConfig.RARE_DENSITY);
        double rearmDensity = rareDensity * config.get(MonitorConfig.REARM_FACTOR);
        long hysteresisTokens = config.get(MonitorConfig.HYSTERESIS_TOKENS);
        for (int j = 0; j < d; j++) {
            double density = recentFires[j] / recentTokens;
            byte next;
            if (sinceFire[j] >= deadTokens) next = DEAD;
            // Rare means firing, but rarely: a feature with no fire on record is judged by the dead
            // window alone.
            else if (recentFires[j] <= 0) next = HEALTHY;
            else if (status[j] == RARE) next = density > rearmDensity ? HEALTHY : RARE;
            else next = density < rareDensity ? RARE : HEALTHY;
            status[j] = next;
            if (next == alerted[j] || tokens - lastAlertAt[j] < hysteresisTokens) continue;
            // Alerts name global feature ids, whichever shard's statistics these are.
            if (next == DEAD) dead.add(firstFeature + j);
            else if (next == RARE) rare.add(firstFeature + j);
            else revived.add(firstFeature + j);
            alerted[j] = next;
            lastAlertAt[j] = tokens;
        }
        String window =
                (shards == 1 ? "" : " of shard " + shard + "/" + shards)
                        + " ("
                        + tokens
                        + " tokens seen, version "
                        + version
                        + ")";
        batched(
                alerts,
                saeId,
                AlertType.FEATURE_DEAD,
                Severity.WARNING,
                dead,
                config.get(MonitorConfig.DEAD_TOKENS),
                " features have not fired in "
                        + config.get(MonitorConfig.DEAD_TOKENS)
                        + " tokens"
                        + window,
                nowMs);
        batched(
                alerts,
                saeId,
                AlertType.FEATURE_RARE,
                Severity.INFO,
                rare,
                config.get(MonitorConfig.RARE_DENSITY),
                " features fire on fewer than "
                        + config.get(MonitorConfig.RARE_DENSITY)
                        + " of tokens"
                        + window,
                nowMs);
        batched(
                alerts,
                saeId,
                AlertType.FEATURE_REVIVED,
                Severity.INFO,
                revived,
                0,
                " features fire again" + window,
                nowMs);
        double deadPct = deadPct();
        ModelAlerts model = new ModelAlerts(config).restore(deadFractionHigh, false);
        model.checkDeadFraction(
                saeId, version, deadPct, window, AlertSink.into(alerts::add, nowMs));
        deadFractionHigh = model.deadFractionHigh();
        return alerts;
    }

    /**
     * One alert per {@link AlertPublisher#MAX_IDS_PER_RECORD} ids: 100,000 features dying at once
     * make a handful of records.
     */
    private void batched(
            List<Alert> out,
            String saeId,
            AlertType type,
            Severity severity,
            List<Integer> ids,
            double threshold,
            String what,
            long nowMs) {
        for (int from = 0; from < ids.size(); from += AlertPublisher.MAX_IDS_PER_RECORD) {
            List<Integer> part =
                    ids.subList(
                            from, Math.min(ids.size(), from + AlertPublisher.MAX_IDS_PER_RECORD));
            out.add(alert(saeId, type, severity, part, threshold, ids.size() + what, nowMs));
        }
    }

    private Alert alert(
            String saeId,
            AlertType type,
            Severity severity,
            List<Integer> ids,
            double threshold,
            String message,
            long nowMs) {
        return AlertSink.alert(type, severity, saeId, version)
                .setFeatureIds(ids)
                .setValue(ids.size())
                .setThreshold(threshold)
                .setMessage(message)
                .setTimestampMs(nowMs)
                .build();
    }

    double deadPct() {
        return 100.0 * count(DEAD) / d;
    }

    int deadFeatures() {
        return count(DEAD);
    }

    double rarePct() {
        return 100.0 * count(RARE) / d;
    }

    private int count(byte state) {
        int c = 0;
        for (byte s : status) if (s == state) c++;
        return c;
    }

    SaeState toRecord(String saeId, long nowMs) {
        long[] histogram = new long[FeatureWindow.DECADES + 1];
        for (int j = 0; j < d; j++)
            histogram[FeatureWindow.bin(recentTokens == 0 ? 0 : recentFires[j] / recentTokens)]++;
        List<Long> bins = new ArrayList<>();
        for (long h : histogram) bins.add(h);
        return SaeState.newBuilder()
                .setSaeId(saeId)
                .setVersion(version)
                .setD(d)
                .setTokens(tokens)
                .setDeadPct(deadPct())
                .setRarePct(rarePct())
                .setL0(l0)
                .setDensityHistogram(bins)
                .setUpdatedAtMs(nowMs)
                .setShard(shard)
                .setShards(shards)
                .setFirstFeature(firstFeature)
                .setFeatureStatus(judged ? java.nio.ByteBuffer.wrap(status.clone()) : null)
                .build();
    }

    byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(d * 30 + 64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(d);
            out.writeLong(version);
            out.writeLong(tokens);
            out.writeDouble(recentTokens);
            out.writeBoolean(deadFractionHigh);
            out.writeDouble(l0);
            for (int j = 0; j < d; j++) {
                out.writeLong(sinceFire[j]);
                out.writeDouble(recentFires[j]);
                out.writeByte(status[j]);
                out.writeByte(alerted[j]);
                out.writeLong(lastAlertAt[j]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static MonitorState fromBytes(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            MonitorState s = new MonitorState(in.readInt());
            s.version = in.readLong();
            s.tokens = in.readLong();
            s.recentTokens = in.readDouble();
            s.deadFractionHigh = in.readBoolean();
            s.l0 = in.readDouble();
            for (int j = 0; j < s.d; j++) {
                s.sinceFire[j] = in.readLong();
                s.recentFires[j] = in.readDouble();
                s.status[j] = in.readByte();
                s.alerted[j] = in.readByte();
                s.lastAlertAt[j] = in.readLong();
            }
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
