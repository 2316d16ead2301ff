package dev.tether.kernel.ffm;

/**
 * Landlock's system-call interface: the ABI version and the access-right bits of the kernel's
 * UAPI ({@code linux/landlock.h}; the build host's copy may predate ABI 4, so they are spelt out
 * here and in {@code tether_landlock.c}, and a test holds the two to the same values). The ruleset
 * itself is applied by the {@code tether-landlock} helper inside the sandbox: a JVM cannot restrict
 * a process it forks, only itself.
 */
public final class Landlock {
    public static final long SYS_LANDLOCK_CREATE_RULESET = LibC.SYS_LANDLOCK_CREATE_RULESET;
    private static final int CREATE_RULESET_VERSION = 1;

    public static final long FS_EXECUTE = 1L << 0;
    public static final long FS_WRITE_FILE = 1L << 1;
    public static final long FS_READ_FILE = 1L << 2;
    public static final long FS_READ_DIR = 1L << 3;
    public static final long FS_REMOVE_DIR = 1L << 4;
    public static final long FS_REMOVE_FILE = 1L << 5;
    public static final long FS_MAKE_CHAR = 1L << 6;
    public static final long FS_MAKE_DIR = 1L << 7;
    public static final long FS_MAKE_REG = 1L << 8;
    public static final long FS_MAKE_SOCK = 1L << 9;
    public static final long FS_MAKE_FIFO = 1L << 10;
    public static final long FS_MAKE_BLOCK = 1L << 11;
    public static final long FS_MAKE_SYM = 1L << 12;
    /** ABI 2: link and rename across directories (always refused under ABI 1). */
    public static final long FS_REFER = 1L << 13;
    /** ABI 3. */
    public static final long FS_TRUNCATE = 1L << 14;
    /** ABI 5: ioctl on device files. */
    public static final long FS_IOCTL_DEV = 1L << 15;

    /** ABI 4. */
    public static final long NET_BIND_TCP = 1L << 0;
    public static final long NET_CONNECT_TCP = 1L << 1;

    private final LibC libc;

    public Landlock(LibC libc) {
        this.libc = libc;
    }

    /**
     * The kernel's Landlock ABI version (1 for the first release, 7 on kernel 6.15+).
     *
     * @throws NativeCallException with ENOSYS when Landlock is not built in, EOPNOTSUPP when it is
     *     not enabled at boot ({@code lsm=})
     */
    public int abi() {
        return (int) libc.syscall(SYS_LANDLOCK_CREATE_RULESET, 0, 0, CREATE_RULESET_VERSION);
    }

    /** The file-system rights a kernel with this ABI knows (and so can be asked to handle). */
    public static long fsRights(int abi) {
        long rights = (FS_MAKE_SYM << 1) - 1; // ABI 1: EXECUTE .. MAKE_SYM
        if (abi >= 2) {
            rights |= FS_REFER;
        }
        if (abi >= 3) {
            rights |= FS_TRUNCATE;
        }
        if (abi >= 5) {
            rights |= FS_IOCTL_DEV;
        }
        return rights;
    }
}
