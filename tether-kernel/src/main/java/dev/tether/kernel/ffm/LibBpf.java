package dev.tether.kernel.ffm;

import static dev.tether.kernel.ffm.Downcalls.C_INT;
import static dev.tether.kernel.ffm.Downcalls.C_LONG;
import static dev.tether.kernel.ffm.Downcalls.C_POINTER;
import static dev.tether.kernel.ffm.Downcalls.C_SIZE_T;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The slice of the system libbpf (libbpf.so.1, Debian libbpf1 ≥ 1.1) tether uses, called through
 * FFM. Pointers stay {@link MemorySegment}s; every failure becomes a {@link NativeCallException}
 * with the errno and, for loads, libbpf's own log (which holds the verifier's verdict).
 *
 * <p>libbpf's print callback is process-global, so one instance should exist per process; it keeps
 * the most recent log lines to attach to errors.
 */
public final class LibBpf {
    private static final int LOG_LINES_KEPT = 400;
    private static final long LOG_BUFFER_BYTES = 64 * 1024;

    private final MethodHandle objectOpenMem;
    private final MethodHandle objectLoad;
    private final MethodHandle objectClose;
    private final MethodHandle findProgramByName;
    private final MethodHandle findMapByName;
    private final MethodHandle programSetAutoload;
    private final MethodHandle programAttach;
    private final MethodHandle programAttachCgroup;
    private final MethodHandle programFd;
    private final MethodHandle linkDestroy;
    private final MethodHandle mapFd;
    private final MethodHandle mapReuseFd;
    private final MethodHandle mapSetMaxEntries;
    private final MethodHandle mapMaxEntries;
    private final MethodHandle mapSetFlags;
    private final MethodHandle mapFlags;
    private final MethodHandle objGetInfoByFd;
    private final MethodHandle mapUpdateElem;
    private final MethodHandle mapLookupElem;
    private final MethodHandle mapDeleteElem;
    private final MethodHandle mapGetNextKey;
    private final MethodHandle ringBufferNew;
    private final MethodHandle ringBufferConsume;
    private final MethodHandle ringBufferFree;
    private final MethodHandle ringBufferEpollFd;
    private final MethodHandle vsnprintf;
    private final Deque<String> recentLog = new ArrayDeque<>();
    private final Arena arena = Arena.ofAuto();
    private final ThreadLocal<ThreadScratch> scratch = ThreadLocal.withInitial(ThreadScratch::new);

