package dev.aenstream.encode;

import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.LittleEndian;
import dev.aenstream.monitor.RowOrigins;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SparseCodes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Converts {@link SparseCodes} to and from their {@link FeatureCodes} wire records: one record per
 * batch and SAE, or several parts of consecutive rows when one would pass the topic's record limit.
 */
public final class CodesRecords {
    /** Room kept in a record for its other fields and Kafka's record framing. */
    static final int RECORD_OVERHEAD_BYTES = 64 << 10;

    private CodesRecords() {}

    /** The codes as one record, whatever its size. */
    public static FeatureCodes toRecord(
            SparseCodes codes, String saeId, long version, String producerId, long sequence) {
        return part(
                codes,
                0,
                codes.rows(),
                0,
                1,
                saeId,
                version,
                producerId,
                sequence,
                DictionaryShard.WHOLE,
                RowOrigins.none());
    }

    /**
     * The codes as records of at most {@code maxRecordBytes} each: one when they fit, else parts of
     * consecutive rows ({@code firstRow}, {@code part}, {@code parts}); the codes of a shard of the
     * dictionary name it, and each part carries its rows' origins (token ids, offsets, documents).
     */
    public static List<FeatureCodes> toRecords(
            SparseCodes codes,
            String saeId,
            long version,
            String producerId,
            long sequence,
            DictionaryShard shard,
            RowOrigins origins,
            int maxRecordBytes) {
        long budget = (long) maxRecordBytes - RECORD_OVERHEAD_BYTES;
        if (budget <= 0)
            throw new IllegalArgumentException("record limit " + maxRecordBytes + " too small");
        List<int[]> ranges = new ArrayList<>();
        int start = 0;
        long size = Integer.BYTES;
        for (int r = 0; r < codes.rows(); r++) {
            long row = rowBytes(codes, r);
            if (row + Integer.BYTES > budget)
                throw new IllegalArgumentException("row " + r + " alone needs " + row + " bytes");
            if (size + row > budget && r > start) {
                ranges.add(new int[] {start, r});
                start = r;
                size = Integer.BYTES;
            }
            size += row;
        }
        ranges.add(new int[] {start, codes.rows()});
        List<FeatureCodes> out = new ArrayList<>(ranges.size());
        for (int p = 0; p < ranges.size(); p++) {
            int[] range = ranges.get(p);
            out.add(
                    part(
                            codes,
                            range[0],
                            range[1],
                            p,
                            ranges.size(),
                            saeId,
                            version,
                            producerId,
                            sequence,
                            shard,
                            origins));
        }
        return out;
    }

    /**
     * Wire bytes of row r: its offset and active count, at most four ints of origins (token id,
     * offsets, document), and 8 bytes per entry. Document ids fit in the overhead kept.
     */
    private static long rowBytes(SparseCodes codes, int r) {
        return 6L * Integer.BYTES + 8L * (codes.rowOffsets()[r + 1] - codes.rowOffsets()[r]);
    }

    private static FeatureCodes part(
            SparseCodes codes,
            int from,
            int to,
            int part,
            int parts,
            String saeId,
            long version,
            String producerId,
            long sequence,
            DictionaryShard shard,
            RowOrigins origins) {
        int[] offsets = new int[to - from + 1];
        int base = codes.rowOffsets()[from];
        for (int r = from; r <= to; r++) offsets[r - from] = codes.rowOffsets()[r] - base;
        int end = codes.rowOffsets()[to];
        FeatureCodes.Builder record =
                FeatureCodes.newBuilder()
                        .setSaeId(saeId)
                        .setVersion(version)
                        .setD(codes.d())
                        .setRows(to - from)
                        .setProducerId(producerId)
                        .setSequence(sequence)
                        .setRowOffsets(LittleEndian.ints(offsets))
                        .setIndices(
                                LittleEndian.ints(Arrays.copyOfRange(codes.indices(), base, end)))
                        .setValues(
                                LittleEndian.floats(Arrays.copyOfRange(codes.values(), base, end)))
                        .setActiveCounts(
                                LittleEndian.ints(
                                        Arrays.copyOfRange(codes.activeCounts(), from, to)))
                        .setFirstRow(from)
                        .setPart(part)
                        .setParts(parts)
                        .setShard(shard.index())
                        .setShards(shard.count());
        origins.copyTo(record, from, to);
        return record.build();
    }

    /** The parts of one batch's codes (any order) joined back into the batch's codes. */
    public static SparseCodes join(List<FeatureCodes> parts) {
        List<FeatureCodes> sorted = new ArrayList<>(parts);
        sorted.sort(java.util.Comparator.comparingInt(FeatureCodes::getFirstRow));
        if (sorted.size() != sorted.get(0).getParts())
            throw new IllegalArgumentException(
                    "have " + sorted.size() + " of " + sorted.get(0).getParts() + " parts");
        List<SparseCodes> codes = sorted.stream().map(CodesRecords::fromRecord).toList();
        int rows = codes.stream().mapToInt(SparseCodes::rows).sum();
        int entries = codes.stream().mapToInt(SparseCodes::entries).sum();
        int[] offsets = new int[rows + 1];
        int[] indices = new int[entries];
        float[] values = new float[entries];
        int[] active = new int[rows];
        int row = 0, entry = 0;
        for (SparseCodes c : codes) {
            for (int r = 0; r < c.rows(); r++) offsets[row + r] = entry + c.rowOffsets()[r];
            System.arraycopy(c.indices(), 0, indices, entry, c.entries());
            System.arraycopy(c.values(), 0, values, entry, c.entries());
            System.arraycopy(c.activeCounts(), 0, active, row, c.rows());
            row += c.rows();
            entry += c.entries();
        }
        offsets[rows] = entry;
        return new SparseCodes(rows, codes.get(0).d(), offsets, indices, values, active);
    }

    public static SparseCodes fromRecord(FeatureCodes record) {
        return new SparseCodes(
                record.getRows(),
                record.getD(),
                LittleEndian.ints(record.getRowOffsets()),
                LittleEndian.ints(record.getIndices()),
                LittleEndian.floats(record.getValues()),
                LittleEndian.ints(record.getActiveCounts()));
    }
}
