package dev.tether.kernel.enforce;

import java.util.HashMap;
import java.util.Map;

/**
 * The file gate's judgments of opens under the policy in force, by name, mode and file identity.
 * A file that may be read but not written on a writable mount cannot get a kernel ignore mark
 * (the mark cannot tell a read from a write), so every open of it comes back to the gate; the
 * policy's answer for the same name, mode and inode under the same {@link SessionPolicy} is the
 * same every time (the judge is a pure function of them), so it is computed once. Everything is
 * forgotten when the policy object changes (reload, mode switch) and when the memo is full.
 * Gate thread only.
 */
final class OpenMemo {
    static final int LIMIT = 8192;

    /** What was decided for one (name, mode, file) under one policy. */
    static final class Entry {
        private final FileAccessJudge.Judgment judgment;
        private final boolean otherModeAllowed;
        private boolean notOnReadOnlyMount;

        Entry(FileAccessJudge.Judgment judgment, boolean otherModeAllowed) {
            this.judgment = judgment;
            this.otherModeAllowed = otherModeAllowed;
        }

        FileAccessJudge.Judgment judgment() {
            return judgment;
        }

        /** The open was allowed and so is the open in the other mode (read vs write). */
        boolean otherModeAllowed() {
            return otherModeAllowed;
        }

        /** False once the file's mount was seen writable (checked again only under a new policy). */
        boolean mayBeOnReadOnlyMount() {
            return !notOnReadOnlyMount;
        }

        void notOnReadOnlyMount() {
            notOnReadOnlyMount = true;
        }
    }

    private record Key(String path, boolean write, FileKey file) {}

    private final Map<Key, Entry> entries = new HashMap<>();
    private SessionPolicy policy;

    /** The entry for this open under {@code current}, or null. */
    Entry get(SessionPolicy current, String path, boolean write, FileKey file) {
        if (current != policy) {
            entries.clear();
            policy = current;
            return null;
        }
        return entries.get(new Key(path, write, file));
    }

    Entry put(SessionPolicy current, String path, boolean write, FileKey file,
              FileAccessJudge.Judgment judgment, boolean otherModeAllowed) {
        if (current != policy || entries.size() >= LIMIT) {
            entries.clear();
            policy = current;
        }
        Entry e = new Entry(judgment, otherModeAllowed);
        entries.put(new Key(path, write, file), e);
        return e;
    }
}
