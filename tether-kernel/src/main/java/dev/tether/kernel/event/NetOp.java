package dev.tether.kernel.event;

import java.util.Optional;

/** The socket operations the monitor reports (C: {@code enum net_op} in net_events.h). */
public enum NetOp {
    CONNECT(1),
    BIND(2),
    LISTEN(3),
    /** accept, accept4 */
    ACCEPT(4),
    /** sendto with a destination address */
    SENDTO(5),
    /** sendmsg with msg_name set */
    SENDMSG(6);

    private final int code;

    NetOp(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<NetOp> of(int code) {
        for (NetOp op : values()) {
            if (op.code == code) {
                return Optional.of(op);
            }
        }
        return Optional.empty();
    }
}
