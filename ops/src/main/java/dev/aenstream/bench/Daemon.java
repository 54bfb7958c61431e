package dev.aenstream.bench;

import java.util.concurrent.ThreadFactory;

/** Named daemon threads for background work that must not keep the process alive. */
public final class Daemon {
    private Daemon() {}

    public static ThreadFactory threads(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
