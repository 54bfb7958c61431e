package dev.aenstream.produce.transformer;

/**
 * One tokenised window of text as the model sees it: token ids, segment ids, character offsets into
 * the document, and which tokens are text (special tokens such as [CLS] or BOS are not).
 */
public record TokenSequence(long[] ids, long[] typeIds, int[] starts, int[] ends, boolean[] text) {
    public TokenSequence {
        int n = ids.length;
        if (n == 0) throw new IllegalArgumentException("a token sequence needs at least one token");
        if (typeIds.length != n || starts.length != n || ends.length != n || text.length != n) {
            throw new IllegalArgumentException("token arrays differ in length");
        }
    }

    public int length() {
        return ids.length;
    }

    /** Tokens that come from the text. */
    public int textTokens() {
        int count = 0;
        for (boolean t : text) if (t) count++;
        return count;
    }
}
