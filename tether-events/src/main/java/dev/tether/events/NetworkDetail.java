package dev.tether.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The network family. The event's {@code resource} is the remote end in Cedar's form
 * ({@code 93.184.216.34:443}, {@code [::1]:8080}, or the socket path for Unix sockets).
 *
 * @param family address family
 * @param protocol transport, or null when unknown
 * @param address the IP address in text form, or the Unix socket path ({@code @name} for abstract)
 * @param port the port, 0 for Unix sockets
 * @param hostname the name it was reached by, when known (proxy, DNS pinning), else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NetworkDetail(Family family, Protocol protocol, String address, int port, String hostname)
        implements EventDetail {

    public enum Family {
        INET, INET6, UNIX;

        @JsonValue
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Family fromJsonName(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    public enum Protocol {
        TCP, UDP, UNIX_STREAM, UNIX_DGRAM, OTHER;

        @JsonValue
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Protocol fromJsonName(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    @Override
    public NetworkDetail withinLimits() {
        EventLimits.Cut a = EventLimits.cutPath(address);
        EventLimits.Cut h = EventLimits.cutText(hostname);
        return a.truncated() || h.truncated() ? new NetworkDetail(family, protocol, a.text(), port, h.text()) : this;
    }
}
