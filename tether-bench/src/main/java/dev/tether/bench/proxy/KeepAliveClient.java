package dev.tether.bench.proxy;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A deliberately thin blocking HTTP/1.1 client (one keep-alive connection) so that what is measured
 * is the network path, not a client library: direct, through the explicit proxy (absolute-form),
 * or through a CONNECT tunnel with TLS.
 */
final class KeepAliveClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] request;

    private KeepAliveClient(Socket s, String requestTarget, String host) throws IOException {
        this.socket = s;
        s.setTcpNoDelay(true);
        this.in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
        this.out = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
        this.request = ("GET " + requestTarget + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: tether-bench\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    static KeepAliveClient plainDirect(int port) throws IOException {
        return new KeepAliveClient(new Socket("127.0.0.1", port), "/x", "origin.bench:" + port);
    }

    static KeepAliveClient plainViaProxy(int proxyPort, String host, int port) throws IOException {
        return new KeepAliveClient(new Socket("127.0.0.1", proxyPort), "http://" + host + ":" + port + "/x", host + ":" + port);
    }

    static KeepAliveClient tlsDirect(SSLContext trust, String host, int port) throws IOException {
        Socket raw = new Socket("127.0.0.1", port);
        return new KeepAliveClient(handshake(trust, raw, host, port), "/x", host + ":" + port);
    }

    static KeepAliveClient tlsViaProxy(SSLContext trust, int proxyPort, String host, int port) throws IOException {
        Socket raw = new Socket("127.0.0.1", proxyPort);
        raw.setTcpNoDelay(true);
        connectTunnel(raw, host, port);
        return new KeepAliveClient(handshake(trust, raw, host, port), "/x", host + ":" + port);
    }

    static void connectTunnel(Socket raw, String host, int port) throws IOException {
        OutputStream o = raw.getOutputStream();
        o.write(("CONNECT " + host + ":" + port + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        o.flush();
        InputStream i = raw.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = i.read();
            if (b < 0) throw new IOException("proxy closed during CONNECT");
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 200")) throw new IOException("CONNECT refused: " + head);
    }

    static SSLSocket handshake(SSLContext trust, Socket raw, String host, int port) throws IOException {
        SSLSocket s = (SSLSocket) trust.getSocketFactory().createSocket(raw, host, port, true);
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    /** One request; returns the body length (and checks the status). */
    int get() throws IOException {
        out.write(request);
        out.flush();
        int status = -1;
        int contentLength = -1;
        StringBuilder line = new StringBuilder(64);
        while (true) {
            line.setLength(0);
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) throw new IOException("connection closed");
                if (b != '\r') line.append((char) b);
            }
            if (line.isEmpty()) break;
            if (status < 0) status = Integer.parseInt(line.substring(9, 12));
            else if (line.length() > 15 && line.substring(0, 15).equalsIgnoreCase("content-length:")) {
                contentLength = Integer.parseInt(line.substring(15).strip());
            }
        }
        if (status != 200) throw new IOException("status " + status);
        for (int left = contentLength; left > 0; ) {
            long n = in.skip(left);
            if (n <= 0) {
                if (in.read() < 0) throw new IOException("truncated body");
                n = 1;
            }
            left -= (int) n;
        }
        return contentLength;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
