package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.FeatureContext;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.LittleEndian;
import dev.aenstream.avro.Topics;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.RowText;
import dev.aenstream.produce.text.Document;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.testkit.KafkaTestCluster;
import dev.aenstream.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Top contexts through a real broker: the same rows, with text, encoded by one encoder instance and
 * by two instances of another application sharing two partitions, give the same top-k contexts per
 * feature, and both equal the top k computed from the codes by a full sort. Each context's text
 * holds its token where it says.
 */
class FeatureContextsIT {
    private static final int N = 32;
    private static final int D = 300;
    private static final int K = 5;
    private static final int RECORDS = 16;
    private static final int ROWS = 48;
    private static final String[] WORDS = {
        "the", "quiet", "river", "runs", "past", "old", "mills", "and", "green", "fields", "où",
        "naïve", "😀"
    };

    @TempDir Path stateDir;

    @Test
    void twoInstancesKeepTheTopContextsOneInstanceKeeps() throws Exception {
        Topics one = new Topics("c1.");
        Topics two = new Topics("c2.");
        try (KafkaClusterTestKit cluster = KafkaTestCluster.start(1)) {
            String bootstrap = cluster.bootstrapServers();
            KafkaConnection connection = KafkaConnection.of(bootstrap);
            try (Admin admin = Admin.create(KafkaTestCluster.bootstrap(cluster))) {
                for (Topics t : List.of(one, two))
                    dev.aenstream.topics.TopicProvisioner.ensure(
                            admin, t, new dev.aenstream.topics.TopicSettings(2, (short) 1));
            }
            SaeParameters params = SaeParameters.initialise(N, D, 5);
            MonitorConfig monitor =
                    MonitorConfig.defaults().toBuilder()
                            .set(MonitorConfig.TOP_CONTEXTS, K)
                            .set(MonitorConfig.CONTEXT_CHARS, 12)
                            .build();
            List<String> docs = new ArrayList<>();
            List<AutoCloseable> running = new ArrayList<>();
            try {
                // c1: one instance; c2: two instances of one application.
                for (int i = 0; i < 3; i++) {
                    Topics topics = i == 0 ? one : two;
                    SaeRegistry registry = new SaeRegistry();
                    SaeEncoder encoder =
                            SaeEncoder.open(params, new EncoderSpec(D, false), Device.CPU, 1);
                    running.add(encoder);
                    registry.put(new ServingSae("ctx", 1, encoder, "test"));
                    EncodeApp app =
                            new EncodeApp(
                                    connection,
                                    EncodeConfig.defaults(topics, stateDir.resolve("i" + i))
                                            .toBuilder()
                                            .set(
                                                    EncodeConfig.APPLICATION_ID,
                                                    i == 0 ? "ctx-one" : "ctx-two")
                                            .monitor(monitor)
                                            .build(),
                                    registry);
                    running.add(app);
                    app.start();
                }
                for (AutoCloseable c : running)
                    if (c instanceof EncodeApp app)
                        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
                produce(bootstrap, docs, one, two);

                List<String> expected = reference(bootstrap, one);
                assertThat(reference(bootstrap, two)).isEqualTo(expected);
                Map<String, FeatureContexts> a = settled(bootstrap, one);
                Map<String, FeatureContexts> b = settled(bootstrap, two);
                assertThat(a).isNotEmpty();
                assertThat(b).isEqualTo(a);
                assertThat(flatten(a)).isEqualTo(expected);
                checkText(a, docs);
            } finally {
                for (int i = running.size() - 1; i >= 0; i--) running.get(i).close();
            }
        }
    }

