package dev.aenstream.produce;

import dev.aenstream.produce.text.Document;
import java.util.List;

/**
 * Where a batch of rows comes from in text: per row its token id, its (start, end) character
 * offsets and the index of its document in {@code documents}. The publisher sends each record the
 * part of every document its rows fall in, with {@link #MARGIN_CHARS} around them, so that feature
 * pages can show each token in context.
 */
public record RowText(
        int[] tokenIds, int[] textOffsets, int[] rowDocuments, List<Document> documents) {
    /**
     * Characters kept on each side of a record's rows: more than a feature page shows around a
     * token, so a context is never cut by the record's edge.
     */
    public static final int MARGIN_CHARS = 200;

    public RowText {
        if (tokenIds == null || textOffsets == null || rowDocuments == null || documents == null)
            throw new IllegalArgumentException("token ids, offsets, documents are all required");
        if (textOffsets.length != 2 * tokenIds.length || rowDocuments.length != tokenIds.length)
            throw new IllegalArgumentException(
                    "need one token id, two offsets and one document per row: got "
                            + tokenIds.length
                            + ", "
                            + textOffsets.length
                            + " and "
                            + rowDocuments.length);
        for (int r = 0; r < rowDocuments.length; r++) {
            int doc = rowDocuments[r];
            if (doc < 0 || doc >= documents.size())
                throw new IllegalArgumentException(
                        "row " + r + " names document " + doc + " of " + documents.size());
            int start = textOffsets[2 * r];
            int end = textOffsets[2 * r + 1];
            if (start < 0 || end < start || end > documents.get(doc).text().length())
                throw new IllegalArgumentException(
                        "row "
                                + r
                                + " spans ["
                                + start
                                + ", "
                                + end
                                + ") outside its document of "
                                + documents.get(doc).text().length()
                                + " characters");
        }
    }

    /**
     * Made-up text for {@code rows} rows: one document, {@code documentId}, of one word per row
     * ("w0 w1 ..."), for benchmarks and tests that need contexts but have no language model.
     */
    public static RowText words(int rows, String documentId) {
        int[] ids = new int[rows];
        int[] offsets = new int[2 * rows];
        StringBuilder text = new StringBuilder();
        for (int r = 0; r < rows; r++) {
            if (r > 0) text.append(' ');
            offsets[2 * r] = text.length();
            text.append('w').append(r);
            offsets[2 * r + 1] = text.length();
            ids[r] = r;
        }
        return new RowText(
                ids,
                offsets,
                new int[rows],
                List.of(new dev.aenstream.produce.text.Document(documentId, text.toString())));
    }

    /** Rows described. */
    public int rows() {
        return tokenIds.length;
    }
}
