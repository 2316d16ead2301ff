package dev.tether.proxy.secret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Resolves {@code secret:NAME} header values on the host side, so the credential never enters the
 * sandbox. Looks in the secrets file first ({@code NAME=value} lines, {@code #} comments; the file
 * must not be readable by group or others), then in the host environment. Every value it hands
 * out is registered with the {@link SecretRedactor} before it is used.
 */
public final class SecretResolver {
    public static final String PREFIX = "secret:";

    private final Map<String, String> fileSecrets;
    private final Map<String, String> environment;
    private final SecretRedactor redactor;

    public SecretResolver(Map<String, String> fileSecrets, Map<String, String> environment, SecretRedactor redactor) {
        this.fileSecrets = Map.copyOf(fileSecrets);
        this.environment = Map.copyOf(environment);
        this.redactor = redactor;
        this.fileSecrets.forEach(redactor::register);
    }

    /** Loads a secrets file; refuses one that group or others can read, naming the file and mode. */
    public static Map<String, String> readSecretsFile(Path file) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)
                || perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException("secrets file " + file + " is accessible by group or others; chmod 600 it");
        }
        Map<String, String> out = new HashMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) continue;
            int eq = t.indexOf('=');
            if (eq <= 0) throw new IOException(file + ":" + lineNo + ": expected NAME=value");
            out.put(t.substring(0, eq).strip(), t.substring(eq + 1).strip());
        }
        return out;
    }

    /**
     * The value to send for a rewrite: literal values as they are, {@code secret:NAME} resolved.
     * Empty when the secret is defined nowhere (the caller refuses the request rather than send
     * a request without the credential the policy asked for).
     */
    public Optional<String> resolveValue(String value) {
        if (!value.startsWith(PREFIX)) return Optional.of(value);
        String name = value.substring(PREFIX.length());
        String v = fileSecrets.get(name);
        if (v == null) v = environment.get(name);
        if (v == null || v.isEmpty()) return Optional.empty();
        redactor.register(name, v);
        return Optional.of(v);
    }

    public SecretRedactor redactor() {
        return redactor;
    }
}
