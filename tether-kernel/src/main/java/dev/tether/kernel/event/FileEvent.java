package dev.tether.kernel.event;

/**
 * A file operation by a sandboxed process, captured at syscall exit.
 *
 * @param syscall the syscall number (x86-64, or ia32 when {@code compat})
 * @param compat made through the 32-bit syscall interface
 * @param result the syscall's return value: an fd or 0, or {@code -errno}
 * @param flags open(2) flags for opens (openat2: {@code how.flags}, creat: O_CREAT|O_WRONLY|O_TRUNC),
 *     the AT_* flags for the *at calls, 0 otherwise
 * @param mode creation mode (open with O_CREAT, mkdir) or the new mode (chmod)
 * @param uid chown's new owner (-1 = unchanged)
 * @param gid chown's new group (-1 = unchanged)
 * @param path the path operated on (symlink: the link created)
 * @param second rename/link: the new path; symlink: the link's text (in {@code raw}); else null
 */
public record FileEvent(EventHeader header, FileOp op, int syscall, boolean compat, long result, long flags, int mode,
        int uid, int gid, PathArgument path, PathArgument second) implements KernelEvent {

    /** 0 on success, else the positive errno. */
    public int errno() {
        return result < 0 ? (int) -result : 0;
    }
}
