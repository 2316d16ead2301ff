package dev.tether.kernel.ffm;

import static dev.tether.kernel.ffm.Downcalls.C_INT;
import static dev.tether.kernel.ffm.Downcalls.C_LONG;
import static dev.tether.kernel.ffm.Downcalls.C_POINTER;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** The libc calls Java has no API for: raw file descriptors, mount, and bare syscalls. */
public final class LibC {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_DIRECTORY = 0x10000;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_PATH = 0x200000;
    public static final int O_NOFOLLOW = 0x20000;

    public static final long SYS_LANDLOCK_CREATE_RULESET = 444;

    private final MethodHandle open;
    private final MethodHandle close;
    private final MethodHandle mount;
    private final MethodHandle syscall3;
    private final MethodHandle clockGettime;
    private final MethodHandle mkfifo;
    private final MethodHandle read;
    private final MethodHandle write;
    private final MethodHandle pread;
    private final MethodHandle poll;
    private final MethodHandle fstatvfs;
    private final MethodHandle fanotifyInit;
    private final MethodHandle fanotifyMark;
    private final MethodHandle mmap;
    private final MethodHandle munmap;
    private final MethodHandle sysconf;
    private final MethodHandle statx;
    private final MethodHandle readlink;
    private final MethodHandle eventfd;
    private final MethodHandle processVmReadv;
    private final MethodHandle fcntlPointer;
    private final ThreadLocal<ThreadScratch> scratch = ThreadLocal.withInitial(ThreadScratch::new);

    public static final int CLOCK_REALTIME = 0;
    public static final int CLOCK_MONOTONIC = 1;
    public static final int CLOCK_BOOTTIME = 7;

