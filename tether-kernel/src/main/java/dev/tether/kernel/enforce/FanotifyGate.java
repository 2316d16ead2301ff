package dev.tether.kernel.enforce;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.Verdict;
import dev.tether.kernel.cgroup.MountTable;
import dev.tether.kernel.ffm.Errno;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * File and exec decisions through fanotify permission events, for kernels without BPF LSM.
 *
 * <p>Marks go on the sandbox's own mounts, reached through {@code /proc/<pid>/root}: those
 * vfsmounts exist only in the sandbox's mount namespace, so host processes (tether included)
 * never raise an event and the answering thread can never deadlock on its own I/O. The open is
 * held in the kernel until we answer, and the decision is made on the file really being opened
 * (its path as the sandbox sees it, its device and inode), so there is no path race.
 *
 * <p>Read or write comes from the syscall the thread is blocked in ({@link OpenIntent}); execs
 * are judged with the argv the caller passed ({@link ProcessMemory}), the program's own ELF
 * loader is let through as part of the exec. Allowed files that are safe to cache get an
 * in-kernel ignore mark, so repeats cost no round trip; a policy or mode change flushes them.
 * Any failure while deciding answers DENY.
 */
public final class FanotifyGate implements AutoCloseable {
    /** What every sandbox mount is marked for. */
    private static final long MOUNT_EVENTS = LibC.FAN_OPEN_PERM | LibC.FAN_OPEN_EXEC_PERM;
    /** File systems whose mounts get no mark: opens there are never judged (the Landlock floor leaves them open too). */
    public static final Set<String> UNMARKED_FS = Set.of("proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue",
            "bpf", "tracefs", "debugfs", "securityfs", "pstore", "configfs", "fusectl", "hugetlbfs", "binfmt_misc");
    private static final int EVENT_HEADER = 24;
    private static final int BUFFER = 64 * 1024;