    private LibBpf(SymbolLookup lib) {
        objectOpenMem = Downcalls.findWithErrno(lib, "bpf_object__open_mem",
                FunctionDescriptor.of(C_POINTER, C_POINTER, C_SIZE_T, C_POINTER));
        objectLoad = Downcalls.find(lib, "bpf_object__load", FunctionDescriptor.of(C_INT, C_POINTER));
        objectClose = Downcalls.find(lib, "bpf_object__close", FunctionDescriptor.ofVoid(C_POINTER));
        findProgramByName = Downcalls.find(lib, "bpf_object__find_program_by_name",
                FunctionDescriptor.of(C_POINTER, C_POINTER, C_POINTER));
        findMapByName = Downcalls.find(lib, "bpf_object__find_map_by_name",
                FunctionDescriptor.of(C_POINTER, C_POINTER, C_POINTER));
        programSetAutoload = Downcalls.find(lib, "bpf_program__set_autoload",
                FunctionDescriptor.of(C_INT, C_POINTER, ValueLayout.JAVA_BOOLEAN));
        programAttach = Downcalls.findWithErrno(lib, "bpf_program__attach",
                FunctionDescriptor.of(C_POINTER, C_POINTER));
        programAttachCgroup = Downcalls.findWithErrno(lib, "bpf_program__attach_cgroup",
                FunctionDescriptor.of(C_POINTER, C_POINTER, C_INT));
        programFd = Downcalls.find(lib, "bpf_program__fd", FunctionDescriptor.of(C_INT, C_POINTER));
        linkDestroy = Downcalls.find(lib, "bpf_link__destroy", FunctionDescriptor.of(C_INT, C_POINTER));
        mapFd = Downcalls.find(lib, "bpf_map__fd", FunctionDescriptor.of(C_INT, C_POINTER));
        mapReuseFd = Downcalls.find(lib, "bpf_map__reuse_fd", FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
        mapSetMaxEntries = Downcalls.find(lib, "bpf_map__set_max_entries",
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
        mapMaxEntries = Downcalls.find(lib, "bpf_map__max_entries", FunctionDescriptor.of(C_INT, C_POINTER));
        mapSetFlags = Downcalls.find(lib, "bpf_map__set_map_flags", FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
        mapFlags = Downcalls.find(lib, "bpf_map__map_flags", FunctionDescriptor.of(C_INT, C_POINTER));
        objGetInfoByFd = Downcalls.findWithErrno(lib, "bpf_obj_get_info_by_fd",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
        mapUpdateElem = Downcalls.findWithErrno(lib, "bpf_map_update_elem",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER, C_LONG));
        mapLookupElem = Downcalls.findWithErrno(lib, "bpf_map_lookup_elem",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
        mapDeleteElem = Downcalls.findWithErrno(lib, "bpf_map_delete_elem",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER));
        mapGetNextKey = Downcalls.findWithErrno(lib, "bpf_map_get_next_key",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
        ringBufferNew = Downcalls.findWithErrno(lib, "ring_buffer__new",
                FunctionDescriptor.of(C_POINTER, C_INT, C_POINTER, C_POINTER, C_POINTER));
        ringBufferConsume = Downcalls.find(lib, "ring_buffer__consume", FunctionDescriptor.of(C_INT, C_POINTER));
        ringBufferFree = Downcalls.find(lib, "ring_buffer__free", FunctionDescriptor.ofVoid(C_POINTER));
        ringBufferEpollFd = Downcalls.find(lib, "ring_buffer__epoll_fd", FunctionDescriptor.of(C_INT, C_POINTER));
        vsnprintf = Downcalls.find(Downcalls.libc(), "vsnprintf",
                FunctionDescriptor.of(C_INT, C_POINTER, C_SIZE_T, C_POINTER, C_POINTER));
        installPrintCallback(lib);
    }

    /**
     * Loads the system libbpf.
     *
     * @throws MissingNativeLibraryException when libbpf.so.1 is not installed
     */
    public static LibBpf load() {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup("libbpf.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            throw new MissingNativeLibraryException("libbpf.so.1", "libbpf1");
        }
        keepLargeAllocations();
        return new LibBpf(lib);
    }

    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;

    /**
     * Loading a {@code bpf_object} whose programs attach by kernel type ({@code tp_btf}) parses the
     * kernel's whole BTF ({@code /sys/kernel/btf/vmlinux}: 5.5 MB, 126,700 types on the test
     * hosts) into buffers of several MB and frees them once loaded. glibc hands out and returns
     * blocks that large with mmap/munmap, so each of a session's seven objects faulted the same
     * megabytes in afresh: a parse took 110-160 ms on fresh memory against 4-7 ms on reused
     * memory on the slower test hosts (libbpf's {@code btf__load_vmlinux_btf} in a loop). Blocks
     * up to 32 MB now come from the heap and up to 64 MB of freed heap is kept rather than
     * returned (BENCHMARKS.md "Sandbox start-up"). Process-wide; idempotent.
     */
    private static void keepLargeAllocations() {
        var address = Downcalls.libc().find("mallopt");
        if (address.isEmpty()) {
            return; // not glibc: nothing to tune
        }
        MethodHandle mallopt = Downcalls.LINKER.downcallHandle(address.get(), FunctionDescriptor.of(C_INT, C_INT, C_INT));
        try {
            int ignoredMmap = (int) mallopt.invokeExact(M_MMAP_THRESHOLD, 32 << 20);
            int ignoredTrim = (int) mallopt.invokeExact(M_TRIM_THRESHOLD, 64 << 20);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    // ---- objects and programs ------------------------------------------------------------

    /** Opens an ELF BPF object held in memory (e.g. read from the jar). */
    public MemorySegment openObject(Arena arena, byte[] elf, String objectName) {
        MemorySegment buf = arena.allocate(elf.length, 8);
        MemorySegment.copy(elf, 0, buf, ValueLayout.JAVA_BYTE, 0, elf.length);
        // struct bpf_object_open_opts { size_t sz; const char *object_name; ... }: libbpf treats
        // fields beyond sz as unset, so a 16-byte prefix is a valid opts struct.
        MemorySegment opts = arena.allocate(16, 8);
        opts.set(ValueLayout.JAVA_LONG, 0, 16);
        opts.set(ValueLayout.ADDRESS, 8, arena.allocateFrom(objectName));
        MemorySegment state = Downcalls.newCallState(arena);
        MemorySegment obj;
        try {
            obj = (MemorySegment) objectOpenMem.invokeExact(state, buf, (long) elf.length, opts);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (obj.equals(MemorySegment.NULL)) {
            throw new NativeCallException("bpf_object__open_mem(" + objectName + ")", Downcalls.errno(state), drainLog());
        }
        return obj;
    }

    /** Loads (verifies) every autoload program and creates the maps. */
    public void loadObject(MemorySegment obj, String objectName) {
        drainLog();
        int rc;
        try {
            rc = (int) objectLoad.invokeExact(obj);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (rc < 0) {
            throw new NativeCallException("bpf_object__load(" + objectName + ")", -rc, drainLog());
        }
    }

    public void closeObject(MemorySegment obj) {
        try {
            objectClose.invokeExact(obj);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public MemorySegment findProgram(MemorySegment obj, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = (MemorySegment) findProgramByName.invokeExact(obj, a.allocateFrom(name));
            if (p.equals(MemorySegment.NULL)) {
                throw new NativeCallException("bpf_object__find_program_by_name(" + name + ")", Errno.ENOENT);
            }
            return p;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public MemorySegment findMap(MemorySegment obj, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = (MemorySegment) findMapByName.invokeExact(obj, a.allocateFrom(name));
            if (m.equals(MemorySegment.NULL)) {
                throw new NativeCallException("bpf_object__find_map_by_name(" + name + ")", Errno.ENOENT);
            }
            return m;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public void setAutoload(MemorySegment program, boolean autoload) {
        int rc;
        try {
            rc = (int) programSetAutoload.invokeExact(program, autoload);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (rc < 0) {
            throw new NativeCallException("bpf_program__set_autoload", -rc);
        }
    }

    public int programFd(MemorySegment program) {
        try {
            return (int) programFd.invokeExact(program);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** Attaches a program where its section name says (tracepoint, raw_tp, ...). */
    public MemorySegment attach(MemorySegment program, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            MemorySegment link = (MemorySegment) programAttach.invokeExact(state, program);
            if (link.equals(MemorySegment.NULL)) {
                throw new NativeCallException("attach " + what, Downcalls.errno(state), drainLog());
            }
            return link;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** Attaches a cgroup-BPF program to the cgroup open at {@code cgroupFd} (a BPF link: detached on destroy). */
    public MemorySegment attachCgroup(MemorySegment program, int cgroupFd, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            MemorySegment link = (MemorySegment) programAttachCgroup.invokeExact(state, program, cgroupFd);
            if (link.equals(MemorySegment.NULL)) {
                throw new NativeCallException("attach " + what + " to cgroup", Downcalls.errno(state), drainLog());
            }
            return link;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public void destroyLink(MemorySegment link) {
        try {
            int ignored = (int) linkDestroy.invokeExact(link);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    // ---- maps ------------------------------------------------------------------------------

    public int mapFd(MemorySegment map) {
        try {
            return (int) mapFd.invokeExact(map);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** Makes {@code map} (before load) use an existing map, so several objects share it. */
    public void reuseMapFd(MemorySegment map, int fd) {
        int rc;
        try {
            rc = (int) mapReuseFd.invokeExact(map, fd);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (rc < 0) {
            throw new NativeCallException("bpf_map__reuse_fd", -rc);
        }
    }

    public void setMaxEntries(MemorySegment map, int maxEntries) {
        int rc;
        try {
            rc = (int) mapSetMaxEntries.invokeExact(map, maxEntries);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (rc < 0) {
            throw new NativeCallException("bpf_map__set_max_entries", -rc);
        }
    }

    /** The map's max_entries (for a ring buffer: its size in bytes). */
    public int mapMaxEntries(MemorySegment map) {
        try {
            return (int) mapMaxEntries.invokeExact(map);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** BPF_F_NO_PREALLOC (uapi linux/bpf.h): a hash map's elements are allocated when inserted. */
    public static final int BPF_F_NO_PREALLOC = 1;

    /** Before load: the map's creation flags (BPF_F_*), replacing what its declaration says. */
    public void setMapFlags(MemorySegment map, int flags) {
        int rc;
        try {
            rc = (int) mapSetFlags.invokeExact(map, flags);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (rc < 0) {
            throw new NativeCallException("bpf_map__set_map_flags", -rc);
        }
    }

    /** The creation flags the object declares (or was given) for the map. */
    public int mapFlags(MemorySegment map) {
        try {
            return (int) mapFlags.invokeExact(map);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** struct bpf_map_info (uapi linux/bpf.h): type, id, key_size, value_size, max_entries, map_flags, ... */
    private static final int MAP_INFO_BYTES = 88;
    private static final long MAP_INFO_FLAGS = 20;

    /** The flags the kernel created map {@code mapFd} with (bpf_map_info.map_flags). */
    public int createdMapFlags(int mapFd) {
        try (Arena a = Arena.ofConfined()) {
            return objectInfo(a, mapFd, MAP_INFO_BYTES, "map").get(ValueLayout.JAVA_INT, MAP_INFO_FLAGS);
        }
    }

    /** struct bpf_prog_info (uapi linux/bpf.h): its size and where recursion_misses sits. */
    private static final int PROG_INFO_BYTES = 232;
    private static final long PROG_INFO_RECURSION_MISSES = 208;

    /**
     * How often the kernel skipped program {@code progFd} because it was already running on that
     * CPU (bpf_prog_info.recursion_misses): each skip is an event the program never saw.
     */
    public long programRecursionMisses(int progFd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = objectInfo(a, progFd, PROG_INFO_BYTES, "prog");
            // Kernels older than the field fill less of the struct; the field is then unknown (0).
            if (info.byteSize() < PROG_INFO_RECURSION_MISSES + 8) {
                return 0;
            }
            return info.get(ValueLayout.JAVA_LONG, PROG_INFO_RECURSION_MISSES);
        }
    }

    /**
     * bpf_obj_get_info_by_fd into a zeroed struct of {@code bytes}; the result is as long as the
     * part the kernel filled in (older kernels know fewer fields).
     */
    private MemorySegment objectInfo(Arena a, int fd, int bytes, String kind) {
        MemorySegment info = a.allocate(bytes, 8);
        MemorySegment len = a.allocateFrom(ValueLayout.JAVA_INT, bytes);
        MemorySegment state = Downcalls.newCallState(a);
        int rc;
        try {
            rc = (int) objGetInfoByFd.invokeExact(state, fd, info, len);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (rc < 0) {
            throw new NativeCallException("bpf_obj_get_info_by_fd(" + kind + " " + fd + ")", Downcalls.errno(state));
        }
        return info.asSlice(0, Math.min(bytes, len.get(ValueLayout.JAVA_INT, 0)));
    }

    public static final long BPF_ANY = 0;
    public static final long BPF_NOEXIST = 1;
    public static final long BPF_EXIST = 2;

    public void mapUpdate(int fd, MemorySegment key, MemorySegment value, long flags) {
        try {
            ThreadScratch t = scratch.get();
            int rc = (int) mapUpdateElem.invokeExact(t.callState, fd, key, value, flags);
            if (rc < 0) {
                throw new NativeCallException("bpf_map_update_elem", t.errno());
            }
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** @return false when the key is absent */
    public boolean mapLookup(int fd, MemorySegment key, MemorySegment value) {
        try {
            ThreadScratch t = scratch.get();
            int rc = (int) mapLookupElem.invokeExact(t.callState, fd, key, value);
            if (rc < 0) {
                int errno = t.errno();
                if (errno == Errno.ENOENT) {
                    return false;
                }
                throw new NativeCallException("bpf_map_lookup_elem", errno);
            }
            return true;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** @return false when the key was absent */
    public boolean mapDelete(int fd, MemorySegment key) {
        try {
            ThreadScratch t = scratch.get();
            int rc = (int) mapDeleteElem.invokeExact(t.callState, fd, key);
            if (rc < 0) {
                int errno = t.errno();
                if (errno == Errno.ENOENT) {
                    return false;
                }
                throw new NativeCallException("bpf_map_delete_elem", errno);
            }
            return true;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** @return false when {@code key} was the last key (or the map is empty and key is NULL) */
    public boolean mapNextKey(int fd, MemorySegment key, MemorySegment nextKey) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            int rc = (int) mapGetNextKey.invokeExact(state, fd, key, nextKey);
            if (rc < 0) {
                int errno = Downcalls.errno(state);
                if (errno == Errno.ENOENT) {
                    return false;
                }
                throw new NativeCallException("bpf_map_get_next_key", errno);
            }
            return true;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    // ---- ring buffer -----------------------------------------------------------------------

    /** {@code sampleCallback} is an upcall stub of signature int (void *ctx, void *data, size_t size). */
    public MemorySegment ringBufferNew(int mapFd, MemorySegment sampleCallback) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            MemorySegment rb = (MemorySegment) ringBufferNew.invokeExact(
                    state, mapFd, sampleCallback, MemorySegment.NULL, MemorySegment.NULL);
            if (rb.equals(MemorySegment.NULL)) {
                throw new NativeCallException("ring_buffer__new", Downcalls.errno(state), drainLog());
            }
            return rb;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** The epoll fd libbpf waits on for {@code rb}: readable when a record may be there. */
    public int ringBufferEpollFd(MemorySegment rb) {
        try {
            return (int) ringBufferEpollFd.invokeExact(rb);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** Consumes whatever is in the ring now, without waiting for a wakeup. */
    public int ringBufferConsume(MemorySegment rb) {
        try {
            return (int) ringBufferConsume.invokeExact(rb);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public void ringBufferFree(MemorySegment rb) {
        try {
            ringBufferFree.invokeExact(rb);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** The FunctionDescriptor of a ring-buffer sample callback, for building upcall stubs. */
    public static FunctionDescriptor sampleCallbackDescriptor() {
        return FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_SIZE_T);
    }

    // ---- logging ---------------------------------------------------------------------------

    /** Returns and forgets libbpf's recent log lines (warnings, verifier output). */
    public String drainLog() {
        synchronized (recentLog) {
            String s = String.join("", recentLog);
            recentLog.clear();
            return s.strip();
        }
    }

    public List<String> recentLog() {
        synchronized (recentLog) {
            return List.copyOf(recentLog);
        }
    }

    private void installPrintCallback(SymbolLookup lib) {
        try {
            MethodHandle target = MethodHandles.lookup().bind(this, "onLibbpfPrint",
                    MethodType.methodType(int.class, int.class, MemorySegment.class, MemorySegment.class));
            MemorySegment stub = Downcalls.LINKER.upcallStub(target,
                    FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER), arena);
            MethodHandle setPrint = Downcalls.find(lib, "libbpf_set_print",
                    FunctionDescriptor.of(C_POINTER, C_POINTER));
            MemorySegment ignored = (MemorySegment) setPrint.invokeExact(stub);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** libbpf print callback: (level, fmt, va_list). Formats with vsnprintf and keeps the line. */
    @SuppressWarnings("unused")
    private int onLibbpfPrint(int level, MemorySegment fmt, MemorySegment args) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(LOG_BUFFER_BYTES);
            int n = (int) vsnprintf.invokeExact(buf, LOG_BUFFER_BYTES, fmt, args);
            if (n <= 0) {
                return 0;
            }
            String line = buf.getString(0);
            synchronized (recentLog) {
                recentLog.addLast(line);
                while (recentLog.size() > LOG_LINES_KEPT) {
                    recentLog.removeFirst();
                }
            }
            return n;
        } catch (Throwable t) {
            return 0; // never let an exception cross back into C
        }
    }
}
