package dev.tether.proxy.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
    @TempDir Path tmp;

    @Test
    void keyIsOwnerOnlyAndTheCaSurvivesAReopen() throws Exception {
        Path dir = tmp.resolve("ca");
        CertificateAuthority ca = CertificateAuthority.openOrCreate(dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(Files.readString(ca.certificatePath())).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(ca.certificate().getBasicConstraints()).isZero();
        CertificateAuthority again = CertificateAuthority.openOrCreate(dir);
        assertThat(again.certificate()).isEqualTo(ca.certificate());
    }

    @Test
    void refusesAKeyOthersCanRead() throws Exception {
        Path dir = tmp.resolve("ca");
        CertificateAuthority.openOrCreate(dir);
        Files.setPosixFilePermissions(dir.resolve("ca.key"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> CertificateAuthority.openOrCreate(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("ca.key").hasMessageContaining("chmod 600");
    }

    @Test
    void leavesAreSignedByTheCaForExactlyTheirHostAndCached() throws Exception {
        CertificateAuthority ca = CertificateAuthority.openOrCreate(tmp.resolve("ca"));
        X509Certificate leaf = ca.leafFor("api.example.com");
        leaf.verify(ca.certificate().getPublicKey());
        leaf.checkValidity();
        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(2, "api.example.com"));
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(ca.leafFor("api.example.com")).isSameAs(leaf);
        assertThat(ca.leafFor("10.1.2.3").getSubjectAlternativeNames()).containsExactly(List.of(7, "10.1.2.3"));
        assertThat(ca.leafFor("::1").getSubjectAlternativeNames().iterator().next().get(0)).isEqualTo(7);
    }
}
