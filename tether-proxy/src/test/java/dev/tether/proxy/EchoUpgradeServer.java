package dev.tether.proxy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Answers one HTTP Upgrade with 101, then echoes lines prefixed "echo:" (a byte-level WebSocket stand-in). */
final class EchoUpgradeServer implements AutoCloseable {
    private final ServerSocket ss;
    private final Thread t;

    EchoUpgradeServer() throws Exception {
        ss = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        t = Thread.ofVirtual().start(() -> {
            try (Socket s = ss.accept()) {
                var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                String line;
                while ((line = in.readLine()) != null && !line.isEmpty()) { }
                var out = s.getOutputStream();
                out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                while ((line = in.readLine()) != null) {
                    out.write(("echo:" + line + "\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
            } catch (Exception ignored) {
                // test server: the client side asserts
            }
        });
    }

    int port() {
        return ss.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        ss.close();
        t.interrupt();
    }
}
