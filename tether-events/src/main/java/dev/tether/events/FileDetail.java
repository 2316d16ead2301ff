package dev.tether.events;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The file family. The event's {@code resource} is the path operated on; which fields are set
 * depends on the kind:
 * <ul>
 *   <li>opens: {@code flags} (the open(2) flags) and {@code mode} when creating;</li>
 *   <li>{@code FileRename}, {@code FileLink}: {@code target} is the new path;</li>
 *   <li>{@code FileSymlink}: resource is the link created, {@code target} the text it points to;</li>
 *   <li>{@code FileMkdir}, {@code FileChmod}: {@code mode};</li>
 *   <li>{@code FileChown}: {@code uid}/{@code gid} (-1 = unchanged, as in chown(2)).</li>
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FileDetail(Integer flags, Integer mode, String target, Integer uid, Integer gid) implements EventDetail {
    public static FileDetail open(int flags, Integer mode) {
        return new FileDetail(flags, mode, null, null, null);
    }

    public static FileDetail target(String target) {
        return new FileDetail(null, null, target, null, null);
    }

    public static FileDetail mode(int mode) {
        return new FileDetail(null, mode, null, null, null);
    }

    public static FileDetail owner(int uid, int gid) {
        return new FileDetail(null, null, null, uid, gid);
    }

    @Override
    public FileDetail withinLimits() {
        EventLimits.Cut t = EventLimits.cutPath(target);
        return t.truncated() ? new FileDetail(flags, mode, t.text(), uid, gid) : this;
    }
}
