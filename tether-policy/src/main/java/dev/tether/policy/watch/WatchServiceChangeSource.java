package dev.tether.policy.watch;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The portable source: Java's WatchService on the files' directories (directories, so a file
 * replaced by a rename is seen). It reports create, modify and delete but not a writer closing
 * the file, nor a create from a rename, so every change is {@link Change#CHANGING} and the
 * holder lets each settle.
 */
public final class WatchServiceChangeSource implements FileChangeSource {
    private final WatchService watcher;
    private final Set<Path> names;

    private WatchServiceChangeSource(WatchService watcher, Set<Path> names) {
        this.watcher = watcher;
        this.names = names;
    }

    public static WatchServiceChangeSource open(Set<Path> files) throws IOException {
        WatchService ws = FileSystems.getDefault().newWatchService();
        Set<Path> dirs = new HashSet<>();
        Set<Path> names = new HashSet<>();
        for (Path p : files) {
            Path abs = p.toAbsolutePath();
            dirs.add(abs.getParent());
            names.add(abs.getFileName());
        }
        try {
            for (Path d : dirs) {
                d.register(ws, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
            }
        } catch (IOException | RuntimeException e) {
            ws.close();
            throw e;
        }
        return new WatchServiceChangeSource(ws, Set.copyOf(names));
    }

    @Override
    public List<Change> next(long timeoutMillis) throws InterruptedException {
        List<Change> out = new ArrayList<>();
        WatchKey key = timeoutMillis < 0 ? watcher.take()
                : timeoutMillis == 0 ? watcher.poll() : watcher.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        while (key != null) {
            for (WatchEvent<?> ev : key.pollEvents()) {
                if (ev.kind() == StandardWatchEventKinds.OVERFLOW || names.contains((Path) ev.context())) {
                    out.add(Change.CHANGING);
                }
            }
            key.reset();
            key = watcher.poll(); // fold what is already queued
        }
        return out;
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            // nothing to do: the watch ends either way
        }
    }
}
