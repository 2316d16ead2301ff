#!/usr/bin/env python3
"""CPU (user + system) of the tether JVM that runs one session, started cold and with the warm start.

Cold: the process the launcher becomes (it execs the JVM), read from /proc until it ends. Warm
(TETHER_SPARE=1): the spare that takes the command, counted from just before the command is handed
over, so its warm-up (done beforehand at nice 19) is not in it; that warm-up is printed apart.
Alternating, N rounds; each run first waits until no spare is still warming up, then 1.5 s.

    sudo bench/startup/session-cpu.py N ./tether run --engine builtin -q -- sh -c '...'
"""
import glob
import os
import subprocess
import sys
import time

HZ = os.sysconf('SC_CLK_TCK')
SOCKET = os.environ.get('TETHER_SPARE_SOCKET', f'/run/tether/spare-{os.geteuid()}.sock')


def cpu(pid):
    """utime + stime in seconds; None once the process is gone or a zombie."""
    try:
        fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    except OSError:
        return None
    if fields[0] == 'Z':
        return None
    return (int(fields[11]) + int(fields[12])) / HZ


def spare():
    """The newest spare tether still running (an older one may be retiring), or None."""
    found = []
    for path in glob.glob('/proc/[0-9]*/cmdline'):
        try:
            words = open(path, 'rb').read().split(b'\0')
        except OSError:
            continue
        pid = int(path.split('/')[2])
        if b'__spare' in words and cpu(pid) is not None:
            found.append((os.stat(f'/proc/{pid}').st_mtime, pid))
    return max(found)[1] if found else None


def settle():
    """Waits until no spare is warming up (one is listening, or none runs), then 1.5 s more."""
    for _ in range(600):
        if spare() is None or os.path.exists(SOCKET):
            break
        time.sleep(0.1)
    time.sleep(1.5)


def watch(pid, base):
    """CPU used since base, up to the last reading before the process ended."""
    last = base
    while True:
        now = cpu(pid)
        if now is None:
            return last - base
        last = now
        time.sleep(0.005)


def run(warm, cmd):
    env = dict(os.environ)
    settle()
    if warm:
        env['TETHER_SPARE'] = '1'
        pid = spare()
        base = cpu(pid) if pid else None
        if base is None:
            raise SystemExit('no spare is waiting for the warm run')
        start = time.time()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        used = watch(pid, base)
    else:
        env.pop('TETHER_SPARE', None)
        start = time.time()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        used = watch(p.pid, 0)
    p.wait()
    return used, time.time() - start


def main():
    n = int(sys.argv[1])
    cmd = sys.argv[2:]
    # A first warm session leaves the first spare.
    subprocess.run(cmd, env=dict(os.environ, TETHER_SPARE='1'), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    settle()
    warm_up = cpu(spare())
    results = {'cold': [], 'warm': []}
    for _ in range(n):
        for mode in ('cold', 'warm'):
            results[mode].append(run(mode == 'warm', cmd))
    print(f'a spare\'s warm-up (CPU until it listens, nice 19): {warm_up:.2f} s')
    for mode, rs in results.items():
        cpus = [r[0] for r in rs]
        walls = sorted(r[1] for r in rs)
        print(f'{mode}: session JVM CPU median {sorted(cpus)[len(cpus) // 2]:.2f} s '
              f'({" ".join("%.2f" % c for c in cpus)}), wall median {walls[len(walls) // 2]:.2f} s')
    try:
        os.unlink(SOCKET)  # the last spare retires
    except OSError:
        pass


if __name__ == '__main__':
    main()
