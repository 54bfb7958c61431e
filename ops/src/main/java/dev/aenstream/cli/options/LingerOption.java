package dev.aenstream.cli.options;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** --linger: how long the demo keeps serving its dashboard after the run, for people to look. */
public final class LingerOption {
    /** How often the wait looks whether Ctrl-C ended it. */
    private static final Duration POLL = Duration.ofMillis(200);

    @Option(
            names = "--linger",
            paramLabel = "SECONDS",
            description =
                    "After the run and its summary, keep the dashboard (and the encoders behind"
                            + " it) serving for this many seconds, so its plots, feature pages and"
                            + " map can be read at leisure; Ctrl-C ends the wait (default:"
                            + " ${DEFAULT-VALUE}).")
    long lingerSeconds = 0;

    /** Throws when the flag is out of range, before the run starts. */
    public void validate() {
        if (lingerSeconds < 0)
            throw new IllegalArgumentException(
                    "--linger must be 0 or more seconds, got " + lingerSeconds);
    }

    /** Waits out --linger, or until {@code stopped}; tells people so through {@code progress}. */
    public void await(BooleanSupplier stopped, Consumer<String> progress)
            throws InterruptedException {
        if (lingerSeconds == 0 || stopped.getAsBoolean()) return;
        String line =
                String.format(
                        "finished; the dashboard stays up for %d s (Ctrl-C ends it)",
                        lingerSeconds);
        progress.accept(line);
        System.out.println(line);
        long end = System.nanoTime() + Duration.ofSeconds(lingerSeconds).toNanos();
        while (System.nanoTime() < end && !stopped.getAsBoolean()) Thread.sleep(POLL.toMillis());
    }
}
