package dev.aenstream.sae.setting;

import java.util.List;
import java.util.function.Function;

/** A Markdown reference table made from declarations, as docs/ print them. */
public final class SettingTable {
    private SettingTable() {}

    /** Flag, name, default, rule and doc of each of {@code settings}. */
    public static String of(List<Setting<?>> settings) {
        return of(settings, null, null);
    }

    /**
     * As {@link #of(List)}, with one more column called {@code heading} whose cells {@code cell}
     * gives, placed before the doc.
     */
    public static String of(
            List<Setting<?>> settings, String heading, Function<Setting<?>, String> cell) {
        StringBuilder t = new StringBuilder("| flag | name | default | must be | ");
        if (heading != null) t.append(heading).append(" | ");
        t.append("meaning |\n|---|---|---|---|---|").append(heading != null ? "---|" : "");
        t.append('\n');
        for (Setting<?> s : settings) {
            t.append("| ")
                    .append(s.flag() == null ? "" : "`" + s.option() + "`")
                    .append(" | `")
                    .append(s.name())
                    .append("` | ")
                    .append(s.defaults().describe())
                    .append(" | ")
                    .append(s.rule())
                    .append(" | ");
            if (heading != null) t.append(cell.apply(s)).append(" | ");
            t.append(s.doc().replace("|", "\\|")).append(" |\n");
        }
        return t.toString();
    }
}
