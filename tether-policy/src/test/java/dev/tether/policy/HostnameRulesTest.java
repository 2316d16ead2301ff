package dev.tether.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rule list a hostname-bound connection gets (what DNS-aware pinning loads into the kernel)
 * must decide exactly as {@link PolicySnapshot#decide} does for that name and address, on every
 * port and both transports.
 */
class HostnameRulesTest {
    private static final Principal WHO = new Principal("claude", "s1");

    private static PolicySnapshot load(String text) {
        LoadResult r = PolicyLoader.parse(text, "hostname-rules.cedar");
        assertThat(r).isInstanceOf(LoadResult.Loaded.class);
        return ((LoadResult.Loaded) r).snapshot();
    }

    private static void assertExact(PolicySnapshot s, String host, String ip) throws Exception {
        InetAddress a = InetAddress.getByName(ip);
        List<NetworkRules.Rule> rules = s.networkRules(WHO, host, a);
        for (Transport t : Transport.values()) {
            for (int port = 0; port <= 65535; port++) {
                boolean expected = s.decide(new NetworkRequest(WHO, host, a, port, t)).allowed();
                boolean permitted = false;
                boolean forbidden = false;
                for (NetworkRules.Rule r : rules) {
                    if (r.matches(port, t)) {
                        if (r.effect() == NetworkRules.Effect.FORBID) {
                            forbidden = true;
                        } else {
                            permitted = true;
                        }
                    }
                }
                assertThat(permitted && !forbidden).as("%s (%s) port %d %s", host, ip, port, t).isEqualTo(expected);
            }
        }
    }

    @Test
    void exactForNamesPortsWildcardsAndAddressStatements() throws Exception {
        PolicySnapshot s = load("""
                permit (principal, action == Action::"NetworkConnect", resource in Host::"db.example.com:5432");
                permit (principal, action == Action::"NetworkConnect", resource in Host::"*.corp.example")
                when { context.port >= 8000 && context.port < 9000 && context.protocol == "tcp" };
                forbid (principal, action == Action::"NetworkConnect", resource in Net::"10.9.0.0/16")
                when { context.port == 8443 };
                permit (principal, action == Action::"NetworkConnect", resource in DnsZone::"zone.test");
                forbid (principal, action == Action::"NetworkConnect", resource in Host::"bad.zone.test");
                """);
        assertExact(s, "db.example.com", "10.1.2.3");
        assertExact(s, "api.corp.example", "10.9.1.1");
        assertExact(s, "corp.example", "10.9.1.1");
        assertExact(s, "zone.test", "192.0.2.1");
        assertExact(s, "bad.zone.test", "192.0.2.1");
        assertExact(s, "other.test", "2001:db8::1");
    }
}
