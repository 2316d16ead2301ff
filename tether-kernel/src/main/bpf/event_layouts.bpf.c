// SPDX-License-Identifier: GPL-2.0
/*
 * Never loaded. clang only writes a struct into an object's BTF when a map, a global or a
 * function signature uses it, and the monitors build most records on the stack; these globals
 * put every event record into this object's BTF so KernelEventLayoutTest can check the Java
 * layouts against what the compiler laid out, member by member.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "process_events.h"
#include "file_events.h"
#include "net_events.h"

char LICENSE[] SEC("license") = "GPL";

struct event_header *btf_event_header __attribute__((used));
struct exec_event *btf_exec_event __attribute__((used));
struct fork_event *btf_fork_event __attribute__((used));
struct exit_event *btf_exit_event __attribute__((used));
struct file_event *btf_file_event __attribute__((used));
struct net_event *btf_net_event __attribute__((used));