    private final LibC libc;
    private final int fanFd;
    /** Written by {@link #close} so the loop stops at once instead of after its poll timeout. */
    private final int wakeFd;
    private final String sessionId;
    private final String sessionCgroup;
    private final FileAccessJudge judge;
    private final Supplier<SessionPolicy> policy;
    private final Consumer<Event> sink;
    private final SyscallTable syscalls = SyscallTable.forThisMachine();
    private final Map<Integer, ExpectedLoader> expectedLoader = boundedByTid();
    /** The open half of an exec just allowed, per thread (see {@link #decide}). */
    private final Map<Integer, ExpectedOpen> expectedExecOpen = boundedByTid();
    private final ProcFiles procFiles;
    // Gate thread only: buffers for the per-event readlink and statx.
    private final MemorySegment linkBuf = Arena.ofAuto().allocate(PATH_MAX);
    private final MemorySegment statxBuf = Arena.ofAuto().allocate(LibC.STATX_SIZE, 8);
    private final MemorySegment headBuf = Arena.ofAuto().allocate(ExecutableHead.SIZE);
    private static final int PATH_MAX = 4096;
    private final TaskCache tasks;
    private final KernelFileId fileIds;
    private final Map<String, Optional<FileKey>> loaders = new HashMap<>();
    private final Map<Integer, ScriptArgv> scriptArgv = boundedByTid();
    /** ELF loaders of programs approved by identity under the policy in force (cleared under markLock). */
    private final Set<FileKey> approvedLoaders = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The exec guard's image generation: programs approved under an older one are void. Guarded by markLock. */
    private long imageGeneration = 1;
    private final OpenMemo openMemo = new OpenMemo();
    private volatile ExecGuard execGuard;
    private final Thread thread;
    private final AtomicLong decisions = new AtomicLong();
    private final AtomicLong denials = new AtomicLong();
    private final AtomicLong outOfScope = new AtomicLong();
    private final AtomicLong cachedMarks = new AtomicLong();
    private final AtomicLong cachedDirectories = new AtomicLong();
    /** Directories whose children were judged for an ignore mark, and under which policy and mounts (gate thread only). */
    private final Map<String, DirectoryTry> directoriesTried = new java.util.LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, DirectoryTry> e) {
            return size() > 4096;
        }
    };
    /**
     * Whether the project's forbidden files are on read-only mounts now (see
     * {@link #forbiddenFilesSealed}); read under markLock before a directory mark is added.
     */
    private volatile boolean forbiddenSealed;
    /** False once the kernel refused a directory ignore mark (FAN_MARK_IGNORE is Linux 6.0+). */
    private volatile boolean directoryMarks = true;
    /** The sandbox's first process, whose root the directories are opened through; 0 until its mounts are marked. */
    private volatile long sandboxPid;
    private final MemorySegment dirStatBuf = Arena.ofAuto().allocate(LibC.STATX_SIZE, 8);
    private final AtomicLong failures = new AtomicLong();
    private final Object markLock = new Object();
    /**
     * Counts changes to the sandbox's mounts ({@link #changeMounts}); written under markLock. A
     * judgment that found its file on a read-only mount may only cache it under the count it saw.
     */
    private volatile long mountEpoch;
    private volatile boolean running = true;
    // Written by the gate's thread only; read (racily, as statistics) by stats().
    private volatile long execEvents;
    private volatile long execNanos;
    private volatile long openEvents;
    private volatile long openNanos;
    private volatile long execOpenHalves;
    private volatile long syscallsFromKernelMap;
    private volatile long cachedPrograms;

    /**
     * @param sessionCgroup the session's cgroup2 path as /proc/PID/cgroup shows it ({@code /tether/<id>})
     */
    public FanotifyGate(LibC libc, String sessionId, String sessionCgroup, FileAccessJudge judge,
                        Supplier<SessionPolicy> policy, Consumer<Event> sink) {
        this.libc = libc;
        this.sessionId = sessionId;
        this.sessionCgroup = sessionCgroup;
        this.judge = judge;
        this.policy = policy;
        this.sink = sink;
        this.procFiles = new ProcFiles(libc);
        this.tasks = new TaskCache(procFiles);
        this.fileIds = new KernelFileId(procFiles);
        this.fanFd = libc.fanotifyInit(LibC.FAN_CLOEXEC | LibC.FAN_CLASS_CONTENT | LibC.FAN_REPORT_TID
                        | LibC.FAN_UNLIMITED_QUEUE | LibC.FAN_UNLIMITED_MARKS,
                LibC.O_RDONLY | LibC.O_LARGEFILE | LibC.O_CLOEXEC);
        try {
            this.wakeFd = libc.eventfd();
        } catch (RuntimeException e) {
            libc.close(fanFd);
            throw e;
        }
        this.thread = Thread.ofPlatform().name("tether-fanotify-" + sessionId).daemon(true).unstarted(this::loop);
        // Load every class the answering path uses now: lazy class loading is file I/O.
        warmUp();
    }

    /**
     * Marks every mount the sandbox whose pid 1 is {@code sandboxPid} sees (except pseudo file
     * systems). Must run before the sandbox's command starts.
     *
     * @return the mount points marked
     */
    public List<String> markSandboxMounts(long sandboxPid) throws IOException {
        this.sandboxPid = sandboxPid;
        MountTable mounts = MountTable.parse(Files.readString(Path.of("/proc", Long.toString(sandboxPid), "mountinfo")));
        List<String> marked = new ArrayList<>();
        for (MountTable.Mount m : mounts.mounts()) {
            if (UNMARKED_FS.contains(m.fsType())) {
                continue;
            }
            String inSandbox = m.mountPoint().toString();
            String viaProc = "/proc/" + sandboxPid + "/root" + (inSandbox.equals("/") ? "" : inSandbox);
            try {
                libc.fanotifyMark(fanFd, LibC.FAN_MARK_ADD | LibC.FAN_MARK_MOUNT, MOUNT_EVENTS, LibC.AT_FDCWD, viaProc);
                marked.add(inSandbox);
            } catch (NativeCallException e) {
                if (e.errno() == Errno.ENOENT) {
                    continue; // a mount stacked under another one is not reachable by path
                }
                throw new IOException("cannot watch sandbox mount " + inSandbox + ": " + e.getMessage(), e);
            }
        }
        return marked;
    }

    /**
     * {@code PID:FD:MASK}: this process, the gate's fanotify descriptor and the events a sandbox
     * mount is marked for, for a helper that attaches new mounts to the sandbox and marks each
     * one (taking the descriptor with pidfd_getfd) before it is reachable.
     */
    public String mountMarkSpec() {
        return ProcessHandle.current().pid() + ":" + fanFd + ":" + MOUNT_EVENTS;
    }

    /**
     * Says whether the read-only paths of the policy in force ({@link ForbiddenInodes#readOnlyPaths})
     * are mounted read-only in the sandbox right now. While they are, a forbidden file confined to
     * them ({@link ForbiddenInodes#confined}) can be neither renamed nor linked into another
     * directory, so directories may be cached as a whole although the project holds forbidden
     * files. Say false before the policy or mode changes and true once the mounts follow it.
     */
    public void forbiddenFilesSealed(boolean sealed) {
        forbiddenSealed = sealed;
    }

    /** From now on every approved exec is also recorded for the kernel-side check at exec time. */
    public void useExecGuard(ExecGuard guard) {
        synchronized (markLock) {
            guard.voidImages(imageGeneration);
        }
        this.execGuard = guard;
    }

    public FanotifyGate start() {
        thread.start();
        return this;
    }

    /**
     * Forgets every cached allow (in-kernel ignore marks). Call right after the policy or mode the
     * supplier returns has changed: a mark is only ever added under {@link #markLock} after
     * re-checking that the policy it was judged under is still current, so none survives a change.
     */
    public void policyChanged() {
        synchronized (markLock) {
            forgetApprovals();
        }
    }

    /**
     * Runs a change to the sandbox's mounts, then forgets every cached allow, all under the mark
     * lock: a read cached because its file's mount was read-only must not outlive that mount's
     * becoming writable, and a judgment that saw the mount before the change cannot add its mark
     * after it (it finds the epoch moved on).
     */
    public <T> T changeMounts(java.util.function.Supplier<T> change) {
        synchronized (markLock) {
            try {
                return change.get();
            } finally {
                mountEpoch++;
                forgetApprovals();
            }
        }
    }

    /** Under {@link #markLock}: every ignore mark and every program approved by identity goes. */
    private void forgetApprovals() {
        libc.fanotifyMark(fanFd, LibC.FAN_MARK_FLUSH, 0, LibC.AT_FDCWD, null);
        // Marks first: from here every exec reaches the gate and gets a per-exec approval, so
        // voiding the approved images cannot fail an exec the new policy allows (only one
        // already past its skipped permission event, allowed by the old policy, may be killed).
        imageGeneration++;
        approvedLoaders.clear();
        ExecGuard guard = execGuard;
        if (guard != null) {
            guard.voidImages(imageGeneration);
        }
    }

    /**
     * @param execEvents     exec permission events answered (the program's and its ELF loader's)
     * @param execNanos      tether's own time deciding them: from taking the event to the answer being ready
     * @param openEvents     open permission events answered
     * @param openNanos      the same for opens
     * @param execOpenHalves open events answered as the second half of an exec just allowed
     * @param syscallsFromKernelMap events whose syscall came from the exec guard's map (the rest read /proc)
     * @param cachedPrograms programs approved by identity (ignore mark and exec guard image), for any
     *                       argv or decided by the exec guard from an argv table
     * @param cachedDirectories directories whose files' opens the kernel skips (every open there allowed)
     */
    public record Stats(long decisions, long denials, long outOfScope, long cachedFiles, long failures,
                        long execEvents, long execNanos, long openEvents, long openNanos, long execOpenHalves,
                        long syscallsFromKernelMap, long cachedPrograms, long cachedDirectories) {}

    public Stats stats() {
        return new Stats(decisions.get(), denials.get(), outOfScope.get(), cachedMarks.get(), failures.get(),
                execEvents, execNanos, openEvents, openNanos, execOpenHalves, syscallsFromKernelMap, cachedPrograms,
                cachedDirectories.get());
    }

    private void loop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(BUFFER, 8);
            MemorySegment response = arena.allocate(8, 4);
            while (running) {
                if (!libc.pollIn(fanFd, wakeFd, 200)) {
                    continue;
                }
                long n = libc.read(fanFd, buf, BUFFER);
                if (n < 0) {
                    if (n == -Errno.EINTR || n == -Errno.EAGAIN) {
                        continue;
                    }
                    failures.incrementAndGet();
                    continue;
                }
                long off = 0;
                while (off + EVENT_HEADER <= n) {
                    int len = buf.get(ValueLayout.JAVA_INT, off);
                    long mask = buf.get(ValueLayout.JAVA_LONG, off + 8);
                    int fd = buf.get(ValueLayout.JAVA_INT, off + 16);
                    int tid = buf.get(ValueLayout.JAVA_INT, off + 20);
                    if (len < EVENT_HEADER) {
                        break;
                    }
                    handle(mask, fd, tid, response);
                    off += len;
                }
            }
        }
    }

    private void handle(long mask, int fd, int tid, MemorySegment response) {
        if (fd < 0) {
            return; // queue overflow carries no fd; permission events are never dropped
        }
        long startNs = System.nanoTime();
        int answer = LibC.FAN_DENY;
        try {
            answer = decide(mask, fd, tid) ? LibC.FAN_ALLOW : LibC.FAN_DENY;
        } catch (RuntimeException | IOException e) {
            failures.incrementAndGet();
            answer = LibC.FAN_DENY; // fail closed, and say so: a refusal is never silent
            publishFailure(mask, fd, tid, e);
        } finally {
            // Timed before the answer: writing it wakes the waiting thread, which on a busy CPU runs
            // at once and would be counted as the gate's time.
            long took = System.nanoTime() - startNs;
            response.set(ValueLayout.JAVA_INT, 0, fd);
            response.set(ValueLayout.JAVA_INT, 4, answer);
            libc.write(fanFd, response, 8);
            libc.close(fd);
            if ((mask & LibC.FAN_OPEN_EXEC_PERM) != 0) {
                execEvents++;
                execNanos += took;
            } else {
                openEvents++;
                openNanos += took;
            }
        }
    }

    /** @return true to allow */
    private boolean decide(long mask, int fd, int tid) throws IOException {
        boolean exec = (mask & LibC.FAN_OPEN_EXEC_PERM) != 0;
        ExecGuard guard = execGuard;
        // An entry here means: a thread of this sandbox, inside this open or exec call right now.
        ThreadSyscall.Recorded entry = guard == null ? null : guard.syscallOf(tid);
        ThreadSyscall recorded = entry == null ? null : entry.call();
        if (entry != null) {
            syscallsFromKernelMap++;
        }
        if (!exec && recorded != null && isExec(recorded.nr())) {
            // FAN_OPEN_PERM from inside execve: the read-only open of a file whose exec permission
            // event came first and was allowed (by us, or skipped by an ignore mark we set for an
            // approved program); a refused one never gets this far. Nothing left to judge.
            expectedExecOpen.remove(tid);
            execOpenHalves++;
            return true;
        }
        // Without the kernel map: the kernel raises two events for a file opened to be executed,
        // FAN_OPEN_EXEC_PERM then FAN_OPEN_PERM, from the same call; the second needs no judging
        // once the first was allowed, and reading /proc for it waited for the thread to sleep.
        // Any event from the thread consumes the expectation; one older than a tid could be
        // reused in (a thread killed between the two events) is ignored.
        // Every step below needs the file's identity: one statx for them all.
        Stat st = stat(fd);
        ExpectedOpen pending = expectedExecOpen.remove(tid);
        if (pending != null && !exec && System.nanoTime() - pending.atNs() < 1_000_000_000L) {
            if (st != null && pending.key().equals(st.key())) {
                execOpenHalves++;
                return true;
            }
        }
        ExpectedLoader loader = exec ? expectedLoader.remove(tid) : null;
        if (loader != null && loader.sameCall(recorded)) {
            // The ELF loader of a program this thread was just allowed to exec (same execve): its
            // identity is all there is to check, without re-reading /proc for the thread.
            if (st != null && loader.key().equals(st.key())) {
                expectedExecOpen.put(tid, new ExpectedOpen(loader.key(), System.nanoTime()));
                if (loader.programCached()) {
                    cacheLoader(fd, st, loader.policy());
                }
                return true;
            }
        }
        if (exec && !approvedLoaders.isEmpty()) {
            // The ELF loader of a program approved by identity, whose own exec event the kernel
            // skipped (run as a script's interpreter, say, or its loader's mark could not be set):
            // let it through like its mark would. Run directly instead (ld.so /some/program), the
            // exec guard kills it: the loader's own image has no approval.
            if (st != null && approvedLoaders.contains(st.key())) {
                cacheLoader(fd, st, policy.get());
                return true;
            }
        }
        // A recorded call was made inside the sandbox (the map only holds those) and says which
        // process made it; otherwise /proc says, and whether the thread is ours at all.
        TaskInfo task = entry != null
                ? new TaskInfo(tid, entry.tgid(), entry.ppid(), entry.comm(), sessionCgroup, System.nanoTime())
                : tasks.get(tid);
        if (task == null) {
            return false; // the thread is gone; nobody waits for the answer
        }
        if (!task.inCgroup(sessionCgroup)) {
            outOfScope.incrementAndGet();
            return true; // not ours to judge (setup by the engine, a host process via /proc/PID/root)
        }
        SessionPolicy current = policy.get();
        String path = pathOf(fd);
        FileKey key = st == null ? null : st.key();
        if (exec) {
            tasks.forget(tid); // the thread is exec'ing: its name changes once the exec is through
            boolean allowed = decideExec(fd, tid, task, path, st, current, recorded);
            if (allowed && key != null) {
                expectedExecOpen.put(tid, new ExpectedOpen(key, System.nanoTime()));
            }
            return allowed;
        }
        OpenIntent intent = OpenIntent.of(recorded != null ? recorded : syscallOf(tid), syscalls);
        if (intent.kind() == OpenIntent.Kind.EXEC) {
            tasks.forget(tid);
            return true; // the open that accompanies an exec: the exec permission event decided it
        }
        boolean write = intent.writes();
        OpenMemo.Entry memo = openMemo.get(current, path, write, key);
        if (memo == null) {
            FileAccessJudge.Judgment first = judge.open(current, path, write, key);
            boolean otherModeAllowed = first.verdict() == Verdict.ALLOW
                    && judge.open(current, path, !write, key).verdict() == Verdict.ALLOW;
            memo = openMemo.put(current, path, write, key, first, otherModeAllowed);
        }
        FileAccessJudge.Judgment j = memo.judgment();
        decisions.incrementAndGet();
        publish(write ? EventKind.FILE_OPEN_READ_WRITE : EventKind.FILE_OPEN_READ_ONLY, path, j, task,
                intent.kind() == OpenIntent.Kind.OPEN ? FileDetail.open(intent.flags(), null) : null);
        if (j.blocks()) {
            denials.incrementAndGet();
            return false;
        }
        long epoch = mountEpoch;
        if (j.verdict() == Verdict.ALLOW && st != null && st.cacheable()
                && (memo.otherModeAllowed() || !write && memo.mayBeOnReadOnlyMount() && onReadOnlyMount(fd, memo))) {
            // Every open of this file the sandbox can make is allowed (both modes, or reads on a
            // read-only mount, where a write open fails before it reaches us): the kernel skips it.
            synchronized (markLock) {
                if (policy.get() == current && mountEpoch == epoch) {
                    libc.fanotifyMark(fanFd, LibC.FAN_MARK_ADD | LibC.FAN_MARK_IGNORED_MASK
                            | LibC.FAN_MARK_IGNORED_SURV_MODIFY, LibC.FAN_OPEN_PERM, fd, null);
                    cachedMarks.incrementAndGet();
                }
            }
        }
        if (j.verdict() == Verdict.ALLOW && memo.otherModeAllowed() && st != null && st.cacheable() && directoryMarks) {
            markDirectoryOf(path, st, current, epoch);
        }
        return true;
    }

    /** A directory judged for an ignore mark on its children under this policy and mount count. */
    private record DirectoryTry(SessionPolicy policy, long epoch) {}

    /**
     * Lets the kernel skip the open events of every file directly inside the directory of
     * {@code path} (an ignore mark with FAN_EVENT_ON_CHILD on the directory: new files too, so
     * creating many files in one directory costs one round trip, not one each), when one judgment
     * stands for all of them: the policy allows every open, read or write, of any name there
     * ({@link FileAccessJudge#opensInsideAllowed}); no forbidden inode of the project can be given
     * a name there (the scan found none, or each has one name on a read-only mount: see
     * {@link #forbiddenFilesSealed}; else a rename or hard link could bring one in); no file of tether's own
     * protection can be in it. Tried once per directory per policy and mount change; the mark
     * goes with the others on every change ({@link #forgetApprovals}).
     *
     * <p>The directory is opened through the sandbox's root without following a final link and
     * checked to hold the judged file, which has one name only: so it is the directory the
     * judgment was about, whatever the sandbox renamed meanwhile. Only the file's own events are
     * skipped: a subdirectory's files are judged (and may earn a mark of their own), execs are
     * judged as before.
     */
    private void markDirectoryOf(String path, Stat st, SessionPolicy judgedUnder, long epoch) {
        int slash = path.lastIndexOf('/');
        long pid = sandboxPid;
        if (slash < 0 || pid <= 0) {
            return;
        }
        String dir = slash == 0 ? "/" : path.substring(0, slash);
        DirectoryTry was = directoriesTried.get(dir);
        if (was != null && was.policy() == judgedUnder && was.epoch() == epoch) {
            return; // on every allowed open of a new file there: nothing allocated, nothing judged
        }
        directoriesTried.put(dir, new DirectoryTry(judgedUnder, epoch));
        ForbiddenInodes forbidden = judgedUnder.forbidden();
        boolean needsSeal = !forbidden.isEmpty();
        if (forbidden.truncated() || needsSeal && !forbidden.confined() || !judge.opensInsideAllowed(judgedUnder, dir)) {
            return;
        }
        int dirFd;
        try {
            dirFd = libc.open("/proc/" + pid + "/root" + (dir.equals("/") ? "/" : dir),
                    LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_NOFOLLOW);
        } catch (NativeCallException e) {
            return; // gone or replaced by a link since: no mark
        }
        try {
            if (libc.statxAt(dirFd, path.substring(slash + 1), dirStatBuf) != 0 || !Stat.of(dirStatBuf).key().equals(st.key())
                    || libc.statx(dirFd, dirStatBuf) != 0 || judge.mayHoldProtectedFile(Stat.of(dirStatBuf).key())) {
                return;
            }
            // A forbidden file outside the project that lies writable on this directory's mount
            // could be renamed or linked into it (across mounts that fails: EXDEV).
            long mount = Stat.of(dirStatBuf).mntId();
            if (!forbidden.writableMounts().isEmpty() && (mount < 0 || forbidden.writableMounts().contains(mount))) {
                return;
            }
            synchronized (markLock) {
                if (policy.get() != judgedUnder || mountEpoch != epoch || needsSeal && !forbiddenSealed) {
                    return;
                }
                libc.fanotifyMark(fanFd, LibC.FAN_MARK_ADD | LibC.FAN_MARK_IGNORE | LibC.FAN_MARK_IGNORED_SURV_MODIFY,
                        LibC.FAN_OPEN_PERM | LibC.FAN_EVENT_ON_CHILD, dirFd, "."); // (an O_PATH descriptor itself is refused: EBADF)
                cachedDirectories.incrementAndGet();
            }
        } catch (NativeCallException e) {
            if (e.errno() == Errno.EINVAL) {
                directoryMarks = false; // a kernel before 6.0: files are still cached one by one
            }
        } finally {
            libc.close(dirFd);
        }
    }

    private boolean isExec(long nr) {
        return nr == syscalls.execve() || nr == syscalls.execveat();
    }

    private boolean decideExec(int fd, int tid, TaskInfo task, String path, Stat st, SessionPolicy current,
                               ThreadSyscall recorded) throws IOException {
        // (The ELF interpreter of a program just approved was answered in decide.)
        FileKey key = st == null ? null : st.key();
        ThreadSyscall sys = recorded != null ? recorded : syscallOf(tid);
        if (!isExec(sys.nr())) {
            throw new IOException("thread " + tid + " raised an exec event outside execve/execveat (syscall " + sys.nr() + ")");
        }
        boolean at = sys.nr() == syscalls.execveat();
        // The interpreter of a script approved a moment ago runs with the argv the kernel built for it.
        ScriptArgv fromScript = scriptArgv.remove(tid);
        List<String> argv = fromScript != null && fromScript.sameCall(sys) ? fromScript.argv() : null;
        if (argv == null) {
            argv = ProcessMemory.readArgv(procFiles, tid, at ? sys.arg2() : sys.arg1());
        }
        FileAccessJudge.Judgment j = judge.exec(current, path, argv, key);
        decisions.incrementAndGet();
        publish(EventKind.PROCESS_EXEC, path, j, task, new ExecDetail(argv));
        if (j.blocks()) {
            denials.incrementAndGet();
            return false;
        }
        // One read for the #! line, the ELF header and (usually) its program headers and loader name.
        ExecutableHead head = ExecutableHead.read(libc, fd, headBuf);
        Optional<Shebang> script = head.shebang();
        if (script.isPresent()) {
            String name = ProcessMemory.readString(procFiles, tid, at ? sys.arg1() : sys.arg0());
            scriptArgv.put(tid, new ScriptArgv(script.get().interpreterArgv(name, argv), sys.enteredNs(), System.nanoTime()));
            return true; // the interpreter's own permission event comes next and records the approval
        }
        // The sandbox's file system is fixed for the session, so a loader path resolves once.
        Optional<FileKey> interpreter = ElfInterpreter.of(libc, fd, head)
                .flatMap(interp -> loaders.computeIfAbsent(interp, i -> keyInSandbox(tid, i)));
        ExecGuard guard = execGuard;
        boolean cached = false;
        if (guard != null) {
            // Before we answer: the exec cannot get ahead of it. The identity is the kernel's own
            // (superblock device, inode number), which stat does not always report (overlayfs).
            FileKey image = fileIds.of(fd, tid, st);
            guard.approve(tid, image, argv);
            if (j.verdict() == Verdict.ALLOW && st != null && st.cacheable()) {
                if (judge.execIgnoresArguments(current, path, key)) {
                    cached = cacheProgram(fd, path, st, image, interpreter, current, guard, null);
                } else {
                    Optional<FileAccessJudge.ArgvTable> table = judge.execArgvTable(current, path, key);
                    if (table.isPresent()) {
                        cached = cacheProgram(fd, path, st, image, interpreter, current, guard, table.get());
                    }
                }
            }
        }
        boolean programCached = cached;
        // (A loader already skipped by its ignore mark raises no event: the expectation is then
        // never consumed, and ages out of the bounded map.)
        interpreter.ifPresent(k -> expectedLoader.put(tid, new ExpectedLoader(k, sys.enteredNs(), programCached, current)));
        return true;
    }

    /**
     * An allowed program whose every exec the policy decides the same whatever the argv, or
     * ({@code table}) by which of a few literals its argv holds: the exec guard approves its
     * identity for any argv, or decides each exec from the table, under the current image
     * generation; then an ignore mark lets the kernel skip its exec permission events (and its
     * opens, when every open of it is allowed too, as for cached files). A policy or mode change
     * flushes both ({@link #policyChanged}). Like a cached file, it is approved by inode: only
     * files with one name when approved, and the mark does not survive a change of the file's content.
     */
    private boolean cacheProgram(int fd, String path, Stat st, FileKey image, Optional<FileKey> loader,
                                 SessionPolicy current, ExecGuard guard, FileAccessJudge.ArgvTable table) {
        long epoch = mountEpoch;
        long mask = LibC.FAN_OPEN_EXEC_PERM | (opensAllCacheable(fd, path, st.key(), current) ? LibC.FAN_OPEN_PERM : 0);
        synchronized (markLock) {
            if (policy.get() != current || mountEpoch != epoch) {
                return false;
            }
            // Before the mark: a skipped exec must find it.
            if (!approveInKernel(guard, image, table)) {
                // A full map, of programs approved under older generations most likely: start
                // over as after a policy change (no mark may outlive its entry), then once more.
                forgetApprovals();
                guard.clearImages();
                if (!approveInKernel(guard, image, table)) {
                    return false;
                }
            }
            loader.ifPresent(approvedLoaders::add);
            libc.fanotifyMark(fanFd, LibC.FAN_MARK_ADD | LibC.FAN_MARK_IGNORED_MASK, mask, fd, null);
            cachedPrograms++;
            return true;
        }
    }

    private boolean approveInKernel(ExecGuard guard, FileKey image, FileAccessJudge.ArgvTable table) {
        return table == null ? guard.approveImage(image, imageGeneration) : guard.approveArgvTable(image, imageGeneration, table);
    }

    /**
     * The ELF loader of a cached program: its exec events are skipped from now on too (it would
     * otherwise be judged as a program of its own, with the caller's argv). Running the loader
     * directly (ld.so /some/binary) still meets the exec guard, which finds no approval for the
     * loader's own image and kills it, unless the loader itself was approved as a program.
     */
    private void cacheLoader(int fd, Stat st, SessionPolicy judgedUnder) {
        String path;
        try {
            path = pathOf(fd);
        } catch (IOException e) {
            return;
        }
        // Its exec events are skipped under every name it has (the exec guard stands behind any of
        // them); its opens only under the rules for cached files (one name, every open allowed).
        long epoch = mountEpoch;
        long mask = LibC.FAN_OPEN_EXEC_PERM
                | (st.cacheable() && opensAllCacheable(fd, path, st.key(), judgedUnder) ? LibC.FAN_OPEN_PERM : 0);
        synchronized (markLock) {
            if (policy.get() != judgedUnder || mountEpoch != epoch) {
                return;
            }
            // Surviving changes to its content: its exec only ever runs as a cached program's
            // loader (run directly, it meets the exec guard), and a lost mark would have its next
            // event judged as a program of its own and refused.
            libc.fanotifyMark(fanFd, LibC.FAN_MARK_ADD | LibC.FAN_MARK_IGNORED_MASK | LibC.FAN_MARK_IGNORED_SURV_MODIFY,
                    mask, fd, null);
        }
    }

    /** Whether every open of the file is allowed: reads and writes, or reads on a read-only mount. */
    private boolean opensAllCacheable(int fd, String path, FileKey key, SessionPolicy current) {
        if (judge.open(current, path, false, key).verdict() != Verdict.ALLOW) {
            return false;
        }
        return judge.open(current, path, true, key).verdict() == Verdict.ALLOW || libc.onReadOnlyMount(fd);
    }

    /**
     * The syscall of a thread that waits for our answer when the exec guard's map (recorded at
     * syscall entry, one lookup) has none: {@code /proc/TID/syscall}. The kernel says "running"
     * there until the thread has actually gone to sleep in the permission wait, which on a busy
     * machine can be a moment after its event reached us; read as unknown, that open would be
     * judged as a write. So "running" is read again, yielding our CPU, for up to 2 s
     * ({@link ProcessMemory#blockedSyscall}): 5-8 µs per open on an idle host, far more under load.
     */
    private ThreadSyscall syscallOf(int tid) throws IOException {
        return ThreadSyscall.parse(ProcessMemory.blockedSyscall(tid, procFiles));
    }

    /** The identity of {@code path} as the sandbox of {@code tid} resolves it. */
    private static Optional<FileKey> keyInSandbox(int tid, String path) {
        return SandboxPaths.resolve(tid, path).flatMap(resolved -> ProtectedFiles.key(resolved));
    }

    private void publish(EventKind kind, String path, FileAccessJudge.Judgment j, TaskInfo task,
                         dev.tether.events.EventDetail detail) {
        Event e = Event.builder(kind)
                .timeNs(Event.nowNs())
                .session(sessionId)
                .principal(policy.get().principal().agent())
                .layer(EventLayer.FANOTIFY)
                .resource(path)
                .decision(j.verdict(), j.policyIds(), j.decision().reason())
                .errno(j.blocks() ? Errno.EPERM : null)
                .process(task.tgid(), task.ppid(), task.tid())
                .comm(task.comm())
                .detail(detail)
                .build();
        try {
            sink.accept(e);
        } catch (RuntimeException ignored) {
            // the bus never blocks; a failing sink must not stop decisions
        }
    }

    private void publishFailure(long mask, int fd, int tid, Exception cause) {
        try {
            String path;
            try {
                path = pathOf(fd);
            } catch (IOException e) {
                path = "(unknown: " + e.getMessage() + ")";
            }
            Event e = Event.builder((mask & LibC.FAN_OPEN_EXEC_PERM) != 0 ? EventKind.PROCESS_EXEC : EventKind.FILE_OPEN)
                    .timeNs(Event.nowNs())
                    .session(sessionId)
                    .principal(policy.get().principal().agent())
                    .layer(EventLayer.FANOTIFY)
                    .resource(path)
                    .decision(Verdict.DENY, List.of(), "denied: tether could not judge this operation ("
                            + cause.getClass().getSimpleName() + ": " + cause.getMessage() + "); refused, failing closed")
                    .errno(Errno.EPERM)
                    .process(tid, 0, tid)
                    .build();
            sink.accept(e);
        } catch (RuntimeException ignored) {
            // reporting must never stop decisions
        }
    }

    /** Whether fd's mount is read-only; a "no" is remembered for the entry (a mount made writable later must not be cached as read-only, so a "yes" is not). */
    private boolean onReadOnlyMount(int fd, OpenMemo.Entry memo) {
        boolean ro = libc.onReadOnlyMount(fd);
        if (!ro) {
            memo.notOnReadOnlyMount();
        }
        return ro;
    }

    /** The event's file as the sandbox names it: readlink of /proc/self/fd/FD (FFM: no NIO path objects per event). */
    private String pathOf(int fd) throws IOException {
        long n = libc.readlink("/proc/self/fd/" + fd, linkBuf);
        if (n < 0) {
            throw new IOException("readlink(/proc/self/fd/" + fd + ") failed: errno " + -n);
        }
        if (n >= linkBuf.byteSize()) {
            throw new IOException("the path of fd " + fd + " is longer than " + linkBuf.byteSize() + " bytes");
        }
        byte[] bytes = new byte[(int) n];
        MemorySegment.copy(linkBuf, ValueLayout.JAVA_BYTE, 0, bytes, 0, (int) n);
        String p = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        return p.endsWith(" (deleted)") ? p.substring(0, p.length() - " (deleted)".length()) : p;
    }

    /** statx of the event's descriptor (never an open); null when the kernel refuses. */
    private Stat stat(int fd) {
        return Stat.read(libc, fd, statxBuf);
    }

    /**
     * Per-thread expectations between two events of one exec. One whose second event never comes
     * (the thread was killed, or an ignore mark skips it) is never removed by a later event of
     * that thread, so the oldest go once there are many.
     */
    private static <V> Map<Integer, V> boundedByTid() {
        return new java.util.LinkedHashMap<>(64, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, V> e) {
                return size() > 4096;
            }
        };
    }

    private void warmUp() {
        OpenIntent.fromProcSyscall("257 0x0 0x0 0x0", syscalls).writes();
        new FileAccessJudge.Judgment(Verdict.ALLOW, new dev.tether.policy.Decision(true, List.of(), "")).blocks();
        Event.builder(EventKind.FILE_OPEN_READ_ONLY).detail(FileDetail.open(0, null)).build();
        Event.builder(EventKind.PROCESS_EXEC).detail(new ExecDetail(List.of())).build();
        TaskInfo.parse(1, "Name:\tx\nTgid:\t1\nPPid:\t0\n", "0::/\n");
        stat(0);
        try {
            pathOf(0);
        } catch (IOException ignored) {
            // only the code path matters here
        }
    }

    @Override
    public void close() {
        running = false;
        libc.signal(wakeFd);
        try {
            if (thread.getState() != Thread.State.NEW) { // never started: the session failed before attaching it
                thread.join(java.time.Duration.ofSeconds(2));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        libc.close(fanFd); // pending events are answered "allow" by the kernel: close only after the sandbox is gone
        libc.close(wakeFd);
    }

    /**
     * What /proc says about recently seen threads. A thread's process, parent and cgroup do not
     * change in ways that matter here within a second, and a tid is not reused that fast;
     * re-reading three /proc files for every open would double the cost of a decision. Its name
     * does change at exec: every event of an exec forgets the thread ({@link #forget}), or a
     * forked shell's child would be reported as {@code sh} for a second after it became {@code cat}.
     */
    static final class TaskCache {
        private static final long TTL_NS = 1_000_000_000L;
        private final ProcFiles files;
        private final java.util.LinkedHashMap<Integer, TaskInfo> byTid = new java.util.LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, TaskInfo> e) {
                return size() > 4096;
            }
        };

        TaskCache(ProcFiles files) {
            this.files = files;
        }

        TaskInfo get(int tid) {
            long now = System.nanoTime();
            TaskInfo t = byTid.get(tid);
            if (t != null && now - t.readAtNs() < TTL_NS) {
                return t;
            }
            t = TaskInfo.read(files, tid);
            if (t != null) {
                byTid.put(tid, t);
            }
            return t;
        }

        void forget(int tid) {
            byTid.remove(tid);
        }
    }

    /** The parts of /proc/TID/status and /proc/TID/cgroup a decision needs. */
    record TaskInfo(int tid, int tgid, int ppid, String comm, String cgroup, long readAtNs) {
        static TaskInfo read(ProcFiles files, int tid) {
            try {
                String status = files.read("/proc/" + tid + "/status");
                String cgroup = files.read("/proc/" + tid + "/cgroup");
                return parse(tid, status, cgroup);
            } catch (IOException e) {
                return null;
            }
        }

        static TaskInfo parse(int tid, String status, String cgroupFile) {
            String comm = "";
            int tgid = tid;
            int ppid = 0;
            for (String line : status.split("\n")) {
                if (line.startsWith("Name:")) {
                    comm = line.substring(5).strip();
                } else if (line.startsWith("Tgid:")) {
                    tgid = Integer.parseInt(line.substring(5).strip());
                } else if (line.startsWith("PPid:")) {
                    ppid = Integer.parseInt(line.substring(5).strip());
                    break;
                }
            }
            String cg = "";
            for (String line : cgroupFile.split("\n")) {
                if (line.startsWith("0::")) {
                    cg = line.substring(3);
                }
            }
            return new TaskInfo(tid, tgid, ppid, comm, cg, System.nanoTime());
        }

        boolean inCgroup(String session) {
            return cgroup.equals(session) || cgroup.startsWith(session + "/");
        }
    }

    private record ExpectedOpen(FileKey key, long atNs) {}

    /**
     * The ELF loader the exec just approved will open next. Only the same exec call may consume
     * it: the kernel map's entry time says so exactly; without it, within a second.
     */
    private record ExpectedLoader(FileKey key, long enteredNs, boolean programCached, SessionPolicy policy) {
        boolean sameCall(ThreadSyscall now) {
            return now == null || enteredNs == 0 || now.enteredNs() == enteredNs;
        }
    }

    /** The argv the kernel builds for a script's interpreter, for the interpreter's own event in the same exec call. */
    private record ScriptArgv(List<String> argv, long enteredNs, long atNs) {
        boolean sameCall(ThreadSyscall now) {
            if (enteredNs != 0 && now.enteredNs() != 0) {
                return enteredNs == now.enteredNs();
            }
            return System.nanoTime() - atNs < 1_000_000_000L;
        }
    }

    /**
     * What statx says of the event's descriptor.
     *
     * @param mntId the mount the file was opened on, -1 when the kernel does not say
     */
    record Stat(FileKey key, boolean regular, int links, long mntId) {
        /** statx of the open file {@code fd} into {@code buf} ({@link LibC#STATX_SIZE}); null when it fails. */
        static Stat read(LibC libc, int fd, MemorySegment buf) {
            return libc.statx(fd, buf) != 0 ? null : of(buf);
        }

        /** What a statx buffer filled by the kernel says. */
        static Stat of(MemorySegment buf) {
            long ino = buf.get(ValueLayout.JAVA_LONG, 32);
            int nlink = buf.get(ValueLayout.JAVA_INT, 16);
            int mode = Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT, 28));
            long dev = KernelFileId.userDev(Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT, 136)),
                    Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT, 140)));
            long mntId = (buf.get(ValueLayout.JAVA_INT, 0) & LibC.STATX_MNT_ID) != 0 ? buf.get(ValueLayout.JAVA_LONG, 144) : -1;
            return new Stat(new FileKey(dev, ino), (mode & 0170000) == 0100000, nlink, mntId);
        }

        boolean cacheable() {
            // One name only: an ignore mark follows the inode, so a hard link elsewhere would share it.
            return regular && links == 1;
        }

    }
}
