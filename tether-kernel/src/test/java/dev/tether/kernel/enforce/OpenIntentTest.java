package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What an open is for, from the syscall its thread is blocked in: the same answer whether the
 * registers come from {@code /proc/<tid>/syscall} or from the exec guard's map, and the strictest
 * reading (a write) for anything not known to be a plain open.
 */
class OpenIntentTest {
    private final SyscallTable x86 = SyscallTable.forThisMachine();

    @Test
    void procTextAndRecordedRegistersGiveTheSameIntent() {
        // openat(AT_FDCWD, path, O_RDONLY) and openat(..., O_WRONLY|O_CREAT|O_TRUNC)
        String ro = x86.openat() + " 0xffffffffffffff9c 0x7ffd1000 0x0 0x0 0x0 0x0 0x7ffd0ff8 0x7f00aa";
        String wr = x86.openat() + " 0xffffffffffffff9c 0x7ffd1000 0x241 0x1b6 0x0 0x0 0x7ffd0ff8 0x7f00aa";
        assertThat(OpenIntent.fromProcSyscall(ro, x86).writes()).isFalse();
        assertThat(OpenIntent.fromProcSyscall(wr, x86).writes()).isTrue();
        ThreadSyscall recordedRo = new ThreadSyscall(x86.openat(), -100, 0x7ffd1000L, 0, 0, 12345);
        ThreadSyscall recordedWr = new ThreadSyscall(x86.openat(), -100, 0x7ffd1000L, 0x241, 0x1b6, 12345);
        assertThat(OpenIntent.of(recordedRo, x86)).isEqualTo(OpenIntent.fromProcSyscall(ro, x86));
        assertThat(OpenIntent.of(recordedWr, x86)).isEqualTo(OpenIntent.fromProcSyscall(wr, x86));
        assertThat(ThreadSyscall.parse(wr).arg(2)).isEqualTo(0x241);
        assertThat(ThreadSyscall.parse(wr).enteredNs()).as("/proc does not say when the call began").isZero();
    }

    @Test
    void openAndCreatReadTheirFlagsFromTheirOwnArgument() {
        assertThat(OpenIntent.of(new ThreadSyscall(x86.open(), 0x1000, 0x2, 0, 0, 1), x86).writes()).isTrue(); // O_RDWR
        assertThat(OpenIntent.of(new ThreadSyscall(x86.open(), 0x1000, 0x0, 0x2, 0, 1), x86).writes()).isFalse();
        assertThat(OpenIntent.of(new ThreadSyscall(x86.creat(), 0x1000, 0x1a4, 0, 0, 1), x86).writes()).isTrue();
    }

    @Test
    void anythingElseIsJudgedAsAWrite() {
        assertThat(OpenIntent.fromProcSyscall("running", x86).writes()).isTrue();
        assertThat(OpenIntent.fromProcSyscall("-1 0x7ffd0ff8 0x7f00aa", x86).writes()).isTrue();
        assertThat(OpenIntent.fromProcSyscall("garbage in here 0x1 0x2", x86).writes()).isTrue();
        // io_uring_enter (426): an inline open from a ring carries its flags in user memory
        assertThat(OpenIntent.of(new ThreadSyscall(426, 3, 1, 0, 0, 1), x86).writes()).isTrue();
        assertThat(OpenIntent.of(ThreadSyscall.UNKNOWN, x86).writes()).isTrue();
    }

    @Test
    void execCallsAreTheOpenHalfOfAnExec() {
        assertThat(OpenIntent.of(new ThreadSyscall(x86.execve(), 1, 2, 3, 0, 1), x86).kind()).isEqualTo(OpenIntent.Kind.EXEC);
        assertThat(OpenIntent.of(new ThreadSyscall(x86.execveat(), 1, 2, 3, 0, 1), x86).writes()).isFalse();
    }
}
