package dev.aenstream.produce.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The bundled English Europarl text is the English of Lucene's sample, line for line. The test
 * writes what it should be to target/europarl-en.txt.gz; when the filter changes, copy that file
 * over {@code src/main/resources/dev/aenstream/produce/text/europarl-en.txt.gz}.
 */
class EuroparlEnglishTest {
    @Test
    void theBundledTextIsTheEnglishOfLucenesSample() throws Exception {
        List<String> expected = EuroparlEnglish.englishLines(EuroparlEnglish.LUCENE_SAMPLE);
        Path rebuilt = Path.of("target", "europarl-en.txt.gz");
        try (Writer out =
                new OutputStreamWriter(
                        new GZIPOutputStream(Files.newOutputStream(rebuilt)),
                        StandardCharsets.UTF_8)) {
            for (String line : expected) out.write(line + "\n");
        }
        assertThat(EuroparlEnglish.lines(EuroparlEnglish.RESOURCE))
                .as("the bundled text; the rebuilt one is %s", rebuilt.toAbsolutePath())
                .isEqualTo(expected);
        List<Document> documents = EuroparlEnglish.documents();
        assertThat(documents).hasSize(expected.size()).hasSizeGreaterThan(1_000);
        assertThat(documents.get(0).name()).isEqualTo("europarl:" + expected.get(0).split("\t")[0]);
    }
}
