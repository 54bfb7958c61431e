package dev.aenstream.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names ops/deploy's Grafana dashboard and Prometheus rules ask for. */
final class OperatorMetrics {
    private static final Pattern NAME = Pattern.compile("\\b((?:aen|kafka)_[a-z0-9_]+)\\b");

    private OperatorMetrics() {}

    /**
     * Every metric name in the dashboard's queries and the rules' expressions, as exported (a
     * histogram's {@code _bucket} series named by the histogram).
     */
    static Set<String> used(Path deploy) throws IOException {
        Set<String> names = new TreeSet<>();
        for (Path f :
                new Path[] {
                    deploy.resolve("grafana/aen-stream.json"),
                    deploy.resolve("prometheus/aen-alerts.yml")
                }) {
            for (String line : Files.readAllLines(f)) {
                if (!line.contains("\"expr\"") && !line.trim().startsWith("expr:")) continue;
                Matcher m = NAME.matcher(line);
                while (m.find()) names.add(m.group(1));
            }
        }
        return names;
    }
}
