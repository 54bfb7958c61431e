package dev.aenstream.sae.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * A channel that stays open and has nothing to close: the end of a pipe whose bytes a writer passes
 * on (narrowed, cut, chunked) to something else.
 */
public abstract class ByteSink implements WritableByteChannel {
    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {}

    /**
     * A sink that hands on whole elements of a few bytes each, however the writes before it split
     * them: the odd bytes of one write wait for the rest in the next.
     */
    abstract static class Elements extends ByteSink {
        private final ByteBuffer carry;

        Elements(int bytes) {
            carry = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Takes one little-endian element at {@code in}'s position, reading all its bytes. */
        abstract void element(ByteBuffer in) throws IOException;

        @Override
        public int write(ByteBuffer given) throws IOException {
            int written = given.remaining();
            ByteBuffer src = given.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            given.position(given.limit());
            while (src.hasRemaining()) {
                if (carry.position() > 0 || src.remaining() < carry.capacity()) {
                    while (carry.hasRemaining() && src.hasRemaining()) carry.put(src.get());
                    if (carry.hasRemaining()) break;
                    element(carry.flip());
                    carry.clear();
                    continue;
                }
                element(src);
            }
            return written;
        }
    }
}
