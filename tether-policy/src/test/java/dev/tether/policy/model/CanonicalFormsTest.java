package dev.tether.policy.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Canonical spellings decide which policy ids can ever match, so they are pinned here rather
 * than only through the differential test (where engine and reference share them).
 */
class CanonicalFormsTest {
    @ParameterizedTest
    @CsvSource({
        "2001:db8:0:0:0:0:0:1, 2001:db8::1",
        "0:0:0:0:0:0:0:0, ::",
        "0:0:0:0:0:0:0:1, ::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1", // first of two equal runs
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1", // a single zero group stays
        "1:0:0:2:0:0:0:3, 1:0:0:2::3", // the longest run wins
        "FD00:0:0:0:0:0:0:ABCD, fd00::abcd",
        "fe80:0:0:0:0:0:0:0, fe80::",
    })
    void ipv6IsRfc5952(String in, String canonical) {
        assertThat(Ips.format(InetAddress.ofLiteral(in))).isEqualTo(canonical);
    }

    @Test
    void ipLiteralsNeverResolveNamesAndRejectOddForms() {
        assertThat(Ips.parse("10.1.2.3")).isNotNull();
        assertThat(Ips.parse("localhost")).isNull();
        assertThat(Ips.parse("10.1.2")).isNull();
        assertThat(Ips.parse("10.1.2.3.4")).isNull();
        assertThat(Ips.parse("::1%eth0")).isNull();
        assertThat(Ips.parse("[::1]")).isNull();
        assertThat(Ips.unmap(Ips.parse("::ffff:10.1.2.3")).getAddress()).hasSize(4);
        assertThat(Ips.format(Ips.mask(InetAddress.ofLiteral("10.1.2.3"), 12))).isEqualTo("10.0.0.0");
        assertThat(Ips.format(Ips.mask(InetAddress.ofLiteral("2001:db8:abcd::1"), 36))).isEqualTo("2001:db8:a000::");
    }

    @ParameterizedTest
    @CsvSource({
        "example.com, Name",
        "example.com:443, NamePort",
        "*.example.com, Wildcard",
        "*.example.com:8443, WildcardPort",
        "10.1.2.3, Ip",
        "10.1.2.3:5432, IpPort",
        "::1, Ip",
        "[::1]:8080, IpPort",
        "Example.com, Invalid",
        "example.com., Invalid",
        "example.com:0, Invalid",
        "example.com:65536, Invalid",
        "example.com:080, Invalid",
        "a.*.com, Invalid",
        "[::1], Invalid",
        "::ffff:10.1.2.3, Invalid",
        "010.1.2.3, Invalid",
        "'', Invalid",
    })
    void hostIds(String id, String kind) {
        assertThat(HostNames.parseHost(id).getClass().getSimpleName()).isEqualTo(kind);
    }

    @Test
    void invalidHostsSuggestTheCanonicalSpelling() {
        assertThat(((HostId.Invalid) HostNames.parseHost("API.Example.COM")).suggestion()).isEqualTo("api.example.com");
        assertThat(((HostId.Invalid) HostNames.parseHost("[::1]")).suggestion()).isEqualTo("::1");
        assertThat(((HostId.Invalid) HostNames.parseHost("::ffff:10.1.2.3")).suggestion()).isEqualTo("10.1.2.3");
        assertThat(((HostId.Invalid) HostNames.parseHost("[2001:DB8::1]:443")).suggestion()).isEqualTo("[2001:db8::1]:443");
    }

    @Test
    void cidrs() {
        assertThat(HostNames.isCanonicalCidr("10.0.0.0/8")).isTrue();
        assertThat(HostNames.isCanonicalCidr("10.1.0.0/8")).isFalse();
        assertThat(HostNames.isCanonicalCidr("0.0.0.0/0")).isTrue();
        assertThat(HostNames.isCanonicalCidr("10.0.0.0/33")).isFalse();
        assertThat(HostNames.isCanonicalCidr("10.0.0.0/08")).isFalse();
        assertThat(HostNames.isCanonicalCidr("fd00::/8")).isTrue();
        assertThat(HostNames.isCanonicalCidr("FD00::/8")).isFalse();
        assertThat(HostNames.isCanonicalCidr("::/0")).isTrue();
        assertThat(HostNames.isCanonicalCidr("::ffff:0:0/96")).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "/, /",
        "/a/b, /a/b",
        "/a/b/, /a/b",
        "//a///b, /a/b",
        "/a/./b/., /a/b",
        "/a/../../b, /b",
        "/.., /",
        "/a/.b/..c, /a/.b/..c",
    })
    void pathNormalisation(String in, String out) {
        assertThat(PathNames.normalise(in)).isEqualTo(out);
    }

    @Test
    void pathIdsAndTheirAncestors() {
        assertThat(PathNames.normalise("a/b")).isNull();
        assertThat(PathNames.isCanonicalDir("/srv/")).isTrue();
        assertThat(PathNames.isCanonicalDir("/srv")).isTrue();
        assertThat(PathNames.isCanonicalDir("/srv//")).isFalse();
        assertThat(PathNames.isCanonicalDir("/a/../b/")).isFalse();
        assertThat(PathNames.isCanonicalFile("/srv/")).isFalse();
        assertThat(PathNames.dirAncestors("/srv/x")).containsExactly("/", "/srv", "/srv/", "/srv/x", "/srv/x/");
        assertThat(PathNames.dirAncestors("/")).containsExactly("/");
    }
}
