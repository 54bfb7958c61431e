package dev.aenstream.monitor;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.LittleEndian;
import dev.aenstream.avro.TextSpan;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each row of an activation batch comes from, as far as its producer said: token id,
 * character offsets and document, each optional. Checked once against the batch's rows, so that a
 * malformed header is rejected with the record instead of failing later.
 */
public final class RowOrigins {
    /** Characters of a token itself shown at most: a context stays a context. */
    static final int MAX_TOKEN_CHARS = 64;

    private static final RowOrigins NONE = new RowOrigins(null, null, null, null);

    private final int[] tokenIds;
    private final int[] textOffsets;
    private final int[] rowDocuments;
    private final List<TextSpan> documents;

    private RowOrigins(
            int[] tokenIds, int[] textOffsets, int[] rowDocuments, List<TextSpan> documents) {
        this.tokenIds = tokenIds;
        this.textOffsets = textOffsets;
        this.rowDocuments = rowDocuments;
        this.documents = documents;
    }

    /**
     * The origins a batch carries.
     *
     * @throws IllegalArgumentException when a field does not fit the batch's rows, with the reason
     */
    public static RowOrigins of(ActivationBatch batch) {
        int rows = batch.getRows();
        int[] ids = ints(batch.getTokenIds(), rows, "tokenIds", 1);
        int[] offsets = ints(batch.getTextOffsets(), rows, "textOffsets", 2);
        int[] docs = ints(batch.getRowDocuments(), rows, "rowDocuments", 1);
        List<TextSpan> documents = batch.getDocuments();
        if ((docs == null) != (documents == null))
            throw new IllegalArgumentException("documents and rowDocuments come together");
        if (docs != null && offsets == null)
            throw new IllegalArgumentException("documents need textOffsets");
        if (docs != null) {
            for (int r = 0; r < rows; r++) {
                if (docs[r] < 0 || docs[r] >= documents.size())
                    throw new IllegalArgumentException(
                            "row " + r + " names document " + docs[r] + " of " + documents.size());
            }
        }
        if (offsets != null) {
            for (int r = 0; r < rows; r++) {
                if (offsets[2 * r] < 0 || offsets[2 * r + 1] < offsets[2 * r])
                    throw new IllegalArgumentException(
                            "row "
                                    + r
                                    + " has text offsets ["
                                    + offsets[2 * r]
                                    + ", "
                                    + offsets[2 * r + 1]
                                    + ")");
            }
        }
        if (ids == null && offsets == null && docs == null) return NONE;
        return new RowOrigins(ids, offsets, docs, documents);
    }

    private static int[] ints(ByteBuffer bytes, int rows, String field, int perRow) {
        if (bytes == null) return null;
        if (bytes.remaining() != rows * perRow * Integer.BYTES)
            throw new IllegalArgumentException(
                    field
                            + " has "
                            + bytes.remaining()
                            + " bytes, but "
                            + rows
                            + " rows need "
                            + rows * perRow * Integer.BYTES);
        return LittleEndian.ints(bytes);
    }

    /** Row r's token id, or null. */
    public Integer tokenId(int r) {
        return tokenIds == null ? null : tokenIds[r];
    }

    /** Row r's document id, or null. */
    public String documentId(int r) {
        return rowDocuments == null ? null : documents.get(rowDocuments[r]).getDocumentId();
    }

    /** Where row r's token starts in its document, or null. */
    public Integer textStart(int r) {
        return textOffsets == null ? null : textOffsets[2 * r];
    }

    /** Row r's token with up to {@code chars} characters each side, or null without text. */
    public Context context(int r, int chars) {
        if (rowDocuments == null) return null;
        TextSpan span = documents.get(rowDocuments[r]);
        String text = span.getText();
        int from = clamp(textOffsets[2 * r] - span.getStart(), text.length());
        int to = clamp(textOffsets[2 * r + 1] - span.getStart(), text.length());
        to = Math.min(to, from + MAX_TOKEN_CHARS);
        // A cut in a surrogate pair widens to keep the pair whole.
        int start = Math.max(0, from - chars);
        if (start > 0 && Character.isLowSurrogate(text.charAt(start))) start--;
        int end = Math.min(text.length(), to + chars);
        if (end < text.length() && Character.isLowSurrogate(text.charAt(end))) end++;
        return new Context(text.substring(start, end), from - start, to - start);
    }

    /** The token within its context: {@code text[highlightStart, highlightEnd)}. */
    public record Context(String text, int highlightStart, int highlightEnd) {}

    private static int clamp(int i, int length) {
        return Math.max(0, Math.min(length, i));
    }

    /** Copies the origins of rows [from, to) into a codes record. */
    public void copyTo(FeatureCodes.Builder codes, int from, int to) {
        if (tokenIds != null) codes.setTokenIds(LittleEndian.ints(tokenIds, from, to - from));
        if (textOffsets != null)
            codes.setTextOffsets(LittleEndian.ints(textOffsets, 2 * from, 2 * (to - from)));
        if (rowDocuments != null) {
            List<String> ids = new ArrayList<>(documents.size());
            for (TextSpan d : documents) ids.add(d.getDocumentId());
            codes.setDocumentIds(ids);
            codes.setRowDocuments(LittleEndian.ints(rowDocuments, from, to - from));
        }
    }

    /** Rows of a batch without origins. */
    public static RowOrigins none() {
        return NONE;
    }
}