    /** Publishes the rows with text once, then copies them to both applications' inputs. */
    private static void produce(String bootstrap, List<String> docs, Topics... targets)
            throws Exception {
        String staging = "c.staging";
        Random random = new Random(11);
        try (ActivationPublisher publisher =
                new ActivationPublisher(
                        KafkaConnection.of(bootstrap),
                        PublisherConfig.of(staging, "synthetic", "words", "ctx-producer")
                                .with(PublisherConfig.ROWS_PER_RECORD, ROWS))) {
            float[] x = new float[ROWS * N];
            for (int r = 0; r < RECORDS; r++) {
                for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                publisher.publish(x, ROWS, N, words(random, r, docs));
            }
            publisher.flush();
        }
        List<ConsumerRecord<byte[], byte[]>> batches =
                TopicReader.read(
                        bootstrap, staging, true, RECORDS, Duration.ofSeconds(30), Duration.ZERO);
        assertThat(batches).hasSize(RECORDS);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            for (Topics t : targets)
                for (int i = 0; i < batches.size(); i++)
                    producer.send(
                            new ProducerRecord<>(
                                    t.activations(),
                                    i % 2,
                                    batches.get(i).key(),
                                    batches.get(i).value()));
        }
    }

    /** Two documents per record, one token per word, with the words' offsets. */
    private static RowText words(Random random, int record, List<String> docs) {
        int[] ids = new int[ROWS];
        int[] offsets = new int[2 * ROWS];
        int[] rowDocs = new int[ROWS];
        List<Document> documents = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        int doc = -1;
        for (int r = 0; r < ROWS; r++) {
            if (r % (ROWS / 2) == 0) {
                if (doc >= 0) {
                    documents.add(new Document("doc-" + docs.size(), text.toString()));
                    docs.add(text.toString());
                }
                text.setLength(0);
                doc++;
            }
            int w = random.nextInt(WORDS.length);
            if (text.length() > 0) text.append(' ');
            offsets[2 * r] = text.length();
            text.append(WORDS[w]);
            offsets[2 * r + 1] = text.length();
            ids[r] = w;
            rowDocs[r] = doc;
        }
        documents.add(new Document("doc-" + docs.size(), text.toString()));
        docs.add(text.toString());
        return new RowText(ids, offsets, rowDocs, documents);
    }

    /** The latest record per key, read for a while after the codes are all out. */
    private static Map<String, FeatureContexts> settled(String bootstrap, Topics topics) {
        AvroSerde<FeatureContexts> serde = new AvroSerde<>(FeatureContexts.class);
        Map<String, FeatureContexts> latest = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.readFor(
                        bootstrap, topics.featureContexts(), true, Duration.ofSeconds(10)))
            latest.put(new String(r.key(), StandardCharsets.UTF_8), serde.fromBytes(r.value()));
        return latest;
    }

    private static List<String> flatten(Map<String, FeatureContexts> blocks) {
        List<String> out = new ArrayList<>();
        for (FeatureContexts b : blocks.values())
            for (FeatureContext c : b.getContexts())
                out.add(
                        c.getFeature()
                                + " "
                                + c.getValue()
                                + " "
                                + c.getSequence()
                                + "/"
                                + c.getRow());
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Per feature the top K entries of every codes record, by value then row identity. */
    private static List<String> reference(String bootstrap, Topics topics) {
        AvroSerde<FeatureCodes> serde = new AvroSerde<>(FeatureCodes.class);
        Map<Integer, List<float[]>> byFeature = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.read(
                        bootstrap,
                        topics.codes(),
                        true,
                        RECORDS,
                        Duration.ofSeconds(30),
                        Duration.ofSeconds(1))) {
            FeatureCodes c = serde.fromBytes(r.value());
            SparseCodes codes = CodesRecords.fromRecord(c);
            int[] offsets = codes.rowOffsets();
            int[] idx = codes.indices();
            float[] val = codes.values();
            assertThat(LittleEndian.ints(c.getTokenIds())).hasSize(c.getRows());
            for (int row = 0; row < c.getRows(); row++)
                for (int e = offsets[row]; e < offsets[row + 1]; e++)
                    if (val[e] > 0)
                        byFeature
                                .computeIfAbsent(idx[e], j -> new ArrayList<>())
                                .add(new float[] {val[e], c.getSequence(), c.getFirstRow() + row});
        }
        List<String> out = new ArrayList<>();
        byFeature.forEach(
                (j, entries) -> {
                    entries.sort(
                            Comparator.<float[]>comparingDouble(e -> -e[0])
                                    .thenComparingDouble(e -> e[1])
                                    .thenComparingDouble(e -> e[2]));
                    for (float[] e : entries.subList(0, Math.min(K, entries.size())))
                        out.add(j + " " + e[0] + " " + (long) e[1] + "/" + (int) e[2]);
                });
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Every context's highlighted text is its token, found in its document at its offset. */
    private static void checkText(Map<String, FeatureContexts> blocks, List<String> docs) {
        int checked = 0;
        for (FeatureContexts b : blocks.values()) {
            for (FeatureContext c : b.getContexts()) {
                String token = WORDS[c.getTokenId()];
                assertThat(c.getText().substring(c.getHighlightStart(), c.getHighlightEnd()))
                        .isEqualTo(token);
                String doc = docs.get(Integer.parseInt(c.getDocumentId().substring(4)));
                assertThat(doc.substring(c.getTextStart(), c.getTextStart() + token.length()))
                        .isEqualTo(token);
                assertThat(doc).contains(c.getText());
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(D);
    }
}
