package dev.tether.cli.session;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * The session's DNS server: a forwarder on the sandbox's gateway addresses (UDP and TCP, one port,
 * where {@code SandboxNetwork.redirectDns} sends the sandbox's port-53 traffic) that passes each
 * query to the host's resolver and, before the answer goes back, pins every address it gives for
 * the queried name in the kernel guard ({@link DnsPins}), following CNAME chains: the name the
 * sandbox asked for is what the policy is about. Fails closed: an answer whose addresses could not
 * be pinned becomes SERVFAIL, never an address the guard would decide without its name.
 *
 * <p>Malformed queries get FORMERR (or are dropped when not even the header is there); responses
 * to the sandbox are never parsed from it, and at most {@link #MAX_INFLIGHT} queries are upstream
 * at once (further UDP queries are dropped, as a busy resolver does, and clients retry).
 */
public final class SessionDns implements AutoCloseable {
    static final int MAX_INFLIGHT = 64;
    static final int MAX_TCP_CONNECTIONS = 32;
    static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(2);
    static final int UPSTREAM_TRIES = 2;
    static final Duration JANITOR_PERIOD = Duration.ofSeconds(15);
    private static final Duration TCP_IDLE = Duration.ofSeconds(10);

    public record Stats(long queries, long answered, long pinned, long servfail, long formerr, long dropped) {}

    private final InetSocketAddress upstream;
    private final DnsPins pins;
    private final java.util.function.BooleanSupplier failClosed;
    private final PrintWriter err;
    private final List<DatagramSocket> udp = new ArrayList<>();
    private final List<ServerSocket> tcp = new ArrayList<>();
    private final Semaphore inflight = new Semaphore(MAX_INFLIGHT);
    private final Semaphore tcpConnections = new Semaphore(MAX_TCP_CONNECTIONS);
    private final ScheduledExecutorService janitor;
    private final AtomicLong queries = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong pinned = new AtomicLong();
    private final AtomicLong servfail = new AtomicLong();
    private final AtomicLong formerr = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean running = true;
    private int port;

    private SessionDns(InetSocketAddress upstream, DnsPins pins, java.util.function.BooleanSupplier failClosed, PrintWriter err) {
        this.upstream = upstream;
        this.pins = pins;
        this.failClosed = failClosed;
        this.err = err;
        this.janitor = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon(true).name("tether-dns-janitor").factory());
    }

    /**
     * Listens on {@code addresses} (UDP and TCP, the same free port on each) and starts answering.
     *
     * @param upstream the resolver queries are forwarded to
     */
    public static SessionDns start(List<InetAddress> addresses, InetSocketAddress upstream, DnsPins pins, PrintWriter err)
            throws IOException {
        return start(addresses, upstream, pins, () -> true, err);
    }

    /**
     * @param failClosed whether an answer whose pin failed becomes SERVFAIL (enforce mode); when
     *     false (shadow, permissive) the answer goes through and the address is decided, and
     *     recorded, by the address rules
     */
    public static SessionDns start(List<InetAddress> addresses, InetSocketAddress upstream, DnsPins pins,
                                   java.util.function.BooleanSupplier failClosed, PrintWriter err) throws IOException {
        SessionDns dns = new SessionDns(upstream, pins, failClosed, err);
        try {
            dns.bind(addresses);
        } catch (IOException | RuntimeException e) {
            dns.close();
            throw e;
        }
        for (DatagramSocket s : dns.udp) {
            Thread.ofPlatform().daemon(true).name("tether-dns-udp").start(() -> dns.udpLoop(s));
        }
        for (ServerSocket s : dns.tcp) {
            Thread.ofPlatform().daemon(true).name("tether-dns-tcp").start(() -> dns.tcpLoop(s));
        }
        long period = JANITOR_PERIOD.toMillis();
        dns.janitor.scheduleWithFixedDelay(dns::expire, period, period, TimeUnit.MILLISECONDS);
        return dns;
    }

    private void bind(List<InetAddress> addresses) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            closeSockets();
            try {
                int p = 0;
                for (InetAddress a : addresses) {
                    DatagramSocket d = new DatagramSocket(null);
                    udp.add(d);
                    d.bind(new InetSocketAddress(a, p));
                    p = d.getLocalPort();
                    ServerSocket s = new ServerSocket();
                    tcp.add(s);
                    s.bind(new InetSocketAddress(a, p), 64);
                }
                port = p;
                return;
            } catch (SocketException e) {
                last = e; // the port was free on one address, not on another: try another port
            }
        }
        throw last;
    }

    /** The port the forwarder listens on (the same on every address, UDP and TCP). */
    public int port() {
        return port;
    }

    public DnsPins pins() {
        return pins;
    }

    public Stats stats() {
        return new Stats(queries.get(), answered.get(), pinned.get(), servfail.get(), formerr.get(), dropped.get());
    }

    private void expire() {
        try {
            pins.expire();
        } catch (RuntimeException e) {
            err.println("tether: DNS pin janitor failed: " + e.getMessage());
        }
    }

    private void udpLoop(DatagramSocket socket) {
        byte[] buf = new byte[65535];
        while (running) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (IOException e) {
                if (!running || socket.isClosed()) {
                    return;
                }
                continue;
            }
            byte[] query = java.util.Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
            var client = p.getSocketAddress();
            if (!inflight.tryAcquire()) {
                dropped.incrementAndGet();
                continue;
            }
            Thread.startVirtualThread(() -> {
                try {
                    byte[] reply = answer(query, false);
                    if (reply != null) {
                        socket.send(new DatagramPacket(reply, reply.length, client));
                    }
                } catch (IOException | RuntimeException e) {
                    // the client is gone or the reply could not be built: it retries
                } finally {
                    inflight.release();
                }
            });
        }
    }

    private void tcpLoop(ServerSocket server) {
        while (running) {
            final Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!running || server.isClosed()) {
                    return;
                }
                continue;
            }
            if (!tcpConnections.tryAcquire()) {
                dropped.incrementAndGet();
                closeQuietly(s);
                continue;
            }
            Thread.startVirtualThread(() -> {
                try (s) {
                    s.setSoTimeout((int) TCP_IDLE.toMillis());
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    while (running) {
                        byte[] query = readFrame(in);
                        if (query == null) {
                            return;
                        }
                        if (!inflight.tryAcquire(UPSTREAM_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                            dropped.incrementAndGet();
                            return;
                        }
                        byte[] reply;
                        try {
                            reply = answer(query, true);
                        } finally {
                            inflight.release();
                        }
                        if (reply == null) {
                            return;
                        }
                        out.writeShort(reply.length);
                        out.write(reply);
                        out.flush();
                    }
                } catch (IOException | RuntimeException e) {
                    // idle, gone or garbage: close the connection
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    tcpConnections.release();
                }
            });
        }
    }

    private static byte[] readFrame(DataInputStream in) throws IOException {
        int len;
        try {
            len = in.readUnsignedShort();
        } catch (EOFException e) {
            return null;
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return b;
    }

    /** What to do with a query from the sandbox, decided without any I/O. */
    public sealed interface Inspected {
        /** Answer at once with {@code bytes} (FORMERR, NOTIMP). */
        record Reply(byte[] bytes, int rcode) implements Inspected {}

        /** Not even a DNS query: no answer. */
        record Drop() implements Inspected {}

        /** A well-formed query for one IN question: forward it. */
        record Forward(Message query) implements Inspected {}
    }

    /** Where {@link #complete} pins: {@link DnsPins#pin(String, InetAddress, long)}. */
    public interface Pinner {
        boolean pin(String name, InetAddress address, long ttlSeconds);
    }

    /** The reply for the sandbox and how many addresses it pinned; {@code rcode} SERVFAIL when refused. */
    public record Completed(byte[] bytes, int pinned, boolean servfail, String problem) {}

    /**
     * The reply to one query from the sandbox, or null to drop it (not even a DNS header, or a
     * response sent to us). Never throws for what the sandbox sends.
     */
    byte[] answer(byte[] query, boolean tcp) {
        queries.incrementAndGet();
        Inspected inspected = inspect(query);
        Message q;
        switch (inspected) {
            case Inspected.Drop d -> {
                dropped.incrementAndGet();
                return null;
            }
            case Inspected.Reply r -> {
                if (r.rcode() == Rcode.FORMERR) {
                    formerr.incrementAndGet();
                }
                return r.bytes();
            }
            case Inspected.Forward f -> q = f.query();
        }
        byte[] raw;
        try {
            raw = tcp ? forwardTcp(query) : forwardUdp(query, q.getHeader().getID());
        } catch (IOException e) {
            servfail.incrementAndGet();
            return error(q, Rcode.SERVFAIL);
        }
        Completed c = complete(q, raw, pins::pin, failClosed.getAsBoolean());
        if (c.problem() != null) {
            err.println("tether: " + c.problem());
        }
        pinned.addAndGet(c.pinned());
        if (c.servfail()) {
            servfail.incrementAndGet();
        } else {
            answered.incrementAndGet();
        }
        return c.bytes();
    }

    /**
     * Classifies bytes from the sandbox: FORMERR for what does not parse or is not one IN
     * question (a header-only reply when even the question cannot be read), NOTIMP for other
     * opcodes, nothing for fewer than 12 bytes or a response; else the query to forward.
     */
    public static Inspected inspect(byte[] query) {
        if (query.length < 12) {
            return new Inspected.Drop();
        }
        Message q;
        try {
            q = new Message(query);
        } catch (IOException | RuntimeException e) {
            return new Inspected.Reply(headerOnly(query, Rcode.FORMERR), Rcode.FORMERR);
        }
        if (q.getHeader().getFlag(Flags.QR)) {
            return new Inspected.Drop();
        }
        if (q.getHeader().getOpcode() != Opcode.QUERY) {
            return new Inspected.Reply(error(q, Rcode.NOTIMP), Rcode.NOTIMP);
        }
        Record question = q.getQuestion();
        if (q.getHeader().getCount(Section.QUESTION) != 1 || question == null || question.getDClass() != DClass.IN
                || q.getHeader().getCount(Section.ANSWER) != 0) {
            return new Inspected.Reply(error(q, Rcode.FORMERR), Rcode.FORMERR);
        }
        return new Inspected.Forward(q);
    }

    /**
     * The reply for {@code q} given the upstream's {@code raw} answer: the answer unchanged once
     * every A/AAAA record of the queried name's CNAME chain is pinned; SERVFAIL when the answer
     * does not parse, does not match the query, or (with {@code failClosed}) a pin was refused.
     */
    public static Completed complete(Message q, byte[] raw, Pinner pins, boolean failClosed) {
        Record question = q.getQuestion();
        Message r;
        try {
            r = new Message(raw);
        } catch (IOException | RuntimeException e) {
            return new Completed(error(q, Rcode.SERVFAIL), 0, true, null);
        }
        Record rq = r.getQuestion();
        if (r.getHeader().getID() != q.getHeader().getID() || !r.getHeader().getFlag(Flags.QR) || rq == null
                || !rq.getName().equals(question.getName()) || rq.getType() != question.getType()) {
            return new Completed(error(q, Rcode.SERVFAIL), 0, true, null);
        }
        Name qname = question.getName();
        String name = qname.toString(true);
        int count = 0;
        String problem = null;
        for (Record rec : chainAddresses(qname, r)) {
            InetAddress address = rec instanceof ARecord a ? a.getAddress() : ((AAAARecord) rec).getAddress();
            boolean ok;
            try {
                ok = pins.pin(name, address, rec.getTTL());
            } catch (RuntimeException e) {
                ok = false;
            }
            if (!ok) {
                if (failClosed) {
                    return new Completed(error(q, Rcode.SERVFAIL), count, true, "could not pin " + address.getHostAddress()
                            + " for " + name + " in the kernel guard; answering SERVFAIL");
                }
                problem = "could not pin " + address.getHostAddress() + " for " + name
                        + " in the kernel guard; not enforcing, so the answer goes through";
                continue;
            }
            count++;
        }
        return new Completed(raw, count, false, problem);
    }

    /** The A/AAAA records of the answer section owned by {@code qname} or a name its CNAME chain reaches. */
    public static List<Record> chainAddresses(Name qname, Message r) {
        List<Record> answers = r.getSection(Section.ANSWER);
        Set<Name> chain = new HashSet<>();
        chain.add(qname);
        for (int round = 0; round < 16; round++) {
            boolean grew = false;
            for (Record rec : answers) {
                if (rec instanceof CNAMERecord c && chain.contains(c.getName()) && chain.add(c.getTarget())) {
                    grew = true;
                }
            }
            if (!grew) {
                break;
            }
        }
        List<Record> out = new ArrayList<>();
        for (Record rec : answers) {
            if ((rec instanceof ARecord || rec instanceof AAAARecord) && chain.contains(rec.getName())) {
                out.add(rec);
            }
        }
        return out;
    }

    private byte[] forwardUdp(byte[] query, int id) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(upstream);
            s.setSoTimeout((int) UPSTREAM_TIMEOUT.toMillis());
            byte[] buf = new byte[65535];
            for (int attempt = 0; attempt < UPSTREAM_TRIES; attempt++) {
                s.send(new DatagramPacket(query, query.length));
                long deadline = System.nanoTime() + UPSTREAM_TIMEOUT.toNanos();
                while (System.nanoTime() < deadline) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        s.receive(p);
                    } catch (SocketTimeoutException e) {
                        break;
                    }
                    if (p.getLength() >= 2 && ((buf[0] & 0xff) << 8 | (buf[1] & 0xff)) == id) {
                        return java.util.Arrays.copyOf(buf, p.getLength());
                    }
                }
            }
            throw new SocketTimeoutException("no answer from " + upstream);
        }
    }

    private byte[] forwardTcp(byte[] query) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(upstream, (int) UPSTREAM_TIMEOUT.toMillis());
            s.setSoTimeout((int) UPSTREAM_TIMEOUT.toMillis() * UPSTREAM_TRIES);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeShort(query.length);
            out.write(query);
            out.flush();
            byte[] r = readFrame(new DataInputStream(s.getInputStream()));
            if (r == null) {
                throw new EOFException("upstream closed the connection");
            }
            return r;
        }
    }

    private static byte[] error(Message q, int rcode) {
        Message m = new Message(q.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setOpcode(q.getHeader().getOpcode());
        if (q.getHeader().getFlag(Flags.RD)) {
            m.getHeader().setFlag(Flags.RD);
        }
        m.getHeader().setFlag(Flags.RA);
        m.getHeader().setRcode(rcode);
        Record question = q.getQuestion();
        if (question != null && q.getHeader().getCount(Section.QUESTION) == 1) {
            m.addRecord(question, Section.QUESTION);
        }
        return m.toWire();
    }

    /** A header-only reply for a query that does not parse: its id and opcode, QR set, no sections. */
    private static byte[] headerOnly(byte[] query, int rcode) {
        byte[] b = new byte[12];
        b[0] = query[0];
        b[1] = query[1];
        b[2] = (byte) (0x80 | (query[2] & 0x78)); // QR, the query's opcode
        b[3] = (byte) (rcode & 0x0f);
        return b;
    }

    /**
     * Where the forwarder sends queries: {@code TETHER_DNS_UPSTREAM} (ip or ip:port, [v6]:port)
     * or the first nameserver of {@code resolvConf} (loopback included: the forwarder runs on the
     * host), port 53.
     */
    public static Optional<InetSocketAddress> upstream(Map<String, String> env, Path resolvConf) {
        String given = env.get("TETHER_DNS_UPSTREAM");
        if (given != null && !given.isBlank()) {
            return Optional.of(parseHostPort(given.strip()));
        }
        try {
            for (String line : Files.readAllLines(resolvConf)) {
                String[] f = line.strip().split("\\s+");
                if (f.length >= 2 && f[0].equals("nameserver")) {
                    try {
                        return Optional.of(new InetSocketAddress(InetAddress.ofLiteral(f[1].replaceFirst("%.*$", "")), 53));
                    } catch (IllegalArgumentException e) {
                        // not a literal: skip
                    }
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    static InetSocketAddress parseHostPort(String s) {
        String host = s;
        int port = 53;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("TETHER_DNS_UPSTREAM: no closing ']' in " + s);
            }
            host = s.substring(1, end);
            if (s.length() > end + 1) {
                if (s.charAt(end + 1) != ':') {
                    throw new IllegalArgumentException("TETHER_DNS_UPSTREAM: expected [ip]:port, got " + s);
                }
                port = Integer.parseInt(s.substring(end + 2));
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            host = s.substring(0, s.indexOf(':'));
            port = Integer.parseInt(s.substring(s.indexOf(':') + 1));
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("TETHER_DNS_UPSTREAM: port out of range in " + s);
        }
        return new InetSocketAddress(InetAddress.ofLiteral(host), port);
    }

    private void closeSockets() {
        for (DatagramSocket d : udp) {
            d.close();
        }
        for (ServerSocket s : tcp) {
            closeQuietly(s);
        }
        udp.clear();
        tcp.clear();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing
        }
    }

    /** Stops answering and removes every pin. */
    @Override
    public void close() {
        running = false;
        janitor.shutdownNow();
        closeSockets();
        pins.clear();
    }
}
