package dev.aenstream.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task in several threads released together: what processes starting at the same moment do
 * to a folder they share.
 */
public final class AtOnce {
    private AtOnce() {}

    /** Each thread's result, in the order they were started; the first failure is thrown. */
    public static <T> List<T> run(int threads, Callable<T> task) throws Exception {
        CyclicBarrier together = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<T>> started = new ArrayList<>();
            for (int i = 0; i < threads; i++)
                started.add(
                        pool.submit(
                                () -> {
                                    together.await();
                                    return task.call();
                                }));
            List<T> results = new ArrayList<>();
            for (Future<T> f : started) results.add(f.get(60, TimeUnit.SECONDS));
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