    private LibC(SymbolLookup libc) {
        open = Downcalls.findWithErrno(libc, "open", FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
        close = Downcalls.find(libc, "close", FunctionDescriptor.of(C_INT, C_INT));
        mount = Downcalls.findWithErrno(libc, "mount",
                FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_LONG, C_POINTER));
        read = Downcalls.findWithErrno(libc, "read", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
        write = Downcalls.findWithErrno(libc, "write", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
        pread = Downcalls.findWithErrno(libc, "pread", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_LONG));
        fstatvfs = Downcalls.find(libc, "fstatvfs", FunctionDescriptor.of(C_INT, C_INT, C_POINTER));
        poll = Downcalls.findWithErrno(libc, "poll", FunctionDescriptor.of(C_INT, C_POINTER, C_LONG, C_INT));
        fanotifyInit = Downcalls.findWithErrno(libc, "fanotify_init", FunctionDescriptor.of(C_INT, C_INT, C_INT));
        fanotifyMark = Downcalls.findWithErrno(libc, "fanotify_mark",
                FunctionDescriptor.of(C_INT, C_INT, C_INT, C_LONG, C_INT, C_POINTER));
        mkfifo = Downcalls.findWithErrno(libc, "mkfifo", FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
        clockGettime = Downcalls.find(libc, "clock_gettime", FunctionDescriptor.of(C_INT, C_INT, C_POINTER));
        mmap = Downcalls.findWithErrno(libc, "mmap",
                FunctionDescriptor.of(C_POINTER, C_POINTER, C_LONG, C_INT, C_INT, C_INT, C_LONG));
        munmap = Downcalls.findWithErrno(libc, "munmap", FunctionDescriptor.of(C_INT, C_POINTER, C_LONG));
        sysconf = Downcalls.find(libc, "sysconf", FunctionDescriptor.of(C_LONG, C_INT));
        statx = Downcalls.findWithErrno(libc, "statx", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT, C_POINTER));
        readlink = Downcalls.findWithErrno(libc, "readlink", FunctionDescriptor.of(C_LONG, C_POINTER, C_POINTER, C_LONG));
        eventfd = Downcalls.findWithErrno(libc, "eventfd", FunctionDescriptor.of(C_INT, C_INT, C_INT));
        processVmReadv = Downcalls.findWithErrno(libc, "process_vm_readv",
                FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_POINTER, C_LONG, C_LONG));
        fcntlPointer = Downcalls.LINKER.downcallHandle(libc.find("fcntl").orElseThrow(),
                FunctionDescriptor.of(C_INT, C_INT, C_INT, C_POINTER),
                Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
        MemorySegment sys = libc.find("syscall").orElseThrow();
        syscall3 = Downcalls.LINKER.downcallHandle(sys,
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    public static LibC load() {
        return new LibC(Downcalls.libc());
    }

    /** open(2); returns the file descriptor. */
    public int open(String path, int flags) {
        try {
            ThreadScratch t = scratch.get();
            int fd = (int) open.invokeExact(t.callState, t.cString(path), flags | O_CLOEXEC);
            if (fd < 0) {
                throw new NativeCallException("open(" + path + ")", t.errno());
            }
            return fd;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public void close(int fd) {
        try {
            int ignored = (int) close.invokeExact(fd);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public static final int EINTR_RESULT = -4;
    public static final int EPERM = 1;
    public static final int ENOSYS = 38;

    private static final int F_OFD_GETLK = 36;
    private static final int F_OFD_SETLK = 37;
    private static final short F_WRLCK = 1;
    private static final short F_UNLCK = 2;
    /** struct flock on x86_64 and arm64: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid. */
    private static final long FLOCK_SIZE = 32;

    /**
     * Takes a write lock on the whole file open as {@code fd} (which must be open for writing),
     * owned by its open file description ({@code F_OFD_SETLK}); false when another description
     * holds a conflicting lock. Unlike fcntl's classic locks (the JDK's {@code FileLock}), which
     * belong to the process, closing another descriptor of the file in this process does not drop
     * it and another description in this process conflicts with it; it goes when the last
     * descriptor of the description is closed (open it O_CLOEXEC so no exec'd child keeps it).
     * Classic and OFD locks conflict with each other, so {@code lockf} in another process sees it.
     */
    public boolean tryLockOpenFileDescription(int fd) {
        return ofdLock(fd, F_OFD_SETLK, "fcntl(F_OFD_SETLK)") == F_WRLCK;
    }

    /**
     * Whether any open file description other than {@code fd}'s holds a lock on the file that
     * would conflict with a write lock on all of it ({@code F_OFD_GETLK}: tests without taking
     * anything, so the probe can neither release nor hold up anyone's lock).
     */
    public boolean isLockedElsewhere(int fd) {
        return ofdLock(fd, F_OFD_GETLK, "fcntl(F_OFD_GETLK)") != F_UNLCK;
    }

    /** SETLK: F_WRLCK when taken, F_UNLCK when refused; GETLK: the conflicting lock's type or F_UNLCK. */
    private short ofdLock(int fd, int command, String what) {
        try (Arena arena = Arena.ofConfined()) {
            ThreadScratch t = scratch.get();
            MemorySegment flock = arena.allocate(FLOCK_SIZE, 8); // zeroed: whence SEEK_SET, start 0, len 0 = all, pid 0
            flock.set(ValueLayout.JAVA_SHORT, 0, F_WRLCK);
            int rc = (int) fcntlPointer.invokeExact(t.callState, fd, command, flock);
            if (rc < 0) {
                int errno = t.errno();
                if (command == F_OFD_SETLK && (errno == 11 /* EAGAIN */ || errno == 13 /* EACCES */)) {
                    return F_UNLCK;
                }
                throw new NativeCallException(what, errno);
            }
            return command == F_OFD_SETLK ? F_WRLCK : flock.get(ValueLayout.JAVA_SHORT, 0);
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** read(2) into {@code buf}; returns bytes read, or -errno (never throws for EINTR/EAGAIN). */
    public long read(int fd, MemorySegment buf, long count) {
        try {
            ThreadScratch t = scratch.get();
            long n = (long) read.invokeExact(t.callState, fd, buf, count);
            return n < 0 ? -t.errno() : n;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** write(2); returns bytes written, or -errno. */
    public long write(int fd, MemorySegment buf, long count) {
        try {
            ThreadScratch t = scratch.get();
            long n = (long) write.invokeExact(t.callState, fd, buf, count);
            return n < 0 ? -t.errno() : n;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** pread(2): reads without moving the file offset; returns bytes read, or -errno. */
    public long pread(int fd, MemorySegment buf, long count, long offset) {
        try {
            ThreadScratch t = scratch.get();
            long n = (long) pread.invokeExact(t.callState, fd, buf, count, offset);
            return n < 0 ? -t.errno() : n;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /**
     * process_vm_readv(2) of one range: up to {@code count} bytes at {@code remoteAddress} in
     * process (or thread) {@code pid} into {@code buf}, without opening {@code /proc/PID/mem}.
     * Returns bytes read (fewer when the range runs into unmapped memory) or -errno.
     */
    public long processVmRead(int pid, MemorySegment buf, long count, long remoteAddress) {
        try {
            ThreadScratch t = scratch.get();
            MemorySegment iov = t.struct; // two struct iovec {void *base; size_t len}
            iov.set(ValueLayout.ADDRESS, 0, buf);
            iov.set(ValueLayout.JAVA_LONG, 8, count);
            iov.set(ValueLayout.JAVA_LONG, 16, remoteAddress);
            iov.set(ValueLayout.JAVA_LONG, 24, count);
            long n = (long) processVmReadv.invokeExact(t.callState, pid, iov, 1L, iov.asSlice(16), 1L, 0L);
            return n < 0 ? -t.errno() : n;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** Size of struct statx (the same on every architecture, unlike struct stat). */
    public static final int STATX_SIZE = 256;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_BASIC_STATS = 0x7ff;
    /** stx_mask bit: stx_mnt_id (u64 @144) is filled in (Linux 5.8+). */
    public static final int STATX_MNT_ID = 0x1000;
    private static final MemorySegment EMPTY_PATH = Arena.global().allocateFrom("");

    /**
     * statx(2) of the open file {@code fd} into {@code buf} ({@link #STATX_SIZE} bytes); returns 0
     * or -errno. Offsets: stx_mask u32 @0, stx_nlink u32 @16, stx_mode u16 @28, stx_ino u64 @32,
     * stx_dev_major u32 @136, stx_dev_minor u32 @140, stx_mnt_id u64 @144 (when stx_mask has
     * {@link #STATX_MNT_ID}).
     */
    public int statx(int fd, MemorySegment buf) {
        try {
            ThreadScratch t = scratch.get();
            int rc = (int) statx.invokeExact(t.callState, fd, EMPTY_PATH, AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_MNT_ID, buf);
            return rc < 0 ? -t.errno() : 0;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    private static final int AT_SYMLINK_NOFOLLOW = 0x100;

    /**
     * statx(2) of {@code name} in the directory {@code dirFd}, not following a symbolic link, into
     * {@code buf} (layout as {@link #statx}); returns 0 or -errno.
     */
    public int statxAt(int dirFd, String name, MemorySegment buf) {
        try {
            ThreadScratch t = scratch.get();
            int rc = (int) statx.invokeExact(t.callState, dirFd, t.cString(name), AT_SYMLINK_NOFOLLOW,
                    STATX_BASIC_STATS | STATX_MNT_ID, buf);
            return rc < 0 ? -t.errno() : 0;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** readlink(2) of {@code path} into {@code buf}; returns the length (not NUL-terminated) or -errno. */
    public long readlink(String path, MemorySegment buf) {
        try {
            ThreadScratch t = scratch.get();
            long n = (long) readlink.invokeExact(t.callState, t.cString(path), buf, buf.byteSize());
            return n < 0 ? -t.errno() : n;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    private static final long ST_RDONLY = 1;

    /** Whether the mount the open file {@code fd} lives on is read-only (fstatvfs f_flag & ST_RDONLY). */
    public boolean onReadOnlyMount(int fd) {
        try {
            MemorySegment st = scratch.get().struct; // struct statvfs on LP64 (112 bytes): f_flag at 72
            int rc = (int) fstatvfs.invokeExact(fd, st);
            return rc == 0 && (st.get(ValueLayout.JAVA_LONG, 72) & ST_RDONLY) != 0;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public static final short POLLIN = 1;

    /** poll(2) on one fd for input; returns true when readable, false on timeout or EINTR. */
    public boolean pollIn(int fd, int timeoutMillis) {
        return pollIn(fd, -1, timeoutMillis); // poll(2) skips a negative fd
    }

    /**
     * Like {@link #pollIn(int, int)}, but also returns (false) as soon as {@code wakeFd} is
     * readable: a thread that waits for events can be told to stop without waiting out its timeout.
     */
    public boolean pollIn(int fd, int wakeFd, int timeoutMillis) {
        try {
            ThreadScratch t = scratch.get();
            MemorySegment pfd = t.struct; // two struct pollfd { int fd; short events; short revents; }
            pfd.set(ValueLayout.JAVA_INT, 0, fd);
            pfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
            pfd.set(ValueLayout.JAVA_INT, 8, wakeFd);
            pfd.set(ValueLayout.JAVA_SHORT, 12, POLLIN);
            pfd.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
            int rc = (int) poll.invokeExact(t.callState, pfd, 2L, timeoutMillis);
            return rc > 0 && (pfd.get(ValueLayout.JAVA_SHORT, 6) & POLLIN) != 0;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;

    /** eventfd(2), non-blocking and close-on-exec: a wake-up a poll loop can wait on. */
    public int eventfd() {
        try {
            ThreadScratch t = scratch.get();
            int fd = (int) eventfd.invokeExact(t.callState, 0, EFD_NONBLOCK | EFD_CLOEXEC);
            if (fd < 0) {
                throw new NativeCallException("eventfd", t.errno());
            }
            return fd;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** Makes an {@link #eventfd} readable (adds 1 to its counter). */
    public void signal(int eventFd) {
        MemorySegment one = scratch.get().struct;
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        write(eventFd, one, 8);
    }

    /** mkfifo(3): a named pipe with the given mode. */
    public void mkfifo(String path, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            int rc = (int) mkfifo.invokeExact(state, a.allocateFrom(path), mode);
            if (rc < 0) {
                throw new NativeCallException("mkfifo(" + path + ")", Downcalls.errno(state));
            }
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public static final int FAN_CLOEXEC = 0x1;
    public static final int FAN_NONBLOCK = 0x2;
    public static final int FAN_CLASS_CONTENT = 0x4;
    public static final int FAN_UNLIMITED_QUEUE = 0x10;
    public static final int FAN_UNLIMITED_MARKS = 0x20;
    public static final int FAN_REPORT_TID = 0x100;
    public static final int FAN_MARK_IGNORED_MASK = 0x20;
    public static final int FAN_MARK_IGNORED_SURV_MODIFY = 0x40;
    public static final int FAN_MARK_FLUSH = 0x80;
    /** Since Linux 6.0: an ignore mask that honours FAN_EVENT_ON_CHILD (events on a directory's children). */
    public static final int FAN_MARK_IGNORE = 0x400;
    public static final int FAN_ALLOW = 0x01;
    public static final int FAN_DENY = 0x02;
    public static final int FAN_NOFD = -1;
    public static final long FAN_Q_OVERFLOW = 0x4000;
    public static final int O_LARGEFILE = 0x8000;
    public static final int FAN_MARK_ADD = 0x1;
    public static final int FAN_MARK_REMOVE = 0x2;
    public static final int FAN_MARK_MOUNT = 0x10;
    public static final int FAN_MARK_FILESYSTEM = 0x100;
    public static final long FAN_OPEN_PERM = 0x10000;
    public static final long FAN_ACCESS_PERM = 0x20000;
    public static final long FAN_OPEN_EXEC_PERM = 0x40000;
    public static final long FAN_EVENT_ON_CHILD = 0x08000000;
    public static final int AT_FDCWD = -100;

    /** fanotify_init(2); returns the notification group's fd. */
    public int fanotifyInit(int flags, int eventFlags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            int fd = (int) fanotifyInit.invokeExact(state, flags, eventFlags);
            if (fd < 0) {
                throw new NativeCallException("fanotify_init", Downcalls.errno(state));
            }
            return fd;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** fanotify_mark(2) on a path, or (path null) on the object {@code dirFd} refers to. */
    public void fanotifyMark(int fanFd, int flags, long mask, int dirFd, String path) {
        try {
            ThreadScratch t = scratch.get();
            MemorySegment p = path == null ? MemorySegment.NULL : t.cString(path);
            int rc = (int) fanotifyMark.invokeExact(t.callState, fanFd, flags, mask, dirFd, p);
            if (rc < 0) {
                throw new NativeCallException("fanotify_mark(" + path + ")", t.errno());
            }
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** mount(2) with no data. */
    public void mount(String source, String target, String fstype, long flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            int rc = (int) mount.invokeExact(state, a.allocateFrom(source), a.allocateFrom(target),
                    a.allocateFrom(fstype), flags, MemorySegment.NULL);
            if (rc < 0) {
                throw new NativeCallException("mount " + fstype + " on " + target, Downcalls.errno(state));
            }
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /**
     * A raw syscall with up to three integer/pointer arguments.
     *
     * @return the syscall's non-negative result
     * @throws NativeCallException with the errno on failure
     */
    public long syscall(long number, long a1, long a2, long a3) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            long rc = (long) syscall3.invokeExact(state, number, a1, a2, a3);
            if (rc < 0) {
                throw new NativeCallException("syscall " + number, Downcalls.errno(state));
            }
            return rc;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** clock_gettime(2) in nanoseconds. */
    public long clockNanos(int clock) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ts = a.allocate(16, 8);
            int rc = (int) clockGettime.invokeExact(clock, ts);
            if (rc != 0) {
                throw new NativeCallException("clock_gettime(" + clock + ")", Errno.EINVAL);
            }
            return ts.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L
                    + ts.get(ValueLayout.JAVA_LONG, 8);
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** What to add to a CLOCK_BOOTTIME reading (as BPF's bpf_ktime_get_boot_ns gives) to get epoch ns. */
    public long bootToWallOffsetNanos() {
        // Bracket the realtime read between two boottime reads to halve the skew.
        long b1 = clockNanos(CLOCK_BOOTTIME);
        long wall = clockNanos(CLOCK_REALTIME);
        long b2 = clockNanos(CLOCK_BOOTTIME);
        return wall - (b1 + (b2 - b1) / 2);
    }

    // ---- memory mapping and waiting (the ring-buffer reader) ---------------------------------

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;
    private static final int SC_PAGESIZE = 30;
    private static final long MAP_FAILED = -1L;

    /** sysconf(_SC_PAGESIZE). */
    public long pageSize() {
        try {
            return (long) sysconf.invokeExact(SC_PAGESIZE);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /**
     * mmap(2) of {@code length} bytes of {@code fd} at {@code offset}; the returned segment has
     * that length and must be released with {@link #munmap}.
     */
    public MemorySegment mmap(long length, int prot, int flags, int fd, long offset) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            MemorySegment addr = (MemorySegment) mmap.invokeExact(state, MemorySegment.NULL, length, prot, flags, fd, offset);
            if (addr.address() == MAP_FAILED) {
                throw new NativeCallException("mmap(fd " + fd + ", " + length + " bytes)", Downcalls.errno(state));
            }
            return addr.reinterpret(length);
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public void munmap(MemorySegment mapping) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            int rc = (int) munmap.invokeExact(state, mapping, mapping.byteSize());
            if (rc != 0) {
                throw new NativeCallException("munmap", Downcalls.errno(state));
            }
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /**
     * poll(2) for {@code events} on one fd, reusing {@code pollfd} (8 bytes, from the caller's
     * arena, so a hot loop allocates nothing).
     *
     * @return true when the fd is ready, false on timeout or EINTR
     */
    public boolean pollOne(MemorySegment pollfd, MemorySegment callState, int fd, short events, int timeoutMillis) {
        pollfd.set(ValueLayout.JAVA_INT, 0, fd);
        pollfd.set(ValueLayout.JAVA_SHORT, 4, events);
        pollfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        int rc;
        try {
            rc = (int) poll.invokeExact(callState, pollfd, 1L, timeoutMillis);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (rc < 0) {
            int errno = Downcalls.errno(callState);
            if (errno == Errno.EINTR) {
                return false;
            }
            throw new NativeCallException("poll(fd " + fd + ")", errno);
        }
        return rc > 0;
    }

    /** A call-state segment for {@link #pollOne}, from {@code arena}. */
    public static MemorySegment newCallState(Arena arena) {
        return Downcalls.newCallState(arena);
    }

    // ---- inotify (the policy file watcher) ---------------------------------------------------

    public static final int IN_NONBLOCK = 0x800;
    public static final int IN_CLOEXEC = 0x80000;
    public static final int IN_MODIFY = 0x2;
    public static final int IN_ATTRIB = 0x4;
    public static final int IN_CLOSE_WRITE = 0x8;
    public static final int IN_MOVED_FROM = 0x40;
    public static final int IN_MOVED_TO = 0x80;
    public static final int IN_CREATE = 0x100;
    public static final int IN_DELETE = 0x200;
    public static final int IN_DELETE_SELF = 0x400;
    public static final int IN_MOVE_SELF = 0x800;
    public static final int IN_Q_OVERFLOW = 0x4000;
    public static final int IN_IGNORED = 0x8000;
    public static final int IN_ONLYDIR = 0x01000000;
    /** struct inotify_event: int wd; u32 mask; u32 cookie; u32 len; char name[len] (NUL-padded). */
    public static final int INOTIFY_EVENT_HEADER = 16;

    /** The inotify calls, looked up on first use (kept out of the constructor the hot paths share). */
    private static final class InotifyCalls {
        static final MethodHandle INIT1 = Downcalls.findWithErrno(Downcalls.libc(), "inotify_init1",
                FunctionDescriptor.of(C_INT, C_INT));
        static final MethodHandle ADD_WATCH = Downcalls.findWithErrno(Downcalls.libc(), "inotify_add_watch",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    }

    /** inotify_init1(2); returns the inotify instance's fd. */
    public int inotifyInit(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            int fd = (int) InotifyCalls.INIT1.invokeExact(state, flags);
            if (fd < 0) {
                throw new NativeCallException("inotify_init1", Downcalls.errno(state));
            }
            return fd;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** inotify_add_watch(2); returns the watch descriptor. */
    public int inotifyAddWatch(int fd, String path, int mask) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            int wd = (int) InotifyCalls.ADD_WATCH.invokeExact(state, fd, a.allocateFrom(path), mask);
            if (wd < 0) {
                throw new NativeCallException("inotify_add_watch(" + path + ")", Downcalls.errno(state));
            }
            return wd;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
