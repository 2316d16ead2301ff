package dev.tether.events.store;

import dev.tether.events.Event;
import dev.tether.events.Events;
import dev.tether.events.Verdict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child-JVM main for {@link AuditStoreCrashTest}: appends batches forever and prints the number of
 * committed events after each commit, until the parent SIGKILLs it.
 */
public final class CrashingWriter {
    private CrashingWriter() {}

    public static void main(String[] args) {
        AuditStore store = AuditStore.open(Path.of(args[0]));
        long t = Event.nowNs();
        long committed = 0;
        for (int b = 0; ; b++) {
            List<Event> batch = new ArrayList<>(500);
            for (int i = 0; i < 500; i++) {
                batch.add(Events.open("crash", t++, "/w/file-" + b + "-" + i, i % 50 == 0 ? Verdict.DENY : Verdict.ALLOW));
            }
            if (store.append(batch)) {
                committed += batch.size();
                System.out.println("committed " + committed);
                System.out.flush();
            }
        }
    }
}
