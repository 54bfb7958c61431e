package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
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
