package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.proxy.event.HttpExchangeEvent;
import dev.tether.proxy.secret.SecretRedactor;
import dev.tether.proxy.secret.SecretResolver;
import dev.tether.proxy.testing.Cmd;
import dev.tether.proxy.testing.Origin;
import dev.tether.proxy.testing.RecordingSink;
import dev.tether.proxy.testing.RuleDecisions;
import dev.tether.proxy.transparent.SoOriginalDestination;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Transparent interception for real: a network namespace (the "sandbox") behind a veth pair, an
 * nft REDIRECT of its TCP 80/443 to the proxy's transparent listener in the host namespace, and
 * the original destination read back with SO_ORIGINAL_DST. curl and Node's fetch run inside the
 * namespace with no proxy settings at all, trusting only tether's CA.
 */
@Tag("root")
class TransparentProxyTest {
    static final String HOST_IP = "169.254.77.1";
    static final String SANDBOX_IP = "169.254.77.2";
    static final String NS = "tether-pt-" + ProcessHandle.current().pid();
    static final String VETH_HOST = "tpth" + (ProcessHandle.current().pid() % 100000);
    static final String VETH_NS = "tpts" + (ProcessHandle.current().pid() % 100000);
    static final String NFT_TABLE = "tether_proxy_test_" + ProcessHandle.current().pid();

    static Path dir;
    static Origin https;
    static Origin http;
    static TetherProxy proxy;
    static CertificateAuthority tetherCa;
    static final RuleDecisions rules = new RuleDecisions();
    static final RecordingSink sink = new RecordingSink();
    static boolean netnsUp;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "transparent interception test needs root (netns, nft)");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nft")) && Files.isExecutable(Path.of("/usr/sbin/ip")),
                "nft or ip (iproute2) is not installed");
        dir = Files.createTempDirectory("tether-transparent");
        tetherCa = CertificateAuthority.openOrCreate(dir.resolve("tether-ca"));
        CertificateAuthority publicCa = CertificateAuthority.openOrCreate(dir.resolve("public-ca"));
        https = Origin.https(publicCa, "allowed.test", "denied.test", HOST_IP);
        http = Origin.http();
        rules.permitHost("p-allowed", "allowed.test");

        sh("ip", "netns", "add", NS);
        netnsUp = true;
        sh("ip", "link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS);
        sh("ip", "link", "set", VETH_NS, "netns", NS);
        sh("ip", "addr", "add", HOST_IP + "/30", "dev", VETH_HOST);
        sh("ip", "link", "set", VETH_HOST, "up");
        sh("ip", "netns", "exec", NS, "ip", "addr", "add", SANDBOX_IP + "/30", "dev", VETH_NS);
        sh("ip", "netns", "exec", NS, "ip", "link", "set", VETH_NS, "up");
        sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up");
        // names resolve, inside the sandbox only, to the host side of the veth (nothing leaves the machine)
        Path hosts = Path.of("/etc/netns", NS, "hosts");
        Files.createDirectories(hosts.getParent());
        Files.writeString(hosts, "127.0.0.1 localhost\n" + HOST_IP + " allowed.test denied.test\n");

        ProxyConfig cfg = new ProxyConfig(null, new InetSocketAddress(HOST_IP, 0), new SoOriginalDestination(),
                (host, port) -> new InetSocketAddress("127.0.0.1", port == 443 ? https.port() : http.port()),
                List.of(publicCa.certificate()), Duration.ofSeconds(5), Duration.ofSeconds(10), 64 << 20, 2);
        proxy = TetherProxy.start(cfg, tetherCa, rules, sink, new SecretResolver(Map.of(), Map.of(), new SecretRedactor()));
        int port = proxy.transparentAddress().getPort();
        Path nft = dir.resolve("rules.nft");
        Files.writeString(nft, "table ip " + NFT_TABLE + " {\n chain prerouting {\n  type nat hook prerouting priority dstnat; policy accept;\n"
                + "  iifname \"" + VETH_HOST + "\" tcp dport { 80, 443 } redirect to :" + port + "\n }\n}\n");
        sh("nft", "-f", nft.toString());
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (proxy != null) proxy.close();
        if (https != null) https.close();
        if (http != null) http.close();
        Cmd.run(List.of("nft", "delete", "table", "ip", NFT_TABLE), Map.of(), 10);
        if (netnsUp) {
            Cmd.run(List.of("ip", "link", "del", VETH_HOST), Map.of(), 10);
            Cmd.run(List.of("ip", "netns", "del", NS), Map.of(), 10);
            Cmd.run(List.of("rm", "-rf", "/etc/netns/" + NS), Map.of(), 10);
        }
    }

    static void sh(String... argv) throws Exception {
        Cmd.Result r = Cmd.run(List.of(argv), Map.of(), 30);
        if (r.exit() != 0) throw new IllegalStateException(String.join(" ", argv) + " failed: " + r.err());
    }

    static Cmd.Result inSandbox(Map<String, String> env, String... argv) throws Exception {
        List<String> a = new ArrayList<>(List.of("ip", "netns", "exec", NS));
        a.addAll(List.of(argv));
        return Cmd.run(a, env, 60);
    }

    @Test
    void curlOverHttpsIsInterceptedDecidedAndTrusted() throws Exception {
        Cmd.Result ok = inSandbox(Map.of(), "curl", "-sS", "--max-time", "20", "--cacert", tetherCa.certificatePath().toString(),
                "-w", "\n%{http_code} %{ssl_verify_result}", "https://allowed.test/t1");
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("hello from allowed.test GET /t1").endsWith("200 0");
        HttpExchangeEvent e = sink.exchange(x -> x.path().equals("/t1"));
        assertThat(e.originalDestination()).isEqualTo(HOST_IP + ":443");
        assertThat(e.client()).startsWith(SANDBOX_IP + ":");

        Cmd.Result denied = inSandbox(Map.of(), "curl", "-sS", "--max-time", "20", "--cacert", tetherCa.certificatePath().toString(),
                "-w", "\n%{http_code}", "https://denied.test/t2");
        assertThat(denied.out()).contains("denied by policy").contains("no permit matched denied.test").endsWith("403");
    }

    @Test
    void plainHttpIsDecidedByItsHostHeader() throws Exception {
        Cmd.Result ok = inSandbox(Map.of(), "curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}", "http://allowed.test/t3");
        assertThat(ok.out()).contains("GET /t3").endsWith("200");
        Cmd.Result denied = inSandbox(Map.of(), "curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}", "http://denied.test/t4");
        assertThat(denied.out()).endsWith("403");
        assertThat(sink.exchange(x -> x.path().equals("/t3")).originalDestination()).isEqualTo(HOST_IP + ":80");
    }

    @Test
    void nodeFetchWorksUnchangedInsideTheSandbox() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/node")), "node is not installed at /usr/bin/node");
        String js = "fetch('https://allowed.test/node').then(async r => console.log(r.status, await r.text()))"
                + ".catch(e => { console.log('ERR', e.cause ? e.cause.code : e.message); process.exit(3); })";
        Cmd.Result r = inSandbox(Map.of("NODE_EXTRA_CA_CERTS", tetherCa.certificatePath().toString()), "node", "-e", js);
        assertThat(r.out()).as(r.err()).startsWith("200 hello from allowed.test GET /node");
        // without tether's CA Node refuses the interception
        Cmd.Result untrusted = inSandbox(Map.of(), "node", "-e", js);
        assertThat(untrusted.out()).startsWith("ERR");
    }
}
