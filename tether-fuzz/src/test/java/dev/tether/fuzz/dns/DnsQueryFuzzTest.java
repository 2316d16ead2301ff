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
 * Queries the session DNS forwarder reads from the sandbox: any bytes are dropped (no header, or a
 * response), refused with a reply carrying the query's id (FORMERR, NOTIMP), or forwarded as one
 * IN question. Never an exception.
 */
class DnsQueryFuzzTest {
    @FuzzTest
    void queryFromTheSandbox(byte[] input) throws Exception {
        SessionDns.Inspected i = SessionDns.inspect(input);
        switch (i) {
            case SessionDns.Inspected.Drop d -> assertThat(input.length < 12 || (input[2] & 0x80) != 0).isTrue();
            case SessionDns.Inspected.Reply r -> {
                Message m = new Message(r.bytes());
                assertThat(m.getHeader().getID()).isEqualTo((input[0] & 0xff) << 8 | (input[1] & 0xff));
                assertThat(m.getHeader().getFlag(Flags.QR)).isTrue();
                assertThat(m.getRcode()).isEqualTo(r.rcode()).isIn(Rcode.FORMERR, Rcode.NOTIMP);
            }
            case SessionDns.Inspected.Forward f -> {
                assertThat(f.query().getQuestion()).isNotNull();
                assertThat(f.query().getQuestion().getDClass()).isEqualTo(DClass.IN);
                assertThat(f.query().getHeader().getFlag(Flags.QR)).isFalse();
            }
        }
    }
}
