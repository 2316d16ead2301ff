package dev.tether.cli.session;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A tiny authoritative-for-everything DNS server on UDP for tests: names map to addresses (A or
 * AAAA by family) or to another name (CNAME, answered with the target's addresses too); unknown
 * names get NXDOMAIN.
 */
public final class TestDnsServer implements AutoCloseable {
    private final DatagramSocket socket;
    private final Map<String, List<InetAddress>> addresses = new ConcurrentHashMap<>();
    private final Map<String, String> aliases = new ConcurrentHashMap<>();
    private final AtomicInteger queries = new AtomicInteger();
    private volatile long ttl = 60;
    private final Thread thread;
    private final java.net.ServerSocket tcp;

    private TestDnsServer(DatagramSocket socket, java.net.ServerSocket tcp) {
        this.socket = socket;
        this.tcp = tcp;
        this.thread = Thread.ofPlatform().daemon(true).name("test-dns").start(this::loop);
        Thread.ofPlatform().daemon(true).name("test-dns-tcp").start(this::tcpLoop);
    }

    /** UDP and TCP on the same port of {@code bind}. */
    public static TestDnsServer start(InetAddress bind) throws IOException {
        for (int attempt = 0; ; attempt++) {
            DatagramSocket udp = new DatagramSocket(new InetSocketAddress(bind, 0));
            try {
                java.net.ServerSocket tcp = new java.net.ServerSocket();
                tcp.bind(new InetSocketAddress(bind, udp.getLocalPort()));
                return new TestDnsServer(udp, tcp);
            } catch (IOException e) {
                udp.close();
                if (attempt > 10) {
                    throw e;
                }
            }
        }
    }

    private void tcpLoop() {
        while (!tcp.isClosed()) {
            try (java.net.Socket s = tcp.accept()) {
                s.setSoTimeout(2000);
                var in = new java.io.DataInputStream(s.getInputStream());
                var out = new java.io.DataOutputStream(s.getOutputStream());
                byte[] q = new byte[in.readUnsignedShort()];
                in.readFully(q);
                queries.incrementAndGet();
                byte[] r = respond(new Message(q)).toWire();
                out.writeShort(r.length);
                out.write(r);
                out.flush();
            } catch (IOException e) {
                // closed, or garbage
            }
        }
    }

    public TestDnsServer name(String name, String... ips) {
        addresses.put(name.toLowerCase(), java.util.Arrays.stream(ips).map(InetAddress::ofLiteral).toList());
        return this;
    }

    public TestDnsServer alias(String name, String target) {
        aliases.put(name.toLowerCase(), target.toLowerCase());
        return this;
    }

    public TestDnsServer ttl(long seconds) {
        ttl = seconds;
        return this;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    public int queries() {
        return queries.get();
    }

    private void loop() {
        byte[] buf = new byte[4096];
        while (!socket.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                queries.incrementAndGet();
                Message q = new Message(java.util.Arrays.copyOf(buf, p.getLength()));
                byte[] r = respond(q).toWire();
                socket.send(new DatagramPacket(r, r.length, p.getSocketAddress()));
            } catch (IOException e) {
                // closed, or garbage: ignore
            }
        }
    }

    private Message respond(Message q) throws IOException {
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setFlag(Flags.AA);
        r.getHeader().setFlag(Flags.RA);
        if (q.getHeader().getFlag(Flags.RD)) {
            r.getHeader().setFlag(Flags.RD);
        }
        Record question = q.getQuestion();
        r.addRecord(question, Section.QUESTION);
        Name name = question.getName();
        String n = name.toString(true).toLowerCase();
        int hops = 0;
        while (aliases.containsKey(n) && hops++ < 8) {
            Name target = Name.fromString(aliases.get(n) + ".");
            r.addRecord(new CNAMERecord(name, DClass.IN, ttl, target), Section.ANSWER);
            name = target;
            n = aliases.get(n);
        }
        List<InetAddress> ips = addresses.get(n);
        if (ips == null) {
            r.getHeader().setRcode(Rcode.NXDOMAIN);
            return r;
        }
        for (InetAddress a : ips) {
            if (question.getType() == Type.A && a instanceof java.net.Inet4Address) {
                r.addRecord(new ARecord(name, DClass.IN, ttl, a), Section.ANSWER);
            } else if (question.getType() == Type.AAAA && a instanceof java.net.Inet6Address) {
                r.addRecord(new AAAARecord(name, DClass.IN, ttl, a), Section.ANSWER);
            }
        }
        return r;
    }

    @Override
    public void close() {
        socket.close();
        try {
            tcp.close();
        } catch (IOException e) {
            // closing
        }
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
