package dev.tether.kernel.bpf;

import dev.tether.kernel.ffm.LibBpf;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A BPF ELF object shipped in the jar under {@code /bpf/NAME.bpf.o}: opened, optionally narrowed
 * to some programs, loaded, and its links torn down on close (closing the object unloads programs
 * and maps that nothing else holds).
 */
public final class BpfObject implements AutoCloseable {
    private final LibBpf libbpf;
    private final String name;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment handle;
    private final List<MemorySegment> links = new ArrayList<>();
    private boolean loaded;
    private boolean closed;

    private BpfObject(LibBpf libbpf, String name, byte[] elf) {
        this.libbpf = libbpf;
        this.name = name;
        this.handle = libbpf.openObject(arena, elf, name);
    }

    /** Opens {@code /bpf/<name>.bpf.o} from the class path (not yet loaded into the kernel). */
    public static BpfObject open(LibBpf libbpf, String name) {
        return new BpfObject(libbpf, name, readResource(name));
    }

    static byte[] readResource(String name) {
        String path = "/bpf/" + name + ".bpf.o";
        try (InputStream in = BpfObject.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("BPF object " + path + " is missing from the jar: the build did not compile it");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    public String name() {
        return name;
    }

    /** Before load: load only the named programs (probing one program type at a time). */
    public BpfObject onlyPrograms(Set<String> keep, Set<String> all) {
        for (String p : all) {
            libbpf.setAutoload(libbpf.findProgram(handle, p), keep.contains(p));
        }
        return this;
    }

    /** Before load: make map {@code mapName} use {@code other}'s already created map. */
    public BpfObject shareMap(String mapName, BpfMap other) {
        libbpf.reuseMapFd(libbpf.findMap(handle, mapName), other.fd());
        return this;
    }

    /**
     * Before load: create map {@code mapName} with all its elements allocated up front, whatever
     * its declaration says (for kernels that allow allocation on demand only where it is safe).
     */
    public BpfObject preallocate(String mapName) {
        MemorySegment map = libbpf.findMap(handle, mapName);
        libbpf.setMapFlags(map, libbpf.mapFlags(map) & ~LibBpf.BPF_F_NO_PREALLOC);
        return this;
    }

    public BpfObject load() {
        libbpf.loadObject(handle, name);
        loaded = true;
        return this;
    }

    public BpfMap map(String mapName) {
        requireLoaded();
        return new BpfMap(libbpf, mapName, libbpf.mapFd(libbpf.findMap(handle, mapName)));
    }

    /** True when this object declares a map called {@code mapName}. */
    public boolean hasMap(String mapName) {
        try {
            libbpf.findMap(handle, mapName);
            return true;
        } catch (dev.tether.kernel.ffm.NativeCallException e) {
            return false;
        }
    }

    /** The declared max_entries of a map (a ring buffer's size in bytes). */
    public int mapMaxEntries(String mapName) {
        return libbpf.mapMaxEntries(libbpf.findMap(handle, mapName));
    }

    public int programFd(String program) {
        requireLoaded();
        return libbpf.programFd(libbpf.findProgram(handle, program));
    }

    /** Attaches a tracepoint/raw_tp program where its SEC() says; detached on close. */
    public void attach(String program) {
        requireLoaded();
        MemorySegment link = libbpf.attach(libbpf.findProgram(handle, program), name + "/" + program);
        synchronized (links) {
            links.add(link);
        }
    }

    /** Attaches a cgroup-BPF program to the cgroup whose directory fd is given; detached on close. */
    public void attachCgroup(String program, int cgroupFd) {
        requireLoaded();
        MemorySegment link = libbpf.attachCgroup(libbpf.findProgram(handle, program), cgroupFd, name + "/" + program);
        synchronized (links) {
            links.add(link);
        }
    }

    private void requireLoaded() {
        if (!loaded || closed) {
            throw new IllegalStateException("BPF object " + name + " is not loaded");
        }
    }

    /** Detaches every program attached through this object; maps and programs stay loaded. */
    public void detachAll() {
        synchronized (links) {
            for (MemorySegment link : links.reversed()) {
                libbpf.destroyLink(link);
            }
            links.clear();
        }
    }

    @Override
    public void close() {
        synchronized (links) {
            if (closed) {
                return;
            }
            closed = true;
        }
        detachAll();
        libbpf.closeObject(handle);
        arena.close();
    }
}
