package dev.tether.fuzz.dns;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.cli.session.SessionDns;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
 * Answers the session DNS forwarder gets from upstream (which the sandbox can steer through names
 * it controls): either they go back unchanged only after every address of the queried name's CNAME
 * chain was pinned, for the name asked and no other, or they become SERVFAIL. Never an exception.
 */
class DnsAnswerFuzzTest {
    private static final String[] NAMES = {"q.test.", "c1.test.", "c2.test.", "other.test.", "Q.TEST."};

    @FuzzTest
    void answerFromUpstream(FuzzedDataProvider data) throws Exception {
        Name qname = Name.fromString(NAMES[0]);
        int type = data.consumeBoolean() ? Type.A : Type.AAAA;
        Message q = Message.newQuery(Record.newRecord(qname, type, DClass.IN));
        boolean failClosed = data.consumeBoolean();
        byte[] raw;
        if (data.consumeBoolean()) {
            // Raw bytes with the query's id: the parser's robustness.
            raw = data.consumeBytes(2048);
            if (raw.length >= 2) {
                raw[0] = (byte) (q.getHeader().getID() >> 8);
                raw[1] = (byte) q.getHeader().getID();
            }
        } else {
            Message r = new Message(q.getHeader().getID());
            r.getHeader().setFlag(Flags.QR);
            r.addRecord(q.getQuestion(), Section.QUESTION);
            int n = data.consumeInt(0, 12);
            for (int k = 0; k < n; k++) {
                Name owner = Name.fromString(NAMES[data.consumeInt(0, NAMES.length - 1)]);
                long ttl = data.consumeLong(0, 0x7fffffffL);
                switch (data.consumeInt(0, 2)) {
                    case 0 -> {
                        byte[] b = data.consumeBytes(4);
                        r.addRecord(new ARecord(owner, DClass.IN, ttl,
                                InetAddress.getByAddress(b.length == 4 ? b : new byte[] {10, 0, 0, (byte) k})), Section.ANSWER);
                    }
                    case 1 -> r.addRecord(new AAAARecord(owner, DClass.IN, ttl,
                            InetAddress.getByAddress(new byte[] {0x20, 1, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) k})), Section.ANSWER);
                    default -> r.addRecord(new CNAMERecord(owner, DClass.IN, ttl,
                            Name.fromString(NAMES[data.consumeInt(0, NAMES.length - 1)])), Section.ANSWER);
                }
            }
            raw = r.toWire();
        }
        Set<InetAddress> refused = new HashSet<>();
        boolean refuseSome = data.consumeBoolean();
        List<String> pinnedNames = new ArrayList<>();
        Set<InetAddress> pinned = new HashSet<>();
        SessionDns.Completed c = SessionDns.complete(q, raw, (name, address, ttl) -> {
            assertThat(ttl).isBetween(0L, 0xffffffffL);
            if (refuseSome && (address.getAddress()[address.getAddress().length - 1] & 1) == 1) {
                refused.add(address);
                return false;
            }
            pinnedNames.add(name);
            pinned.add(address);
            return true;
        }, failClosed);
        Message reply = new Message(c.bytes());
        assertThat(reply.getHeader().getID()).isEqualTo(q.getHeader().getID());
        // Pins are always for the name asked, never for a CNAME target or a stray owner.
        assertThat(pinnedNames).allMatch(n -> n.equals("q.test"));
        if (c.servfail()) {
            assertThat(reply.getRcode()).isEqualTo(Rcode.SERVFAIL);
            assertThat(reply.getSection(Section.ANSWER)).isEmpty();
            return;
        }
        assertThat(c.bytes()).isEqualTo(raw);
        if (failClosed) {
            assertThat(refused).isEmpty();
        }
        // Every address the sandbox can take for the name (its CNAME chain, computed here afresh) is pinned.
        Set<Name> chain = new HashSet<>(List.of(qname));
        List<Record> answers = reply.getSection(Section.ANSWER);
        for (boolean grew = true; grew; ) {
            grew = false;
            for (Record rec : answers) {
                if (rec instanceof CNAMERecord cn && chain.contains(cn.getName())) {
                    grew |= chain.add(cn.getTarget());
                }
            }
        }
        for (Record rec : answers) {
            InetAddress a = rec instanceof ARecord ar ? ar.getAddress() : rec instanceof AAAARecord a6 ? a6.getAddress() : null;
            if (a != null && chain.contains(rec.getName()) && !refused.contains(a)) {
                assertThat(pinned).as("%s in the chain of %s", a, qname).contains(a);
            }
        }
    }
}
