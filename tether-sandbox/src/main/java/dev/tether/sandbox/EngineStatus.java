package dev.tether.sandbox;

/** Whether a sandbox engine can run on this host, and the evidence. */
public record EngineStatus(String engine, boolean usable, String detail) {}
