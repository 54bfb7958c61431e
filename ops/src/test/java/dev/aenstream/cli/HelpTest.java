package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.Penalty;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command and subcommand answers --help with its usage, whatever options it requires. */
class HelpTest {
    @Test
    void everyCommandExplainsItself() {
        List<List<String>> paths = new ArrayList<>();
        collect(Aen.commandLine(new String[0]), new ArrayList<>(), paths);
        assertThat(paths).hasSizeGreaterThan(15).contains(List.of("models", "pull"));
        for (List<String> path : paths) {
            CommandLine cli = Aen.commandLine(new String[0]);
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            int code = cli.execute(args.toArray(String[]::new));
            assertThat(code).as("aen %s --help: %s", String.join(" ", path), err).isZero();
            assertThat(out.toString())
                    .as("aen %s --help", String.join(" ", path))
                    .contains("Usage: aen" + (path.isEmpty() ? "" : " " + String.join(" ", path)));
        }
    }

    @Test
    void theDemoSaysWhatItTrains() {
        CommandLine cli = Aen.commandLine(new String[0]);
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("demo", "--help")).isZero();
        // Picocli wraps the description: words are compared across line breaks.
        String help = out.toString().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
        Set<Penalty> trained =
                DemoCommand.DEFAULT_SAES.stream()
                        .map(s -> Penalties.parse(s.substring(s.indexOf(':') + 1)))
                        .collect(Collectors.toSet());
        for (Penalty arch : Penalties.ALL) {
            String named = arch == Penalties.AEN ? "aen-sae" : arch.label() + " baseline";
            if (trained.contains(arch)) assertThat(help).as("demo help").contains(named);
            else
                assertThat(help)
                        .as("demo help")
                        .doesNotContain(named)
                        .doesNotContain("vanilla-" + arch.label());
        }
    }

    private static void collect(CommandLine cli, List<String> path, List<List<String>> into) {
        into.add(List.copyOf(path));
        cli.getSubcommands()
                .forEach(
                        (name, sub) -> {
                            // Aliases and the help subcommand appear under their own names too.
                            if (!name.equals(sub.getCommandName())) return;
                            List<String> next = new ArrayList<>(path);
                            next.add(name);
                            collect(sub, next, into);
                        });
    }
}
