package dev.tether.kernel.event;

import java.util.Optional;

/** The file operations the monitor reports (C: {@code enum file_op} in file_events.h). */
public enum FileOp {
    /** open, openat, openat2, creat */
    OPEN(1),
    /** unlink, unlinkat */
    UNLINK(2),
    /** rmdir, unlinkat(AT_REMOVEDIR) */
    RMDIR(3),
    /** mkdir, mkdirat */
    MKDIR(4),
    /** rename, renameat, renameat2 */
    RENAME(5),
    /** link, linkat */
    LINK(6),
    /** symlink, symlinkat */
    SYMLINK(7),
    /** chmod, fchmod, fchmodat, fchmodat2 */
    CHMOD(8),
    /** chown, lchown, fchown, fchownat */
    CHOWN(9);

    private final int code;

    FileOp(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<FileOp> of(int code) {
        for (FileOp op : values()) {
            if (op.code == code) {
                return Optional.of(op);
            }
        }
        return Optional.empty();
    }
}
