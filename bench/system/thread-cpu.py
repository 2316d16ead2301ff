#!/usr/bin/env python3
"""CPU time and voluntary context switches of each thread of tether's JVM over whole sessions,
for two or more tether launchers (e.g. a build of main and a build of a change), alternating
launchers round by round in one invocation. Prints a Markdown table of medians per thread name
(threads of one name summed), then the whole process.

    sudo bench/system/thread-cpu.py ROUNDS LAUNCHER... -- COMMAND...
    sudo bench/system/thread-cpu.py 3 /tmp/main/tether ./tether -- ./opbench exec 1000

Each session is `LAUNCHER run --engine builtin --monitor-only -q -- COMMAND` started in the
current directory (THREAD_CPU_ARGS replaces `--monitor-only`, e.g. `--policy policy.cedar`); the JVM's /proc/PID/task/* is sampled every 50 ms and each thread's last
reading kept (a thread that ends between samples loses at most 50 ms of its count). Run each
launcher once beforehand so its start-up cache exists (the first session after a build writes it).
"""
import collections
import os
import statistics
import subprocess
import sys
import time


def jvm_of(launcher_pid):
    """The tether JVM among the launcher's descendants (the launcher execs java, so usually itself)."""
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            cmd = open(f'/proc/{d}/cmdline', 'rb').read().split(b'\0')
        except OSError:
            continue
        if any(a.endswith(b'tether.jar') for a in cmd) and b'run' in cmd:
            try:
                stat = open(f'/proc/{d}/stat').read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(')') + 2:].split()[1])
            if int(d) == launcher_pid or ppid == launcher_pid:
                return d
    return None


def session(launcher, command):
    tck = os.sysconf('SC_CLK_TCK')
    mode = os.environ.get('THREAD_CPU_ARGS', '--monitor-only').split()
    p = subprocess.Popen([launcher, 'run', '--engine', 'builtin'] + mode + ['-q', '--'] + command,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu, switches, whole = {}, {}, 0
    while p.poll() is None:
        pid = jvm_of(p.pid)
        if pid:
            try:
                for t in os.listdir(f'/proc/{pid}/task'):
                    try:
                        name = open(f'/proc/{pid}/task/{t}/comm').read().strip()
                        st = open(f'/proc/{pid}/task/{t}/stat').read()
                        f = st[st.rindex(')') + 2:].split()
                        cpu[(name, t)] = (int(f[11]) + int(f[12])) * 1000 // tck
                        for line in open(f'/proc/{pid}/task/{t}/status'):
                            if line.startswith('voluntary_ctxt_switches:'):
                                switches[(name, t)] = int(line.split()[1])
                    except (OSError, ValueError):
                        pass
                st = open(f'/proc/{pid}/stat').read()
                f = st[st.rindex(')') + 2:].split()
                whole = (int(f[11]) + int(f[12])) * 1000 // tck
            except OSError:
                pass
        time.sleep(0.05)
    by_cpu, by_switches = collections.Counter(), collections.Counter()
    for (name, _), v in cpu.items():
        by_cpu[name] += v
    for (name, _), v in switches.items():
        by_switches[name] += v
    return by_cpu, by_switches, whole


def main():
    args = sys.argv[1:]
    if '--' not in args or len(args) < 4:
        sys.exit(__doc__)
    split = args.index('--')
    rounds, launchers, command = int(args[0]), args[1:split], args[split + 1:]
    results = {l: [] for l in launchers}
    for r in range(rounds):
        for l in launchers:
            print(f'round {r + 1}/{rounds}: {l}', file=sys.stderr)
            results[l].append(session(l, command))
    names = collections.Counter()
    for l in launchers:
        for by_cpu, _, _ in results[l]:
            names.update(by_cpu)
    print(f'\nMachine: {os.cpu_count()} cores, {os.uname().release}, load average '
          f'{" ".join(open("/proc/loadavg").read().split()[:3])}; command: {" ".join(command)}\n')
    print('| thread (median of %d) | %s |' % (rounds, ' | '.join(f'{l}: CPU ms / switches' for l in launchers)))
    print('| --- |' + ' --- |' * len(launchers))
    for name, _ in names.most_common(14):
        cells = []
        for l in launchers:
            c = statistics.median(by_cpu.get(name, 0) for by_cpu, _, _ in results[l])
            s = statistics.median(by_sw.get(name, 0) for _, by_sw, _ in results[l])
            cells.append(f'{c:.0f} / {s:.0f}')
        print(f'| {name} | ' + ' | '.join(cells) + ' |')
    print('| **whole JVM** (CPU ms) | ' + ' | '.join(
        f'**{statistics.median(w for _, _, w in results[l]):.0f}** ({" ".join(str(w) for _, _, w in results[l])})'
        for l in launchers) + ' |')


if __name__ == '__main__':
    main()
