package dev.tether.kernel.ffm;

import static dev.tether.kernel.ffm.Downcalls.C_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Taking another process's open files as this process's own (pidfd_open + pidfd_getfd, then dup3
 * onto a chosen number) and setting a thread's nice value: what a spare tether needs to run a
 * command on the stdin, stdout and stderr of the client that handed it over. Separate from
 * {@link LibC} so that a session that never adopts a client does not link these calls.
 */
public final class ProcessDescriptors {
    /** pidfd_open and pidfd_getfd have the same numbers on every architecture (added after 5.1's unification). */
    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_PIDFD_GETFD = 438;
    private static final int PRIO_PROCESS = 0;

    private final LibC libc;
    private final MethodHandle dup3;
    private final MethodHandle setpriority;

    private ProcessDescriptors(LibC libc) {
        this.libc = libc;
        var lookup = Downcalls.libc();
        dup3 = Downcalls.findWithErrno(lookup, "dup3", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
        setpriority = Downcalls.findWithErrno(lookup, "setpriority", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
    }

    public static ProcessDescriptors load(LibC libc) {
        return new ProcessDescriptors(libc);
    }

    /** A copy of {@code pid}'s descriptor {@code fd} in this process (close-on-exec). Needs ptrace rights over pid. */
    public int take(int pid, int fd) {
        int pidfd = (int) libc.syscall(SYS_PIDFD_OPEN, pid, 0, 0);
        try {
            return (int) libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0);
        } finally {
            libc.close(pidfd);
        }
    }

    /** dup3(2): {@code target} now names what {@code source} names (not close-on-exec). */
    public void duplicateOnto(int source, int target) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            int rc = (int) dup3.invokeExact(state, source, target, 0);
            if (rc < 0) {
                throw new NativeCallException("dup3(" + source + ", " + target + ")", Downcalls.errno(state));
            }
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** setpriority(PRIO_PROCESS, tid, nice): on Linux a thread's own nice value. */
    public void setNice(int tid, int nice) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.newCallState(a);
            int rc = (int) setpriority.invokeExact(state, PRIO_PROCESS, tid, nice);
            if (rc < 0) {
                throw new NativeCallException("setpriority(" + tid + ", " + nice + ")", Downcalls.errno(state));
            }
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    public void close(int fd) {
        libc.close(fd);
    }
}
