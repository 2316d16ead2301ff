/* Which tasks are in a tether sandbox: the sandbox cgroup and all its descendants. */
#ifndef TETHER_SCOPE_H
#define TETHER_SCOPE_H

#define MAX_SANDBOXES 256

struct scope_config {
	/* cgroup2 level at which session cgroups live (root = 0, <root>/tether/<session> = 2). */
	__u32 session_level;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scope_config);
} scope_config SEC(".maps");

/* session cgroup id -> session slot; written by user space when a sandbox starts. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_SANDBOXES);
	__type(key, __u64);
	__type(value, __u32);
} sandbox_cgroups SEC(".maps");

/*
 * One ancestor lookup and one hash lookup: the cost every task on the host pays on a traced
 * syscall, so it must stay this small. Returns the session slot or NULL when out of scope.
 */
static __always_inline __u32 *sandbox_slot(void)
{
	__u32 zero = 0;
	struct scope_config *cfg = bpf_map_lookup_elem(&scope_config, &zero);
	if (!cfg || cfg->session_level == 0)
		return NULL;
	__u64 id = bpf_get_current_ancestor_cgroup_id(cfg->session_level);
	if (id == 0)
		return NULL;
	return bpf_map_lookup_elem(&sandbox_cgroups, &id);
}

#endif
