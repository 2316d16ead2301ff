package dev.tether.fuzz.proxy;

import com.code_intelligence.jazzer.api.HookType;
import com.code_intelligence.jazzer.api.Jazzer;
import com.code_intelligence.jazzer.api.MethodHook;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import javax.net.ssl.SSLException;

/**
 * The proxy's client handler closes the connection on any exception that reaches it
 * ({@code exceptionCaught}): right for I/O failures and TLS garbage, but an unexpected exception
 * (a parsing bug) would vanish as a closed connection. This Jazzer hook reports those as findings.
 * Registered with {@code jazzer.custom_hooks} in tether-fuzz's pom.
 */
public final class ProxyExceptionHooks {
    private ProxyExceptionHooks() {}

    @MethodHook(type = HookType.BEFORE, targetClassName = "dev.tether.proxy.http.ClientHttpHandler",
            targetMethod = "exceptionCaught")
    public static void clientHandlerFailed(MethodHandle method, Object handler, Object[] args, int hookId) {
        Throwable cause = (Throwable) args[1];
        if (expected(cause)) {
            return;
        }
        Jazzer.reportFindingFromHook(new AssertionError("the proxy's client handler failed unexpectedly", cause));
    }

    private static boolean expected(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException || c instanceof SSLException) {
                return true;
            }
        }
        return false;
    }
}
