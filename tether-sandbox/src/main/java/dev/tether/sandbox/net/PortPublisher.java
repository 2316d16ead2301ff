package dev.tether.sandbox.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Publishes sandbox ports on the host the way docker's userland proxy does: a listener on the
 * host that copies bytes to and from the sandbox's address. A user-space relay (rather than DNAT)
 * also serves connections to the host's 127.0.0.1, which DNAT cannot route into another namespace.
 */
public final class PortPublisher implements AutoCloseable {
    private final List<ServerSocket> listeners = new ArrayList<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    /** Starts one listener per port; fails (and closes what it opened) if a port is taken. */
    public static PortPublisher start(List<PublishedPort> ports, InetAddress sandbox) {
        PortPublisher p = new PortPublisher();
        try {
            for (PublishedPort port : ports) {
                ServerSocket ss = new ServerSocket();
                ss.setReuseAddress(true);
                try {
                    ss.bind(new InetSocketAddress(port.hostAddress(), port.hostPort()));
                } catch (IOException e) {
                    ss.close();
                    throw new NetworkSetupException("cannot publish " + port.hostAddress().getHostAddress() + ":"
                            + port.hostPort() + ": " + e.getMessage());
                }
                p.listeners.add(ss);
                InetSocketAddress target = new InetSocketAddress(sandbox, port.sandboxPort());
                p.threads.submit(() -> p.accept(ss, target));
            }
            return p;
        } catch (IOException e) {
            p.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** The port a listener actually bound (for HOST_PORT 0 in tests). */
    public int localPort(int index) {
        return listeners.get(index).getLocalPort();
    }

    private void accept(ServerSocket ss, InetSocketAddress target) {
        while (!ss.isClosed()) {
            try {
                Socket client = ss.accept();
                threads.submit(() -> relay(client, target));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void relay(Socket client, InetSocketAddress target) {
        try (client; Socket upstream = new Socket()) {
            upstream.connect(target, 10_000);
            var back = threads.submit(() -> copy(upstream.getInputStream(), client.getOutputStream(), client));
            copy(client.getInputStream(), upstream.getOutputStream(), upstream);
            back.get();
        } catch (Exception e) {
            // the peer went away: nothing to report for a relay
        }
    }

    private static Void copy(InputStream in, OutputStream out, Socket sink) throws IOException {
        in.transferTo(out);
        sink.shutdownOutput();
        return null;
    }

    @Override
    public void close() {
        for (ServerSocket ss : listeners) {
            try {
                ss.close();
            } catch (IOException e) {
                // closing
            }
        }
        threads.shutdownNow();
    }
}
