package dev.tether.cli.spare;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code tether-attach} asks a spare to run (tether_attach.c writes it): the client's pid,
 * working directory, environment and tether arguments, as NUL-terminated words after the protocol
 * name, counts as decimal text.
 */
public record SpareRequest(int pid, String workingDirectory, Map<String, String> environment, List<String> arguments) {
    static final String PROTOCOL = "tether-spare-1";
    /** Far above any real environment and command line (Linux caps argv+envp at ~2 MB by default). */
    static final int MAX_BYTES = 4 << 20;
    static final int MAX_WORDS = 100_000;
    private static final String ENDS_BEFORE = "the request ends before ";

    public SpareRequest {
        environment = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        arguments = List.copyOf(arguments);
    }

    /** A request not written as tether-attach writes it; the message says what was wrong. */
    public static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message);
        }
    }

    /**
     * The request in {@code bytes}, which must hold exactly one; {@link #complete} tells a reader
     * when it has all of it.
     */
    public static SpareRequest parse(byte[] bytes, int length) throws MalformedException {
        Words w = new Words(bytes, length);
        String protocol = w.next("the protocol name");
        if (!protocol.equals(PROTOCOL)) {
            throw new MalformedException("unknown protocol '" + shorten(protocol) + "' (expected " + PROTOCOL + ")");
        }
        int pid = w.count("the pid", Integer.MAX_VALUE);
        if (pid < 1) {
            throw new MalformedException("the pid must be positive, not " + pid);
        }
        String cwd = w.next("the working directory");
        if (!cwd.startsWith("/")) {
            throw new MalformedException("the working directory must be absolute: '" + shorten(cwd) + "'");
        }
        int envCount = w.count("the number of environment entries", MAX_WORDS);
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < envCount; i++) {
            String entry = w.next("environment entry " + (i + 1));
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new MalformedException("environment entry " + (i + 1) + " is not NAME=VALUE: '" + shorten(entry) + "'");
            }
            // As the C library reads an environment: the first definition of a name is the one seen.
            env.putIfAbsent(entry.substring(0, eq), entry.substring(eq + 1));
        }
        int argCount = w.count("the number of arguments", MAX_WORDS);
        List<String> args = new ArrayList<>(argCount);
        for (int i = 0; i < argCount; i++) {
            args.add(w.next("argument " + (i + 1)));
        }
        if (w.pos != length) {
            throw new MalformedException((length - w.pos) + " bytes after the last argument");
        }
        return new SpareRequest(pid, cwd, env, args);
    }

    /**
     * Whether {@code bytes} hold a whole request (its word counts say how many words follow): a
     * reader keeps reading until this is true, and {@link #parse} then judges the content. Only a
     * request cut short is incomplete; one malformed before its end is complete (and refused).
     */
    public static boolean complete(byte[] bytes, int length) {
        try {
            parse(bytes, length);
            return true;
        } catch (MalformedException e) {
            return !e.getMessage().startsWith(ENDS_BEFORE); // anything else is for parse() to report
        }
    }

    private static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    private static final class Words {
        private final byte[] bytes;
        private final int length;
        int pos;

        Words(byte[] bytes, int length) {
            this.bytes = bytes;
            this.length = length;
        }

        String next(String what) throws MalformedException {
            for (int i = pos; i < length; i++) {
                if (bytes[i] == 0) {
                    String word = new String(bytes, pos, i - pos, StandardCharsets.UTF_8);
                    pos = i + 1;
                    return word;
                }
            }
            throw new MalformedException(ENDS_BEFORE + what);
        }

        int count(String what, int max) throws MalformedException {
            String text = next(what);
            if (text.isEmpty() || text.length() > 10 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new MalformedException(what + " is not a number: '" + shorten(text) + "'");
            }
            long v = Long.parseLong(text);
            if (v > max) {
                throw new MalformedException(what + " is " + v + ", more than " + max);
            }
            return (int) v;
        }
    }
}
