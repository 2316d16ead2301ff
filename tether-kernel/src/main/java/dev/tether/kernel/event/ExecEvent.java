package dev.tether.kernel.event;

import java.util.List;

/**
 * A successful exec inside a sandbox.
 *
 * @param filename the path exec was called with (for a script: the script), possibly relative
 * @param argv the arguments as recorded (a prefix when {@code argvTruncated}); in escaped form,
 *     every entry, when {@code argvEscaped}
 * @param argvUnreadable the new image's argument area could not be read
 * @param argc the real argument count, even when argv is cut
 * @param exe the executed file's resolved path (for a script: its interpreter)
 * @param cwd the working directory at exec
 * @param gid real gid; {@code euid}/{@code egid} are the effective ids after the exec
 */
public record ExecEvent(EventHeader header, KernelString filename, List<String> argv, boolean argvEscaped,
        boolean argvTruncated, boolean argvUnreadable, int argc, ResolvedPath exe, ResolvedPath cwd, int gid,
        int euid, int egid) implements KernelEvent {
    public ExecEvent {
        argv = List.copyOf(argv);
    }
}
