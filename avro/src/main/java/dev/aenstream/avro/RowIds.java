package dev.aenstream.avro;

import java.nio.charset.StandardCharsets;

/**
 * A row's identity on the wire: its producer, its batch's sequence number and its index in the
 * batch. {@link #hash} turns it into 64 well-mixed bits, so that a sum of hashes (an order-free
 * checksum) tells two sets of rows apart: what a producer sent against what a trainer read.
 */
public final class RowIds {
    private RowIds() {}

    /** 64 bits identifying row {@code row} of batch {@code sequence} of {@code producerId}. */
    public static long hash(String producerId, long sequence, int row) {
        long h = 0xcbf29ce484222325L;
        for (byte b : producerId.getBytes(StandardCharsets.UTF_8)) h = (h ^ b) * 0x100000001b3L;
        return mix(mix(h ^ sequence) ^ row);
    }

    /** SplitMix64's finaliser: every input bit moves every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
