package dev.tether.proxy.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.tether.proxy.ca.CertificateAuthority;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A real local HTTP(S) origin (the JDK's server) standing in for internet hosts. Its certificate
 * comes from a separate "public" test CA that the proxy trusts upstream and the sandbox does not.
 */
public final class Origin implements AutoCloseable {
    public final HttpServer server;
    /** Headers of the last request per path, as the origin received them. */
    public final Map<String, Map<String, List<String>>> lastHeaders = new ConcurrentHashMap<>();
    public final CountDownLatch sseGo = new CountDownLatch(1);
    public volatile boolean sseReleasedByClient;
    public final Map<String, Long> uploaded = new ConcurrentHashMap<>();

    private Origin(HttpServer server) {
        this.server = server;
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public static Origin https(CertificateAuthority publicCa, String... names) throws Exception {
        HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        // one leaf per name would need SNI selection; the JDK server presents one cert: use a multi-name cert
        ks.setKeyEntry("k", publicCa.leafPrivateKey(), new char[0],
                new Certificate[] {publicCa.leafForNames(List.of(names)), publicCa.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        s.setHttpsConfigurator(new HttpsConfigurator(ctx));
        return new Origin(s);
    }

    public static Origin http() throws IOException {
        return new Origin(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64));
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        lastHeaders.put(path, Map.copyOf(x.getRequestHeaders()));
        try (x) {
            switch (path) {
                case "/sse" -> {
                    x.getResponseHeaders().set("Content-Type", "text/event-stream");
                    x.sendResponseHeaders(200, 0);
                    OutputStream o = x.getResponseBody();
                    o.write("event: tick\ndata: one\n\n".getBytes(StandardCharsets.UTF_8));
                    o.flush();
                    // the next event only goes out once the client has seen the first one
                    sseReleasedByClient = awaitQuietly(sseGo, 15);
                    o.write("event: tick\ndata: two\n\n".getBytes(StandardCharsets.UTF_8));
                    o.flush();
                }
                case "/never" -> awaitQuietly(new CountDownLatch(1), 120);
                case "/reject-early" -> {
                    // answers without reading the body, like a server enforcing an upload limit
                    byte[] body = "too large\n".getBytes(StandardCharsets.UTF_8);
                    x.getResponseHeaders().set("Connection", "close");
                    x.sendResponseHeaders(413, body.length);
                    x.getResponseBody().write(body);
                }
                case "/mcp-truncated" -> {
                    x.getRequestBody().readAllBytes();
                    x.getResponseHeaders().set("Content-Type", "text/event-stream");
                    x.sendResponseHeaders(200, 0);
                    OutputStream o = x.getResponseBody();
                    o.write(("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\n"
                            + "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":40,\"res").getBytes(StandardCharsets.UTF_8));
                }
                case "/big" -> {
                    long n = Long.parseLong(x.getRequestURI().getQuery().replace("n=", ""));
                    x.sendResponseHeaders(200, n);
                    byte[] chunk = new byte[64 * 1024];
                    OutputStream o = x.getResponseBody();
                    for (long left = n; left > 0; left -= chunk.length) o.write(chunk, 0, (int) Math.min(chunk.length, left));
                }
                case "/upload" -> {
                    long total = 0;
                    try (InputStream in = x.getRequestBody()) {
                        byte[] b = new byte[64 * 1024];
                        for (int r; (r = in.read(b)) > 0; ) total += r;
                    }
                    uploaded.put(path, total);
                    byte[] body = ("received " + total + "\n").getBytes(StandardCharsets.UTF_8);
                    x.sendResponseHeaders(200, body.length);
                    x.getResponseBody().write(body);
                }
                default -> {
                    x.getRequestBody().readAllBytes();
                    String auth = x.getRequestHeaders().getFirst("X-Api-Key");
                    byte[] body = ("hello from " + x.getRequestHeaders().getFirst("Host") + " " + x.getRequestMethod() + " " + path
                            + " api-key-received=" + (auth != null) + "\n").getBytes(StandardCharsets.UTF_8);
                    x.getResponseHeaders().set("Content-Type", "text/plain");
                    x.sendResponseHeaders(200, body.length);
                    x.getResponseBody().write(body);
                }
            }
        }
    }

    private static boolean awaitQuietly(CountDownLatch l, int seconds) {
        try {
            return l.await(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
