package dev.aenstream.testkit;

import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;

/** A fault for exactly-once tests: the broker fences an application's open transactions. */
public final class OpenTransactions {
    private static final long WAIT_MS = 10_000;
    private static final long POLL_MS = 20;

    private OpenTransactions() {}

    /**
     * Waits up to 10 s for transactions of {@code applicationId} to be open and fences them, so
     * they abort and their records are processed again; returns how many it fenced.
     */
    public static int fence(Admin admin, String applicationId) throws Exception {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (System.currentTimeMillis() < deadline) {
            List<String> open =
                    admin
                            .listTransactions(
                                    new ListTransactionsOptions()
                                            .filterStates(List.of(TransactionState.ONGOING)))
                            .all()
                            .get()
                            .stream()
                            .map(TransactionListing::transactionalId)
                            .filter(id -> id.startsWith(applicationId))
                            .toList();
            if (!open.isEmpty()) {
                admin.fenceProducers(open).all().get();
                return open.size();
            }
            Thread.sleep(POLL_MS);
        }
        return 0;
    }
}
