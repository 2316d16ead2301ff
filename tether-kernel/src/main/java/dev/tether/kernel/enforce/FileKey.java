package dev.tether.kernel.enforce;

/** A file's identity whatever its name: device and inode number. */
public record FileKey(long device, long inode) {}
