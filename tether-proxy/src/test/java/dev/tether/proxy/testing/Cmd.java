package dev.tether.proxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a real client program (curl, node) with a clean environment and a time limit. */
public final class Cmd {
    public record Result(int exit, String out, String err) {}

    private Cmd() {}

    public static Result run(List<String> argv, Map<String, String> env, int timeoutSeconds) throws IOException, InterruptedException {
        return run(argv, env, timeoutSeconds, true);
    }

    /** {@code clean}: drop the host's CA and proxy variables (clients under test); npm needs them kept. */
    public static Result run(List<String> argv, Map<String, String> env, int timeoutSeconds, boolean clean)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        Map<String, String> e = pb.environment();
        // The hosts set CA and proxy variables globally: clients under test never inherit them.
        if (clean) for (String k : List.of("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
                "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")) {
            e.remove(k);
        }
        e.putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream();
        var err = p.getErrorStream();
        var outF = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(out));
        var errF = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(err));
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + argv);
        }
        return new Result(p.exitValue(), outF.join(), errF.join());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
