package dev.tether.proxy.ca;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * tether's certificate authority: an ECDSA P-256 CA whose private key lives outside the sandbox
 * (in tether's data dir, file mode 0600, directory 0700) and whose certificate is installed inside
 * it, plus per-host leaf certificates minted on demand and cached.
 *
 * <p>All leaves share one key pair generated in memory when the CA is opened: a leaf then costs one
 * ECDSA signature (tens of microseconds) instead of a key generation, which is what keeps the first
 * handshake to a new host within a few milliseconds. The shared leaf key never touches disk.
 */
public final class CertificateAuthority {
    public static final String KEY_FILE = "ca.key";
    public static final String CERT_FILE = "ca.crt";
    private static final int MAX_CACHED_LEAVES = 4096;
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration LEAF_VALIDITY = Duration.ofDays(30);
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private final X509Certificate caCert;
    private final PrivateKey caKey;
    private final Path certificatePath;
    /** The key every leaf certifies, made on first use: a session that never intercepts TLS never pays for it. */
    private volatile LeafKey leafKey;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<String, CompletableFuture<X509Certificate>> leaves = new ConcurrentHashMap<>();
    // Constant for every leaf: computed once, not per mint.
    private final org.bouncycastle.asn1.x509.AuthorityKeyIdentifier authorityKeyId;
    private final JcaX509CertificateConverter converter = new JcaX509CertificateConverter();

    private CertificateAuthority(X509Certificate caCert, PrivateKey caKey, Path certificatePath) throws GeneralSecurityException {
        this.caCert = caCert;
        this.caKey = caKey;
        this.certificatePath = certificatePath;
        try {
            this.authorityKeyId = new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCert);
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private record LeafKey(KeyPair keys, org.bouncycastle.asn1.x509.SubjectKeyIdentifier id) {}

    /** An EC key pair took ~40 ms of cold start-up CPU on the session's main thread; now the first mint pays it. */
    private LeafKey leafKey() {
        LeafKey k = leafKey;
        if (k == null) {
            synchronized (this) {
                k = leafKey;
                if (k == null) {
                    try {
                        KeyPair keys = newEcKeyPair();
                        k = new LeafKey(keys, new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
                    } catch (GeneralSecurityException e) {
                        throw new IllegalStateException("cannot create the leaf key: " + e.getMessage(), e);
                    }
                    leafKey = k;
                }
            }
        }
        return k;
    }

    /**
     * Opens the CA in {@code dir}, creating it on first use. Refuses a key file that group or
     * others can access (the key signs certificates the sandbox trusts).
     */
    public static CertificateAuthority openOrCreate(Path dir) throws IOException {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
            Path keyFile = dir.resolve(KEY_FILE);
            Path certFile = dir.resolve(CERT_FILE);
            if (Files.exists(keyFile) && Files.exists(certFile)) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(keyFile);
                if (!OWNER_ONLY_FILE.containsAll(perms)) {
                    throw new IOException("CA key " + keyFile + " has mode "
                            + PosixFilePermissions.toString(perms) + "; it must be rw------- (chmod 600)");
                }
                return new CertificateAuthority(readCert(certFile), readKey(keyFile), certFile);
            }
            KeyPair ca = newEcKeyPair();
            X509Certificate cert = selfSign(ca);
            writeAtomically(keyFile, toPem(new JcaPKCS8Generator(ca.getPrivate(), null)), OWNER_ONLY_FILE);
            writeAtomically(certFile, toPem(cert), PosixFilePermissions.fromString("rw-r--r--"));
            return new CertificateAuthority(cert, ca.getPrivate(), certFile);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot create or open the CA in " + dir + ": " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return caCert;
    }

    /** The public CA certificate file, to install in the sandbox's trust store. */
    public Path certificatePath() {
        return certificatePath;
    }

    public String certificatePem() {
        return toPem(caCert);
    }

    public PrivateKey leafPrivateKey() {
        return leafKey().keys().getPrivate();
    }

    /** A leaf for {@code host} (DNS name or IP literal), minted on first use and cached. */
    public X509Certificate leafFor(String host) {
        return cached(host, null).join();
    }

    /**
     * Starts minting {@code host}'s leaf on {@code executor} unless it is cached or under way, so
     * the signature overlaps other work (the upstream handshake) instead of adding to it.
     */
    public void prefetch(String host, Executor executor) {
        cached(host, executor);
    }

    private CompletableFuture<X509Certificate> cached(String host, Executor executor) {
        CompletableFuture<X509Certificate> f = leaves.get(host);
        if (f != null && (!f.isDone() || fresh(f))) return f;
        if (leaves.size() >= MAX_CACHED_LEAVES) leaves.clear();
        CompletableFuture<X509Certificate> mine = new CompletableFuture<>();
        CompletableFuture<X509Certificate> prev = f == null ? leaves.putIfAbsent(host, mine)
                : leaves.replace(host, f, mine) ? null : leaves.get(host);
        if (prev != null) return prev;
        Runnable mint = () -> {
            try {
                mine.complete(mint(host));
            } catch (RuntimeException e) {
                leaves.remove(host, mine);
                mine.completeExceptionally(e);
            }
        };
        if (executor == null) mint.run();
        else executor.execute(mint);
        return mine;
    }

    private static boolean fresh(CompletableFuture<X509Certificate> f) {
        X509Certificate c = f.getNow(null);
        return c != null && c.getNotAfter().toInstant().isAfter(Instant.now().plus(Duration.ofHours(1)));
    }

    /** A leaf valid for several names at once (not cached): for servers that answer for many hosts. */
    public X509Certificate leafForNames(java.util.List<String> hosts) {
        return mint(hosts);
    }

    private X509Certificate mint(String host) {
        return mint(java.util.List.of(host));
    }

    private X509Certificate mint(java.util.List<String> hosts) {
        String host = hosts.getFirst();
        try {
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=" + cnSafe(host));
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    caCert, new BigInteger(127, random).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(LEAF_VALIDITY)),
                    subject, leafKey().keys().getPublic());
            GeneralName[] names = hosts.stream()
                    .map(h -> isIpLiteral(h) ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h))
                    .toArray(GeneralName[]::new);
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyId);
            b.addExtension(Extension.subjectKeyIdentifier, false, leafKey().id());
            return converter.getCertificate(b.build(signer(caKey)));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot mint a certificate for " + host + ": " + e.getMessage(), e);
        }
    }

    private static String cnSafe(String host) {
        return host.replaceAll("[^A-Za-z0-9.:*-]", "_");
    }

    static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private static X509Certificate selfSign(KeyPair ca) throws GeneralSecurityException, OperatorCreationException, IOException {
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=tether local CA " + now.getEpochSecond() + ",O=tether");
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                name, new BigInteger(127, new SecureRandom()).add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_VALIDITY)), name, ca.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(ca.getPublic()));
        return new JcaX509CertificateConverter().getCertificate(b.build(signer(ca.getPrivate())));
    }

    private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
        return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
    }

    private static KeyPair newEcKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static String toPem(Object o) {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return sw.toString();
    }

    private static void writeAtomically(Path target, String text, Set<PosixFilePermission> perms) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        // Created with its final mode: the key is never readable by others, not even briefly.
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(perms));
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static X509Certificate readCert(Path file) throws IOException, GeneralSecurityException {
        try (PEMParser p = new PEMParser(new StringReader(Files.readString(file)))) {
            Object o = p.readObject();
            if (!(o instanceof X509CertificateHolder h)) throw new IOException(file + ": not a PEM certificate");
            return new JcaX509CertificateConverter().getCertificate(h);
        }
    }

    private static PrivateKey readKey(Path file) throws IOException {
        try (PEMParser p = new PEMParser(new StringReader(Files.readString(file)))) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair kp) return conv.getPrivateKey(kp.getPrivateKeyInfo());
            if (o instanceof PrivateKeyInfo pki) return conv.getPrivateKey(pki);
            throw new IOException(file + ": not a PEM private key");
        }
    }

}
