package dev.tether.proxy.ca;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Serves the leaf for whatever host a TLS engine was created for: the proxy creates each
 * sandbox-side server engine with the judged host as its "peer host", and this key manager uses
 * it as the alias. One TLS context then serves every host (a new host costs a leaf signature, not
 * a new context). Only EC keys are offered: tether's leaves are ECDSA P-256.
 */
public final class LeafKeyManager extends X509ExtendedKeyManager {
    private final CertificateAuthority ca;

    public LeafKeyManager(CertificateAuthority ca) {
        this.ca = ca;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        if (engine == null || engine.getPeerHost() == null) return null;
        return "EC".equals(keyType) || "EC_EC".equals(keyType) ? engine.getPeerHost() : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return new X509Certificate[] {ca.leafFor(alias), ca.certificate()};
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ca.leafPrivateKey();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
