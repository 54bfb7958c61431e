package dev.aenstream.dashboard;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which {@code Host} headers the dashboard answers: an IP address, {@code localhost}, or a name the
 * operator listed. A page elsewhere can point a name of its own at this machine (DNS rebinding) and
 * read the dashboard from the victim's browser; its requests then carry that name, which is not on
 * the list. An IP address cannot be rebound.
 */
public record HostAllowlist(Set<String> names) {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    public HostAllowlist {
        names =
                Set.copyOf(
                        names.stream()
                                .map(n -> n.strip().toLowerCase(Locale.ROOT))
                                .filter(n -> !n.isEmpty())
                                .toList());
    }

    /** IP addresses and localhost only. */
    public static final HostAllowlist LOCAL = new HostAllowlist(Set.of());

    /** Whether a request with this {@code Host} header (null when absent) is answered. */
    public boolean allows(String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) return false;
        String host = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) return host.indexOf(']') > 1; // an IPv6 address
        int colon = host.lastIndexOf(':');
        if (colon >= 0) {
            if (!host.substring(colon + 1).matches("\\d{1,5}")) return false;
            host = host.substring(0, colon);
        }
        if (host.endsWith(".")) host = host.substring(0, host.length() - 1);
        return host.equals("localhost") || IPV4.matcher(host).matches() || names.contains(host);
    }
}
